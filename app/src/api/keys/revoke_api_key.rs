use crate::AppError;
use leptos::prelude::*;

/// Revokes a key: it fails every check from the moment this returns.
#[server(prefix = "/_sf", endpoint = "revoke_api_key")]
pub async fn revoke_api_key(key_id: String) -> Result<(), AppError> {
    use gtx_core::domain::KeyId;
    let services = crate::api::services()?;
    let actor = crate::api::signed_in_actor().await?;
    let key = services.revoke_key(&actor, &KeyId(key_id)).await?;
    if crate::api::is_plain_form_post() {
        leptos_axum::redirect(&format!(
            "{}{}",
            super::keys_page(&key.org_id.0, key.project_id.as_ref().map(|p| p.as_str()),),
            super::ssr::list_query_from_referer()
        ));
    }
    Ok(())
}
