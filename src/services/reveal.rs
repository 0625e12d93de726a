//! One-time reveals: a secret made by a request (an API key, an invite link, a webhook
//! signing secret) is kept in memory for the session that made it until its page reads
//! it once.
//!
//! This is what lets the reveal work as a plain form post without JavaScript: the post
//! redirects to the page, and the page's render takes the secret. It never touches the
//! database, logs or any cache, is bound to the creating session, and expires in
//! [`REVEAL_TTL_MS`] if nobody reads it. (Behind a load balancer the follow-up request
//! must reach the same instance; sticky sessions or the JavaScript path, which reads the
//! secret from the creation response itself, avoid the question.)

use super::Services;
use crate::keys::random_token;
use secrecy::SecretString;
use std::collections::HashMap;
use std::sync::Mutex;

/// How long an unread reveal is kept.
pub const REVEAL_TTL_MS: i64 = 5 * 60 * 1000;

/// What a reveal holds. Each kind is taken only by the page that shows it: a key's id
/// handed to the invite page finds nothing, and the other way round.
#[derive(Debug)]
pub enum Revealed {
    /// A key just created or rotated, for the "Save your API key" dialog.
    Key {
        /// Its name.
        name: String,
        /// The key itself.
        key: SecretString,
        /// Its project (for the `.env` snippet), when a project key.
        project_id: Option<crate::domain::ProjectId>,
    },
    /// An invite link's path (`/invite/{token}`).
    InviteLink(SecretString),
    /// A webhook endpoint's signing secret (`whsec_…`), for "Save your signing secret".
    WebhookSecret {
        /// The endpoint's URL.
        url: String,
        /// The secret.
        secret: SecretString,
    },
}

impl Revealed {
    /// Its kind.
    pub fn kind(&self) -> RevealKind {
        match self {
            Self::Key { .. } => RevealKind::Key,
            Self::InviteLink(_) => RevealKind::InviteLink,
            Self::WebhookSecret { .. } => RevealKind::WebhookSecret,
        }
    }
}

/// The kinds of [`Revealed`], for taking one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RevealKind {
    /// [`Revealed::Key`].
    Key,
    /// [`Revealed::InviteLink`].
    InviteLink,
    /// [`Revealed::WebhookSecret`].
    WebhookSecret,
}

#[derive(Debug)]
struct Reveal {
    session_id: String,
    secret: Revealed,
    expires_at: i64,
}

/// The in-memory store of pending reveals.
#[derive(Debug, Default)]
pub struct RevealStore {
    pending: Mutex<HashMap<String, Reveal>>,
}

impl Services {
    /// Keeps `secret` for one read by `session_id`; returns the reveal's id.
    pub fn stash_reveal(&self, session_id: &str, secret: Revealed) -> String {
        let now = self.now();
        let id = random_token(22);
        let mut pending = self
            .reveals
            .pending
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        pending.retain(|_, r| r.expires_at > now);
        pending.insert(
            id.clone(),
            Reveal {
                session_id: session_id.to_owned(),
                secret,
                expires_at: now + REVEAL_TTL_MS,
            },
        );
        id
    }

    /// Takes a reveal of `kind`: the secret once, to the session that made it; `None`
    /// afterwards, for another session or kind (which leave it in place), or after it
    /// expired.
    pub fn take_reveal(&self, session_id: &str, id: &str, kind: RevealKind) -> Option<Revealed> {
        let now = self.now();
        let mut pending = self
            .reveals
            .pending
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        match pending.get(id) {
            Some(r)
                if r.session_id == session_id && r.expires_at > now && r.secret.kind() == kind =>
            {
                pending.remove(id).map(|r| r.secret)
            }
            _ => None,
        }
    }
}
