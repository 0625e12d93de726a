//! The service layer's error: what went wrong, in terms a caller can map to a response.
//! Storage details are logged where they happen and never shown to clients.

use crate::db::DbError;
use crate::domain::validation::{FieldError, Problem};

/// Why a service call failed.
#[derive(Debug, thiserror::Error)]
pub enum CoreError {
    /// The input was invalid; the message belongs next to the named field.
    #[error("{0}")]
    Invalid(#[from] FieldError),
    /// The thing does not exist (or exists in another tenant: the caller cannot tell).
    #[error("{what} not found")]
    NotFound {
        /// What was looked for: "organisation", "project", "key", …
        what: &'static str,
    },
    /// The change conflicts with the current state (an already-revoked key, the last admin).
    #[error("{0}")]
    Conflict(Problem),
    /// Too many failed attempts; try again later.
    #[error("too many failed attempts; try again in {retry_after_secs} seconds")]
    TooManyAttempts {
        /// Seconds until the next attempt is allowed.
        retry_after_secs: i64,
    },
    /// The server is at its limit of concurrent work of this kind (password hashing);
    /// try again shortly.
    #[error("the server is busy; try again in {retry_after_secs} seconds")]
    Busy {
        /// Seconds to wait before trying again.
        retry_after_secs: i64,
    },
    /// The credentials were wrong (one message for unknown email and wrong password).
    #[error("the email or password is not correct")]
    BadCredentials,
    /// The actor may not do this.
    #[error("you do not have permission to do that")]
    Forbidden,
    /// An API key lacks permissions the action needs (never empty).
    #[error("the API key lacks the permission {}", .0.to_strings().join(", "))]
    MissingPermissions(crate::domain::PermissionSet),
    /// The database holds keys digested under a secret this server does not have.
    #[error(
        "the database holds {live_keys} key(s) made under a different server secret; start with the \
         original secret (the data directory's server-secret file or GTX_SERVER_SECRET), or every key \
         would be rejected"
    )]
    SecretMismatch {
        /// How many live keys would stop working.
        live_keys: i64,
    },
    /// Something on the server side failed (details were logged where it happened).
    #[error("internal error: {0}")]
    Internal(&'static str),
    /// Storage failed.
    #[error("storage error")]
    Db(#[from] DbError),
}

impl From<sqlx::Error> for CoreError {
    fn from(e: sqlx::Error) -> Self {
        Self::Db(DbError::Sqlx(e))
    }
}

impl CoreError {
    /// Whether this is a unique-constraint violation of the named index or constraint.
    /// PostgreSQL reports the constraint's name; SQLite names the index in its message.
    pub fn is_unique_violation(&self, constraint: &str) -> bool {
        match self {
            Self::Db(DbError::Sqlx(sqlx::Error::Database(db))) => {
                db.is_unique_violation()
                    && (db.constraint() == Some(constraint) || db.message().contains(constraint))
            }
            _ => false,
        }
    }
}

/// Shorthand for service results.
pub type CoreResult<T> = Result<T, CoreError>;
