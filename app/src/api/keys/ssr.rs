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
