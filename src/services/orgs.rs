//! Organisations.

use super::audit::AuditAction;
use super::authz::OrgAccess;
use super::{Actor, ActorKind, Services};
use crate::db::models::{Organisation, Project};
use crate::db::repo::{new_id, orgs, projects};
use crate::domain::{OrgId, validation};
use crate::error::{CoreError, CoreResult};

/// An organisation with the projects the actor may see, for navigation.
#[derive(Clone, Debug)]
pub struct OrgWithProjects {
    /// The organisation.
    pub org: Organisation,
    /// Whether the actor administers it.
    pub is_admin: bool,
    /// The projects the actor may see, by name.
    pub projects: Vec<Project>,
}

impl Services {
    /// Creates an organisation. Only the operator may create one outside first-run setup.
    pub async fn create_org(&self, actor: &Actor, name: &str) -> CoreResult<Organisation> {
        if actor.kind != ActorKind::Operator {
            return Err(CoreError::Forbidden);
        }
        let name = validation::name("name", name)?;
        let now = self.now();
        let org = Organisation {
            id: OrgId(new_id()),
            name,
            created_at: now,
        };
        let mut tx = self.db.begin().await?;
        orgs::insert(&mut *tx, &org).await?;
        self.audit(
            &mut tx,
            actor,
            Some(&org.id),
            AuditAction::OrganisationCreate,
            ("organisation", org.id.as_str(), &org.name),
            None,
            now,
        )
        .await?;
        tx.commit().await?;
        tracing::info!(org_id = %org.id, "organisation created");
        Ok(org)
    }

    /// The organisations the actor may see, oldest first.
    pub async fn list_orgs(&self, actor: &Actor) -> CoreResult<Vec<Organisation>> {
        match &actor.kind {
            ActorKind::Operator => Ok(orgs::list_all(self.db.pool()).await?),
            ActorKind::User { id, .. } => Ok(orgs::list_for_user(self.db.pool(), id).await?),
            ActorKind::Anonymous
            | ActorKind::ApiKey(_)
            | ActorKind::Policy
            | ActorKind::LeakReport { .. } => Ok(Vec::new()),
        }
    }

    /// Every organisation the actor belongs to, with the projects they may see.
    pub async fn overview(&self, actor: &Actor) -> CoreResult<Vec<OrgWithProjects>> {
        let list = self.list_orgs(actor).await?;
        let mut out = Vec::with_capacity(list.len());
        for org in list {
            out.push(self.org_overview(actor, &org.id).await?);
        }
        Ok(out)
    }

    /// One organisation with the projects the actor may see; `NotFound` for an unknown
    /// id or one the actor does not belong to.
    pub async fn org_overview(&self, actor: &Actor, org_id: &OrgId) -> CoreResult<OrgWithProjects> {
        let mut tx = self.db.begin_read().await?;
        let access = self.org_access(&mut tx, actor, org_id).await?;
        let org = orgs::get(&mut *tx, org_id)
            .await?
            .ok_or(CoreError::NotFound {
                what: "organisation",
            })?;
        let projects = match (access, actor.user_id()) {
            (OrgAccess::Member, Some(user_id)) => {
                projects::list_for_member(&mut *tx, org_id, &user_id).await?
            }
            (OrgAccess::Member, None) | (OrgAccess::Key, _) => Vec::new(),
            _ => projects::list(&mut *tx, org_id).await?,
        };
        tx.commit().await?;
        Ok(OrgWithProjects {
            org,
            is_admin: access.is_admin(),
            projects,
        })
    }
}
