//! Invitations: made by admins, shown once as a link, accepted by creating an account;
//! withdrawn by hand, or with their maker's admin role.

use super::audit::AuditAction;
use super::auth::SignedIn;
use super::members::email_taken_or;
use super::{Actor, Services};
use crate::db::models::{Invite, User};
use crate::db::repo::{invites, new_id, orgs, users};
use crate::domain::validation::{self, FieldError, Problem};
use crate::domain::{OrgId, Role};
use crate::error::{CoreError, CoreResult};
use crate::keys::random_token;
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

/// An invite link works this long.
pub const INVITE_LIFETIME_MS: i64 = 7 * 24 * 60 * 60 * 1000;

/// An invite just made: the record and the token for the link, shown once.
#[derive(Debug)]
pub struct CreatedInvite {
    /// What was stored.
    pub invite: Invite,
    /// The link's token (`/invite/{token}`). Never stored, never logged.
    pub token: SecretString,
}

impl Services {
    /// Invites an email to the organisation with a role.
    pub async fn invite_member(
        &self,
        actor: &Actor,
        org_id: &OrgId,
        email: &str,
        role: Role,
    ) -> CoreResult<CreatedInvite> {
        let email = validation::email("email", email)?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        self.require_admin_locked(&mut tx, actor, org_id).await?;
        // Only this organisation's own members are named as such. An email with an
        // account elsewhere gets an invite like any other: the answer must not tell an
        // admin of one organisation who has an account in another.
        if let Some(user) = users::get_by_email(&mut *tx, &email).await?
            && orgs::get_membership(&mut *tx, org_id, &user.id)
                .await?
                .is_some()
        {
            return Err(FieldError::new("email", Problem::AlreadyMember).into());
        }
        let token = random_token(43);
        let invite = Invite {
            id: new_id(),
            org_id: org_id.clone(),
            email,
            role,
            invited_by: actor.user_id(),
            created_at: now,
            expires_at: now + INVITE_LIFETIME_MS,
            accepted_at: None,
            revoked_at: None,
        };
        invites::insert(&mut *tx, &invite, &self.secret.digest(&token).0).await?;
        self.audit(
            &mut tx,
            actor,
            Some(org_id),
            AuditAction::MemberInvite,
            ("invite", &invite.id, &invite.email),
            Some(json!({ "role": role.as_str() })),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(CreatedInvite {
            invite,
            token: SecretString::from(token),
        })
    }

    /// The open invite behind a link's token, with its organisation's name.
    pub async fn find_invite(&self, token: &str) -> CoreResult<(Invite, String)> {
        let not_found = || CoreError::NotFound { what: "invite" };
        if token.len() != 43 || !token.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Err(not_found());
        }
        let invite = invites::find_by_token_digest(self.db.pool(), &self.secret.digest(token).0)
            .await?
            .ok_or_else(not_found)?;
        if invite.accepted_at.is_some()
            || invite.revoked_at.is_some()
            || invite.expires_at <= self.now()
        {
            return Err(not_found());
        }
        let org = orgs::get(self.db.pool(), &invite.org_id)
            .await?
            .ok_or_else(not_found)?;
        Ok((invite, org.name))
    }

    /// Accepts an invite: creates the account with a name and password, joins the
    /// organisation, and signs in. A link works once.
    pub async fn accept_invite(
        &self,
        actor: &Actor,
        token: &str,
        name: &str,
        password: &SecretString,
    ) -> CoreResult<SignedIn> {
        let (invite, _) = self.find_invite(token).await?;
        let name = validation::name("name", name)?;
        validation::password("password", password.expose_secret())?;
        let password_hash = self.hash_password(password).await?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        if !invites::mark_accepted(&mut *tx, &invite.id, now).await? {
            return Err(CoreError::NotFound { what: "invite" });
        }
        // An admin invite carries its maker's authority: it stops working once they are
        // no longer an admin of the organisation.
        if invite.role == Role::Admin
            && let Some(inviter) = &invite.invited_by
        {
            let still_admin = orgs::get_membership(&mut *tx, &invite.org_id, inviter)
                .await?
                .is_some_and(|m| m.role == Role::Admin);
            if !still_admin {
                return Err(CoreError::NotFound { what: "invite" });
            }
        }
        if users::get_by_email(&mut *tx, &invite.email)
            .await?
            .is_some()
        {
            return Err(FieldError::new("email", Problem::InviteEmailHasAccount).into());
        }
        let user = User::with_password(invite.email.clone(), name, password_hash, now);
        if let Err(e) = users::insert(&mut *tx, &user).await {
            return Err(email_taken_or(e.into()));
        }
        let (signed_in, as_user) = self
            .join_and_sign_in(&mut tx, &user, &invite.org_id, invite.role, actor, now)
            .await?;
        self.audit(
            &mut tx,
            &as_user,
            Some(&invite.org_id),
            AuditAction::MemberJoin,
            ("user", user.id.as_str(), &user.email),
            Some(json!({ "role": invite.role.as_str(), "invite": invite.id })),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(SignedIn {
            landing_org: Some(invite.org_id),
            ..signed_in
        })
    }

    /// Withdraws an open invite: its link stops working at once.
    pub async fn withdraw_invite(
        &self,
        actor: &Actor,
        org_id: &OrgId,
        invite_id: &str,
    ) -> CoreResult<()> {
        let now = self.now();
        let mut tx = self.db.begin().await?;
        self.require_admin_locked(&mut tx, actor, org_id).await?;
        let open = invites::list_open(&mut *tx, org_id, now).await?;
        let invite = open
            .into_iter()
            .find(|i| i.id == invite_id)
            .ok_or(CoreError::NotFound { what: "invite" })?;
        if !invites::revoke(&mut *tx, org_id, invite_id, now).await? {
            return Err(CoreError::NotFound { what: "invite" });
        }
        self.audit(
            &mut tx,
            actor,
            Some(org_id),
            AuditAction::MemberInviteWithdraw,
            ("invite", &invite.id, &invite.email),
            None,
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    /// Withdraws the open invites `maker` made: once they are no longer an admin here,
    /// their invites no longer carry an admin's authority. Each is audited.
    pub(super) async fn withdraw_invites_made_by(
        &self,
        tx: &mut crate::db::Tx,
        actor: &Actor,
        org_id: &OrgId,
        maker: &User,
        now: i64,
    ) -> CoreResult<()> {
        for (id, email) in invites::revoke_made_by(&mut **tx, org_id, &maker.id, now).await? {
            self.audit(
                tx,
                actor,
                Some(org_id),
                AuditAction::MemberInviteWithdraw,
                ("invite", &id, &email),
                Some(json!({ "reason": "inviter_no_longer_admin", "inviter": maker.email })),
                now,
            )
            .await?;
        }
        Ok(())
    }
}
