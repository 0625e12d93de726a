use super::not_found::NotFound;
use crate::AppError;
use crate::api::get_org;
use crate::api::types::OrgSummary;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_params_map;

/// An organisation's home: its projects.
#[component]
pub fn OrgPage() -> impl IntoView {
    let params = use_params_map();
    let org_id = move || params.read().get("org_id").unwrap_or_default();
    let org = Resource::new(org_id, get_org);
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || {
                org.get()
                    .map(|result| match result {
                        Ok(org) => view! { <OrgDetail org /> }.into_any(),
                        Err(AppError::NotFound) => view! { <NotFound /> }.into_any(),
                        Err(e) => view! { <p class="error-text" role="alert">{e.to_string()}</p> }.into_any(),
                    })
            }}
        </Suspense>
    }
}

#[component]
fn OrgDetail(org: OrgSummary) -> impl IntoView {
    let title = format!("{} · GT Keys", org.name);
    let empty = org.projects.is_empty();
    view! {
        <Title text=title />
        <h1>{org.name.clone()}</h1>
        <section aria-labelledby="projects-heading">
            <h2 id="projects-heading">"Projects"</h2>
            <Show
                when=move || !empty
                fallback=|| {
                    view! {
                        <div class="empty-state">
                            <p>"This organisation has no projects yet. Each project gets its own production and development keys."</p>
                            <pre class="code"><code>"gtx-keys project create --org <ORG_ID> --name \"Website\""</code></pre>
                        </div>
                    }
                }
            >
                <table class="table">
                    <thead>
                        <tr>
                            <th scope="col">"Project"</th>
                            <th scope="col">"Project ID"</th>
                            <th scope="col">"Default locale"</th>
                        </tr>
                    </thead>
                    <tbody>
                        {org
                            .projects
                            .clone()
                            .into_iter()
                            .map(|p| {
                                view! {
                                    <tr>
                                        <td>{p.name}</td>
                                        <td>
                                            <code>{p.id}</code>
                                        </td>
                                        <td>{p.default_locale}</td>
                                    </tr>
                                }
                            })
                            .collect_view()}
                    </tbody>
                </table>
            </Show>
        </section>
    }
}
