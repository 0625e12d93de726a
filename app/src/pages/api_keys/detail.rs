//! A key's page (`…/api-keys/{key_id}`): what it is, how it is used (the chart, its
//! summary and table, over 24 hours, 7 or 30 days), and its controls: disable and
//! enable, the permissions of an organisation key (edit, remove the unused ones),
//! stopping an old key after a rotation, the IP allow-list and the description.
//!
//! Dialogs open from the URL (`?disable=1`, `?edit=permissions`), and every
//! form posts without JavaScript too; a plain post comes back to this page.

mod forms;

use super::chart;
use super::key_dialogs::{EditPermissionsDialog, EnableDialog};
use crate::api::keys::{
    DescribeApiKey, EndGracePeriod, RemoveUnusedPermissions, SetApiKeyEnabled,
    SetApiKeyIpAllowlist, SetApiKeyPermissions, get_api_key,
};
use crate::api::types::KeyDetailData;
use crate::components::form_errors::FormErrors;
use forms::{AllowList, Description};
use gtx_core::domain::time::{ago, format_utc, until};
use gtx_core::domain::usage::UsageRange;
use gtx_core::domain::{KeyStatus, KeyType, Level, Permission, PermissionSet};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};

/// `/orgs/{org_id}/projects/{project_id}/api-keys/{key_id}`
#[component]
pub fn ProjectKeyPage() -> impl IntoView {
    view! { <KeyPage project=true /> }
}

/// `/orgs/{org_id}/api-keys/{key_id}` (admins only; anyone else gets 404).
#[component]
pub fn OrgKeyPage() -> impl IntoView {
    view! { <KeyPage project=false /> }
}

/// The page's server actions.
#[derive(Clone, Copy)]
pub(super) struct DetailActions {
    pub(super) enabled: ServerAction<SetApiKeyEnabled>,
    pub(super) permissions: ServerAction<SetApiKeyPermissions>,
    pub(super) unused: ServerAction<RemoveUnusedPermissions>,
    pub(super) grace: ServerAction<EndGracePeriod>,
    pub(super) allowlist: ServerAction<SetApiKeyIpAllowlist>,
    pub(super) describe: ServerAction<DescribeApiKey>,
}

impl DetailActions {
    fn versions(&self) -> [usize; 6] {
        [
            self.enabled.version().get(),
            self.permissions.version().get(),
            self.unused.version().get(),
            self.grace.version().get(),
            self.allowlist.version().get(),
            self.describe.version().get(),
        ]
    }
}

#[component]
fn KeyPage(project: bool) -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let ids = move || {
        let p = params.read();
        (
            p.get("org_id").unwrap_or_default(),
            if project { p.get("project_id") } else { None },
            p.get("key_id").unwrap_or_default(),
        )
    };
    let actions = DetailActions {
        enabled: ServerAction::new(),
        permissions: ServerAction::new(),
        unused: ServerAction::new(),
        grace: ServerAction::new(),
        allowlist: ServerAction::new(),
        describe: ServerAction::new(),
    };
    let range = Memo::new(move |_| query.read().get("range"));
    let data = Resource::new(
        move || (ids(), range.get(), actions.versions()),
        |((org_id, project_id, key_id), range, _)| get_api_key(org_id, project_id, key_id, range),
    );
    // With JavaScript, a finished change in a dialog closes it (the URL drops the dialog).
    let navigate = use_navigate();
    Effect::new(move |_| {
        let done = matches!(actions.enabled.value().get(), Some(Ok(())))
            || matches!(actions.permissions.value().get(), Some(Ok(())));
        let open = {
            let q = query.read();
            ["disable", "enable", "edit"]
                .iter()
                .any(|k| q.get(k).is_some())
        };
        if done && open {
            let (org_id, project_id, key_id) = ids();
            let mut href = crate::paths::key(&org_id, project_id.as_deref(), &key_id);
            if let Some(r) = range.get_untracked() {
                href.push_str(&format!("?range={r}"));
            }
            navigate(
                &href,
                NavigateOptions {
                    replace: true,
                    ..Default::default()
                },
            );
        }
    });
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || {
                data.get().map(|result| match result {
                    Ok(data) => view! { <KeyDetail data actions /> }.into_any(),
                    Err(e) => crate::pages::load_failed(e),
                })
            }}
        </Transition>
    }
}

#[component]
fn KeyDetail(data: KeyDetailData, actions: DetailActions) -> impl IntoView {
    let query = use_query_map();
    let key = data.key.clone();
    let org_id = data.org.id.clone();
    let project_id = data.project.as_ref().map(|p| p.id.clone());
    let here = crate::paths::key(&org_id, project_id.as_deref(), &key.id);
    let list = crate::paths::keys(&org_id, project_id.as_deref());
    let range = data.series.range;
    let with_range = {
        let here = here.clone();
        move |extra: &str| {
            let mut q = vec![format!("range={}", range.as_str())];
            if !extra.is_empty() {
                q.push(extra.to_owned());
            }
            format!("{here}?{}", q.join("&"))
        }
    };
    let close = StoredValue::new(with_range(""));
    let status = KeyStatus::at(data.now, key.expires_at, key.revoked_at, key.disabled_at);
    let title = format!("{} · API key · GT Keys", key.name);
    let back_label = match &data.project {
        Some(p) => format!("← {} · API keys", p.name),
        None => "← Organisation API keys".to_owned(),
    };
    let is_org_key = data.project.is_none();
    let dialog = move |name: &str| query.read().get(name).is_some();
    let live = status.is_usable() || status == KeyStatus::Disabled;
    let controls = live.then(|| {
        let name = key.name.clone();
        // Enabling undoes a pause at once, without a confirmation; disabling asks first.
        let toggle = if status == KeyStatus::Disabled {
            let id = key.id.clone();
            let label = format!("Enable {name}");
            view! {
                <ActionForm action=actions.enabled>
                    <input type="hidden" name="key_id" value=id />
                    <input type="hidden" name="enabled" value="true" />
                    <input type="hidden" name="back" value="detail" />
                    <button class="button primary" type="submit" aria-label=label disabled=move || actions.enabled.pending().get()>"Enable"</button>
                </ActionForm>
            }.into_any()
        } else {
            view! { <a class="button" role="button" href=with_range("disable=1") aria-label=format!("Disable {name}")>"Disable"</a> }.into_any()
        };
        let rotate = (status.is_usable() && !key.replaced).then(|| {
            let href = format!("{list}?rotate={}", key.id);
            view! { <a class="button" role="button" href=href aria-label=format!("Rotate {name}")>"Rotate"</a> }
        });
        let revoke_href = format!("{list}?revoke={}", key.id);
        view! {
            <div class="inline-form key-controls">
                {toggle}
                {rotate}
                <a class="button danger" role="button" href=revoke_href aria-label=format!("Revoke {name}")>"Revoke"</a>
            </div>
        }
    });
    let key_for_dialogs = StoredValue::new(key.clone());
    view! {
        <Title text=title />
        <p><a href=list.clone()>{back_label}</a></p>
        <div class="page-head">
            <h1>{key.name.clone()}</h1>
            <span class=format!("status status-{}", status.as_str())>{status.label()}</span>
        </div>
        {(!data.description.is_empty()).then(|| view! { <p class="key-description">{data.description.clone()}</p> })}
        {controls}
        <RotationNote data=data.clone() actions />
        <section class="usage" aria-labelledby="usage-heading">
            <h2 id="usage-heading">"Usage"</h2>
            <nav aria-label="Range" class="inline-form">
                {UsageRange::ALL.into_iter().map(|r| {
                    let href = format!("{here}?range={}", r.as_str());
                    view! {
                        <a class="button small" href=href aria-current=(r == range).then_some("page")>{r.label()}</a>
                    }
                }).collect_view()}
            </nav>
            <p class="usage-summary">{chart::summary(&data.series)}</p>
            <div class="chart" inner_html=chart::svg(&data.series) />
            <div inner_html=chart::legend(&data.series) />
            <div class="table-scroll" tabindex="0" role="region" aria-label="Usage as a table" inner_html=chart::table(&data.series) />
        </section>
        <Details data=data.clone() />
        {is_org_key.then(|| view! { <Permissions data=data.clone() actions edit_href=with_range("edit=permissions") /> })}
        <AllowList data=data.clone() actions />
        <Description data=data.clone() actions />
        <Show when=move || dialog("disable") && live>
            <EnableDialog key=key_for_dialogs.get_value() enable=false close_href=close.get_value() action=actions.enabled back="detail" />
        </Show>
        <Show when=move || is_org_key && live && query.read().get("edit").as_deref() == Some("permissions")>
            <EditPermissionsDialog key=key_for_dialogs.get_value() close_href=close.get_value() action=actions.permissions />
        </Show>
    }
}

/// A rotated key in its grace period: the traffic it still gets, and "Stop old key now".
#[component]
fn RotationNote(data: KeyDetailData, actions: DetailActions) -> impl IntoView {
    let (Some((rotated_at, requests)), Some(ends)) = (data.since_rotation, data.key.expires_at)
    else {
        return ().into_any();
    };
    let error = FormErrors::of(actions.grace, &[]).form();
    let advice = if requests == 0 {
        "Nothing has used it since: it is safe to stop it now."
    } else {
        "Something still uses it: find it before you stop it."
    };
    let requests_text = format!(
        "{} request{} since the rotation {} ({} UTC).",
        chart::thousands(requests),
        if requests == 1 { "" } else { "s" },
        ago(data.now, rotated_at),
        format_utc(rotated_at)
    );
    view! {
        <section class="callout" aria-labelledby="rotation-heading">
            <h2 id="rotation-heading" class="small-heading">"Replaced by a new key"</h2>
            <p>
                {format!("This key stops working {} ({} UTC). ", until(data.now, ends), format_utc(ends))}
                <strong data-testid="since-rotation">{requests_text}</strong>
                " "{advice}
            </p>
            <ActionForm action=actions.grace>
                <input type="hidden" name="key_id" value=data.key.id.clone() />
                <input type="hidden" name="back" value="detail" />
                <p class="form-error" role="alert">{error}</p>
                <button class="button danger" type="submit" disabled=move || actions.grace.pending().get()>"Stop old key now"</button>
            </ActionForm>
        </section>
    }
    .into_any()
}

/// The key's facts.
#[component]
fn Details(data: KeyDetailData) -> impl IntoView {
    let key = data.key;
    let now = data.now;
    let kind = key
        .key_type
        .parse::<KeyType>()
        .map_or("Unknown", KeyType::label);
    let expires = match (key.expires_at, key.revoked_at) {
        (_, Some(at)) => format!(
            "Revoked {} UTC{}",
            format_utc(at),
            key.revoked_by
                .map(|b| format!(" by {b}"))
                .unwrap_or_default()
        ),
        (None, None) => "Never".to_owned(),
        (Some(t), None) if t <= now => format!("{} UTC (expired)", format_utc(t)),
        (Some(t), None) => format!("{} UTC ({})", format_utc(t), until(now, t)),
    };
    let last_used = key.last_used_at.map_or_else(
        || "Never".to_owned(),
        |t| format!("{} ({} UTC)", ago(now, t), format_utc(t)),
    );
    let client = match (data.last_client_ip, data.last_user_agent) {
        (None, None) => None,
        (ip, agent) => Some(format!(
            "{}{}",
            ip.unwrap_or_else(|| "unknown address".to_owned()),
            agent.map(|a| format!(" · {a}")).unwrap_or_default()
        )),
    };
    let disabled = key.disabled_at.map(|t| format!("{} UTC", format_utc(t)));
    view! {
        <section aria-labelledby="details-heading">
            <h2 id="details-heading">"Details"</h2>
            <dl class="facts">
                <dt>"Key"</dt><dd><code class="key-hint">{key.hint}</code></dd>
                <dt>"Type"</dt><dd>{kind}</dd>
                {data.project.map(|p| view! { <dt>"Project ID"</dt><dd><code>{p.id}</code></dd> })}
                <dt>"Created"</dt><dd>{format!("{} UTC by {}", format_utc(key.created_at), key.created_by)}</dd>
                <dt>"Last used"</dt><dd>{last_used}</dd>
                <dt>"Expires"</dt><dd>{expires}</dd>
                {disabled.map(|d| view! { <dt>"Disabled"</dt><dd>{d}</dd> })}
                <dt>{format!("Requests ({})", data.series.range.label())}</dt><dd>{chart::thousands(key.requests_7d)}</dd>
                {client.map(|c| view! { <dt>"Latest platform API client"</dt><dd>{c}</dd> })}
            </dl>
        </section>
    }
}

/// An organisation key's permissions: what it holds, what it did not ask for in 30 days.
#[component]
fn Permissions(data: KeyDetailData, actions: DetailActions, edit_href: String) -> impl IntoView {
    let key = data.key;
    let held: PermissionSet = key
        .permissions
        .iter()
        .filter_map(|p| p.parse::<Permission>().ok())
        .collect();
    let unused: Vec<String> = data.unused.unwrap_or_default();
    let live = KeyStatus::at(data.now, key.expires_at, key.revoked_at, key.disabled_at)
        != KeyStatus::Revoked
        && key.expires_at.is_none_or(|e| e > data.now);
    let error = FormErrors::of(actions.unused, &[]).form();
    let rows = gtx_core::domain::Resource::ALL
        .into_iter()
        .filter_map(|r| {
            let level = held.level(r);
            (level != Level::NoAccess)
                .then(|| view! { <li>{format!("{}: {}", r.label(), level.label())}</li> })
        })
        .collect_view();
    let unused_text = if unused.is_empty() {
        "Every permission was asked for in the last 30 days.".to_owned()
    } else {
        format!("Not asked for in the last 30 days: {}.", unused.join(", "))
    };
    let can_trim = live && !unused.is_empty();
    view! {
        <section aria-labelledby="permissions-heading">
            <h2 id="permissions-heading">"Permissions"</h2>
            <ul class="permission-list">{rows}</ul>
            <p data-testid="unused-permissions">{unused_text}</p>
            {live.then(|| view! { <a class="button" role="button" href=edit_href>"Edit permissions"</a> })}
            {can_trim.then(|| view! {
                <ActionForm action=actions.unused>
                    <input type="hidden" name="key_id" value=key.id.clone() />
                    <input type="hidden" name="back" value="detail" />
                    <p class="form-error" role="alert">{error}</p>
                    <button class="button" type="submit" disabled=move || actions.unused.pending().get()>"Remove unused permissions"</button>
                </ActionForm>
            })}
        </section>
    }
}
