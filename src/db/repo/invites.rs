//! Invitations, looked up by the digest of the link's token.

use super::parse_col;
use crate::db::DbError;
use crate::db::models::Invite;
use crate::domain::{OrgId, UserId};
use sqlx::any::AnyRow;
use sqlx::{Any, Executor, Row};

const COLUMNS: &str =
    "id, org_id, email, role, invited_by, created_at, expires_at, accepted_at, revoked_at";

fn from_row(row: &AnyRow) -> Result<Invite, DbError> {
    Ok(Invite {
        id: row.try_get("id")?,
        org_id: OrgId(row.try_get("org_id")?),
        email: row.try_get("email")?,
        role: parse_col(row, "role")?,
        invited_by: row.try_get::<Option<String>, _>("invited_by")?.map(UserId),
        created_at: row.try_get("created_at")?,
        expires_at: row.try_get("expires_at")?,
        accepted_at: row.try_get("accepted_at")?,
        revoked_at: row.try_get("revoked_at")?,
    })
}

/// Inserts an invite under the digest of its token.
pub async fn insert<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    invite: &Invite,
    token_digest: &[u8; 32],
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO invites (id, org_id, email, role, token_digest, invited_by, created_at, expires_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(invite.id.as_str())
    .bind(invite.org_id.as_str())
    .bind(invite.email.as_str())
    .bind(invite.role.as_str())
    .bind(token_digest.as_slice())
    .bind(invite.invited_by.as_ref().map(UserId::as_str))
    .bind(invite.created_at)
    .bind(invite.expires_at)
    .execute(ex)
    .await?;
    Ok(())
}

/// The invite whose token has this digest.
pub async fn find_by_token_digest<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    token_digest: &[u8; 32],
) -> Result<Option<Invite>, DbError> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM invites WHERE token_digest = $1"
    ));
    let row = sqlx::query(sql)
        .bind(token_digest.as_slice())
        .fetch_optional(ex)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// Marks an open invite accepted; false when it was already used, withdrawn or expired.
pub async fn mark_accepted<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    id: &str,
    now: i64,
) -> Result<bool, DbError> {
    let done = sqlx::query(
        "UPDATE invites SET accepted_at = $2 \
         WHERE id = $1 AND accepted_at IS NULL AND revoked_at IS NULL AND expires_at > $2",
    )
    .bind(id)
    .bind(now)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// The open (not accepted, not withdrawn, not expired) invites of an organisation.
pub async fn list_open<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    org_id: &OrgId,
    now: i64,
) -> Result<Vec<Invite>, DbError> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM invites WHERE org_id = $1 AND accepted_at IS NULL \
         AND revoked_at IS NULL AND expires_at > $2 ORDER BY created_at DESC, id DESC"
    ));
    let rows = sqlx::query(sql)
        .bind(org_id.as_str())
        .bind(now)
        .fetch_all(ex)
        .await?;
    rows.iter().map(from_row).collect()
}

/// Withdraws an open invite of the organisation; false when there is none.
pub async fn revoke<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    org_id: &OrgId,
    id: &str,
    now: i64,
) -> Result<bool, DbError> {
    let done = sqlx::query(
        "UPDATE invites SET revoked_at = $3 \
         WHERE id = $1 AND org_id = $2 AND accepted_at IS NULL AND revoked_at IS NULL",
    )
    .bind(id)
    .bind(org_id.as_str())
    .bind(now)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Withdraws every open invite that `user_id` made in the organisation (they are no
/// longer an admin there: their invites lose the authority they carried). Returns the
/// withdrawn invites' ids and emails, for the audit log.
pub async fn revoke_made_by<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    org_id: &OrgId,
    user_id: &UserId,
    now: i64,
) -> Result<Vec<(String, String)>, DbError> {
    let rows = sqlx::query(
        "UPDATE invites SET revoked_at = $3 \
         WHERE org_id = $1 AND invited_by = $2 AND accepted_at IS NULL AND revoked_at IS NULL \
         AND expires_at > $3 RETURNING id, email",
    )
    .bind(org_id.as_str())
    .bind(user_id.as_str())
    .bind(now)
    .fetch_all(ex)
    .await?;
    rows.iter()
        .map(|r| Ok((r.try_get("id")?, r.try_get("email")?)))
        .collect()
}
