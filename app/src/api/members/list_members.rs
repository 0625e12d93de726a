use crate::AppError;
use crate::api::types::MembersData;
use leptos::prelude::*;

/// The organisation's members and open invites.
#[server(prefix = "/_sf", endpoint = "list_members")]
pub async fn list_members(org_id: String) -> Result<MembersData, AppError> {
    use crate::api::types::{InviteRow, MemberRow, OrgSummary};
    use gtx_core::domain::OrgId;
    let services = crate::api::services()?;
    let actor = crate::api::signed_in_actor().await?;
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
