//! Webhook endpoints, the outbox of events, and their deliveries. See the `webhooks`
//! migration.

use crate::db::DbError;
use crate::domain::OrgId;
use sqlx::{Any, Executor, Row};

/// An endpoint as stored (its secret sealed).
#[derive(Clone, Debug)]
pub struct EndpointRow {
    /// Id.
    pub id: String,
    /// Organisation.
    pub org_id: OrgId,
    /// Where deliveries go.
    pub url: String,
    /// Event types it wants; empty for every type.
    pub events: Vec<String>,
    /// Hex of the sealed signing secret.
    pub sealed_secret: String,
    /// Whether deliveries are made.
    pub enabled: bool,
    /// When it was added.
    pub created_at: i64,
    /// Who added it.
    pub created_by_label: String,
}

fn endpoint(row: &sqlx::any::AnyRow) -> Result<EndpointRow, DbError> {
    let events: String = row.try_get("events")?;
    Ok(EndpointRow {
        id: row.try_get("id")?,
        org_id: OrgId(row.try_get("org_id")?),
        url: row.try_get("url")?,
        events: events
            .split(',')
            .filter(|e| !e.is_empty())
            .map(str::to_owned)
            .collect(),
        sealed_secret: row.try_get("sealed_secret")?,
        enabled: row.try_get::<i32, _>("enabled")? != 0,
        created_at: row.try_get("created_at")?,
        created_by_label: row.try_get("created_by_label")?,
    })
}

/// Adds an endpoint.
pub async fn insert_endpoint<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    e: &EndpointRow,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO webhook_endpoints (id, org_id, url, events, sealed_secret, enabled, \
         created_at, created_by_label) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
    )
    .bind(&e.id)
    .bind(e.org_id.as_str())
    .bind(&e.url)
    .bind(e.events.join(","))
    .bind(&e.sealed_secret)
    .bind(i32::from(e.enabled))
    .bind(e.created_at)
    .bind(&e.created_by_label)
    .execute(ex)
    .await?;
    Ok(())
}

/// An organisation's endpoints, oldest first.
pub async fn list_endpoints<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    org_id: &OrgId,
) -> Result<Vec<EndpointRow>, DbError> {
    let rows = sqlx::query(
        "SELECT id, org_id, url, events, sealed_secret, enabled, created_at, created_by_label \
         FROM webhook_endpoints WHERE org_id = $1 ORDER BY created_at, id",
    )
    .bind(org_id.as_str())
    .fetch_all(ex)
    .await?;
    rows.iter().map(endpoint).collect()
}

/// Whether an enabled endpoint of the organisation wants events of this type: callers
/// ask first, so the outbox holds only what will be delivered and a change nobody
/// listens to costs one query.
pub async fn wants(
    tx: &mut sqlx::Transaction<'static, Any>,
    org_id: &OrgId,
    event_type: &str,
) -> Result<bool, DbError> {
    let n: i64 = sqlx::query(
        "SELECT COUNT(*) AS n FROM webhook_endpoints WHERE org_id = $1 AND enabled = 1 \
         AND (events = '' OR ',' || events || ',' LIKE '%,' || $2 || ',%')",
    )
    .bind(org_id.as_str())
    .bind(event_type)
    .fetch_one(&mut **tx)
    .await?
    .try_get("n")?;
    Ok(n > 0)
}

/// Writes an event to the outbox with a delivery for every enabled endpoint of its
/// organisation that wants its type (or for `only_endpoint` alone), all due now. Call it
/// inside the change's own transaction, after [`wants`]. Returns how many deliveries
/// were queued.
pub async fn insert_event(
    tx: &mut sqlx::Transaction<'static, Any>,
    id: &str,
    org_id: &OrgId,
    event_type: &str,
    body: &str,
    now: i64,
    only_endpoint: Option<&str>,
) -> Result<u64, DbError> {
    sqlx::query(
        "INSERT INTO webhook_events (id, org_id, event_type, body, created_at) \
         VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(id)
    .bind(org_id.as_str())
    .bind(event_type)
    .bind(body)
    .bind(now)
    .execute(&mut **tx)
    .await?;
    let queued = sqlx::query(
        "INSERT INTO webhook_deliveries (id, event_id, endpoint_id, state, attempts, \
         next_attempt_at) \
         SELECT $1 || ':' || id, $1, id, 'pending', 0, $2 FROM webhook_endpoints \
         WHERE org_id = $3 AND enabled = 1 \
         AND ((events = '' OR ',' || events || ',' LIKE '%,' || $4 || ',%') AND $5 = '' \
              OR id = $5)",
    )
    .bind(id)
    .bind(now)
    .bind(org_id.as_str())
    .bind(event_type)
    .bind(only_endpoint.unwrap_or(""))
    .execute(&mut **tx)
    .await?;
    Ok(queued.rows_affected())
}

/// A delivery claimed for one attempt, with what sending it needs.
#[derive(Clone, Debug)]
pub struct ClaimedDelivery {
    /// The delivery.
    pub id: String,
    /// The event's id: the `webhook-id` of every attempt.
    pub event_id: String,
    /// The event's type.
    pub event_type: String,
    /// The body to send.
    pub body: String,
    /// When the event happened (unix ms).
    pub created_at: i64,
    /// The endpoint.
    pub endpoint_id: String,
    /// Where to send it.
    pub url: String,
    /// Hex of the endpoint's sealed signing secret.
    pub sealed_secret: String,
    /// Attempts made before this one.
    pub attempts: i32,
}

/// Claims up to `limit` due deliveries for one attempt each: a lease until `lease_until`
/// that no other instance takes (PostgreSQL skips rows another claim has locked; SQLite
/// runs one writer at a time). A lease that runs out (its instance died mid-attempt)
/// makes the delivery due again.
pub async fn claim_due(
    tx: &mut sqlx::Transaction<'static, Any>,
    postgres: bool,
    now: i64,
    lease_until: i64,
    limit: i64,
) -> Result<Vec<ClaimedDelivery>, DbError> {
    let pick = if postgres {
        "SELECT id FROM webhook_deliveries WHERE state = 'pending' AND next_attempt_at <= $1 \
         AND (locked_until IS NULL OR locked_until <= $1) ORDER BY next_attempt_at LIMIT $3 \
         FOR UPDATE SKIP LOCKED"
    } else {
        "SELECT id FROM webhook_deliveries WHERE state = 'pending' AND next_attempt_at <= $1 \
         AND (locked_until IS NULL OR locked_until <= $1) ORDER BY next_attempt_at LIMIT $3"
    };
    let ids: Vec<String> = sqlx::query(pick)
        .bind(now)
        .bind(lease_until)
        .bind(limit)
        .fetch_all(&mut **tx)
        .await?
        .iter()
        .map(|r| r.try_get("id"))
        .collect::<Result<_, _>>()?;
    let mut claimed = Vec::with_capacity(ids.len());
    for id in ids {
        // Conditional, so a claim can never take a delivery another holds, whatever the
        // isolation the database gives the SELECT above.
        let taken = sqlx::query(
            "UPDATE webhook_deliveries SET locked_until = $2 WHERE id = $1 \
             AND state = 'pending' AND (locked_until IS NULL OR locked_until <= $3)",
        )
        .bind(&id)
        .bind(lease_until)
        .bind(now)
        .execute(&mut **tx)
        .await?;
        if taken.rows_affected() != 1 {
            continue;
        }
        let row = sqlx::query(
            "SELECT d.id, d.event_id, d.attempts, e.event_type, e.body, e.created_at, \
             d.endpoint_id, p.url, p.sealed_secret FROM webhook_deliveries d \
             JOIN webhook_events e ON e.id = d.event_id \
             JOIN webhook_endpoints p ON p.id = d.endpoint_id WHERE d.id = $1",
        )
        .bind(&id)
        .fetch_one(&mut **tx)
        .await?;
        claimed.push(ClaimedDelivery {
            id: row.try_get("id")?,
            event_id: row.try_get("event_id")?,
            event_type: row.try_get("event_type")?,
            body: row.try_get("body")?,
            created_at: row.try_get("created_at")?,
            endpoint_id: row.try_get("endpoint_id")?,
            url: row.try_get("url")?,
            sealed_secret: row.try_get("sealed_secret")?,
            attempts: row.try_get("attempts")?,
        });
    }
    Ok(claimed)
}

/// The outcome of one attempt, for the delivery log.
#[derive(Clone, Debug)]
pub struct Attempt {
    /// When it started (unix ms).
    pub at: i64,
    /// The HTTP status, when an answer came.
    pub status: Option<i32>,
    /// What went wrong, when it did (no secret, no body).
    pub error: Option<String>,
    /// How long it took.
    pub duration_ms: i64,
}

/// Records an attempt of a claimed delivery and releases it: `delivered`, or pending
/// again at `retry_at`, or `failed` when there is no retry left.
pub async fn finish_attempt<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    id: &str,
    attempt: &Attempt,
    delivered: bool,
    retry_at: Option<i64>,
) -> Result<(), DbError> {
    let state = match (delivered, retry_at) {
        (true, _) => "delivered",
        (false, Some(_)) => "pending",
        (false, None) => "failed",
    };
    sqlx::query(
        "UPDATE webhook_deliveries SET state = $2, attempts = attempts + 1, \
         next_attempt_at = COALESCE($3, next_attempt_at), locked_until = NULL, \
         last_attempt_at = $4, last_status = $5, last_error = $6, last_duration_ms = $7 \
         WHERE id = $1",
    )
    .bind(id)
    .bind(state)
    .bind(retry_at)
    .bind(attempt.at)
    .bind(attempt.status)
    .bind(attempt.error.as_deref())
    .bind(attempt.duration_ms)
    .execute(ex)
    .await?;
    Ok(())
}

/// One line of an endpoint's delivery log.
#[derive(Clone, Debug)]
pub struct DeliveryRow {
    /// The delivery.
    pub id: String,
    /// The event's id (`webhook-id`).
    pub event_id: String,
    /// The event's type.
    pub event_type: String,
    /// pending, delivered or failed.
    pub state: String,
    /// Attempts made.
    pub attempts: i32,
    /// The last attempt's time, status, error and duration.
    pub last_attempt_at: Option<i64>,
    /// Its HTTP status.
    pub last_status: Option<i32>,
    /// Its error.
    pub last_error: Option<String>,
    /// Its duration.
    pub last_duration_ms: Option<i64>,
    /// When the event happened.
    pub created_at: i64,
}

/// An endpoint's latest deliveries, newest first.
pub async fn list_deliveries<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    endpoint_id: &str,
    limit: i64,
) -> Result<Vec<DeliveryRow>, DbError> {
    let rows = sqlx::query(
        "SELECT d.id, d.event_id, e.event_type, d.state, d.attempts, d.last_attempt_at, \
         d.last_status, d.last_error, d.last_duration_ms, e.created_at \
         FROM webhook_deliveries d JOIN webhook_events e ON e.id = d.event_id \
         WHERE d.endpoint_id = $1 ORDER BY e.created_at DESC, d.id DESC LIMIT $2",
    )
    .bind(endpoint_id)
    .bind(limit)
    .fetch_all(ex)
    .await?;
    rows.iter()
        .map(|row| {
            Ok(DeliveryRow {
                id: row.try_get("id")?,
                event_id: row.try_get("event_id")?,
                event_type: row.try_get("event_type")?,
                state: row.try_get("state")?,
                attempts: row.try_get("attempts")?,
                last_attempt_at: row.try_get("last_attempt_at")?,
                last_status: row.try_get("last_status")?,
                last_error: row.try_get("last_error")?,
                last_duration_ms: row.try_get("last_duration_ms")?,
                created_at: row.try_get("created_at")?,
            })
        })
        .collect()
}

/// A key due a reminder: its organisation and id.
#[derive(Clone, Debug)]
pub struct DueReminder {
    /// Organisation.
    pub org_id: OrgId,
    /// Key.
    pub key_id: String,
}

/// Live keys of organisations with an endpoint, not yet reminded of `threshold`, that
/// meet it: expiring before `before` (and after `after`), or (`stale`) unused since
/// `before`. At most `limit`.
pub async fn due_reminders<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    threshold: &str,
    after: i64,
    before: i64,
    limit: i64,
) -> Result<Vec<DueReminder>, DbError> {
    let sql = if threshold == "stale" {
        "SELECT k.org_id, k.id FROM api_keys k WHERE k.revoked_at IS NULL \
         AND k.replaced_by IS NULL \
         AND COALESCE(k.last_used_at, k.created_at) < $3 \
         AND (k.expires_at IS NULL OR k.expires_at > $2) \
         AND EXISTS (SELECT 1 FROM webhook_endpoints e WHERE e.org_id = k.org_id AND e.enabled = 1) \
         AND NOT EXISTS (SELECT 1 FROM webhook_key_reminders r WHERE r.key_id = k.id AND r.threshold = $1) \
         ORDER BY k.id LIMIT $4"
    } else {
        "SELECT k.org_id, k.id FROM api_keys k WHERE k.revoked_at IS NULL \
         AND k.replaced_by IS NULL AND k.expires_at IS NOT NULL AND k.expires_at > $2 AND k.expires_at <= $3 \
         AND EXISTS (SELECT 1 FROM webhook_endpoints e WHERE e.org_id = k.org_id AND e.enabled = 1) \
         AND NOT EXISTS (SELECT 1 FROM webhook_key_reminders r WHERE r.key_id = k.id AND r.threshold = $1) \
         ORDER BY k.id LIMIT $4"
    };
    let rows = sqlx::query(sql)
        .bind(threshold)
        .bind(after)
        .bind(before)
        .bind(limit)
        .fetch_all(ex)
        .await?;
    rows.iter()
        .map(|r| {
            Ok(DueReminder {
                org_id: OrgId(r.try_get("org_id")?),
                key_id: r.try_get("id")?,
            })
        })
        .collect()
}

/// Records that `key_id` was reminded of `threshold`; false when it already was (by
/// this instance or another: the primary key decides).
pub async fn mark_reminded(
    tx: &mut sqlx::Transaction<'static, Any>,
    key_id: &str,
    threshold: &str,
) -> Result<bool, DbError> {
    let done = sqlx::query(
        "INSERT INTO webhook_key_reminders (key_id, threshold) VALUES ($1, $2) \
         ON CONFLICT (key_id, threshold) DO NOTHING",
    )
    .bind(key_id)
    .bind(threshold)
    .execute(&mut **tx)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Deletes the events older than `before` whose every delivery has ended (delivered, or
/// failed when the schedule ran out), with their deliveries. Returns how many events.
pub async fn prune_events<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    before: i64,
) -> Result<u64, DbError> {
    let done = sqlx::query(
        "DELETE FROM webhook_events WHERE created_at < $1 AND NOT EXISTS \
         (SELECT 1 FROM webhook_deliveries d WHERE d.event_id = webhook_events.id \
          AND d.state = 'pending')",
    )
    .bind(before)
    .execute(ex)
    .await?;
    Ok(done.rows_affected())
}

/// Turns an endpoint of `org_id` on or off; false when there is no such endpoint.
pub async fn set_endpoint_enabled<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    org_id: &OrgId,
    endpoint_id: &str,
    enabled: bool,
) -> Result<bool, DbError> {
    let done =
        sqlx::query("UPDATE webhook_endpoints SET enabled = $3 WHERE id = $1 AND org_id = $2")
            .bind(endpoint_id)
            .bind(org_id.as_str())
            .bind(i32::from(enabled))
            .execute(ex)
            .await?;
    Ok(done.rows_affected() == 1)
}

/// Removes an endpoint of the organisation with its deliveries, delivered or not (an
/// attempt under way finds its row gone and records nothing). The events stay until the
/// log's pruning. False when the organisation has no such endpoint.
pub async fn delete_endpoint(
    tx: &mut sqlx::Transaction<'static, Any>,
    org_id: &OrgId,
    endpoint_id: &str,
) -> Result<bool, DbError> {
    sqlx::query(
        "DELETE FROM webhook_deliveries WHERE endpoint_id = $1 \
         AND endpoint_id IN (SELECT id FROM webhook_endpoints WHERE org_id = $2)",
    )
    .bind(endpoint_id)
    .bind(org_id.as_str())
    .execute(&mut **tx)
    .await?;
    let done = sqlx::query("DELETE FROM webhook_endpoints WHERE id = $1 AND org_id = $2")
        .bind(endpoint_id)
        .bind(org_id.as_str())
        .execute(&mut **tx)
        .await?;
    Ok(done.rows_affected() == 1)
}
