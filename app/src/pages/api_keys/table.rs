//! The key list: a table on wide screens, one card per key on a phone.

use super::filters::{Filters, SortBy};
use crate::api::types::{KeyCounts, KeyRow};
use crate::components::pager::Pager;
use gtx_core::domain::status::is_stale;
use gtx_core::domain::time::{ago, format_utc, until};
use gtx_core::domain::{KeyStatus, KeyType, Permission, PermissionSet, Resource};
use leptos::prelude::*;

/// One page of the filtered, sorted keys, with links to the pages around it.
/// What the table shows of how many: "3 keys", "51–100 of 1000+ keys", "1–50 of 120
/// matching keys (1000+ in all)".
fn caption(counts: &KeyCounts, shown: usize) -> String {
    let plus = if counts.more { "+" } else { "" };
    let tplus = if counts.total_more { "+" } else { "" };
    let (matching, total) = (counts.matching, counts.total);
    let first = u64::from(counts.page.saturating_sub(1)) * u64::from(counts.per_page) + 1;
    let last = (first + shown as u64).saturating_sub(1);
    match (matching <= u64::from(counts.per_page), matching == total) {
        (true, true) => format!("{total} key{}", if total == 1 { "" } else { "s" }),
        (true, false) => format!("{matching} of {total}{tplus} keys"),
        (false, true) => format!("{first}–{last} of {total}{tplus} keys"),
        (false, false) => {
            format!("{first}–{last} of {matching}{plus} matching keys ({total}{tplus} in all)")
        }
    }
}

#[component]
pub fn KeyTable(
    rows: Vec<KeyRow>,
    counts: KeyCounts,
    base: String,
    filters: Memo<Filters>,
    now: i64,
    project: bool,
) -> impl IntoView {
    let KeyCounts {
        matching,
        total,
        page,
        per_page,
        more,
        ..
    } = counts;
    if total == 0 {
        return view! { <EmptyState project /> }.into_any();
    }
    if rows.is_empty() {
        return view! {
            <div class="empty-state" role="status">
                <p>"No keys match these filters."</p>
                <a href=base>"Clear filters"</a>
            </div>
        }
        .into_any();
    }
    let header = {
        let base = base.clone();
        move |column: SortBy, label: &'static str| {
            let base = base.clone();
            view! {
                <th scope="col" aria-sort=move || filters.get().aria_sort(column)>
                    <a class="sort" href=move || format!("{base}{}", filters.get().sorted_by(column))>
                        {label}
                    </a>
                </th>
            }
        }
    };
    let caption = caption(&counts, rows.len());
    let pager = {
        let base = base.clone();
        let href = move |to: u32| format!("{base}{}", filters.get_untracked().on_page(to).query());
        view! { <Pager page matching per_page more href /> }
    };
    view! {
        <p class="muted table-caption" role="status">{caption}</p>
        <table class="table keys-table">
            <caption class="visually-hidden">{if project { "Project API keys" } else { "Organisation API keys" }}</caption>
            <thead>
                <tr>
                    {header(SortBy::Name, "Name")}
                    {project.then(|| view! { <th scope="col">"Type"</th> })}
                    <th scope="col">"Key"</th>
                    {(!project).then(|| view! { <th scope="col">"Permissions"</th> })}
                    {header(SortBy::Created, "Created")}
                    {header(SortBy::LastUsed, "Last used")}
                    {header(SortBy::Expires, "Expires")}
                    <th scope="col">"Status"</th>
                    <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                </tr>
            </thead>
            <tbody>
                {
                    // The rows' links keep the view; the table is drawn again whenever
                    // the view changes (the list reloads), so they need not track it.
                    let view = filters.get_untracked();
                    rows.into_iter().map(|key| key_row(key, &base, &view, now, project)).collect_view()
                }
            </tbody>
        </table>
        {pager}
    }
    .into_any()
}

/// One key's row: a plain function, not a component, and with no reactive parts, so a
/// page of rows renders without one erased view and one effect per link.
fn key_row(
    key: KeyRow,
    base: &str,
    view: &Filters,
    now: i64,
    project: bool,
) -> impl IntoView + use<> {
    let status = KeyStatus::at(now, key.expires_at, key.revoked_at);
    let stale = status.is_usable() && is_stale(now, key.created_at, key.last_used_at);
    let type_label = key
        .key_type
        .parse::<KeyType>()
        .map(KeyType::label)
        .unwrap_or("Unknown");
    let last_used = key
        .last_used_at
        .map_or_else(|| "Never".to_owned(), |t| ago(now, t));
    let last_used_title = key.last_used_at.map(|t| format!("{} UTC", format_utc(t)));
    let expires = match (key.expires_at, key.revoked_at) {
        (_, Some(_)) => "—".to_owned(),
        (None, None) => "Never".to_owned(),
        (Some(t), None) if t <= now => format!("{} UTC", format_utc(t)),
        (Some(t), None) => format!("{} UTC ({})", format_utc(t), until(now, t)),
    };
    let status_note = match (&key.revoked_at, key.replaced, key.expires_at) {
        (Some(at), _, _) => Some(format!(
            "Revoked {} UTC{}",
            format_utc(*at),
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
    };
    let rotate_href = format!("{base}{}", view.with("rotate", &key.id));
    let revoke_href = format!("{base}{}", view.with("revoke", &key.id));
    let can_rotate = status.is_usable() && !key.replaced;
    let can_revoke = key.revoked_at.is_none() && status.is_usable();
    let rotate_label = format!("Rotate {}", key.name);
    let revoke_label = format!("Revoke {}", key.name);
    let permissions = permission_summary(&key.permissions);
    view! {
        <tr data-key-id=key.id.clone() data-status=status.as_str()>
            <td data-label="Name">
                <span class="key-name">{key.name.clone()}</span>
                {key.rotated.then(|| view! { <span class="badge">"Replacement"</span> })}
                {stale.then(|| view! { <span class="badge warn" title="No use recorded in 90 days: revoke it if nothing needs it">"Unused 90+ days"</span> })}
            </td>
            {project.then(|| view! { <td data-label="Type">{type_label}</td> })}
            <td data-label="Key"><code class="key-hint">{key.hint.clone()}</code></td>
            {(!project).then(|| view! { <td data-label="Permissions">{permissions}</td> })}
            <td data-label="Created">
                {format_utc(key.created_at)}" UTC"
                <span class="muted block">{format!("by {}", key.created_by)}</span>
            </td>
            <td data-label="Last used" title=last_used_title>{last_used}</td>
            <td data-label="Expires">{expires}</td>
            <td data-label="Status">
                <span class=format!("status status-{}", status.as_str())>{status.label()}</span>
                {status_note.map(|n| view! { <span class="muted block">{n}</span> })}
            </td>
            <td data-label="Actions">
                <div class="inline-form">
                    {can_rotate.then(|| view! { <a class="button" role="button" href=rotate_href aria-label=rotate_label>"Rotate"</a> })}
                    {can_revoke.then(|| view! { <a class="button danger" role="button" href=revoke_href aria-label=revoke_label>"Revoke"</a> })}
                </div>
            </td>
        </tr>
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
        .filter_map(|r| {
            let level = set.level(r);
            match level {
                gtx_core::domain::Level::NoAccess => None,
                gtx_core::domain::Level::Enabled => Some(r.label().to_owned()),
                gtx_core::domain::Level::Write => {
                    Some(format!("{}: Write (includes Read)", r.label()))
                }
                gtx_core::domain::Level::Read => Some(format!("{}: Read", r.label())),
            }
        })
        .collect();
    if parts.is_empty() {
        "None".to_owned()
    } else {
        parts.join(" · ")
    }
}

#[component]
fn EmptyState(project: bool) -> impl IntoView {
    view! {
        <div class="empty-state">
            <h2>"No API keys yet"</h2>
            {if project {
                view! {
                    <p>"An API key lets your code call the translation API for this project. Send it as GT_API_KEY together with the project ID."</p>
                    <ul>
                        <li><strong>"Production"</strong>" keys (gtx-api-…) are for deployed apps and production automation."</li>
                        <li><strong>"Development"</strong>" keys (gtx-dev-…) are for local development, previews and tests."</li>
                    </ul>
                    <p>"A key is shown once, when you create it. Create one with “Create API key”."</p>
                }.into_any()
            } else {
                view! {
                    <p>"Organisation keys (gtx-org-…) act on every project of the organisation, with exactly the permissions you choose: use them for CI and automation across projects."</p>
                    <p>"A key is shown once, when you create it. Create one with “Create API key”."</p>
                }.into_any()
            }}
        </div>
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn permission_summary_names_levels_with_write_including_read() {
        let summary = super::permission_summary(&[
            "files:read".into(),
            "files:write".into(),
            "context:read".into(),
            "project_settings".into(),
        ]);
        assert_eq!(
            summary,
            "Files: Write (includes Read) · Context: Read · Project settings"
        );
        assert_eq!(super::permission_summary(&[]), "None");
    }
}
