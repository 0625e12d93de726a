//! Leak reports: `POST /api/v1/keys/report-leak`, public. Holding a key is the
//! authority to have it revoked (as with GitHub's public credential revocation API); the
//! answer is the same whatever the text was, so a report tells nothing about a key.

use super::error::{ApiError, ApiJson, ErrorBody};
use axum::extract::State;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::{Extension, Json};
use gtx_core::services::{Actor, LeakReport, Services};
use serde::{Deserialize, Serialize};
use std::sync::Arc;
use utoipa::ToSchema;

use crate::client_addr::ClientIp;

/// A leaked key, and where it was found. No `Debug`: it holds a key.
#[derive(Deserialize, ToSchema)]
pub struct LeakReportRequest {
    /// The leaked text. Any string is accepted: only a live key of this server changes
    /// anything, and the answer is the same for every string.
    #[schema(example = "gtx-api-<49 base62 characters>")]
    pub key: String,
    /// Where it was found: an http or https URL.
    #[serde(default)]
    #[schema(
        max_length = 2048,
        pattern = r"^[Hh][Tt][Tt][Pp][Ss]?://[^\x00-\x1f\x7f-\x9f]+$",
        example = "https://github.com/example/app/blob/main/.env"
    )]
    pub url: Option<String>,
    /// What kind of place that is, e.g. `commit`, `gist`, `issue_comment`.
    #[serde(default)]
    #[schema(
        max_length = 100,
        pattern = r"^[^\x00-\x1f\x7f-\x9f]*$",
        example = "commit"
    )]
    pub source: Option<String>,
}

/// The answer to every accepted report.
#[derive(Serialize, ToSchema)]
pub struct LeakReportReceived {
    /// Always `received`.
    #[schema(example = "received")]
    pub status: &'static str,
    /// A sentence for people.
    pub message: &'static str,
}

const RECEIVED: LeakReportReceived = LeakReportReceived {
    status: "received",
    message: "Thank you. If this is a live GT key, it has been revoked and its owners can see the report.",
};

/// Reports a leaked key: a live key of this server is revoked at once and audited as
/// reported leaked, with the URL and source. No authentication.
///
/// The answer is 202 with the same body for any string, whether it was a live key, a
/// revoked one, an unknown one or no key at all. Limited to 60 reports a minute per
/// client address.
#[utoipa::path(
    post,
    path = "/api/v1/keys/report-leak",
    tag = "keys",
    request_body = LeakReportRequest,
    responses(
        (status = 202, description = "Received (the same for every key)", body = LeakReportReceived),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 413, description = "Body over 64 KiB", body = ErrorBody),
        (status = 415, description = "Not application/json", body = ErrorBody),
        (status = 422, description = "`key` missing or not a string, or a bad `url` or `source`", body = ErrorBody),
        (status = 429, description = "Over 60 reports a minute from this address; see `Retry-After`", body = ErrorBody,
            headers(("Retry-After" = i64, description = "Seconds until reports are accepted again"))),
        (status = 503, description = "The database is unavailable", body = ErrorBody),
    )
)]
pub async fn report_leak(
    State(services): State<Arc<Services>>,
    client: Option<Extension<ClientIp>>,
    headers: HeaderMap,
    request: Result<ApiJson<LeakReportRequest>, ApiError>,
) -> Result<Response, ApiError> {
    let ip = client.map(|Extension(ClientIp(ip))| ip.to_string());
    // Counted before the body is looked at: bad requests use up the budget too.
    services.admit_leak_report(ip.as_deref())?;
    let ApiJson(request) = request?;
    let report = LeakReport::validated(request.url.as_deref(), request.source.as_deref())
        .map_err(|e| ApiError::invalid_field(&e.field, e.message()))?;
    let user_agent = headers
        .get(header::USER_AGENT)
        .and_then(|v| v.to_str().ok())
        .map(|s| s.chars().take(256).collect());
    let reporter = Actor::leak_report("public report", ip, user_agent);
    services
        .report_leak(&reporter, &request.key, &report)
        .await?;
    Ok((StatusCode::ACCEPTED, Json(RECEIVED)).into_response())
}
