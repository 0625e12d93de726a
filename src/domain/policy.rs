//! An organisation's key policy: the longest a key may live, and how long a key may go
//! unused before it is disabled.

use super::time::DAY_MS;
use super::validation::{FieldError, Problem};
use serde::{Deserialize, Serialize};

/// The maximum key lifetimes an organisation may choose (days; `None`: no limit).
pub const LIFETIME_CHOICES: [Option<u32>; 4] = [None, Some(30), Some(90), Some(365)];
/// The "disable unused keys after" choices (days; `None`: off).
pub const UNUSED_CHOICES: [Option<u32>; 4] = [None, Some(30), Some(60), Some(90)];

/// An organisation's key policy.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrgPolicy {
    /// Keys expire within this many days; `None`: any expiry, or never.
    pub max_key_lifetime_days: Option<u32>,
    /// Keys unused this many days are disabled; `None`: never.
    pub disable_unused_after_days: Option<u32>,
}

/// A choice as a form sends it: `none` or the number of days.
pub fn choice_value(days: Option<u32>) -> String {
    days.map_or_else(|| "none".to_owned(), |d| d.to_string())
}

/// A choice's label: "None"/"Off" or "30 days".
pub fn choice_label(days: Option<u32>, none: &'static str) -> String {
    days.map_or_else(|| none.to_owned(), |d| format!("{d} days"))
}

fn parse_choice(text: &str, choices: &[Option<u32>]) -> Option<Option<u32>> {
    let days = match text.trim() {
        "" | "none" | "off" => None,
        t => Some(t.parse::<u32>().ok()?),
    };
    choices.contains(&days).then_some(days)
}

impl OrgPolicy {
    /// The policy a settings form posts: each field `none` or one of its day counts.
    pub fn from_form(
        max_key_lifetime: &str,
        disable_unused_after: &str,
    ) -> Result<Self, FieldError> {
        let max_key_lifetime_days = parse_choice(max_key_lifetime, &LIFETIME_CHOICES)
            .ok_or_else(|| FieldError::new("max_key_lifetime", Problem::PolicyLifetime))?;
        let disable_unused_after_days = parse_choice(disable_unused_after, &UNUSED_CHOICES)
            .ok_or_else(|| FieldError::new("disable_unused_after", Problem::PolicyUnused))?;
        Ok(Self {
            max_key_lifetime_days,
            disable_unused_after_days,
        })
    }

    /// The latest expiry a key made at `now` may have, if the policy limits it.
    pub fn latest_expiry(&self, now: i64) -> Option<i64> {
        self.max_key_lifetime_days
            .map(|d| now + i64::from(d) * DAY_MS)
    }

    /// Whether a key made at `now` may expire at `expires_at` (`None`: never).
    pub fn allows(&self, expires_at: Option<i64>, now: i64) -> bool {
        match (self.latest_expiry(now), expires_at) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(latest), Some(at)) => at <= latest,
        }
    }

    /// Whether the create form offers the expiry choice `choice` (one of
    /// `lifetime::EXPIRY_CHOICES`): a date is always offered, and checked when posted.
    pub fn offers(&self, choice: &str) -> bool {
        let days = match choice {
            "never" => None,
            "30d" => Some(30),
            "60d" => Some(60),
            "90d" => Some(90),
            "1y" => Some(365),
            _ => return true,
        };
        match (self.max_key_lifetime_days, days) {
            (None, _) => true,
            (Some(_), None) => false,
            (Some(max), Some(d)) => d <= max,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_values_are_the_offered_choices_only() {
        let policy = OrgPolicy::from_form("90", "none");
        assert_eq!(
            policy,
            Ok(OrgPolicy {
                max_key_lifetime_days: Some(90),
                disable_unused_after_days: None
            })
        );
        assert!(OrgPolicy::from_form("45", "none").is_err());
        assert!(OrgPolicy::from_form("none", "365").is_err());
        assert_eq!(
            OrgPolicy::from_form("none", "60").map(|p| p.disable_unused_after_days),
            Ok(Some(60))
        );
    }

    #[test]
    fn lifetime_limits_expiry_and_the_offered_choices() {
        let now = 1_000 * DAY_MS;
        let p = OrgPolicy {
            max_key_lifetime_days: Some(90),
            disable_unused_after_days: None,
        };
        assert!(!p.allows(None, now), "never is longer than any limit");
        assert!(p.allows(Some(now + 90 * DAY_MS), now));
        assert!(!p.allows(Some(now + 90 * DAY_MS + 1), now));
        let offered: Vec<&str> = ["never", "30d", "60d", "90d", "1y", "date"]
            .into_iter()
            .filter(|c| p.offers(c))
            .collect();
        assert_eq!(offered, ["30d", "60d", "90d", "date"]);
        assert!(OrgPolicy::default().allows(None, now));
    }
}
