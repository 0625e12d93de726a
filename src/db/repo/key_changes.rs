//! The record of key changes that running servers poll (SQLite) to keep their key caches
//! fresh. See the `key_changes` migration.

use crate::db::DbError;
use crate::domain::KeyId;
use sqlx::{Any, Executor, Row};

/// The PostgreSQL channel on which a committed key change is announced (the payload is
/// the key's id); every serving instance LISTENs on it.
pub const CHANNEL: &str = "gtx_key_changed";

/// Announces on [`CHANNEL`] that a key changed (PostgreSQL only). Inside a transaction
/// the database delivers it when, and only if, the transaction commits.
pub async fn notify<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    key_id: &KeyId,
) -> Result<(), DbError> {
    // Wrapped so the row has an integer column: `sqlx::Any` cannot decode `void`.
    sqlx::query("SELECT 1 AS sent FROM (SELECT pg_notify($1, $2)) AS n")
        .bind(CHANNEL)
        .bind(key_id.as_str())
        .execute(ex)
        .await?;
    Ok(())
}

/// Records that a key changed.
pub async fn insert<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    key_id: &KeyId,
    now: i64,
) -> Result<(), DbError> {
    sqlx::query("INSERT INTO key_changes (key_id, changed_at) VALUES ($1, $2)")
        .bind(key_id.as_str())
        .bind(now)
        .execute(ex)
        .await?;
    Ok(())
}

/// The latest change's sequence number (0 when there is none).
pub async fn latest_seq<'e, E: Executor<'e, Database = Any>>(ex: E) -> Result<i64, DbError> {
    let row = sqlx::query("SELECT COALESCE(MAX(seq), 0) AS seq FROM key_changes")
        .fetch_one(ex)
        .await?;
    Ok(row.try_get("seq")?)
}

/// The changes after `seq`, oldest first, at most `limit` of them.
pub async fn since<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    seq: i64,
    limit: i64,
) -> Result<Vec<(i64, KeyId)>, DbError> {
    let rows =
        sqlx::query("SELECT seq, key_id FROM key_changes WHERE seq > $1 ORDER BY seq LIMIT $2")
            .bind(seq)
            .bind(limit)
            .fetch_all(ex)
            .await?;
    rows.iter()
        .map(|row| Ok((row.try_get("seq")?, KeyId(row.try_get("key_id")?))))
        .collect()
}

/// Deletes the changes recorded before `before` (unix ms). Returns how many went.
pub async fn prune<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    before: i64,
) -> Result<u64, DbError> {
    let done = sqlx::query("DELETE FROM key_changes WHERE changed_at < $1")
        .bind(before)
        .execute(ex)
        .await?;
    Ok(done.rows_affected())
}
