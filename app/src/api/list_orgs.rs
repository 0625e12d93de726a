use super::types::OrgSummary;
use crate::AppError;
use leptos::prelude::*;

/// The organisations (with their projects) shown in the navigation.
#[server(prefix = "/_sf", endpoint = "list_orgs")]
pub async fn list_orgs() -> Result<Vec<OrgSummary>, AppError> {
    let services = super::services()?;
    let orgs = services.overview().await?;
    Ok(orgs.into_iter().map(OrgSummary::from).collect())
}
