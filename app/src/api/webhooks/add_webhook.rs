use super::NewWebhookForm;
use crate::AppError;
use leptos::prelude::*;

/// Adds an endpoint, then shows its signing secret once: the secret is stashed for this
/// session and the page (after the redirect) takes it, with or without JavaScript.
#[server(prefix = "/_sf", endpoint = "add_webhook")]
pub async fn add_webhook(#[server(flatten)] form: NewWebhookForm) -> Result<(), AppError> {
    use gtx_core::domain::OrgId;
    let services = crate::api::services()?;
    let actor = crate::api::signed_in_actor().await?;
    let ctx = crate::api::request_context().await?;
    let session_id = ctx.user.map(|u| u.session_id).unwrap_or_default();
    let events = form.events()?;
    let added = services
        .add_webhook(&actor, &OrgId(form.org_id.clone()), &form.url, &events)
        .await?;
    let reveal = services.stash_reveal(
        &session_id,
        gtx_core::services::Revealed::WebhookSecret {
            url: added.endpoint.url,
            secret: added.secret,
        },
    );
    crate::api::no_store();
    leptos_axum::redirect(&format!(
        "{}?reveal={reveal}",
        crate::paths::webhooks(&form.org_id)
    ));
    Ok(())
}
