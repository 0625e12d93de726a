//! Rows as the repositories return them. Times are unix milliseconds.
//!
//! Types that carry a credential or a password hash do not derive `Serialize`.

use crate::domain::status::Role;
use crate::domain::{
    IpAllowList, KeyId, KeyStatus, KeyType, OrgId, PermissionSet, ProjectId, UserId,
};
use serde::Serialize;

/// An organisation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Organisation {
    /// Id.
    pub id: OrgId,
    /// Display name.
    pub name: String,
    /// Creation time.
    pub created_at: i64,
}

/// A user account. Holds the password hash: no `Serialize`, and `Debug` hides the hash.
#[derive(Clone, PartialEq, Eq)]
pub struct User {
    /// Id.
    pub id: UserId,
    /// Lowercased email.
    pub email: String,
    /// Display name.
    pub name: String,
    /// argon2id PHC string, if a password is set.
    pub password_hash: Option<String>,
    /// Creation time.
    pub created_at: i64,
}

impl User {
    /// A new account, with a fresh id and a password.
    pub fn with_password(email: String, name: String, password_hash: String, now: i64) -> Self {
        Self {
            id: UserId(super::repo::new_id()),
            email,
            name,
            password_hash: Some(password_hash),
            created_at: now,
        }
    }
}

impl std::fmt::Debug for User {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("User")
            .field("id", &self.id)
            .field("email", &self.email)
            .field("name", &self.name)
            .field(
                "password_hash",
                &self.password_hash.as_ref().map(|_| "[redacted]"),
            )
            .finish()
    }
}

/// A user's membership of an organisation.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Membership {
    /// The organisation.
    pub org_id: OrgId,
    /// The user.
    pub user_id: UserId,
    /// Their role.
    pub role: Role,
    /// When they joined.
    pub created_at: i64,
}

impl Membership {
    /// `user_id`'s membership of `org_id` with `role`, from `now`.
    pub fn new(org_id: &OrgId, user_id: &UserId, role: Role, now: i64) -> Self {
        Self {
            org_id: org_id.clone(),
            user_id: user_id.clone(),
            role,
            created_at: now,
        }
    }
}

/// A project.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Project {
    /// Id (the `GT_PROJECT_ID`).
    pub id: ProjectId,
    /// Owning organisation.
    pub org_id: OrgId,
    /// Display name.
    pub name: String,
    /// Normalised BCP 47 tag.
    pub default_locale: String,
    /// Creation time.
    pub created_at: i64,
}

/// An API key as stored: never the key, and the digest only where a lookup needs it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ApiKeyRecord {
    /// Id.
    pub id: KeyId,
    /// Organisation.
    pub org_id: OrgId,
    /// Project, for project keys.
    pub project_id: Option<ProjectId>,
    /// Key type.
    pub key_type: KeyType,
    /// Name.
    pub name: String,
    /// Digest scheme.
    pub hash_version: i64,
    /// Masked form.
    pub hint: String,
    /// Effective permissions (project keys: all but project creation).
    pub permissions: PermissionSet,
    /// Creating user, if a user made it.
    pub created_by: Option<UserId>,
    /// Who made it, as shown.
    pub created_by_label: String,
    /// Creation time.
    pub created_at: i64,
    /// Expiry, if any.
    pub expires_at: Option<i64>,
    /// Revocation time, if revoked.
    pub revoked_at: Option<i64>,
    /// Who revoked it.
    pub revoked_by_label: Option<String>,
    /// The key this one replaced.
    pub rotated_from: Option<KeyId>,
    /// The key that replaced this one.
    pub replaced_by: Option<KeyId>,
    /// Last use, minute precision.
    pub last_used_at: Option<i64>,
    /// What the key is for, as its admins describe it ('' when not given).
    pub description: String,
    /// When it was disabled (paused), while it is.
    pub disabled_at: Option<i64>,
    /// The networks it may be used from; empty for any address.
    pub ip_allowlist: IpAllowList,
}

impl ApiKeyRecord {
    /// Status at `now`.
    pub fn status(&self, now: i64) -> KeyStatus {
        KeyStatus::at(now, self.expires_at, self.revoked_at, self.disabled_at)
    }
}

/// What is inserted for a new key.
#[derive(Clone, Debug)]
pub struct NewApiKey {
    /// Id.
    pub id: KeyId,
    /// Organisation.
    pub org_id: OrgId,
    /// Project, for project keys.
    pub project_id: Option<ProjectId>,
    /// Type.
    pub key_type: KeyType,
    /// Name.
    pub name: String,
    /// HMAC digest of the key.
    pub digest: [u8; 32],
    /// Digest scheme.
    pub hash_version: i64,
    /// Masked form.
    pub hint: String,
    /// Permissions.
    pub permissions: PermissionSet,
    /// Creating user.
    pub created_by: Option<UserId>,
    /// Who made it, as shown.
    pub created_by_label: String,
    /// Creation time.
    pub created_at: i64,
    /// Expiry.
    pub expires_at: Option<i64>,
    /// The key this one replaces.
    pub rotated_from: Option<KeyId>,
    /// Description ('' for none).
    pub description: String,
    /// The networks it may be used from; empty for any.
    pub ip_allowlist: IpAllowList,
}

/// A server-side session. The token itself is never stored.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionRecord {
    /// Id.
    pub id: String,
    /// The signed-in user.
    pub user_id: UserId,
    /// Creation time.
    pub created_at: i64,
    /// Last request seen (idle timeout).
    pub last_seen_at: i64,
    /// Absolute expiry.
    pub expires_at: i64,
    /// Client address at sign-in.
    pub ip: Option<String>,
    /// User agent at sign-in.
    pub user_agent: Option<String>,
}

/// An audit event.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AuditEvent {
    /// Id (UUIDv7).
    pub id: String,
    /// Organisation, if any.
    pub org_id: Option<OrgId>,
    /// Acting user, if a user acted.
    pub actor_user_id: Option<UserId>,
    /// Who acted, as shown.
    pub actor_label: String,
    /// What was done, e.g. `key.revoke`.
    pub action: String,
    /// Kind of target.
    pub target_type: Option<String>,
    /// Target id.
    pub target_id: Option<String>,
    /// Target name then.
    pub target_label: Option<String>,
    /// JSON details (never secrets).
    pub details: Option<String>,
    /// Client address.
    pub ip: Option<String>,
    /// User agent.
    pub user_agent: Option<String>,
    /// When.
    pub occurred_at: i64,
}

/// An invitation to an organisation. The token is never stored.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Invite {
    /// Id.
    pub id: String,
    /// The organisation.
    pub org_id: OrgId,
    /// Lowercased email invited.
    pub email: String,
    /// Role granted on acceptance.
    pub role: Role,
    /// The inviting user, if a user invited.
    pub invited_by: Option<UserId>,
    /// Creation time.
    pub created_at: i64,
    /// The link stops working at this time.
    pub expires_at: i64,
    /// When it was accepted.
    pub accepted_at: Option<i64>,
    /// When it was withdrawn.
    pub revoked_at: Option<i64>,
}
