//! What every request handler can reach.

use axum::extract::FromRef;
use gtx_core::services::Services;
use leptos::config::LeptosOptions;

/// Shared application state.
#[derive(Clone, Debug)]
pub struct AppState {
    /// Leptos settings (site root, output name).
    pub leptos_options: LeptosOptions,
    /// The services.
    pub services: Services,
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}
