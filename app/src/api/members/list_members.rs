use crate::AppError;
use crate::api::types::MembersData;
use gtx_core::domain::key_list::PageRequest;
use leptos::prelude::*;

/// One page of the organisation's members (by email, narrowed to those whose email or
/// name contains `q`), and its open invites.
#[server(prefix = "/_sf", endpoint = "list_members")]
pub async fn list_members(
    org_id: String,
    q: Option<String>,
    #[server(default)] at: PageRequest,
) -> Result<MembersData, AppError> {
    use crate::api::types::{InviteRow, MemberRow, OrgSummary};
    use gtx_core::domain::OrgId;
    let services = crate::api::services()?;
    let actor = crate::api::signed_in_actor().await?;
    let org_id = OrgId(org_id);
    let search = gtx_core::domain::key_list::search_from_lookup(|_| q.clone());
    let (members, invites) = services
        .list_members(&actor, &org_id, search.as_deref(), at)
        .await?;
    let org = services.org_overview(&actor, &org_id).await?;
    Ok(MembersData {
        org: OrgSummary::from(org),
        members: members.rows.into_iter().map(MemberRow::from).collect(),
        matching: members.matching,
        page: members.page,
        per_page: at.per_page,
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
