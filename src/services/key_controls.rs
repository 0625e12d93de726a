//! Changes to a key that keep it: disable and enable, its description, its IP
//! allow-list, an organisation key's permissions, and ending a rotation's grace period.
//!
//! Each is one transaction, like a revoke: who may manage the key (scoped in the first
//! query), the change, an audit row, and a `key_changes` row (a NOTIFY on PostgreSQL), so
//! every instance's cache drops the key as promptly as it would for a revoke.

use super::audit::AuditAction;
use super::authz::require_key_permissions;
use super::{Actor, Services};
use crate::db::Tx;
use crate::db::models::ApiKeyRecord;
use crate::db::repo::keys::{self, KeyChange};
use crate::domain::validation::{self, FieldError, Problem};
use crate::domain::{IpAllowList, KeyId, KeyStatus, Permission, PermissionSet};
use crate::error::{CoreError, CoreResult};
use serde_json::{Value, json};

impl Services {
    /// Disables (pauses) a key: it fails every check with `DISABLED` until enabled.
    pub async fn disable_key(&self, actor: &Actor, key_id: &KeyId) -> CoreResult<ApiKeyRecord> {
        let now = self.now();
        let (tx, key) = self.key_to_change(actor, key_id, now).await?;
        let details = json!({ "key_type": key.key_type.as_str(), "hint": key.hint });
        self.change_key(
            tx,
            actor,
            key,
            KeyChange::Disable(now),
            AuditAction::KeyDisable,
            details,
            now,
        )
        .await
        .map_err(|e| conflict_as(e, Problem::KeyAlreadyDisabled))
    }

    /// Enables a disabled key again.
    pub async fn enable_key(&self, actor: &Actor, key_id: &KeyId) -> CoreResult<ApiKeyRecord> {
        let now = self.now();
        let (tx, key) = self.key_to_change(actor, key_id, now).await?;
        // Enabling gives access back: only a key holding all of it may (no escalation).
        require_key_permissions(actor, key.permissions)?;
        let details = json!({ "key_type": key.key_type.as_str(), "hint": key.hint, "disabled_at": key.disabled_at });
        self.change_key(
            tx,
            actor,
            key,
            KeyChange::Enable,
            AuditAction::KeyEnable,
            details,
            now,
        )
        .await
        .map_err(|e| conflict_as(e, Problem::KeyNotDisabled))
    }

    /// Sets a key's description (`raw` is checked by [`validation::description`]).
    pub async fn describe_key(
        &self,
        actor: &Actor,
        key_id: &KeyId,
        raw: &str,
    ) -> CoreResult<ApiKeyRecord> {
        let description = validation::description("description", raw)?;
        let now = self.now();
        let (tx, key) = self.key_to_change(actor, key_id, now).await?;
        let details = json!({ "before": key.description, "after": description });
        self.change_key(
            tx,
            actor,
            key,
            KeyChange::Description(&description),
            AuditAction::KeyDescribe,
            details,
            now,
        )
        .await
    }

    /// Sets the networks a key may be used from (an empty list: any address).
    pub async fn set_key_ip_allowlist(
        &self,
        actor: &Actor,
        key_id: &KeyId,
        list: &IpAllowList,
    ) -> CoreResult<ApiKeyRecord> {
        let now = self.now();
        let (tx, key) = self.key_to_change(actor, key_id, now).await?;
        // A list may open the key to more addresses: only a key holding all the key's
        // permissions may change it (no escalation).
        require_key_permissions(actor, key.permissions)?;
        let details = json!({ "before": key.ip_allowlist, "after": list });
        let stored = list.to_stored();
        self.change_key(
            tx,
            actor,
            key,
            KeyChange::IpAllowList(stored.as_deref()),
            AuditAction::KeyIpAllowList,
            details,
            now,
        )
        .await
    }

    /// Sets an organisation key's permissions (admins; project keys hold every project
    /// permission and cannot be edited).
    pub async fn set_key_permissions(
        &self,
        actor: &Actor,
        key_id: &KeyId,
        permissions: PermissionSet,
    ) -> CoreResult<ApiKeyRecord> {
        if permissions.is_empty() {
            return Err(FieldError::new("permissions", Problem::NoPermission).into());
        }
        let now = self.now();
        let (tx, key) = self.key_to_change(actor, key_id, now).await?;
        if key.project_id.is_some() {
            return Err(CoreError::Conflict(Problem::KeyPermissionsFixed));
        }
        // Narrowing takes access away and needs only `api_keys:write`; widening needs
        // every permission the key will then hold (a key never widens itself, nor a key
        // with a permission it lacks).
        if !key.permissions.is_superset(&permissions) {
            require_key_permissions(actor, key.permissions.union(permissions))?;
        }
        let details = json!({
            "before": key.permissions.to_strings(),
            "after": permissions.to_strings(),
        });
        self.change_key(
            tx,
            actor,
            key,
            KeyChange::Permissions(permissions),
            AuditAction::KeyPermissions,
            details,
            now,
        )
        .await
    }

    /// Ends a rotated key's grace period now ("Stop old key now"): it fails every check
    /// from the moment this returns, as `EXPIRED`.
    pub async fn end_grace_period(
        &self,
        actor: &Actor,
        key_id: &KeyId,
    ) -> CoreResult<ApiKeyRecord> {
        let now = self.now();
        let (tx, key) = self.key_to_change(actor, key_id, now).await?;
        if key.replaced_by.is_none() {
            return Err(CoreError::Conflict(Problem::KeyNotInGrace));
        }
        let details = json!({
            "hint": key.hint,
            "was_ending_at": key.expires_at,
            "new_key_id": key.replaced_by.as_ref().map(KeyId::as_str),
        });
        self.change_key(
            tx,
            actor,
            key,
            KeyChange::EndGrace(now),
            AuditAction::KeyEndGrace,
            details,
            now,
        )
        .await
        .map_err(|e| conflict_as(e, Problem::KeyNotInGrace))
    }

    /// Opens the change's transaction and reads the key, if the actor may manage it and
    /// it still works or is only disabled (a revoked or expired key is kept as it is).
    pub(super) async fn key_to_change(
        &self,
        actor: &Actor,
        key_id: &KeyId,
        now: i64,
    ) -> CoreResult<(Tx, ApiKeyRecord)> {
        let mut tx = self.db.begin().await?;
        let key = self
            .manageable_key(&mut tx, actor, key_id, Permission::ApiKeysWrite)
            .await?;
        match key.status(now) {
            KeyStatus::Revoked => Err(CoreError::Conflict(Problem::KeyRevoked)),
            KeyStatus::Expired => Err(CoreError::Conflict(Problem::KeyExpired)),
            KeyStatus::Active | KeyStatus::Expiring | KeyStatus::Disabled => Ok((tx, key)),
        }
    }

    /// Applies `change` to `key`, audits it, and has every cache drop the key. A change
    /// that does not apply to the key as it now stands is a `KeyChanged` conflict.
    #[allow(clippy::too_many_arguments)]
    pub(super) async fn change_key(
        &self,
        mut tx: Tx,
        actor: &Actor,
        key: ApiKeyRecord,
        change: KeyChange<'_>,
        action: AuditAction,
        details: Value,
        now: i64,
    ) -> CoreResult<ApiKeyRecord> {
        if !keys::change(&mut *tx, &key.org_id, &key.id, change).await? {
            return Err(CoreError::Conflict(Problem::KeyChanged));
        }
        self.finish_key_change(tx, actor, &key, action, details, now)
            .await
    }

    /// The end of every change to a key: the audit row, the re-read key, the change
    /// record for other instances, the commit, and this instance's cache entry dropped
    /// before the caller's request returns.
    pub(super) async fn finish_key_change(
        &self,
        mut tx: Tx,
        actor: &Actor,
        key: &ApiKeyRecord,
        action: AuditAction,
        details: Value,
        now: i64,
    ) -> CoreResult<ApiKeyRecord> {
        self.audit_key(&mut tx, actor, key, action, details, now)
            .await?;
        self.commit_key_change(tx, key, action.as_str(), now).await
    }

    /// The audit row of one change to `key`.
    async fn audit_key(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        key: &ApiKeyRecord,
        action: AuditAction,
        details: Value,
        now: i64,
    ) -> CoreResult<()> {
        self.audit(
            tx,
            actor,
            Some(&key.org_id),
            action,
            ("key", key.id.as_str(), &key.name),
            Some(details),
            now,
        )
        .await
    }

    /// The re-read key, the change record for other instances, the commit, and this
    /// instance's cache entry dropped.
    async fn commit_key_change(
        &self,
        mut tx: Tx,
        key: &ApiKeyRecord,
        what: &str,
        now: i64,
    ) -> CoreResult<ApiKeyRecord> {
        let record = keys::get(&mut *tx, &key.org_id, &key.id)
            .await?
            .ok_or(CoreError::NotFound { what: "key" })?;
        self.record_key_change(&mut tx, &record.id, now).await?;
        tx.commit().await?;
        self.key_cache.invalidate(&record.id);
        tracing::info!(org_id = %record.org_id, key_id = %record.id, action = what, "key changed");
        Ok(record)
    }

    /// Changes several settings of a key at once, as the REST API's `PATCH` does: each
    /// field given that differs from the key's, all in one transaction (one audit row
    /// per setting changed), or none if any is refused. Permissions, `enabled` and the
    /// allow-list are checked against escalation as their own calls are; the expiry may
    /// only move earlier.
    pub async fn update_key(
        &self,
        actor: &Actor,
        key_id: &KeyId,
        update: KeyUpdate,
    ) -> CoreResult<ApiKeyRecord> {
        let name = update
            .name
            .as_deref()
            .map(|n| validation::name("name", n))
            .transpose()?;
        let description = update
            .description
            .as_deref()
            .map(|d| validation::description("description", d))
            .transpose()?;
        if update.permissions.is_some_and(|p| p.is_empty()) {
            return Err(FieldError::new("permissions", Problem::NoPermission).into());
        }
        let now = self.now();
        if update.expires_at.is_some_and(|at| at <= now) {
            return Err(FieldError::new("expires_at", Problem::ExpiryPast).into());
        }
        let (mut tx, key) = self.key_to_change(actor, key_id, now).await?;
        let permissions = update.permissions.filter(|p| *p != key.permissions);
        if permissions.is_some() && key.project_id.is_some() {
            return Err(CoreError::Conflict(Problem::KeyPermissionsFixed));
        }
        let enable = update.enabled == Some(true) && key.disabled_at.is_some();
        let disable = update.enabled == Some(false) && key.disabled_at.is_none();
        let allowlist = update
            .ip_allowlist
            .filter(|list| list.to_stored() != key.ip_allowlist.to_stored());
        let widens = permissions.is_some_and(|p| !key.permissions.is_superset(&p));
        if widens || enable || allowlist.is_some() {
            require_key_permissions(
                actor,
                key.permissions.union(permissions.unwrap_or_default()),
            )?;
        }
        if let Some(at) = update.expires_at
            && key.expires_at.is_some_and(|current| at >= current)
        {
            return Err(CoreError::Conflict(Problem::ExpiryNotEarlier));
        }
        let mut changes: Vec<(KeyChange<'_>, AuditAction, Value)> = Vec::new();
        if let Some(name) = name.as_deref().filter(|n| *n != key.name) {
            changes.push((
                KeyChange::Name(name),
                AuditAction::KeyRename,
                json!({ "before": key.name, "after": name }),
            ));
        }
        if let Some(text) = description.as_deref().filter(|d| *d != key.description) {
            changes.push((
                KeyChange::Description(text),
                AuditAction::KeyDescribe,
                json!({ "before": key.description, "after": text }),
            ));
        }
        if let Some(set) = permissions {
            changes.push((
                KeyChange::Permissions(set),
                AuditAction::KeyPermissions,
                json!({ "before": key.permissions.to_strings(), "after": set.to_strings() }),
            ));
        }
        let stored = allowlist.as_ref().map(IpAllowList::to_stored);
        if let (Some(list), Some(stored)) = (&allowlist, &stored) {
            changes.push((
                KeyChange::IpAllowList(stored.as_deref()),
                AuditAction::KeyIpAllowList,
                json!({ "before": key.ip_allowlist, "after": list }),
            ));
        }
        if let Some(at) = update.expires_at {
            changes.push((
                KeyChange::Expiry(at),
                AuditAction::KeyExpiry,
                json!({ "before": key.expires_at, "after": at }),
            ));
        }
        let status = json!({ "key_type": key.key_type.as_str(), "hint": key.hint });
        if disable {
            changes.push((
                KeyChange::Disable(now),
                AuditAction::KeyDisable,
                status.clone(),
            ));
        }
        if enable {
            changes.push((KeyChange::Enable, AuditAction::KeyEnable, status));
        }
        if changes.is_empty() {
            tx.commit().await?;
            return Ok(key);
        }
        for (change, action, details) in changes {
            match keys::change(&mut *tx, &key.org_id, &key.id, change).await {
                Ok(true) => {}
                Ok(false) => return Err(CoreError::Conflict(Problem::KeyChanged)),
                Err(e) => {
                    let e = CoreError::from(e);
                    if e.is_unique_violation(super::keys::ACTIVE_NAME_INDEX) {
                        let problem = if key.project_id.is_some() {
                            Problem::KeyNameTakenInProject
                        } else {
                            Problem::KeyNameTakenInOrg
                        };
                        return Err(FieldError::new("name", problem).into());
                    }
                    return Err(e);
                }
            }
            self.audit_key(&mut tx, actor, &key, action, details, now)
                .await?;
        }
        self.commit_key_change(tx, &key, "key.update", now).await
    }

    /// A key, if the actor may read it (an API key needs `api_keys:read`).
    pub async fn api_key(&self, actor: &Actor, key_id: &KeyId) -> CoreResult<ApiKeyRecord> {
        let mut tx = self.db.begin_read().await?;
        let key = self
            .manageable_key(&mut tx, actor, key_id, Permission::ApiKeysRead)
            .await?;
        tx.commit().await?;
        Ok(key)
    }
}

/// Changes to a key in one request: each field given is set (see
/// [`Services::update_key`]).
#[derive(Clone, Debug, Default)]
pub struct KeyUpdate {
    /// A new name, unique among the scope's live keys.
    pub name: Option<String>,
    /// A new description ('' for none).
    pub description: Option<String>,
    /// New permissions (organisation keys).
    pub permissions: Option<PermissionSet>,
    /// Enabled (true) or disabled (false).
    pub enabled: Option<bool>,
    /// An earlier expiry (unix ms).
    pub expires_at: Option<i64>,
    /// A new IP allow-list (empty: any address).
    pub ip_allowlist: Option<IpAllowList>,
}

/// A `KeyChanged` conflict from [`Services::change_key`] means, for a change that only
/// applies in one state, that the key is not in it: say which.
fn conflict_as(e: CoreError, problem: Problem) -> CoreError {
    match e {
        CoreError::Conflict(Problem::KeyChanged) => CoreError::Conflict(problem),
        other => other,
    }
}
