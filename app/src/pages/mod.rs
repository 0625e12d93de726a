//! Routed pages.

pub mod api_keys;
pub mod audit_log;
pub mod home;
pub mod invite;
pub mod login;
pub mod members;
pub mod not_found;
pub mod org;
pub mod org_settings;
pub mod project_settings;
pub mod setup;
pub mod webhooks;

use crate::AppError;
use leptos::prelude::*;
use leptos_router::components::Redirect;
use not_found::NotFound;

/// What a page shows when its data could not be loaded: "Page not found" (also for what
/// the user may not see), the sign-in page when the session has ended, else the error.
pub fn load_failed(error: AppError) -> AnyView {
    match error {
        AppError::NotFound => view! { <NotFound /> }.into_any(),
        AppError::Unauthenticated => view! { <Redirect path="/login" /> }.into_any(),
        e => view! { <p class="form-error" role="alert">{e.to_string()}</p> }.into_any(),
    }
}
