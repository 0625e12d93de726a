//! The audit log: insert and read, never update or delete (triggers enforce it).

use crate::db::DbError;
use crate::db::models::AuditEvent;
use crate::domain::key_list::{Page, PageRequest};
use crate::domain::{OrgId, UserId};
use sqlx::any::AnyRow;
use sqlx::{Any, AnyConnection, Executor, Row};

fn from_row(row: &AnyRow) -> Result<AuditEvent, DbError> {
    Ok(AuditEvent {
        id: row.try_get("id")?,
        org_id: row.try_get::<Option<String>, _>("org_id")?.map(OrgId),
        actor_user_id: row
            .try_get::<Option<String>, _>("actor_user_id")?
            .map(UserId),
        actor_label: row.try_get("actor_label")?,
        action: row.try_get("action")?,
        target_type: row.try_get("target_type")?,
        target_id: row.try_get("target_id")?,
        target_label: row.try_get("target_label")?,
        details: row.try_get("details")?,
        ip: row.try_get("ip")?,
        user_agent: row.try_get("user_agent")?,
        occurred_at: row.try_get("occurred_at")?,
    })
}

/// Appends an event.
pub async fn insert<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    e: &AuditEvent,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO audit_events (id, org_id, actor_user_id, actor_label, action, target_type, target_id, \
         target_label, details, ip, user_agent, occurred_at) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)",
    )
    .bind(e.id.as_str())
    .bind(e.org_id.as_ref().map(OrgId::as_str))
    .bind(e.actor_user_id.as_ref().map(UserId::as_str))
    .bind(e.actor_label.as_str())
    .bind(e.action.as_str())
    .bind(e.target_type.as_deref())
    .bind(e.target_id.as_deref())
    .bind(e.target_label.as_deref())
    .bind(e.details.as_deref())
    .bind(e.ip.as_deref())
    .bind(e.user_agent.as_deref())
    .bind(e.occurred_at)
    .execute(ex)
    .await?;
    Ok(())
}

/// Filters for reading the log.
#[derive(Clone, Debug, Default)]
pub struct AuditFilter {
    /// Only this action (e.g. `key.revoke`).
    pub action: Option<String>,
    /// Only events whose action starts with this (e.g. `key.`).
    pub action_prefix: Option<String>,
    /// Only this target id.
    pub target_id: Option<String>,
    /// Only events older than this id (pagination, newest first).
    pub before_id: Option<String>,
    /// Only events whose actor, target or action contains this text (any case).
    pub search: Option<String>,
}

/// The filters of [`AuditFilter`], `$1`–`$6`. Optional filters are written as
/// `($n IS NULL OR …)` so the statement text is fixed and every value stays a bound
/// parameter. The prefix is compared with `substr`, not `LIKE`: SQLite's LIKE ignores
/// ASCII case and both treat `_`/`%` as wildcards, so LIKE would match differently per
/// backend. The search is a `LIKE` on lower-cased text with those characters escaped.
const WHERE: &str = "WHERE org_id = $1 \
       AND ($2 IS NULL OR action = $2) \
       AND ($3 IS NULL OR substr(action, 1, length($3)) = $3) \
       AND ($4 IS NULL OR target_id = $4) \
       AND ($5 IS NULL OR id < $5) \
       AND ($6 IS NULL OR LOWER(actor_label) LIKE $6 ESCAPE '\\' \
            OR LOWER(COALESCE(target_label, '')) LIKE $6 ESCAPE '\\' \
            OR LOWER(action) LIKE $6 ESCAPE '\\')";

fn bind_filter<'q>(
    query: sqlx::query::Query<'q, Any, sqlx::any::AnyArguments>,
    org_id: &OrgId,
    filter: &AuditFilter,
) -> sqlx::query::Query<'q, Any, sqlx::any::AnyArguments> {
    query
        .bind(org_id.as_str().to_owned())
        .bind(filter.action.clone())
        .bind(filter.action_prefix.clone())
        .bind(filter.target_id.clone())
        .bind(filter.before_id.clone())
        .bind(filter.search.as_deref().map(super::like_pattern))
}

const COLUMNS: &str = "id, org_id, actor_user_id, actor_label, action, target_type, target_id, \
    target_label, details, ip, user_agent, occurred_at";

/// An organisation's events, newest first, at most `limit`.
pub async fn list<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    org_id: &OrgId,
    filter: &AuditFilter,
    limit: i64,
) -> Result<Vec<AuditEvent>, DbError> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM audit_events {WHERE} ORDER BY id DESC LIMIT $7"
    ));
    let rows = bind_filter(sqlx::query(sql), org_id, filter)
        .bind(limit)
        .fetch_all(ex)
        .await?;
    rows.iter().map(from_row).collect()
}

/// One page of an organisation's events, newest first, with how many match.
pub async fn page(
    conn: &mut AnyConnection,
    org_id: &OrgId,
    filter: &AuditFilter,
    at: PageRequest,
) -> Result<Page<AuditEvent>, DbError> {
    let sql = sqlx::AssertSqlSafe(format!("SELECT COUNT(*) AS n FROM audit_events {WHERE}"));
    let row = bind_filter(sqlx::query(sql), org_id, filter)
        .fetch_one(&mut *conn)
        .await?;
    let matching = super::count_of(&row)?;
    let window = super::Window::of(at, matching);
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM audit_events {WHERE} ORDER BY id DESC LIMIT $7 OFFSET $8"
    ));
    let rows = bind_filter(sqlx::query(sql), org_id, filter)
        .bind(window.limit)
        .bind(window.offset)
        .fetch_all(&mut *conn)
        .await?;
    Ok(Page {
        rows: rows.iter().map(from_row).collect::<Result<_, _>>()?,
        matching,
        total: matching,
        page: window.page,
        more: false,
        total_more: false,
    })
}
