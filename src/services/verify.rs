//! Checking a presented key: is it real, live, for this project, and allowed to do this?
//!
//! The format check (prefix, length, alphabet, CRC32) runs first and alone decides a
//! malformed key: no digest, no cache, no database. A well-formed key is digested
//! (HMAC-SHA256) and looked up in the [`KeyCache`](super::key_cache::KeyCache), then the
//! database. Status is decided at every check against the services' clock, so an expiry
//! or the end of a rotation's grace period takes effect on time from the cache too.

use super::Services;
use super::key_cache::{KeyFacts, KeyTexts, Lookup};
use crate::db::models::ApiKeyRecord;
use crate::db::repo::projects;
use crate::domain::usage::Outcome;
use crate::domain::{KeyFormatError, KeyStatus, OrgId, ParsedKey, PermissionSet, ProjectId};
use crate::error::CoreResult;
use crate::keys::KeyDigest;
use lru::LruCache;
use std::net::IpAddr;
use std::num::NonZeroUsize;
use std::sync::RwLock;

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
    pub key: Option<KeyFacts>,
    /// Why the key is malformed, for `Malformed`.
    pub malformed: Option<KeyFormatError>,
    /// The required permissions the key lacks, for `InsufficientPermissions`.
    pub missing: PermissionSet,
}

impl Verification {
    fn code(code: VerifyCode, key: Option<KeyFacts>) -> Self {
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
impl KeyFacts {
    fn from_record(record: &ApiKeyRecord) -> Result<Self, crate::db::DbError> {
        let texts = KeyTexts {
            id: record.id.as_str(),
            org_id: record.org_id.as_str(),
            project_id: record.project_id.as_ref().map(ProjectId::as_str),
            name: &record.name,
            hint: &record.hint,
        };
        Self::new(
            texts,
            record.key_type,
            record.permissions,
            record.expires_at,
            record.revoked_at,
            record.disabled_at,
            record.ip_allowlist.clone(),
        )
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
        let Some((facts, cached)) = self.find_key(&digest).await? else {
            return Ok(Verification::code(VerifyCode::NotFound, None));
        };
        let now = self.now();
        let (code, missing) = self
            .judge(&facts, project_id, required, client_ip, now)
            .await?;
        if let Some(outcome) = code.outcome() {
            self.usage_counts
                .count(&facts, cached, outcome, required, now);
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
        match KeyStatus::at(
            now,
            facts.expires_at(),
            facts.revoked_at(),
            facts.disabled_at(),
        ) {
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

    /// The key with this digest, and whether the cache holds it: from the cache, else from
    /// the database (then cached, unless a change raced the read).
    async fn find_key(&self, digest: &KeyDigest) -> CoreResult<Option<(KeyFacts, bool)>> {
        match self.key_cache.lookup(&digest.0) {
            Lookup::Hit(facts) => return Ok(Some((facts, true))),
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
                let facts = KeyFacts::from_record(&record)?;
                let cached = self.key_cache.insert(generation, digest.0, &facts);
                Ok(Some((facts, cached)))
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
        if let Some(own) = key.project_id() {
            return Ok(own == project_id.as_str());
        }
        Ok(self
            .project_org(project_id)
            .await?
            .is_some_and(|org| key.org_id_text() == org.as_str()))
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
