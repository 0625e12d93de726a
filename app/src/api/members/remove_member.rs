use crate::AppError;
use leptos::prelude::*;

/// Removes a member from the organisation; their sessions end at once.
#[server(prefix = "/_sf", endpoint = "remove_member")]
pub async fn remove_member(org_id: String, user_id: String) -> Result<(), AppError> {
    use gtx_core::domain::{OrgId, UserId};
    let services = crate::api::services()?;
    let actor = crate::api::signed_in_actor().await?;
    services
        .remove_member(&actor, &OrgId(org_id.clone()), &UserId(user_id))
        .await?;
    leptos_axum::redirect(&crate::paths::members(&org_id));
    Ok(())
}
