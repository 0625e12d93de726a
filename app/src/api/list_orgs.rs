use super::types::OrgSummary;
use crate::AppError;
use leptos::prelude::*;

/// The signed-in user's organisations, with the projects they may see.
#[server(prefix = "/_sf", endpoint = "list_orgs")]
pub async fn list_orgs() -> Result<Vec<OrgSummary>, AppError> {
    let services = super::services()?;
    let actor = super::signed_in_actor().await?;
    let orgs = services.overview(&actor).await?;
    Ok(orgs.into_iter().map(OrgSummary::from).collect())
}
