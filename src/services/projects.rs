//! Projects.

use super::audit::AuditAction;
use super::authz::require_key_permission;
use super::{Actor, ActorKind, Services};
use crate::db::models::Project;
use crate::db::repo::{new_id, projects};
use crate::domain::{OrgId, Permission, ProjectId, validation};
use crate::error::{CoreError, CoreResult};
use serde_json::json;

/// The default locale of a new project when none is given.
pub const DEFAULT_LOCALE: &str = "en";

/// What [`Services::update_project`] changes: `None` keeps a field as it is.
#[derive(Clone, Copy, Debug, Default)]
pub struct ProjectChanges<'a> {
    /// A new name.
    pub name: Option<&'a str>,
    /// A new default locale.
    pub default_locale: Option<&'a str>,
}

impl Services {
    /// Creates a project in an organisation (admins, and organisation keys with
    /// `project_creation`).
    pub async fn create_project(
        &self,
        actor: &Actor,
        org_id: &OrgId,
        name: &str,
        default_locale: Option<&str>,
    ) -> CoreResult<Project> {
        let now = self.now();
        let mut tx = self.db.begin().await?;
        if let ActorKind::ApiKey(_) = &actor.kind {
            // An organisation key with `project_creation`; never a project key.
            self.org_access(&mut tx, actor, org_id).await?;
            require_key_permission(actor, Permission::ProjectCreation)?;
        } else {
            self.require_admin(&mut tx, actor, org_id).await?;
        }
        let name = validation::name("name", name)?;
        let default_locale =
            validation::locale("default_locale", default_locale.unwrap_or(DEFAULT_LOCALE))?;
        let project = Project {
            id: ProjectId(new_id()),
            org_id: org_id.clone(),
            name,
            default_locale,
            created_at: now,
        };
        projects::insert(&mut *tx, &project).await?;
        self.audit(
            &mut tx,
            actor,
            Some(org_id),
            AuditAction::ProjectCreate,
            ("project", project.id.as_str(), &project.name),
            Some(json!({ "default_locale": project.default_locale })),
            now,
        )
        .await?;
        tx.commit().await?;
        tracing::info!(org_id = %org_id, project_id = %project.id, "project created");
        Ok(project)
    }

    /// The projects of an organisation the actor may see.
    pub async fn list_projects(&self, actor: &Actor, org_id: &OrgId) -> CoreResult<Vec<Project>> {
        Ok(self.org_overview(actor, org_id).await?.projects)
    }

    /// One project the actor may manage.
    pub async fn get_project(
        &self,
        actor: &Actor,
        org_id: &OrgId,
        project_id: &ProjectId,
    ) -> CoreResult<Project> {
        let mut tx = self.db.begin_read().await?;
        let (project, _) = self
            .require_project(&mut tx, actor, org_id, project_id)
            .await?;
        tx.commit().await?;
        Ok(project)
    }

    /// Renames a project and/or sets its default locale (admins, members of the
    /// project, its project keys, and organisation keys with `project_settings`). A field
    /// left `None` keeps its value. One transaction: the project's row is locked before it
    /// is read, so a concurrent change is neither lost nor misreported in the audit log.
    pub async fn update_project(
        &self,
        actor: &Actor,
        org_id: &OrgId,
        project_id: &ProjectId,
        changes: ProjectChanges<'_>,
    ) -> CoreResult<Project> {
        let now = self.now();
        let mut tx = self.db.begin().await?;
        projects::lock(&mut *tx, org_id, project_id).await?;
        let (before, _) = self
            .require_project(&mut tx, actor, org_id, project_id)
            .await?;
        require_key_permission(actor, Permission::ProjectSettings)?;
        let name = match changes.name {
            Some(name) => validation::name("name", name)?,
            None => before.name.clone(),
        };
        let default_locale = match changes.default_locale {
            Some(locale) => validation::locale("default_locale", locale)?,
            None => before.default_locale.clone(),
        };
        projects::update(&mut *tx, org_id, project_id, &name, &default_locale).await?;
        self.audit(
            &mut tx,
            actor,
            Some(org_id),
            AuditAction::ProjectUpdate,
            ("project", project_id.as_str(), &name),
            Some(json!({
                "name": { "from": before.name, "to": name },
                "default_locale": { "from": before.default_locale, "to": default_locale },
            })),
            now,
        )
        .await?;
        let project = projects::get(&mut *tx, org_id, project_id)
            .await?
            .ok_or(CoreError::NotFound { what: "project" })?;
        tx.commit().await?;
        Ok(project)
    }

    /// A project by id alone: the operator may address any project.
    pub async fn find_project(&self, actor: &Actor, project_id: &ProjectId) -> CoreResult<Project> {
        if actor.kind != ActorKind::Operator {
            return Err(CoreError::NotFound { what: "project" });
        }
        projects::get_unscoped(self.db.pool(), project_id)
            .await?
            .ok_or(CoreError::NotFound { what: "project" })
    }
}
