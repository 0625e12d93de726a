//! Leak response: whoever holds a key may report it leaked, and a live key is revoked at
//! once (as GitHub's public credential revocation does). The public endpoint answers
//! the same whatever the key was, so a report is no oracle; GitHub's secret scanning
//! (signed reports) learns the outcome, as its partner programme asks.

use super::audit::AuditAction;
use super::throttle::{RateLimit, address_group};
use super::{Actor, Services};
use crate::db::repo::keys;
use crate::domain::ParsedKey;
use crate::domain::validation::{FieldError, Problem};
use crate::error::{CoreError, CoreResult};
use crate::keys::KeyDigest;
use serde_json::json;

/// Public leak reports accepted per client address (IPv6 per /64) per minute.
pub const REPORTS_PER_MINUTE: u32 = 60;
/// Longest URL a report may give, in characters.
pub const MAX_LEAK_URL_CHARS: usize = 2048;
/// Longest source a report may give, in characters.
pub const MAX_LEAK_SOURCE_CHARS: usize = 100;

/// Where a reported key was found (both optional; recorded in the audit log).
#[derive(Clone, Debug, Default)]
pub struct LeakReport {
    /// The page or file holding the key.
    pub url: Option<String>,
    /// What kind of place that is (`commit`, `gist`, `issue_comment`, …).
    pub source: Option<String>,
}

impl LeakReport {
    /// Checks the fields: the URL `http://` or `https://` (any case) and then at most
    /// 2,048 characters in all, the source at most 100; neither with control characters.
    /// A blank source counts as absent. (The OpenAPI document states the same rules.)
    pub fn validated(url: Option<&str>, source: Option<&str>) -> Result<Self, FieldError> {
        if let Some(url) = url {
            let lower = url.get(..8).unwrap_or(url).to_ascii_lowercase();
            let scheme = ["http://", "https://"]
                .iter()
                .find(|s| lower.starts_with(*s));
            let rest = scheme.map_or("", |s| &url[s.len()..]);
            if rest.is_empty()
                || url.chars().count() > MAX_LEAK_URL_CHARS
                || url.chars().any(char::is_control)
            {
                return Err(FieldError::new("url", Problem::LeakUrl));
            }
        }
        let source = source.map(str::trim).filter(|s| !s.is_empty());
        if let Some(source) = source
            && (source.chars().count() > MAX_LEAK_SOURCE_CHARS
                || source.chars().any(char::is_control))
        {
            return Err(FieldError::new("source", Problem::LeakSource));
        }
        Ok(Self {
            url: url.map(str::to_owned),
            source: source.map(str::to_owned),
        })
    }
}

/// What a report found: told to signed scanners, never to the public.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LeakOutcome {
    /// One of ours, live until now: revoked.
    Revoked,
    /// One of ours, already revoked.
    AlreadyRevoked,
    /// Well formed, but no key of this server.
    Unknown,
    /// Not a GT key at all (prefix, length, alphabet or checksum).
    Malformed,
}

impl LeakOutcome {
    /// Whether the reported text is a key this server issued.
    pub fn is_ours(self) -> bool {
        matches!(self, Self::Revoked | Self::AlreadyRevoked)
    }
}

/// The public reports' limit, shared by every request of a process.
#[derive(Debug)]
pub(crate) struct LeakReportLimit(RateLimit);

impl Default for LeakReportLimit {
    fn default() -> Self {
        Self(RateLimit::new(
            REPORTS_PER_MINUTE,
            60_000,
            super::throttle::CAPACITY,
        ))
    }
}

impl Services {
    /// Counts one public report from `ip` against its address's limit, or refuses it
    /// with the seconds to wait ([`CoreError::TooManyAttempts`]).
    pub fn admit_leak_report(&self, ip: Option<&str>) -> CoreResult<()> {
        self.leak_reports
            .0
            .admit(&address_group(ip), self.now())
            .map_err(|wait_ms| CoreError::TooManyAttempts {
                retry_after_secs: (wait_ms + 999) / 1000,
            })
    }

    /// Revokes `key` if it is one of ours and not yet revoked, audited as reported leaked
    /// (with the report's URL and source) by `reporter`. Every text is welcome: what it
    /// was is the answer, for callers allowed to know it.
    pub async fn report_leak(
        &self,
        reporter: &Actor,
        key: &str,
        report: &LeakReport,
    ) -> CoreResult<LeakOutcome> {
        let Ok(parsed) = ParsedKey::parse(key) else {
            return Ok(LeakOutcome::Malformed);
        };
        let digest = self.secret.digest(parsed.expose());
        let found = self.db.find_key_by_digest(&digest.0).await?;
        let Some(record) = found.and_then(|(record, stored)| {
            KeyDigest::from_slice(&stored)
                .is_some_and(|stored| stored.ct_eq(&digest))
                .then_some(record)
        }) else {
            return Ok(LeakOutcome::Unknown);
        };
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let Some(key) = keys::get(&mut *tx, &record.org_id, &record.id).await? else {
            return Ok(LeakOutcome::Unknown);
        };
        if !keys::revoke(&mut *tx, &key.org_id, &key.id, now, &reporter.label()).await? {
            return Ok(LeakOutcome::AlreadyRevoked);
        }
        let details = json!({
            "key_type": key.key_type.as_str(),
            "hint": key.hint,
            "url": report.url,
            "source": report.source,
        });
        self.finish_key_change(tx, reporter, &key, AuditAction::KeyLeaked, details, now)
            .await?;
        tracing::warn!(org_id = %key.org_id, key_id = %key.id, "key reported leaked and revoked");
        Ok(LeakOutcome::Revoked)
    }
}
