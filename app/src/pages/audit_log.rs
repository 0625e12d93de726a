use super::org::OrgSubnav;
use crate::api::audit::list_audit;
use crate::components::pager::Pager;
use crate::components::table_head::TableHead;
use gtx_core::domain::key_list::{PageRequest, encode, list_query, search_from_lookup};
use gtx_core::domain::time::format_utc;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

/// The audit log (admins): who did what, to what, when and from where; filtered by
/// kind of action and searched by text, newest first, paged in the database
/// (`?kind=…&q=…&page=…&per_page=…`).
#[component]
pub fn AuditLogPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let org_id = move || params.read().get("org_id").unwrap_or_default();
    let args = move || {
        let q = query.read();
        (
            org_id(),
            q.get("kind").filter(|k| !k.is_empty()),
            search_from_lookup(|k| q.get(k)),
            PageRequest::from_lookup(|k| q.get(k)),
        )
    };
    let events = Resource::new(args, |(org_id, kind, q, at)| {
        list_audit(org_id, kind, q, at)
    });
    let kind = move || query.read().get("kind").unwrap_or_default();
    let search = move || search_from_lookup(|k| query.read().get(k));
    // A link to page `n` of this view of the log.
    let href = move |n: u32| {
        let (org_id, kind, q, at) = args();
        let kind = kind.map(|k| ("kind", encode(&k))).into_iter().collect();
        let base = crate::paths::org_section(&org_id, "audit-log");
        format!("{base}{}", list_query(kind, q.as_deref(), at.on(n)))
    };
    view! {
        <Title text="Audit log · GT Keys" />
        <div class="page-head"><h1>"Audit log"</h1></div>
        <OrgSubnav org_id=org_id() is_admin=true current="audit-log" />
        <form method="get" class="inline-form">
            <label for="audit-kind">"Show"</label>
            <select id="audit-kind" name="kind">
                {[("", "All events"), ("key", "API keys"), ("member", "Members"), ("project", "Projects"), ("webhook", "Webhooks"), ("auth", "Sign-ins"), ("setup", "Setup"), ("organisation", "Organisation")]
                    .into_iter()
                    .map(|(value, label)| view! { <option value=value selected=move || kind() == value>{label}</option> })
                    .collect_view()}
            </select>
            <label for="audit-q">"Search"</label>
            <input id="audit-q" type="search" name="q" maxlength="100" placeholder="Who, what or target"
                prop:value=move || search().unwrap_or_default() value=search />
            <button class="button" type="submit">"Filter"</button>
        </form>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || {
                events.get().map(|r| match r {
                    Ok(events) if events.rows.is_empty() => view! { <p class="empty-state">"No events match."</p> }.into_any(),
                    Ok(events) => {
                        let (page, matching, per_page) = (events.page, events.matching, events.per_page);
                        view! {
                            <table class="table">
                                <TableHead columns=&["When (UTC)", "Who", "Action", "Target", "From"] />
                                <tbody>
                                    {events.rows.into_iter().map(|e| view! {
                                        <tr>
                                            <td><time>{format_utc(e.occurred_at)}</time></td>
                                            <td>{e.actor}</td>
                                            <td><code>{e.action}</code></td>
                                            <td>{e.target.unwrap_or_default()}</td>
                                            <td title=e.user_agent.unwrap_or_default()>{e.ip.unwrap_or_else(|| "—".into())}</td>
                                        </tr>
                                    }).collect_view()}
                                </tbody>
                            </table>
                            <Pager page matching per_page href />
                        }.into_any()
                    }
                    Err(e) => super::load_failed(e),
                })
            }}
        </Suspense>
    }
}
