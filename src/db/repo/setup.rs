//! The first-run setup claim (one row at most; see the `setup_claim` migration).

use crate::db::DbError;
use sqlx::{Any, Executor};

/// Claims first-run setup inside the caller's transaction: `true` for the one caller
/// that gets the row. On PostgreSQL a racing claim waits for the winner's transaction
/// and then finds the row taken; on SQLite writers run one at a time.
pub async fn claim<'e, E: Executor<'e, Database = Any>>(ex: E, now: i64) -> Result<bool, DbError> {
    let done = sqlx::query(
        "INSERT INTO setup_claim (id, claimed_at) VALUES (1, $1) ON CONFLICT (id) DO NOTHING",
    )
    .bind(now)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}
