use crate::AppError;
use leptos::prelude::*;

/// Removes an endpoint, with what was queued for it and its log; back to the page.
#[server(prefix = "/_sf", endpoint = "remove_webhook")]
pub async fn remove_webhook(org_id: String, endpoint_id: String) -> Result<(), AppError> {
    use gtx_core::domain::OrgId;
    let services = crate::api::services()?;
    let actor = crate::api::signed_in_actor().await?;
    services
        .remove_webhook(&actor, &OrgId(org_id.clone()), &endpoint_id)
        .await?;
    // With or without JavaScript: the confirmation's URL (`?remove=`) is left behind.
    leptos_axum::redirect(&crate::paths::webhooks(&org_id));
    Ok(())
}
