//! The key management REST API: what the key pages do, for an organisation key with
//! `api_keys:read` (lists, a key, its usage) or `api_keys:write` (create, change, rotate,
//! revoke). Thin: each handler calls the service the dashboard calls, which scopes the
//! query to the key's organisation and applies the rule against escalation.

use super::auth::{ApiKeyAuth, KeysRead, KeysWrite};
use super::error::{ApiError, ApiJson, ApiQuery, ErrorBody};
use super::handlers::untrimmed;
use super::key_types::{
    ApiKeyInfo, ApiKeyList, ChangedKey, KeyChanges, KeyUsage, ListParams, NewOrgKey, NewProjectKey,
    Rotation, UsageParams,
};
use axum::Json;
use axum::extract::{Path, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use gtx_core::domain::ip_allowlist::MAX_NETWORKS;
use gtx_core::domain::key_list::{KeyListQuery, PER_PAGE_MAX};
use gtx_core::domain::lifetime::GracePeriod;
use gtx_core::domain::usage::UsageRange;
use gtx_core::domain::{IpAllowList, KeyId, KeyType, PermissionSet, ProjectId};
use gtx_core::error::CoreError;
use gtx_core::services::{CreatedKey, KeyListScope, KeyScope, KeyUpdate, NewKey, Services};
use std::sync::Arc;

/// A new key's answer: 201, the key once, never cached.
fn created(key: CreatedKey, now: i64) -> Response {
    let body = ChangedKey {
        key: key.key.expose().to_owned(),
        api_key: ApiKeyInfo::new(&key.record, now),
    };
    (
        StatusCode::CREATED,
        [(header::CACHE_CONTROL, HeaderValue::from_static("no-store"))],
        Json(body),
    )
        .into_response()
}

/// Permission names (ours or GT's) as a set; an unknown one is a 422 on `field`.
fn permissions(field: &str, names: &[String]) -> Result<PermissionSet, ApiError> {
    PermissionSet::parse_all(names).map_err(|e| ApiError::invalid_field(field, e.to_string()))
}

/// An allow-list from the request's networks: each item one address or one CIDR, as the
/// document states (the dashboard's field also takes lists in one text; an item here
/// holding a space or a comma is refused).
fn allowlist(networks: Option<&[String]>) -> Result<IpAllowList, ApiError> {
    let Some(list) = networks else {
        return Ok(IpAllowList::default());
    };
    if list.len() > MAX_NETWORKS {
        // Counted as sent, as the document's maxItems counts them (the list itself
        // drops repeats).
        return Err(ApiError::invalid_field(
            "allowed_ips",
            format!("List at most {MAX_NETWORKS} networks."),
        ));
    }
    // As the document's patterns: one item each, and a prefix length without leading
    // zeros (`/08` parses, but no pattern takes it).
    let leading_zero = |n: &str| {
        n.split_once('/')
            .is_some_and(|(_, bits)| bits.len() > 1 && bits.starts_with('0'))
    };
    if list.iter().any(|n| {
        n.is_empty() || leading_zero(n) || n.contains(|c: char| c == ',' || c.is_whitespace())
    }) {
        return Err(ApiError::invalid_field(
            "allowed_ips",
            "Give one address or network (CIDR) per item.",
        ));
    }
    IpAllowList::parse("allowed_ips", &list.join("\n"))
        .map_err(|e| ApiError::from(CoreError::Invalid(e)))
}

/// A description as the document states it: no surrounding whitespace and no carriage
/// return (the dashboard's form trims, and reads `\r\n` as a line break).
fn description(value: Option<&str>) -> Result<(), ApiError> {
    untrimmed("description", value)?;
    if value.is_some_and(|d| d.contains('\r')) {
        return Err(ApiError::invalid_field(
            "description",
            "Use \\n for line breaks, without \\r.",
        ));
    }
    Ok(())
}

async fn list(
    services: &Services,
    auth: &ApiKeyAuth<KeysRead>,
    scope: KeyListScope,
    params: &ListParams,
) -> Result<Json<ApiKeyList>, ApiError> {
    let view = params.query()?;
    let page = services.list_keys(&auth.actor(), &scope, &view).await?;
    let now = services.now();
    Ok(Json(ApiKeyList {
        api_keys: page.rows.iter().map(|k| ApiKeyInfo::new(k, now)).collect(),
        page: page.page,
        per_page: view.per_page,
        total: page.matching,
    }))
}

/// A project's keys (production and development), newest first, a page at a time.
#[utoipa::path(
    get,
    path = "/api/v1/projects/{project_id}/api-keys",
    tag = "api-keys",
    security(("bearer" = []), ("gt_api_key" = [])),
    params(("project_id" = String, Path, description = "The project's id"), ListParams),
    responses(
        (status = 200, description = "The keys (never the keys themselves)", body = ApiKeyList),
        (status = 400, description = "Bad gt-project-id header", body = ErrorBody),
        (status = 401, description = "Missing or bad credentials", body = ErrorBody),
        (status = 403, description = "Missing api_keys:read, or another project", body = ErrorBody),
        (status = 404, description = "No such project in the key's organisation", body = ErrorBody),
        (status = 422, description = "page or per_page out of range, or not a number", body = ErrorBody),
        (status = 503, description = "The database is unavailable", body = ErrorBody),
    )
)]
pub async fn list_project_keys(
    State(services): State<Arc<Services>>,
    auth: ApiKeyAuth<KeysRead>,
    Path(project_id): Path<String>,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<Json<ApiKeyList>, ApiError> {
    let project_id = ProjectId(project_id);
    auth.require_project(&project_id)?;
    list(&services, &auth, KeyListScope::Project(project_id), &params).await
}

/// The organisation's organisation keys, newest first, a page at a time.
#[utoipa::path(
    get,
    path = "/api/v1/api-keys",
    tag = "api-keys",
    security(("bearer" = []), ("gt_api_key" = [])),
    params(ListParams),
    responses(
        (status = 200, description = "The keys (never the keys themselves)", body = ApiKeyList),
        (status = 400, description = "Bad gt-project-id header", body = ErrorBody),
        (status = 401, description = "Missing or bad credentials", body = ErrorBody),
        (status = 403, description = "Missing api_keys:read", body = ErrorBody),
        (status = 422, description = "page or per_page out of range, or not a number", body = ErrorBody),
        (status = 503, description = "The database is unavailable", body = ErrorBody),
    )
)]
pub async fn list_org_keys(
    State(services): State<Arc<Services>>,
    auth: ApiKeyAuth<KeysRead>,
    ApiQuery(params): ApiQuery<ListParams>,
) -> Result<Json<ApiKeyList>, ApiError> {
    let scope = KeyListScope::Organisation(auth.key.org_id());
    list(&services, &auth, scope, &params).await
}

/// One key of the organisation (project or organisation key).
#[utoipa::path(
    get,
    path = "/api/v1/api-keys/{key_id}",
    tag = "api-keys",
    security(("bearer" = []), ("gt_api_key" = [])),
    params(("key_id" = String, Path, description = "The key's id")),
    responses(
        (status = 200, description = "The key (never the key itself)", body = ApiKeyInfo),
        (status = 400, description = "Bad gt-project-id header", body = ErrorBody),
        (status = 401, description = "Missing or bad credentials", body = ErrorBody),
        (status = 403, description = "Missing api_keys:read", body = ErrorBody),
        (status = 404, description = "No such key in the key's organisation", body = ErrorBody),
        (status = 503, description = "The database is unavailable", body = ErrorBody),
    )
)]
pub async fn get_key(
    State(services): State<Arc<Services>>,
    auth: ApiKeyAuth<KeysRead>,
    Path(key_id): Path<String>,
) -> Result<Json<ApiKeyInfo>, ApiError> {
    let key = services.api_key(&auth.actor(), &KeyId(key_id)).await?;
    Ok(Json(ApiKeyInfo::new(&key, services.now())))
}

/// A key's requests over `since` (24h per hour; 7d or 30d per day), per outcome.
#[utoipa::path(
    get,
    path = "/api/v1/api-keys/{key_id}/usage",
    tag = "api-keys",
    security(("bearer" = []), ("gt_api_key" = [])),
    params(("key_id" = String, Path, description = "The key's id"), UsageParams),
    responses(
        (status = 200, description = "The usage", body = KeyUsage),
        (status = 400, description = "Bad gt-project-id header", body = ErrorBody),
        (status = 401, description = "Missing or bad credentials", body = ErrorBody),
        (status = 403, description = "Missing api_keys:read", body = ErrorBody),
        (status = 404, description = "No such key in the key's organisation", body = ErrorBody),
        (status = 422, description = "since is not 24h, 7d or 30d", body = ErrorBody),
        (status = 503, description = "The database is unavailable", body = ErrorBody),
    )
)]
pub async fn key_usage(
    State(services): State<Arc<Services>>,
    auth: ApiKeyAuth<KeysRead>,
    Path(key_id): Path<String>,
    ApiQuery(params): ApiQuery<UsageParams>,
) -> Result<Json<KeyUsage>, ApiError> {
    let range = match params.since.as_deref() {
        None => UsageRange::Week,
        Some(text) => UsageRange::parse(text)
            .ok_or_else(|| ApiError::invalid_field("since", "Use 24h, 7d or 30d."))?,
    };
    let detail = services
        .key_detail(&auth.actor(), &KeyId(key_id), range)
        .await?;
    Ok(Json(KeyUsage::new(&detail)))
}

/// Creates a project key (holding every project permission). The key is in this answer
/// and nowhere else, ever. Needs `api_keys:write` and every project permission.
#[utoipa::path(
    post,
    path = "/api/v1/projects/{project_id}/api-keys",
    tag = "api-keys",
    security(("bearer" = []), ("gt_api_key" = [])),
    params(("project_id" = String, Path, description = "The project's id")),
    request_body = NewProjectKey,
    responses(
        (status = 201, description = "The key, once, and its metadata", body = ChangedKey),
        (status = 400, description = "Malformed JSON or gt-project-id header", body = ErrorBody),
        (status = 401, description = "Missing or bad credentials", body = ErrorBody),
        (status = 403, description = "Missing api_keys:write or a permission the new key would hold", body = ErrorBody),
        (status = 404, description = "No such project in the key's organisation", body = ErrorBody),
        (status = 409, description = "A live key of the project has this name, or the expiry is past, over 5 years away or beyond the organisation's policy", body = ErrorBody),
        (status = 413, description = "Body over 64 KiB", body = ErrorBody),
        (status = 415, description = "Not application/json", body = ErrorBody),
        (status = 422, description = "Invalid field", body = ErrorBody),
        (status = 503, description = "The database is unavailable", body = ErrorBody),
    )
)]
pub async fn create_project_key(
    State(services): State<Arc<Services>>,
    auth: ApiKeyAuth<KeysWrite>,
    Path(project_id): Path<String>,
    ApiJson(new): ApiJson<NewProjectKey>,
) -> Result<Response, ApiError> {
    let project_id = ProjectId(project_id);
    auth.require_project(&project_id)?;
    let key_type = match new.environment {
        super::types::Environment::Production => KeyType::Production,
        super::types::Environment::Development => KeyType::Development,
    };
    let scope = KeyScope::Project {
        project_id,
        key_type,
    };
    let fields = (new.name, new.expires_at, new.description, new.allowed_ips);
    create(&services, &auth, scope, fields).await
}

/// Creates an organisation key with exactly `permissions` (each one the calling key
/// holds). The key is in this answer and nowhere else, ever.
#[utoipa::path(
    post,
    path = "/api/v1/api-keys",
    tag = "api-keys",
    security(("bearer" = []), ("gt_api_key" = [])),
    request_body = NewOrgKey,
    responses(
        (status = 201, description = "The key, once, and its metadata", body = ChangedKey),
        (status = 400, description = "Malformed JSON or gt-project-id header", body = ErrorBody),
        (status = 401, description = "Missing or bad credentials", body = ErrorBody),
        (status = 403, description = "Missing api_keys:write or a permission the new key would hold", body = ErrorBody),
        (status = 409, description = "A live organisation key has this name, or the expiry is past, over 5 years away or beyond the organisation's policy", body = ErrorBody),
        (status = 413, description = "Body over 64 KiB", body = ErrorBody),
        (status = 415, description = "Not application/json", body = ErrorBody),
        (status = 422, description = "Invalid field", body = ErrorBody),
        (status = 503, description = "The database is unavailable", body = ErrorBody),
    )
)]
pub async fn create_org_key(
    State(services): State<Arc<Services>>,
    auth: ApiKeyAuth<KeysWrite>,
    ApiJson(new): ApiJson<NewOrgKey>,
) -> Result<Response, ApiError> {
    let scope = KeyScope::Organisation {
        org_id: auth.key.org_id(),
        permissions: permissions("permissions", &new.permissions)?,
    };
    let fields = (new.name, new.expires_at, new.description, new.allowed_ips);
    create(&services, &auth, scope, fields).await
}

/// The fields both creates share: name, expiry, description, allowed networks.
type CommonFields = (String, Option<i64>, Option<String>, Option<Vec<String>>);

/// Creates a key of `scope` from the fields both creates share, checked as the document
/// states them, and answers it once.
async fn create(
    services: &Services,
    auth: &ApiKeyAuth<KeysWrite>,
    scope: KeyScope,
    (name, expires_at, text, networks): CommonFields,
) -> Result<Response, ApiError> {
    untrimmed("name", Some(&name))?;
    description(text.as_deref())?;
    let ip_allowlist = allowlist(networks.as_deref())?;
    let new_key = NewKey {
        scope,
        name,
        expires_at,
        description: text.unwrap_or_default(),
    };
    let key = services
        .create_key_limited(&auth.actor(), new_key, ip_allowlist)
        .await?;
    Ok(created(key, services.now()))
}

/// Changes a key: each field given. All or nothing; widening, enabling and a new
/// allow-list need every permission of the key; the expiry only moves earlier.
#[utoipa::path(
    patch,
    path = "/api/v1/api-keys/{key_id}",
    tag = "api-keys",
    security(("bearer" = []), ("gt_api_key" = [])),
    params(("key_id" = String, Path, description = "The key's id")),
    request_body = KeyChanges,
    responses(
        (status = 200, description = "The key, changed", body = ApiKeyInfo),
        (status = 400, description = "Malformed JSON or gt-project-id header", body = ErrorBody),
        (status = 401, description = "Missing or bad credentials", body = ErrorBody),
        (status = 403, description = "Missing api_keys:write or a permission of the key", body = ErrorBody),
        (status = 404, description = "No such key in the key's organisation", body = ErrorBody),
        (status = 409, description = "A live key of the scope has this name; the key is revoked or expired; a project key's permissions; an expiry past or later than the key's", body = ErrorBody),
        (status = 413, description = "Body over 64 KiB", body = ErrorBody),
        (status = 415, description = "Not application/json", body = ErrorBody),
        (status = 422, description = "Invalid field", body = ErrorBody),
        (status = 503, description = "The database is unavailable", body = ErrorBody),
    )
)]
pub async fn update_key(
    State(services): State<Arc<Services>>,
    auth: ApiKeyAuth<KeysWrite>,
    Path(key_id): Path<String>,
    ApiJson(changes): ApiJson<KeyChanges>,
) -> Result<Json<ApiKeyInfo>, ApiError> {
    untrimmed("name", changes.name.as_deref())?;
    description(changes.description.as_deref())?;
    let update = KeyUpdate {
        name: changes.name,
        description: changes.description,
        permissions: changes
            .permissions
            .as_deref()
            .map(|p| permissions("permissions", p))
            .transpose()?,
        enabled: changes.enabled,
        expires_at: changes.expires_at,
        ip_allowlist: changes
            .allowed_ips
            .as_deref()
            .map(|list| allowlist(Some(list)))
            .transpose()?,
    };
    let key = services
        .update_key(&auth.actor(), &KeyId(key_id), update)
        .await?;
    Ok(Json(ApiKeyInfo::new(&key, services.now())))
}

/// Rotates a key: a replacement with the same name, scope, permissions, description and
/// allow-list, in this answer once; the old key works for `grace`, then stops.
#[utoipa::path(
    post,
    path = "/api/v1/api-keys/{key_id}/rotate",
    tag = "api-keys",
    security(("bearer" = []), ("gt_api_key" = [])),
    params(("key_id" = String, Path, description = "The key's id")),
    request_body = Rotation,
    responses(
        (status = 201, description = "The replacement, once, and its metadata", body = ChangedKey),
        (status = 400, description = "Malformed JSON or gt-project-id header", body = ErrorBody),
        (status = 401, description = "Missing or bad credentials", body = ErrorBody),
        (status = 403, description = "Missing api_keys:write or a permission of the key", body = ErrorBody),
        (status = 404, description = "No such key in the key's organisation", body = ErrorBody),
        (status = 409, description = "Revoked, expired, disabled or already rotated", body = ErrorBody),
        (status = 413, description = "Body over 64 KiB", body = ErrorBody),
        (status = 415, description = "Not application/json", body = ErrorBody),
        (status = 422, description = "Invalid field", body = ErrorBody),
        (status = 503, description = "The database is unavailable", body = ErrorBody),
    )
)]
pub async fn rotate_key(
    State(services): State<Arc<Services>>,
    auth: ApiKeyAuth<KeysWrite>,
    Path(key_id): Path<String>,
    ApiJson(rotation): ApiJson<Rotation>,
) -> Result<Response, ApiError> {
    let grace: GracePeriod = rotation
        .grace
        .parse()
        .map_err(|e| ApiError::from(CoreError::Invalid(e)))?;
    let rotated = services
        .rotate_key(&auth.actor(), &KeyId(key_id), grace)
        .await?;
    Ok(created(rotated.created, services.now()))
}

/// Revokes a key: it fails every check from this answer on, on every instance.
#[utoipa::path(
    post,
    path = "/api/v1/api-keys/{key_id}/revoke",
    tag = "api-keys",
    security(("bearer" = []), ("gt_api_key" = [])),
    params(("key_id" = String, Path, description = "The key's id")),
    responses(
        (status = 200, description = "The key, revoked", body = ApiKeyInfo),
        (status = 400, description = "Bad gt-project-id header", body = ErrorBody),
        (status = 401, description = "Missing or bad credentials", body = ErrorBody),
        (status = 403, description = "Missing api_keys:write", body = ErrorBody),
        (status = 404, description = "No such key in the key's organisation", body = ErrorBody),
        (status = 409, description = "Already revoked", body = ErrorBody),
        (status = 503, description = "The database is unavailable", body = ErrorBody),
    )
)]
pub async fn revoke_key(
    State(services): State<Arc<Services>>,
    auth: ApiKeyAuth<KeysWrite>,
    Path(key_id): Path<String>,
) -> Result<Json<ApiKeyInfo>, ApiError> {
    let key = services.revoke_key(&auth.actor(), &KeyId(key_id)).await?;
    Ok(Json(ApiKeyInfo::new(&key, services.now())))
}

/// The list view from the query: `page`, `per_page`; the rest at its default (every
/// key, newest first). Out of range is a 422.
impl ListParams {
    fn query(&self) -> Result<KeyListQuery, ApiError> {
        if self.page.is_some_and(|p| !(1..=100_000).contains(&p)) {
            return Err(ApiError::invalid_field("page", "Use a page from 1."));
        }
        if self
            .per_page
            .is_some_and(|n| !(1..=PER_PAGE_MAX).contains(&n))
        {
            return Err(ApiError::invalid_field(
                "per_page",
                format!("Use 1 to {PER_PAGE_MAX} keys per page."),
            ));
        }
        let (page, per_page) = (self.page, self.per_page);
        Ok(KeyListQuery::from_lookup(|name| match name {
            "page" => page.map(|p| p.to_string()),
            "per_page" => per_page.map(|p| p.to_string()),
            _ => None,
        }))
    }
}
