//! Server-only helpers shared by the key server functions: the one-time reveal of a new
//! key (create, rotate) and the list's view to land back on (revoke, reveal).

use crate::AppError;
use crate::api::types::RevealedKey;

/// The list's view (filters, search, order and page) from the page the form was posted
/// from, as a query string (`?…` or empty), so a plain form post lands back on
/// the same view of the list without the dialog.
pub(super) fn list_query_from_referer() -> String {
    const KEPT: [&str; 7] = ["type", "status", "q", "sort", "dir", "page", "per_page"];
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
                && value.bytes().all(|b| {
                    // Percent-encoded text stays encoded: nothing here can end the header.
                    b.is_ascii_alphanumeric()
                        || matches!(b, b'_' | b'-' | b'.' | b'~' | b'%' | b'+')
                })
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
pub(super) async fn reveal(
    services: &gtx_core::services::Services,
    record: &gtx_core::db::models::ApiKeyRecord,
    key: String,
    what: &str,
) -> Result<Option<RevealedKey>, AppError> {
    crate::api::no_store();
    let project_id = record.project_id.as_ref().map(|p| p.0.clone());
    let page = super::keys_page(&record.org_id.0, project_id.as_deref());
    if crate::api::is_plain_form_post() {
        let ctx = crate::api::request_context().await?;
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
pub(super) fn permissions_from_form(
    levels: &super::PermissionLevels,
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

/// After a change to `key` made by a plain form post (no JavaScript), sends the browser
/// back where the form was: the key's detail page (`back` is `detail`), or its list,
/// in the view it was in. (Only paths this server builds: `back` chooses, it is not a
/// URL.)
pub(super) fn back_after_change(key: &gtx_core::db::models::ApiKeyRecord, back: Option<&str>) {
    if !crate::api::is_plain_form_post() {
        return;
    }
    let org = key.org_id.as_str();
    let project = key.project_id.as_ref().map(|p| p.as_str());
    let to = match back {
        Some("detail") => crate::paths::key(org, project, key.id.as_str()),
        _ => format!(
            "{}{}",
            super::keys_page(org, project),
            list_query_from_referer()
        ),
    };
    leptos_axum::redirect(&to);
}
