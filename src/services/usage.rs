//! Usage recording: every check of a known key counts its outcome for that key, per
//! minute, in memory; [`Services::flush_usage`] adds the counts to the database in
//! batches (every 30 seconds and at shutdown), per minute and per hour, and
//! [`Services::prune_usage`] deletes what is past its retention.
//!
//! The hot path takes no lock. Each cached key's facts carry a [`UsageSlot`]: the minute
//! it is counting and one atomic counter per outcome. The first request of a new minute
//! moves the slot on (one compare-and-swap), hands the old minute's counts to the pending
//! map and puts the key on the active list (one short lock, once per key and minute).
//! The flush empties the slots of the active keys and writes what is pending. A count is
//! taken out of its slot by exactly one swap, so none is lost or counted twice; a request
//! racing the turn of a minute may be counted in the neighbouring minute.

use super::Services;
use super::key_cache::KeyFacts;
use crate::db::repo::usage::{self, Buckets, UsageRow};
use crate::domain::time::{HOUR_MS, MINUTE_MS};
use crate::domain::usage::{OUTCOMES, Outcome, OutcomeCounts};
use crate::domain::{KeyId, PermissionSet};
use crate::error::CoreResult;
use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicI64, AtomicU32, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// Per-minute counts are kept this long.
pub const MINUTES_KEPT_MS: i64 = 48 * HOUR_MS;
/// Per-hour counts are kept this many days unless configured otherwise.
pub const DEFAULT_RETENTION_DAYS: u32 = 90;
/// Pending (key, minute) entries written per transaction.
const ENTRIES_PER_TX: usize = 500;

/// The counts of one key's current minute, kept with its cached facts.
#[derive(Debug, Default)]
pub(crate) struct UsageSlot {
    /// The minute being counted (unix ms, floored); 0 before the first count.
    minute: AtomicI64,
    counts: [AtomicU32; OUTCOMES],
    /// The permissions asked for this minute (`PermissionSet` bits).
    asked: AtomicU32,
}

impl UsageSlot {
    /// Takes the counts out (each counter swapped to zero).
    fn take(&self) -> (OutcomeCounts, PermissionSet) {
        let mut counts = [0u64; OUTCOMES];
        for (out, counter) in counts.iter_mut().zip(&self.counts) {
            *out = u64::from(counter.swap(0, Ordering::AcqRel));
        }
        let asked = PermissionSet::from_bits(i64::from(self.asked.swap(0, Ordering::AcqRel)))
            .unwrap_or_else(PermissionSet::empty);
        (counts, asked)
    }
}

/// What is counted but not yet written.
#[derive(Clone, Copy, Debug)]
struct Pending {
    counts: OutcomeCounts,
    asked: PermissionSet,
}

/// The client of a key's latest platform API call.
type Client = (Option<String>, Option<String>);

/// The counts gathered in memory, between flushes.
#[derive(Debug, Default)]
pub(crate) struct UsageRecorder {
    /// Keys counted in the last minutes: the flush empties their slots.
    active: Mutex<Vec<Arc<KeyFacts>>>,
    /// Counts handed over, per key and minute.
    pending: Mutex<HashMap<(KeyId, i64), Pending>>,
    /// The latest platform API client per key.
    clients: Mutex<HashMap<KeyId, Client>>,
}

fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

impl UsageRecorder {
    /// Counts one request of `key` with `outcome` at `now`, which asked for `asked`.
    pub(crate) fn count(
        &self,
        key: &Arc<KeyFacts>,
        outcome: Outcome,
        asked: PermissionSet,
        now: i64,
    ) {
        let slot = &key.usage;
        let minute = now - now.rem_euclid(MINUTE_MS);
        let current = slot.minute.load(Ordering::Acquire);
        if current < minute
            && slot
                .minute
                .compare_exchange(current, minute, Ordering::AcqRel, Ordering::Acquire)
                .is_ok()
        {
            // This request turned the slot to a new minute: the old minute's counts go
            // to the pending map, and the flush learns of this key.
            let (counts, old_asked) = slot.take();
            if current > 0 {
                self.hand_over(&key.id, current, counts, old_asked);
            }
            lock(&self.active).push(Arc::clone(key));
        }
        slot.counts[outcome.index()].fetch_add(1, Ordering::AcqRel);
        if !asked.is_empty() {
            // Bits fit: a permission set is 16 bits wide.
            slot.asked.fetch_or(asked.bits() as u32, Ordering::AcqRel);
        }
    }

    fn hand_over(&self, key_id: &KeyId, minute: i64, counts: OutcomeCounts, asked: PermissionSet) {
        if counts.iter().all(|&n| n == 0) {
            return;
        }
        let mut pending = lock(&self.pending);
        let entry = pending.entry((key_id.clone(), minute)).or_insert(Pending {
            counts: [0; OUTCOMES],
            asked: PermissionSet::empty(),
        });
        for (total, n) in entry.counts.iter_mut().zip(counts) {
            *total += n;
        }
        entry.asked = entry.asked.union(asked);
    }

    /// Empties the slots of the active keys into the pending map. Keys counted in this
    /// minute or the one before stay active (a request may still land in their slot).
    fn harvest(&self, now: i64) {
        let active = std::mem::take(&mut *lock(&self.active));
        let recent = now - now.rem_euclid(MINUTE_MS) - MINUTE_MS;
        let mut seen = HashSet::new();
        let mut keep = Vec::new();
        for key in active {
            if !seen.insert(Arc::as_ptr(&key)) {
                continue;
            }
            let minute = key.usage.minute.load(Ordering::Acquire);
            let (counts, asked) = key.usage.take();
            self.hand_over(&key.id, minute, counts, asked);
            if minute >= recent {
                keep.push(key);
            }
        }
        lock(&self.active).extend(keep);
    }
}

/// The minute and hour rows of some pending entries, each sorted (one lock order for
/// every writer).
fn rows_of(entries: &[((KeyId, i64), Pending)]) -> (Vec<UsageRow>, Vec<UsageRow>) {
    let mut minutes = Vec::new();
    let mut hours: BTreeMap<(KeyId, i64, usize), (u64, PermissionSet)> = BTreeMap::new();
    for ((key_id, minute), pending) in entries {
        for outcome in Outcome::ALL {
            let requests = pending.counts[outcome.index()];
            if requests == 0 {
                continue;
            }
            minutes.push(UsageRow {
                key_id: key_id.clone(),
                bucket_start: *minute,
                outcome,
                requests,
                permissions: pending.asked,
            });
            let hour = minute - minute.rem_euclid(HOUR_MS);
            let slot = hours
                .entry((key_id.clone(), hour, outcome.index()))
                .or_insert((0, PermissionSet::empty()));
            slot.0 += requests;
            slot.1 = slot.1.union(pending.asked);
        }
    }
    minutes.sort_by(|a, b| {
        (&a.key_id.0, a.bucket_start, a.outcome.index()).cmp(&(
            &b.key_id.0,
            b.bucket_start,
            b.outcome.index(),
        ))
    });
    let hours = hours
        .into_iter()
        .map(
            |((key_id, bucket_start, i), (requests, permissions))| UsageRow {
                key_id,
                bucket_start,
                outcome: Outcome::ALL[i],
                requests,
                permissions,
            },
        )
        .collect();
    (minutes, hours)
}

impl Services {
    /// Notes the client of a platform API call made with `key` (written at the next flush).
    pub fn note_client(&self, key: &KeyFacts, ip: Option<String>, user_agent: Option<String>) {
        lock(&self.usage_counts.clients).insert(key.id.clone(), (ip, user_agent));
    }

    /// Adds the counts gathered in memory to the database, with the latest platform API
    /// clients. Returns how many (key, minute) entries were written. The server calls
    /// this every 30 seconds and at shutdown; tests call it directly. What cannot be
    /// written stays in memory for the next call.
    pub async fn flush_usage(&self) -> CoreResult<usize> {
        self.usage_counts.harvest(self.now());
        let mut batch: Vec<((KeyId, i64), Pending)> =
            lock(&self.usage_counts.pending).drain().collect();
        batch.sort_by(|a, b| (&a.0.0.0, a.0.1).cmp(&(&b.0.0.0, b.0.1)));
        let mut written = 0;
        let mut chunks = batch.chunks(ENTRIES_PER_TX);
        while let Some(chunk) = chunks.next() {
            let (minutes, hours) = rows_of(chunk);
            let done = async {
                let mut tx = self.db.begin().await?;
                usage::add(&mut tx, Buckets::Minutes, &minutes).await?;
                usage::add(&mut tx, Buckets::Hours, &hours).await?;
                tx.commit().await?;
                CoreResult::Ok(())
            }
            .await;
            if let Err(e) = done {
                // Back for the next round: this chunk and every one after it.
                let rest = chunk.iter().chain(chunks.flatten());
                for ((key_id, minute), p) in rest {
                    self.usage_counts
                        .hand_over(key_id, *minute, p.counts, p.asked);
                }
                return Err(e);
            }
            written += chunk.len();
        }
        let clients: Vec<(KeyId, Client)> = lock(&self.usage_counts.clients).drain().collect();
        if !clients.is_empty() {
            let mut tx = self.db.begin().await?;
            for (key_id, (ip, agent)) in &clients {
                usage::set_last_client(&mut *tx, key_id, ip.as_deref(), agent.as_deref()).await?;
            }
            tx.commit().await?;
        }
        Ok(written)
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
    use crate::domain::{KeyType, OrgId};
    use std::sync::OnceLock;
    use std::sync::atomic::AtomicI64;

    fn facts(id: &str) -> Arc<KeyFacts> {
        Arc::new(KeyFacts {
            id: KeyId(id.to_owned()),
            name: "k".to_owned(),
            key_type: KeyType::Organisation,
            hint: "h".to_owned(),
            org_id: OrgId("o".to_owned()),
            project_id: None,
            permissions: PermissionSet::read_only(),
            expires_at: None,
            revoked_at: None,
            disabled_at: None,
            ip_allowlist: Default::default(),
            last_used_minute: AtomicI64::new(0),
            usage: UsageSlot::default(),
            derived: OnceLock::new(),
        })
    }

    fn pending(r: &UsageRecorder) -> BTreeMap<(String, i64), OutcomeCounts> {
        lock(&r.pending)
            .iter()
            .map(|((k, m), p)| ((k.0.clone(), *m), p.counts))
            .collect()
    }

    #[test]
    fn counts_move_to_pending_when_the_minute_turns_and_at_harvest() {
        let r = UsageRecorder::default();
        let (a, b) = (facts("a"), facts("b"));
        let t = 1_000 * MINUTE_MS;
        for _ in 0..3 {
            r.count(&a, Outcome::Valid, PermissionSet::empty(), t + 5);
        }
        r.count(&a, Outcome::Expired, PermissionSet::read_only(), t + 10);
        r.count(&b, Outcome::Valid, PermissionSet::empty(), t);
        assert!(pending(&r).is_empty(), "all in the slots");
        r.count(&a, Outcome::Valid, PermissionSet::empty(), t + MINUTE_MS);
        assert_eq!(
            pending(&r),
            BTreeMap::from([(("a".into(), t), [3, 0, 1, 0, 0, 0, 0])])
        );
        r.harvest(t + MINUTE_MS + 1);
        let all = pending(&r);
        assert_eq!(all[&("a".into(), t + MINUTE_MS)], [1, 0, 0, 0, 0, 0, 0]);
        assert_eq!(all[&("b".into(), t)], [1, 0, 0, 0, 0, 0, 0]);
        assert_eq!(
            lock(&r.active).len(),
            2,
            "counted within the last two minutes: still active"
        );
        r.harvest(t + 3 * MINUTE_MS);
        assert!(
            lock(&r.active).is_empty(),
            "idle keys leave the active list"
        );
        let asked = lock(&r.pending)[&(KeyId("a".into()), t)].asked;
        assert_eq!(asked, PermissionSet::read_only());
    }

    #[test]
    fn concurrent_counts_are_all_kept() {
        let r = Arc::new(UsageRecorder::default());
        let key = facts("a");
        let t = 5_000 * MINUTE_MS;
        let threads: Vec<_> = (0..4)
            .map(|i| {
                let (r, key) = (Arc::clone(&r), Arc::clone(&key));
                std::thread::spawn(move || {
                    for n in 0..10_000 {
                        // Across three minutes, while another thread harvests.
                        let now = t + (n / 4_000) * MINUTE_MS + i;
                        r.count(&key, Outcome::Valid, PermissionSet::empty(), now);
                    }
                })
            })
            .collect();
        for _ in 0..50 {
            r.harvest(t);
        }
        for th in threads {
            th.join().unwrap_or_else(|_| panic!("counting thread"));
        }
        r.harvest(t + 10 * MINUTE_MS);
        let total: u64 = pending(&r).values().map(|c| c[0]).sum();
        assert_eq!(total, 40_000);
    }

    #[test]
    fn rows_sum_minutes_into_hours_in_order() {
        let p = |n: u64| Pending {
            counts: [n, 0, 0, 0, 0, 0, 1],
            asked: PermissionSet::read_only(),
        };
        let h = 10 * HOUR_MS;
        let entries = vec![
            ((KeyId("b".into()), h + MINUTE_MS), p(2)),
            ((KeyId("a".into()), h + 2 * MINUTE_MS), p(3)),
            ((KeyId("a".into()), h), p(4)),
            ((KeyId("a".into()), h + HOUR_MS), p(5)),
        ];
        let (minutes, hours) = rows_of(&entries);
        assert_eq!(minutes.len(), 8);
        let keys: Vec<(&str, i64)> = minutes
            .iter()
            .map(|r| (r.key_id.as_str(), r.bucket_start))
            .collect();
        assert_eq!(keys[0], ("a", h));
        assert_eq!(keys[7], ("b", h + MINUTE_MS));
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
            ]
        );
    }
}
