//! Organisations.

use super::audit::event;
use super::{Actor, ActorKind, Services};
use crate::db::models::Organisation;
use crate::db::repo::{audit, new_id, orgs};
use crate::domain::{OrgId, validation};
use crate::error::{CoreError, CoreResult};

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
        audit::insert(
            &mut *tx,
            &event(
                actor,
                Some(&org.id),
                "organisation.create",
                ("organisation", org.id.as_str(), &org.name),
                None,
                now,
            ),
        )
        .await?;
        tx.commit().await?;
        tracing::info!(org_id = %org.id, "organisation created");
        Ok(org)
    }

    /// One organisation the actor may see.
    pub async fn get_org(&self, actor: &Actor, org_id: &OrgId) -> CoreResult<Organisation> {
        match actor.kind {
            ActorKind::Operator => {}
        }
        orgs::get(self.db.pool(), org_id)
            .await?
            .ok_or(CoreError::NotFound {
                what: "organisation",
            })
    }

    /// The organisations the actor may see.
    pub async fn list_orgs(&self, actor: &Actor) -> CoreResult<Vec<Organisation>> {
        match actor.kind {
            ActorKind::Operator => Ok(orgs::list_all(self.db.pool()).await?),
        }
    }
}

/// An organisation with its projects, for navigation.
#[derive(Clone, Debug)]
pub struct OrgWithProjects {
    /// The organisation.
    pub org: Organisation,
    /// Its projects, by name.
    pub projects: Vec<crate::db::models::Project>,
}

impl Services {
    /// Every organisation with its projects, oldest organisation first.
    ///
    /// The dashboard shell shows this while the instance has no accounts; once sign-in
    /// exists it is replaced by the signed-in user's own organisations and projects.
    pub async fn overview(&self) -> CoreResult<Vec<OrgWithProjects>> {
        let orgs = orgs::list_all(self.db.pool()).await?;
        let mut out = Vec::with_capacity(orgs.len());
        for org in orgs {
            let projects = crate::db::repo::projects::list(self.db.pool(), &org.id).await?;
            out.push(OrgWithProjects { org, projects });
        }
        Ok(out)
    }

    /// One organisation with its projects; `NotFound` for an unknown id.
    pub async fn org_overview(&self, org_id: &OrgId) -> CoreResult<OrgWithProjects> {
        let org = orgs::get(self.db.pool(), org_id)
            .await?
            .ok_or(CoreError::NotFound {
                what: "organisation",
            })?;
        let projects = crate::db::repo::projects::list(self.db.pool(), &org.id).await?;
        Ok(OrgWithProjects { org, projects })
    }
}
