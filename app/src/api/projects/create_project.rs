use crate::AppError;
use leptos::prelude::*;

/// Creates a project and opens it.
#[server(prefix = "/_sf", endpoint = "create_project")]
pub async fn create_project(
    org_id: String,
    name: String,
    default_locale: String,
) -> Result<(), AppError> {
    use gtx_core::domain::OrgId;
    let services = crate::api::services()?;
    let actor = crate::api::signed_in_actor().await?;
    let locale = Some(default_locale.as_str()).filter(|l| !l.trim().is_empty());
    let project = services
        .create_project(&actor, &OrgId(org_id.clone()), &name, locale)
        .await?;
    leptos_axum::redirect(&crate::paths::project_settings(&org_id, &project.id));
    Ok(())
}
