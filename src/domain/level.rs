//! The access levels of the permission selector: what a key may do with one
//! [`Resource`].

use super::permission::Resource;
use serde::{Deserialize, Serialize};

/// An access level in the selector.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    /// "No access"
    NoAccess,
    /// "Read"
    Read,
    /// "Write" (includes Read)
    Write,
    /// "Enabled"
    Enabled,
}

impl Level {
    /// Every level, in the selector's order.
    pub const ALL: [Level; 4] = [Self::NoAccess, Self::Read, Self::Write, Self::Enabled];

    /// The value of the level's radio button in the permission selector's form (the
    /// name it has in JSON too).
    pub const fn form_value(self) -> &'static str {
        match self {
            Self::NoAccess => "no_access",
            Self::Read => "read",
            Self::Write => "write",
            Self::Enabled => "enabled",
        }
    }

    /// The level whose [`Level::form_value`] is `value`.
    pub fn from_form_value(value: &str) -> Option<Self> {
        Self::ALL
            .into_iter()
            .find(|level| level.form_value() == value)
    }

    /// The option's label.
    pub const fn label(self) -> &'static str {
        match self {
            Self::NoAccess => "No access",
            Self::Read => "Read",
            Self::Write => "Write",
            Self::Enabled => "Enabled",
        }
    }
}

/// A level that the resource does not offer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{} has no level {}", resource.label(), level.label())]
pub struct InvalidLevel {
    /// The resource.
    pub resource: Resource,
    /// The level asked for.
    pub level: Level,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn from_form_value_reads_back_every_form_value() {
        for level in Level::ALL {
            assert_eq!(Level::from_form_value(level.form_value()), Some(level));
            // The form value is the level's JSON name too.
            assert_eq!(
                serde_json::to_string(&level).expect("json"),
                format!("\"{}\"", level.form_value())
            );
        }
        assert_eq!(Level::from_form_value("admin"), None);
        assert_eq!(Level::from_form_value(""), None);
    }
}
