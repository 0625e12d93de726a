//! The key API's errors: always JSON, `{"error": {"code", "message", ...}}`, with the
//! status that says whose fault it was. Details of server-side failures are logged, never
//! sent.

use axum::Json;
use axum::extract::rejection::{BytesRejection, JsonRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use gtx_core::domain::validation::Problem;
use gtx_core::domain::{Permission, PermissionSet};
use gtx_core::error::CoreError;
use serde::Serialize;
use utoipa::ToSchema;

/// An error response of the key API.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    body: ErrorDetail,
    /// Seconds for `Retry-After` (429); small, to keep the error small.
    retry_after_secs: Option<std::num::NonZeroU32>,
}

/// The body of every error: `{"error": {...}}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorBody {
    /// What went wrong.
    pub error: ErrorDetail,
}

/// What went wrong.
#[derive(Debug, Serialize, ToSchema)]
pub struct ErrorDetail {
    /// Stable machine-readable code, e.g. `missing_credentials`, `missing_permission`.
    #[schema(example = "missing_permission")]
    pub code: &'static str,
    /// A sentence for people.
    pub message: String,
    /// The permissions the key lacks (`missing_permission`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub missing_permissions: Option<Vec<&'static str>>,
    /// The same in General Translation's scope names (`missing_permission`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub missing_scopes: Option<Vec<&'static str>>,
    /// The request field at fault (`invalid_field`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl ApiError {
    /// An error with a status, a code and a message.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            body: ErrorDetail {
                code,
                message: message.into(),
                missing_permissions: None,
                missing_scopes: None,
                field: None,
            },
            retry_after_secs: None,
        }
    }

    /// 429: too many requests from this client; `Retry-After` says when to try again.
    pub fn too_many_requests(retry_after_secs: i64) -> Self {
        let secs = u32::try_from(retry_after_secs.clamp(1, 86_400))
            .ok()
            .and_then(std::num::NonZeroU32::new)
            .unwrap_or(std::num::NonZeroU32::MIN);
        let mut error = Self::new(
            StatusCode::TOO_MANY_REQUESTS,
            "too_many_requests",
            format!("Too many requests from this address: try again in {secs} seconds."),
        );
        error.retry_after_secs = Some(secs);
        error
    }

    /// 401: the credentials are missing or do not work.
    pub fn unauthorized(code: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, code, message)
    }

    /// 403: the key works but lacks these permissions.
    pub fn missing_permissions(missing: PermissionSet) -> Self {
        let names: Vec<&'static str> = missing.iter().map(Permission::as_str).collect();
        let mut error = Self::new(
            StatusCode::FORBIDDEN,
            "missing_permission",
            format!("The API key lacks the permission {}.", names.join(", ")),
        );
        error.body.missing_permissions = Some(names);
        error.body.missing_scopes = Some(missing.gt_scopes().collect());
        error
    }

    /// 403: the key does not reach this project.
    pub fn wrong_project() -> Self {
        Self::new(
            StatusCode::FORBIDDEN,
            "wrong_project",
            "The API key does not belong to this project.",
        )
    }

    /// 404: nothing here (or nothing this key may see: the two are not told apart).
    pub fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("No such {what}."),
        )
    }

    /// 422: a field of the request is invalid.
    pub fn invalid_field(field: &str, message: impl Into<String>) -> Self {
        let mut error = Self::new(StatusCode::UNPROCESSABLE_ENTITY, "invalid_field", message);
        error.body.field = Some(field.to_owned());
        error
    }

    /// 500/503 after a server-side failure, which is logged here.
    pub fn internal(error: &dyn std::fmt::Display) -> Self {
        tracing::error!(error = %error, "key API request failed");
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "The service is unavailable; try again.",
        )
    }

    /// The status.
    pub fn status(&self) -> StatusCode {
        self.status
    }
}

impl From<CoreError> for ApiError {
    fn from(error: CoreError) -> Self {
        match error {
            // A name taken by another live key is a conflict with that key, not bad input.
            CoreError::Invalid(field)
                if matches!(
                    field.problem,
                    Problem::KeyNameTakenInProject | Problem::KeyNameTakenInOrg
                ) =>
            {
                let mut error =
                    Self::new(StatusCode::CONFLICT, "name_taken", field.problem.message());
                error.body.field = Some(field.field.clone());
                error
            }
            // An expiry that is well formed but, now, in the past, too far off or beyond
            // the organisation's policy conflicts with the time and the policy, not with
            // the request's form: 409, so a document can state the form exactly.
            CoreError::Invalid(field)
                if matches!(
                    field.problem,
                    Problem::ExpiryPast | Problem::ExpiryTooFar | Problem::ExpiryOverPolicy
                ) =>
            {
                let mut error = Self::new(
                    StatusCode::CONFLICT,
                    "expiry_out_of_range",
                    field.problem.message(),
                );
                error.body.field = Some("expires_at".to_owned());
                error
            }
            CoreError::Invalid(field) => Self::invalid_field(&field.field, field.message()),
            CoreError::NotFound { what } => Self::not_found(what),
            CoreError::Forbidden => Self::new(
                StatusCode::FORBIDDEN,
                "forbidden",
                "The API key may not do that.",
            ),
            CoreError::MissingPermissions(missing) => Self::missing_permissions(missing),
            CoreError::TooManyAttempts { retry_after_secs } => {
                Self::too_many_requests(retry_after_secs)
            }
            CoreError::Conflict(problem) => {
                Self::new(StatusCode::CONFLICT, "conflict", problem.message())
            }
            other => Self::internal(&other),
        }
    }
}

/// A body that could not be read: over the limit (413 `payload_too_large`) or broken
/// off (400 `bad_request`).
impl From<BytesRejection> for ApiError {
    fn from(rejection: BytesRejection) -> Self {
        let code = if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            "payload_too_large"
        } else {
            "bad_request"
        };
        Self::new(rejection.status(), code, rejection.body_text())
    }
}

impl From<JsonRejection> for ApiError {
    fn from(rejection: JsonRejection) -> Self {
        let code = match rejection {
            JsonRejection::JsonDataError(_) => "invalid_body",
            JsonRejection::JsonSyntaxError(_) => "malformed_json",
            JsonRejection::MissingJsonContentType(_) => "unsupported_media_type",
            _ if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE => "payload_too_large",
            _ => "bad_request",
        };
        Self::new(rejection.status(), code, rejection.body_text())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let unauthorized = self.status == StatusCode::UNAUTHORIZED;
        let retry_after = self.retry_after_secs;
        let mut response = (self.status, Json(ErrorBody { error: self.body })).into_response();
        if let Some(secs) = retry_after {
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs.get()));
        }
        if unauthorized {
            response
                .headers_mut()
                .insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        response
    }
}

/// `Query` for the API: a query string that does not fit is a JSON 422, not axum's
/// plain-text 400.
pub struct ApiQuery<T>(pub T);

impl<S, T> axum::extract::FromRequestParts<S> for ApiQuery<T>
where
    S: Send + Sync,
    T: serde::de::DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, ApiError> {
        match axum::extract::Query::<T>::from_request_parts(parts, state).await {
            Ok(axum::extract::Query(value)) => Ok(Self(value)),
            Err(rejection) => Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_query",
                rejection.body_text(),
            )),
        }
    }
}

/// `Json` for the API: its rejections (bad JSON, wrong content type, oversized body)
/// answered as JSON errors instead of axum's plain text, and only a JSON object accepted
/// as a body (serde would otherwise read `[]` as a struct whose fields are all optional).
pub struct ApiJson<T>(pub T);

impl<S, T> axum::extract::FromRequest<S> for ApiJson<T>
where
    S: Send + Sync,
    T: serde::de::DeserializeOwned,
{
    type Rejection = ApiError;

    async fn from_request(req: axum::extract::Request, state: &S) -> Result<Self, ApiError> {
        if !is_json(req.headers()) {
            return Err(ApiError::new(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "Send the body as JSON, with `Content-Type: application/json`.",
            ));
        }
        let bytes = axum::body::Bytes::from_request(req, state).await?;
        let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
        if first.is_some_and(|b| *b != b'{') {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "invalid_body",
                "The body must be a JSON object.",
            ));
        }
        // serde_json alone first: axum's `Json` tracks the path to every value it reads
        // (for its error messages), which a hot verify should not pay for. Only a body that
        // fails goes through `Json`, which fails the same way and says where.
        if let Ok(value) = serde_json::from_slice::<T>(&bytes) {
            return Ok(Self(value));
        }
        let Json(value) = Json::<T>::from_bytes(&bytes)?;
        Ok(Self(value))
    }
}

/// Whether the request says its body is JSON (`application/json` or `application/*+json`).
fn is_json(headers: &axum::http::HeaderMap) -> bool {
    let Some(value) = headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
    else {
        return false;
    };
    // What nearly every client sends, answered without splitting it.
    if value == "application/json" {
        return true;
    }
    let essence = value.split(';').next().unwrap_or_default().trim();
    let Some((kind, subtype)) = essence.split_once('/') else {
        return false;
    };
    kind.eq_ignore_ascii_case("application")
        && (subtype.eq_ignore_ascii_case("json") || subtype.to_ascii_lowercase().ends_with("+json"))
}
