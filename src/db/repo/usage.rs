//! Key usage: requests per key, bucket and outcome (see the `key_usage` migration).
//! Counts are added, never overwritten, so every instance's batches add up.

use crate::db::DbError;
use crate::domain::usage::Outcome;
use crate::domain::{KeyId, PermissionSet};
use sqlx::{Any, Executor, Row};

/// A usage table: per minute, or per hour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Buckets {
    /// `key_usage_minutes`.
    Minutes,
    /// `key_usage_hours`.
    Hours,
}

impl Buckets {
    fn table(self) -> &'static str {
        match self {
            Self::Minutes => "key_usage_minutes",
            Self::Hours => "key_usage_hours",
        }
    }

    /// One bucket's width, in ms.
    pub const fn width_ms(self) -> i64 {
        match self {
            Self::Minutes => 60_000,
            Self::Hours => 3_600_000,
        }
    }
}

/// Requests of one key in one bucket with one outcome, and the permissions they asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UsageRow {
    /// The key.
    pub key_id: KeyId,
    /// The bucket's start (unix ms).
    pub bucket_start: i64,
    /// The outcome.
    pub outcome: Outcome,
    /// How many requests.
    pub requests: u64,
    /// The permissions they asked for.
    pub permissions: PermissionSet,
}

/// Rows per `INSERT`: 5 values each, far below either backend's limit on parameters.
const ROWS_PER_INSERT: usize = 400;

/// Adds `rows` to `buckets`: a row already there gets the requests added and the
/// permissions OR'd. The rows must be unique by key, bucket and outcome; callers sort them
/// so concurrent writers take row locks in one order (no deadlock on PostgreSQL).
pub async fn add(
    conn: &mut sqlx::AnyConnection,
    buckets: Buckets,
    rows: &[UsageRow],
) -> Result<(), DbError> {
    let table = buckets.table();
    for chunk in rows.chunks(ROWS_PER_INSERT) {
        let mut sql = format!(
            "INSERT INTO {table} (key_id, bucket_start, code, requests, permissions) VALUES "
        );
        for i in 0..chunk.len() {
            let p = i * 5;
            if i > 0 {
                sql.push_str(", ");
            }
            sql.push_str(&format!(
                "(${}, ${}, ${}, ${}, ${})",
                p + 1,
                p + 2,
                p + 3,
                p + 4,
                p + 5
            ));
        }
        sql.push_str(&format!(
            " ON CONFLICT (key_id, bucket_start, code) DO UPDATE SET \
             requests = {table}.requests + excluded.requests, \
             permissions = {table}.permissions | excluded.permissions"
        ));
        // Not kept prepared: each row count is its own statement, and SQLite's compiled
        // program for a few hundred rows takes tens of KiB. The connections' statement
        // caches would keep one per row count seen, megabytes in all that grew with the
        // number of keys in use.
        let mut query = sqlx::query(sqlx::AssertSqlSafe(sql)).persistent(false);
        for row in chunk {
            query = query
                .bind(row.key_id.as_str())
                .bind(row.bucket_start)
                .bind(row.outcome.as_str())
                .bind(i64::try_from(row.requests).unwrap_or(i64::MAX))
                .bind(row.permissions.bits());
        }
        query.execute(&mut *conn).await?;
    }
    Ok(())
}

/// Requests of `key_id` in `buckets` from `from` (inclusive) on, per outcome and span of
/// `width_ms` (a multiple of the buckets' own width; spans start at multiples of it since
/// the epoch, as a chart's buckets do), oldest first. Summed in the database: a 30-day
/// chart reads 30 rows per outcome, not 720.
pub async fn series<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    buckets: Buckets,
    key_id: &KeyId,
    from: i64,
    width_ms: i64,
) -> Result<Vec<(i64, Outcome, u64)>, DbError> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT bucket_start - bucket_start % $3 AS span, code, CAST(SUM(requests) AS BIGINT) AS n \
         FROM {} WHERE key_id = $1 AND bucket_start >= $2 GROUP BY span, code ORDER BY span",
        buckets.table()
    ));
    let rows = sqlx::query(sql)
        .bind(key_id.as_str())
        .bind(from)
        .bind(width_ms)
        .fetch_all(ex)
        .await?;
    rows.iter()
        .map(|row| {
            let code: String = row.try_get("code")?;
            let outcome = Outcome::from_code(&code).ok_or(DbError::Corrupt { column: "code" })?;
            let requests: i64 = row.try_get("n")?;
            Ok((
                row.try_get("span")?,
                outcome,
                u64::try_from(requests).unwrap_or(0),
            ))
        })
        .collect()
}

/// Every permission `key_id`'s requests asked for in `buckets` from `from` on.
pub async fn asked_since<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    buckets: Buckets,
    key_id: &KeyId,
    from: i64,
) -> Result<PermissionSet, DbError> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT DISTINCT permissions FROM {} WHERE key_id = $1 AND bucket_start >= $2",
        buckets.table()
    ));
    let rows = sqlx::query(sql)
        .bind(key_id.as_str())
        .bind(from)
        .fetch_all(ex)
        .await?;
    let mut asked = PermissionSet::empty();
    for row in &rows {
        let bits: i64 = row.try_get("permissions")?;
        asked = asked.union(PermissionSet::from_bits(bits).ok_or(DbError::Corrupt {
            column: "permissions",
        })?);
    }
    Ok(asked)
}

/// Requests per key for `key_ids` in `buckets` from `from` on (keys with none are left out).
pub async fn totals<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    buckets: Buckets,
    key_ids: &[KeyId],
    from: i64,
) -> Result<Vec<(KeyId, u64)>, DbError> {
    if key_ids.is_empty() {
        return Ok(Vec::new());
    }
    let list: Vec<String> = (0..key_ids.len()).map(|i| format!("${}", i + 2)).collect();
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT key_id, CAST(SUM(requests) AS BIGINT) AS n FROM {} WHERE bucket_start >= $1 AND key_id IN ({}) GROUP BY key_id",
        buckets.table(),
        list.join(", ")
    ));
    // One statement per list length: not kept prepared (see `add`).
    let mut query = sqlx::query(sql).persistent(false).bind(from);
    for id in key_ids {
        query = query.bind(id.as_str());
    }
    let rows = query.fetch_all(ex).await?;
    rows.iter()
        .map(|row| {
            let n: i64 = row.try_get("n")?;
            Ok((KeyId(row.try_get("key_id")?), u64::try_from(n).unwrap_or(0)))
        })
        .collect()
}

/// Deletes the rows of `buckets` that start before `before`. Returns how many went.
pub async fn prune<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    buckets: Buckets,
    before: i64,
) -> Result<u64, DbError> {
    let sql = sqlx::AssertSqlSafe(format!(
        "DELETE FROM {} WHERE bucket_start < $1",
        buckets.table()
    ));
    Ok(sqlx::query(sql)
        .bind(before)
        .execute(ex)
        .await?
        .rows_affected())
}

/// Records the client of a key's latest platform API call.
pub async fn set_last_client<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    key_id: &KeyId,
    ip: Option<&str>,
    user_agent: Option<&str>,
) -> Result<(), DbError> {
    sqlx::query("UPDATE api_keys SET last_client_ip = $2, last_user_agent = $3 WHERE id = $1")
        .bind(key_id.as_str())
        .bind(ip)
        .bind(user_agent)
        .execute(ex)
        .await?;
    Ok(())
}

/// The client of a key's latest platform API call: address and user agent.
pub async fn last_client<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    key_id: &KeyId,
) -> Result<(Option<String>, Option<String>), DbError> {
    let row = sqlx::query("SELECT last_client_ip, last_user_agent FROM api_keys WHERE id = $1")
        .bind(key_id.as_str())
        .fetch_optional(ex)
        .await?;
    match row {
        Some(row) => Ok((
            row.try_get("last_client_ip")?,
            row.try_get("last_user_agent")?,
        )),
        None => Ok((None, None)),
    }
}
