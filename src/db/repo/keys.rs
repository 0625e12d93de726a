//! API keys. Revocation is a soft delete; rotation links old and new keys.

use crate::db::DbError;
use crate::db::key_row::{COLUMNS, decode, decode_with_digest};
use crate::db::models::{ApiKeyRecord, NewApiKey};
use crate::domain::key_list::{KeyListQuery, KeySort, Page};
use crate::domain::status::EXPIRING_WINDOW_MS;
use crate::domain::{KeyId, KeyStatus, OrgId, ProjectId, UserId};
use sqlx::any::AnyRow;
use sqlx::{Any, AnyConnection, Executor, Row};
use std::future::Future;

fn from_row(row: &AnyRow) -> Result<ApiKeyRecord, DbError> {
    decode(row)
}

/// Inserts a key. A name already used by a live key of the same scope violates the
/// `api_keys_active_name` index.
pub async fn insert<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    k: &NewApiKey,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO api_keys (id, org_id, project_id, key_type, name, digest, hash_version, hint, \
         permissions, created_by, created_by_label, created_at, expires_at, rotated_from) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)",
    )
    .bind(k.id.as_str())
    .bind(k.org_id.as_str())
    .bind(k.project_id.as_ref().map(ProjectId::as_str))
    .bind(k.key_type.as_str())
    .bind(k.name.as_str())
    .bind(k.digest.as_slice())
    .bind(k.hash_version)
    .bind(k.hint.as_str())
    .bind(k.permissions.bits())
    .bind(k.created_by.as_ref().map(UserId::as_str))
    .bind(k.created_by_label.as_str())
    .bind(k.created_at)
    .bind(k.expires_at)
    .bind(k.rotated_from.as_ref().map(KeyId::as_str))
    .execute(ex)
    .await?;
    Ok(())
}

/// The key whose digest this is, with its stored digest (for the constant-time check).
pub async fn find_by_digest<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    digest: &[u8; 32],
) -> Result<Option<(ApiKeyRecord, Vec<u8>)>, DbError> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS}, digest FROM api_keys WHERE digest = $1"
    ));
    let row = sqlx::query(sql)
        .bind(digest.as_slice())
        .fetch_optional(ex)
        .await?;
    match row {
        Some(row) => Ok(Some(decode_with_digest(&row)?)),
        None => Ok(None),
    }
}

/// One key of an organisation.
pub async fn get<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    org_id: &OrgId,
    id: &KeyId,
) -> Result<Option<ApiKeyRecord>, DbError> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM api_keys WHERE id = $1 AND org_id = $2"
    ));
    let row = sqlx::query(sql)
        .bind(id.as_str())
        .bind(org_id.as_str())
        .fetch_optional(ex)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// A key by id alone: only for the operator CLI, which may act on any organisation.
pub async fn get_unscoped<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    id: &KeyId,
) -> Result<Option<ApiKeyRecord>, DbError> {
    let sql = sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM api_keys WHERE id = $1"));
    let row = sqlx::query(sql)
        .bind(id.as_str())
        .fetch_optional(ex)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// A key of an organisation `user_id` belongs to: scoped by the user's memberships in
/// the query itself, so an id from another tenant finds nothing.
pub async fn get_for_member<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    id: &KeyId,
    user_id: &UserId,
) -> Result<Option<ApiKeyRecord>, DbError> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM api_keys WHERE id = $1 \
         AND org_id IN (SELECT org_id FROM memberships WHERE user_id = $2)"
    ));
    let row = sqlx::query(sql)
        .bind(id.as_str())
        .bind(user_id.as_str())
        .fetch_optional(ex)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// One page of a key list: the keys of one project (`project_id` set, production and
/// development) or the organisation keys of an organisation, narrowed by the view's
/// filters and search, in its order. `now` decides each key's status.
pub async fn page(
    conn: &mut AnyConnection,
    org_id: &OrgId,
    project_id: Option<&ProjectId>,
    view: &KeyListQuery,
    now: i64,
) -> Result<Page<ApiKeyRecord>, DbError> {
    page_from(Pool(conn), org_id, project_id, view, now).await
}

/// [`page`], read through a SQLite connection on this thread (`db::sqlite_read`).
pub(crate) fn page_in_place(
    conn: &rusqlite::Connection,
    org_id: &OrgId,
    project_id: Option<&ProjectId>,
    view: &KeyListQuery,
    now: i64,
) -> Result<Page<ApiKeyRecord>, DbError> {
    let read = std::pin::pin!(page_from(InPlace(conn), org_id, project_id, view, now));
    // The in-place reader never waits, so the first poll finishes the page.
    let mut read = read;
    match read
        .as_mut()
        .poll(&mut std::task::Context::from_waker(std::task::Waker::noop()))
    {
        std::task::Poll::Ready(page) => page,
        std::task::Poll::Pending => Err(DbError::InPlace(rusqlite::Error::InvalidQuery)),
    }
}

/// Where a key page is read from: a pool connection ([`Pool`]), or SQLite in place
/// ([`InPlace`]). A trait rather than an enum, so the pool's future stays `Send`.
trait Reader {
    /// Rows that pass `filter`, counting no further than `cap`.
    async fn count(&mut self, filter: &str, binds: &[Bind], cap: u64) -> Result<u64, DbError>;
    /// The keys a `SELECT {COLUMNS} …` returns.
    async fn keys(&mut self, sql: String, binds: &[Bind]) -> Result<Vec<ApiKeyRecord>, DbError>;
}

fn count_sql(filter: &str, cap: u64) -> String {
    format!(
        "SELECT COUNT(*) AS n FROM (SELECT 1 FROM api_keys WHERE {filter} LIMIT {}) AS capped",
        i64::try_from(cap).unwrap_or(i64::MAX)
    )
}

struct Pool<'c>(&'c mut AnyConnection);

impl Reader for Pool<'_> {
    async fn count(&mut self, filter: &str, binds: &[Bind], cap: u64) -> Result<u64, DbError> {
        let sql = sqlx::AssertSqlSafe(count_sql(filter, cap));
        let row = bind_all(sqlx::query(sql), binds)
            .fetch_one(&mut *self.0)
            .await?;
        super::count_of(&row)
    }

    async fn keys(&mut self, sql: String, binds: &[Bind]) -> Result<Vec<ApiKeyRecord>, DbError> {
        let rows = bind_all(sqlx::query(sqlx::AssertSqlSafe(sql)), binds)
            .fetch_all(&mut *self.0)
            .await?;
        rows.iter().map(from_row).collect()
    }
}

struct InPlace<'c>(&'c rusqlite::Connection);

impl Reader for InPlace<'_> {
    async fn count(&mut self, filter: &str, binds: &[Bind], cap: u64) -> Result<u64, DbError> {
        let n: i64 = self
            .0
            .prepare_cached(&numbered(&count_sql(filter, cap)))?
            .query_row(in_place_params(binds), |row| row.get(0))?;
        Ok(u64::try_from(n).unwrap_or(0))
    }

    async fn keys(&mut self, sql: String, binds: &[Bind]) -> Result<Vec<ApiKeyRecord>, DbError> {
        let mut statement = self.0.prepare_cached(&numbered(&sql))?;
        let rows = statement.query_map(in_place_params(binds), |row| decode(row))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

/// The statement with SQLite's `?N` for each `$N` (the list queries hold no other `$`).
fn numbered(sql: &str) -> String {
    sql.replace('$', "?")
}

fn in_place_params(binds: &[Bind]) -> rusqlite::ParamsFromIter<Vec<rusqlite::types::Value>> {
    rusqlite::params_from_iter(
        binds
            .iter()
            .map(|b| match b {
                Bind::Text(t) => rusqlite::types::Value::Text(t.clone()),
                Bind::Int(i) => rusqlite::types::Value::Integer(*i),
            })
            .collect::<Vec<_>>(),
    )
}

async fn page_from(
    mut reader: impl Reader,
    org_id: &OrgId,
    project_id: Option<&ProjectId>,
    view: &KeyListQuery,
    now: i64,
) -> Result<Page<ApiKeyRecord>, DbError> {
    let mut binds = vec![Bind::Text(org_id.as_str().to_owned())];
    let mut scope = String::from("org_id = $1 AND ");
    match project_id {
        Some(p) => {
            binds.push(Bind::Text(p.as_str().to_owned()));
            scope.push_str("project_id = $2");
        }
        None => scope.push_str("project_id IS NULL"),
    }
    // Counting stops a few pages past this one: a count reads one index entry per row,
    // and 100,000 of them cost more than the whole page. Beyond that the list says "1000+".
    let cap = view
        .offset()
        .saturating_add(u64::from(view.per_page).saturating_mul(COUNT_PAGES))
        + 1;
    let total = reader.count(&scope, &binds, cap).await?;
    let mut filtered = scope;
    if let Some(t) = view.key_type {
        let p = param(&mut binds, Bind::Text(t.as_str().to_owned()));
        filtered.push_str(&format!(" AND key_type = {p}"));
    }
    if let Some(status) = view.status {
        let live = format!(
            "(revoked_at IS NULL OR revoked_at > {})",
            param(&mut binds, Bind::Int(now))
        );
        let cond = match status {
            KeyStatus::Revoked => format!("NOT {live}"),
            KeyStatus::Expired => format!(
                "{live} AND expires_at IS NOT NULL AND expires_at <= {}",
                param(&mut binds, Bind::Int(now))
            ),
            KeyStatus::Expiring => format!(
                "{live} AND expires_at > {} AND expires_at <= {}",
                param(&mut binds, Bind::Int(now)),
                param(
                    &mut binds,
                    Bind::Int(now.saturating_add(EXPIRING_WINDOW_MS))
                )
            ),
            KeyStatus::Active => format!(
                "{live} AND (expires_at IS NULL OR expires_at > {})",
                param(
                    &mut binds,
                    Bind::Int(now.saturating_add(EXPIRING_WINDOW_MS))
                )
            ),
        };
        filtered.push_str(&format!(" AND {cond}"));
    }
    if let Some(search) = &view.search {
        let p = param(&mut binds, Bind::Text(super::like_pattern(search)));
        filtered.push_str(&format!(
            " AND (LOWER(name) LIKE {p} ESCAPE '\\' OR LOWER(hint) LIKE {p} ESCAPE '\\')"
        ));
    }
    let matching = if view.is_filtering() {
        reader.count(&filtered, &binds, cap).await?
    } else {
        total
    };
    let window = super::Window::of(view.at(), matching);
    let limit = param(&mut binds, Bind::Int(window.limit));
    let skip = param(&mut binds, Bind::Int(window.offset));
    let dir = if view.desc { "DESC" } else { "ASC" };
    let order = match view.sort {
        KeySort::Created => format!("created_at {dir}, id {dir}"),
        KeySort::Name => format!("LOWER(name) {dir}, id {dir}"),
        // Never used sorts before any use: last when newest first.
        KeySort::LastUsed => {
            format!("COALESCE(last_used_at, -1) {dir}, created_at {dir}, id {dir}")
        }
        // Never expires sorts after any date: last when soonest first.
        KeySort::Expires => {
            format!("COALESCE(expires_at, {}) {dir}, id {dir}", i64::MAX)
        }
    };
    let sql = format!(
        "SELECT {COLUMNS} FROM api_keys WHERE {filtered} ORDER BY {order} LIMIT {limit} OFFSET {skip}"
    );
    let rows = reader.keys(sql, &binds).await?;
    let (more, total_more) = (matching >= cap, total >= cap);
    Ok(Page {
        rows,
        matching: matching.min(cap - 1),
        total: total.min(cap - 1),
        page: window.page,
        more,
        total_more,
    })
}

/// Adds a bound value; its `$n`.
fn param(binds: &mut Vec<Bind>, value: Bind) -> String {
    binds.push(value);
    format!("${}", binds.len())
}

/// Every key of a project, newest first (tests).
#[cfg(feature = "test-support")]
pub async fn list_for_project(
    pool: &sqlx::AnyPool,
    org_id: &OrgId,
    project_id: &ProjectId,
) -> Result<Vec<ApiKeyRecord>, DbError> {
    let mut conn = pool.acquire().await?;
    let view = KeyListQuery::all();
    Ok(page(&mut conn, org_id, Some(project_id), &view, 0)
        .await?
        .rows)
}

/// Every organisation key of an organisation, newest first (tests).
#[cfg(feature = "test-support")]
pub async fn list_for_org(
    pool: &sqlx::AnyPool,
    org_id: &OrgId,
) -> Result<Vec<ApiKeyRecord>, DbError> {
    let mut conn = pool.acquire().await?;
    Ok(page(&mut conn, org_id, None, &KeyListQuery::all(), 0)
        .await?
        .rows)
}

/// A value bound to a list query's `$n`.
enum Bind {
    Text(String),
    Int(i64),
}

fn bind_all<'q>(
    mut query: sqlx::query::Query<'q, Any, sqlx::any::AnyArguments>,
    binds: &[Bind],
) -> sqlx::query::Query<'q, Any, sqlx::any::AnyArguments> {
    for b in binds {
        query = match b {
            Bind::Text(t) => query.bind(t.clone()),
            Bind::Int(i) => query.bind(*i),
        };
    }
    query
}

/// Pages counted past the one shown (see [`page`]).
const COUNT_PAGES: u64 = 20;

/// Revokes a live key of the organisation. Returns false when there is no such key or it
/// was already revoked (the first revocation's time and actor are kept).
pub async fn revoke<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    org_id: &OrgId,
    id: &KeyId,
    now: i64,
    by_label: &str,
) -> Result<bool, DbError> {
    let done = sqlx::query(
        "UPDATE api_keys SET revoked_at = $3, revoked_by_label = $4 \
         WHERE id = $1 AND org_id = $2 AND revoked_at IS NULL",
    )
    .bind(id.as_str())
    .bind(org_id.as_str())
    .bind(now)
    .bind(by_label)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Marks a key as replaced by `new_id` and makes it stop working at `expires_at`.
/// Returns false when the key is not live (revoked or already rotated).
pub async fn mark_replaced<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    org_id: &OrgId,
    id: &KeyId,
    new_id: &KeyId,
    expires_at: i64,
) -> Result<bool, DbError> {
    let done = sqlx::query(
        "UPDATE api_keys SET replaced_by = $3, expires_at = $4 \
         WHERE id = $1 AND org_id = $2 AND revoked_at IS NULL AND replaced_by IS NULL",
    )
    .bind(id.as_str())
    .bind(org_id.as_str())
    .bind(new_id.as_str())
    .bind(expires_at)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Records last-used times gathered in memory, keeping the later of stored and new.
pub async fn touch_last_used<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    id: &KeyId,
    used_at: i64,
) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE api_keys SET last_used_at = $2 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $2)",
    )
    .bind(id.as_str())
    .bind(used_at)
    .execute(ex)
    .await?;
    Ok(())
}

/// How many keys that are not revoked were digested under a scheme version.
pub async fn count_live_by_hash_version<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    hash_version: i64,
) -> Result<i64, DbError> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS n FROM api_keys WHERE hash_version = $1 AND revoked_at IS NULL",
    )
    .bind(hash_version)
    .fetch_one(ex)
    .await?;
    Ok(row.try_get("n")?)
}
