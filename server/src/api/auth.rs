//! Key authentication for the platform API: `Authorization: Bearer <key>` (or GT's
//! older `x-gt-api-key: <key>`) and, for project-scoped calls, `gt-project-id` (the
//! shape of General Translation's API).

use super::error::ApiError;
use crate::client_addr::ClientIp;
use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, header};
use axum_extra::headers::HeaderMapExt;
use axum_extra::headers::authorization::{Authorization, Bearer};
use gtx_core::domain::{Permission, PermissionSet, ProjectId};
use gtx_core::services::{Actor, KeyFacts, Services, VerifyCode};
use std::marker::PhantomData;
use std::sync::Arc;

/// The project header of the platform API.
pub const PROJECT_HEADER: &str = "gt-project-id";
/// General Translation's older key header, accepted as well as `Authorization: Bearer`.
pub const GT_KEY_HEADER: &str = "x-gt-api-key";
/// Longest accepted `gt-project-id` (ids are 36-character UUIDs).
const MAX_PROJECT_ID: usize = 128;
/// What a `gt-project-id` may look like, as the OpenAPI document states it.
pub const PROJECT_ID_PATTERN: &str = "^[0-9A-Za-z-]{1,128}$";

/// Whether `v` matches [`PROJECT_ID_PATTERN`].
fn is_project_id(v: &str) -> bool {
    (1..=MAX_PROJECT_ID).contains(&v.len())
        && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-')
}

/// The permissions an endpoint needs of its key. They are checked with the key itself,
/// so the key's usage counts the call as the outcome it had (`INSUFFICIENT_PERMISSIONS`
/// included) and records what it asked for; the service checks them again.
pub trait Needs: Send + Sync + 'static {
    /// The permissions.
    fn permissions() -> PermissionSet;
}

/// An endpoint any live key may call.
pub struct AnyKey;
/// An endpoint that changes a project's settings.
pub struct ProjectSettings;
/// An endpoint that creates projects.
pub struct ProjectCreation;
/// A key management endpoint that reads keys.
pub struct KeysRead;
/// A key management endpoint that changes keys.
pub struct KeysWrite;

impl Needs for KeysRead {
    fn permissions() -> PermissionSet {
        [Permission::ApiKeysRead].into_iter().collect()
    }
}

impl Needs for KeysWrite {
    fn permissions() -> PermissionSet {
        [Permission::ApiKeysWrite].into_iter().collect()
    }
}

impl Needs for AnyKey {
    fn permissions() -> PermissionSet {
        PermissionSet::empty()
    }
}

impl Needs for ProjectSettings {
    fn permissions() -> PermissionSet {
        [Permission::ProjectSettings].into_iter().collect()
    }
}

impl Needs for ProjectCreation {
    fn permissions() -> PermissionSet {
        [Permission::ProjectCreation].into_iter().collect()
    }
}

/// A request authenticated by a live API key that holds what the endpoint `N` needs.
/// When `gt-project-id` was sent, the key reaches that project (else the request was
/// refused with 403).
pub struct ApiKeyAuth<N: Needs = AnyKey> {
    /// The key.
    pub key: KeyFacts,
    /// The `gt-project-id` header, when sent.
    pub project: Option<ProjectId>,
    ip: Option<String>,
    user_agent: Option<String>,
    needs: PhantomData<N>,
}

impl<N: Needs> ApiKeyAuth<N> {
    /// Requires that the key reaches `project_id` (and that `gt-project-id`, if sent,
    /// names it). Project keys reach their own project; organisation keys are checked
    /// against the project's organisation by the service, which answers 404 for
    /// another organisation's project.
    pub fn require_project(&self, project_id: &ProjectId) -> Result<(), ApiError> {
        let header_differs = self.project.as_ref().is_some_and(|p| p != project_id);
        let other_project = self
            .key
            .project_id()
            .is_some_and(|p| p != project_id.as_str());
        if header_differs || other_project {
            return Err(ApiError::wrong_project());
        }
        Ok(())
    }

    /// The actor for service calls (recorded in the audit log as the key's name and hint).
    pub fn actor(&self) -> Actor {
        Actor::api_key(self.key.clone(), self.ip.clone(), self.user_agent.clone())
    }
}

impl<N: Needs> FromRequestParts<Arc<Services>> for ApiKeyAuth<N> {
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut Parts,
        services: &Arc<Services>,
    ) -> Result<Self, ApiError> {
        let presented = presented_key(&parts.headers)?;
        let project = project_header(&parts.headers)?;
        let client_ip = parts.extensions.get::<ClientIp>().map(|ClientIp(ip)| *ip);
        let verdict = services
            .verify_key(
                presented.token(),
                project.as_ref(),
                N::permissions(),
                client_ip,
            )
            .await
            .map_err(ApiError::from)?;
        let rejected = |code, message: &str| Err(ApiError::unauthorized(code, message));
        match verdict.code {
            VerifyCode::Valid => {}
            VerifyCode::Malformed => {
                return rejected(
                    "malformed_key",
                    "The bearer token is not a GT API key (wrong prefix, length or checksum).",
                );
            }
            VerifyCode::NotFound => return rejected("unknown_key", "The API key does not exist."),
            VerifyCode::Revoked => return rejected("revoked_key", "The API key was revoked."),
            VerifyCode::Expired => return rejected("expired_key", "The API key has expired."),
            VerifyCode::Disabled => {
                return rejected(
                    "disabled_key",
                    "The API key is disabled: an admin can enable it.",
                );
            }
            VerifyCode::IpNotAllowed => {
                return Err(ApiError::new(
                    axum::http::StatusCode::FORBIDDEN,
                    "ip_not_allowed",
                    "The API key may not be used from this address (its IP allow-list).",
                ));
            }
            VerifyCode::WrongProject => return Err(ApiError::wrong_project()),
            VerifyCode::InsufficientPermissions => {
                return Err(ApiError::missing_permissions(verdict.missing));
            }
        }
        let Some(key) = verdict.key else {
            return Err(ApiError::internal(&"a valid verdict without its key"));
        };
        let ip = client_ip.map(|ip| ip.to_string());
        let user_agent: Option<String> = parts
            .headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .map(|s| s.chars().take(256).collect());
        services.note_client(&key, ip.clone(), user_agent.clone());
        Ok(Self {
            key,
            project,
            ip,
            user_agent,
            needs: PhantomData,
        })
    }
}

/// The key a request presents. No `Debug`: it holds a key.
enum Presented<'a> {
    /// `Authorization: Bearer <key>`.
    Bearer(Authorization<Bearer>),
    /// `x-gt-api-key: <key>`.
    GtHeader(&'a str),
}

impl Presented<'_> {
    fn token(&self) -> &str {
        match self {
            Self::Bearer(auth) => auth.token().trim(),
            Self::GtHeader(key) => key.trim(),
        }
    }
}

/// The presented key: `Authorization: Bearer <key>`, or `x-gt-api-key: <key>`. Both at
/// once must name the same key. (The typed header tells a missing header from one of
/// another scheme, so each gets its own message.)
fn presented_key(headers: &HeaderMap) -> Result<Presented<'_>, ApiError> {
    let gt_header = match headers.get(GT_KEY_HEADER).map(|v| v.to_str()) {
        None => None,
        Some(Ok(v)) if !v.trim().is_empty() => Some(v),
        Some(_) => {
            return Err(ApiError::unauthorized(
                "invalid_authorization",
                "The x-gt-api-key header must hold a GT API key.",
            ));
        }
    };
    let bearer = match headers.typed_try_get::<Authorization<Bearer>>() {
        Ok(Some(auth)) if !auth.token().trim().is_empty() => Some(auth),
        Ok(None) => None,
        _ => {
            return Err(ApiError::unauthorized(
                "invalid_authorization",
                "The Authorization header must be `Bearer <key>`.",
            ));
        }
    };
    match (bearer, gt_header) {
        (Some(auth), Some(other)) if auth.token().trim() != other.trim() => {
            Err(ApiError::unauthorized(
                "conflicting_credentials",
                "Authorization and x-gt-api-key name different keys: send one.",
            ))
        }
        (Some(auth), _) => Ok(Presented::Bearer(auth)),
        (None, Some(key)) => Ok(Presented::GtHeader(key)),
        (None, None) => Err(ApiError::unauthorized(
            "missing_credentials",
            "Send the API key as `Authorization: Bearer <key>` (or `x-gt-api-key: <key>`).",
        )),
    }
}

/// The `gt-project-id` header, if sent.
fn project_header(headers: &HeaderMap) -> Result<Option<ProjectId>, ApiError> {
    let Some(value) = headers.get(PROJECT_HEADER) else {
        return Ok(None);
    };
    match value.to_str() {
        Ok(v) if is_project_id(v) => Ok(Some(ProjectId(v.to_owned()))),
        _ => Err(ApiError::new(
            axum::http::StatusCode::BAD_REQUEST,
            "invalid_project_header",
            "The gt-project-id header must hold a project id.",
        )),
    }
}
