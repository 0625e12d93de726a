//! Accounts made by the operator: creating a user in an organisation, and resetting a
//! password (which ends every session of the user).

use super::audit::AuditAction;
use super::{Actor, Services};
use crate::db::models::{Membership, User};
use crate::db::repo::{orgs, sessions, users};
use crate::domain::validation::{self, FieldError, Problem};
use crate::domain::{OrgId, Role};
use crate::error::{CoreError, CoreResult};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;

impl Services {
    /// Creates a user in an organisation (operator command `user create`).
    pub async fn create_user(
        &self,
        actor: &Actor,
        org_id: &OrgId,
        email: &str,
        name: Option<&str>,
        role: Role,
        password: &SecretString,
    ) -> CoreResult<User> {
        let email = validation::email("email", email)?;
        let name = match name.map(str::trim).filter(|n| !n.is_empty()) {
            Some(n) => validation::name("name", n)?,
            None => email.split('@').next().unwrap_or_default().to_owned(),
        };
        validation::password("password", password.expose_secret())?;
        let password_hash = self.hash_password(password).await?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        self.require_admin_locked(&mut tx, actor, org_id).await?;
        if users::get_by_email(&mut *tx, &email).await?.is_some() {
            return Err(FieldError::new("email", Problem::EmailTaken).into());
        }
        let user = User::with_password(email, name, password_hash, now);
        if let Err(e) = users::insert(&mut *tx, &user).await {
            return Err(super::members::email_taken_or(e.into()));
        }
        orgs::insert_membership(&mut *tx, &Membership::new(org_id, &user.id, role, now)).await?;
        self.audit(
            &mut tx,
            actor,
            Some(org_id),
            AuditAction::MemberCreate,
            ("user", user.id.as_str(), &user.email),
            Some(json!({ "role": role.as_str() })),
            now,
        )
        .await?;
        tx.commit().await?;
        Ok(user)
    }

    /// Sets a user's password and ends all their sessions (operator command
    /// `user reset-password`).
    pub async fn reset_password(
        &self,
        actor: &Actor,
        email: &str,
        password: &SecretString,
    ) -> CoreResult<User> {
        if !matches!(actor.kind, super::ActorKind::Operator) {
            return Err(CoreError::Forbidden);
        }
        let email = validation::email("email", email)?;
        validation::password("password", password.expose_secret())?;
        let password_hash = self.hash_password(password).await?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        let user = users::get_by_email(&mut *tx, &email)
            .await?
            .ok_or(CoreError::NotFound { what: "user" })?;
        users::set_password_hash(&mut *tx, &user.id, &password_hash).await?;
        sessions::delete_for_user(&mut *tx, &user.id).await?;
        for org in orgs::list_for_user(&mut *tx, &user.id).await? {
            self.audit(
                &mut tx,
                actor,
                Some(&org.id),
                AuditAction::MemberResetPassword,
                ("user", user.id.as_str(), &user.email),
                None,
                now,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(user)
    }
}
