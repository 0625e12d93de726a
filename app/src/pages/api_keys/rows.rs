//! The key table's rows, written as HTML in one pass.
//!
//! A row has no reactive part: its links are plain links (the router takes their clicks
//! when the page is hydrated), and the table is drawn again whenever the view changes.
//! Rendered as views, each of a page's elements and attributes was a future of its own
//! in the server's async render (~80 µs a row), and a view type in the WASM. As text the
//! rows cost a few microseconds each, and hydration skips them (`inner_html` on the
//! `<tbody>` leaves the server's markup in place).
//!
//! Everything that comes from a key goes through [`text`] or [`attr`], which escape it.

use super::filters::Filters;
use crate::api::types::KeyRow;
use gtx_core::domain::status::is_stale;
use gtx_core::domain::time::{ago, format_utc, until};
use gtx_core::domain::{KeyStatus, KeyType, Level, Permission, PermissionSet, Resource};
use std::fmt::Write;

/// The rows of one page of keys, as the inner HTML of the table's `<tbody>`, for the list
/// at `base`. `view` makes the Rotate, Revoke, Disable and Enable links, which keep the
/// list's view; each key's name links to its page (under `base`). The links are relative
/// (`?rotate=…`, `api-keys/{id}`): the page is at `base`, and the absolute paths cost a
/// 50-row page about 20 KB.
pub fn rows_html(keys: &[KeyRow], base: &str, view: &Filters, now: i64, project: bool) -> String {
    let mut out = String::with_capacity(keys.len() * 1500);
    for key in keys {
        key_row(&mut out, key, base, view, now, project);
    }
    out
}

/// Text content, escaped.
fn text(s: &str) -> std::borrow::Cow<'_, str> {
    html_escape::encode_text(s)
}

/// A double-quoted attribute value, escaped.
fn attr(s: &str) -> std::borrow::Cow<'_, str> {
    html_escape::encode_double_quoted_attribute(s)
}

fn key_row(out: &mut String, key: &KeyRow, base: &str, view: &Filters, now: i64, project: bool) {
    let status = KeyStatus::at(now, key.expires_at, key.revoked_at, key.disabled_at);
    let id = attr(&key.id);
    let _ = write!(
        out,
        r#"<tr data-key-id="{id}" data-status="{}">"#,
        status.as_str()
    );
    name_cell(out, key, base, status, now);
    if project {
        let label = key
            .key_type
            .parse::<KeyType>()
            .map_or("Unknown", KeyType::label);
        let _ = write!(out, r#"<td data-label="Type">{label}</td>"#);
    }
    let _ = write!(
        out,
        r#"<td data-label="Key"><code class="key-hint">{}</code></td>"#,
        text(&key.hint)
    );
    if !project {
        let summary = permission_summary(&key.permissions);
        let _ = write!(
            out,
            r#"<td data-label="Permissions">{}</td>"#,
            text(&summary)
        );
    }
    let _ = write!(
        out,
        r#"<td data-label="Created">{} UTC<span class="muted block">by {}</span></td>"#,
        format_utc(key.created_at),
        text(&key.created_by)
    );
    match key.last_used_at {
        Some(t) => {
            let _ = write!(
                out,
                r#"<td data-label="Last used" title="{} UTC">{}</td>"#,
                format_utc(t),
                ago(now, t)
            );
        }
        None => out.push_str(r#"<td data-label="Last used">Never</td>"#),
    }
    let _ = write!(
        out,
        r#"<td data-label="Expires">{}</td><td data-label="Requests (7 days)" class="number">{}</td>"#,
        expires(key, now),
        super::chart::thousands(key.requests_7d)
    );
    let _ = write!(
        out,
        r#"<td data-label="Status"><span class="status status-{}">{}</span>"#,
        status.as_str(),
        status.label()
    );
    if let Some(note) = status_note(key, now) {
        let _ = write!(out, r#"<span class="muted block">{}</span>"#, text(&note));
    }
    out.push_str("</td>");
    actions_cell(out, key, status, view);
    out.push_str("</tr>");
}

/// The name, a link to the key's page, with a badge for a replacement key and one for a
/// key unused for 90 days.
fn name_cell(out: &mut String, key: &KeyRow, base: &str, status: KeyStatus, now: i64) {
    // `base` ends in `api-keys`: relative to the list, `api-keys/{id}` is the key's page.
    let leaf = base.rsplit('/').next().unwrap_or_default();
    let _ = write!(
        out,
        r#"<td data-label="Name"><a class="key-name" href="{}/{}">{}</a>"#,
        attr(leaf),
        attr(&key.id),
        text(&key.name)
    );
    if key.rotated {
        out.push_str(r#"<span class="badge">Replacement</span>"#);
    }
    if status.is_usable() && is_stale(now, key.created_at, key.last_used_at) {
        out.push_str(r#"<span class="badge warn" title="No use recorded in 90 days: revoke it if nothing needs it">Unused 90+ days</span>"#);
    }
    out.push_str("</td>");
}

/// Rotate for a usable key not yet replaced, Disable (or Enable) and Revoke for a key
/// that is usable or disabled.
fn actions_cell(out: &mut String, key: &KeyRow, status: KeyStatus, view: &Filters) {
    out.push_str(r#"<td data-label="Actions"><div class="inline-form">"#);
    if status.is_usable() && !key.replaced {
        let href = view.with("rotate", &key.id);
        action_link(out, "button", href, "Rotate", &key.name);
    }
    if status.is_usable() {
        let href = view.with("disable", &key.id);
        action_link(out, "button", href, "Disable", &key.name);
    }
    if status == KeyStatus::Disabled {
        let href = view.with("enable", &key.id);
        action_link(out, "button primary", href, "Enable", &key.name);
    }
    if key.revoked_at.is_none() && (status.is_usable() || status == KeyStatus::Disabled) {
        let href = view.with("revoke", &key.id);
        action_link(out, "button danger", href, "Revoke", &key.name);
    }
    out.push_str("</div></td>");
}

/// A Rotate, Disable, Enable or Revoke link: it opens the action's dialog through the URL.
fn action_link(out: &mut String, class: &str, query: String, verb: &str, name: &str) {
    let _ = write!(
        out,
        r#"<a class="{class}" role="button" href="{}" aria-label="{verb} {}">{verb}</a>"#,
        attr(&query),
        attr(name)
    );
}

/// The Expires cell: the date and how far off it is, "Never", or a dash once revoked.
fn expires(key: &KeyRow, now: i64) -> String {
    match (key.expires_at, key.revoked_at) {
        (_, Some(_)) => "—".to_owned(),
        (None, None) => "Never".to_owned(),
        (Some(t), None) if t <= now => format!("{} UTC", format_utc(t)),
        (Some(t), None) => format!("{} UTC ({})", format_utc(t), until(now, t)),
    }
}

/// Why a key stopped, or when a rotated key stops: under its status.
fn status_note(key: &KeyRow, now: i64) -> Option<String> {
    match (key.revoked_at, key.replaced, key.expires_at) {
        (Some(at), _, _) => Some(format!(
            "Revoked {} UTC{}",
            format_utc(at),
            key.revoked_by
                .as_ref()
                .map(|b| format!(" by {b}"))
                .unwrap_or_default()
        )),
        (None, true, Some(end)) if end > now => Some(format!(
            "Rotated: stops working {} ({} UTC)",
            until(now, end),
            format_utc(end)
        )),
        (None, true, Some(end)) => {
            Some(format!("Rotated: stopped working {} UTC", format_utc(end)))
        }
        _ => None,
    }
}

/// "Files: Write · Context: Read · Runtime translation" from permission strings.
fn permission_summary(permissions: &[String]) -> String {
    let set: PermissionSet = permissions
        .iter()
        .filter_map(|p| p.parse::<Permission>().ok())
        .collect();
    let parts: Vec<String> = Resource::ALL
        .into_iter()
        .filter_map(|r| match set.level(r) {
            Level::NoAccess => None,
            Level::Enabled => Some(r.label().to_owned()),
            Level::Write => Some(format!("{}: Write (includes Read)", r.label())),
            Level::Read => Some(format!("{}: Read", r.label())),
        })
        .collect();
    if parts.is_empty() {
        "None".to_owned()
    } else {
        parts.join(" · ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> KeyRow {
        KeyRow {
            id: "k1".into(),
            name: "CI <deploy> & \"prod\"".into(),
            key_type: "production".into(),
            hint: "gtx-api-AbCd…wXyZ".into(),
            permissions: vec!["files:read".into()],
            created_by: "Ann <ann@example.com>".into(),
            created_at: 0,
            expires_at: None,
            revoked_at: None,
            revoked_by: None,
            disabled_at: None,
            requests_7d: 1_234,
            last_used_at: Some(60_000),
            replaced: false,
            rotated: true,
        }
    }

    #[test]
    fn permission_summary_names_levels_with_write_including_read() {
        let summary = permission_summary(&[
            "files:read".into(),
            "files:write".into(),
            "context:read".into(),
            "project_settings".into(),
        ]);
        assert_eq!(
            summary,
            "Files: Write (includes Read) · Context: Read · Project settings"
        );
        assert_eq!(permission_summary(&[]), "None");
    }

    #[test]
    fn rows_html_escapes_what_comes_from_the_key() {
        let html = rows_html(&[key()], "/p", &Filters::default(), 120_000, true);
        assert!(
            html.contains(r#"<a class="key-name" href="p/k1">CI &lt;deploy&gt; &amp; "prod"</a>"#),
            "{html}"
        );
        assert!(
            html.contains(r#"aria-label="Rotate CI &lt;deploy&gt; &amp; &quot;prod&quot;""#),
            "{html}"
        );
        assert!(html.contains("by Ann &lt;ann@example.com&gt;"), "{html}");
        assert!(
            !html.contains("<deploy>") && !html.contains("<ann@"),
            "{html}"
        );
    }

    #[test]
    fn rows_html_writes_a_row_per_key_with_its_actions() {
        let mut revoked = key();
        revoked.id = "k2".into();
        revoked.revoked_at = Some(100_000);
        revoked.revoked_by = Some("Bo".into());
        let html = rows_html(&[key(), revoked], "/p", &Filters::default(), 120_000, true);
        assert_eq!(html.matches("<tr ").count(), 2);
        assert_eq!(html.matches("</tr>").count(), 2);
        assert!(
            html.contains(r#"<tr data-key-id="k1" data-status="active">"#),
            "{html}"
        );
        assert!(html.contains(r#"href="?rotate=k1""#), "{html}");
        assert!(html.contains(r#"href="?revoke=k1""#), "{html}");
        assert!(
            html.contains(r#"href="?disable=k1" aria-label="Disable CI"#),
            "{html}"
        );
        assert!(
            html.contains(r#"<td data-label="Requests (7 days)" class="number">1,234</td>"#),
            "{html}"
        );
        assert!(
            html.contains(r#"<span class="badge">Replacement</span>"#),
            "{html}"
        );
        assert!(
            html.contains(r#"<td data-label="Type">Production</td>"#),
            "{html}"
        );
        assert!(
            html.contains(r#"title="1970-01-01 00:01 UTC">1 minute ago</td>"#),
            "{html}"
        );
        assert!(
            html.contains(r#"<tr data-key-id="k2" data-status="revoked">"#),
            "{html}"
        );
        assert!(
            html.contains("Revoked 1970-01-01 00:01 UTC by Bo"),
            "{html}"
        );
        assert!(
            !html.contains("rotate=k2") && !html.contains("revoke=k2"),
            "{html}"
        );
    }
}
