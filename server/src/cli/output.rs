//! What the key commands print: keys as JSON or a table, and a key's usage.

use super::{Failure, out};
use gtx_core::db::models::ApiKeyRecord;
use gtx_core::domain::status::is_stale;
use gtx_core::domain::time::format_utc;
use gtx_core::domain::usage::{Outcome, OutcomeCounts};
use gtx_core::services::KeyDetail;

/// A key as `key list --json` prints it (masked, with its status now).
pub(super) fn key_json(k: &ApiKeyRecord, now: i64) -> serde_json::Value {
    serde_json::json!({
        "id": k.id,
        "name": k.name,
        "type": k.key_type,
        "project_id": k.project_id,
        "org_id": k.org_id,
        "key": k.hint,
        "status": k.status(now),
        "permissions": k.permissions,
        "scopes": k.permissions.gt_scopes().collect::<Vec<_>>(),
        "created_by": k.created_by_label,
        "created_at": k.created_at,
        "expires_at": k.expires_at,
        "revoked_at": k.revoked_at,
        "last_used_at": k.last_used_at,
        "description": k.description,
        "disabled_at": k.disabled_at,
        "ip_allowlist": k.ip_allowlist,
        "unused_90_days": k.revoked_at.is_none() && is_stale(now, k.created_at, k.last_used_at),
    })
}

/// Keys as `key list` prints them: a table on stdout.
pub(super) fn print_key_table(keys: &[ApiKeyRecord], now: i64) -> Result<(), Failure> {
    if keys.is_empty() {
        eprintln!("No keys.");
        return Ok(());
    }
    let mut lines = vec![format!(
        "{:<36}  {:<12}  {:<9}  {:<21}  {}",
        "ID", "TYPE", "STATUS", "KEY", "NAME"
    )];
    for k in keys {
        lines.push(format!(
            "{:<36}  {:<12}  {:<9}  {:<21}  {}",
            k.id,
            k.key_type.as_str(),
            k.status(now).as_str(),
            k.hint,
            k.name
        ));
    }
    out(&lines.join("\n"))
}

pub(super) fn usage_json(detail: &KeyDetail) -> String {
    // The REST API's body: one shape for both.
    serde_json::to_string_pretty(&crate::api::key_types::KeyUsage::new(detail)).unwrap_or_default()
}

/// The usage as a table on stdout: a line per bucket, a column per outcome seen.
pub(super) fn print_usage(detail: &KeyDetail) -> Result<(), Failure> {
    let series = &detail.series;
    let totals = series.totals();
    let shown: Vec<Outcome> = Outcome::ALL
        .into_iter()
        .filter(|o| *o == Outcome::Valid || totals[o.index()] > 0)
        .collect();
    let mut lines = vec![format!(
        "{:<17}  {:>9}{}",
        "start (UTC)",
        "requests",
        shown
            .iter()
            .map(|o| format!("  {:>9}", o.as_str()))
            .collect::<String>()
    )];
    let row = |label: String, counts: &OutcomeCounts| {
        format!(
            "{:<17}  {:>9}{}",
            label,
            counts.iter().sum::<u64>(),
            shown
                .iter()
                .map(|o| format!("  {:>9}", counts[o.index()]))
                .collect::<String>()
        )
    };
    for (i, counts) in series.buckets.iter().enumerate() {
        lines.push(row(format_utc(series.start_of(i)), counts));
    }
    lines.push(row("total".to_owned(), &totals));
    eprintln!(
        "Requests of key “{}” ({}) over the last {}:",
        detail.key.name,
        detail.key.hint,
        series.range.label()
    );
    out(&lines.join("\n"))
}
