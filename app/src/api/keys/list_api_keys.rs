use crate::AppError;
use crate::api::types::KeysData;
use gtx_core::domain::key_list::KeyListQuery;
use leptos::prelude::*;

/// One page of the keys of a project (`project_id` set) or of the organisation keys of an
/// organisation, in the order and narrowed by the filters of `view` (by default the first
/// page, newest first).
#[server(prefix = "/_sf", endpoint = "list_api_keys")]
pub async fn list_api_keys(
    org_id: String,
    project_id: Option<String>,
    #[server(default)] view: KeyListQuery,
) -> Result<KeysData, AppError> {
    use crate::api::types::{KeyCounts, KeyRow, OrgSummary, ProjectSummary};
    use gtx_core::domain::{OrgId, ProjectId};
    use gtx_core::services::KeyListScope;
    let services = crate::api::services()?;
    let actor = crate::api::signed_in_actor().await?;
    let org_id = OrgId(org_id);
    let (project, scope) = match project_id {
        Some(project_id) => {
            let project = services
                .get_project(&actor, &org_id, &ProjectId(project_id))
                .await?;
            let scope = KeyListScope::Project(project.id.clone());
            (
                Some(ProjectSummary {
                    id: project.id.0,
                    name: project.name,
                    default_locale: project.default_locale,
                }),
                scope,
            )
        }
        None => (None, KeyListScope::Organisation(org_id.clone())),
    };
    let (page, requests) = services.list_keys_with_usage(&actor, &scope, &view).await?;
    let org = services.org_overview(&actor, &org_id).await?;
    let policy = services.org_policy(&actor, &org_id).await?;
    Ok(KeysData {
        org: OrgSummary::from(org),
        project,
        keys: page
            .rows
            .into_iter()
            .map(|k| {
                let requests_7d = requests.get(&k.id).copied().unwrap_or(0);
                KeyRow {
                    requests_7d,
                    ..KeyRow::from(k)
                }
            })
            .collect(),
        counts: KeyCounts {
            matching: page.matching,
            total: page.total,
            page: page.page,
            more: page.more,
            total_more: page.total_more,
            per_page: view.per_page,
        },
        now: services.now(),
        policy,
    })
}
