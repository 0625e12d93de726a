//! The key API's handlers: thin, each calls one service method and maps the result.

use super::auth::{ApiKeyAuth, ProjectCreation, ProjectSettings};
use super::error::{ApiError, ApiJson, ErrorBody};
use super::types::{
    Code, KeyInfo, NewProject, ProjectChanges, ProjectInfo, VerifyRequest, VerifyResponse,
};
use axum::Json;
use axum::body::{Body, Bytes};
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use gtx_core::domain::{KeyFormatError, Permission, PermissionSet, ProjectId};
use gtx_core::services::{Services, Verification, VerifyCode};
use std::net::IpAddr;
use std::sync::{Arc, LazyLock};

/// Checks a key: is it real, live, for this project, and allowed to do this?
///
/// Always 200 for a well-formed request; the verdict is in `code`. Malformed keys are
/// refused by their checksum, with no database work.
#[utoipa::path(
    post,
    path = "/api/v1/keys/verify",
    tag = "keys",
    request_body = VerifyRequest,
    responses(
        (status = 200, description = "The verdict", body = VerifyResponse),
        (status = 400, description = "Malformed JSON", body = ErrorBody),
        (status = 413, description = "Body over 64 KiB", body = ErrorBody),
        (status = 415, description = "Not application/json", body = ErrorBody),
        (status = 422, description = "Wrong field types, an unknown permission or a client_ip that is not an IP address", body = ErrorBody),
        (status = 503, description = "The database is unavailable", body = ErrorBody),
    )
)]
pub async fn verify(
    State(services): State<Arc<Services>>,
    ApiJson(request): ApiJson<VerifyRequest>,
) -> Result<Response, ApiError> {
    let required = match request.permissions {
        Some(names) => PermissionSet::parse_all(names.iter())
            .map_err(|e| ApiError::invalid_field("permissions", e.to_string()))?,
        None => PermissionSet::empty(),
    };
    let client_ip = match request.client_ip.as_deref().map(str::trim) {
        Some(ip) => Some(ip.parse::<IpAddr>().map_err(|_| {
            ApiError::invalid_field(
                "client_ip",
                "Send an IPv4 or IPv6 address, e.g. 203.0.113.7.",
            )
        })?),
        None => None,
    };
    let project_id = request.project_id.map(ProjectId);
    let verdict = services
        .verify_key(&request.key, project_id.as_ref(), required, client_ip)
        .await?;
    Ok(answer(&verdict))
}

/// The verdict as the API answers it. A valid key's answer is written from its cached
/// facts (borrowed, into one buffer: see [`KeyInfo::write_valid_answer`]),
/// INSUFFICIENT_PERMISSIONS names what is missing, and every other answer is one of a few
/// fixed bodies made once per process. All are [`VerifyResponse`]'s serde bytes.
fn answer(verdict: &Verification) -> Response {
    let body = match (verdict.code, verdict.key.as_ref()) {
        (VerifyCode::Valid, Some(key)) => {
            let key = KeyInfo::from(key);
            let mut out = Vec::with_capacity(ANSWER_CAPACITY);
            if key.write_valid_answer(&mut out).is_err() {
                // Writing to a Vec cannot fail; serde's answer is the same bytes.
                out = serialise(&VerifyResponse {
                    valid: true,
                    code: Code::Valid,
                    key: Some(key),
                    missing_permissions: None,
                    missing_scopes: None,
                    reason: None,
                });
            }
            Body::from(out)
        }
        (VerifyCode::InsufficientPermissions, _) => Body::from(serialise(&VerifyResponse {
            valid: false,
            code: Code::InsufficientPermissions,
            key: None,
            missing_permissions: Some(verdict.missing.iter().map(Permission::as_str).collect()),
            missing_scopes: Some(verdict.missing.gt_scopes().collect()),
            reason: None,
        })),
        (code, _) => Body::from(Bytes::from_static(
            FixedAnswers::get().of(code, verdict.malformed).as_bytes(),
        )),
    };
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response()
}

/// Room for a valid answer with a long name and every permission (about 900 bytes), so
/// writing one never grows the buffer.
const ANSWER_CAPACITY: usize = 1024;

fn serialise(response: &VerifyResponse<'_>) -> Vec<u8> {
    let mut out = Vec::with_capacity(ANSWER_CAPACITY);
    // Serialising these types cannot fail (string keys, no maps, no floats).
    if serde_json::to_writer(&mut out, response).is_err() {
        return br#"{"valid":false}"#.to_vec();
    }
    out
}

/// The answers that never vary: one per code that carries nothing else, one per reason a
/// key can be malformed. Made on first use and kept for the life of the process.
struct FixedAnswers {
    by_code: [&'static str; VerifyCode::ALL.len()],
    malformed: [&'static str; KeyFormatError::ALL.len()],
}

impl FixedAnswers {
    fn get() -> &'static Self {
        static ANSWERS: LazyLock<FixedAnswers> = LazyLock::new(|| {
            let fixed = |code: VerifyCode, reason: Option<KeyFormatError>| -> &'static str {
                let bytes = serialise(&VerifyResponse {
                    valid: code == VerifyCode::Valid,
                    code: code.into(),
                    key: None,
                    missing_permissions: None,
                    missing_scopes: None,
                    reason: reason.map(|r| r.to_string()),
                });
                String::from_utf8(bytes).unwrap_or_default().leak()
            };
            FixedAnswers {
                by_code: VerifyCode::ALL.map(|code| fixed(code, None)),
                malformed: KeyFormatError::ALL.map(|r| fixed(VerifyCode::Malformed, Some(r))),
            }
        });
        &ANSWERS
    }

    fn of(&self, code: VerifyCode, malformed: Option<KeyFormatError>) -> &'static str {
        match (code, malformed) {
            (VerifyCode::Malformed, Some(reason)) => self.malformed[reason.index()],
            _ => self.by_code[code.index()],
        }
    }
}

/// The presented key's own metadata.
#[utoipa::path(
    get,
    path = "/api/v1/whoami",
    tag = "platform",
    security(("bearer" = []), ("gt_api_key" = [])),
    params(("gt-project-id" = Option<String>, Header, description = "Project the call is for; must be one the key reaches", pattern = "^[0-9A-Za-z-]{1,128}$")),
    responses(
        (status = 200, description = "The key", body = KeyInfo),
        (status = 400, description = "Bad gt-project-id header", body = ErrorBody),
        (status = 401, description = "Missing or bad credentials", body = ErrorBody),
        (status = 403, description = "The key does not reach gt-project-id", body = ErrorBody),
        (status = 503, description = "The database is unavailable", body = ErrorBody),
    )
)]
pub async fn whoami(auth: ApiKeyAuth) -> Response {
    let mut body = Vec::with_capacity(512);
    if let Err(e) = serde_json::to_writer(&mut body, &KeyInfo::from(&auth.key)) {
        return ApiError::internal(&e).into_response();
    }
    (
        [(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        )],
        body,
    )
        .into_response()
}

/// A project the key reaches: any key of its organisation with access to it.
#[utoipa::path(
    get,
    path = "/api/v1/projects/{project_id}",
    tag = "platform",
    security(("bearer" = []), ("gt_api_key" = [])),
    params(
        ("project_id" = String, Path, description = "The project's id"),
        ("gt-project-id" = Option<String>, Header, description = "Must equal project_id when sent", pattern = "^[0-9A-Za-z-]{1,128}$"),
    ),
    responses(
        (status = 200, description = "The project", body = ProjectInfo),
        (status = 400, description = "Bad gt-project-id header", body = ErrorBody),
        (status = 401, description = "Missing or bad credentials", body = ErrorBody),
        (status = 403, description = "The key does not reach this project", body = ErrorBody),
        (status = 404, description = "No such project in the key's organisation", body = ErrorBody),
        (status = 503, description = "The database is unavailable", body = ErrorBody),
    )
)]
pub async fn get_project(
    State(services): State<Arc<Services>>,
    auth: ApiKeyAuth,
    Path(project_id): Path<String>,
) -> Result<Json<ProjectInfo>, ApiError> {
    let project_id = ProjectId(project_id);
    auth.require_project(&project_id)?;
    let project = services
        .get_project(&auth.actor(), &auth.key.org_id(), &project_id)
        .await?;
    Ok(Json(project.into()))
}

/// Renames a project or sets its default locale: a project key of that project, or an
/// organisation key with `project_settings`.
#[utoipa::path(
    patch,
    path = "/api/v1/projects/{project_id}",
    tag = "platform",
    security(("bearer" = []), ("gt_api_key" = [])),
    params(
        ("project_id" = String, Path, description = "The project's id"),
        ("gt-project-id" = Option<String>, Header, description = "Must equal project_id when sent", pattern = "^[0-9A-Za-z-]{1,128}$"),
    ),
    request_body = ProjectChanges,
    responses(
        (status = 200, description = "The project, changed", body = ProjectInfo),
        (status = 400, description = "Malformed JSON or gt-project-id header", body = ErrorBody),
        (status = 401, description = "Missing or bad credentials", body = ErrorBody),
        (status = 403, description = "Missing project_settings, or another project", body = ErrorBody),
        (status = 404, description = "No such project in the key's organisation", body = ErrorBody),
        (status = 413, description = "Body over 64 KiB", body = ErrorBody),
        (status = 415, description = "Not application/json", body = ErrorBody),
        (status = 422, description = "Invalid name or locale", body = ErrorBody),
        (status = 503, description = "The database is unavailable", body = ErrorBody),
    )
)]
pub async fn update_project(
    State(services): State<Arc<Services>>,
    auth: ApiKeyAuth<ProjectSettings>,
    Path(project_id): Path<String>,
    ApiJson(changes): ApiJson<ProjectChanges>,
) -> Result<Json<ProjectInfo>, ApiError> {
    let project_id = ProjectId(project_id);
    auth.require_project(&project_id)?;
    untrimmed("name", changes.name.as_deref())?;
    untrimmed("default_locale", changes.default_locale.as_deref())?;
    let project = services
        .update_project(
            &auth.actor(),
            &auth.key.org_id(),
            &project_id,
            gtx_core::services::ProjectChanges {
                name: changes.name.as_deref(),
                default_locale: changes.default_locale.as_deref(),
            },
        )
        .await?;
    Ok(Json(project.into()))
}

/// Creates a project in the key's organisation: an organisation key with
/// `project_creation`.
#[utoipa::path(
    post,
    path = "/api/v1/projects",
    tag = "platform",
    security(("bearer" = []), ("gt_api_key" = [])),
    request_body = NewProject,
    responses(
        (status = 201, description = "The new project", body = ProjectInfo),
        (status = 400, description = "Malformed JSON or gt-project-id header", body = ErrorBody),
        (status = 401, description = "Missing or bad credentials", body = ErrorBody),
        (status = 403, description = "Missing project_creation", body = ErrorBody),
        (status = 413, description = "Body over 64 KiB", body = ErrorBody),
        (status = 415, description = "Not application/json", body = ErrorBody),
        (status = 422, description = "Invalid name or locale", body = ErrorBody),
        (status = 503, description = "The database is unavailable", body = ErrorBody),
    )
)]
pub async fn create_project(
    State(services): State<Arc<Services>>,
    auth: ApiKeyAuth<ProjectCreation>,
    ApiJson(new): ApiJson<NewProject>,
) -> Result<(StatusCode, Json<ProjectInfo>), ApiError> {
    untrimmed("name", Some(&new.name))?;
    untrimmed("default_locale", new.default_locale.as_deref())?;
    let project = services
        .create_project(
            &auth.actor(),
            &auth.key.org_id(),
            &new.name,
            new.default_locale.as_deref(),
        )
        .await?;
    Ok((StatusCode::CREATED, Json(project.into())))
}

/// A plaintext answer that touches nothing: the benchmark's baseline for the cost of
/// the HTTP stack alone.
#[utoipa::path(
    get,
    path = "/api/v1/ping",
    tag = "meta",
    responses((status = 200, description = "`pong`", body = String, content_type = "text/plain"))
)]
pub async fn ping() -> &'static str {
    "pong"
}

/// The same plaintext answer to a POST, after reading its body (up to the API's body
/// limit): the benchmark's baseline for requests shaped like a verify (same method,
/// headers and body size), so a ratio against it measures what verifying costs and not
/// the difference between a GET and a POST on the client and the server.
#[utoipa::path(
    post,
    path = "/api/v1/ping",
    tag = "meta",
    request_body(content = serde_json::Value, description = "Anything (ignored)", content_type = "application/json"),
    responses(
        (status = 200, description = "`pong`", body = String, content_type = "text/plain"),
        (status = 400, description = "No body", body = ErrorBody),
        (status = 413, description = "Over 64 KiB", body = ErrorBody),
    )
)]
pub async fn ping_post(
    body: Result<axum::body::Bytes, axum::extract::rejection::BytesRejection>,
) -> Result<&'static str, ApiError> {
    // Read, then ignored: the point is to pay for receiving it.
    let body = body.map_err(|e| {
        let code = if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            "body_too_large"
        } else {
            "unreadable_body"
        };
        ApiError::new(e.status(), code, e.body_text())
    })?;
    if body.is_empty() {
        return Err(ApiError::new(
            StatusCode::BAD_REQUEST,
            "empty_body",
            "Send a body: this endpoint reads it and answers pong.",
        ));
    }
    Ok("pong")
}

/// The API takes names and locales exactly as the OpenAPI document describes them: the
/// services trim what the dashboard's forms send, but here surrounding whitespace is an
/// error rather than something silently changed.
pub(super) fn untrimmed(field: &str, value: Option<&str>) -> Result<(), ApiError> {
    match value {
        Some(v) if v.trim() != v => Err(ApiError::invalid_field(
            field,
            "Remove the spaces at the start and end.",
        )),
        _ => Ok(()),
    }
}
