//! Throttling of failed sign-ins, per account and per client address.
//!
//! Failures are counted in memory over a sliding window. Several instances each keep
//! their own count, which still bounds an attacker to a small multiple of the limit.

use std::collections::HashMap;
use std::sync::Mutex;

/// The window over which failures count.
pub const WINDOW_MS: i64 = 15 * 60 * 1000;
/// Failures of one account within the window before it is throttled.
pub const PER_ACCOUNT: usize = 5;
/// Failures from one client address within the window before it is throttled.
pub const PER_ADDRESS: usize = 20;

/// Failure times per key (`account:<email>` or `ip:<address>`).
#[derive(Debug, Default)]
pub struct Throttle {
    failures: Mutex<HashMap<String, Vec<i64>>>,
}

impl Throttle {
    /// Milliseconds until `key` may try again, if it is throttled at `now`.
    pub fn retry_after(&self, key: &str, limit: usize, now: i64) -> Option<i64> {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let times = map.get_mut(key)?;
        times.retain(|t| now - t < WINDOW_MS);
        if times.len() >= limit {
            // Free again when the oldest counted failure leaves the window.
            let oldest = times.iter().min().copied().unwrap_or(now);
            Some((oldest + WINDOW_MS - now).max(1))
        } else {
            None
        }
    }

    /// Records a failure.
    pub fn record_failure(&self, key: &str, now: i64) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        // Bound memory under a flood of distinct keys: forget stale entries first.
        if map.len() > 100_000 {
            map.retain(|_, times| times.iter().any(|t| now - t < WINDOW_MS));
        }
        map.entry(key.to_owned()).or_default().push(now);
    }

    /// Clears an account's failures after a successful sign-in.
    pub fn clear(&self, key: &str) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        map.remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn retry_after_starts_at_the_limit_and_ends_with_the_window() {
        let t = Throttle::default();
        for i in 0..PER_ACCOUNT {
            assert_eq!(t.retry_after("a", PER_ACCOUNT, 1_000), None, "attempt {i}");
            t.record_failure("a", 1_000);
        }
        assert_eq!(t.retry_after("a", PER_ACCOUNT, 1_000), Some(WINDOW_MS));
        assert_eq!(t.retry_after("a", PER_ACCOUNT, 1_000 + WINDOW_MS), None);
        t.record_failure("b", 0);
        t.clear("b");
        assert_eq!(t.retry_after("b", 1, 0), None);
    }
}
