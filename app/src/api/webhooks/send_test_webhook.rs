use crate::AppError;
use leptos::prelude::*;

/// Sends a `webhook.test` event to one endpoint; it shows in the delivery log. Answers
/// the endpoint's id (the page says where the event went).
#[server(prefix = "/_sf", endpoint = "send_test_webhook")]
pub async fn send_test_webhook(org_id: String, endpoint_id: String) -> Result<String, AppError> {
    use gtx_core::domain::OrgId;
    let services = crate::api::services()?;
    let actor = crate::api::signed_in_actor().await?;
    services
        .send_test_webhook(&actor, &OrgId(org_id.clone()), &endpoint_id)
        .await?;
    if crate::api::is_plain_form_post() {
        leptos_axum::redirect(&format!(
            "{}?sent={endpoint_id}",
            crate::paths::webhooks(&org_id)
        ));
    }
    Ok(endpoint_id)
}
