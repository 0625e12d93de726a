//! Browser-safe domain model: key types, the permission model, the key format, ids and
//! input validation. No I/O, no secrets, no server-only dependencies.

pub mod destination;
pub mod duration;
pub mod ids;
pub mod ip_allowlist;
pub mod key_format;
pub mod key_list;
pub mod key_type;
pub mod level;
pub mod lifetime;
pub mod permission;
pub mod policy;
pub mod problem;
pub mod status;
pub mod time;
pub mod usage;
pub mod validation;
pub mod webhook_event;

pub use ids::{AuditEventId, KeyId, OrgId, ProjectId, UserId};
pub use ip_allowlist::IpAllowList;
pub use key_format::{KeyFormatError, ParsedKey};
pub use key_type::KeyType;
pub use permission::{Level, Permission, PermissionSet, Resource};
pub use status::{KeyStatus, Role};

/// Text that names none of an enum's values (a key type, a permission, a role), as the
/// CLI and the API report it: `unknown role "owner": expected admin or member`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {what} {text:?}: expected {expected}")]
pub struct UnknownText {
    /// What was being named.
    pub what: &'static str,
    /// The text given.
    pub text: String,
    /// The values that would have done.
    pub expected: &'static str,
}

impl UnknownText {
    /// `text`, which is not a `what` (one of `expected`).
    pub fn of(what: &'static str, text: &str, expected: &'static str) -> Self {
        let text = text.to_owned();
        Self {
            what,
            text,
            expected,
        }
    }
}
