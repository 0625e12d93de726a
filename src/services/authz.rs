//! Authorisation, per the access table of the spec. Every check is a query scoped by
//! organisation (and project); whatever the actor may not see answers `NotFound`, never
//! `Forbidden`, so ids of other tenants cannot be probed.

use super::{Actor, ActorKind, Services};
use crate::db::Tx;
use crate::db::models::Project;
use crate::db::repo::{orgs, projects};
use crate::domain::{OrgId, Permission, PermissionSet, ProjectId, Role};
use crate::error::{CoreError, CoreResult};

/// What the actor is in an organisation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum OrgAccess {
    /// The operator CLI: everything.
    Operator,
    /// An organisation admin: everything in the organisation.
    Admin,
    /// A member: their own projects.
    Member,
    /// An API key of the organisation: its own project (project keys) or every project
    /// (organisation keys), within its permissions.
    Key,
}

impl OrgAccess {
    pub(crate) fn is_admin(self) -> bool {
        matches!(self, Self::Operator | Self::Admin)
    }
}

const ORG: CoreError = CoreError::NotFound {
    what: "organisation",
};

impl Services {
    /// The actor's access to an organisation; `NotFound` when it does not exist or the
    /// actor is not a member.
    pub(crate) async fn org_access(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        org_id: &OrgId,
    ) -> CoreResult<OrgAccess> {
        match &actor.kind {
            ActorKind::Operator => {
                orgs::get(&mut **tx, org_id).await?.ok_or(ORG)?;
                Ok(OrgAccess::Operator)
            }
            ActorKind::User { id, .. } => {
                let membership = orgs::get_membership(&mut **tx, org_id, id)
                    .await?
                    .ok_or(ORG)?;
                Ok(match membership.role {
                    Role::Admin => OrgAccess::Admin,
                    Role::Member => OrgAccess::Member,
                })
            }
            // The policy task acts on keys directly, never through an organisation's access.
            ActorKind::Anonymous | ActorKind::Policy | ActorKind::LeakReport { .. } => Err(ORG),
            ActorKind::ApiKey(key) => {
                if key.org_id_text() != org_id.as_str() {
                    return Err(ORG);
                }
                orgs::get(&mut **tx, org_id).await?.ok_or(ORG)?;
                Ok(OrgAccess::Key)
            }
        }
    }

    /// Requires admin rights in the organisation (`NotFound` otherwise).
    pub(crate) async fn require_admin(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        org_id: &OrgId,
    ) -> CoreResult<OrgAccess> {
        let access = self.org_access(tx, actor, org_id).await?;
        if access.is_admin() {
            Ok(access)
        } else {
            Err(ORG)
        }
    }

    /// Requires the right to manage the organisation's organisation keys: an admin (or
    /// the operator), or an API key of the organisation holding `permission`
    /// (`api_keys:read` to read them, `api_keys:write` to change them). `NotFound`
    /// otherwise; a key of the organisation without the permission gets
    /// `MissingPermissions`.
    pub(crate) async fn require_key_admin(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        org_id: &OrgId,
        permission: Permission,
    ) -> CoreResult<OrgAccess> {
        require_key_permission(actor, permission)?;
        match self.org_access(tx, actor, org_id).await? {
            access @ (OrgAccess::Operator | OrgAccess::Admin | OrgAccess::Key) => Ok(access),
            OrgAccess::Member => Err(ORG),
        }
    }

    /// Takes the organisation's row lock, then requires admin rights in it. For changes
    /// to membership and invites: a role read before the lock could be one that a
    /// concurrent demotion is about to take away (the demotion holds the same lock).
    pub(crate) async fn require_admin_locked(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        org_id: &OrgId,
    ) -> CoreResult<OrgAccess> {
        orgs::lock(&mut **tx, org_id).await?;
        self.require_admin(tx, actor, org_id).await
    }

    /// The project, when the actor may manage it: admins any project of their
    /// organisation, members the projects they belong to. `NotFound` otherwise.
    pub(crate) async fn require_project(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        org_id: &OrgId,
        project_id: &ProjectId,
    ) -> CoreResult<(Project, OrgAccess)> {
        let access = self
            .org_access(tx, actor, org_id)
            .await
            .map_err(|e| match e {
                CoreError::NotFound { .. } => CoreError::NotFound { what: "project" },
                other => other,
            })?;
        let project = projects::get(&mut **tx, org_id, project_id)
            .await?
            .ok_or(CoreError::NotFound { what: "project" })?;
        if let ActorKind::ApiKey(key) = &actor.kind
            && key
                .project_id()
                .is_some_and(|own| own != project_id.as_str())
        {
            return Err(CoreError::NotFound { what: "project" });
        }
        if access == OrgAccess::Member {
            let user_id = actor
                .user_id()
                .ok_or(CoreError::NotFound { what: "project" })?;
            if !projects::is_member(&mut **tx, org_id, project_id, &user_id).await? {
                return Err(CoreError::NotFound { what: "project" });
            }
        }
        Ok((project, access))
    }
}

/// Requires `permission` of an API-key actor ([`CoreError::MissingPermissions`] without
/// it): the one place that rule is checked, for the REST API as for everything else.
/// Other actors are authorised by their role, elsewhere; for them this passes.
pub(crate) fn require_key_permission(actor: &Actor, permission: Permission) -> CoreResult<()> {
    require_key_permissions(actor, std::iter::once(permission).collect())
}

/// Requires every permission of `needed` of an API-key actor, naming all it lacks. The
/// rule against escalation is this with `needed` the permissions of the key being
/// created, rotated, enabled or widened: a key hands out only what it holds itself.
pub(crate) fn require_key_permissions(actor: &Actor, needed: PermissionSet) -> CoreResult<()> {
    match &actor.kind {
        ActorKind::ApiKey(key) => {
            let missing = key.permissions.missing(&needed);
            if missing.is_empty() {
                Ok(())
            } else {
                Err(CoreError::MissingPermissions(missing))
            }
        }
        _ => Ok(()),
    }
}
