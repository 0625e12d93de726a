//! The in-process cache of key lookups, so a hot verify does no database work.
//!
//! Entries are keyed by the key's digest (never the key). Positive entries hold what a
//! check needs, including `expires_at` and `revoked_at`, so expiry and the end of a
//! rotation's grace period are decided at each check against the services' clock, cache
//! or not. Negative entries (digests of checksum-valid keys that do not exist) are kept
//! in a separate, smaller map, because anyone can mint those.
//!
//! Staleness: a change to a key (revoke, rotation) calls [`KeyCache::invalidate`] on the
//! instance that made it before the change's request returns; other instances hear of it
//! through NOTIFY (PostgreSQL) or by polling `key_changes` (SQLite). Every entry also
//! dies after a TTL, the backstop if a notification is ever lost.
//!
//! A lookup that misses reads the database and then inserts; an invalidation between the
//! read and the insert must win, or a revoke could be masked by a stale entry. Every
//! invalidation bumps a generation number and is remembered (the last
//! [`RECENT_INVALIDATIONS`] of them), and an insert is dropped when that very key was
//! invalidated since the caller read the generation, or the whole cache was flushed, or
//! the record of invalidations no longer reaches back that far (all under the write
//! lock). Invalidations of other keys leave it be: on PostgreSQL every instance hears of
//! every change, and a busy deployment would otherwise drop most inserts made while keys
//! elsewhere change. Negative entries are only dropped by a flush: a change to a key never
//! makes an unknown digest known.

pub use super::key_facts::{Facts, HintText, IdText, KeyFacts, KeyTexts};
use crate::domain::KeyId;
use lru::LruCache;
use std::collections::{HashMap, VecDeque};
use std::hash::BuildHasher;
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

/// Default number of positive entries.
pub const DEFAULT_CAPACITY: usize = 200_000;
/// Default time to live of an entry: the bound on staleness if a notification is lost.
pub const DEFAULT_TTL: Duration = Duration::from_secs(30);

/// The outcome of a cache lookup.
pub(crate) enum Lookup {
    /// A live entry for this digest.
    Hit(KeyFacts),
    /// Known not to exist.
    Absent,
    /// Not cached: ask the database.
    Miss,
}

/// Maps keyed by digest use FxHash instead of SipHash: SipHash is there to stop
/// crafted keys from piling into one bucket, and nobody can craft a digest, which is an
/// HMAC under the server secret. FxHash is several times cheaper on the hot path.
type DigestMap<V> = HashMap<Tag, V, rustc_hash::FxBuildHasher>;

/// A cached key's place in the maps: the first 128 bits of its digest, half the size of
/// the whole. The digest is an HMAC under the server secret, so two keys sharing a tag is
/// as unlikely as guessing a 128-bit MAC; the database lookup on a miss still compares
/// the whole digest. Two `u64`s rather than a `u128`: a `u128` is 16-byte aligned, which
/// pads each map entry (tag and pointer) from 24 bytes to 32.
type Tag = [u64; 2];

fn tag(digest: &[u8; 32]) -> Tag {
    let half = |i: usize| {
        let mut bytes = [0u8; 8];
        bytes.copy_from_slice(&digest[i * 8..i * 8 + 8]);
        u64::from_le_bytes(bytes)
    };
    [half(0), half(1)]
}

/// How many invalidations the cache remembers, to tell whether an insert raced one.
pub const RECENT_INVALIDATIONS: usize = 1024;

struct State {
    /// The cached keys (each holds when it was cached: `KeyFacts::cached_at`).
    positive: DigestMap<KeyFacts>,
    /// The digest of each cached key, by a hash of its id (see [`id_hash`]): no copy of
    /// the id per entry. Two ids with one hash cannot both be cached: inserting the
    /// second drops the first, so an invalidation by id always finds its key's entry.
    by_id: HashMap<u64, Tag, rustc_hash::FxBuildHasher>,
    /// Digests known to match no key. Anyone can mint checksum-valid keys, so it is
    /// bounded: when full, the oldest entry goes. Read with `peek` (no reordering), so
    /// a lookup needs only the read lock.
    negative: LruCache<[u8; 32], Instant, rustc_hash::FxBuildHasher>,
    /// The last invalidations: the generation each made, and the key.
    recent: VecDeque<(u64, KeyId)>,
    /// The generation made by the last flush, or by the newest invalidation that
    /// `recent` no longer holds: an insert read before it cannot be checked, so it drops.
    horizon: u64,
}

impl State {
    /// Whether an entry read from the database at generation `read_at` may be stale:
    /// a flush came since, or the record does not reach back, or (for a positive entry,
    /// `key`) that key was invalidated since.
    fn stale(&self, read_at: u64, key: Option<&str>) -> bool {
        self.horizon > read_at
            || key.is_some_and(|key| {
                // Newest last: only the invalidations since the read are looked at.
                self.recent
                    .iter()
                    .rev()
                    .take_while(|(generation, _)| *generation > read_at)
                    .any(|(_, id)| id.as_str() == key)
            })
    }
}

/// The cache. Cheap to share behind an `Arc`.
pub struct KeyCache {
    state: RwLock<State>,
    generation: AtomicU64,
    capacity: usize,
    ttl: Duration,
    /// When the cache was made: entries record their age in seconds from it.
    epoch: Instant,
    /// Facts that left the cache with usage still counted in them (or still in use by a
    /// request, which may count): the next usage flush takes their counts.
    retired: Mutex<Vec<KeyFacts>>,
}

impl std::fmt::Debug for KeyCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyCache")
            .field("capacity", &self.capacity)
            .field("ttl", &self.ttl)
            .field("len", &self.len())
            .finish()
    }
}

impl Default for KeyCache {
    fn default() -> Self {
        Self::new(DEFAULT_CAPACITY, DEFAULT_TTL)
    }
}

impl KeyCache {
    /// A cache of at most `capacity` keys (0 turns caching off), each kept at most `ttl`.
    /// Negative entries are bounded separately, at a tenth of that (at least 1,000).
    pub fn new(capacity: usize, ttl: Duration) -> Self {
        Self {
            state: RwLock::new(State {
                positive: DigestMap::default(),
                by_id: HashMap::default(),
                negative: LruCache::with_hasher(
                    NonZeroUsize::new((capacity / 10).max(1_000)).unwrap_or(NonZeroUsize::MIN),
                    rustc_hash::FxBuildHasher,
                ),
                recent: VecDeque::new(),
                horizon: 0,
            }),
            generation: AtomicU64::new(0),
            capacity,
            ttl,
            epoch: Instant::now(),
            retired: Mutex::new(Vec::new()),
        }
    }

    fn read(&self) -> RwLockReadGuard<'_, State> {
        self.state.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> RwLockWriteGuard<'_, State> {
        self.state.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Looks a digest up.
    pub(crate) fn lookup(&self, digest: &[u8; 32]) -> Lookup {
        if self.capacity == 0 {
            return Lookup::Miss;
        }
        let state = self.read();
        if let Some(facts) = state.positive.get(&tag(digest)) {
            let age = self
                .seconds()
                .saturating_sub(facts.cached_at.load(Ordering::Relaxed));
            if u64::from(age) < self.ttl.as_secs() {
                return Lookup::Hit(facts.clone());
            }
        } else if let Some(at) = state.negative.peek(digest)
            && at.elapsed() < self.ttl
        {
            return Lookup::Absent;
        }
        Lookup::Miss
    }

    /// The current generation: read it before the database, pass it to the insert.
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(Ordering::Acquire)
    }

    /// Caches a key read from the database at `generation`, unless that key was
    /// invalidated since, or the cache flushed (see [`State::stale`]). Returns whether
    /// it was cached.
    pub(crate) fn insert(&self, generation: u64, digest: [u8; 32], facts: &KeyFacts) -> bool {
        if self.capacity == 0 {
            return false;
        }
        let mut state = self.write();
        if state.stale(generation, Some(&facts.id())) {
            return false;
        }
        let at = tag(&digest);
        if state.positive.len() >= self.capacity
            && !state.positive.contains_key(&at)
            && let Some(gone) = evict_one(&mut state)
        {
            self.retire(gone);
        }
        state.negative.pop(&digest);
        if let Some(other) = state.by_id.insert(id_hash(&facts.id()), at)
            && other != at
            && let Some(gone) = state.positive.remove(&other)
        {
            self.retire(gone);
        }
        facts.cached_at.store(self.seconds(), Ordering::Relaxed);
        if let Some(old) = state.positive.insert(at, facts.clone()) {
            self.retire(old);
        }
        true
    }

    /// Remembers that no key has this digest (read at `generation`), unless the cache
    /// was flushed since.
    pub(crate) fn insert_absent(&self, generation: u64, digest: [u8; 32]) {
        if self.capacity == 0 {
            return;
        }
        let mut state = self.write();
        if state.stale(generation, None) {
            return;
        }
        state.negative.put(digest, Instant::now());
    }

    /// Drops a key's entry. Every lookup after this returns reads the database.
    pub fn invalidate(&self, key_id: &KeyId) {
        let mut state = self.write();
        let generation = self.generation.fetch_add(1, Ordering::AcqRel) + 1;
        if let Some(at) = state.by_id.remove(&id_hash(key_id.as_str()))
            && let Some(gone) = state.positive.remove(&at)
        {
            self.retire(gone);
        }
        state.recent.push_back((generation, key_id.clone()));
        if state.recent.len() > RECENT_INVALIDATIONS
            && let Some((forgotten, _)) = state.recent.pop_front()
        {
            state.horizon = state.horizon.max(forgotten);
        }
    }

    /// Drops every entry (after a lost notification channel, when anything may have
    /// changed unseen).
    pub fn flush(&self) {
        let mut state = self.write();
        state.horizon = self.generation.fetch_add(1, Ordering::AcqRel) + 1;
        for (_, gone) in state.positive.drain() {
            self.retire(gone);
        }
        state.by_id.clear();
        state.negative.clear();
        state.recent.clear();
    }

    /// Seconds since the cache was made.
    fn seconds(&self) -> u32 {
        u32::try_from(self.epoch.elapsed().as_secs()).unwrap_or(u32::MAX)
    }

    /// Keeps `facts`, which left the cache, for the next usage flush if they hold counts
    /// or a request still holds them.
    fn retire(&self, facts: KeyFacts) {
        if facts.handles() > 1 || !facts.usage.is_empty() {
            self.retired
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .push(facts);
        }
    }

    /// The facts that left the cache since the last call (see [`Self::retire`]).
    pub(crate) fn take_retired(&self) -> Vec<KeyFacts> {
        std::mem::take(&mut *self.retired.lock().unwrap_or_else(|e| e.into_inner()))
    }

    /// The cached keys with usage counted in them.
    pub(crate) fn counted(&self) -> Vec<KeyFacts> {
        self.read()
            .positive
            .values()
            .filter(|facts| !facts.usage.is_empty())
            .cloned()
            .collect()
    }

    /// Number of cached keys (positive entries).
    pub fn len(&self) -> usize {
        self.read().positive.len()
    }

    /// Whether no key is cached.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// Makes room for one entry: an expired one would be best, but any will do; the TTL
/// bounds how long anything stays anyway.
fn evict_one(state: &mut State) -> Option<KeyFacts> {
    let at = state.positive.keys().next().copied()?;
    let facts = state.positive.remove(&at)?;
    state.by_id.remove(&id_hash(&facts.id()));
    Some(facts)
}

/// The hash of a key id that [`State::by_id`] is keyed by.
fn id_hash(id: &str) -> u64 {
    rustc_hash::FxBuildHasher.hash_one(id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::services::key_facts::test_id;

    fn facts(id: &str) -> KeyFacts {
        super::super::key_facts::test_facts(id)
    }

    #[test]
    fn invalidate_between_read_and_insert_drops_the_insert() {
        let cache = KeyCache::default();
        let generation = cache.generation();
        cache.invalidate(&KeyId(test_id("a")));
        cache.insert(generation, [1; 32], &facts("a"));
        assert!(matches!(cache.lookup(&[1; 32]), Lookup::Miss));
        cache.insert(cache.generation(), [1; 32], &facts("a"));
        assert!(matches!(cache.lookup(&[1; 32]), Lookup::Hit(_)));
        cache.invalidate(&KeyId(test_id("a")));
        assert!(matches!(cache.lookup(&[1; 32]), Lookup::Miss));
    }

    #[test]
    fn invalidate_of_another_key_keeps_a_concurrent_insert() {
        let cache = KeyCache::default();
        let generation = cache.generation();
        cache.invalidate(&KeyId(test_id("other")));
        cache.insert(generation, [1; 32], &facts("a"));
        cache.insert_absent(generation, [2; 32]);
        assert!(matches!(cache.lookup(&[1; 32]), Lookup::Hit(_)));
        assert!(matches!(cache.lookup(&[2; 32]), Lookup::Absent));
    }

    #[test]
    fn flush_between_read_and_insert_drops_both_kinds() {
        let cache = KeyCache::default();
        let generation = cache.generation();
        cache.flush();
        cache.insert(generation, [1; 32], &facts("a"));
        cache.insert_absent(generation, [2; 32]);
        assert!(matches!(cache.lookup(&[1; 32]), Lookup::Miss));
        assert!(matches!(cache.lookup(&[2; 32]), Lookup::Miss));
    }

    #[test]
    fn insert_older_than_the_remembered_invalidations_is_dropped() {
        let cache = KeyCache::default();
        let generation = cache.generation();
        for i in 0..=RECENT_INVALIDATIONS {
            cache.invalidate(&KeyId(test_id(&format!("other{i}"))));
        }
        // "a" may have been among the forgotten ones: the insert cannot be trusted.
        cache.insert(generation, [1; 32], &facts("a"));
        assert!(matches!(cache.lookup(&[1; 32]), Lookup::Miss));
        // A read after the forgotten ones is checked against the remembered ones.
        let later = cache.generation() - 1;
        cache.insert(later, [1; 32], &facts("a"));
        assert!(matches!(cache.lookup(&[1; 32]), Lookup::Hit(_)));
    }

    #[test]
    fn capacity_bounds_both_maps() {
        let cache = KeyCache::new(2, DEFAULT_TTL);
        for i in 0..5u8 {
            cache.insert(cache.generation(), [i; 32], &facts(&i.to_string()));
        }
        assert_eq!(cache.len(), 2);
        for i in 0..=255u8 {
            for j in 0..5u8 {
                let mut digest = [0u8; 32];
                digest[0] = i;
                digest[1] = j;
                cache.insert_absent(cache.generation(), digest);
            }
        }
        assert_eq!(cache.read().negative.len(), 1_000, "full, never cleared");
        // The newest stay; the oldest went first.
        assert!(matches!(
            cache.lookup(&[
                255, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                0, 0, 0, 0, 0
            ]),
            Lookup::Absent
        ));
        assert!(matches!(cache.lookup(&[0; 32]), Lookup::Miss));
        let off = KeyCache::new(0, DEFAULT_TTL);
        off.insert(off.generation(), [1; 32], &facts("a"));
        assert!(matches!(off.lookup(&[1; 32]), Lookup::Miss));
    }

    #[test]
    fn entries_die_after_the_ttl() {
        let cache = KeyCache::new(10, Duration::ZERO);
        cache.insert(cache.generation(), [1; 32], &facts("a"));
        cache.insert_absent(cache.generation(), [2; 32]);
        assert!(matches!(cache.lookup(&[1; 32]), Lookup::Miss));
        assert!(matches!(cache.lookup(&[2; 32]), Lookup::Miss));
    }
}
