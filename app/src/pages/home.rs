use crate::api::list_orgs;
use crate::api::types::OrgSummary;
use leptos::prelude::*;
use leptos_meta::Title;

/// The landing page: every organisation and its projects.
#[component]
pub fn HomePage() -> impl IntoView {
    let orgs = Resource::new(|| (), |_| list_orgs());
    view! {
        <Title text="Organisations · GT Keys" />
        <h1>"Organisations"</h1>
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || {
                orgs.get()
                    .map(|result| match result {
                        Ok(orgs) if orgs.is_empty() => view! { <EmptyState /> }.into_any(),
                        Ok(orgs) => {
                            view! {
                                <ul class="card-grid">
                                    {orgs.into_iter().map(|org| view! { <OrgCard org /> }).collect_view()}
                                </ul>
                            }
                                .into_any()
                        }
                        Err(e) => view! { <p class="error-text" role="alert">{e.to_string()}</p> }.into_any(),
                    })
            }}
        </Suspense>
    }
}

#[component]
fn OrgCard(org: OrgSummary) -> impl IntoView {
    let href = format!("/orgs/{}", org.id);
    let count = match org.projects.len() {
        1 => "1 project".to_owned(),
        n => format!("{n} projects"),
    };
    view! {
        <li class="card">
            <h2 class="card-title">
                <a href=href>{org.name}</a>
            </h2>
            <p class="muted">{count}</p>
        </li>
    }
}

#[component]
fn EmptyState() -> impl IntoView {
    view! {
        <section class="empty-state">
            <h2>"No organisations yet"</h2>
            <p>
                "An organisation holds your projects and their API keys. Create the first one from the server's console:"
            </p>
            <pre class="code"><code>"gtx-keys org create --name \"Acme\""</code></pre>
        </section>
    }
}
