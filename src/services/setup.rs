//! First-run setup: the organisation and its first admin, once, with the token printed
//! on the server's console.

use super::audit::AuditAction;
use super::auth::{SignedIn, too_many};
use super::throttle::{SETUP_PER_ADDRESS, Subject, address_group};
use super::{Actor, Services};
use crate::db::models::{Organisation, User};
use crate::db::repo::{new_id, orgs, setup, users};
use crate::domain::validation::{self, FieldError, Problem};
use crate::domain::{OrgId, Role};
use crate::error::{CoreError, CoreResult};
use secrecy::{ExposeSecret, SecretString};
use serde_json::json;
use subtle::ConstantTimeEq;

/// What first-run setup receives.
#[derive(Debug)]
pub struct SetupInput {
    /// The one-time setup token printed on the server console.
    pub setup_token: SecretString,
    /// The organisation's name.
    pub org_name: String,
    /// The first admin's email.
    pub email: String,
    /// The first admin's name (defaults to the email's local part).
    pub name: Option<String>,
    /// The first admin's password.
    pub password: SecretString,
}

impl Services {
    /// Whether first-run setup is still to be done (no user exists).
    pub async fn setup_required(&self) -> CoreResult<bool> {
        Ok(!users::any_exists(self.db.pool()).await?)
    }

    /// First-run setup: creates the organisation and its first admin and signs them in.
    /// Works once: after any user exists it answers `NotFound`.
    pub async fn complete_setup(&self, actor: &Actor, input: SetupInput) -> CoreResult<SignedIn> {
        if !self.setup_required().await? {
            return Err(CoreError::NotFound { what: "setup" });
        }
        let expected = self
            .setup_token
            .as_ref()
            .ok_or(CoreError::NotFound { what: "setup" })?;
        // Wrong tokens are throttled per address, like sign-ins; a right one is forgiven.
        let now = self.now();
        let from = Subject::Setup(address_group(actor.ip.as_deref()));
        if let Err(wait_ms) = self
            .throttle
            .begin_attempt(&[(&from, SETUP_PER_ADDRESS)], now)
        {
            return Err(too_many(wait_ms));
        }
        let presented = input.setup_token.expose_secret().trim().as_bytes();
        if !bool::from(presented.ct_eq(expected.expose_secret().as_bytes())) {
            return Err(FieldError::new("setup_token", Problem::SetupToken).into());
        }
        self.throttle.forgive(&from, now);
        let org_name = validation::name("org_name", &input.org_name)?;
        let email = validation::email("email", &input.email)?;
        let name = match input
            .name
            .as_deref()
            .map(str::trim)
            .filter(|n| !n.is_empty())
        {
            Some(n) => validation::name("name", n)?,
            None => email.split('@').next().unwrap_or_default().to_owned(),
        };
        validation::password("password", input.password.expose_secret())?;
        let password_hash = self.hash_password(&input.password).await?;
        let now = self.now();
        let mut tx = self.db.begin().await?;
        // Exactly one setup wins, however many race: each claims the one row of
        // `setup_claim`, and the primary key lets only one insert commit (the others
        // wait for it on PostgreSQL, then fail; SQLite runs them one after another).
        if users::any_exists(&mut *tx).await? || !setup::claim(&mut *tx, now).await? {
            return Err(CoreError::NotFound { what: "setup" });
        }
        let org = Organisation {
            id: OrgId(new_id()),
            name: org_name,
            created_at: now,
        };
        orgs::insert(&mut *tx, &org).await?;
        let user = User::with_password(email, name, password_hash, now);
        users::insert(&mut *tx, &user).await?;
        let (signed_in, as_user) = self
            .join_and_sign_in(&mut tx, &user, &org.id, Role::Admin, actor, now)
            .await?;
        self.audit(
            &mut tx,
            &as_user,
            Some(&org.id),
            AuditAction::SetupComplete,
            ("organisation", org.id.as_str(), &org.name),
            Some(json!({ "admin": user.email })),
            now,
        )
        .await?;
        tx.commit().await?;
        tracing::info!(org_id = %org.id, "first-run setup complete");
        Ok(SignedIn {
            landing_org: Some(org.id),
            ..signed_in
        })
    }
}
