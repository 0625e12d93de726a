//! Server functions and the types they exchange with the browser.

pub mod audit;
mod get_org;
pub mod keys;
mod list_orgs;
pub mod members;
mod org_settings;
pub mod projects;
pub mod session;
pub mod types;
pub mod webhooks;

pub use get_org::{GetOrg, get_org};
pub use list_orgs::{ListOrgs, list_orgs};
pub use org_settings::{GetOrgSettings, SaveOrgSettings, get_org_settings, save_org_settings};

/// The URL prefix of every server function. Kept apart from the REST API (`/api/v1`).
pub const SERVER_FN_PREFIX: &str = "/_sf";

/// The services of this request (provided by the server when it renders or answers).
#[cfg(feature = "ssr")]
pub(crate) fn services() -> Result<gtx_core::services::Services, crate::AppError> {
    leptos::prelude::use_context::<gtx_core::services::Services>().ok_or_else(|| {
        tracing::error!("services missing from the request context");
        crate::AppError::Internal
    })
}

/// The request's session and client, put there by the server's middleware.
#[cfg(feature = "ssr")]
pub(crate) async fn request_context() -> Result<gtx_core::services::RequestContext, crate::AppError>
{
    let parts: http::request::Parts = leptos_axum::extract().await.map_err(|e| {
        tracing::error!(error = %e, "request parts missing");
        crate::AppError::Internal
    })?;
    Ok(parts
        .extensions
        .get::<gtx_core::services::RequestContext>()
        .cloned()
        .unwrap_or_default())
}

/// The actor of a signed-in request; `Unauthenticated` without a session.
#[cfg(feature = "ssr")]
pub(crate) async fn signed_in_actor() -> Result<gtx_core::services::Actor, crate::AppError> {
    let ctx = request_context().await?;
    if ctx.user.is_none() {
        return Err(crate::AppError::Unauthenticated);
    }
    Ok(ctx.actor())
}

/// Sets the cookies of a fresh sign-in: the session (for the session's absolute
/// lifetime) and the device cookie that keeps this browser out of the account's lock
/// against strangers. Both `__Host-` prefixed, `Secure`, `HttpOnly`, `SameSite=Strict`.
#[cfg(feature = "ssr")]
pub(crate) fn set_sign_in_cookies(signed_in: &gtx_core::services::SignedIn) {
    use gtx_core::services::{
        ABSOLUTE_TIMEOUT_MS, DEVICE_COOKIE, DEVICE_COOKIE_MAX_AGE_SECS, SESSION_COOKIE,
    };
    use secrecy::ExposeSecret;
    for (name, value, max_age) in [
        (SESSION_COOKIE, &signed_in.token, ABSOLUTE_TIMEOUT_MS / 1000),
        (
            DEVICE_COOKIE,
            &signed_in.device_cookie,
            DEVICE_COOKIE_MAX_AGE_SECS,
        ),
    ] {
        set_cookie_header(
            cookie::Cookie::build((name, value.expose_secret()))
                .max_age(cookie::time::Duration::seconds(max_age)),
        );
    }
}

/// Ends the session the browser had before a new sign-in replaced it, so an old cookie
/// (perhaps someone else's, on a shared computer) is not left valid on the server.
#[cfg(feature = "ssr")]
pub(crate) async fn end_previous_session(
    services: &gtx_core::services::Services,
    ctx: &gtx_core::services::RequestContext,
) {
    if let Some(old) = &ctx.user
        && let Err(e) = services.sign_out(old).await
    {
        tracing::warn!(error = %e, "could not end the previous session");
    }
}

/// Clears the session cookie.
#[cfg(feature = "ssr")]
pub(crate) fn clear_session_cookie() {
    set_cookie_header(
        cookie::Cookie::build(gtx_core::services::SESSION_COOKIE)
            .max_age(cookie::time::Duration::ZERO),
    );
}

/// The dashboard's public origin (`--public-url` / `GTX_PUBLIC_URL`), read once at start
/// and provided to every request by the server: links shown to users (invites) use it.
#[derive(Clone, Debug, Default)]
pub struct PublicOrigin(pub Option<std::sync::Arc<str>>);

/// This server's origin as the browser sees it: the configured public origin, else the
/// request's `Host` (only on loopback: the server refuses to listen beyond it without a
/// public URL).
#[cfg(feature = "ssr")]
pub(crate) async fn request_origin() -> Result<String, crate::AppError> {
    if let Some(PublicOrigin(Some(url))) = leptos::prelude::use_context::<PublicOrigin>() {
        return Ok(url.to_string());
    }
    let parts: http::request::Parts = leptos_axum::extract().await.map_err(|e| {
        tracing::error!(error = %e, "request parts missing");
        crate::AppError::Internal
    })?;
    let host = parts
        .headers
        .get(http::header::HOST)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("localhost");
    // A TLS proxy on the same host that forwards to loopback says so; set the public
    // URL to rely on nothing a request carries.
    let scheme = match parts
        .headers
        .get("x-forwarded-proto")
        .and_then(|v| v.to_str().ok())
    {
        Some("https") => "https",
        _ => "http",
    };
    Ok(format!("{scheme}://{host}"))
}

/// Marks the response as not to be stored by any cache (it carries a one-time secret).
#[cfg(feature = "ssr")]
pub(crate) fn no_store() {
    if let Some(response) = leptos::prelude::use_context::<leptos_axum::ResponseOptions>() {
        response.insert_header(
            http::header::CACHE_CONTROL,
            http::HeaderValue::from_static("no-store"),
        );
    }
}

#[cfg(feature = "ssr")]
fn set_cookie_header(cookie: cookie::CookieBuilder<'_>) {
    // Every cookie of ours: the whole site, never to scripts, only over HTTPS (the
    // `__Host-` prefix demands it), never sent with a request from another site.
    let cookie = cookie
        .path("/")
        .http_only(true)
        .secure(true)
        .same_site(cookie::SameSite::Strict)
        .build();
    if let (Some(response), Ok(value)) = (
        leptos::prelude::use_context::<leptos_axum::ResponseOptions>(),
        http::HeaderValue::from_str(&cookie.to_string()),
    ) {
        response.append_header(http::header::SET_COOKIE, value);
        response.insert_header(
            http::header::CACHE_CONTROL,
            http::HeaderValue::from_static("no-store"),
        );
    }
}

/// Whether this request is a plain HTML form post (no JavaScript): the browser asks for
/// `text/html`, while the hydrated app's server-function calls ask for data.
#[cfg(feature = "ssr")]
pub(crate) fn is_plain_form_post() -> bool {
    leptos::prelude::use_context::<http::request::Parts>().is_some_and(|parts| {
        parts
            .headers
            .get(http::header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .is_some_and(|v| v.contains("text/html"))
    })
}

/// Gives the response of a failed server function the status its error means (see
/// [`crate::AppError::status_code`]), and a `Retry-After` when throttled. Called while
/// server_fn encodes the error, inside the request's reactive owner.
///
/// A plain form post (`Accept: text/html`, no JavaScript) keeps the redirect back to the
/// form that server_fn gives it: a 4xx there would leave the browser on an error body.
#[cfg(feature = "ssr")]
pub(crate) fn set_error_status(error: &crate::AppError) {
    use leptos::prelude::use_context;
    let Some(response) = use_context::<leptos_axum::ResponseOptions>() else {
        return;
    };
    if is_plain_form_post() {
        return;
    }
    if let Ok(status) = http::StatusCode::from_u16(error.status_code()) {
        response.set_status(status);
    }
    if let crate::AppError::TooManyAttempts(secs) = error {
        response.insert_header(
            http::header::RETRY_AFTER,
            http::HeaderValue::from((*secs).max(1)),
        );
    }
}
