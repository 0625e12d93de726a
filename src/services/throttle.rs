//! Throttling of failed sign-ins (and setup attempts), after OWASP's device-cookie
//! scheme, so that an attacker cannot lock a user out:
//!
//! - A browser that has signed in to an account holds a *device cookie* for it. Its
//!   attempts at that account count against that cookie alone ([`PER_DEVICE`] failures
//!   per window), never against the account, and are not stopped by the account's lock.
//! - Every other attempt (no cookie, a cookie for another account, or a cookie that used
//!   up its budget) is *untrusted*: it counts against the account ([`PER_ACCOUNT`]) and
//!   the client's address ([`PER_ADDRESS`]; IPv6 grouped per /64), and is refused while
//!   either is over its limit.
//!
//! So 100 wrong guesses from anywhere lock the account for strangers, while its owner's
//! own browser keeps signing in. Failures are counted in memory over a sliding window;
//! several instances each keep their own count, which still bounds an attacker to a
//! small multiple of the limit. The memory is bounded: the least recently used entries
//! are dropped when [`CAPACITY`] is reached (an attacker spraying addresses can only push
//! out its own stale entries and the oldest others), with no sweep over the map.

use lru::LruCache;
use std::net::IpAddr;
use std::num::NonZeroUsize;
use std::sync::Mutex;

/// The window over which failures count.
pub const WINDOW_MS: i64 = 15 * 60 * 1000;
/// Untrusted failures of one account within the window before strangers are refused.
pub const PER_ACCOUNT: usize = 5;
/// Untrusted failures from one address (or IPv6 /64) within the window.
pub const PER_ADDRESS: usize = 20;
/// Failures of one device cookie within the window before it counts as untrusted.
pub const PER_DEVICE: usize = 10;
/// First-run setup attempts with a wrong token from one address within the window.
pub const SETUP_PER_ADDRESS: usize = 10;
/// Entries kept at most (each holds at most [`MAX_LIMIT`] times: a few hundred bytes).
pub const CAPACITY: usize = 100_000;
/// The largest limit above: how many failure times an entry keeps.
const MAX_LIMIT: usize = PER_ADDRESS;

/// What a throttle entry counts.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Subject {
    /// Untrusted sign-in attempts at an account (by normalised email).
    Account(String),
    /// Untrusted sign-in attempts from an address group (see [`address_group`]).
    Address(String),
    /// Sign-in attempts with one device cookie (by its nonce).
    Device(String),
    /// First-run setup attempts from an address group.
    Setup(String),
}

/// The failure times of one subject, oldest first, at most [`MAX_LIMIT`].
#[derive(Debug, Default)]
struct Failures(Vec<i64>);

impl Failures {
    fn recent(&self, now: i64) -> impl Iterator<Item = i64> + '_ {
        self.0.iter().copied().filter(move |t| now - t < WINDOW_MS)
    }

    /// Milliseconds until the subject is below `limit` again, when it is at it now.
    fn wait(&self, limit: usize, now: i64) -> Option<i64> {
        let mut recent: Vec<i64> = self.recent(now).collect();
        if recent.len() < limit {
            return None;
        }
        recent.sort_unstable();
        // Once the oldest of the last `limit` failures leaves the window, one is free.
        let oldest = recent[recent.len() - limit];
        Some((oldest + WINDOW_MS - now).max(1))
    }

    fn push(&mut self, at: i64) {
        if self.0.len() >= MAX_LIMIT {
            self.0.remove(0);
        }
        self.0.push(at);
    }
}

/// Failure counts per [`Subject`].
#[derive(Debug)]
pub struct Throttle {
    failures: Mutex<LruCache<Subject, Failures>>,
}

impl Default for Throttle {
    fn default() -> Self {
        Self::with_capacity(CAPACITY)
    }
}

impl Throttle {
    /// A throttle that remembers at most `capacity` subjects.
    pub fn with_capacity(capacity: usize) -> Self {
        let capacity = NonZeroUsize::new(capacity).unwrap_or(NonZeroUsize::MIN);
        Self {
            failures: Mutex::new(LruCache::new(capacity)),
        }
    }

    /// Atomically checks every `(subject, limit)` and, when none is at its limit, counts
    /// this attempt against all of them before the (slow) password check runs — so a
    /// burst of concurrent attempts cannot all pass the check before the first failure
    /// is counted. Returns the wait in milliseconds when throttled.
    pub fn begin_attempt(&self, subjects: &[(&Subject, usize)], now: i64) -> Result<(), i64> {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        let wait = subjects
            .iter()
            .filter_map(|(subject, limit)| map.get(*subject)?.wait(*limit, now))
            .max();
        if let Some(wait) = wait {
            return Err(wait);
        }
        for (subject, _) in subjects {
            map.get_or_insert_mut((*subject).clone(), Failures::default)
                .push(now);
        }
        Ok(())
    }

    /// Whether `subject` is at `limit` now (without counting anything).
    pub fn is_throttled(&self, subject: &Subject, limit: usize, now: i64) -> bool {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        map.get(subject)
            .is_some_and(|f| f.wait(limit, now).is_some())
    }

    /// Takes back one attempt counted at `at` (a successful attempt is not a failure).
    pub fn forgive(&self, subject: &Subject, at: i64) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(failures) = map.get_mut(subject)
            && let Some(i) = failures.0.iter().rposition(|t| *t == at)
        {
            failures.0.remove(i);
        }
    }

    /// Forgets a subject's failures (after a successful sign-in).
    pub fn clear(&self, subject: &Subject) {
        let mut map = self.failures.lock().unwrap_or_else(|e| e.into_inner());
        map.pop(subject);
    }

    /// How many subjects are remembered.
    #[cfg(test)]
    fn len(&self) -> usize {
        self.failures
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .len()
    }
}

/// A rate limit per subject: at most `limit` events in each window of `window_ms`
/// (fixed windows, aligned to multiples of `window_ms`). Bounded like [`Throttle`]: the
/// least recently seen subjects are dropped at capacity.
#[derive(Debug)]
pub struct RateLimit {
    limit: u32,
    window_ms: i64,
    /// Per subject: the window's start and the events counted in it.
    windows: Mutex<LruCache<String, (i64, u32)>>,
}

impl RateLimit {
    /// `limit` events per `window_ms`, remembering at most `capacity` subjects.
    pub fn new(limit: u32, window_ms: i64, capacity: usize) -> Self {
        let capacity = NonZeroUsize::new(capacity).unwrap_or(NonZeroUsize::MIN);
        Self {
            limit,
            window_ms: window_ms.max(1),
            windows: Mutex::new(LruCache::new(capacity)),
        }
    }

    /// Counts one event of `subject` at `now` when it is under the limit; else returns the
    /// milliseconds until its next window.
    pub fn admit(&self, subject: &str, now: i64) -> Result<(), i64> {
        let start = now - now.rem_euclid(self.window_ms);
        let mut map = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        let entry = map.get_or_insert_mut(subject.to_owned(), || (start, 0));
        if entry.0 != start {
            *entry = (start, 0);
        }
        if entry.1 >= self.limit {
            return Err(start + self.window_ms - now);
        }
        entry.1 += 1;
        Ok(())
    }
}

/// The group an address is limited as: an IPv4 address alone, an IPv6 address with its
/// /64 (one subscriber usually holds a whole /64, so per-address limits on IPv6 would be
/// no limit at all). Text that is no address is its own group.
pub fn address_group(ip: Option<&str>) -> String {
    match ip.map(str::parse::<IpAddr>) {
        Some(Ok(IpAddr::V6(v6))) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                let net = std::net::Ipv6Addr::new(s[0], s[1], s[2], s[3], 0, 0, 0, 0);
                format!("{net}/64")
            }
        },
        Some(Ok(IpAddr::V4(v4))) => v4.to_string(),
        Some(Err(_)) => ip.unwrap_or_default().chars().take(64).collect(),
        None => "unknown".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn account(s: &str) -> Subject {
        Subject::Account(s.to_owned())
    }

    #[test]
    fn begin_attempt_counts_until_the_limit_and_frees_after_the_window() {
        let t = Throttle::default();
        let (a, ip) = (account("a"), Subject::Address("ip".into()));
        for i in 0..PER_ACCOUNT {
            assert_eq!(
                t.begin_attempt(&[(&a, PER_ACCOUNT), (&ip, 100)], 1_000),
                Ok(()),
                "attempt {i}"
            );
        }
        assert_eq!(t.begin_attempt(&[(&a, PER_ACCOUNT)], 1_000), Err(WINDOW_MS));
        assert!(t.is_throttled(&a, PER_ACCOUNT, 1_000));
        // A refused attempt is not counted again, and the window frees the account.
        assert_eq!(
            t.begin_attempt(&[(&a, PER_ACCOUNT)], 1_000 + WINDOW_MS),
            Ok(())
        );
        t.clear(&a);
        assert_eq!(t.begin_attempt(&[(&a, 1)], 0), Ok(()));
        t.forgive(&a, 0);
        assert_eq!(t.begin_attempt(&[(&a, 1)], 0), Ok(()));
    }

    #[test]
    fn begin_attempt_waits_for_the_oldest_failure_that_still_counts() {
        let t = Throttle::default();
        let a = account("a");
        for at in [0, 10, 20, 30, 40, 50] {
            t.begin_attempt(&[(&a, 100)], at).unwrap();
        }
        // The limit is 5: after the failure at 10 leaves the window, one is free again.
        assert_eq!(t.begin_attempt(&[(&a, 5)], 60), Err(10 + WINDOW_MS - 60));
    }

    #[test]
    fn throttle_memory_stays_bounded_under_a_spray_of_subjects() {
        let t = Throttle::with_capacity(1_000);
        for i in 0..50_000 {
            let subject = Subject::Address(format!("10.0.{}.{}", i / 256, i % 256));
            t.begin_attempt(&[(&subject, PER_ADDRESS)], i).unwrap();
        }
        assert_eq!(t.len(), 1_000);
        // Each entry keeps at most MAX_LIMIT times, however many failures it sees.
        let hot = account("hot");
        for i in 0..1_000 {
            let _ = t.begin_attempt(&[(&hot, usize::MAX)], i);
        }
        let map = t.failures.lock().unwrap();
        assert!(map.peek(&hot).unwrap().0.len() <= MAX_LIMIT);
    }

    #[test]
    fn address_group_is_the_address_for_ipv4_and_the_64_for_ipv6() {
        assert_eq!(address_group(Some("203.0.113.7")), "203.0.113.7");
        assert_eq!(
            address_group(Some("2001:db8:1:2:aaaa:bbbb:cccc:dddd")),
            "2001:db8:1:2::/64"
        );
        assert_eq!(
            address_group(Some("2001:db8:1:2::1")),
            address_group(Some("2001:db8:1:2:ffff::9"))
        );
        assert_ne!(
            address_group(Some("2001:db8:1:2::1")),
            address_group(Some("2001:db8:1:3::1"))
        );
        assert_eq!(address_group(Some("::ffff:198.51.100.1")), "198.51.100.1");
        assert_eq!(address_group(None), "unknown");
    }

    #[test]
    fn rate_limit_admits_the_limit_per_window_and_per_subject() {
        let limit = RateLimit::new(3, 60_000, 10);
        for _ in 0..3 {
            assert_eq!(limit.admit("a", 120_500), Ok(()));
        }
        assert_eq!(limit.admit("a", 179_000), Err(1_000));
        assert_eq!(limit.admit("b", 179_000), Ok(()));
        // The next window starts afresh.
        assert_eq!(limit.admit("a", 180_000), Ok(()));
    }
}
