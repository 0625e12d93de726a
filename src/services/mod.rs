//! Services: the only layer that writes. Each public method authorises the actor,
//! validates input, runs one transaction, and writes the audit event inside it.
//! The dashboard's server functions, the REST API and the operator CLI all call these.

mod audit;
mod keys;
mod orgs;
mod projects;
mod startup;

pub use keys::{CreatedKey, KeyListScope, KeyScope, NewKey};
pub use orgs::OrgWithProjects;
pub use projects::DEFAULT_LOCALE;

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

#[derive(Clone, Debug, PartialEq, Eq)]
enum ActorKind {
    /// The operator running `gtx-keys` commands on the server: full authority, like
    /// anyone with the database file.
    Operator,
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

    /// The label shown in lists and the audit log.
    pub fn label(&self) -> String {
        match &self.kind {
            ActorKind::Operator => "operator CLI".to_owned(),
        }
    }

    fn user_id(&self) -> Option<crate::domain::UserId> {
        match &self.kind {
            ActorKind::Operator => None,
        }
    }
}

/// The services, sharing one database, secret and clock.
#[derive(Clone, Debug)]
pub struct Services {
    db: Db,
    secret: Arc<ServerSecret>,
    clock: Arc<dyn Clock>,
}

impl Services {
    /// Services over `db`, digesting keys with `secret`, telling time by `clock`.
    pub fn new(db: Db, secret: Arc<ServerSecret>, clock: Arc<dyn Clock>) -> Self {
        Self { db, secret, clock }
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
