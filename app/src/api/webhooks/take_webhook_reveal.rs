use crate::AppError;
use crate::api::types::RevealedSigningSecret;
use leptos::prelude::*;

/// Takes the signing secret stashed for this session by `add_webhook`, once.
#[server(prefix = "/_sf", endpoint = "take_webhook_reveal")]
pub async fn take_webhook_reveal(
    reveal: String,
) -> Result<Option<RevealedSigningSecret>, AppError> {
    use gtx_core::services::{RevealKind, Revealed};
    use secrecy::ExposeSecret;
    let services = crate::api::services()?;
    let ctx = crate::api::request_context().await?;
    let Some(user) = ctx.user else {
        return Err(AppError::Unauthenticated);
    };
    crate::api::no_store();
    match services.take_reveal(&user.session_id, &reveal, RevealKind::WebhookSecret) {
        Some(Revealed::WebhookSecret { url, secret }) => Ok(Some(RevealedSigningSecret {
            url,
            secret: secret.expose_secret().to_owned(),
        })),
        _ => Ok(None),
    }
}
