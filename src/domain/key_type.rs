//! The three kinds of API key and their prefixes.

use serde::{Deserialize, Serialize};

/// The kind of an API key. The kind is visible in the key's prefix, so scanners and the
/// key API can tell them apart without any database work.
#[derive(
    Clone,
    Copy,
    Debug,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Serialize,
    Deserialize,
    strum::Display,
    strum::EnumString,
    strum::IntoStaticStr,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case", parse_err_ty = UnknownKeyType, parse_err_fn = UnknownKeyType::from)]
pub enum KeyType {
    /// Project key for deployed apps and production automation (`gtx-api-`).
    Production,
    /// Project key for local development, previews and tests (`gtx-dev-`).
    Development,
    /// Organisation key, valid on every project of the organisation (`gtx-org-`).
    Organisation,
}

impl KeyType {
    /// Every key type, in display order.
    pub const ALL: [KeyType; 3] = [Self::Production, Self::Development, Self::Organisation];

    /// The key prefix, e.g. `gtx-api-`.
    pub const fn prefix(self) -> &'static str {
        match self {
            Self::Production => "gtx-api-",
            Self::Development => "gtx-dev-",
            Self::Organisation => "gtx-org-",
        }
    }

    /// The stable text form used in the database, the CLI and the API.
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// Human label for the dashboard.
    pub const fn label(self) -> &'static str {
        match self {
            Self::Production => "Production",
            Self::Development => "Development",
            Self::Organisation => "Organisation",
        }
    }

    /// Whether keys of this type belong to one project.
    pub const fn is_project_key(self) -> bool {
        !matches!(self, Self::Organisation)
    }

    /// The key type whose prefix starts `key`, if any.
    pub fn from_key_prefix(key: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|t| key.starts_with(t.prefix()))
    }
}

/// Text that names no key type.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown key type {0:?}: expected production, development or organisation")]
pub struct UnknownKeyType(pub String);

impl From<&str> for UnknownKeyType {
    fn from(text: &str) -> Self {
        Self(text.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn prefixes_are_distinct_and_same_length() {
        let prefixes: Vec<_> = KeyType::ALL.iter().map(|t| t.prefix()).collect();
        assert_eq!(prefixes, ["gtx-api-", "gtx-dev-", "gtx-org-"]);
        assert!(prefixes.iter().all(|p| p.len() == 8));
    }

    #[test]
    fn parse_roundtrips_every_type() {
        for t in KeyType::ALL {
            assert_eq!(t.as_str().parse::<KeyType>(), Ok(t));
        }
        assert!("prod".parse::<KeyType>().is_err());
    }
}
