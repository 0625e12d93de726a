//! The HTTP surface: dashboard pages, server functions, static files, health, and the
//! key API under `/api/v1`.

use crate::state::AppState;
use axum::extract::State;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use gtx_app::{App, shell};
use leptos::prelude::provide_context;
use leptos_axum::{LeptosRoutes, generate_route_list};
use serde_json::json;
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

/// Largest request body accepted anywhere (forms and JSON are small).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// Builds the application router around `state`.
pub fn router(state: AppState) -> Router {
    let routes = generate_route_list(App);
    let services = state.services.clone();
    let services_for_errors = state.services.clone();
    let pages = Router::new()
        .route("/healthz", get(healthz))
        .leptos_routes_with_context(&state, routes, move || provide_context(services.clone()), {
            let options = state.leptos_options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(
            move || provide_context(services_for_errors.clone()),
            shell,
        ))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::middleware::request_context,
        ))
        .layer(axum::middleware::from_fn(crate::middleware::same_origin))
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES));
    // The key API has no session and answers every error in JSON, so it sits beside the
    // pages' session, same-origin and body-limit layers (it enforces the same limit
    // itself) and shares only the headers and tracing below.
    Router::new()
        .nest("/api/v1", crate::api::router(state.services.clone()))
        .merge(pages)
        // Pages set their own nonce-bearing policy; everything else (JSON, files) gets
        // one that allows nothing to run.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static("default-src 'none'; frame-ancestors 'none'"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::HeaderName::from_static("cross-origin-opener-policy"),
            HeaderValue::from_static("same-origin"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::HeaderName::from_static("permissions-policy"),
            HeaderValue::from_static("camera=(), microphone=(), geolocation=(), payment=()"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_CONTENT_TYPE_OPTIONS,
            HeaderValue::from_static("nosniff"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::REFERRER_POLICY,
            HeaderValue::from_static("same-origin"),
        ))
        .layer(SetResponseHeaderLayer::if_not_present(
            header::X_FRAME_OPTIONS,
            HeaderValue::from_static("DENY"),
        ))
        // Method and a redacted path only: no headers (cookies, bearer keys), no query
        // string, and no invite token from `/invite/{token}`.
        .layer(TraceLayer::new_for_http().make_span_with(|req: &axum::http::Request<_>| {
            tracing::info_span!("request", method = %req.method(), path = %loggable_path(req.uri().path()))
        }))
        .with_state(state)
}

/// Liveness and readiness: answers 200 when the database answers.
async fn healthz(State(state): State<AppState>) -> impl IntoResponse {
    let backend = state.services.db().backend().as_str();
    match sqlx_ping(&state).await {
        Ok(()) => (
            StatusCode::OK,
            Json(json!({ "status": "ok", "database": backend })),
        ),
        Err(()) => (
            StatusCode::SERVICE_UNAVAILABLE,
            Json(json!({ "status": "unavailable", "database": backend })),
        ),
    }
}

async fn sqlx_ping(state: &AppState) -> Result<(), ()> {
    state
        .services
        .ping()
        .await
        .map_err(|e| tracing::warn!(error = %e, "health check: database unreachable"))
}

/// The path as logs may show it: secrets that travel in paths are replaced.
pub fn loggable_path(path: &str) -> String {
    match path.strip_prefix("/invite/") {
        Some(_) => "/invite/[redacted]".to_owned(),
        None => path.chars().take(200).collect(),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn loggable_path_hides_invite_tokens() {
        assert_eq!(super::loggable_path("/invite/abc123"), "/invite/[redacted]");
        assert_eq!(super::loggable_path("/orgs/x/members"), "/orgs/x/members");
    }
}
