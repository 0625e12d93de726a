use crate::api::list_orgs;
use leptos::prelude::*;

/// Navigation to every organisation and its projects, as they exist in the database.
#[component]
pub fn OrgNav() -> impl IntoView {
    let orgs = Resource::new(|| (), |_| list_orgs());
    view! {
        <nav class="org-nav" aria-label="Organisations">
            <Suspense fallback=|| view! { <span class="muted">"Loading…"</span> }>
                {move || {
                    orgs.get()
                        .map(|result| match result {
                            Ok(orgs) if orgs.is_empty() => {
                                view! { <span class="muted">"No organisations yet"</span> }.into_any()
                            }
                            Ok(orgs) => {
                                view! {
                                    <ul class="org-nav-list">
                                        {orgs
                                            .into_iter()
                                            .map(|org| {
                                                let href = format!("/orgs/{}", org.id);
                                                view! {
                                                    <li>
                                                        <a href=href>{org.name}</a>
                                                    </li>
                                                }
                                            })
                                            .collect_view()}
                                    </ul>
                                }
                                    .into_any()
                            }
                            Err(e) => view! { <span class="error-text">{e.to_string()}</span> }.into_any(),
                        })
                }}
            </Suspense>
        </nav>
    }
}
