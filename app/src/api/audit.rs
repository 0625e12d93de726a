//! The audit log (admins).

use super::types::AuditRow;
use crate::AppError;
use leptos::prelude::*;

/// One page of the organisation's audit log, newest first, optionally filtered by the
/// kind of action (`key.`, `member.`, `project.`, `auth.`) and paged with `before`.
#[server(prefix = "/_sf", endpoint = "list_audit")]
pub async fn list_audit(
    org_id: String,
    kind: Option<String>,
    before: Option<String>,
) -> Result<Vec<AuditRow>, AppError> {
    use gtx_core::db::repo::audit::AuditFilter;
    use gtx_core::domain::OrgId;
    let services = super::services()?;
    let actor = super::signed_in_actor().await?;
    let filter = AuditFilter {
        action_prefix: kind.filter(|k| !k.is_empty()).map(|k| format!("{k}.")),
        before_id: before.filter(|b| !b.is_empty()),
        ..AuditFilter::default()
    };
    let events = services.list_audit(&actor, &OrgId(org_id), &filter).await?;
    Ok(events.into_iter().map(AuditRow::from).collect())
}
