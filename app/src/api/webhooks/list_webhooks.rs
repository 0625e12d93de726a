use crate::AppError;
use crate::api::types::WebhooksData;
use leptos::prelude::*;

/// The organisation's endpoints with their latest deliveries (admins; anyone else: not
/// found).
#[server(prefix = "/_sf", endpoint = "list_webhooks")]
pub async fn list_webhooks(org_id: String) -> Result<WebhooksData, AppError> {
    use crate::api::types::WebhookView;
    use gtx_core::domain::OrgId;
    let services = crate::api::services()?;
    let actor = crate::api::signed_in_actor().await?;
    let org_id = OrgId(org_id);
    let org = services.org_overview(&actor, &org_id).await?;
    if !org.is_admin {
        return Err(AppError::NotFound);
    }
    let endpoints = services
        .webhooks_with_log(&actor, &org_id, super::LOG_ROWS)
        .await?
        .into_iter()
        .map(|(e, deliveries)| WebhookView {
            id: e.id,
            url: e.url,
            events: e.events,
            enabled: e.enabled,
            created_at: e.created_at,
            deliveries: deliveries.into_iter().map(Into::into).collect(),
        })
        .collect();
    Ok(WebhooksData {
        org: org.into(),
        endpoints,
    })
}
