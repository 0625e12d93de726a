//! API keys: the project's and the organisation's lists, create, rotate, revoke, and the
//! one-time reveal.
//!
//! The key travels to the browser exactly once. With JavaScript the create (or rotate)
//! response carries it and the page holds it until the reveal dialog closes. A plain form
//! post (no JavaScript) gets a redirect without it, and the page it lands on takes the key
//! once from the in-memory reveal store. Either way that response is `no-store`.

// `create_api_key` takes one argument per form field (the permission selector has six),
// and `#[server]` repeats them in code that an item-level `allow` does not reach.
#![allow(clippy::too_many_arguments)]

use super::types::{KeysData, RevealedKey};
use crate::AppError;
use leptos::prelude::*;
use serde::{Deserialize, Serialize};

/// The keys of a project (`project_id` set) or the organisation keys of an organisation.
#[server(prefix = "/_sf", endpoint = "list_api_keys")]
pub async fn list_api_keys(
    org_id: String,
    project_id: Option<String>,
) -> Result<KeysData, AppError> {
    use super::types::{KeyRow, OrgSummary, ProjectSummary};
    use gtx_core::domain::{OrgId, ProjectId};
    use gtx_core::services::KeyListScope;
    let services = super::services()?;
    let actor = super::signed_in_actor().await?;
    let org_id = OrgId(org_id);
    let (project, scope) = match project_id {
        Some(project_id) => {
            let project = services
                .get_project(&actor, &org_id, &ProjectId(project_id))
                .await?;
            let scope = KeyListScope::Project(project.id.clone());
            (
                Some(ProjectSummary {
                    id: project.id.0,
                    name: project.name,
                    default_locale: project.default_locale,
                }),
                scope,
            )
        }
        None => (None, KeyListScope::Organisation(org_id.clone())),
    };
    let keys = services.list_keys(&actor, &scope).await?;
    let org = services.org_overview(&actor, &org_id).await?;
    Ok(KeysData {
        org: OrgSummary::from(org),
        project,
        keys: keys.into_iter().map(KeyRow::from).collect(),
        now: services.now(),
    })
}

/// The create-key form as the page posts it (flat fields; the hydrated page sends the
/// same ones): the key's organisation, its project for a project key, name, type and
/// expiry, and the permission selector's levels for an organisation key.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct NewKeyForm {
    /// The organisation in the URL.
    pub org_id: String,
    /// The project, for a project key.
    pub project_id: Option<String>,
    /// The key's name.
    pub name: String,
    /// `production` or `development` (project keys).
    pub key_type: Option<String>,
    /// `never`, `30d`, `60d`, `90d`, `1y` or `date`.
    pub expires: Option<String>,
    /// The day, when `expires` is `date`.
    pub expires_on: Option<String>,
    /// The permission selector (organisation keys).
    #[serde(flatten)]
    pub levels: PermissionLevels,
}

/// One radio group per resource of the permission selector, named as the resource and
/// holding a [`gtx_core::domain::Level::form_value`]; a missing group is "No access".
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct PermissionLevels {
    /// `files`
    pub files: Option<String>,
    /// `context`
    pub context: Option<String>,
    /// `runtime_translation`
    pub runtime_translation: Option<String>,
    /// `translation_queue`
    pub translation_queue: Option<String>,
    /// `project_settings`
    pub project_settings: Option<String>,
    /// `project_creation`
    pub project_creation: Option<String>,
}

impl PermissionLevels {
    /// The level chosen for `resource`, as posted.
    pub fn of(&self, resource: gtx_core::domain::Resource) -> Option<&str> {
        use gtx_core::domain::Resource;
        match resource {
            Resource::Files => self.files.as_deref(),
            Resource::Context => self.context.as_deref(),
            Resource::RuntimeTranslation => self.runtime_translation.as_deref(),
            Resource::TranslationQueue => self.translation_queue.as_deref(),
            Resource::ProjectSettings => self.project_settings.as_deref(),
            Resource::ProjectCreation => self.project_creation.as_deref(),
        }
    }
}

/// Creates a key and reveals it once. Project keys take `key_type` (`production` or
/// `development`); organisation keys take one level per resource of the permission
/// selector. `expires` is `never`, `30d`, `60d`, `90d`, `1y` or `date` (with `expires_on`).
#[server(prefix = "/_sf", endpoint = "create_api_key")]
pub async fn create_api_key(
    #[server(flatten)] form: NewKeyForm,
) -> Result<Option<RevealedKey>, AppError> {
    use gtx_core::domain::lifetime::expiry_from_form;
    use gtx_core::domain::{KeyType, OrgId, ProjectId};
    use gtx_core::services::{KeyScope, NewKey};
    let NewKeyForm {
        org_id,
        project_id,
        name,
        key_type,
        expires,
        expires_on,
        levels,
    } = form;
    let services = super::services()?;
    let actor = super::signed_in_actor().await?;
    let org_id = OrgId(org_id);
    let expires_at = expiry_from_form(
        expires.as_deref().unwrap_or("never"),
        expires_on.as_deref().unwrap_or(""),
        services.now(),
    )?;
    let scope = match project_id {
        Some(project_id) => {
            // The project must belong to the organisation in the URL.
            let project = services
                .get_project(&actor, &org_id, &ProjectId(project_id))
                .await?;
            let key_type = match key_type.as_deref() {
                Some("production") => KeyType::Production,
                Some("development") => KeyType::Development,
                _ => {
                    return Err(AppError::invalid(
                        "key_type",
                        gtx_core::domain::validation::Problem::KeyType,
                    ));
                }
            };
            KeyScope::Project {
                project_id: project.id,
                key_type,
            }
        }
        None => KeyScope::Organisation {
            org_id: org_id.clone(),
            permissions: permissions_from_form(&levels)?,
        },
    };
    let created = services
        .create_key(
            &actor,
            NewKey {
                scope,
                name,
                expires_at,
            },
        )
        .await?;
    reveal(
        &services,
        &created.record,
        created.key.expose().to_owned(),
        "created",
    )
    .await
}

/// Rotates a key: the replacement is revealed once; the old key keeps working for
/// `grace` (`now`, `1h`, `24h`, `7d`), never past its own expiry.
#[server(prefix = "/_sf", endpoint = "rotate_api_key")]
pub async fn rotate_api_key(
    key_id: String,
    grace: String,
) -> Result<Option<RevealedKey>, AppError> {
    use gtx_core::domain::KeyId;
    use gtx_core::domain::lifetime::GracePeriod;
    let services = super::services()?;
    let actor = super::signed_in_actor().await?;
    let grace: GracePeriod = grace.parse().map_err(AppError::from)?;
    let rotated = services.rotate_key(&actor, &KeyId(key_id), grace).await?;
    reveal(
        &services,
        &rotated.created.record,
        rotated.created.key.expose().to_owned(),
        "rotated",
    )
    .await
}

/// Revokes a key: it fails every check from the moment this returns.
#[server(prefix = "/_sf", endpoint = "revoke_api_key")]
pub async fn revoke_api_key(key_id: String) -> Result<(), AppError> {
    use gtx_core::domain::KeyId;
    let services = super::services()?;
    let actor = super::signed_in_actor().await?;
    let key = services.revoke_key(&actor, &KeyId(key_id)).await?;
    if super::is_plain_form_post() {
        leptos_axum::redirect(&format!(
            "{}{}",
            keys_page(&key.org_id.0, key.project_id.as_ref().map(|p| p.as_str()),),
            list_query_from_referer()
        ));
    }
    Ok(())
}

/// Takes the key stashed for this session by a plain-form create or rotate, once.
#[server(prefix = "/_sf", endpoint = "take_key_reveal")]
pub async fn take_key_reveal(reveal: String) -> Result<Option<RevealedKey>, AppError> {
    use secrecy::ExposeSecret;
    let services = super::services()?;
    let ctx = super::request_context().await?;
    let Some(user) = ctx.user else {
        return Err(AppError::Unauthenticated);
    };
    super::no_store();
    match services.take_reveal(
        &user.session_id,
        &reveal,
        gtx_core::services::RevealKind::Key,
    ) {
        Some(gtx_core::services::Revealed::Key {
            name,
            key,
            project_id,
        }) => Ok(Some(RevealedKey {
            name,
            key: key.expose_secret().to_owned(),
            project_id: project_id.map(|p| p.0),
        })),
        _ => Ok(None),
    }
}

/// The key page of a scope.
pub fn keys_page(org_id: &str, project_id: Option<&str>) -> String {
    crate::paths::keys(org_id, project_id)
}

/// The list's filters and order (`type`, `status`, `sort`, `dir`) from the page the form
/// was posted from, as a query string (`?…` or empty), so a plain form post lands back on
/// the same view of the list without the dialog.
#[cfg(feature = "ssr")]
fn list_query_from_referer() -> String {
    const KEPT: [&str; 4] = ["type", "status", "sort", "dir"];
    let referer = leptos::prelude::use_context::<http::request::Parts>().and_then(|parts| {
        parts
            .headers
            .get(http::header::REFERER)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    });
    let Some(query) = referer
        .as_deref()
        .and_then(|r| r.split_once('?'))
        .map(|(_, q)| q)
    else {
        return String::new();
    };
    let kept: Vec<&str> = query
        .split('#')
        .next()
        .unwrap_or_default()
        .split('&')
        .filter(|pair| {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            KEPT.contains(&key)
                && !value.is_empty()
                && value
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_')
        })
        .collect();
    if kept.is_empty() {
        String::new()
    } else {
        format!("?{}", kept.join("&"))
    }
}

/// Hands a new key to the browser once: in this response for JavaScript, or through the
/// reveal store and a redirect for a plain form post.
#[cfg(feature = "ssr")]
async fn reveal(
    services: &gtx_core::services::Services,
    record: &gtx_core::db::models::ApiKeyRecord,
    key: String,
    what: &str,
) -> Result<Option<RevealedKey>, AppError> {
    super::no_store();
    let project_id = record.project_id.as_ref().map(|p| p.0.clone());
    let page = keys_page(&record.org_id.0, project_id.as_deref());
    if super::is_plain_form_post() {
        let ctx = super::request_context().await?;
        let session_id = ctx.user.map(|u| u.session_id).unwrap_or_default();
        let stashed = gtx_core::services::Revealed::Key {
            name: record.name.clone(),
            key: secrecy::SecretString::from(key),
            project_id: record.project_id.clone(),
        };
        let id = services.stash_reveal(&session_id, stashed);
        let back = list_query_from_referer();
        let sep = if back.is_empty() { '?' } else { '&' };
        leptos_axum::redirect(&format!("{page}{back}{sep}reveal={id}&{what}=1"));
        return Ok(None);
    }
    Ok(Some(RevealedKey {
        name: record.name.clone(),
        key,
        project_id,
    }))
}

/// The organisation key's permissions from the selector's radio groups. A missing group
/// means "No access".
#[cfg(feature = "ssr")]
fn permissions_from_form(
    levels: &PermissionLevels,
) -> Result<gtx_core::domain::PermissionSet, AppError> {
    use gtx_core::domain::{Level, PermissionSet, Resource};
    let mut set = PermissionSet::empty();
    for resource in Resource::ALL {
        let level = levels.of(resource);
        let level = match level {
            None => Level::NoAccess,
            Some(value) => Level::from_form_value(value).ok_or_else(|| {
                AppError::invalid(
                    "permissions",
                    gtx_core::domain::validation::Problem::PermissionLevel,
                )
            })?,
        };
        set.set_level(resource, level).map_err(|_| {
            AppError::invalid(
                "permissions",
                gtx_core::domain::validation::Problem::PermissionLevel,
            )
        })?;
    }
    Ok(set)
}
