use super::types::OrgSummary;
use crate::AppError;
use leptos::prelude::*;

/// One organisation and its projects; `NotFound` for an unknown id.
#[server(prefix = "/_sf", endpoint = "get_org")]
pub async fn get_org(org_id: String) -> Result<OrgSummary, AppError> {
    let services = super::services()?;
    let org = services
        .org_overview(&gtx_core::domain::OrgId(org_id))
        .await?;
    Ok(org.into())
}
