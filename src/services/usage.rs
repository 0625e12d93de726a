//! Usage recording: every check of a known key counts its outcome for that key, per
//! minute, in memory; [`Services::flush_usage`] adds the counts to the database in
//! batches (every 30 seconds and at shutdown), per minute and per hour, with the keys'
//! last-used times, and [`Services::prune_usage`] deletes what is past its retention.
//!
//! The hot path takes no lock and allocates nothing. Each cached key's facts carry a
//! [`UsageSlot`]: two banks of atomic counters, for even and odd minutes. A request
//! counts in its minute's bank; the first request of a new minute turns the bank over
//! (one compare-and-swap), and the bank is normally empty by then, since the flush
//! empties every bank at least every 30 seconds. The flush reads the cached keys with
//! counts and the facts that left the cache since (see `KeyCache::retire`), in chunks.
//! A count leaves its bank by exactly one atomic swap, so none is lost or written twice;
//! a request racing the turn of a minute may be counted in the neighbouring minute.
//! Checks of keys that are not cached (cache off, or a lookup racing a change) count in
//! a map instead, as do counts left in a bank when the flush fell behind.

use super::Services;
use super::key_cache::KeyFacts;
use crate::db::repo::keys;
use crate::db::repo::usage::{self, Buckets, UsageRow};
use crate::domain::time::{HOUR_MS, MINUTE_MS};
use crate::domain::usage::{OUTCOMES, Outcome, OutcomeCounts};
use crate::domain::{KeyId, PermissionSet};
use crate::error::CoreResult;
use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Mutex, MutexGuard};

/// Per-minute counts are kept this long.
pub const MINUTES_KEPT_MS: i64 = 48 * HOUR_MS;
/// Per-hour counts are kept this many days unless configured otherwise.
pub const DEFAULT_RETENTION_DAYS: u32 = 90;
/// Keys whose counts are written per transaction.
const KEYS_PER_TX: usize = 500;

/// The outcomes of a check that got past the key's status and allow-list: the key was
/// used (its last-used time moves).
const USED: [Outcome; 3] = [
    Outcome::Valid,
    Outcome::WrongProject,
    Outcome::InsufficientPermissions,
];

/// One minute's counts.
#[derive(Debug, Default)]
struct Bank {
    /// The minute counted, in minutes since 1970 (a `u32` reaches past the year 10,000);
    /// 0 before the first count.
    minute: AtomicU32,
    counts: [AtomicU32; OUTCOMES],
}

impl Bank {
    /// Takes the counts out (each counter swapped to zero), with the minute they are of.
    fn take(&self) -> Option<([u64; OUTCOMES], i64)> {
        let mut counts = [0u64; OUTCOMES];
        let mut any = false;
        for (out, counter) in counts.iter_mut().zip(&self.counts) {
            // A plain load first: most counters of most banks are zero.
            if counter.load(Ordering::Relaxed) != 0 {
                *out = u64::from(counter.swap(0, Ordering::AcqRel));
                any |= *out != 0;
            }
        }
        any.then(|| (counts, minute_ms(self.minute.load(Ordering::Acquire))))
    }

    fn is_empty(&self) -> bool {
        self.counts.iter().all(|c| c.load(Ordering::Relaxed) == 0)
    }
}

/// A minute number (minutes since 1970) as unix ms.
fn minute_ms(minute: u32) -> i64 {
    i64::from(minute) * MINUTE_MS
}

/// One key's counts in memory: a bank for even minutes and one for odd minutes, and the
/// permissions asked for in each (`PermissionSet` bits, 16 wide: the even minute's in the
/// low half, the odd minute's in the high half, so the slot stays 68 bytes).
#[derive(Debug, Default)]
pub(crate) struct UsageSlot {
    banks: [Bank; 2],
    asked: AtomicU32,
}

impl UsageSlot {
    /// The bits of bank `i`'s permissions in `asked`.
    const fn asked_shift(i: usize) -> u32 {
        if i == 0 { 0 } else { 16 }
    }

    /// Counts one request with `outcome` in `minute` (unix ms, floored to the minute),
    /// which asked for `asked`. Returns the counts of an older minute that were still in
    /// the bank, to be kept elsewhere.
    fn count(&self, outcome: Outcome, asked: PermissionSet, minute: i64) -> Option<Counted> {
        // Minutes since 1970 fit a u32 until the year 10,000.
        let number = u32::try_from(minute.div_euclid(MINUTE_MS)).unwrap_or(u32::MAX);
        let i = usize::from(number % 2 == 1);
        let bank = &self.banks[i];
        let current = bank.minute.load(Ordering::Acquire);
        let mut left = None;
        if current < number
            && bank
                .minute
                .compare_exchange(current, number, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
        {
            // This request turned the bank over: whatever it still holds is older.
            left = self.take_bank(i).map(|c| Counted {
                minute: minute_ms(current),
                ..c
            });
        }
        bank.counts[outcome.index()].fetch_add(1, Ordering::AcqRel);
        if !asked.is_empty() {
            self.asked.fetch_or(
                u32::from(asked.bits_u16()) << Self::asked_shift(i),
                Ordering::AcqRel,
            );
        }
        left
    }

    /// Takes bank `i`'s counts and permissions out.
    fn take_bank(&self, i: usize) -> Option<Counted> {
        let (counts, minute) = self.banks[i].take()?;
        let mask = 0xffff_u32 << Self::asked_shift(i);
        let bits = (self.asked.fetch_and(!mask, Ordering::AcqRel) & mask) >> Self::asked_shift(i);
        let asked = PermissionSet::from_bits(i64::from(bits)).unwrap_or_else(PermissionSet::empty);
        Some(Counted {
            minute,
            counts,
            asked,
        })
    }

    /// Whether nothing is counted.
    pub(crate) fn is_empty(&self) -> bool {
        self.banks.iter().all(Bank::is_empty)
    }

    /// Takes every count out.
    fn take(&self) -> impl Iterator<Item = Counted> + '_ {
        (0..self.banks.len()).filter_map(|i| self.take_bank(i))
    }
}

/// Counts of one key in one minute.
#[derive(Clone, Copy, Debug)]
struct Counted {
    minute: i64,
    counts: OutcomeCounts,
    asked: PermissionSet,
}

/// What is counted but not kept in a cached key's slot.
#[derive(Clone, Copy, Debug)]
struct Pending {
    counts: OutcomeCounts,
    asked: PermissionSet,
}

/// The client of a key's latest platform API call.
type Client = (Option<String>, Option<String>);

/// The counts gathered in memory outside the cached keys' slots, between flushes.
#[derive(Debug, Default)]
pub(crate) struct UsageRecorder {
    /// Counts per key and minute: uncached keys, and what a flush could not write.
    pending: Mutex<HashMap<(KeyId, i64), Pending>>,
    /// The latest platform API client per key.
    clients: Mutex<HashMap<KeyId, Client>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl UsageRecorder {
    /// Counts one request of `key` with `outcome` at `now`, which asked for `asked`:
    /// in the key's slot when the key is cached, else in the pending map.
    pub(crate) fn count(
        &self,
        key: &KeyFacts,
        cached: bool,
        outcome: Outcome,
        asked: PermissionSet,
        now: i64,
    ) {
        let minute = now - now.rem_euclid(MINUTE_MS);
        if !cached {
            let mut counts = [0; OUTCOMES];
            counts[outcome.index()] = 1;
            self.keep(
                key.key_id(),
                Counted {
                    minute,
                    counts,
                    asked,
                },
            );
            return;
        }
        if let Some(left) = key.usage.count(outcome, asked, minute) {
            self.keep(key.key_id(), left);
        }
    }

    /// Adds counts to the pending map.
    fn keep(&self, key_id: KeyId, c: Counted) {
        let mut pending = lock(&self.pending);
        let entry = pending.entry((key_id, c.minute)).or_insert(Pending {
            counts: [0; OUTCOMES],
            asked: PermissionSet::empty(),
        });
        for (total, n) in entry.counts.iter_mut().zip(c.counts) {
            *total += n;
        }
        entry.asked = entry.asked.union(c.asked);
    }
}

/// The minute and hour rows of some counts, each sorted (one lock order for every
/// writer), and the latest minute each key was used in.
fn rows_of(entries: &[(KeyId, Counted)]) -> (Vec<UsageRow>, Vec<UsageRow>, BTreeMap<KeyId, i64>) {
    let mut minutes: BTreeMap<(KeyId, i64, usize), (u64, PermissionSet)> = BTreeMap::new();
    let mut hours: BTreeMap<(KeyId, i64, usize), (u64, PermissionSet)> = BTreeMap::new();
    let mut used: BTreeMap<KeyId, i64> = BTreeMap::new();
    for (key_id, c) in entries {
        let hour = c.minute - c.minute.rem_euclid(HOUR_MS);
        for outcome in Outcome::ALL {
            let requests = c.counts[outcome.index()];
            if requests == 0 {
                continue;
            }
            for (map, at) in [(&mut minutes, c.minute), (&mut hours, hour)] {
                let slot = map
                    .entry((key_id.clone(), at, outcome.index()))
                    .or_insert((0, PermissionSet::empty()));
                slot.0 += requests;
                slot.1 = slot.1.union(c.asked);
            }
            if USED.contains(&outcome) {
                let last = used.entry(key_id.clone()).or_insert(c.minute);
                *last = (*last).max(c.minute);
            }
        }
    }
    let rows = |map: BTreeMap<(KeyId, i64, usize), (u64, PermissionSet)>| -> Vec<UsageRow> {
        map.into_iter()
            .map(
                |((key_id, bucket_start, i), (requests, permissions))| UsageRow {
                    key_id,
                    bucket_start,
                    outcome: Outcome::ALL[i],
                    requests,
                    permissions,
                },
            )
            .collect()
    };
    (rows(minutes), rows(hours), used)
}

/// What a flush wrote.
#[derive(Clone, Copy, Debug, Default)]
pub struct Flushed {
    /// (key, minute) entries of counts.
    pub entries: usize,
    /// Keys whose last-used time moved.
    pub last_used: usize,
}

impl Services {
    /// Notes the client of a platform API call made with `key` (written at the next flush).
    pub fn note_client(&self, key: &KeyFacts, ip: Option<String>, user_agent: Option<String>) {
        lock(&self.usage_counts.clients).insert(key.key_id(), (ip, user_agent));
    }

    /// Adds the counts gathered in memory to the database, with the keys' last-used
    /// times and the latest platform API clients. Returns how many (key, minute) entries
    /// were written. The server calls this every 30 seconds and at shutdown; tests call
    /// it directly. What cannot be written stays in memory for the next call.
    pub async fn flush_usage(&self) -> CoreResult<usize> {
        Ok(self.flush().await?.entries)
    }

    /// The same flush as [`Self::flush_usage`]; returns how many keys' last-used time
    /// moved (a key used again within the same minute does not move).
    pub async fn flush_last_used(&self) -> CoreResult<usize> {
        Ok(self.flush().await?.last_used)
    }

    async fn flush(&self) -> CoreResult<Flushed> {
        let mut done = Flushed::default();
        // The cached keys with counts, and those that left the cache: a chunk at a time,
        // so a flush of many keys never holds all their counts at once.
        let mut keys = self.key_cache.counted();
        keys.extend(self.key_cache.take_retired());
        for chunk in keys.chunks(KEYS_PER_TX) {
            let entries: Vec<(KeyId, Counted)> = chunk
                .iter()
                .flat_map(|key| key.usage.take().map(|c| (key.key_id(), c)))
                .collect();
            self.write_counts(&entries, &mut done).await?;
        }
        let pending: Vec<(KeyId, Counted)> = lock(&self.usage_counts.pending)
            .drain()
            .map(|((key_id, minute), p)| {
                (
                    key_id,
                    Counted {
                        minute,
                        counts: p.counts,
                        asked: p.asked,
                    },
                )
            })
            .collect();
        for chunk in pending.chunks(KEYS_PER_TX) {
            self.write_counts(chunk, &mut done).await?;
        }
        let clients: Vec<(KeyId, Client)> = lock(&self.usage_counts.clients).drain().collect();
        if !clients.is_empty() {
            let mut tx = self.db.begin().await?;
            for (key_id, (ip, agent)) in &clients {
                usage::set_last_client(&mut *tx, key_id, ip.as_deref(), agent.as_deref()).await?;
            }
            tx.commit().await?;
        }
        Ok(done)
    }

    /// Writes some counts, and the last-used times they move, in one transaction; on
    /// failure they go back to the pending map for the next flush.
    async fn write_counts(
        &self,
        entries: &[(KeyId, Counted)],
        done: &mut Flushed,
    ) -> CoreResult<()> {
        if entries.is_empty() {
            return Ok(());
        }
        let (minutes, hours, used) = rows_of(entries);
        let written = async {
            let mut tx = self.db.begin().await?;
            usage::add(&mut tx, Buckets::Minutes, &minutes).await?;
            usage::add(&mut tx, Buckets::Hours, &hours).await?;
            let mut moved = 0;
            for (key_id, minute) in &used {
                moved += usize::from(keys::touch_last_used(&mut *tx, key_id, *minute).await?);
            }
            tx.commit().await?;
            CoreResult::Ok(moved)
        }
        .await;
        match written {
            Ok(moved) => {
                done.entries += entries.len();
                done.last_used += moved;
                Ok(())
            }
            Err(e) => {
                for (key_id, c) in entries {
                    self.usage_counts.keep(key_id.clone(), *c);
                }
                Err(e)
            }
        }
    }

    /// Deletes per-minute counts older than 48 hours and per-hour counts older than the
    /// retention. Safe on several instances at once. Returns how many rows went.
    pub async fn prune_usage(&self) -> CoreResult<u64> {
        let now = self.now();
        let minutes = usage::prune(self.db.pool(), Buckets::Minutes, now - MINUTES_KEPT_MS).await?;
        let retention = i64::from(self.usage_retention_days) * crate::domain::time::DAY_MS;
        let hours = usage::prune(self.db.pool(), Buckets::Hours, now - retention).await?;
        Ok(minutes + hours)
    }

    /// Writes gathered counts and last-used times every `every` (at least a second)
    /// instead of every 30 seconds.
    pub fn with_usage_flush(mut self, every: std::time::Duration) -> Self {
        self.usage_flush = every.max(std::time::Duration::from_secs(1));
        self
    }

    /// Keeps per-hour counts `days` days (per-minute counts are kept 48 hours).
    pub fn with_usage_retention_days(mut self, days: u32) -> Self {
        self.usage_retention_days = days.max(1);
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Arc;

    fn facts(id: &str) -> KeyFacts {
        crate::services::key_facts::test_facts(id)
    }

    fn taken(key: &KeyFacts) -> BTreeMap<i64, OutcomeCounts> {
        key.usage.take().map(|c| (c.minute, c.counts)).collect()
    }

    #[test]
    fn counts_land_in_the_bank_of_their_minute() {
        let r = UsageRecorder::default();
        let key = facts("a");
        let t = 1_000 * MINUTE_MS;
        for _ in 0..3 {
            r.count(&key, true, Outcome::Valid, PermissionSet::empty(), t + 5);
        }
        r.count(
            &key,
            true,
            Outcome::Expired,
            PermissionSet::read_only(),
            t + 10,
        );
        r.count(
            &key,
            true,
            Outcome::Valid,
            PermissionSet::empty(),
            t + MINUTE_MS,
        );
        assert!(lock(&r.pending).is_empty(), "all in the slot");
        assert_eq!(
            taken(&key),
            BTreeMap::from([
                (t, [3, 0, 1, 0, 0, 0, 0]),
                (t + MINUTE_MS, [1, 0, 0, 0, 0, 0, 0])
            ])
        );
        assert!(key.usage.is_empty());
        assert!(taken(&key).is_empty(), "taken once");
    }

    #[test]
    fn a_bank_not_emptied_in_time_hands_its_counts_over() {
        let r = UsageRecorder::default();
        let key = facts("a");
        let t = 1_000 * MINUTE_MS;
        r.count(&key, true, Outcome::Valid, PermissionSet::read_only(), t);
        // Two minutes later, the same bank: no flush came in between.
        r.count(
            &key,
            true,
            Outcome::Revoked,
            PermissionSet::empty(),
            t + 2 * MINUTE_MS,
        );
        let pending = lock(&r.pending);
        let p = pending
            .get(&(KeyId(crate::services::key_facts::test_id("a")), t))
            .map(|p| (p.counts, p.asked));
        assert_eq!(p, Some(([1, 0, 0, 0, 0, 0, 0], PermissionSet::read_only())));
        drop(pending);
        assert_eq!(
            taken(&key),
            BTreeMap::from([(t + 2 * MINUTE_MS, [0, 1, 0, 0, 0, 0, 0])])
        );
    }

    #[test]
    fn uncached_keys_count_in_the_pending_map() {
        let r = UsageRecorder::default();
        let t = 7 * MINUTE_MS;
        for _ in 0..4 {
            r.count(
                &facts("a"),
                false,
                Outcome::Valid,
                PermissionSet::empty(),
                t,
            );
        }
        let pending = lock(&r.pending);
        assert_eq!(pending.len(), 1);
        assert_eq!(
            pending[&(KeyId(crate::services::key_facts::test_id("a")), t)].counts[0],
            4
        );
    }

    #[test]
    fn concurrent_counts_are_all_kept() {
        let key = facts("a");
        let r = Arc::new(UsageRecorder::default());
        let t = 5_000 * MINUTE_MS;
        let threads: Vec<_> = (0..4)
            .map(|i| {
                let (r, key) = (Arc::clone(&r), key.clone());
                std::thread::spawn(move || {
                    for n in 0..10_000 {
                        // Across five minutes, while the main thread takes counts out.
                        let now = t + (n / 2_000) * MINUTE_MS + i;
                        r.count(&key, true, Outcome::Valid, PermissionSet::empty(), now);
                    }
                })
            })
            .collect();
        let mut total = 0;
        for _ in 0..200 {
            total += key.usage.take().map(|c| c.counts[0]).sum::<u64>();
        }
        for th in threads {
            th.join().unwrap_or_else(|_| panic!("counting thread"));
        }
        total += key.usage.take().map(|c| c.counts[0]).sum::<u64>();
        total += lock(&r.pending).values().map(|p| p.counts[0]).sum::<u64>();
        assert_eq!(total, 40_000);
    }

    #[test]
    fn rows_sum_minutes_into_hours_in_order_with_the_last_use() {
        let c = |minute: i64, n: u64| Counted {
            minute,
            counts: [n, 0, 0, 0, 0, 0, 1],
            asked: PermissionSet::read_only(),
        };
        let h = 10 * HOUR_MS;
        let revoked_only = Counted {
            minute: h + 3 * MINUTE_MS,
            counts: [0, 9, 0, 0, 0, 0, 0],
            asked: PermissionSet::empty(),
        };
        let entries = vec![
            (KeyId("b".into()), c(h + MINUTE_MS, 2)),
            (KeyId("a".into()), c(h + 2 * MINUTE_MS, 3)),
            (KeyId("a".into()), c(h, 4)),
            (KeyId("a".into()), c(h + HOUR_MS, 5)),
            (KeyId("c".into()), revoked_only),
        ];
        let (minutes, hours, used) = rows_of(&entries);
        assert_eq!(minutes.len(), 9);
        let keys: Vec<(&str, i64)> = minutes
            .iter()
            .map(|r| (r.key_id.as_str(), r.bucket_start))
            .collect();
        assert_eq!(keys[0], ("a", h));
        assert_eq!(keys[8], ("c", h + 3 * MINUTE_MS));
        let hourly: Vec<(&str, i64, &str, u64)> = hours
            .iter()
            .map(|r| {
                (
                    r.key_id.as_str(),
                    r.bucket_start,
                    r.outcome.as_str(),
                    r.requests,
                )
            })
            .collect();
        assert_eq!(
            hourly,
            [
                ("a", h, "VALID", 7),
                ("a", h, "INSUFFICIENT_PERMISSIONS", 2),
                ("a", h + HOUR_MS, "VALID", 5),
                ("a", h + HOUR_MS, "INSUFFICIENT_PERMISSIONS", 1),
                ("b", h, "VALID", 2),
                ("b", h, "INSUFFICIENT_PERMISSIONS", 1),
                ("c", h, "REVOKED", 9),
            ]
        );
        let used: Vec<(&str, i64)> = used.iter().map(|(k, m)| (k.as_str(), *m)).collect();
        assert_eq!(
            used,
            [("a", h + HOUR_MS), ("b", h + MINUTE_MS)],
            "a revoked key is not used"
        );
    }
}
