//! The organisation's settings (its key policy): read and save, admins only.

use super::types::OrgSettingsData;
use crate::AppError;
use leptos::prelude::*;

/// The organisation and its key policy (admins; anyone else: not found).
#[server(prefix = "/_sf", endpoint = "get_org_settings")]
pub async fn get_org_settings(org_id: String) -> Result<OrgSettingsData, AppError> {
    use gtx_core::domain::OrgId;
    let services = super::services()?;
    let actor = super::signed_in_actor().await?;
    let org_id = OrgId(org_id);
    let org = services.org_overview(&actor, &org_id).await?;
    if !org.is_admin {
        return Err(AppError::NotFound);
    }
    let policy = services.org_policy(&actor, &org_id).await?;
    Ok(OrgSettingsData {
        org: org.into(),
        policy,
    })
}

/// Saves the key policy: `max_key_lifetime` is `none`, `30`, `90` or `365` (days);
/// `disable_unused_after` is `none`, `30`, `60` or `90`.
#[server(prefix = "/_sf", endpoint = "save_org_settings")]
pub async fn save_org_settings(
    org_id: String,
    max_key_lifetime: String,
    disable_unused_after: String,
) -> Result<(), AppError> {
    use gtx_core::domain::OrgId;
    use gtx_core::domain::policy::OrgPolicy;
    let services = super::services()?;
    let actor = super::signed_in_actor().await?;
    let policy = OrgPolicy::from_form(&max_key_lifetime, &disable_unused_after)?;
    services
        .set_org_policy(&actor, &OrgId(org_id.clone()), policy)
        .await?;
    if super::is_plain_form_post() {
        leptos_axum::redirect(&format!("{}?saved=1", crate::paths::org_settings(&org_id)));
    }
    Ok(())
}
