//! Webhooks: an organisation's endpoints, the events of its keys written to an outbox in
//! the transaction of each change, and their delivery (Standard Webhooks signatures, at
//! least once, retried with backoff across restarts, one instance per delivery at a
//! time, never to a private address unless the operator allows it).

use super::audit::AuditAction;
use super::{Actor, ActorKind, Services};
use crate::db::Tx;
use crate::db::repo::{keys, new_id, webhooks};
use crate::domain::destination::is_public;
use crate::domain::validation::{FieldError, Problem};
use crate::domain::{KeyType, OrgId};
use crate::error::{CoreError, CoreResult};
use crate::keys::webhook_secret::SigningSecret;
use secrecy::SecretString;
use serde_json::json;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

pub use crate::domain::webhook_event::EVENT_TYPES;

/// The retry schedule after a failed attempt: 5 s, 30 s, 2 min, 10 min, 1 h, 6 h, 24 h.
pub const RETRY_SCHEDULE_MS: [i64; 7] = [
    5_000, 30_000, 120_000, 600_000, 3_600_000, 21_600_000, 86_400_000,
];
/// How long one attempt may take.
pub const ATTEMPT_TIMEOUT: Duration = Duration::from_secs(10);
/// Deliveries one instance claims at a time.
const CLAIM_BATCH: i64 = 10;
/// How long ended deliveries stay in the log.
pub const LOG_KEPT_MS: i64 = 30 * 86_400_000;
/// How often a server looks for keys due an expiry or staleness reminder.
pub const REMINDER_EVERY: Duration = Duration::from_secs(60);
/// Longest endpoint URL, in characters.
pub const MAX_URL_CHARS: usize = 2048;

/// How deliveries are made (the operator's flags; tests shorten the schedule).
#[derive(Clone, Debug)]
pub struct WebhookSettings {
    /// Deliver to private, loopback and link-local addresses too.
    pub allow_private: bool,
    /// Wait after the n-th failed attempt; when it runs out the delivery has failed.
    pub retry_schedule_ms: Vec<i64>,
    /// How often a server looks for due deliveries.
    pub poll: Duration,
}

impl Default for WebhookSettings {
    fn default() -> Self {
        Self {
            allow_private: false,
            retry_schedule_ms: RETRY_SCHEDULE_MS.to_vec(),
            poll: Duration::from_secs(1),
        }
    }
}

/// An endpoint as the page and the CLI show it (never its secret).
#[derive(Clone, Debug)]
pub struct WebhookEndpoint {
    /// Id.
    pub id: String,
    /// Where deliveries go.
    pub url: String,
    /// The event types it wants; empty for every type.
    pub events: Vec<String>,
    /// Whether deliveries are made.
    pub enabled: bool,
    /// When it was added.
    pub created_at: i64,
}

impl From<webhooks::EndpointRow> for WebhookEndpoint {
    fn from(row: webhooks::EndpointRow) -> Self {
        Self {
            id: row.id,
            url: row.url,
            events: row.events,
            enabled: row.enabled,
            created_at: row.created_at,
        }
    }
}

/// An endpoint just added, with its signing secret: shown once.
pub struct AddedWebhook {
    /// The endpoint.
    pub endpoint: WebhookEndpoint,
    /// `whsec_…`.
    pub secret: SecretString,
}

/// The event type of an audited key change, if it has one.
fn event_of(action: AuditAction) -> Option<&'static str> {
    Some(match action {
        AuditAction::KeyCreate => "api_key.created",
        AuditAction::KeyRotate => "api_key.rotated",
        AuditAction::KeyRevoke => "api_key.revoked",
        AuditAction::KeyDisable => "api_key.disabled",
        AuditAction::KeyEnable => "api_key.enabled",
        AuditAction::KeyLeaked => "api_key.leaked",
        _ => return None,
    })
}

/// `YYYY-MM-DDTHH:MM:SS.mmmZ`: RFC 3339 in UTC.
fn rfc3339(ms: i64) -> String {
    let secs = ms.div_euclid(1000);
    let (y, m, d) = crate::domain::time::civil_from_days(secs.div_euclid(86_400));
    let rem = secs.rem_euclid(86_400);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60,
        ms.rem_euclid(1000)
    )
}

/// Checks an endpoint URL: http(s), a host, at most 2,048 characters, no credentials.
fn endpoint_url(raw: &str) -> Result<url::Url, FieldError> {
    let invalid = || FieldError::new("url", Problem::WebhookUrl);
    let raw = raw.trim();
    if raw.chars().count() > MAX_URL_CHARS {
        return Err(invalid());
    }
    let url = url::Url::parse(raw).map_err(|_| invalid())?;
    if !matches!(url.scheme(), "http" | "https")
        || url.host().is_none()
        || !url.username().is_empty()
        || url.password().is_some()
    {
        return Err(invalid());
    }
    Ok(url)
}

impl Services {
    /// Adds an endpoint to an organisation (admins): its URL checked (and, unless private
    /// destinations are allowed, refused when it names a private address), its events
    /// known (none: every event). Returns it with its signing secret, shown once.
    pub async fn add_webhook(
        &self,
        actor: &Actor,
        org_id: &OrgId,
        url: &str,
        events: &[String],
    ) -> CoreResult<AddedWebhook> {
        let url = endpoint_url(url).map_err(CoreError::Invalid)?;
        if !self.webhooks.allow_private && names_private_address(&url) {
            return Err(CoreError::Invalid(FieldError::new(
                "url",
                Problem::WebhookPrivate,
            )));
        }
        let mut wanted: Vec<String> = Vec::new();
        for event in events {
            let event = event.trim();
            if !EVENT_TYPES.contains(&event) {
                return Err(CoreError::Invalid(FieldError::new(
                    "events",
                    Problem::WebhookEvent,
                )));
            }
            if !wanted.iter().any(|w| w == event) {
                wanted.push(event.to_owned());
            }
        }
        let now = self.now();
        let mut tx = self.db.begin().await?;
        self.require_admin(&mut tx, actor, org_id).await?;
        let id = new_id();
        let secret = SigningSecret::generate();
        let sealed = secret
            .seal(&self.secret, &id)
            .map_err(|_| CoreError::Internal("sealing a webhook secret failed"))?;
        let row = webhooks::EndpointRow {
            id: id.clone(),
            org_id: org_id.clone(),
            url: url.to_string(),
            events: wanted,
            sealed_secret: hex::encode(sealed),
            enabled: true,
            created_at: now,
            created_by_label: actor.label(),
        };
        webhooks::insert_endpoint(&mut *tx, &row).await?;
        self.audit(
            &mut tx,
            actor,
            Some(org_id),
            AuditAction::WebhookAdd,
            ("webhook", &id, &row.url),
            Some(json!({ "events": row.events })),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(AddedWebhook {
            endpoint: row.into(),
            secret: secret.text(),
        })
    }

    /// Turns an endpoint on or off (admins). While off it gets no new events; what was
    /// already queued for it is still delivered.
    pub async fn set_webhook_enabled(
        &self,
        actor: &Actor,
        org_id: &OrgId,
        endpoint_id: &str,
        enabled: bool,
    ) -> CoreResult<()> {
        let now = self.now();
        let mut tx = self.db.begin().await?;
        self.require_admin(&mut tx, actor, org_id).await?;
        let url = endpoint_of(&mut tx, org_id, endpoint_id).await?.url;
        webhooks::set_endpoint_enabled(&mut *tx, org_id, endpoint_id, enabled).await?;
        self.audit(
            &mut tx,
            actor,
            Some(org_id),
            AuditAction::WebhookEnabled,
            ("webhook", endpoint_id, &url),
            Some(json!({ "enabled": enabled })),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Removes an endpoint (admins): no more events go to it, and what was queued for it
    /// is dropped with its log.
    pub async fn remove_webhook(
        &self,
        actor: &Actor,
        org_id: &OrgId,
        endpoint_id: &str,
    ) -> CoreResult<()> {
        let now = self.now();
        let mut tx = self.db.begin().await?;
        self.require_admin(&mut tx, actor, org_id).await?;
        let url = endpoint_of(&mut tx, org_id, endpoint_id).await?.url;
        webhooks::delete_endpoint(&mut tx, org_id, endpoint_id).await?;
        self.audit(
            &mut tx,
            actor,
            Some(org_id),
            AuditAction::WebhookRemove,
            ("webhook", endpoint_id, &url),
            None,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// An organisation's endpoints (admins), oldest first.
    pub async fn list_webhooks(
        &self,
        actor: &Actor,
        org_id: &OrgId,
    ) -> CoreResult<Vec<WebhookEndpoint>> {
        let mut tx = self.db.begin_read().await?;
        self.require_admin(&mut tx, actor, org_id).await?;
        let rows = webhooks::list_endpoints(&mut *tx, org_id).await?;
        Ok(rows.into_iter().map(WebhookEndpoint::from).collect())
    }

    /// Writes the webhook event of an audited key change, if it has one, to the outbox of
    /// the change's own transaction: it is delivered if and only if the change commits.
    pub(crate) async fn key_event(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        org_id: &OrgId,
        action: AuditAction,
        key_id: &str,
        now: i64,
    ) -> CoreResult<()> {
        let Some(event_type) = event_of(action) else {
            return Ok(());
        };
        if !webhooks::wants(tx, org_id, event_type).await? {
            return Ok(());
        }
        let key_id = crate::domain::KeyId(key_id.to_owned());
        let Some(key) = keys::get(&mut **tx, org_id, &key_id).await? else {
            return Ok(());
        };
        let body = Self::key_event_body(event_type, &key, &actor_json(actor), now);
        webhooks::insert_event(
            tx,
            &format!("msg_{}", new_id()),
            org_id,
            event_type,
            &body.to_string(),
            now,
            None,
        )
        .await?;
        Ok(())
    }

    /// The body of a key event.
    fn key_event_body(
        event_type: &str,
        key: &crate::db::models::ApiKeyRecord,
        actor: &serde_json::Value,
        now: i64,
    ) -> serde_json::Value {
        let (kind, environment) = match key.key_type {
            KeyType::Production => ("project", Some("production")),
            KeyType::Development => ("project", Some("development")),
            KeyType::Organisation => ("organisation", None),
        };
        json!({
            "type": event_type,
            "timestamp": rfc3339(now),
            "data": {
                "id": key.id.as_str(),
                "name": key.name,
                "hint": key.hint,
                "kind": kind,
                "environment": environment,
                "organisation_id": key.org_id.as_str(),
                "project_id": key.project_id.as_ref().map(|p| p.as_str()),
                "expires_at": key.expires_at,
                "actor": actor,
            },
        })
    }

    /// Sends a `webhook.test` event to one endpoint (admins): delivered like any other,
    /// so it shows in the delivery log.
    pub async fn send_test_webhook(
        &self,
        actor: &Actor,
        org_id: &OrgId,
        endpoint_id: &str,
    ) -> CoreResult<()> {
        let now = self.now();
        let mut tx = self.db.begin().await?;
        self.require_admin(&mut tx, actor, org_id).await?;
        if !endpoint_of(&mut tx, org_id, endpoint_id).await?.enabled {
            return Err(CoreError::Conflict(Problem::WebhookDisabled));
        }
        let body = json!({
            "type": "webhook.test",
            "timestamp": rfc3339(now),
            "data": { "organisation_id": org_id.as_str(), "actor": actor_json(actor) },
        });
        webhooks::insert_event(
            &mut tx,
            &format!("msg_{}", new_id()),
            org_id,
            "webhook.test",
            &body.to_string(),
            now,
            Some(endpoint_id),
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Writes the reminders that are due at now: `api_key.expiring` 7 days and 1 day
    /// before a key expires, `api_key.expired` once it has, `api_key.stale` for a key
    /// unused for 90 days. Each fires once per key and threshold, whichever instance
    /// finds it first. Returns how many were written.
    pub async fn write_key_reminders(&self) -> CoreResult<usize> {
        const DAY: i64 = 86_400_000;
        let now = self.now();
        let system = json!({ "type": "system", "id": null, "name": "GT Keys" });
        let mut written = 0;
        // (threshold, event, window after, window before)
        let plan: [(&str, &str, i64, i64); 4] = [
            ("1d", "api_key.expiring", now, now + DAY),
            ("7d", "api_key.expiring", now + DAY, now + 7 * DAY),
            ("expired", "api_key.expired", now - 7 * DAY, now),
            ("stale", "api_key.stale", now, now - 90 * DAY),
        ];
        for (threshold, event_type, after, before) in plan {
            let due =
                webhooks::due_reminders(self.db.pool(), threshold, after, before, 500).await?;
            for reminder in due {
                let mut tx = self.db.begin().await?;
                let key_id = crate::domain::KeyId(reminder.key_id.clone());
                let Some(key) = keys::get(&mut *tx, &reminder.org_id, &key_id).await? else {
                    continue;
                };
                if !webhooks::mark_reminded(&mut tx, &reminder.key_id, threshold).await? {
                    continue;
                }
                // Reminded all the same when no endpoint wants this type: once means once.
                let wanted = webhooks::wants(&mut tx, &reminder.org_id, event_type).await?;
                // A key reminded a day ahead needs no 7-day reminder after it.
                if threshold == "1d" {
                    webhooks::mark_reminded(&mut tx, &reminder.key_id, "7d").await?;
                }
                if wanted {
                    let body = Self::key_event_body(event_type, &key, &system, now);
                    webhooks::insert_event(
                        &mut tx,
                        &format!("msg_{}", new_id()),
                        &reminder.org_id,
                        event_type,
                        &body.to_string(),
                        now,
                        None,
                    )
                    .await?;
                    written += 1;
                }
                tx.commit().await?;
            }
        }
        Ok(written)
    }

    /// Starts delivering: a task that claims due deliveries every poll and attempts
    /// them. Every serving instance runs one.
    pub fn start_webhook_delivery(&self) -> tokio::task::JoinHandle<()> {
        let services = self.clone();
        tokio::spawn(async move {
            let client = match services.webhook_client() {
                Ok(client) => client,
                Err(e) => {
                    tracing::error!(error = %e, "webhook deliveries are off: no HTTP client");
                    return;
                }
            };
            let mut every = tokio::time::interval(services.webhooks.poll);
            every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            let mut reminded: Option<std::time::Instant> = None;
            loop {
                every.tick().await;
                if reminded.is_none_or(|at| at.elapsed() >= REMINDER_EVERY) {
                    reminded = Some(std::time::Instant::now());
                    if let Err(e) = services.write_key_reminders().await {
                        tracing::warn!(error = %e, "could not write key reminders");
                    }
                    if let Err(e) = services.prune_webhook_log().await {
                        tracing::warn!(error = %e, "could not prune the webhook log");
                    }
                }
                if let Err(e) = services.deliver_due(&client).await {
                    tracing::warn!(error = %e, "webhook delivery round failed");
                }
            }
        })
    }

    /// Deletes the events that ended more than 30 days ago, with their deliveries (the
    /// log keeps 30 days; a delivery still being retried stays). Returns how many.
    pub async fn prune_webhook_log(&self) -> CoreResult<u64> {
        Ok(webhooks::prune_events(self.db.pool(), self.now() - LOG_KEPT_MS).await?)
    }

    /// The HTTP client deliveries are made with (see [`delivery_client`]).
    pub fn webhook_client(&self) -> Result<reqwest::Client, reqwest::Error> {
        delivery_client(self.webhooks.allow_private)
    }

    /// An organisation's endpoints (admins), oldest first, each with its latest `limit`
    /// deliveries: the webhooks page, read in one transaction.
    pub async fn webhooks_with_log(
        &self,
        actor: &Actor,
        org_id: &OrgId,
        limit: i64,
    ) -> CoreResult<Vec<(WebhookEndpoint, Vec<webhooks::DeliveryRow>)>> {
        let mut tx = self.db.begin_read().await?;
        self.require_admin(&mut tx, actor, org_id).await?;
        let mut out = Vec::new();
        for row in webhooks::list_endpoints(&mut *tx, org_id).await? {
            let log = webhooks::list_deliveries(&mut *tx, &row.id, limit).await?;
            out.push((WebhookEndpoint::from(row), log));
        }
        Ok(out)
    }

    /// An endpoint's latest deliveries (admins), newest first: the delivery log.
    pub async fn webhook_deliveries(
        &self,
        actor: &Actor,
        org_id: &OrgId,
        endpoint_id: &str,
        limit: i64,
    ) -> CoreResult<Vec<webhooks::DeliveryRow>> {
        let mut tx = self.db.begin_read().await?;
        self.require_admin(&mut tx, actor, org_id).await?;
        endpoint_of(&mut tx, org_id, endpoint_id).await?;
        Ok(webhooks::list_deliveries(&mut *tx, endpoint_id, limit).await?)
    }

    /// One round: claims the due deliveries and attempts each. Returns how many were
    /// attempted.
    pub async fn deliver_due(&self, client: &reqwest::Client) -> CoreResult<usize> {
        let now = self.now();
        // The lease outlasts the whole batch, attempted one after another, each within
        // its timeout: no other instance takes a delivery while this one may still send it.
        let attempt_ms = i64::try_from(ATTEMPT_TIMEOUT.as_millis()).unwrap_or(10_000);
        let lease = attempt_ms * (CLAIM_BATCH + 2);
        let postgres = self.db.backend() == crate::db::Backend::Postgres;
        let mut tx = self.db.begin().await?;
        let claimed = webhooks::claim_due(&mut tx, postgres, now, now + lease, CLAIM_BATCH).await?;
        tx.commit().await?;
        let count = claimed.len();
        for delivery in claimed {
            self.attempt(client, delivery).await?;
        }
        Ok(count)
    }

    async fn attempt(
        &self,
        client: &reqwest::Client,
        delivery: webhooks::ClaimedDelivery,
    ) -> CoreResult<()> {
        let started = self.now();
        let clock = std::time::Instant::now();
        let outcome = self.send(client, &delivery, started).await;
        let duration_ms = i64::try_from(clock.elapsed().as_millis()).unwrap_or(i64::MAX);
        let (delivered, status, error) = match outcome {
            Ok(status) => ((200..300).contains(&status), Some(status), None),
            Err(error) => (false, None, Some(error)),
        };
        let attempt = webhooks::Attempt {
            at: started,
            status: status.map(i32::from),
            error,
            duration_ms,
        };
        let retry_at = usize::try_from(delivery.attempts)
            .ok()
            .and_then(|n| self.webhooks.retry_schedule_ms.get(n))
            .map(|wait| started + wait);
        webhooks::finish_attempt(self.db.pool(), &delivery.id, &attempt, delivered, retry_at)
            .await?;
        Ok(())
    }

    /// Sends one attempt; the status, or what went wrong (never a secret).
    async fn send(
        &self,
        client: &reqwest::Client,
        delivery: &webhooks::ClaimedDelivery,
        now: i64,
    ) -> Result<u16, String> {
        let url = endpoint_url(&delivery.url).map_err(|_| "the URL is not valid".to_owned())?;
        if !self.webhooks.allow_private && names_private_address(&url) {
            return Err("refused: a private address".to_owned());
        }
        let sealed = hex::decode(&delivery.sealed_secret)
            .map_err(|_| "the signing secret is unreadable".to_owned())?;
        let secret = SigningSecret::unseal(&self.secret, &delivery.endpoint_id, &sealed)
            .map_err(|e| e.to_string())?;
        let timestamp = now.div_euclid(1000);
        let signature = secret.sign(&delivery.event_id, timestamp, delivery.body.as_bytes());
        let response = client
            .post(url)
            .header("content-type", "application/json")
            .header("webhook-id", &delivery.event_id)
            .header("webhook-timestamp", timestamp.to_string())
            .header("webhook-signature", signature)
            .body(delivery.body.clone())
            .send()
            .await
            .map_err(|e| describe(&e))?;
        Ok(response.status().as_u16())
    }
}

/// The actor of an event: who made the change.
fn actor_json(actor: &Actor) -> serde_json::Value {
    match &actor.kind {
        ActorKind::User { id, email } => {
            json!({ "type": "user", "id": id.as_str(), "name": email })
        }
        ActorKind::ApiKey(key) => {
            json!({ "type": "api_key", "id": key.id().as_str(), "name": key.name() })
        }
        ActorKind::LeakReport { via } => {
            json!({ "type": "leak_report", "id": null, "name": via })
        }
        ActorKind::Operator | ActorKind::Anonymous | ActorKind::Policy => {
            json!({ "type": "system", "id": null, "name": actor.label() })
        }
    }
}

/// The organisation's endpoint `endpoint_id`; not found for any other organisation's.
async fn endpoint_of(
    tx: &mut Tx,
    org_id: &OrgId,
    endpoint_id: &str,
) -> CoreResult<webhooks::EndpointRow> {
    webhooks::list_endpoints(&mut **tx, org_id)
        .await?
        .into_iter()
        .find(|e| e.id == endpoint_id)
        .ok_or(CoreError::NotFound {
            what: "webhook endpoint",
        })
}

/// Whether a URL's host is an address that is not public (a name is judged when it is
/// resolved, by [`GuardedResolver`]).
fn names_private_address(url: &url::Url) -> bool {
    match url.host() {
        Some(url::Host::Ipv4(v4)) => !is_public(IpAddr::V4(v4)),
        Some(url::Host::Ipv6(v6)) => !is_public(IpAddr::V6(v6)),
        Some(url::Host::Domain(name)) => {
            let name = name.trim_end_matches('.').to_ascii_lowercase();
            name == "localhost" || name.ends_with(".localhost")
        }
        None => true,
    }
}

/// The HTTP client of deliveries: 10 s per attempt, no redirects, and (unless private
/// destinations are allowed) a resolver that drops every address that is not public, so
/// the check holds at delivery time, for the address actually connected to.
fn delivery_client(allow_private: bool) -> Result<reqwest::Client, reqwest::Error> {
    let mut builder = reqwest::Client::builder()
        .timeout(ATTEMPT_TIMEOUT)
        .redirect(reqwest::redirect::Policy::none())
        .user_agent(concat!("gtx-keys-webhooks/", env!("CARGO_PKG_VERSION")));
    if !allow_private {
        builder = builder.dns_resolver(Arc::new(GuardedResolver));
    }
    builder.build()
}

/// Resolves with the system resolver and keeps only public addresses.
struct GuardedResolver;

impl reqwest::dns::Resolve for GuardedResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0))
                .await?
                .filter(|a| is_public(a.ip()))
                .collect();
            if found.is_empty() {
                return Err("refused: the name resolves only to private addresses".into());
            }
            let addrs: reqwest::dns::Addrs = Box::new(found.into_iter());
            Ok(addrs)
        })
    }
}

/// What went wrong with a request, in a few words (the full chain, no URL).
fn describe(e: &reqwest::Error) -> String {
    let mut text = if e.is_timeout() {
        "timed out".to_owned()
    } else if e.is_connect() {
        "could not connect".to_owned()
    } else {
        "request failed".to_owned()
    };
    let mut source = std::error::Error::source(e);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text.chars().take(300).collect()
}
