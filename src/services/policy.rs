//! An organisation's key policy: reading and setting it (admins), and the background
//! task that disables keys unused for longer than it allows.

use super::audit::AuditAction;
use super::{Actor, ActorKind, Services};
use crate::db::repo::keys::{self, KeyChange};
use crate::db::repo::orgs;
use crate::domain::policy::OrgPolicy;
use crate::domain::time::DAY_MS;
use crate::domain::validation::{FieldError, Problem};
use crate::domain::{KeyStatus, OrgId};
use crate::error::{CoreError, CoreResult};
use serde_json::json;

/// Keys disabled per organisation per round of the task (the rest wait a round).
const DISABLE_BATCH: i64 = 500;

impl Services {
    /// An organisation's key policy: any member may read it (the create form follows it).
    pub async fn org_policy(&self, actor: &Actor, org_id: &OrgId) -> CoreResult<OrgPolicy> {
        let mut tx = self.db.begin_read().await?;
        self.org_access(&mut tx, actor, org_id).await?;
        let policy = orgs::policy(&mut *tx, org_id).await?;
        tx.commit().await?;
        Ok(policy)
    }

    /// Sets an organisation's key policy (admins; audited).
    pub async fn set_org_policy(
        &self,
        actor: &Actor,
        org_id: &OrgId,
        policy: OrgPolicy,
    ) -> CoreResult<OrgPolicy> {
        let now = self.now();
        let mut tx = self.db.begin().await?;
        self.require_admin(&mut tx, actor, org_id).await?;
        let before = orgs::policy(&mut *tx, org_id).await?;
        orgs::set_policy(&mut *tx, org_id, policy).await?;
        let org = orgs::get(&mut *tx, org_id)
            .await?
            .ok_or(CoreError::NotFound {
                what: "organisation",
            })?;
        self.audit(
            &mut tx,
            actor,
            Some(org_id),
            AuditAction::OrganisationPolicy,
            ("organisation", org_id.as_str(), &org.name),
            Some(json!({ "before": before, "after": policy })),
            now,
        )
        .await?;
        tx.commit().await?;
        tracing::info!(org_id = %org_id, "organisation policy set");
        Ok(policy)
    }

    /// Checks a new key's expiry against its organisation's policy (inside the create's
    /// transaction).
    pub(super) async fn check_policy_expiry(
        &self,
        tx: &mut crate::db::Tx,
        org_id: &OrgId,
        expires_at: Option<i64>,
        now: i64,
    ) -> CoreResult<()> {
        let policy = orgs::policy(&mut **tx, org_id).await?;
        if policy.allows(expires_at, now) {
            Ok(())
        } else {
            Err(FieldError::new("expires", Problem::ExpiryOverPolicy).into())
        }
    }

    /// A rotation's replacement expiry, capped by the organisation's policy.
    pub(super) async fn policy_capped_expiry(
        &self,
        tx: &mut crate::db::Tx,
        org_id: &OrgId,
        expires_at: Option<i64>,
        now: i64,
    ) -> CoreResult<Option<i64>> {
        let policy = orgs::policy(&mut **tx, org_id).await?;
        Ok(match (policy.latest_expiry(now), expires_at) {
            (None, at) => at,
            (Some(latest), None) => Some(latest),
            (Some(latest), Some(at)) => Some(at.min(latest)),
        })
    }

    /// Disables the keys unused for longer than their organisation's policy allows (from
    /// the last use, or the creation if never used). Each key is disabled in a
    /// transaction of its own, only if it is still enabled then, with its audit row and
    /// its change record: several instances may run this at once, and each key is
    /// disabled exactly once. Returns how many keys this call disabled.
    pub async fn disable_unused_keys(&self) -> CoreResult<usize> {
        let actor = Actor {
            kind: ActorKind::Policy,
            ip: None,
            user_agent: None,
        };
        let now = self.now();
        let mut disabled = 0;
        for (org_id, days) in orgs::disabling_unused(self.db.pool()).await? {
            let before = now - i64::from(days) * DAY_MS;
            let candidates =
                keys::unused_since(self.db.pool(), &org_id, before, now, DISABLE_BATCH).await?;
            for key_id in candidates {
                let mut tx = self.db.begin().await?;
                let Some(key) = keys::get(&mut *tx, &org_id, &key_id).await? else {
                    continue;
                };
                let unused = key.last_used_at.unwrap_or(key.created_at) < before;
                if key.status(now) == KeyStatus::Disabled || !key.status(now).is_usable() || !unused
                {
                    continue;
                }
                if !keys::change(&mut *tx, &org_id, &key_id, KeyChange::Disable(now)).await? {
                    // Another instance got there first.
                    continue;
                }
                let details = json!({
                    "key_type": key.key_type.as_str(),
                    "hint": key.hint,
                    "reason": format!("unused for {days} days"),
                    "last_used_at": key.last_used_at,
                });
                self.finish_key_change(tx, &actor, &key, AuditAction::KeyDisable, details, now)
                    .await?;
                disabled += 1;
            }
        }
        Ok(disabled)
    }
}
