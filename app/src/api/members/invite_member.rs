use crate::AppError;
use crate::api::types::CreatedInviteLink;
use leptos::prelude::*;

/// Invites an email with a role; answers the link once (`Cache-Control: no-store`).
#[server(prefix = "/_sf", endpoint = "invite_member")]
pub async fn invite_member(
    org_id: String,
    email: String,
    role: String,
) -> Result<CreatedInviteLink, AppError> {
    use gtx_core::domain::OrgId;
    use secrecy::ExposeSecret;
    let services = crate::api::services()?;
    let actor = crate::api::signed_in_actor().await?;
    let role = role
        .parse()
        .map_err(|_| AppError::invalid("role", gtx_core::domain::validation::Problem::Role))?;
    let ctx = crate::api::request_context().await?;
    let session_id = ctx
        .user
        .as_ref()
        .map(|u| u.session_id.clone())
        .unwrap_or_default();
    let created = services
        .invite_member(&actor, &OrgId(org_id.clone()), &email, role)
        .await?;
    let path = format!("/invite/{}", created.token.expose_secret());
    // The page shows the link once: it takes it from the reveal store after the redirect
    // (this is what makes the form work without JavaScript too).
    let reveal = services.stash_reveal(
        &session_id,
        gtx_core::services::Revealed::InviteLink(secrecy::SecretString::from(path.clone())),
    );
    crate::api::no_store();
    leptos_axum::redirect(&format!(
        "{}?reveal={reveal}",
        crate::paths::members(&org_id)
    ));
    Ok(CreatedInviteLink {
        email: created.invite.email,
        path,
    })
}
