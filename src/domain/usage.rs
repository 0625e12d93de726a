//! A key's usage as the dashboard and the CLI show it: the outcomes counted, the ranges a
//! chart covers, and a series of buckets. Browser-safe (the key detail page draws it).

use super::time::{DAY_MS, HOUR_MS};
use serde::{Deserialize, Serialize};

/// What a request made with a known key came to: `VALID` or a failure code that has a
/// key (`MALFORMED` and `NOT_FOUND` have none, so no key counts them).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Outcome {
    /// Passed.
    Valid,
    /// Revoked.
    Revoked,
    /// Past its expiry or its grace period.
    Expired,
    /// Disabled.
    Disabled,
    /// From an address outside its allow-list.
    IpNotAllowed,
    /// For a project it does not reach.
    WrongProject,
    /// Short of a permission.
    InsufficientPermissions,
}

/// How many outcomes there are.
pub const OUTCOMES: usize = 7;

impl Outcome {
    /// Every outcome, success first, then the failures in the order verify decides them.
    pub const ALL: [Outcome; OUTCOMES] = [
        Self::Valid,
        Self::Revoked,
        Self::Expired,
        Self::Disabled,
        Self::IpNotAllowed,
        Self::WrongProject,
        Self::InsufficientPermissions,
    ];

    /// The outcome's place in [`Self::ALL`].
    pub const fn index(self) -> usize {
        self as usize
    }

    /// The verify code, as stored and as the API spells it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Valid => "VALID",
            Self::Revoked => "REVOKED",
            Self::Expired => "EXPIRED",
            Self::Disabled => "DISABLED",
            Self::IpNotAllowed => "IP_NOT_ALLOWED",
            Self::WrongProject => "WRONG_PROJECT",
            Self::InsufficientPermissions => "INSUFFICIENT_PERMISSIONS",
        }
    }

    /// The outcome named by its code.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|o| o.as_str() == code)
    }

    /// Human label.
    pub const fn label(self) -> &'static str {
        match self {
            Self::Valid => "Succeeded",
            Self::Revoked => "Revoked",
            Self::Expired => "Expired",
            Self::Disabled => "Disabled",
            Self::IpNotAllowed => "IP not allowed",
            Self::WrongProject => "Wrong project",
            Self::InsufficientPermissions => "Missing permission",
        }
    }
}

/// Requests per outcome, indexed by [`Outcome::index`].
pub type OutcomeCounts = [u64; OUTCOMES];

/// The span a usage chart covers, and its bucket size.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum UsageRange {
    /// The last 24 hours, per hour.
    Day,
    /// The last 7 days, per day (UTC).
    #[default]
    Week,
    /// The last 30 days, per day (UTC).
    Month,
}

impl UsageRange {
    /// Every range, shortest first.
    pub const ALL: [UsageRange; 3] = [Self::Day, Self::Week, Self::Month];

    /// As the URL (`?range=`) and the CLI (`--since`) spell it.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Day => "24h",
            Self::Week => "7d",
            Self::Month => "30d",
        }
    }

    /// The range spelled `text`.
    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == text)
    }

    /// Human label (the range links' names).
    pub const fn label(self) -> &'static str {
        match self {
            Self::Day => "24 hours",
            Self::Week => "7 days",
            Self::Month => "30 days",
        }
    }

    /// One bucket, in ms.
    pub const fn bucket_ms(self) -> i64 {
        match self {
            Self::Day => HOUR_MS,
            Self::Week | Self::Month => DAY_MS,
        }
    }

    /// How many buckets.
    pub const fn buckets(self) -> usize {
        match self {
            Self::Day => 24,
            Self::Week => 7,
            Self::Month => 30,
        }
    }

    /// The start of the first bucket for a chart drawn at `now`: the last bucket is the
    /// one `now` is in.
    pub const fn first_bucket(self, now: i64) -> i64 {
        let b = self.bucket_ms();
        now - now.rem_euclid(b) - (self.buckets() as i64 - 1) * b
    }
}

/// Requests per bucket and outcome over a range.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct UsageSeries {
    /// The range.
    pub range: UsageRange,
    /// The first bucket's start (unix ms).
    pub first: i64,
    /// One entry per bucket, oldest first.
    pub buckets: Vec<OutcomeCounts>,
}

impl UsageSeries {
    /// A series of `range` at `now` with nothing counted.
    pub fn empty(range: UsageRange, now: i64) -> Self {
        Self {
            range,
            first: range.first_bucket(now),
            buckets: vec![[0; OUTCOMES]; range.buckets()],
        }
    }

    /// Adds `requests` of `outcome` at `at` (ignored outside the range).
    pub fn add(&mut self, at: i64, outcome: Outcome, requests: u64) {
        let offset = at - self.first;
        if offset < 0 {
            return;
        }
        let i = (offset / self.range.bucket_ms()) as usize;
        if let Some(bucket) = self.buckets.get_mut(i) {
            bucket[outcome.index()] += requests;
        }
    }

    /// The start of bucket `i`.
    pub fn start_of(&self, i: usize) -> i64 {
        self.first + i as i64 * self.range.bucket_ms()
    }

    /// Requests per outcome over the whole range.
    pub fn totals(&self) -> OutcomeCounts {
        let mut totals = [0; OUTCOMES];
        for bucket in &self.buckets {
            for (t, n) in totals.iter_mut().zip(bucket) {
                *t += n;
            }
        }
        totals
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn outcomes_read_back_from_their_codes() {
        for (i, o) in Outcome::ALL.into_iter().enumerate() {
            assert_eq!(o.index(), i);
            assert_eq!(Outcome::from_code(o.as_str()), Some(o));
        }
        assert_eq!(Outcome::from_code("MALFORMED"), None);
    }

    #[test]
    fn series_buckets_end_with_the_current_one() {
        let now = 20_000 * DAY_MS + 5 * HOUR_MS + 7;
        let day = UsageSeries::empty(UsageRange::Day, now);
        assert_eq!(day.buckets.len(), 24);
        assert_eq!(day.start_of(23), now - 7);
        let mut week = UsageSeries::empty(UsageRange::Week, now);
        assert_eq!(week.start_of(6), 20_000 * DAY_MS);
        week.add(now, Outcome::Valid, 3);
        week.add(week.first, Outcome::Expired, 2);
        week.add(week.first - 1, Outcome::Valid, 100);
        week.add(now + DAY_MS, Outcome::Valid, 100);
        assert_eq!(week.buckets[6][0], 3);
        assert_eq!(week.buckets[0][Outcome::Expired.index()], 2);
        assert_eq!(week.totals(), [3, 0, 2, 0, 0, 0, 0]);
        assert_eq!(UsageRange::parse("30d"), Some(UsageRange::Month));
        assert_eq!(UsageRange::parse("1y"), None);
    }
}
