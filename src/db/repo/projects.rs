//! Projects and project membership. Every lookup is scoped by organisation.

use crate::db::DbError;
use crate::db::models::Project;
use crate::domain::{OrgId, ProjectId, UserId};
use sqlx::any::AnyRow;
use sqlx::{Any, Executor, Row};

fn from_row(row: &AnyRow) -> Result<Project, DbError> {
    Ok(Project {
        id: ProjectId(row.try_get("id")?),
        org_id: OrgId(row.try_get("org_id")?),
        name: row.try_get("name")?,
        default_locale: row.try_get("default_locale")?,
        created_at: row.try_get("created_at")?,
    })
}

/// Inserts a project.
pub async fn insert<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    p: &Project,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO projects (id, org_id, name, default_locale, created_at) VALUES ($1, $2, $3, $4, $5)",
    )
    .bind(p.id.as_str())
    .bind(p.org_id.as_str())
    .bind(p.name.as_str())
    .bind(p.default_locale.as_str())
    .bind(p.created_at)
    .execute(ex)
    .await?;
    Ok(())
}

/// A project of an organisation; `None` when it does not exist *in that organisation*.
pub async fn get<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    org_id: &OrgId,
    id: &ProjectId,
) -> Result<Option<Project>, DbError> {
    let row = sqlx::query(
        "SELECT id, org_id, name, default_locale, created_at FROM projects WHERE id = $1 AND org_id = $2",
    )
    .bind(id.as_str())
    .bind(org_id.as_str())
    .fetch_optional(ex)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// A project by id alone: only for callers that authorise afterwards by the project's own
/// organisation (the operator CLI, the key API resolving `gt-project-id`).
pub async fn get_unscoped<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    id: &ProjectId,
) -> Result<Option<Project>, DbError> {
    let row = sqlx::query(
        "SELECT id, org_id, name, default_locale, created_at FROM projects WHERE id = $1",
    )
    .bind(id.as_str())
    .fetch_optional(ex)
    .await?;
    row.as_ref().map(from_row).transpose()
}

/// The projects of an organisation, by name.
pub async fn list<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    org_id: &OrgId,
) -> Result<Vec<Project>, DbError> {
    let rows = sqlx::query(
        "SELECT id, org_id, name, default_locale, created_at FROM projects WHERE org_id = $1 ORDER BY name, id",
    )
    .bind(org_id.as_str())
    .fetch_all(ex)
    .await?;
    rows.iter().map(from_row).collect()
}

/// The projects of an organisation that a user is a member of, by name.
pub async fn list_for_member<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    org_id: &OrgId,
    user_id: &UserId,
) -> Result<Vec<Project>, DbError> {
    let rows = sqlx::query(
        "SELECT p.id, p.org_id, p.name, p.default_locale, p.created_at FROM projects p \
         JOIN project_members pm ON pm.project_id = p.id AND pm.org_id = p.org_id \
         WHERE p.org_id = $1 AND pm.user_id = $2 ORDER BY p.name, p.id",
    )
    .bind(org_id.as_str())
    .bind(user_id.as_str())
    .fetch_all(ex)
    .await?;
    rows.iter().map(from_row).collect()
}

/// Renames a project and sets its default locale; false when it is not in the org.
pub async fn update<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    org_id: &OrgId,
    id: &ProjectId,
    name: &str,
    default_locale: &str,
) -> Result<bool, DbError> {
    let done = sqlx::query(
        "UPDATE projects SET name = $3, default_locale = $4 WHERE id = $1 AND org_id = $2",
    )
    .bind(id.as_str())
    .bind(org_id.as_str())
    .bind(name)
    .bind(default_locale)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Takes the project's row lock until the transaction ends (a no-op write, as
/// `orgs::lock`): concurrent changes to one project run one after another.
pub async fn lock<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    org_id: &OrgId,
    id: &ProjectId,
) -> Result<(), DbError> {
    sqlx::query("UPDATE projects SET name = name WHERE id = $1 AND org_id = $2")
        .bind(id.as_str())
        .bind(org_id.as_str())
        .execute(ex)
        .await?;
    Ok(())
}

/// Adds a user to a project. Returns false when they were already a member.
pub async fn add_member<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    org_id: &OrgId,
    project_id: &ProjectId,
    user_id: &UserId,
    now: i64,
) -> Result<bool, DbError> {
    let done = sqlx::query(
        "INSERT INTO project_members (project_id, user_id, org_id, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (project_id, user_id) DO NOTHING",
    )
    .bind(project_id.as_str())
    .bind(user_id.as_str())
    .bind(org_id.as_str())
    .bind(now)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Removes a user from a project; false when they were not a member.
pub async fn remove_member<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    org_id: &OrgId,
    project_id: &ProjectId,
    user_id: &UserId,
) -> Result<bool, DbError> {
    let done = sqlx::query(
        "DELETE FROM project_members WHERE project_id = $1 AND user_id = $2 AND org_id = $3",
    )
    .bind(project_id.as_str())
    .bind(user_id.as_str())
    .bind(org_id.as_str())
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Whether a user is a member of a project of this organisation.
pub async fn is_member<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    org_id: &OrgId,
    project_id: &ProjectId,
    user_id: &UserId,
) -> Result<bool, DbError> {
    let row = sqlx::query(
        "SELECT 1 AS present FROM project_members WHERE project_id = $1 AND user_id = $2 AND org_id = $3",
    )
    .bind(project_id.as_str())
    .bind(user_id.as_str())
    .bind(org_id.as_str())
    .fetch_optional(ex)
    .await?;
    Ok(row.is_some())
}
