use super::types::OrgSummary;
use crate::AppError;
use leptos::prelude::*;

/// One organisation and the projects the user may see; `NotFound` for an unknown id or
/// one the user does not belong to.
#[server(prefix = "/_sf", endpoint = "get_org")]
pub async fn get_org(org_id: String) -> Result<OrgSummary, AppError> {
    let services = super::services()?;
    let actor = super::signed_in_actor().await?;
    let org = services
        .org_overview(&actor, &gtx_core::domain::OrgId(org_id))
        .await?;
    Ok(org.into())
}
