//! Key status and roles: derived facts the dashboard and the services agree on.

use super::UnknownText;
use serde::{Deserialize, Serialize};
use std::fmt;
use strum::{EnumString, IntoStaticStr};

pub use super::time::DAY_MS;
/// A key unused this long is flagged so admins can revoke keys no longer in use.
pub const UNUSED_FLAG_MS: i64 = 90 * DAY_MS;
/// A key this close to its expiry shows as "expiring".
pub const EXPIRING_WINDOW_MS: i64 = 7 * DAY_MS;

/// A key's status at a moment.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeyStatus {
    /// Works.
    Active,
    /// Works, but stops within [`EXPIRING_WINDOW_MS`] (or at the end of a rotation's grace period).
    Expiring,
    /// Its expiry has passed.
    Expired,
    /// Revoked: fails every check.
    Revoked,
    /// Paused by an admin: fails every check until enabled again.
    Disabled,
}

impl KeyStatus {
    /// The status of a key with these facts at `now` (all unix ms), decided in the
    /// order the key API checks them: revoked, expired, disabled.
    pub fn at(
        now: i64,
        expires_at: Option<i64>,
        revoked_at: Option<i64>,
        disabled_at: Option<i64>,
    ) -> Self {
        if revoked_at.is_some_and(|r| r <= now) {
            return Self::Revoked;
        }
        match expires_at {
            Some(e) if e <= now => Self::Expired,
            _ if disabled_at.is_some() => Self::Disabled,
            Some(e) if e - now <= EXPIRING_WINDOW_MS => Self::Expiring,
            _ => Self::Active,
        }
    }

    /// Whether a key in this status passes a check.
    pub const fn is_usable(self) -> bool {
        matches!(self, Self::Active | Self::Expiring)
    }

    /// Lower-case name.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Active => "active",
            Self::Expiring => "expiring",
            Self::Expired => "expired",
            Self::Revoked => "revoked",
            Self::Disabled => "disabled",
        }
    }

    /// Human label.
    pub const fn label(self) -> &'static str {
        match self {
            Self::Active => "Active",
            Self::Expiring => "Expiring",
            Self::Expired => "Expired",
            Self::Revoked => "Revoked",
            Self::Disabled => "Disabled",
        }
    }
}

impl fmt::Display for KeyStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// Whether a key should be flagged as unused: no use (or creation, if never used) for
/// [`UNUSED_FLAG_MS`].
pub fn is_stale(now: i64, created_at: i64, last_used_at: Option<i64>) -> bool {
    now - last_used_at.unwrap_or(created_at) >= UNUSED_FLAG_MS
}

/// A member's role in an organisation.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, EnumString, IntoStaticStr,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case", parse_err_ty = UnknownText, parse_err_fn = unknown_role)]
pub enum Role {
    /// Manages everything in the organisation.
    Admin,
    /// Manages the keys of the projects they belong to.
    Member,
}

impl Role {
    /// Lower-case name, as stored.
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// Human label.
    pub const fn label(self) -> &'static str {
        match self {
            Self::Admin => "Admin",
            Self::Member => "Member",
        }
    }
}

fn unknown_role(text: &str) -> UnknownText {
    UnknownText::of("role", text, "admin or member")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn status_follows_revocation_then_expiry() {
        let now = 1_000 * DAY_MS;
        assert_eq!(KeyStatus::at(now, None, None, None), KeyStatus::Active);
        assert_eq!(
            KeyStatus::at(now, Some(now + 30 * DAY_MS), None, None),
            KeyStatus::Active
        );
        assert_eq!(
            KeyStatus::at(now, Some(now + DAY_MS), None, None),
            KeyStatus::Expiring
        );
        assert_eq!(
            KeyStatus::at(now, Some(now), None, None),
            KeyStatus::Expired
        );
        assert_eq!(
            KeyStatus::at(now, Some(now + DAY_MS), Some(now - 1), None),
            KeyStatus::Revoked
        );
        let paused = Some(now - DAY_MS);
        assert_eq!(KeyStatus::at(now, None, None, paused), KeyStatus::Disabled);
        assert_eq!(
            KeyStatus::at(now, Some(now + DAY_MS), None, paused),
            KeyStatus::Disabled
        );
        assert_eq!(
            KeyStatus::at(now, Some(now), None, paused),
            KeyStatus::Expired
        );
        assert_eq!(
            KeyStatus::at(now, None, Some(now), paused),
            KeyStatus::Revoked
        );
        assert!(!KeyStatus::Disabled.is_usable());
        assert!(!KeyStatus::Expired.is_usable());
        assert!(KeyStatus::Expiring.is_usable());
    }

    #[test]
    fn stale_after_ninety_days_without_use() {
        let now = 1_000 * DAY_MS;
        assert!(!is_stale(now, now - 10 * DAY_MS, None));
        assert!(is_stale(now, now - 91 * DAY_MS, None));
        assert!(!is_stale(now, now - 200 * DAY_MS, Some(now - DAY_MS)));
    }
}
