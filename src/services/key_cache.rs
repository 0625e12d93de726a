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

use crate::domain::{IpAllowList, KeyId, KeyType, OrgId, PermissionSet, ProjectId};
use lru::LruCache;
use std::any::Any;
use std::collections::{HashMap, VecDeque};
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, OnceLock, RwLock, RwLockReadGuard, RwLockWriteGuard};
use std::time::{Duration, Instant};

/// Default number of positive entries.
pub const DEFAULT_CAPACITY: usize = 200_000;
/// Default time to live of an entry: the bound on staleness if a notification is lost.
pub const DEFAULT_TTL: Duration = Duration::from_secs(30);

/// What a check needs to know about a key. No secret: not the key, not its digest.
#[derive(Debug)]
pub struct KeyFacts {
    /// Id.
    pub id: KeyId,
    /// Name.
    pub name: String,
    /// Production, development or organisation.
    pub key_type: KeyType,
    /// Masked form.
    pub hint: String,
    /// Organisation.
    pub org_id: OrgId,
    /// Project, for project keys.
    pub project_id: Option<ProjectId>,
    /// Effective permissions (normalised: write carries read).
    pub permissions: PermissionSet,
    /// Expiry (unix ms), if any; rotation shortens it to the grace period's end.
    pub expires_at: Option<i64>,
    /// Revocation time, if revoked.
    pub revoked_at: Option<i64>,
    /// When it was disabled, while it is.
    pub disabled_at: Option<i64>,
    /// The networks it may be used from; empty for any address.
    pub ip_allowlist: IpAllowList,
    /// The last minute (unix ms, floored) recorded as this key's last use, so a hot key
    /// records its use once a minute rather than on every request.
    pub(crate) last_used_minute: AtomicI64,
    /// This minute's usage counts (see `services::usage`).
    pub(crate) usage: super::usage::UsageSlot,
    /// A value a caller derives from these facts once and keeps as long as they are
    /// (see [`KeyFacts::derived`]). Never the key.
    pub(crate) derived: OnceLock<Box<dyn Any + Send + Sync>>,
}

impl KeyFacts {
    /// The value derived from these facts by `make`, made on the first call and kept as
    /// long as the facts are (a rotation or revocation replaces the facts, and with them
    /// the value). The API keeps its serialised answer to a valid check here, so a hot
    /// verify sends those bytes instead of building the same object again; the core
    /// knows nothing of its shape. One type per process: `None` if a value of another
    /// type was derived first.
    pub fn derived<T: Any + Send + Sync>(&self, make: impl FnOnce(&Self) -> T) -> Option<&T> {
        self.derived
            .get_or_init(|| Box::new(make(self)))
            .downcast_ref()
    }
}

/// The outcome of a cache lookup.
pub(crate) enum Lookup {
    /// A live entry for this digest.
    Hit(Arc<KeyFacts>),
    /// Known not to exist.
    Absent,
    /// Not cached: ask the database.
    Miss,
}

/// Maps keyed by digest use FxHash instead of SipHash: SipHash is there to stop
/// crafted keys from piling into one bucket, and nobody can craft a digest, which is an
/// HMAC under the server secret. FxHash is several times cheaper on the hot path.
type DigestMap<V> = HashMap<[u8; 32], V, rustc_hash::FxBuildHasher>;

/// How many invalidations the cache remembers, to tell whether an insert raced one.
pub const RECENT_INVALIDATIONS: usize = 1024;

struct State {
    positive: DigestMap<(Arc<KeyFacts>, Instant)>,
    by_id: HashMap<KeyId, [u8; 32]>,
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
    fn stale(&self, read_at: u64, key: Option<&KeyId>) -> bool {
        self.horizon > read_at
            || key.is_some_and(|key| {
                // Newest last: only the invalidations since the read are looked at.
                self.recent
                    .iter()
                    .rev()
                    .take_while(|(generation, _)| *generation > read_at)
                    .any(|(_, id)| id == key)
            })
    }
}

/// The cache. Cheap to share behind an `Arc`.
pub struct KeyCache {
    state: RwLock<State>,
    generation: AtomicU64,
    capacity: usize,
    ttl: Duration,
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
                by_id: HashMap::new(),
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
        if let Some((facts, at)) = state.positive.get(digest) {
            if at.elapsed() < self.ttl {
                return Lookup::Hit(Arc::clone(facts));
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
    /// invalidated since, or the cache flushed (see [`State::stale`]).
    pub(crate) fn insert(&self, generation: u64, digest: [u8; 32], facts: &Arc<KeyFacts>) {
        if self.capacity == 0 {
            return;
        }
        let mut state = self.write();
        if state.stale(generation, Some(&facts.id)) {
            return;
        }
        if state.positive.len() >= self.capacity && !state.positive.contains_key(&digest) {
            evict_one(&mut state);
        }
        state.negative.pop(&digest);
        state.by_id.insert(facts.id.clone(), digest);
        state
            .positive
            .insert(digest, (Arc::clone(facts), Instant::now()));
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
        if let Some(digest) = state.by_id.remove(key_id) {
            state.positive.remove(&digest);
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
        state.positive.clear();
        state.by_id.clear();
        state.negative.clear();
        state.recent.clear();
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
fn evict_one(state: &mut State) {
    if let Some(digest) = state.positive.keys().next().copied()
        && let Some((facts, _)) = state.positive.remove(&digest)
    {
        state.by_id.remove(&facts.id);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts(id: &str) -> Arc<KeyFacts> {
        Arc::new(KeyFacts {
            id: KeyId(id.to_owned()),
            name: "k".to_owned(),
            key_type: KeyType::Organisation,
            hint: "gtx-org-aaaa…bbbb".to_owned(),
            org_id: OrgId("o".to_owned()),
            project_id: None,
            permissions: PermissionSet::read_only(),
            expires_at: None,
            revoked_at: None,
            disabled_at: None,
            ip_allowlist: IpAllowList::default(),
            last_used_minute: AtomicI64::new(0),
            usage: Default::default(),
            derived: OnceLock::new(),
        })
    }

    #[test]
    fn derived_value_is_made_once_and_only_for_its_type() {
        let key = facts("a");
        let mut made = 0;
        for _ in 0..3 {
            let value = key.derived(|f| {
                made += 1;
                format!("{}:{}", f.id.0, f.name)
            });
            assert_eq!(value.map(String::as_str), Some("a:k"));
        }
        assert_eq!(made, 1, "made on the first call only");
        assert_eq!(key.derived(|_| 7_u32), None, "another type gets nothing");
    }

    #[test]
    fn invalidate_between_read_and_insert_drops_the_insert() {
        let cache = KeyCache::default();
        let generation = cache.generation();
        cache.invalidate(&KeyId("a".to_owned()));
        cache.insert(generation, [1; 32], &facts("a"));
        assert!(matches!(cache.lookup(&[1; 32]), Lookup::Miss));
        cache.insert(cache.generation(), [1; 32], &facts("a"));
        assert!(matches!(cache.lookup(&[1; 32]), Lookup::Hit(_)));
        cache.invalidate(&KeyId("a".to_owned()));
        assert!(matches!(cache.lookup(&[1; 32]), Lookup::Miss));
    }

    #[test]
    fn invalidate_of_another_key_keeps_a_concurrent_insert() {
        let cache = KeyCache::default();
        let generation = cache.generation();
        cache.invalidate(&KeyId("other".to_owned()));
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
            cache.invalidate(&KeyId(format!("other{i}")));
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
