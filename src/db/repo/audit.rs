//! The audit log: insert and read, never update or delete (triggers enforce it).

use crate::db::DbError;
use crate::db::models::AuditEvent;
use crate::domain::{OrgId, UserId};
use sqlx::any::AnyRow;
use sqlx::{Any, Executor, Row};

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
}

/// An organisation's events, newest first, at most `limit`.
pub async fn list<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    org_id: &OrgId,
    filter: &AuditFilter,
    limit: i64,
) -> Result<Vec<AuditEvent>, DbError> {
    // Optional filters are written as `($n IS NULL OR col = $n)` so the statement text is
    // fixed and every value stays a bound parameter. The prefix is compared with `substr`,
    // not `LIKE`: SQLite's LIKE ignores ASCII case and both treat `_`/`%` as wildcards, so
    // LIKE would match differently per backend.
    let rows = sqlx::query(
        "SELECT id, org_id, actor_user_id, actor_label, action, target_type, target_id, target_label, \
         details, ip, user_agent, occurred_at FROM audit_events \
         WHERE org_id = $1 \
           AND ($2 IS NULL OR action = $2) \
           AND ($3 IS NULL OR substr(action, 1, length($3)) = $3) \
           AND ($4 IS NULL OR target_id = $4) \
           AND ($5 IS NULL OR id < $5) \
         ORDER BY id DESC LIMIT $6",
    )
    .bind(org_id.as_str())
    .bind(filter.action.as_deref())
    .bind(filter.action_prefix.as_deref())
    .bind(filter.target_id.as_deref())
    .bind(filter.before_id.as_deref())
    .bind(limit)
    .fetch_all(ex)
    .await?;
    rows.iter().map(from_row).collect()
}
