//! Writing audit events: every service that changes something records it here, inside
//! the change's own transaction, so the change and its record commit (or fail) together.

use super::{Actor, Services};
use crate::db::Tx;
use crate::db::models::AuditEvent;
use crate::db::repo::{audit, new_id};
use crate::domain::OrgId;
use crate::error::CoreResult;

/// What happened: the `action` of an audit event (the audit log's filters match its
/// prefix, `key.`, `member.`, …).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AuditAction {
    /// First-run setup created the organisation and its admin.
    SetupComplete,
    /// The operator created an organisation.
    OrganisationCreate,
    /// A sign-in succeeded.
    SignIn,
    /// A sign-in failed.
    SignInFailed,
    /// The operator created a user.
    MemberCreate,
    /// The operator reset a password.
    MemberResetPassword,
    /// An admin invited someone.
    MemberInvite,
    /// An invite was withdrawn (by an admin, or with its maker's admin role).
    MemberInviteWithdraw,
    /// Someone joined through an invite.
    MemberJoin,
    /// A member's role changed.
    MemberRole,
    /// A member was removed.
    MemberRemove,
    /// A project was created.
    ProjectCreate,
    /// A project's name or locale changed.
    ProjectUpdate,
    /// A member was added to a project.
    ProjectMemberAdd,
    /// A member was removed from a project.
    ProjectMemberRemove,
    /// A key was created.
    KeyCreate,
    /// A key was rotated.
    KeyRotate,
    /// A key was revoked.
    KeyRevoke,
}

impl AuditAction {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::SetupComplete => "setup.complete",
            Self::OrganisationCreate => "organisation.create",
            Self::SignIn => "auth.sign_in",
            Self::SignInFailed => "auth.sign_in_failed",
            Self::MemberCreate => "member.create",
            Self::MemberResetPassword => "member.reset_password",
            Self::MemberInvite => "member.invite",
            Self::MemberInviteWithdraw => "member.invite_withdraw",
            Self::MemberJoin => "member.join",
            Self::MemberRole => "member.role",
            Self::MemberRemove => "member.remove",
            Self::ProjectCreate => "project.create",
            Self::ProjectUpdate => "project.update",
            Self::ProjectMemberAdd => "project.member_add",
            Self::ProjectMemberRemove => "project.member_remove",
            Self::KeyCreate => "key.create",
            Self::KeyRotate => "key.rotate",
            Self::KeyRevoke => "key.revoke",
        }
    }
}

/// What an event is about: its kind (`key`, `user`, `project`, …), id and name then.
pub(crate) type Target<'a> = (&'a str, &'a str, &'a str);

impl Services {
    /// Records `action` on `target` by `actor` at `now` (the change's own time), inside
    /// the caller's transaction.
    #[allow(clippy::too_many_arguments)]
    pub(crate) async fn audit(
        &self,
        tx: &mut Tx,
        actor: &Actor,
        org_id: Option<&OrgId>,
        action: AuditAction,
        target: Target<'_>,
        details: Option<serde_json::Value>,
        now: i64,
    ) -> CoreResult<()> {
        let (target_type, target_id, target_label) = target;
        let event = AuditEvent {
            id: new_id(),
            org_id: org_id.cloned(),
            actor_user_id: actor.user_id(),
            actor_label: actor.label(),
            action: action.as_str().to_owned(),
            target_type: Some(target_type.to_owned()),
            target_id: Some(target_id.to_owned()),
            target_label: Some(target_label.to_owned()),
            details: details.map(|d| d.to_string()),
            ip: actor.ip.clone(),
            user_agent: actor.user_agent.clone(),
            occurred_at: now,
        };
        audit::insert(&mut **tx, &event).await?;
        Ok(())
    }
}
