//! The key API under `/api/v1`: key verification for platform services, and the
//! platform endpoints that authenticate with `Authorization: Bearer <key>` (or
//! `x-gt-api-key`). Described by
//! the OpenAPI document at `/api/v1/openapi.json`, generated from the handlers.
//!
//! Every answer is JSON (errors included: bad JSON, a wrong content type, an oversized
//! body, an unknown path) and `Cache-Control: no-store`. The API carries no cookie, so it
//! skips the session lookup and the same-origin check of the dashboard.

pub mod auth;
pub mod error;
pub mod github;
mod handlers;
mod key_management;
pub mod key_types;
mod leaks;
pub mod types;

use crate::router::MAX_BODY_BYTES;
use crate::state::AppState;
use axum::Json;
use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::http::{HeaderValue, StatusCode, header};
use axum::routing::{get, post};
use error::ApiError;
use gtx_core::services::Services;
use std::sync::Arc;
use tower_http::set_header::SetResponseHeaderLayer;
use utoipa::OpenApi;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};

/// The OpenAPI document.
#[derive(OpenApi)]
#[openapi(
    info(
        title = "GT Keys API",
        description = "Verify API keys, manage projects with them, and manage keys with them."
    ),
    paths(
        handlers::verify,
        leaks::report_leak,
        github::github_report,
        handlers::whoami,
        handlers::get_project,
        handlers::update_project,
        handlers::create_project,
        key_management::list_project_keys,
        key_management::create_project_key,
        key_management::list_org_keys,
        key_management::create_org_key,
        key_management::get_key,
        key_management::update_key,
        key_management::rotate_key,
        key_management::revoke_key,
        key_management::key_usage,
        handlers::ping,
        handlers::ping_post,
    ),
    modifiers(&BearerScheme),
)]
pub struct ApiDoc;

struct BearerScheme;

impl utoipa::Modify for BearerScheme {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(
                HttpBuilder::new()
                    .scheme(HttpAuthScheme::Bearer)
                    .description(Some("A GT API key: gtx-api-…, gtx-dev-… or gtx-org-…"))
                    .build(),
            ),
        );
        components.add_security_scheme(
            "gt_api_key",
            SecurityScheme::ApiKey(ApiKey::Header(ApiKeyValue::with_description(
                auth::GT_KEY_HEADER,
                "The same key in General Translation's older header.",
            ))),
        );
    }
}

/// The routes, to be nested at `/api/v1`. Their state is the services alone, behind one
/// `Arc`: extracting it costs one reference count, not a clone of every field of
/// [`AppState`] (the Leptos options among them) on every verify.
pub fn router(services: Services, github: github::GithubScanning) -> Router<AppState> {
    Router::new()
        .route("/keys/verify", post(handlers::verify))
        .route("/keys/report-leak", post(leaks::report_leak))
        .route("/secret-scanning/github", post(github::github_report))
        .route("/whoami", get(handlers::whoami))
        .route("/projects", post(handlers::create_project))
        .route(
            "/projects/{project_id}",
            get(handlers::get_project).patch(handlers::update_project),
        )
        .route(
            "/projects/{project_id}/api-keys",
            get(key_management::list_project_keys).post(key_management::create_project_key),
        )
        .route(
            "/api-keys",
            get(key_management::list_org_keys).post(key_management::create_org_key),
        )
        .route(
            "/api-keys/{key_id}",
            get(key_management::get_key).patch(key_management::update_key),
        )
        .route("/api-keys/{key_id}/usage", get(key_management::key_usage))
        .route(
            "/api-keys/{key_id}/rotate",
            post(key_management::rotate_key),
        )
        .route(
            "/api-keys/{key_id}/revoke",
            post(key_management::revoke_key),
        )
        .route("/openapi.json", get(openapi_json))
        .route("/ping", get(handlers::ping).post(handlers::ping_post))
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .layer(axum::Extension(github))
        .layer(SetResponseHeaderLayer::overriding(
            header::CACHE_CONTROL,
            HeaderValue::from_static("no-store"),
        ))
        .with_state(Arc::new(services))
}

/// The document, with links added from the answers that make a key (create, rotate) to
/// the operations on it, so clients (and schemathesis's stateful tests) can follow a key
/// from its creation through reading, changing, rotating and revoking it. Added here, to
/// the JSON: utoipa 5 writes a link's `operationId` as `operation_id`.
async fn openapi_json() -> Json<serde_json::Value> {
    let mut doc = serde_json::to_value(ApiDoc::openapi()).unwrap_or_default();
    let links: serde_json::Map<String, serde_json::Value> = [
        ("GetKey", "get_key"),
        ("KeyUsage", "key_usage"),
        ("UpdateKey", "update_key"),
        ("RotateKey", "rotate_key"),
        ("RevokeKey", "revoke_key"),
    ]
    .into_iter()
    .map(|(name, operation)| {
        let link = serde_json::json!({
            "operationId": operation,
            "parameters": { "key_id": "$response.body#/api_key/id" },
            "description": "The key just made.",
        });
        (name.to_owned(), link)
    })
    .collect();
    for path in [
        "/api/v1/projects/{project_id}/api-keys",
        "/api/v1/api-keys",
        "/api/v1/api-keys/{key_id}/rotate",
    ] {
        if let Some(created) = doc
            .pointer_mut(&format!(
                "/paths/{}/post/responses/201",
                path.replace('/', "~1")
            ))
            .and_then(serde_json::Value::as_object_mut)
        {
            created.insert("links".to_owned(), links.clone().into());
        }
    }
    Json(doc)
}

async fn not_found() -> ApiError {
    ApiError::new(StatusCode::NOT_FOUND, "not_found", "No such endpoint.")
}

async fn method_not_allowed() -> ApiError {
    ApiError::new(
        StatusCode::METHOD_NOT_ALLOWED,
        "method_not_allowed",
        "This endpoint does not take that method.",
    )
}
