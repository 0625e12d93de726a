use crate::AppError;
use crate::api::types::KeyDetailData;
use leptos::prelude::*;

/// A key's detail page: the key of `org_id` (and of `project_id`, for a project key) and
/// its use over `range` (`24h`, `7d` or `30d`; 7 days by default). Another scope's key
/// is "not found", as if it did not exist.
#[server(prefix = "/_sf", endpoint = "get_api_key")]
pub async fn get_api_key(
    org_id: String,
    project_id: Option<String>,
    key_id: String,
    #[server(default)] range: Option<String>,
) -> Result<KeyDetailData, AppError> {
    use crate::api::types::{KeyRow, OrgSummary, ProjectSummary};
    use gtx_core::domain::usage::UsageRange;
    use gtx_core::domain::{KeyId, OrgId, ProjectId};
    let services = crate::api::services()?;
    let actor = crate::api::signed_in_actor().await?;
    let range = range
        .as_deref()
        .and_then(UsageRange::parse)
        .unwrap_or_default();
    let detail = services.key_detail(&actor, &KeyId(key_id), range).await?;
    let key = &detail.key;
    let in_scope = key.org_id.as_str() == org_id
        && key.project_id.as_ref().map(ProjectId::as_str) == project_id.as_deref();
    if !in_scope {
        return Err(AppError::NotFound);
    }
    let project = match &key.project_id {
        Some(project_id) => {
            let p = services
                .get_project(&actor, &key.org_id, project_id)
                .await?;
            Some(ProjectSummary {
                id: p.id.0,
                name: p.name,
                default_locale: p.default_locale,
            })
        }
        None => None,
    };
    let org = services.org_overview(&actor, &OrgId(org_id)).await?;
    let description = key.description.clone();
    let ip_allowlist = key.ip_allowlist.networks().collect();
    let replaced_by = key.replaced_by.as_ref().map(|k| k.0.clone());
    let mut row = KeyRow::from(detail.key);
    row.requests_7d = detail.series.totals().iter().sum();
    Ok(KeyDetailData {
        org: OrgSummary::from(org),
        project,
        key: row,
        description,
        ip_allowlist,
        series: detail.series,
        unused: detail.unused.map(|set| set.to_strings()),
        since_rotation: detail.since_rotation,
        replaced_by,
        last_client_ip: detail.last_client_ip,
        last_user_agent: detail.last_user_agent,
        now: services.now(),
    })
}
