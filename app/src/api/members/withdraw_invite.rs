use crate::AppError;
use leptos::prelude::*;

/// Withdraws an open invite; its link stops working at once.
#[server(prefix = "/_sf", endpoint = "withdraw_invite")]
pub async fn withdraw_invite(org_id: String, invite_id: String) -> Result<(), AppError> {
    use gtx_core::domain::OrgId;
    let services = crate::api::services()?;
    let actor = crate::api::signed_in_actor().await?;
    services
        .withdraw_invite(&actor, &OrgId(org_id.clone()), &invite_id)
        .await?;
    leptos_axum::redirect(&crate::paths::members(&org_id));
    Ok(())
}
