use super::org_nav::OrgNav;
use crate::AppError;
use crate::api::list_orgs;
use crate::api::session::{Me, SignOut, Visitor, session_state};
use crate::api::types::OrgSummary;
use leptos::prelude::*;
use leptos_router::hooks::use_location;

/// What the header shows to a signed-in user.
async fn signed_in_header() -> Result<Option<(Me, Vec<OrgSummary>)>, AppError> {
    match session_state().await? {
        // Only asked for once signed in: a signed-out page makes no request that fails.
        Visitor::SignedIn(me) => Ok(Some((me, list_orgs().await?))),
        Visitor::SignedOut | Visitor::SetupRequired => Ok(None),
    }
}

/// The top bar: brand, the user's organisations, and who is signed in. It reloads what
/// it shows on every navigation, so signing in, out, or joining shows at once.
#[component]
pub fn Header() -> impl IntoView {
    let location = use_location();
    // Created at the component's top level (not inside a Suspense's closure), so the
    // server and the browser create it in the same order when hydrating.
    let data = Resource::new(move || location.pathname.get(), |_| signed_in_header());
    let sign_out = ServerAction::<SignOut>::new();
    view! {
        <header class="topbar">
            <a class="brand" href="/">
                <span class="brand-mark" aria-hidden="true">"GT"</span>
                <span class="brand-name">"GT Keys"</span>
            </a>
            <Transition>
                {move || {
                    data.get().map(|d| match d {
                        Ok(Some((me, orgs))) => {
                            view! {
                                <OrgNav orgs />
                                <div class="account">
                                    <span class="muted" title=me.name.clone()>{me.email}</span>
                                    <ActionForm action=sign_out>
                                        <button class="button" type="submit">"Sign out"</button>
                                    </ActionForm>
                                </div>
                            }
                                .into_any()
                        }
                        _ => ().into_any(),
                    })
                }}
            </Transition>
        </header>
    }
}
