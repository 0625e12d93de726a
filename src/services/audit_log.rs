//! Reading the audit log (admins).

use super::{Actor, Services};
use crate::db::models::AuditEvent;
use crate::db::repo::audit::{self, AuditFilter};
use crate::domain::OrgId;
use crate::domain::key_list::{Page, PageRequest};
use crate::error::CoreResult;

impl Services {
    /// One page of an organisation's audit events, newest first.
    pub async fn list_audit(
        &self,
        actor: &Actor,
        org_id: &OrgId,
        filter: &AuditFilter,
        at: PageRequest,
    ) -> CoreResult<Page<AuditEvent>> {
        let mut tx = self.db.begin_read().await?;
        self.require_admin(&mut tx, actor, org_id).await?;
        let events = audit::page(&mut tx, org_id, filter, at).await?;
        tx.commit().await?;
        Ok(events)
    }
}
