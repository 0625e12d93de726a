//! The dashboard's request middleware: the same-origin check on state-changing requests,
//! and resolving the session and device cookies into a [`RequestContext`]. (The security
//! headers are set in `router.rs`, for every route.)

use crate::client_addr::ClientIp;
use crate::state::AppState;
use axum::Json;
use axum::extract::{Request, State};
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use gtx_core::services::{DEVICE_COOKIE, RequestContext, SESSION_COOKIE};
use serde_json::json;

/// Leptos server functions and plain form posts have no CSRF protection of their own:
/// every state-changing request must come from this origin. Browsers send
/// `Sec-Fetch-Site`; older ones an `Origin`, which must name this very host. A request
/// with neither is refused. The bearer-key REST API (`/api/v1`) carries no cookie, so
/// cross-site requests cannot ride on a session there and it is exempt.
pub async fn same_origin(req: Request, next: Next) -> Response {
    let safe = matches!(*req.method(), Method::GET | Method::HEAD | Method::OPTIONS);
    if safe || req.uri().path().starts_with("/api/v1/") || is_same_origin(req.headers()) {
        return next.run(req).await;
    }
    tracing::warn!(path = %req.uri().path(), "refused a cross-origin state-changing request");
    (
        StatusCode::FORBIDDEN,
        Json(
            json!({ "error": "cross_origin", "message": "Cross-origin requests are not allowed." }),
        ),
    )
        .into_response()
}

fn is_same_origin(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok()) {
        return site == "same-origin";
    }
    let (Some(origin), Some(host)) = (
        headers.get(header::ORIGIN).and_then(|v| v.to_str().ok()),
        headers.get(header::HOST).and_then(|v| v.to_str().ok()),
    ) else {
        return false;
    };
    origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("http://"))
        .is_some_and(|authority| authority.eq_ignore_ascii_case(host))
}

/// Resolves the session cookie and records the client, for pages, server functions and
/// the audit log.
pub async fn request_context(
    State(state): State<AppState>,
    mut req: Request,
    next: Next,
) -> Response {
    let ip = req
        .extensions()
        .get::<ClientIp>()
        .map(|ClientIp(ip)| ip.to_string());
    let user_agent = req
        .headers()
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.chars().take(256).collect());
    // Static files and the health check need no session: skip the lookup (two queries)
    // that every asset request carrying the cookie would otherwise cost.
    let needs_session = !is_static(req.uri().path());
    let user = match session_token(req.headers()).filter(|_| needs_session) {
        Some(token) => match state.services.session_user(token).await {
            Ok(user) => user,
            Err(e) => {
                tracing::error!(error = %e, "session lookup failed");
                return (
                    StatusCode::SERVICE_UNAVAILABLE,
                    Json(json!({ "error": "unavailable" })),
                )
                    .into_response();
            }
        },
        None => None,
    };
    let device = cookie_value(req.headers(), DEVICE_COOKIE)
        .filter(|_| needs_session)
        .map(str::to_owned);
    req.extensions_mut().insert(RequestContext {
        user,
        ip,
        user_agent,
        device,
    });
    next.run(req).await
}

/// Paths that never depend on who is signed in: the built site's files and `/healthz`.
fn is_static(path: &str) -> bool {
    path.starts_with("/pkg/") || path == "/favicon.ico" || path == "/healthz"
}

/// The session token from the `Cookie` header, if present.
pub fn session_token(headers: &HeaderMap) -> Option<&str> {
    cookie_value(headers, SESSION_COOKIE)
}

/// The value of the cookie `name` from the `Cookie` header, if present.
fn cookie_value<'h>(headers: &'h HeaderMap, name: &str) -> Option<&'h str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(cookie::Cookie::split_parse)
        .filter_map(Result::ok)
        .find(|c| c.name() == name)
        .and_then(|c| c.value_raw())
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::http::HeaderValue;

    #[test]
    fn same_origin_accepts_only_this_host() {
        let mut h = HeaderMap::new();
        assert!(!is_same_origin(&h), "no header at all is refused");
        h.insert("sec-fetch-site", HeaderValue::from_static("same-origin"));
        assert!(is_same_origin(&h));
        h.insert("sec-fetch-site", HeaderValue::from_static("cross-site"));
        assert!(!is_same_origin(&h));
        let mut h = HeaderMap::new();
        h.insert(header::HOST, HeaderValue::from_static("keys.example.com"));
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://keys.example.com"),
        );
        assert!(is_same_origin(&h));
        h.insert(
            header::ORIGIN,
            HeaderValue::from_static("https://keys.example.com.evil.net"),
        );
        assert!(!is_same_origin(&h));
        h.insert(header::ORIGIN, HeaderValue::from_static("null"));
        assert!(!is_same_origin(&h));
    }

    #[test]
    fn static_paths_skip_the_session_lookup() {
        assert!(is_static("/pkg/gtx-keys.wasm"));
        assert!(is_static("/healthz"));
        assert!(!is_static("/orgs/x"));
        assert!(!is_static("/_sf/sign_in"));
    }

    #[test]
    fn session_token_finds_the_cookie_among_others() {
        let mut h = HeaderMap::new();
        h.insert(
            header::COOKIE,
            HeaderValue::from_static("a=1; __Host-gtx_session=abc; b=2"),
        );
        assert_eq!(session_token(&h), Some("abc"));
        h.insert(header::COOKIE, HeaderValue::from_static("gtx_session=abc"));
        assert_eq!(session_token(&h), None);
    }
}
