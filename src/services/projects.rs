//! Projects.

use super::audit::event;
use super::{Actor, ActorKind, Services};
use crate::db::models::Project;
use crate::db::repo::{audit, new_id, orgs, projects};
use crate::domain::{OrgId, ProjectId, validation};
use crate::error::{CoreError, CoreResult};
use serde_json::json;

/// The default locale of a new project when none is given.
pub const DEFAULT_LOCALE: &str = "en";

impl Services {
    /// Creates a project in an organisation.
    pub async fn create_project(
        &self,
        actor: &Actor,
        org_id: &OrgId,
        name: &str,
        default_locale: Option<&str>,
    ) -> CoreResult<Project> {
        match actor.kind {
            ActorKind::Operator => {}
        }
        let name = validation::name("name", name)?;
        let default_locale =
            validation::locale("default_locale", default_locale.unwrap_or(DEFAULT_LOCALE))?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        if orgs::get(&mut *tx, org_id).await?.is_none() {
            return Err(CoreError::NotFound {
                what: "organisation",
            });
        }
        let project = Project {
            id: ProjectId(new_id()),
            org_id: org_id.clone(),
            name,
            default_locale,
            created_at: now,
        };
        projects::insert(&mut *tx, &project).await?;
        audit::insert(
            &mut *tx,
            &event(
                actor,
                Some(org_id),
                "project.create",
                ("project", project.id.as_str(), &project.name),
                Some(json!({ "default_locale": project.default_locale })),
                now,
            ),
        )
        .await?;
        tx.commit().await?;
        tracing::info!(org_id = %org_id, project_id = %project.id, "project created");
        Ok(project)
    }

    /// The projects of an organisation the actor may see.
    pub async fn list_projects(&self, actor: &Actor, org_id: &OrgId) -> CoreResult<Vec<Project>> {
        match actor.kind {
            ActorKind::Operator => {}
        }
        if orgs::get(self.db.pool(), org_id).await?.is_none() {
            return Err(CoreError::NotFound {
                what: "organisation",
            });
        }
        Ok(projects::list(self.db.pool(), org_id).await?)
    }

    /// A project by id alone (the operator may address any project).
    pub async fn find_project(&self, actor: &Actor, project_id: &ProjectId) -> CoreResult<Project> {
        match actor.kind {
            ActorKind::Operator => {}
        }
        projects::get_unscoped(self.db.pool(), project_id)
            .await?
            .ok_or(CoreError::NotFound { what: "project" })
    }
}
