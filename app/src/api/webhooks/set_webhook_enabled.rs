use crate::AppError;
use leptos::prelude::*;

/// Enables or disables an endpoint: while disabled it gets no new events.
#[server(prefix = "/_sf", endpoint = "set_webhook_enabled")]
pub async fn set_webhook_enabled(
    org_id: String,
    endpoint_id: String,
    enabled: bool,
) -> Result<(), AppError> {
    use gtx_core::domain::OrgId;
    let services = crate::api::services()?;
    let actor = crate::api::signed_in_actor().await?;
    services
        .set_webhook_enabled(&actor, &OrgId(org_id.clone()), &endpoint_id, enabled)
        .await?;
    if crate::api::is_plain_form_post() {
        leptos_axum::redirect(&crate::paths::webhooks(&org_id));
    }
    Ok(())
}
