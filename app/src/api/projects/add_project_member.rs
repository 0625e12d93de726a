use crate::AppError;
use leptos::prelude::*;

/// Adds an organisation member to the project, by email.
#[server(prefix = "/_sf", endpoint = "add_project_member")]
pub async fn add_project_member(
    org_id: String,
    project_id: String,
    email: String,
) -> Result<(), AppError> {
    use gtx_core::domain::{OrgId, ProjectId};
    let services = crate::api::services()?;
    let actor = crate::api::signed_in_actor().await?;
    services
        .add_project_member(
            &actor,
            &OrgId(org_id.clone()),
            &ProjectId(project_id.clone()),
            &email,
        )
        .await?;
    leptos_axum::redirect(&crate::paths::project_settings(&org_id, &project_id));
    Ok(())
}
