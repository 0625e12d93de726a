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
    /// Atomically checks every `(key, limit)` and, when none is throttled, counts this
    /// attempt against all of them before the (slow) password check runs — so a burst of
    /// concurrent attempts cannot all pass the check before the first failure is counted.
    /// Returns the wait in milliseconds when throttled.
    pub fn begin_attempt(&self, keys: &[(&str, usize)], now: i64) -> Result<(), i64> {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let mut wait = None;
        for (key, limit) in keys {
            if let Some(times) = map.get_mut(*key) {
                times.retain(|t| now - t < WINDOW_MS);
                if times.len() >= *limit {
                    let oldest = times.iter().min().copied().unwrap_or(now);
                    let w = (oldest + WINDOW_MS - now).max(1);
                    wait = Some(wait.map_or(w, |x: i64| x.max(w)));
                }
            }
        }
        if let Some(w) = wait {
            return Err(w);
        }
        if map.len() > 100_000 {
            map.retain(|_, times| times.iter().any(|t| now - t < WINDOW_MS));
        }
        for (key, _) in keys {
            map.entry((*key).to_owned()).or_default().push(now);
        }
        Ok(())
    }

    /// Takes back one attempt counted at `at` (a successful sign-in is not a failure).
    pub fn forgive(&self, key: &str, at: i64) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(times) = map.get_mut(key)
            && let Some(i) = times.iter().position(|t| *t == at)
        {
            times.swap_remove(i);
        }
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
    fn begin_attempt_counts_until_the_limit_and_frees_after_the_window() {
        let t = Throttle::default();
        for i in 0..PER_ACCOUNT {
            assert_eq!(
                t.begin_attempt(&[("a", PER_ACCOUNT), ("ip", 100)], 1_000),
                Ok(()),
                "attempt {i}"
            );
        }
        assert_eq!(
            t.begin_attempt(&[("a", PER_ACCOUNT)], 1_000),
            Err(WINDOW_MS)
        );
        // A refused attempt is not counted again, and the window frees the account.
        assert_eq!(
            t.begin_attempt(&[("a", PER_ACCOUNT)], 1_000 + WINDOW_MS),
            Ok(())
        );
        t.clear("a");
        assert_eq!(t.begin_attempt(&[("a", 1)], 0), Ok(()));
        t.forgive("a", 0);
        assert_eq!(t.begin_attempt(&[("a", 1)], 0), Ok(()));
    }
}
