//! The HTTP surface: dashboard pages, server functions, static files, health, and the
//! key API under `/api/v1`.

use crate::state::{AppState, HttpSettings};
use axum::body::Body;
use axum::body::Bytes;
use axum::extract::Request;
use axum::extract::State;
use axum::http::request::Parts;
use axum::http::{Extensions, HeaderMap, Version};
use axum::http::{HeaderValue, Response, StatusCode, header};
use axum::middleware::Next;
use axum::response::IntoResponse;
use axum::routing::get;
use axum::{Json, Router};
use gtx_app::api::PublicOrigin;
use gtx_app::{App, shell};
use http_body_util::Full;
use leptos::nonce::Nonce;
use leptos::prelude::{provide_context, use_context};
use leptos_axum::{AxumRouteListing, LeptosRoutes, generate_route_list};
use serde_json::json;
use std::sync::{Arc, LazyLock};
use tower_http::catch_panic::CatchPanicLayer;
use tower_http::compression::predicate::{DefaultPredicate, Predicate};
use tower_http::compression::{CompressionLayer, CompressionLevel};
use tower_http::limit::RequestBodyLimitLayer;
use tower_http::set_header::SetResponseHeaderLayer;
use tower_http::trace::TraceLayer;

/// Largest request body accepted anywhere (forms and JSON are small).
pub const MAX_BODY_BYTES: usize = 64 * 1024;

/// The dashboard's routes, listed once per process.
///
/// Listing them renders the whole app with resource loading suppressed by a
/// process-wide flag (`leptos_server::SuppressResourceLoad`): a page whose resource is
/// first polled on another thread while the flag is up waits for ever
/// (leptos-rs/leptos#4773). Listed once, before any router exists, no page can be
/// rendering then, however many routers a process builds (the tests build hundreds).
static ROUTES: LazyLock<Vec<AxumRouteListing>> = LazyLock::new(|| generate_route_list(App));

/// Builds the application router around `state`.
pub fn router(state: AppState) -> Router {
    let routes = ROUTES.clone();
    let context = {
        let services = state.services.clone();
        let origin = PublicOrigin(state.http.public_url.clone());
        move || {
            provide_context(services.clone());
            provide_context(origin.clone());
            // The nonce that `page_policy` names in this response's policy, for the
            // hydration scripts (it replaces the one leptos made).
            if let Some(nonce) =
                use_context::<Parts>().and_then(|parts| parts.extensions.get::<Nonce>().cloned())
            {
                provide_context(nonce);
            }
        }
    };
    let pages = Router::new()
        .route("/healthz", get(healthz))
        .leptos_routes_with_context(&state, routes, context.clone(), {
            let options = state.leptos_options.clone();
            move || shell(options.clone())
        })
        .fallback(leptos_axum::file_and_error_handler_with_context::<
            AppState,
            _,
        >(context, shell))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::middleware::request_context,
        ))
        .layer(axum::middleware::from_fn(crate::middleware::same_origin))
        .layer(RequestBodyLimitLayer::new(MAX_BODY_BYTES))
        .layer(axum::middleware::from_fn(page_policy))
        .layer(page_compression());
    // The key API has no session and answers every error in JSON, so it sits beside the
    // pages' session, same-origin and body-limit layers (it enforces the same limit
    // itself) and shares only the headers and tracing below.
    let http = Arc::clone(&state.http);
    let app = Router::new()
        .nest(
            "/api/v1",
            crate::api::router(state.services.clone(), state.http.github_scanning.clone()),
        )
        .merge(crate::site::pkg_router(&state.leptos_options))
        .merge(pages);
    harden(app, &http).with_state(state)
}

/// Pages and server-function answers are compressed (brotli or gzip, as the client
/// accepts), at a level cheap enough for every request. Not compressed: answers marked
/// `no-store`, such as the one-time key reveal, so a secret never shares a compressed
/// body with text an attacker chose (BREACH); and the key API, which answers in a few
/// hundred bytes and sits outside this router.
fn page_compression() -> CompressionLayer<impl Predicate> {
    let storable = |_: StatusCode, _: Version, headers: &HeaderMap, _: &Extensions| {
        !headers
            .get_all(header::CACHE_CONTROL)
            .iter()
            .any(|v| v.to_str().is_ok_and(|v| v.contains("no-store")))
    };
    CompressionLayer::new()
        .quality(CompressionLevel::Precise(5))
        .compress_when(DefaultPredicate::new().and(storable))
}

/// Everything but a page runs, loads and frames nothing.
const NOTHING_RUNS: &str = "default-src 'none'; frame-ancestors 'none'";

/// Gives every HTML answer a page's Content-Security-Policy: scripts only from this
/// origin or carrying this response's nonce (the hydration loader), WASM compilation
/// allowed (`'wasm-unsafe-eval'`), no inline styles, no framing, forms only to this
/// origin. Set here on the finished response, not by the page as it renders, so no
/// rendering path can leave a page without its policy or with the one for JSON. The
/// nonce reaches the page's scripts through the request (see [`router`]).
async fn page_policy(mut req: Request, next: Next) -> Response<Body> {
    let nonce = Nonce::new();
    req.extensions_mut().insert(nonce.clone());
    let mut response = next.run(req).await;
    let is_html = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/html"));
    let policy = format!(
        "default-src 'self'; script-src 'self' 'nonce-{nonce}' 'wasm-unsafe-eval'; \
         style-src 'self'; img-src 'self' data:; connect-src 'self'; font-src 'self'; \
         object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
    );
    if is_html && let Ok(value) = HeaderValue::from_str(&policy) {
        response
            .headers_mut()
            .insert(header::CONTENT_SECURITY_POLICY, value);
    }
    response
}

/// The layers every route shares: a panic answered as a JSON 500, security headers,
/// HSTS when served over HTTPS, tracing, and the client address (outermost, so every
/// layer and handler sees it).
fn harden<S: Clone + Send + Sync + 'static>(app: Router<S>, http: &HttpSettings) -> Router<S> {
    let app = if http.is_https() {
        // Only when the public URL is https: over plain HTTP on loopback it would make
        // the browser refuse the dashboard on that host for a year.
        app.layer(SetResponseHeaderLayer::if_not_present(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        ))
    } else {
        app
    };
    app.layer(CatchPanicLayer::custom(panic_response))
        // Pages have their own nonce-bearing policy (`page_policy`); everything else
        // (JSON, files) gets one that allows nothing to run.
        .layer(SetResponseHeaderLayer::if_not_present(
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(NOTHING_RUNS),
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
        .layer(crate::client_addr::layer(Arc::clone(&http.trusted_proxies)))
}

/// A handler panicked: the client gets a JSON 500, the log gets the panic, the server
/// lives on (the connection and every other request are unaffected).
fn panic_response(panic: Box<dyn std::any::Any + Send + 'static>) -> Response<Full<Bytes>> {
    let detail = panic
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| panic.downcast_ref::<&str>().copied())
        .unwrap_or("(no message)");
    tracing::error!(panic = detail, "a request handler panicked");
    let body = r#"{"error":{"code":"internal","message":"Something went wrong on our side. Please try again."}}"#;
    let mut response = Response::new(Full::from(body));
    *response.status_mut() = StatusCode::INTERNAL_SERVER_ERROR;
    response.headers_mut().insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    response
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
    use super::*;
    use axum::body::Body;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    fn https() -> HttpSettings {
        HttpSettings {
            public_url: Some(Arc::from("https://keys.example.com")),
            ..HttpSettings::default()
        }
    }

    async fn fetch(app: Router, path: &str) -> (StatusCode, axum::http::HeaderMap, String) {
        let response = app
            .oneshot(axum::http::Request::get(path).body(Body::empty()).unwrap())
            .await
            .unwrap();
        let (parts, body) = response.into_parts();
        let bytes = body.collect().await.unwrap().to_bytes();
        (
            parts.status,
            parts.headers,
            String::from_utf8_lossy(&bytes).into_owned(),
        )
    }

    async fn boom() -> &'static str {
        panic!("the secret-free test panic")
    }

    #[tokio::test]
    async fn panic_in_a_handler_is_a_json_500_and_the_router_lives_on() {
        let app = harden(
            Router::new()
                .route("/boom", get(boom))
                .route("/fine", get(|| async { "fine" })),
            &HttpSettings::default(),
        );
        let (status, headers, body) = fetch(app.clone(), "/boom").await;
        assert_eq!(status, StatusCode::INTERNAL_SERVER_ERROR);
        assert_eq!(headers[header::CONTENT_TYPE], "application/json");
        let json: serde_json::Value = serde_json::from_str(&body).unwrap();
        assert_eq!(json["error"]["code"], "internal");
        assert!(!body.contains("secret-free"), "{body}");
        // Security headers are on the panic's answer too, and the next request is served.
        assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff");
        assert_eq!(fetch(app, "/fine").await.0, StatusCode::OK);
    }

    #[tokio::test]
    async fn hsts_is_sent_only_when_the_public_url_is_https() {
        let route = || Router::new().route("/x", get(|| async { "x" }));
        let (_, headers, _) = fetch(harden(route(), &https()), "/x").await;
        assert_eq!(
            headers[header::STRICT_TRANSPORT_SECURITY],
            "max-age=31536000"
        );
        let (_, headers, _) = fetch(harden(route(), &HttpSettings::default()), "/x").await;
        assert!(headers.get(header::STRICT_TRANSPORT_SECURITY).is_none());
        let http = HttpSettings {
            public_url: Some(Arc::from("http://localhost:3000")),
            ..HttpSettings::default()
        };
        let (_, headers, _) = fetch(harden(route(), &http), "/x").await;
        assert!(headers.get(header::STRICT_TRANSPORT_SECURITY).is_none());
    }

    #[test]
    fn loggable_path_hides_invite_tokens() {
        assert_eq!(super::loggable_path("/invite/abc123"), "/invite/[redacted]");
        assert_eq!(super::loggable_path("/orgs/x/members"), "/orgs/x/members");
    }
}
