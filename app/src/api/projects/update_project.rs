use crate::AppError;
use leptos::prelude::*;

/// Renames a project and sets its default locale.
#[server(prefix = "/_sf", endpoint = "update_project")]
pub async fn update_project(
    org_id: String,
    project_id: String,
    name: String,
    default_locale: String,
) -> Result<(), AppError> {
    use gtx_core::domain::{OrgId, ProjectId};
    let services = crate::api::services()?;
    let actor = crate::api::signed_in_actor().await?;
    services
        .update_project(
            &actor,
            &OrgId(org_id.clone()),
            &ProjectId(project_id.clone()),
            gtx_core::services::ProjectChanges {
                name: Some(&name),
                default_locale: Some(&default_locale),
            },
        )
        .await?;
    leptos_axum::redirect(&format!(
        "{}?saved=1",
        crate::paths::project_settings(&org_id, &project_id)
    ));
    Ok(())
}
