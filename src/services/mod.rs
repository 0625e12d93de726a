//! Services: the only layer that writes. Each public method authorises the actor,
//! validates input, runs one transaction, and writes the audit event inside it.
//! The dashboard's server functions, the REST API and the operator CLI all call these.

mod audit;
mod audit_log;
mod auth;
mod authz;
mod device;
mod hashing;
mod invites;
pub mod key_cache;
mod key_controls;
mod key_facts;
mod key_insights;
mod key_sync;
mod keys;
mod leaks;
mod members;
mod orgs;
mod policy;
mod projects;
mod reveal;
mod setup;
mod startup;
mod throttle;
mod usage;
mod users;
mod verify;
pub mod webhooks;

pub use auth::{ABSOLUTE_TIMEOUT_MS, IDLE_TIMEOUT_MS, SessionUser, SignedIn};
pub use device::{DEVICE_COOKIE, DEVICE_COOKIE_MAX_AGE_SECS};
pub use invites::{CreatedInvite, INVITE_LIFETIME_MS};
pub use key_cache::{Facts, HintText, IdText, KeyFacts};
pub use key_controls::KeyUpdate;
pub use key_insights::{KeyDetail, LIST_WINDOW_MS, UNUSED_WINDOW_MS};
pub use key_sync::KeySync;
pub use keys::{CreatedKey, KeyListScope, KeyScope, NewKey, RotatedKey};
pub use leaks::{LeakOutcome, LeakReport};
pub use members::MemberView;
pub use orgs::OrgWithProjects;
pub use projects::{DEFAULT_LOCALE, ProjectChanges};
pub use reveal::{REVEAL_TTL_MS, RevealKind, Revealed};
pub use setup::SetupInput;
pub use usage::{DEFAULT_RETENTION_DAYS, MINUTES_KEPT_MS};
pub use verify::{Verification, VerifyCode};

use crate::clock::Clock;
use crate::db::Db;
use crate::keys::ServerSecret;
use std::sync::Arc;

/// Who is acting, and from where. Recorded in the audit log.
#[derive(Clone, Debug)]
pub struct Actor {
    kind: ActorKind,
    /// Client address, when the action came over the network.
    pub ip: Option<String>,
    /// Client user agent, when known.
    pub user_agent: Option<String>,
}

#[derive(Clone, Debug)]
enum ActorKind {
    /// The operator running `gtx-keys` commands on the server: full authority, like
    /// anyone with the database file.
    Operator,
    /// A signed-in user: authorised per organisation and project by their memberships.
    User {
        id: crate::domain::UserId,
        email: String,
    },
    /// Nobody yet: first-run setup, sign-in and invite acceptance, before a session exists.
    Anonymous,
    /// A client of the REST API, authenticated by an API key: confined to the key's
    /// organisation (and project) and permissions.
    ApiKey(KeyFacts),
    /// The server itself, applying an organisation's policy (disabling unused keys).
    Policy,
    /// Whoever reported a key leaked: holding the key is the authority to revoke it.
    /// `via` says how the report came (`public report`, `GitHub secret scanning`).
    LeakReport { via: &'static str },
}

impl PartialEq for ActorKind {
    fn eq(&self, other: &Self) -> bool {
        match (self, other) {
            (Self::Operator, Self::Operator)
            | (Self::Anonymous, Self::Anonymous)
            | (Self::Policy, Self::Policy) => true,
            (Self::LeakReport { via: a }, Self::LeakReport { via: b }) => a == b,
            (Self::User { id: a, .. }, Self::User { id: b, .. }) => a == b,
            (Self::ApiKey(a), Self::ApiKey(b)) => a.id() == b.id(),
            _ => false,
        }
    }
}

impl Actor {
    /// The operator CLI.
    pub fn operator() -> Self {
        Self {
            kind: ActorKind::Operator,
            ip: None,
            user_agent: None,
        }
    }

    /// A signed-in user, from a session.
    pub fn user(user: &SessionUser, ip: Option<String>, user_agent: Option<String>) -> Self {
        Self {
            kind: ActorKind::User {
                id: user.user_id.clone(),
                email: user.email.clone(),
            },
            ip,
            user_agent,
        }
    }

    /// A client without a session.
    pub fn anonymous(ip: Option<String>, user_agent: Option<String>) -> Self {
        Self {
            kind: ActorKind::Anonymous,
            ip,
            user_agent,
        }
    }

    /// A REST API client authenticated by a live API key.
    pub fn api_key(key: KeyFacts, ip: Option<String>, user_agent: Option<String>) -> Self {
        Self {
            kind: ActorKind::ApiKey(key),
            ip,
            user_agent,
        }
    }

    /// Whoever reports a leaked key, by `via` (`public report`, `GitHub secret scanning`).
    pub fn leak_report(via: &'static str, ip: Option<String>, user_agent: Option<String>) -> Self {
        Self {
            kind: ActorKind::LeakReport { via },
            ip,
            user_agent,
        }
    }

    /// The label shown in lists and the audit log.
    pub fn label(&self) -> String {
        match &self.kind {
            ActorKind::Operator => "operator CLI".to_owned(),
            ActorKind::Policy => "organisation policy".to_owned(),
            ActorKind::User { email, .. } => email.clone(),
            ActorKind::Anonymous => "anonymous".to_owned(),
            ActorKind::ApiKey(key) => format!("API key {} ({})", key.name(), key.hint()),
            ActorKind::LeakReport { via } => format!("leak report ({via})"),
        }
    }

    /// The acting user's id, if a user acts.
    pub fn user_id(&self) -> Option<crate::domain::UserId> {
        match &self.kind {
            ActorKind::User { id, .. } => Some(id.clone()),
            ActorKind::Operator
            | ActorKind::Anonymous
            | ActorKind::ApiKey(_)
            | ActorKind::Policy
            | ActorKind::LeakReport { .. } => None,
        }
    }
}

/// The services, sharing one database, secret and clock.
#[derive(Clone, Debug)]
pub struct Services {
    db: Db,
    secret: Arc<ServerSecret>,
    clock: Arc<dyn Clock>,
    setup_token: Option<Arc<secrecy::SecretString>>,
    throttle: Arc<throttle::Throttle>,
    hashing: Arc<hashing::HashingQueue>,
    reveals: Arc<reveal::RevealStore>,
    key_cache: Arc<key_cache::KeyCache>,
    usage_counts: Arc<usage::UsageRecorder>,
    usage_retention_days: u32,
    usage_flush: std::time::Duration,
    project_orgs: Arc<verify::ProjectOrgs>,
    leak_reports: Arc<leaks::LeakReportLimit>,
    webhooks: Arc<webhooks::WebhookSettings>,
}

impl Services {
    /// Services over `db`, digesting keys with `secret`, telling time by `clock`.
    pub fn new(db: Db, secret: Arc<ServerSecret>, clock: Arc<dyn Clock>) -> Self {
        Self {
            db,
            secret,
            clock,
            setup_token: None,
            throttle: Arc::new(throttle::Throttle::default()),
            hashing: Arc::new(hashing::HashingQueue::default()),
            reveals: Arc::new(reveal::RevealStore::default()),
            key_cache: Arc::new(key_cache::KeyCache::default()),
            usage_counts: Arc::new(usage::UsageRecorder::default()),
            usage_retention_days: usage::DEFAULT_RETENTION_DAYS,
            usage_flush: key_sync::USAGE_FLUSH,
            project_orgs: Arc::new(verify::ProjectOrgs::default()),
            leak_reports: Arc::new(leaks::LeakReportLimit::default()),
            webhooks: Arc::new(webhooks::WebhookSettings::default()),
        }
    }

    /// Replaces the key cache (size and TTL from configuration; capacity 0 turns it off).
    pub fn with_key_cache(mut self, cache: key_cache::KeyCache) -> Self {
        self.key_cache = Arc::new(cache);
        self
    }

    /// Sets how webhooks are delivered (private destinations, the retry schedule).
    pub fn with_webhooks(mut self, settings: webhooks::WebhookSettings) -> Self {
        self.webhooks = Arc::new(settings);
        self
    }

    /// Sets the one-time token that first-run setup requires.
    pub fn with_setup_token(mut self, token: secrecy::SecretString) -> Self {
        self.setup_token = Some(Arc::new(token));
        self
    }

    /// The database.
    pub fn db(&self) -> &Db {
        &self.db
    }

    /// The server secret.
    pub fn secret(&self) -> &ServerSecret {
        &self.secret
    }

    /// Now, in unix milliseconds.
    pub fn now(&self) -> i64 {
        self.clock.now_ms()
    }
}

/// What the server knows about a request before any page or server function runs:
/// the signed-in user (from the session cookie) and where the request came from.
/// The server's middleware puts it in the request's extensions.
#[derive(Clone, Debug, Default)]
pub struct RequestContext {
    /// The user, when the session cookie names a live session.
    pub user: Option<SessionUser>,
    /// Client address.
    pub ip: Option<String>,
    /// Client user agent.
    pub user_agent: Option<String>,
    /// The browser's device cookie ([`DEVICE_COOKIE`]), if it sent one.
    pub device: Option<String>,
}

impl RequestContext {
    /// The actor for service calls: the user, or anonymous.
    pub fn actor(&self) -> Actor {
        match &self.user {
            Some(user) => Actor::user(user, self.ip.clone(), self.user_agent.clone()),
            None => Actor::anonymous(self.ip.clone(), self.user_agent.clone()),
        }
    }
}

/// Name of the session cookie. The `__Host-` prefix makes the browser insist on
/// `Secure`, `Path=/` and no `Domain`, so no subdomain can plant or read it.
pub const SESSION_COOKIE: &str = "__Host-gtx_session";
