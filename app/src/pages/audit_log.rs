use super::org::OrgSubnav;
use crate::api::audit::list_audit;
use crate::components::table_head::TableHead;
use gtx_core::domain::time::format_utc;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

/// The audit log (admins): who did what, to what, when and from where; filtered by
/// kind of action, newest first, paged.
#[component]
pub fn AuditLogPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let org_id = move || params.read().get("org_id").unwrap_or_default();
    let args = move || {
        let q = query.read();
        (org_id(), q.get("kind"), q.get("before"))
    };
    let events = Resource::new(args, |(org_id, kind, before)| {
        list_audit(org_id, kind, before)
    });
    let kind = move || query.read().get("kind").unwrap_or_default();
    view! {
        <Title text="Audit log · GT Keys" />
        <div class="page-head"><h1>"Audit log"</h1></div>
        <OrgSubnav org_id=org_id() is_admin=true current="audit-log" />
        <form method="get" class="inline-form">
            <label for="audit-kind">"Show"</label>
            <select id="audit-kind" name="kind">
                {[("", "All events"), ("key", "API keys"), ("member", "Members"), ("project", "Projects"), ("auth", "Sign-ins"), ("setup", "Setup"), ("organisation", "Organisation")]
                    .into_iter()
                    .map(|(value, label)| view! { <option value=value selected=move || kind() == value>{label}</option> })
                    .collect_view()}
            </select>
            <button class="button" type="submit">"Filter"</button>
        </form>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || {
                events.get().map(|r| match r {
                    Ok(events) if events.is_empty() => view! { <p class="empty-state">"No events match."</p> }.into_any(),
                    Ok(events) => {
                        let next = (events.len() as i64 >= 100).then(|| events.last().map(|e| e.id.clone())).flatten();
                        view! {
                            <table class="table">
                                <TableHead columns=&["When (UTC)", "Who", "Action", "Target", "From"] />
                                <tbody>
                                    {events.into_iter().map(|e| view! {
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
                            {next.map(|id| view! { <p><a class="button" href=format!("?kind={}&before={id}", kind())>"Older events"</a></p> })}
                        }.into_any()
                    }
                    Err(e) => super::load_failed(e),
                })
            }}
        </Suspense>
    }
}
