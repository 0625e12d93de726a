//! The stored check value of the server secret.

use crate::db::DbError;
use sqlx::{Any, Executor, Row};

/// The check value stored for a digest scheme version, if any.
pub async fn get<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    hash_version: i64,
) -> Result<Option<Vec<u8>>, DbError> {
    let row = sqlx::query("SELECT check_value FROM server_secret_checks WHERE hash_version = $1")
        .bind(hash_version)
        .fetch_optional(ex)
        .await?;
    Ok(row.map(|r| r.try_get("check_value")).transpose()?)
}

/// Stores (or replaces) the check value for a version.
pub async fn put<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    hash_version: i64,
    check_value: &[u8],
    now: i64,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO server_secret_checks (hash_version, check_value, created_at) VALUES ($1, $2, $3) \
         ON CONFLICT (hash_version) DO UPDATE SET check_value = excluded.check_value, created_at = excluded.created_at",
    )
    .bind(hash_version)
    .bind(check_value)
    .bind(now)
    .execute(ex)
    .await?;
    Ok(())
}
