//! What every request handler can reach.

use crate::client_addr::TrustedProxies;
use axum::extract::FromRef;
use gtx_core::services::Services;
use leptos::config::LeptosOptions;
use std::sync::Arc;

/// Shared application state.
#[derive(Clone, Debug)]
pub struct AppState {
    /// Leptos settings (site root, output name).
    pub leptos_options: LeptosOptions,
    /// The services.
    pub services: Services,
    /// How the server meets the network (proxies, public URL).
    pub http: Arc<HttpSettings>,
}

/// The HTTP settings the router needs, decided once at start.
#[derive(Clone, Debug, Default)]
pub struct HttpSettings {
    /// Proxies whose `X-Forwarded-For` is believed.
    pub trusted_proxies: Arc<TrustedProxies>,
    /// The dashboard's public origin (`https://keys.example.com`), when configured.
    pub public_url: Option<Arc<str>>,
    /// GitHub's secret scanning keys, when its partner endpoint is on.
    pub github_scanning: crate::api::github::GithubScanning,
}

impl HttpSettings {
    /// Whether browsers reach the dashboard over HTTPS (then HSTS is sent).
    pub fn is_https(&self) -> bool {
        self.public_url
            .as_deref()
            .is_some_and(|u| u.starts_with("https://"))
    }
}

impl FromRef<AppState> for LeptosOptions {
    fn from_ref(state: &AppState) -> Self {
        state.leptos_options.clone()
    }
}
