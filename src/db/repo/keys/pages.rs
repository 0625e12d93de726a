//! Key list pages: one page of a project's or an organisation's keys, filtered, searched
//! and sorted in SQL, read through the pool or, on SQLite, in place (see [`Reader`]).

use crate::db::DbError;
use crate::db::key_row::{COLUMNS, decode};
use crate::db::models::ApiKeyRecord;
use crate::db::repo::{Window, count_of, like_pattern};
use crate::domain::key_list::{KeyListQuery, KeySort, Page};
use crate::domain::status::EXPIRING_WINDOW_MS;
use crate::domain::{KeyStatus, OrgId, ProjectId};
use sqlx::{Any, AnyConnection};
use std::future::Future;

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
        count_of(&row)
    }

    async fn keys(&mut self, sql: String, binds: &[Bind]) -> Result<Vec<ApiKeyRecord>, DbError> {
        let rows = bind_all(sqlx::query(sqlx::AssertSqlSafe(sql)), binds)
            .fetch_all(&mut *self.0)
            .await?;
        rows.iter().map(decode).collect()
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
    let scope = match project_id {
        Some(p) => {
            binds.push(Bind::Text(p.as_str().to_owned()));
            "org_id = $1 AND project_id = $2"
        }
        None => "org_id = $1 AND project_id IS NULL",
    };
    // Counting stops a few pages past this one: a count reads one index entry per row,
    // and 100,000 of them cost more than the whole page. Beyond that the list says "1000+".
    let cap = view
        .offset()
        .saturating_add(u64::from(view.per_page).saturating_mul(COUNT_PAGES))
        + 1;
    let total = reader.count(scope, &binds, cap).await?;
    let filtered = format!("{scope}{}", view_filter(view, now, &mut binds));
    let matching = if view.is_filtering() {
        reader.count(&filtered, &binds, cap).await?
    } else {
        total
    };
    let window = Window::of(view.at(), matching);
    // Nothing matches: no second pass over the rows for an empty page.
    let rows = if matching == 0 {
        Vec::new()
    } else {
        let limit = param(&mut binds, Bind::Int(window.limit));
        let skip = param(&mut binds, Bind::Int(window.offset));
        let order = order_by(view);
        let sql = format!(
            "SELECT {COLUMNS} FROM api_keys WHERE {filtered} ORDER BY {order} LIMIT {limit} OFFSET {skip}"
        );
        reader.keys(sql, &binds).await?
    };
    Ok(Page {
        rows,
        matching: matching.min(cap - 1),
        total: total.min(cap - 1),
        page: window.page,
        more: matching >= cap,
        total_more: total >= cap,
    })
}

/// The `AND …` conditions of the view's type, status and search (empty for none), their
/// values added to `binds`.
fn view_filter(view: &KeyListQuery, now: i64, binds: &mut Vec<Bind>) -> String {
    let mut filter = String::new();
    if let Some(t) = view.key_type {
        let p = param(binds, Bind::Text(t.as_str().to_owned()));
        filter.push_str(&format!(" AND key_type = {p}"));
    }
    if let Some(status) = view.status {
        filter.push_str(&format!(" AND {}", status_filter(status, now, binds)));
    }
    if let Some(search) = &view.search {
        let p = param(binds, Bind::Text(like_pattern(search)));
        filter.push_str(&format!(
            " AND (LOWER(name) LIKE {p} ESCAPE '\\' OR LOWER(hint) LIKE {p} ESCAPE '\\')"
        ));
    }
    filter
}

/// The condition for keys in `status` at `now` (as `KeyStatus::at` decides it), written
/// so the timestamp indexes after the scope (`api_keys_revoked`, `api_keys_expires`) can
/// seek to it: a comparison with NULL is never true, so `revoked_at <= now` holds only
/// for keys revoked by then.
fn status_filter(status: KeyStatus, now: i64, binds: &mut Vec<Bind>) -> String {
    let now_p = param(binds, Bind::Int(now));
    let live = format!("(revoked_at IS NULL OR revoked_at > {now_p})");
    let enabled = "disabled_at IS NULL";
    match status {
        KeyStatus::Revoked => format!("revoked_at <= {now_p}"),
        KeyStatus::Expired => format!("{live} AND expires_at <= {now_p}"),
        KeyStatus::Disabled => format!(
            "{live} AND disabled_at IS NOT NULL AND (expires_at IS NULL OR expires_at > {now_p})"
        ),
        KeyStatus::Expiring => format!(
            "{live} AND {enabled} AND expires_at > {now_p} AND expires_at <= {}",
            param(binds, Bind::Int(now.saturating_add(EXPIRING_WINDOW_MS)))
        ),
        KeyStatus::Active => format!(
            "{live} AND {enabled} AND (expires_at IS NULL OR expires_at > {})",
            param(binds, Bind::Int(now.saturating_add(EXPIRING_WINDOW_MS)))
        ),
    }
}

/// The `ORDER BY` of the view's sort; the id breaks ties, so pages never overlap.
fn order_by(view: &KeyListQuery) -> String {
    let dir = if view.desc { "DESC" } else { "ASC" };
    match view.sort {
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
    }
}

/// Adds a bound value; its `$n`.
fn param(binds: &mut Vec<Bind>, value: Bind) -> String {
    binds.push(value);
    format!("${}", binds.len())
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
