use crate::AppError;
use leptos::prelude::*;

/// Takes the invite link stashed for this session by `invite_member`, once.
#[server(prefix = "/_sf", endpoint = "take_invite_reveal")]
pub async fn take_invite_reveal(reveal: String) -> Result<Option<String>, AppError> {
    use secrecy::ExposeSecret;
    let services = crate::api::services()?;
    let ctx = crate::api::request_context().await?;
    let Some(user) = ctx.user else {
        return Err(AppError::Unauthenticated);
    };
    crate::api::no_store();
    let origin = crate::api::request_origin().await?;
    match services.take_reveal(
        &user.session_id,
        &reveal,
        gtx_core::services::RevealKind::InviteLink,
    ) {
        Some(gtx_core::services::Revealed::InviteLink(path)) => {
            Ok(Some(format!("{origin}{}", path.expose_secret())))
        }
        _ => Ok(None),
    }
}
