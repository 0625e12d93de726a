//! How long keys live: the expiry chosen at creation and the grace period of a rotation.

use super::duration::MAX_EXPIRY_MS;
use super::time::{DAY_MS, HOUR_MS, parse_date};
use super::validation::{FieldError, Problem};
use serde::{Deserialize, Serialize};
use strum::{Display, EnumString, IntoStaticStr};

/// The expiry choices of the create form, by their form value.
pub const EXPIRY_CHOICES: [(&str, &str); 6] = [
    ("never", "Never"),
    ("30d", "30 days"),
    ("60d", "60 days"),
    ("90d", "90 days"),
    ("1y", "1 year"),
    ("date", "On a date"),
];

/// The expiry (unix ms) that a create form asks for: `choice` is one of
/// [`EXPIRY_CHOICES`]; with `date`, `date` is `YYYY-MM-DD` and the key works until the
/// end of that day (UTC). Errors name the field to fix (`expires` or `expires_on`).
pub fn expiry_from_form(choice: &str, date: &str, now: i64) -> Result<Option<i64>, FieldError> {
    let days = match choice.trim() {
        "" | "never" => return Ok(None),
        "30d" => 30,
        "60d" => 60,
        "90d" => 90,
        "1y" => 365,
        "date" => {
            let day = parse_date(date)
                .ok_or_else(|| FieldError::new("expires_on", Problem::ExpiryDateFormat))?;
            let end_of_day = (day + 1) * DAY_MS - 1;
            if end_of_day <= now {
                return Err(FieldError::new("expires_on", Problem::ExpiryDatePast));
            }
            if end_of_day - now > MAX_EXPIRY_MS {
                return Err(FieldError::new("expires_on", Problem::ExpiryDateTooFar));
            }
            return Ok(Some(end_of_day));
        }
        _ => {
            return Err(FieldError::new("expires", Problem::ExpiryChoice));
        }
    };
    Ok(Some(now + days * DAY_MS))
}

/// How long a rotated key keeps working after its replacement is made.
#[derive(
    Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, Display, EnumString, IntoStaticStr,
)]
#[strum(parse_err_ty = FieldError, parse_err_fn = grace_error)]
pub enum GracePeriod {
    /// The old key stops at once.
    #[serde(rename = "now")]
    #[strum(serialize = "now")]
    Now,
    /// One hour.
    #[serde(rename = "1h")]
    #[strum(serialize = "1h")]
    OneHour,
    /// 24 hours.
    #[serde(rename = "24h")]
    #[strum(serialize = "24h")]
    OneDay,
    /// 7 days.
    #[serde(rename = "7d")]
    #[strum(serialize = "7d")]
    SevenDays,
}

impl GracePeriod {
    /// Every choice, shortest first.
    pub const ALL: [GracePeriod; 4] = [Self::Now, Self::OneHour, Self::OneDay, Self::SevenDays];

    /// The form value.
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// The label shown next to the radio button.
    pub const fn label(self) -> &'static str {
        match self {
            Self::Now => "Now",
            Self::OneHour => "1 hour",
            Self::OneDay => "24 hours",
            Self::SevenDays => "7 days",
        }
    }

    /// Its length in milliseconds.
    pub const fn ms(self) -> i64 {
        match self {
            Self::Now => 0,
            Self::OneHour => HOUR_MS,
            Self::OneDay => DAY_MS,
            Self::SevenDays => 7 * DAY_MS,
        }
    }

    /// When the old key stops working if rotated at `now`: the grace period's end, but
    /// never later than the key's own expiry.
    pub fn old_key_ends_at(self, now: i64, old_expires_at: Option<i64>) -> i64 {
        let end = now + self.ms();
        old_expires_at.map_or(end, |e| e.min(end))
    }
}

fn grace_error(_: &str) -> FieldError {
    FieldError::new("grace", Problem::Grace)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 20_000 * DAY_MS + 5 * HOUR_MS;

    #[test]
    fn expiry_from_form_covers_every_choice() {
        assert_eq!(expiry_from_form("never", "", NOW), Ok(None));
        assert_eq!(expiry_from_form("", "", NOW), Ok(None));
        assert_eq!(
            expiry_from_form("30d", "", NOW),
            Ok(Some(NOW + 30 * DAY_MS))
        );
        assert_eq!(
            expiry_from_form("60d", "", NOW),
            Ok(Some(NOW + 60 * DAY_MS))
        );
        assert_eq!(
            expiry_from_form("90d", "", NOW),
            Ok(Some(NOW + 90 * DAY_MS))
        );
        assert_eq!(
            expiry_from_form("1y", "", NOW),
            Ok(Some(NOW + 365 * DAY_MS))
        );
        // 20_010 days after the epoch is 2024-10-14; the key works to the end of that day.
        assert_eq!(
            expiry_from_form("date", "2024-10-14", NOW),
            Ok(Some(20_011 * DAY_MS - 1))
        );
    }

    #[test]
    fn expiry_from_form_rejects_bad_choices_with_the_field() {
        let field = |c: &str, d: &str| expiry_from_form(c, d, NOW).err().map(|e| e.field);
        assert_eq!(field("2d", "").as_deref(), Some("expires"));
        assert_eq!(field("date", "").as_deref(), Some("expires_on"));
        assert_eq!(field("date", "2024-02-30").as_deref(), Some("expires_on"));
        // Yesterday, and today (its end is still ahead, so today is allowed).
        assert_eq!(field("date", "2024-10-03").as_deref(), Some("expires_on"));
        assert_eq!(
            expiry_from_form("date", "2024-10-04", NOW).map(|e| e.is_some()),
            Ok(true)
        );
        assert_eq!(field("date", "2040-01-01").as_deref(), Some("expires_on"));
    }

    #[test]
    fn grace_period_never_outlives_the_old_key() {
        assert_eq!(GracePeriod::Now.old_key_ends_at(NOW, None), NOW);
        assert_eq!(
            GracePeriod::OneHour.old_key_ends_at(NOW, None),
            NOW + HOUR_MS
        );
        assert_eq!(
            GracePeriod::SevenDays.old_key_ends_at(NOW, Some(NOW + DAY_MS)),
            NOW + DAY_MS
        );
        assert_eq!(
            GracePeriod::OneDay.old_key_ends_at(NOW, Some(NOW + 30 * DAY_MS)),
            NOW + DAY_MS
        );
        for g in GracePeriod::ALL {
            assert_eq!(g.as_str().parse::<GracePeriod>(), Ok(g));
        }
        assert!("2h".parse::<GracePeriod>().is_err());
    }
}
