use crate::api::types::OrgSummary;
use leptos::prelude::*;

/// Navigation to the signed-in user's organisations.
#[component]
pub fn OrgNav(orgs: Vec<OrgSummary>) -> impl IntoView {
    view! {
        <nav class="org-nav" aria-label="Organisations">
            {if orgs.is_empty() {
                view! { <span class="muted">"No organisations"</span> }.into_any()
            } else {
                view! {
                    <ul class="org-nav-list">
                        {orgs
                            .into_iter()
                            .map(|org| {
                                let href = crate::paths::org(&org.id);
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
            }}
        </nav>
    }
}
