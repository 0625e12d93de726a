//! The audit log (admins).

use super::types::AuditPage;
use crate::AppError;
use gtx_core::domain::key_list::PageRequest;
use leptos::prelude::*;

/// One page of the organisation's audit log, newest first, optionally narrowed to a kind
/// of action (`key`, `member`, `project`, `auth`, …) and to events whose actor, target or
/// action contains `q`.
#[server(prefix = "/_sf", endpoint = "list_audit")]
pub async fn list_audit(
    org_id: String,
    kind: Option<String>,
    q: Option<String>,
    #[server(default)] at: PageRequest,
) -> Result<AuditPage, AppError> {
    use super::types::AuditRow;
    use gtx_core::db::repo::audit::AuditFilter;
    use gtx_core::domain::OrgId;
    let services = super::services()?;
    let actor = super::signed_in_actor().await?;
    let filter = AuditFilter {
        action_prefix: kind.filter(|k| !k.is_empty()).map(|k| format!("{k}.")),
        search: gtx_core::domain::key_list::search_from_lookup(|_| q.clone()),
        ..AuditFilter::default()
    };
    let page = services
        .list_audit(&actor, &OrgId(org_id), &filter, at)
        .await?;
    Ok(AuditPage {
        rows: page.rows.into_iter().map(AuditRow::from).collect(),
        matching: page.matching,
        page: page.page,
        per_page: at.per_page,
    })
}
