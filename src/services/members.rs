//! Members: roles, removal, and project membership. Admins only. (Invitations are in
//! `invites`.)

use super::audit::AuditAction;
use super::{Actor, Services};
use crate::db::models::Invite;
use crate::db::repo::{invites, orgs, projects, sessions, users};
use crate::domain::key_list::{Page, PageRequest};
use crate::domain::validation::{self, FieldError, Problem};
use crate::domain::{OrgId, ProjectId, Role, UserId};
use crate::error::{CoreError, CoreResult};
use serde_json::json;

/// A member as the members page shows them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemberView {
    /// The user's id.
    pub user_id: UserId,
    /// Email.
    pub email: String,
    /// Name.
    pub name: String,
    /// Role.
    pub role: Role,
    /// The projects of this organisation they belong to.
    pub project_ids: Vec<ProjectId>,
}

const MEMBER: CoreError = CoreError::NotFound { what: "member" };

impl Services {
    /// One page of the organisation's members (by email, narrowed to those whose email
    /// or name contains `search`), and its open invites.
    pub async fn list_members(
        &self,
        actor: &Actor,
        org_id: &OrgId,
        search: Option<&str>,
        at: PageRequest,
    ) -> CoreResult<(Page<MemberView>, Vec<Invite>)> {
        let now = self.now();
        let mut tx = self.db.begin_read().await?;
        self.require_admin(&mut tx, actor, org_id).await?;
        let members = users::page_org_members(&mut tx, org_id, search, at).await?;
        let mut out = Vec::with_capacity(members.rows.len());
        for (user, role) in members.rows {
            let project_ids = projects::list_for_member(&mut *tx, org_id, &user.id)
                .await?
                .into_iter()
                .map(|p| p.id)
                .collect();
            out.push(MemberView {
                user_id: user.id,
                email: user.email,
                name: user.name,
                role,
                project_ids,
            });
        }
        let open = invites::list_open(&mut *tx, org_id, now).await?;
        tx.commit().await?;
        let page = Page {
            rows: out,
            matching: members.matching,
            total: members.total,
            page: members.page,
            more: members.more,
            total_more: members.total_more,
        };
        Ok((page, open))
    }

    /// Changes a member's role. The last admin cannot be demoted.
    pub async fn set_member_role(
        &self,
        actor: &Actor,
        org_id: &OrgId,
        user_id: &UserId,
        role: Role,
    ) -> CoreResult<()> {
        let now = self.now();
        let mut tx = self.db.begin().await?;
        self.require_admin_locked(&mut tx, actor, org_id).await?;
        let current = orgs::get_membership(&mut *tx, org_id, user_id)
            .await?
            .ok_or(MEMBER)?;
        if current.role == role {
            return Ok(());
        }
        keep_an_admin(&mut tx, org_id, current.role).await?;
        orgs::set_role(&mut *tx, org_id, user_id, role).await?;
        let user = users::get(&mut *tx, user_id).await?.ok_or(MEMBER)?;
        if role != Role::Admin {
            self.withdraw_invites_made_by(&mut tx, actor, org_id, &user, now)
                .await?;
        }
        self.audit(
            &mut tx,
            actor,
            Some(org_id),
            AuditAction::MemberRole,
            ("user", user_id.as_str(), &user.email),
            Some(json!({ "from": current.role.as_str(), "to": role.as_str() })),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Removes a member from the organisation and its projects, and ends their
    /// sessions at once. The last admin cannot be removed.
    pub async fn remove_member(
        &self,
        actor: &Actor,
        org_id: &OrgId,
        user_id: &UserId,
    ) -> CoreResult<()> {
        let now = self.now();
        let mut tx = self.db.begin().await?;
        self.require_admin_locked(&mut tx, actor, org_id).await?;
        let current = orgs::get_membership(&mut *tx, org_id, user_id)
            .await?
            .ok_or(MEMBER)?;
        keep_an_admin(&mut tx, org_id, current.role).await?;
        for project in projects::list_for_member(&mut *tx, org_id, user_id).await? {
            projects::remove_member(&mut *tx, org_id, &project.id, user_id).await?;
        }
        orgs::delete_membership(&mut *tx, org_id, user_id).await?;
        sessions::delete_for_user(&mut *tx, user_id).await?;
        let user = users::get(&mut *tx, user_id).await?.ok_or(MEMBER)?;
        self.withdraw_invites_made_by(&mut tx, actor, org_id, &user, now)
            .await?;
        self.audit(
            &mut tx,
            actor,
            Some(org_id),
            AuditAction::MemberRemove,
            ("user", user_id.as_str(), &user.email),
            None,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Adds an organisation member to one of its projects (by user id or email).
    pub async fn add_project_member(
        &self,
        actor: &Actor,
        org_id: &OrgId,
        project_id: &ProjectId,
        email: &str,
    ) -> CoreResult<()> {
        let email = validation::email("email", email)?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        self.require_admin_locked(&mut tx, actor, org_id).await?;
        let project = projects::get(&mut *tx, org_id, project_id)
            .await?
            .ok_or(CoreError::NotFound { what: "project" })?;
        let user = users::get_by_email(&mut *tx, &email).await?;
        let user = match user {
            Some(u)
                if orgs::get_membership(&mut *tx, org_id, &u.id)
                    .await?
                    .is_some() =>
            {
                u
            }
            _ => {
                return Err(FieldError::new("email", Problem::NotAMember).into());
            }
        };
        if projects::add_member(&mut *tx, org_id, project_id, &user.id, now).await? {
            self.audit(
                &mut tx,
                actor,
                Some(org_id),
                AuditAction::ProjectMemberAdd,
                ("project", project.id.as_str(), &project.name),
                Some(json!({ "user": user.email })),
                now,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// Removes a user from a project.
    pub async fn remove_project_member(
        &self,
        actor: &Actor,
        org_id: &OrgId,
        project_id: &ProjectId,
        user_id: &UserId,
    ) -> CoreResult<()> {
        let now = self.now();
        let mut tx = self.db.begin().await?;
        self.require_admin_locked(&mut tx, actor, org_id).await?;
        let project = projects::get(&mut *tx, org_id, project_id)
            .await?
            .ok_or(CoreError::NotFound { what: "project" })?;
        if !projects::remove_member(&mut *tx, org_id, project_id, user_id).await? {
            return Err(MEMBER);
        }
        let email = users::get(&mut *tx, user_id)
            .await?
            .map(|u| u.email)
            .unwrap_or_default();
        self.audit(
            &mut tx,
            actor,
            Some(org_id),
            AuditAction::ProjectMemberRemove,
            ("project", project.id.as_str(), &project.name),
            Some(json!({ "user": email })),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }
}

/// Refuses a change that would take away the organisation's last admin (the caller
/// holds the organisation's row lock, so two admins cannot both pass this check).
async fn keep_an_admin(tx: &mut crate::db::Tx, org_id: &OrgId, role_now: Role) -> CoreResult<()> {
    if role_now == Role::Admin && orgs::count_admins(&mut **tx, org_id).await? <= 1 {
        return Err(CoreError::Conflict(Problem::LastAdmin));
    }
    Ok(())
}

/// Maps a unique-email violation (two accounts created for one email at the same moment)
/// to the field error the user can act on.
pub(crate) fn email_taken_or(e: CoreError) -> CoreError {
    if e.is_unique_violation("users_email_key") || e.is_unique_violation("users.email") {
        FieldError::new("email", Problem::EmailTaken).into()
    } else {
        e
    }
}
