//! The three kinds of API key and their prefixes.

use super::UnknownText;
use serde::{Deserialize, Serialize};
use strum::{Display, EnumString, IntoStaticStr};

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
    Display,
    EnumString,
    IntoStaticStr,
)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case", parse_err_ty = UnknownText, parse_err_fn = unknown_key_type)]
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

fn unknown_key_type(text: &str) -> UnknownText {
    UnknownText::of("key type", text, "production, development or organisation")
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
