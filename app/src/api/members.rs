//! Members and invites (admins), and accepting an invite (anyone holding the link).

use super::types::{CreatedInviteLink, InviteInfo, MembersData};
use crate::AppError;
use leptos::prelude::*;

/// The organisation's members and open invites.
#[server(prefix = "/_sf", endpoint = "list_members")]
pub async fn list_members(org_id: String) -> Result<MembersData, AppError> {
    use super::types::{InviteRow, MemberRow, OrgSummary};
    use gtx_core::domain::OrgId;
    let services = super::services()?;
    let actor = super::signed_in_actor().await?;
    let org_id = OrgId(org_id);
    let (members, invites) = services.list_members(&actor, &org_id).await?;
    let org = services.org_overview(&actor, &org_id).await?;
    Ok(MembersData {
        org: OrgSummary::from(org),
        members: members.into_iter().map(MemberRow::from).collect(),
        invites: invites
            .into_iter()
            .map(|i| InviteRow {
                id: i.id,
                email: i.email,
                role: i.role.as_str().to_owned(),
                expires_at: i.expires_at,
            })
            .collect(),
    })
}

/// Invites an email with a role; answers the link once (`Cache-Control: no-store`).
#[server(prefix = "/_sf", endpoint = "invite_member")]
pub async fn invite_member(
    org_id: String,
    email: String,
    role: String,
) -> Result<CreatedInviteLink, AppError> {
    use gtx_core::domain::OrgId;
    use secrecy::ExposeSecret;
    let services = super::services()?;
    let actor = super::signed_in_actor().await?;
    let role = role
        .parse()
        .map_err(|_| AppError::invalid("role", gtx_core::domain::validation::Problem::Role))?;
    let ctx = super::request_context().await?;
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
    super::no_store();
    leptos_axum::redirect(&format!(
        "{}?reveal={reveal}",
        crate::paths::members(&org_id)
    ));
    Ok(CreatedInviteLink {
        email: created.invite.email,
        path,
    })
}

/// Takes the invite link stashed for this session by `invite_member`, once.
#[server(prefix = "/_sf", endpoint = "take_invite_reveal")]
pub async fn take_invite_reveal(reveal: String) -> Result<Option<String>, AppError> {
    use secrecy::ExposeSecret;
    let services = super::services()?;
    let ctx = super::request_context().await?;
    let Some(user) = ctx.user else {
        return Err(AppError::Unauthenticated);
    };
    super::no_store();
    let origin = super::request_origin().await?;
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

/// Changes a member's role.
#[server(prefix = "/_sf", endpoint = "set_member_role")]
pub async fn set_member_role(
    org_id: String,
    user_id: String,
    role: String,
) -> Result<(), AppError> {
    use gtx_core::domain::{OrgId, UserId};
    let services = super::services()?;
    let actor = super::signed_in_actor().await?;
    let role = role
        .parse()
        .map_err(|_| AppError::invalid("role", gtx_core::domain::validation::Problem::Role))?;
    services
        .set_member_role(&actor, &OrgId(org_id.clone()), &UserId(user_id), role)
        .await?;
    leptos_axum::redirect(&crate::paths::members(&org_id));
    Ok(())
}

/// Removes a member from the organisation; their sessions end at once.
#[server(prefix = "/_sf", endpoint = "remove_member")]
pub async fn remove_member(org_id: String, user_id: String) -> Result<(), AppError> {
    use gtx_core::domain::{OrgId, UserId};
    let services = super::services()?;
    let actor = super::signed_in_actor().await?;
    services
        .remove_member(&actor, &OrgId(org_id.clone()), &UserId(user_id))
        .await?;
    leptos_axum::redirect(&crate::paths::members(&org_id));
    Ok(())
}

/// Withdraws an open invite; its link stops working at once.
#[server(prefix = "/_sf", endpoint = "withdraw_invite")]
pub async fn withdraw_invite(org_id: String, invite_id: String) -> Result<(), AppError> {
    use gtx_core::domain::OrgId;
    let services = super::services()?;
    let actor = super::signed_in_actor().await?;
    services
        .withdraw_invite(&actor, &OrgId(org_id.clone()), &invite_id)
        .await?;
    leptos_axum::redirect(&crate::paths::members(&org_id));
    Ok(())
}

/// What an invite link is for; `NotFound` once used, withdrawn or expired.
#[server(prefix = "/_sf", endpoint = "get_invite")]
pub async fn get_invite(token: String) -> Result<InviteInfo, AppError> {
    let services = super::services()?;
    let (invite, org_name) = services.find_invite(&token).await?;
    Ok(InviteInfo {
        org_name,
        email: invite.email,
    })
}

/// Accepts an invite: sets name and password, joins, and signs in.
#[server(prefix = "/_sf", endpoint = "accept_invite")]
pub async fn accept_invite(token: String, name: String, password: String) -> Result<(), AppError> {
    use secrecy::SecretString;
    let services = super::services()?;
    let ctx = super::request_context().await?;
    let signed_in = services
        .accept_invite(&ctx.actor(), &token, &name, &SecretString::from(password))
        .await?;
    super::end_previous_session(&services, &ctx).await;
    super::set_sign_in_cookies(&signed_in);
    let landing = signed_in
        .landing_org
        .map(crate::paths::org)
        .unwrap_or_else(|| "/".into());
    leptos_axum::redirect(&landing);
    Ok(())
}
