//! GT Keys dashboard: the Leptos app rendered on the server and hydrated in the browser.
//!
//! Server functions in [`api`] are thin: they find the services in the request context,
//! call one method, and map the result to an [`AppError`].

pub mod api;
pub mod components;
pub mod error;
pub mod pages;
pub mod paths;

pub use error::AppError;

use components::header::Header;
use leptos::prelude::*;
use leptos_meta::{HashedStylesheet, MetaTags, Title, provide_meta_context};
use leptos_router::components::{Route, Router, Routes};
use leptos_router::{SsrMode, path};
use pages::api_keys::{OrgKeyPage, OrgKeysPage, ProjectKeyPage, ProjectKeysPage};
use pages::audit_log::AuditLogPage;
use pages::invite::InvitePage;
use pages::members::MembersPage;
use pages::org_settings::OrgSettingsPage;
use pages::project_settings::ProjectSettingsPage;
use pages::webhooks::WebhooksPage;
use pages::{
    home::HomePage, login::LoginPage, not_found::NotFound, org::OrgPage, setup::SetupPage,
};

/// The HTML document around the app (server side only).
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8" />
                <meta name="viewport" content="width=device-width, initial-scale=1" />
                <meta name="color-scheme" content="light dark" />
                <link rel="icon" href="/favicon.ico" />
                <HashedStylesheet options=options.clone() />
                <HydrationScripts options />
                <MetaTags />
            </head>
            <body>
                <App />
            </body>
        </html>
    }
}

/// The app: header, navigation and routed pages.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    // Marks the document once the WASM bundle has taken over, so tests and people can tell
    // a hydrated page from a server-rendered one. Effects only run in the browser.
    Effect::new(move |_| {
        if let Some(root) = document().document_element() {
            let _ = root.set_attribute("data-hydrated", "true");
        }
    });
    #[cfg(feature = "hydrate")]
    space_activates_link_buttons();
    view! {
        <Title text="GT Keys" />
        <Router>
            <a class="skip-link" href="#main">"Skip to content"</a>
            <Header />
            <main id="main" class="page">
                <Routes fallback=|| view! { <NotFound /> }>
                    <Route path=path!("/") view=HomePage ssr=SsrMode::Async />
                    <Route path=path!("/login") view=LoginPage ssr=SsrMode::Async />
                    <Route path=path!("/setup") view=SetupPage ssr=SsrMode::Async />
                    <Route path=path!("/invite/:token") view=InvitePage ssr=SsrMode::Async />
                    <Route path=path!("/orgs/:org_id") view=OrgPage ssr=SsrMode::Async />
                    <Route path=path!("/orgs/:org_id/api-keys") view=OrgKeysPage ssr=SsrMode::Async />
                    <Route path=path!("/orgs/:org_id/api-keys/:key_id") view=OrgKeyPage ssr=SsrMode::Async />
                    <Route
                        path=path!("/orgs/:org_id/projects/:project_id/api-keys")
                        view=ProjectKeysPage
                        ssr=SsrMode::Async
                    />
                    <Route
                        path=path!("/orgs/:org_id/projects/:project_id/api-keys/:key_id")
                        view=ProjectKeyPage
                        ssr=SsrMode::Async
                    />
                    <Route path=path!("/orgs/:org_id/members") view=MembersPage ssr=SsrMode::Async />
                    <Route path=path!("/orgs/:org_id/audit-log") view=AuditLogPage ssr=SsrMode::Async />
                    <Route path=path!("/orgs/:org_id/settings") view=OrgSettingsPage ssr=SsrMode::Async />
                    <Route path=path!("/orgs/:org_id/webhooks") view=WebhooksPage ssr=SsrMode::Async />
                    <Route
                        path=path!("/orgs/:org_id/projects/:project_id/settings")
                        view=ProjectSettingsPage
                        ssr=SsrMode::Async
                    />
                </Routes>
            </main>
        </Router>
    }
}

/// Links styled and announced as buttons (`<a role="button">`, used so dialogs open as
/// plain links without JavaScript) answer the Space key as buttons do, not only Enter.
#[cfg(feature = "hydrate")]
fn space_activates_link_buttons() {
    use wasm_bindgen::JsCast;
    let handle = window_event_listener(leptos::ev::keydown, |ev| {
        if ev.key() != " " {
            return;
        }
        let link = ev
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlElement>().ok())
            .filter(|el| {
                el.tag_name() == "A" && el.get_attribute("role").as_deref() == Some("button")
            });
        if let Some(link) = link {
            ev.prevent_default();
            link.click();
        }
    });
    on_cleanup(move || handle.remove());
}

/// The browser entry point: hydrates the server-rendered page.
#[cfg(feature = "hydrate")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn hydrate() {
    console_error_panic_hook::set_once();
    leptos::mount::hydrate_body(App);
}
