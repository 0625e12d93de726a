//! Sign-in, sessions and sign-out, and the bounded password hashing they share with
//! setup, invites and the operator's account commands.
//!
//! Session tokens are 256-bit random strings held only by the browser's cookie; the
//! database keeps their HMAC digest. A session ends after [`IDLE_TIMEOUT_MS`] without a
//! request or [`ABSOLUTE_TIMEOUT_MS`] after sign-in, whichever comes first.

use super::audit::AuditAction;
use super::throttle::{PER_ACCOUNT, PER_ADDRESS, PER_DEVICE, Subject, address_group};
use super::{Actor, Services};
use crate::db::models::{Membership, SessionRecord, User};
use crate::db::repo::{new_id, orgs, sessions, users};
use crate::domain::{OrgId, Role, UserId};
use crate::error::{CoreError, CoreResult};
use crate::keys::password::{dummy_verify, hash_password, verify_password};
use crate::keys::random_token;
use secrecy::{ExposeSecret, SecretString};

/// A session ends after this long without a request.
pub const IDLE_TIMEOUT_MS: i64 = 8 * 60 * 60 * 1000;
/// A session ends this long after sign-in, however active.
pub const ABSOLUTE_TIMEOUT_MS: i64 = 7 * 24 * 60 * 60 * 1000;
/// Activity is written at most this often per session.
const TOUCH_EVERY_MS: i64 = 60 * 1000;

/// The user behind a valid session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionUser {
    /// The session's id (not its token).
    pub session_id: String,
    /// The user.
    pub user_id: UserId,
    /// Their email.
    pub email: String,
    /// Their name.
    pub name: String,
}

/// A fresh session: the user and the token for the cookie (shown to nobody else).
#[derive(Debug)]
pub struct SignedIn {
    /// The user.
    pub user: SessionUser,
    /// The cookie's value. Never logged, never stored.
    pub token: SecretString,
    /// A fresh device cookie for the browser (see `device`): this browser may keep
    /// signing in to this account while strangers are locked out of it.
    pub device_cookie: SecretString,
    /// The organisation to land on (the first one the user belongs to), if any.
    pub landing_org: Option<OrgId>,
}

impl Services {
    /// Hashes a password on the blocking pool (see [`HashingQueue`]).
    pub(crate) async fn hash_password(&self, password: &SecretString) -> CoreResult<String> {
        let _turn = self.hashing.turn().await?;
        let password = password.clone();
        tokio::task::spawn_blocking(move || hash_password(password.expose_secret()))
            .await
            .map_err(|_| internal("hashing task failed"))?
            .map_err(|_| internal("password hashing failed"))
    }

    /// Verifies a password on the blocking pool; `None` hash spends the same time.
    async fn verify_password(
        &self,
        password: &SecretString,
        hash: Option<String>,
    ) -> CoreResult<bool> {
        let _turn = self.hashing.turn().await?;
        let password = password.clone();
        tokio::task::spawn_blocking(move || match hash {
            Some(hash) => verify_password(password.expose_secret(), &hash),
            None => dummy_verify(password.expose_secret()),
        })
        .await
        .map_err(|_| internal("hashing task failed"))
    }

    /// Makes the new account `user` a member of `org_id` with `role` and signs it in,
    /// inside `tx`: the first sign-in of an account made by first-run setup or by a
    /// joined invite. Returns the session and the user as the actor of the audit row.
    pub(super) async fn join_and_sign_in(
        &self,
        tx: &mut crate::db::Tx,
        user: &User,
        org_id: &OrgId,
        role: Role,
        actor: &Actor,
        now: i64,
    ) -> CoreResult<(SignedIn, Actor)> {
        orgs::insert_membership(&mut **tx, &Membership::new(org_id, &user.id, role, now)).await?;
        let signed_in = self.start_session(tx, user, actor, now).await?;
        let as_user = Actor::user(&signed_in.user, actor.ip.clone(), actor.user_agent.clone());
        Ok((signed_in, as_user))
    }

    pub(crate) async fn start_session(
        &self,
        tx: &mut crate::db::Tx,
        user: &User,
        actor: &Actor,
        now: i64,
    ) -> CoreResult<SignedIn> {
        let token = random_token(43);
        let record = SessionRecord {
            id: new_id(),
            user_id: user.id.clone(),
            created_at: now,
            last_seen_at: now,
            expires_at: now + ABSOLUTE_TIMEOUT_MS,
            ip: actor.ip.clone(),
            user_agent: actor.user_agent.clone(),
        };
        sessions::insert(&mut **tx, &record, &self.secret.digest(&token).0).await?;
        Ok(SignedIn {
            user: SessionUser {
                session_id: record.id,
                user_id: user.id.clone(),
                email: user.email.clone(),
                name: user.name.clone(),
            },
            token: SecretString::from(token),
            device_cookie: self.issue_device_cookie(&user.id),
            landing_org: None,
        })
    }

    /// Signs in with email and password. Unknown emails cost the same time as wrong
    /// passwords and get the same answer. Failures are throttled after OWASP's
    /// device-cookie scheme (see `throttle`): `device_cookie` is the browser's, if any.
    /// Every attempt is audited.
    pub async fn sign_in(
        &self,
        actor: &Actor,
        email: &str,
        password: &SecretString,
        device_cookie: Option<&str>,
    ) -> CoreResult<SignedIn> {
        let now = self.now();
        let email = email.trim().to_lowercase();
        // Bound what an anonymous caller can make us keep (throttle keys, audit labels).
        let email: String = email.chars().take(254).collect();
        let (attempt, user) = self
            .admit_sign_in(actor, &email, device_cookie, now)
            .await?;
        let ok = match self
            .verify_password(
                password,
                user.as_ref().and_then(|u| u.password_hash.clone()),
            )
            .await
        {
            Ok(ok) => ok,
            Err(e) => {
                // Not an attempt that was judged: it must not count as a failure.
                attempt.forgive(&self.throttle, now);
                return Err(e);
            }
        };
        let mut tx = self.db.begin().await?;
        let orgs_of_user = match &user {
            Some(u) => orgs::list_for_user(&mut *tx, &u.id).await?,
            None => Vec::new(),
        };
        let user = match (ok, user) {
            (true, Some(user)) => user,
            (_, user) => {
                let label = ("user", user.as_ref().map_or("", |u| u.id.as_str()), &*email);
                // One row per organisation of the account (one without any when none).
                for org in orgs_of_user
                    .iter()
                    .map(|o| Some(&o.id))
                    .chain(orgs_of_user.is_empty().then_some(None))
                {
                    let action = AuditAction::SignInFailed;
                    self.audit(&mut tx, actor, org, action, label, None, now)
                        .await?;
                }
                tx.commit().await?;
                return Err(CoreError::BadCredentials);
            }
        };
        attempt.succeeded(&self.throttle, now);
        let signed_in = self.start_session(&mut tx, &user, actor, now).await?;
        let as_user = Actor::user(&signed_in.user, actor.ip.clone(), actor.user_agent.clone());
        for org in &orgs_of_user {
            let label = ("user", user.id.as_str(), user.email.as_str());
            self.audit(
                &mut tx,
                &as_user,
                Some(&org.id),
                AuditAction::SignIn,
                label,
                None,
                now,
            )
            .await?;
        }
        tx.commit().await?;
        Ok(SignedIn {
            landing_org: orgs_of_user.first().map(|o| o.id.clone()),
            ..signed_in
        })
    }

    /// Counts a sign-in attempt against its subjects (see [`Attempt`]), or refuses it
    /// with [`CoreError::TooManyAttempts`] while they are locked out; returns the attempt
    /// and the account of `email`, if any.
    async fn admit_sign_in(
        &self,
        actor: &Actor,
        email: &str,
        device_cookie: Option<&str>,
        now: i64,
    ) -> CoreResult<(Attempt, Option<User>)> {
        let device = device_cookie.and_then(|c| self.read_device_cookie(c));
        // A device cookie only counts for the account it was issued for; looking the
        // account up first costs a query only when the browser has a genuine cookie.
        let mut user = None;
        let mut trusted = None;
        if let Some(device) = &device {
            user = users::get_by_email(self.db.pool(), email).await?;
            let subject = Subject::Device(device.nonce.clone());
            if user.as_ref().is_some_and(|u| u.id == device.user_id)
                && !self.throttle.is_throttled(&subject, PER_DEVICE, now)
            {
                trusted = Some(subject);
            }
        }
        let attempt = Attempt {
            trusted,
            untrusted: [
                Subject::Account(email.to_owned()),
                Subject::Address(address_group(actor.ip.as_deref())),
            ],
        };
        if let Err(wait_ms) = self.throttle.begin_attempt(&attempt.counted(), now) {
            return Err(too_many(wait_ms));
        }
        if device.is_none() {
            user = users::get_by_email(self.db.pool(), email).await?;
        }
        Ok((attempt, user))
    }

    /// The user behind a session token, if the session is live. Records activity (at
    /// most once a minute) for the idle timeout, and deletes a session found expired.
    pub async fn session_user(&self, token: &str) -> CoreResult<Option<SessionUser>> {
        if token.len() != 43 || !token.bytes().all(|b| b.is_ascii_alphanumeric()) {
            return Ok(None);
        }
        let now = self.now();
        let digest = self.secret.digest(token).0;
        let Some(session) = sessions::find_by_token_digest(self.db.pool(), &digest).await? else {
            return Ok(None);
        };
        if session.expires_at <= now || now - session.last_seen_at >= IDLE_TIMEOUT_MS {
            sessions::delete(self.db.pool(), &session.id).await?;
            return Ok(None);
        }
        let Some(user) = users::get(self.db.pool(), &session.user_id).await? else {
            return Ok(None);
        };
        if now - session.last_seen_at >= TOUCH_EVERY_MS {
            sessions::touch(self.db.pool(), &session.id, now).await?;
        }
        Ok(Some(SessionUser {
            session_id: session.id,
            user_id: user.id,
            email: user.email,
            name: user.name,
        }))
    }

    /// Deletes sessions past their absolute or idle timeout (run periodically).
    pub async fn purge_expired_sessions(&self) -> CoreResult<u64> {
        let now = self.now();
        Ok(sessions::delete_expired(self.db.pool(), now, now - IDLE_TIMEOUT_MS).await?)
    }

    /// Ends a session on the server (the cookie alone no longer signs anyone in).
    pub async fn sign_out(&self, user: &SessionUser) -> CoreResult<()> {
        sessions::delete(self.db.pool(), &user.session_id).await?;
        Ok(())
    }
}

/// The error of a throttled attempt, with the wait rounded up to whole seconds.
pub(super) fn too_many(wait_ms: i64) -> CoreError {
    CoreError::TooManyAttempts {
        retry_after_secs: (wait_ms + 999) / 1000,
    }
}

/// Who a sign-in attempt counts against, after OWASP's device-cookie scheme: the device,
/// when the browser holds a genuine cookie of this account that is not itself locked
/// out; else the account and the client's address (group).
struct Attempt {
    trusted: Option<Subject>,
    untrusted: [Subject; 2],
}

impl Attempt {
    /// The subjects the attempt counts against, with their limits.
    fn counted(&self) -> Vec<(&Subject, usize)> {
        match &self.trusted {
            Some(device) => vec![(device, PER_DEVICE)],
            None => vec![
                (&self.untrusted[0], PER_ACCOUNT),
                (&self.untrusted[1], PER_ADDRESS),
            ],
        }
    }

    /// Takes the attempt back: it was never judged (the hashing failed).
    fn forgive(&self, throttle: &super::throttle::Throttle, now: i64) {
        for (subject, _) in self.counted() {
            throttle.forgive(subject, now);
        }
    }

    /// A correct password: the device (or the account) starts afresh; the address only
    /// gets this attempt back, so one good account cannot launder an address's failures.
    fn succeeded(&self, throttle: &super::throttle::Throttle, now: i64) {
        match &self.trusted {
            Some(device) => throttle.clear(device),
            None => {
                throttle.clear(&self.untrusted[0]);
                throttle.forgive(&self.untrusted[1], now);
            }
        }
    }
}

fn internal(what: &'static str) -> CoreError {
    tracing::error!("{what}");
    CoreError::Internal(what)
}
