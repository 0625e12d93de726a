use crate::AppError;
use crate::api::list_orgs;
use crate::api::session::{Visitor, session_state};
use crate::api::types::OrgSummary;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;

/// The landing page: first-run setup, sign-in, or the user's organisations.
#[component]
pub fn HomePage() -> impl IntoView {
    // Both resources at the top level, not inside a Suspense's closure: the server and
    // the browser must create them in the same order for hydration.
    let state = Resource::new(|| (), |_| session_state());
    let orgs = Resource::new(|| (), |_| list_orgs());
    view! {
        <Title text="Organisations · GT Keys" />
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || {
                state.get().map(|s| match s {
                    Ok(Visitor::SetupRequired) => view! { <Redirect path="/setup" /> }.into_any(),
                    Ok(Visitor::SignedOut) => view! { <Redirect path="/login" /> }.into_any(),
                    Ok(Visitor::SignedIn(_)) => view! { <OrgList orgs /> }.into_any(),
                    Err(e) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any(),
                })
            }}
        </Suspense>
    }
}

#[component]
fn OrgList(orgs: Resource<Result<Vec<OrgSummary>, AppError>>) -> impl IntoView {
    view! {
        <h1>"Organisations"</h1>
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
                        Err(AppError::Unauthenticated) => view! { <Redirect path="/login" /> }.into_any(),
                        Err(e) => view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any(),
                    })
            }}
    }
}

#[component]
fn OrgCard(org: OrgSummary) -> impl IntoView {
    let href = crate::paths::org(&org.id);
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
            <h2>"You are not in any organisation"</h2>
            <p>"Ask an admin of your organisation to invite you again."</p>
        </section>
    }
}
