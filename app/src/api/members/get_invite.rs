use crate::AppError;
use crate::api::types::InviteInfo;
use leptos::prelude::*;

/// What an invite link is for; `NotFound` once used, withdrawn or expired.
#[server(prefix = "/_sf", endpoint = "get_invite")]
pub async fn get_invite(token: String) -> Result<InviteInfo, AppError> {
    let services = crate::api::services()?;
    let (invite, org_name) = services.find_invite(&token).await?;
    Ok(InviteInfo {
        org_name,
        email: invite.email,
    })
}
