use crate::AppError;
use crate::api::types::ProjectDetail;
use leptos::prelude::*;

/// A project's settings and, for admins, its members.
#[server(prefix = "/_sf", endpoint = "get_project")]
pub async fn get_project(org_id: String, project_id: String) -> Result<ProjectDetail, AppError> {
    use crate::api::types::{MemberRow, ProjectSummary};
    use gtx_core::domain::key_list::PageRequest;
    use gtx_core::domain::{OrgId, ProjectId};
    let services = crate::api::services()?;
    let actor = crate::api::signed_in_actor().await?;
    let org_id = OrgId(org_id);
    let project = services
        .get_project(&actor, &org_id, &ProjectId(project_id))
        .await?;
    let overview = services.org_overview(&actor, &org_id).await?;
    let members = if overview.is_admin {
        let (members, _) = services
            .list_members(&actor, &org_id, None, PageRequest::ALL)
            .await?;
        members
            .rows
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
