//! API keys: create, list, rotate, revoke.

use super::audit::AuditAction;
use super::authz::{require_key_permission, require_key_permissions};
use super::{Actor, ActorKind, Services};
use crate::db::models::{ApiKeyRecord, NewApiKey};
use crate::db::repo::{key_changes, keys, new_id, projects};
use crate::domain::duration::MAX_EXPIRY_MS;
use crate::domain::key_list::{KeyListQuery, Page};
use crate::domain::lifetime::GracePeriod;
use crate::domain::validation::{self, FieldError, Problem};
use crate::domain::{IpAllowList, KeyId, KeyType, OrgId, Permission, PermissionSet, ProjectId};
use crate::error::{CoreError, CoreResult};
use crate::keys::{HASH_VERSION, PlainKey, generate_key};
use serde_json::json;

/// Where a new key belongs and what it may do.
#[derive(Clone, Debug)]
pub enum KeyScope {
    /// A project key: production or development; holds every project permission.
    Project {
        /// The project.
        project_id: ProjectId,
        /// `Production` or `Development`.
        key_type: KeyType,
    },
    /// An organisation key with exactly the chosen permissions.
    Organisation {
        /// The organisation.
        org_id: OrgId,
        /// The permissions (must not be empty).
        permissions: PermissionSet,
    },
}

/// A request to create a key.
#[derive(Clone, Debug)]
pub struct NewKey {
    /// Scope, type and permissions.
    pub scope: KeyScope,
    /// Name, unique among the scope's live keys.
    pub name: String,
    /// Expiry (unix ms), or never.
    pub expires_at: Option<i64>,
    /// What the key is for ('' for none; checked by [`validation::description`]).
    pub description: String,
}

/// A key just created: the record, and the plaintext to show exactly once.
#[derive(Debug)]
pub struct CreatedKey {
    /// What was stored.
    pub record: ApiKeyRecord,
    /// The key. Goes to the creation response (or the CLI's stdout) and nowhere else.
    pub key: PlainKey,
}

/// Which keys to list.
#[derive(Clone, Debug)]
pub enum KeyListScope {
    /// One project's keys.
    Project(ProjectId),
    /// An organisation's organisation keys.
    Organisation(OrgId),
}

/// A rotation: the replacement (revealed once) and the old key as it now stands.
#[derive(Debug)]
pub struct RotatedKey {
    /// The new key, with its plaintext to show exactly once.
    pub created: CreatedKey,
    /// The old key: `replaced_by` set and `expires_at` at the end of the grace period.
    pub old: ApiKeyRecord,
}

pub(super) const ACTIVE_NAME_INDEX: &str = "api_keys_active_name";

/// A new key's expiry, if any, must be in the future and at most [`MAX_EXPIRY_MS`] away.
fn check_expiry(expires_at: Option<i64>, now: i64) -> CoreResult<()> {
    match expires_at {
        Some(at) if at <= now => Err(FieldError::new("expires_at", Problem::ExpiryPast).into()),
        Some(at) if at - now > MAX_EXPIRY_MS => {
            Err(FieldError::new("expires_at", Problem::ExpiryTooFar).into())
        }
        _ => Ok(()),
    }
}

impl Services {
    /// Creates a key and returns it once.
    pub async fn create_key(&self, actor: &Actor, new: NewKey) -> CoreResult<CreatedKey> {
        self.create_key_limited(actor, new, IpAllowList::default())
            .await
    }

    /// Creates a key usable only from `ip_allowlist` (empty: any address), in the same
    /// transaction, and returns it once.
    pub async fn create_key_limited(
        &self,
        actor: &Actor,
        new: NewKey,
        ip_allowlist: IpAllowList,
    ) -> CoreResult<CreatedKey> {
        let name = validation::name("name", &new.name)?;
        let description = validation::description("description", &new.description)?;
        let now = self.now();
        check_expiry(new.expires_at, now)?;
        let mut tx = self.db.begin().await?;
        let (org_id, project_id, key_type, permissions) =
            self.authorise_key_scope(&mut tx, actor, &new.scope).await?;
        self.check_policy_expiry(&mut tx, &org_id, new.expires_at, now)
            .await?;
        let key = generate_key(key_type);
        let row = NewApiKey {
            id: KeyId(new_id()),
            org_id: org_id.clone(),
            project_id,
            key_type,
            name,
            digest: self.secret.digest(key.expose()).0,
            hash_version: HASH_VERSION,
            hint: key.hint(),
            permissions,
            created_by: actor.user_id(),
            created_by_label: actor.label(),
            created_at: now,
            expires_at: new.expires_at,
            rotated_from: None,
            description,
            ip_allowlist,
        };
        if let Err(e) = keys::insert(&mut *tx, &row).await {
            let e = CoreError::from(e);
            if e.is_unique_violation(ACTIVE_NAME_INDEX) {
                let problem = if row.project_id.is_some() {
                    Problem::KeyNameTakenInProject
                } else {
                    Problem::KeyNameTakenInOrg
                };
                return Err(CoreError::Invalid(FieldError::new("name", problem)));
            }
            return Err(e);
        }
        self.audit(
            &mut tx,
            actor,
            Some(&org_id),
            AuditAction::KeyCreate,
            ("key", row.id.as_str(), &row.name),
            Some(json!({
                "key_type": key_type.as_str(),
                "project_id": row.project_id.as_ref().map(ProjectId::as_str),
                "permissions": permissions.to_strings(),
                "expires_at": row.expires_at,
                "hint": row.hint,
            })),
            now,
        )
        .await?;
        let record = keys::get(&mut *tx, &org_id, &row.id)
            .await?
            .ok_or(CoreError::NotFound { what: "key" })?;
        tx.commit().await?;
        tracing::info!(org_id = %org_id, key_id = %record.id, key_type = %key_type, "key created");
        Ok(CreatedKey { record, key })
    }

    /// Where a new key of `scope` goes and what it holds, if the actor may make it:
    /// project keys by the project's members and admins, organisation keys by admins.
    async fn authorise_key_scope(
        &self,
        tx: &mut crate::db::Tx,
        actor: &Actor,
        scope: &KeyScope,
    ) -> CoreResult<(OrgId, Option<ProjectId>, KeyType, PermissionSet)> {
        match scope {
            KeyScope::Project {
                project_id,
                key_type,
            } => {
                if !key_type.is_project_key() {
                    return Err(FieldError::new("key_type", Problem::KeyType).into());
                }
                require_key_permission(actor, Permission::ApiKeysWrite)?;
                let project = projects::get_unscoped(&mut **tx, project_id)
                    .await?
                    .ok_or(CoreError::NotFound { what: "project" })?;
                let (project, _) = self
                    .require_project(tx, actor, &project.org_id, &project.id)
                    .await?;
                // No escalation: a key makes only keys that hold nothing it lacks.
                require_key_permissions(actor, PermissionSet::project_key())?;
                Ok((
                    project.org_id,
                    Some(project.id),
                    *key_type,
                    PermissionSet::project_key(),
                ))
            }
            KeyScope::Organisation {
                org_id,
                permissions,
            } => {
                self.require_key_admin(tx, actor, org_id, Permission::ApiKeysWrite)
                    .await?;
                if permissions.is_empty() {
                    return Err(FieldError::new("permissions", Problem::NoPermission).into());
                }
                require_key_permissions(actor, *permissions)?;
                Ok((org_id.clone(), None, KeyType::Organisation, *permissions))
            }
        }
    }

    /// One page of a key list, in the view's order and narrowed by its filters.
    pub async fn list_keys(
        &self,
        actor: &Actor,
        scope: &KeyListScope,
        view: &KeyListQuery,
    ) -> CoreResult<Page<ApiKeyRecord>> {
        let mut tx = self.db.begin_read().await?;
        let (org_id, project_id) = match scope {
            KeyListScope::Project(project_id) => {
                require_key_permission(actor, Permission::ApiKeysRead)?;
                let project = projects::get_unscoped(&mut *tx, project_id)
                    .await?
                    .ok_or(CoreError::NotFound { what: "project" })?;
                let (project, _) = self
                    .require_project(&mut tx, actor, &project.org_id, &project.id)
                    .await?;
                (project.org_id, Some(project.id))
            }
            KeyListScope::Organisation(org_id) => {
                self.require_key_admin(&mut tx, actor, org_id, Permission::ApiKeysRead)
                    .await?;
                (org_id.clone(), None)
            }
        };
        tx.commit().await?;
        // Authorised: the page itself is one read of its own (in place on SQLite).
        let page = self
            .db
            .key_page(&org_id, project_id.as_ref(), view, self.now())
            .await?;
        Ok(page)
    }

    /// The key `key_id` if the actor may manage it (project keys: the project's members
    /// and admins; organisation keys: admins; both: an organisation key of the
    /// organisation holding `need`, `api_keys:read` or `api_keys:write`). Anything else
    /// is "key not found", except an API key lacking `need`, which is told so whatever
    /// the id (so it learns nothing of ids). The first query is already scoped to the
    /// actor's organisations (a user's memberships, an API key's own organisation); only
    /// the operator reads any key.
    pub(super) async fn manageable_key(
        &self,
        tx: &mut crate::db::Tx,
        actor: &Actor,
        key_id: &KeyId,
        need: Permission,
    ) -> CoreResult<ApiKeyRecord> {
        require_key_permission(actor, need)?;
        let not_found = || CoreError::NotFound { what: "key" };
        let key = match &actor.kind {
            ActorKind::Operator => keys::get_unscoped(&mut **tx, key_id).await?,
            ActorKind::User { id, .. } => keys::get_for_member(&mut **tx, key_id, id).await?,
            ActorKind::ApiKey(own) => keys::get(&mut **tx, &own.org_id(), key_id).await?,
            ActorKind::Anonymous | ActorKind::Policy | ActorKind::LeakReport { .. } => None,
        }
        .ok_or_else(not_found)?;
        let allowed = match &key.project_id {
            Some(project_id) => self
                .require_project(tx, actor, &key.org_id, project_id)
                .await
                .map(|_| ()),
            None => self
                .require_key_admin(tx, actor, &key.org_id, need)
                .await
                .map(|_| ()),
        };
        match allowed {
            Ok(()) => Ok(key),
            Err(CoreError::NotFound { .. }) => Err(not_found()),
            Err(other) => Err(other),
        }
    }

    /// Rotates a key: a replacement with the same name, type, scope, permissions,
    /// description and allow-list (and,
    /// if the old key had an expiry, the same lifetime from now), returned once; the old
    /// key keeps working for `grace`, never past its own expiry, then stops by itself.
    pub async fn rotate_key(
        &self,
        actor: &Actor,
        key_id: &KeyId,
        grace: GracePeriod,
    ) -> CoreResult<RotatedKey> {
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let old = self
            .manageable_key(&mut tx, actor, key_id, Permission::ApiKeysWrite)
            .await?;
        // Rotation reveals a key with the old one's permissions: no escalation.
        require_key_permissions(actor, old.permissions)?;
        if old.revoked_at.is_some() {
            return Err(CoreError::Conflict(Problem::KeyRevoked));
        }
        if old.replaced_by.is_some() {
            return Err(CoreError::Conflict(Problem::KeyRotated));
        }
        if old.expires_at.is_some_and(|e| e <= now) {
            return Err(CoreError::Conflict(Problem::KeyExpired));
        }
        if old.disabled_at.is_some() {
            return Err(CoreError::Conflict(Problem::KeyDisabled));
        }
        let new_expires_at = old
            .expires_at
            .map(|e| now + (e - old.created_at).clamp(0, MAX_EXPIRY_MS));
        let new_expires_at = self
            .policy_capped_expiry(&mut tx, &old.org_id, new_expires_at, now)
            .await?;
        let old_ends_at = grace.old_key_ends_at(now, old.expires_at);
        let key = generate_key(old.key_type);
        let row = NewApiKey {
            id: KeyId(new_id()),
            org_id: old.org_id.clone(),
            project_id: old.project_id.clone(),
            key_type: old.key_type,
            name: old.name.clone(),
            digest: self.secret.digest(key.expose()).0,
            hash_version: HASH_VERSION,
            hint: key.hint(),
            permissions: old.permissions,
            created_by: actor.user_id(),
            created_by_label: actor.label(),
            created_at: now,
            expires_at: new_expires_at,
            rotated_from: Some(old.id.clone()),
            description: old.description.clone(),
            ip_allowlist: old.ip_allowlist.clone(),
        };
        // The old key first: once it points at its replacement its name is free for the
        // new one (the live-name index skips replaced keys; the foreign key is deferred).
        if !keys::mark_replaced(&mut *tx, &old.org_id, &old.id, &row.id, old_ends_at).await? {
            return Err(CoreError::Conflict(Problem::KeyChanged));
        }
        keys::insert(&mut *tx, &row).await?;
        self.audit(
            &mut tx,
            actor,
            Some(&old.org_id),
            AuditAction::KeyRotate,
            ("key", old.id.as_str(), &old.name),
            Some(json!({
                "key_type": old.key_type.as_str(),
                "project_id": old.project_id.as_ref().map(ProjectId::as_str),
                "grace": grace.as_str(),
                "old_hint": old.hint,
                "old_key_ends_at": old_ends_at,
                "new_key_id": row.id.as_str(),
                "new_hint": row.hint,
                "new_expires_at": row.expires_at,
            })),
            now,
        )
        .await?;
        let record = keys::get(&mut *tx, &old.org_id, &row.id)
            .await?
            .ok_or(CoreError::NotFound { what: "key" })?;
        let old = keys::get(&mut *tx, &old.org_id, &old.id)
            .await?
            .ok_or(CoreError::NotFound { what: "key" })?;
        // The old key's expiry moved: every cache must learn it.
        self.record_key_change(&mut tx, &old.id, now).await?;
        tx.commit().await?;
        self.key_cache.invalidate(&old.id);
        tracing::info!(org_id = %old.org_id, old_key_id = %old.id, key_id = %record.id, grace = %grace, "key rotated");
        Ok(RotatedKey {
            created: CreatedKey { record, key },
            old,
        })
    }

    /// Revokes a key. It fails every check from the moment this returns.
    pub async fn revoke_key(&self, actor: &Actor, key_id: &KeyId) -> CoreResult<ApiKeyRecord> {
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let key = self
            .manageable_key(&mut tx, actor, key_id, Permission::ApiKeysWrite)
            .await?;
        if !keys::revoke(&mut *tx, &key.org_id, &key.id, now, &actor.label()).await? {
            return Err(CoreError::Conflict(Problem::KeyAlreadyRevoked));
        }
        let details = json!({ "key_type": key.key_type.as_str(), "hint": key.hint });
        self.finish_key_change(tx, actor, &key, AuditAction::KeyRevoke, details, now)
            .await
    }

    /// Records, inside the change's own transaction, that a key changed: the
    /// `key_changes` row that other processes on SQLite poll for, and on PostgreSQL a
    /// NOTIFY that the database delivers to every listening instance when (and only if)
    /// the transaction commits. The caller drops the key from this instance's cache
    /// after the commit, before its request returns.
    pub(super) async fn record_key_change(
        &self,
        tx: &mut crate::db::Tx,
        key_id: &KeyId,
        now: i64,
    ) -> CoreResult<()> {
        key_changes::insert(&mut **tx, key_id, now).await?;
        if self.db.backend() == crate::db::Backend::Postgres {
            key_changes::notify(&mut **tx, key_id).await?;
        }
        Ok(())
    }
}
