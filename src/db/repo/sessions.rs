//! Server-side sessions, looked up by the digest of the cookie's token.

use crate::db::DbError;
use crate::db::models::SessionRecord;
use crate::domain::UserId;
use sqlx::any::AnyRow;
use sqlx::{Any, Executor, Row};

fn from_row(row: &AnyRow) -> Result<SessionRecord, DbError> {
    Ok(SessionRecord {
        id: row.try_get("id")?,
        user_id: UserId(row.try_get("user_id")?),
        created_at: row.try_get("created_at")?,
        last_seen_at: row.try_get("last_seen_at")?,
        expires_at: row.try_get("expires_at")?,
        ip: row.try_get("ip")?,
        user_agent: row.try_get("user_agent")?,
    })
}

/// Inserts a session under the digest of its token.
pub async fn insert<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    s: &SessionRecord,
    token_digest: &[u8; 32],
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO sessions (id, token_digest, user_id, created_at, last_seen_at, expires_at, ip, user_agent) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(s.id.as_str())
    .bind(token_digest.as_slice())
    .bind(s.user_id.as_str())
    .bind(s.created_at)
    .bind(s.last_seen_at)
    .bind(s.expires_at)
    .bind(s.ip.as_deref())
    .bind(s.user_agent.as_deref())
    .execute(ex)
    .await?;
    Ok(())
}

/// The session whose token has this digest.
pub async fn find_by_token_digest<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    token_digest: &[u8; 32],
) -> Result<Option<SessionRecord>, DbError> {
    let row = sqlx::query(
        "SELECT id, user_id, created_at, last_seen_at, expires_at, ip, user_agent FROM sessions WHERE token_digest = $1",
    )
    .bind(token_digest.as_slice())
    .fetch_optional(ex)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// Records activity (for the idle timeout).
pub async fn touch<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    id: &str,
    now: i64,
) -> Result<(), DbError> {
    sqlx::query("UPDATE sessions SET last_seen_at = $2 WHERE id = $1 AND last_seen_at < $2")
        .bind(id)
        .bind(now)
        .execute(ex)
        .await?;
    Ok(())
}

/// Ends one session; false when it did not exist.
pub async fn delete<'e, E: Executor<'e, Database = Any>>(ex: E, id: &str) -> Result<bool, DbError> {
    let done = sqlx::query("DELETE FROM sessions WHERE id = $1")
        .bind(id)
        .execute(ex)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Ends every session of a user (removal from the organisation, password reset).
pub async fn delete_for_user<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    user_id: &UserId,
) -> Result<u64, DbError> {
    let done = sqlx::query("DELETE FROM sessions WHERE user_id = $1")
        .bind(user_id.as_str())
        .execute(ex)
        .await?;
    Ok(done.rows_affected())
}

/// Deletes sessions past their absolute expiry or idle since `idle_before`.
pub async fn delete_expired<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    now: i64,
    idle_before: i64,
) -> Result<u64, DbError> {
    let done = sqlx::query("DELETE FROM sessions WHERE expires_at <= $1 OR last_seen_at < $2")
        .bind(now)
        .bind(idle_before)
        .execute(ex)
        .await?;
    Ok(done.rows_affected())
}
