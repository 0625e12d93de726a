//! Browser-safe domain model: key types, the permission model, the key format, ids and
//! input validation. No I/O, no secrets, no server-only dependencies.

pub mod duration;
pub mod ids;
pub mod key_format;
pub mod key_type;
pub mod level;
pub mod lifetime;
pub mod permission;
pub mod status;
pub mod time;
pub mod validation;

pub use ids::{AuditEventId, KeyId, OrgId, ProjectId, UserId};
pub use key_format::{KeyFormatError, ParsedKey};
pub use key_type::KeyType;
pub use permission::{Level, Permission, PermissionSet, Resource};
pub use status::{KeyStatus, Role};
