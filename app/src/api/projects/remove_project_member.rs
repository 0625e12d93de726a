use crate::AppError;
use leptos::prelude::*;

/// Removes a user from the project.
#[server(prefix = "/_sf", endpoint = "remove_project_member")]
pub async fn remove_project_member(
    org_id: String,
    project_id: String,
    user_id: String,
) -> Result<(), AppError> {
    use gtx_core::domain::{OrgId, ProjectId, UserId};
    let services = crate::api::services()?;
    let actor = crate::api::signed_in_actor().await?;
    services
        .remove_project_member(
            &actor,
            &OrgId(org_id.clone()),
            &ProjectId(project_id.clone()),
            &UserId(user_id),
        )
        .await?;
    leptos_axum::redirect(&crate::paths::project_settings(&org_id, &project_id));
    Ok(())
}
