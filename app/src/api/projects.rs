//! Projects: create (admins), read and update settings (admins and project members).

use super::types::ProjectDetail;
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
    let services = super::services()?;
    let actor = super::signed_in_actor().await?;
    let locale = Some(default_locale.as_str()).filter(|l| !l.trim().is_empty());
    let project = services
        .create_project(&actor, &OrgId(org_id.clone()), &name, locale)
        .await?;
    leptos_axum::redirect(&crate::paths::project_settings(&org_id, &project.id));
    Ok(())
}

/// A project's settings and, for admins, its members.
#[server(prefix = "/_sf", endpoint = "get_project")]
pub async fn get_project(org_id: String, project_id: String) -> Result<ProjectDetail, AppError> {
    use super::types::{MemberRow, ProjectSummary};
    use gtx_core::domain::{OrgId, ProjectId};
    let services = super::services()?;
    let actor = super::signed_in_actor().await?;
    let org_id = OrgId(org_id);
    let project = services
        .get_project(&actor, &org_id, &ProjectId(project_id))
        .await?;
    let overview = services.org_overview(&actor, &org_id).await?;
    let members = if overview.is_admin {
        let (members, _) = services.list_members(&actor, &org_id).await?;
        members
            .into_iter()
            .filter(|m| m.project_ids.contains(&project.id))
            .map(MemberRow::from)
            .collect()
    } else {
        Vec::new()
    };
    Ok(ProjectDetail {
        org_id: org_id.0,
        is_admin: overview.is_admin,
        members,
        project: ProjectSummary {
            id: project.id.0,
            name: project.name,
            default_locale: project.default_locale,
        },
    })
}

/// Renames a project and sets its default locale.
#[server(prefix = "/_sf", endpoint = "update_project")]
pub async fn update_project(
    org_id: String,
    project_id: String,
    name: String,
    default_locale: String,
) -> Result<(), AppError> {
    use gtx_core::domain::{OrgId, ProjectId};
    let services = super::services()?;
    let actor = super::signed_in_actor().await?;
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

/// Adds an organisation member to the project, by email.
#[server(prefix = "/_sf", endpoint = "add_project_member")]
pub async fn add_project_member(
    org_id: String,
    project_id: String,
    email: String,
) -> Result<(), AppError> {
    use gtx_core::domain::{OrgId, ProjectId};
    let services = super::services()?;
    let actor = super::signed_in_actor().await?;
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

/// Removes a user from the project.
#[server(prefix = "/_sf", endpoint = "remove_project_member")]
pub async fn remove_project_member(
    org_id: String,
    project_id: String,
    user_id: String,
) -> Result<(), AppError> {
    use gtx_core::domain::{OrgId, ProjectId, UserId};
    let services = super::services()?;
    let actor = super::signed_in_actor().await?;
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
