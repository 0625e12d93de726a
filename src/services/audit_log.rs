//! Reading the audit log (admins).

use super::{Actor, Services};
use crate::db::models::AuditEvent;
use crate::db::repo::audit::{self, AuditFilter};
use crate::domain::OrgId;
use crate::error::CoreResult;

/// Most events returned by one page of the log.
pub const AUDIT_PAGE_SIZE: i64 = 100;

impl Services {
    /// An organisation's audit events, newest first, one page at a time.
    pub async fn list_audit(
        &self,
        actor: &Actor,
        org_id: &OrgId,
        filter: &AuditFilter,
    ) -> CoreResult<Vec<AuditEvent>> {
        let mut tx = self.db.begin_read().await?;
        self.require_admin(&mut tx, actor, org_id).await?;
        let events = audit::list(&mut *tx, org_id, filter, AUDIT_PAGE_SIZE).await?;
        tx.commit().await?;
        Ok(events)
    }
}
