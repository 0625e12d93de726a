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
#[derive(Clone, Copy, Debug, PartialEq, Eq, strum::IntoStaticStr)]
pub enum AuditAction {
    /// First-run setup created the organisation and its admin.
    #[strum(serialize = "setup.complete")]
    SetupComplete,
    /// The operator created an organisation.
    #[strum(serialize = "organisation.create")]
    OrganisationCreate,
    /// An admin set the organisation's key policy.
    #[strum(serialize = "organisation.policy")]
    OrganisationPolicy,
    /// A sign-in succeeded.
    #[strum(serialize = "auth.sign_in")]
    SignIn,
    /// A sign-in failed.
    #[strum(serialize = "auth.sign_in_failed")]
    SignInFailed,
    /// The operator created a user.
    #[strum(serialize = "member.create")]
    MemberCreate,
    /// The operator reset a password.
    #[strum(serialize = "member.reset_password")]
    MemberResetPassword,
    /// An admin invited someone.
    #[strum(serialize = "member.invite")]
    MemberInvite,
    /// An invite was withdrawn (by an admin, or with its maker's admin role).
    #[strum(serialize = "member.invite_withdraw")]
    MemberInviteWithdraw,
    /// Someone joined through an invite.
    #[strum(serialize = "member.join")]
    MemberJoin,
    /// A member's role changed.
    #[strum(serialize = "member.role")]
    MemberRole,
    /// A member was removed.
    #[strum(serialize = "member.remove")]
    MemberRemove,
    /// A project was created.
    #[strum(serialize = "project.create")]
    ProjectCreate,
    /// A project's name or locale changed.
    #[strum(serialize = "project.update")]
    ProjectUpdate,
    /// A member was added to a project.
    #[strum(serialize = "project.member_add")]
    ProjectMemberAdd,
    /// A member was removed from a project.
    #[strum(serialize = "project.member_remove")]
    ProjectMemberRemove,
    /// A key was created.
    #[strum(serialize = "key.create")]
    KeyCreate,
    /// A key was rotated.
    #[strum(serialize = "key.rotate")]
    KeyRotate,
    /// A key was revoked.
    #[strum(serialize = "key.revoke")]
    KeyRevoke,
    /// A key was reported leaked (publicly, or by a secret scanner) and revoked.
    #[strum(serialize = "key.leaked")]
    KeyLeaked,
    /// A key was disabled (paused).
    #[strum(serialize = "key.disable")]
    KeyDisable,
    /// A disabled key was enabled again.
    #[strum(serialize = "key.enable")]
    KeyEnable,
    /// A key's description changed.
    #[strum(serialize = "key.describe")]
    KeyDescribe,
    /// A key's IP allow-list changed.
    #[strum(serialize = "key.ip_allowlist")]
    KeyIpAllowList,
    /// An organisation key's permissions changed.
    #[strum(serialize = "key.permissions")]
    KeyPermissions,
    /// A rotated key's grace period was ended early ("Stop old key now").
    #[strum(serialize = "key.end_grace")]
    KeyEndGrace,
    /// A key was renamed.
    #[strum(serialize = "key.rename")]
    KeyRename,
    /// A key's expiry was brought forward.
    #[strum(serialize = "key.expiry")]
    KeyExpiry,
    /// A webhook endpoint was added.
    #[strum(serialize = "webhook.add")]
    WebhookAdd,
    /// A webhook endpoint was turned on or off.
    #[strum(serialize = "webhook.enabled")]
    WebhookEnabled,
    /// A webhook endpoint was removed, with its deliveries.
    #[strum(serialize = "webhook.remove")]
    WebhookRemove,
}

impl AuditAction {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        self.into()
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
        // A key's change is also a webhook event, in the same transaction.
        if let (Some(org_id), "key") = (org_id, target_type) {
            self.key_event(tx, actor, org_id, action, target_id, now)
                .await?;
        }
        Ok(())
    }
}
