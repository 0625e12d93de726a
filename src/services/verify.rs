//! Checking a presented key: is it real, live, for this project, and allowed to do this?
//!
//! The format check (prefix, length, alphabet, CRC32) runs first and alone decides a
//! malformed key: no digest, no cache, no database. A well-formed key is digested
//! (HMAC-SHA256) and looked up in the [`KeyCache`](super::key_cache::KeyCache), then the
//! database. Status is decided at every check against the services' clock, so an expiry
//! or the end of a rotation's grace period takes effect on time from the cache too.

use super::Services;
use super::key_cache::{KeyFacts, Lookup};
use crate::db::models::ApiKeyRecord;
use crate::db::repo::{keys, projects};
use crate::domain::usage::Outcome;
use crate::domain::{KeyFormatError, KeyId, KeyStatus, OrgId, ParsedKey, PermissionSet, ProjectId};
use crate::error::CoreResult;
use crate::keys::KeyDigest;
use lru::LruCache;
use std::collections::HashMap;
use std::net::IpAddr;
use std::num::NonZeroUsize;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, RwLock};

/// The verdict of a check, in the order they are decided.
#[derive(Clone, Copy, Debug, PartialEq, Eq, strum::IntoStaticStr)]
#[strum(serialize_all = "SCREAMING_SNAKE_CASE")]
pub enum VerifyCode {
    /// The key is live, reaches the project, and holds every required permission.
    Valid,
    /// Not a well-formed GT key (prefix, length, alphabet or checksum).
    Malformed,
    /// Well-formed, but no such key.
    NotFound,
    /// The key was revoked.
    Revoked,
    /// The key's expiry (or its rotation's grace period) has passed.
    Expired,
    /// The key is disabled (paused) until an admin enables it.
    Disabled,
    /// The key has an IP allow-list, and the address it was presented from is not in it
    /// (or was not given).
    IpNotAllowed,
    /// The key does not reach the named project.
    WrongProject,
    /// The key lacks a required permission.
    InsufficientPermissions,
}

impl VerifyCode {
    /// Every code, in precedence order.
    pub const ALL: [VerifyCode; 9] = [
        Self::Valid,
        Self::Malformed,
        Self::NotFound,
        Self::Revoked,
        Self::Expired,
        Self::Disabled,
        Self::IpNotAllowed,
        Self::WrongProject,
        Self::InsufficientPermissions,
    ];

    /// The code's place in [`Self::ALL`].
    pub const fn index(self) -> usize {
        self as usize
    }

    /// The code as the API spells it.
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// The outcome a key's usage counts, for the codes that have a key.
    pub const fn outcome(self) -> Option<Outcome> {
        match self {
            Self::Valid => Some(Outcome::Valid),
            Self::Malformed | Self::NotFound => None,
            Self::Revoked => Some(Outcome::Revoked),
            Self::Expired => Some(Outcome::Expired),
            Self::Disabled => Some(Outcome::Disabled),
            Self::IpNotAllowed => Some(Outcome::IpNotAllowed),
            Self::WrongProject => Some(Outcome::WrongProject),
            Self::InsufficientPermissions => Some(Outcome::InsufficientPermissions),
        }
    }
}

/// The result of a check.
#[derive(Debug)]
pub struct Verification {
    /// The verdict.
    pub code: VerifyCode,
    /// The key, once it was found (every code after `NotFound`).
    pub key: Option<Arc<KeyFacts>>,
    /// Why the key is malformed, for `Malformed`.
    pub malformed: Option<KeyFormatError>,
    /// The required permissions the key lacks, for `InsufficientPermissions`.
    pub missing: PermissionSet,
}

impl Verification {
    fn code(code: VerifyCode, key: Option<Arc<KeyFacts>>) -> Self {
        Self {
            code,
            key,
            malformed: None,
            missing: PermissionSet::empty(),
        }
    }

    /// Whether the key passed.
    pub fn is_valid(&self) -> bool {
        self.code == VerifyCode::Valid
    }
}

/// Last-used times gathered in memory (key → minute), written in batches.
#[derive(Debug, Default)]
pub(crate) struct UsageBuffer {
    pending: Mutex<HashMap<KeyId, i64>>,
}

/// Projects never move between organisations: which organisation a project belongs to
/// can be cached without invalidation. Bounded: when full, the oldest entry goes. Read
/// with `peek` (no reordering), so a verify takes only the read lock.
#[derive(Debug)]
pub(crate) struct ProjectOrgs {
    map: RwLock<LruCache<ProjectId, OrgId>>,
}

impl Default for ProjectOrgs {
    fn default() -> Self {
        Self {
            map: RwLock::new(LruCache::new(PROJECT_ORGS_CAPACITY)),
        }
    }
}

const PROJECT_ORGS_CAPACITY: NonZeroUsize = NonZeroUsize::new(100_000).unwrap();
/// Last-used writes per transaction, so a large batch never holds SQLite's write lock long.
const USAGE_CHUNK: usize = 500;
/// One minute in ms: last-used precision.
const MINUTE_MS: i64 = 60_000;

impl KeyFacts {
    fn from_record(record: &ApiKeyRecord) -> Self {
        Self {
            id: record.id.clone(),
            name: record.name.clone(),
            key_type: record.key_type,
            hint: record.hint.clone(),
            org_id: record.org_id.clone(),
            project_id: record.project_id.clone(),
            permissions: record.permissions,
            expires_at: record.expires_at,
            revoked_at: record.revoked_at,
            disabled_at: record.disabled_at,
            ip_allowlist: record.ip_allowlist.clone(),
            last_used_minute: AtomicI64::new(record.last_used_at.unwrap_or(0)),
            usage: Default::default(),
            derived: std::sync::OnceLock::new(),
        }
    }
}

impl Services {
    /// Checks `key`: that it exists, is live and enabled, that `client_ip` (the address
    /// it was presented from, when known) is in its allow-list if it has one, that it
    /// reaches `project_id` (when given), and that it holds every permission in
    /// `required`. Codes are decided in the order of [`VerifyCode::ALL`]. Records the
    /// key's use (to the minute) once it passed the address check.
    // Debug level: at info this span would cost every verify a little, for nothing.
    #[tracing::instrument(level = "debug", skip_all)]
    pub async fn verify_key(
        &self,
        key: &str,
        project_id: Option<&ProjectId>,
        required: PermissionSet,
        client_ip: Option<IpAddr>,
    ) -> CoreResult<Verification> {
        let parsed = match ParsedKey::parse(key) {
            Ok(parsed) => parsed,
            Err(reason) => {
                let mut verdict = Verification::code(VerifyCode::Malformed, None);
                verdict.malformed = Some(reason);
                return Ok(verdict);
            }
        };
        let digest = self.secret.digest(parsed.expose());
        let Some(facts) = self.find_key(&digest).await? else {
            return Ok(Verification::code(VerifyCode::NotFound, None));
        };
        let now = self.now();
        let (code, missing) = self
            .judge(&facts, project_id, required, client_ip, now)
            .await?;
        if let Some(outcome) = code.outcome() {
            self.usage_counts.count(&facts, outcome, required, now);
        }
        let mut verdict = Verification::code(code, Some(facts));
        verdict.missing = missing;
        Ok(verdict)
    }

    /// The verdict on a key that exists, and the permissions it lacks.
    async fn judge(
        &self,
        facts: &KeyFacts,
        project_id: Option<&ProjectId>,
        required: PermissionSet,
        client_ip: Option<IpAddr>,
        now: i64,
    ) -> CoreResult<(VerifyCode, PermissionSet)> {
        let none = PermissionSet::empty();
        match KeyStatus::at(now, facts.expires_at, facts.revoked_at, facts.disabled_at) {
            KeyStatus::Revoked => return Ok((VerifyCode::Revoked, none)),
            KeyStatus::Expired => return Ok((VerifyCode::Expired, none)),
            KeyStatus::Disabled => return Ok((VerifyCode::Disabled, none)),
            KeyStatus::Active | KeyStatus::Expiring => {}
        }
        // Fails closed: a key with a list needs a known address in it.
        if !facts.ip_allowlist.is_empty()
            && !client_ip.is_some_and(|ip| facts.ip_allowlist.allows(ip))
        {
            return Ok((VerifyCode::IpNotAllowed, none));
        }
        self.record_use(facts, now);
        if let Some(project_id) = project_id
            && !self.reaches_project(facts, project_id).await?
        {
            return Ok((VerifyCode::WrongProject, none));
        }
        let missing = facts.permissions.missing(&required);
        if !missing.is_empty() {
            return Ok((VerifyCode::InsufficientPermissions, missing));
        }
        Ok((VerifyCode::Valid, none))
    }

    /// The key with this digest: from the cache, else from the database (then cached).
    async fn find_key(&self, digest: &KeyDigest) -> CoreResult<Option<Arc<KeyFacts>>> {
        match self.key_cache.lookup(&digest.0) {
            Lookup::Hit(facts) => return Ok(Some(facts)),
            Lookup::Absent => return Ok(None),
            Lookup::Miss => {}
        }
        // Read the generation before the database: an invalidation after this point
        // stops the insert below.
        let generation = self.key_cache.generation();
        let found = self.db.find_key_by_digest(&digest.0).await?;
        let record = found.and_then(|(record, stored)| {
            // The index matched on equality; confirm in constant time all the same.
            KeyDigest::from_slice(&stored)
                .is_some_and(|stored| stored.ct_eq(digest))
                .then_some(record)
        });
        match record {
            Some(record) => {
                let facts = Arc::new(KeyFacts::from_record(&record));
                self.key_cache.insert(generation, digest.0, &facts);
                Ok(Some(facts))
            }
            None => {
                self.key_cache.insert_absent(generation, digest.0);
                Ok(None)
            }
        }
    }

    /// Whether a key reaches a project: a project key only its own project, an
    /// organisation key every project of its organisation.
    async fn reaches_project(&self, key: &KeyFacts, project_id: &ProjectId) -> CoreResult<bool> {
        if let Some(own) = &key.project_id {
            return Ok(own == project_id);
        }
        Ok(self.project_org(project_id).await?.as_ref() == Some(&key.org_id))
    }

    /// The organisation a project belongs to (cached: it never changes).
    pub(crate) async fn project_org(&self, project_id: &ProjectId) -> CoreResult<Option<OrgId>> {
        if let Some(org) = self
            .project_orgs
            .map
            .read()
            .unwrap_or_else(|e| e.into_inner())
            .peek(project_id)
        {
            return Ok(Some(org.clone()));
        }
        let Some(project) = projects::get_unscoped(self.db.pool(), project_id).await? else {
            return Ok(None);
        };
        self.project_orgs
            .map
            .write()
            .unwrap_or_else(|e| e.into_inner())
            .put(project.id, project.org_id.clone());
        Ok(Some(project.org_id))
    }

    /// Notes a live key's use, once per key and minute.
    fn record_use(&self, key: &KeyFacts, now: i64) {
        let minute = now - now.rem_euclid(MINUTE_MS);
        // A plain load first: the common case (already noted this minute) writes nothing
        // to memory that other threads share.
        if key.last_used_minute.load(Ordering::Relaxed) >= minute
            || key.last_used_minute.fetch_max(minute, Ordering::Relaxed) >= minute
        {
            return;
        }
        let mut pending = self.usage.pending.lock().unwrap_or_else(|e| e.into_inner());
        match pending.get_mut(&key.id) {
            Some(slot) => *slot = (*slot).max(minute),
            None => {
                pending.insert(key.id.clone(), minute);
            }
        }
    }

    /// Writes the gathered last-used times (in transactions of a few hundred keys).
    /// Returns how many keys were written. The server calls this every 30 seconds and
    /// at shutdown; tests call it directly.
    pub async fn flush_last_used(&self) -> CoreResult<usize> {
        let batch: Vec<(KeyId, i64)> = {
            let mut pending = self.usage.pending.lock().unwrap_or_else(|e| e.into_inner());
            pending.drain().collect()
        };
        for chunk in batch.chunks(USAGE_CHUNK) {
            let written = async {
                let mut tx = self.db.begin().await?;
                for (id, minute) in chunk {
                    keys::touch_last_used(&mut *tx, id, *minute).await?;
                }
                tx.commit().await?;
                CoreResult::Ok(())
            }
            .await;
            if let Err(e) = written {
                // Put the unwritten times back for the next round.
                let mut pending = self.usage.pending.lock().unwrap_or_else(|e| e.into_inner());
                for (id, minute) in chunk {
                    let slot = pending.entry(id.clone()).or_insert(*minute);
                    *slot = (*slot).max(*minute);
                }
                return Err(e);
            }
        }
        Ok(batch.len())
    }

    /// The key cache (for the server's background sync and for tests).
    pub fn key_cache(&self) -> &super::key_cache::KeyCache {
        &self.key_cache
    }
}

#[cfg(test)]
mod tests {
    use super::VerifyCode;

    #[test]
    fn index_matches_place_in_all() {
        for (i, code) in VerifyCode::ALL.into_iter().enumerate() {
            assert_eq!(code.index(), i, "{code:?}");
        }
    }
}
