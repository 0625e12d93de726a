use crate::AppError;
use crate::api::types::RevealedKey;
use leptos::prelude::*;

/// Takes the key stashed for this session by a plain-form create or rotate, once.
#[server(prefix = "/_sf", endpoint = "take_key_reveal")]
pub async fn take_key_reveal(reveal: String) -> Result<Option<RevealedKey>, AppError> {
    use secrecy::ExposeSecret;
    let services = crate::api::services()?;
    let ctx = crate::api::request_context().await?;
    let Some(user) = ctx.user else {
        return Err(AppError::Unauthenticated);
    };
    crate::api::no_store();
    match services.take_reveal(
        &user.session_id,
        &reveal,
        gtx_core::services::RevealKind::Key,
    ) {
        Some(gtx_core::services::Revealed::Key {
            name,
            key,
            project_id,
        }) => Ok(Some(RevealedKey {
            name,
            key: key.expose_secret().to_owned(),
            project_id: project_id.map(|p| p.0),
        })),
        _ => Ok(None),
    }
}
