//! What the key cache holds of a key: the facts a check needs, kept small.

use crate::domain::{IpAllowList, KeyId, KeyType, OrgId, PermissionSet};
use std::sync::atomic::AtomicU32;

/// What a check needs to know about a key. No secret: not the key, not its digest.
///
/// Kept small, since a busy deployment caches hundreds of thousands of these: the texts
/// (id, organisation, project, name, hint) share one allocation, and the answer to a
/// valid check is written from these facts on each check rather than kept.
#[derive(Debug)]
pub struct KeyFacts {
    /// Id, organisation, project (empty for organisation keys), name and hint, in one.
    text: Box<str>,
    /// Where each of the first four texts ends in `text` (the hint runs to the end).
    ends: [u16; 4],
    /// Production, development or organisation.
    pub key_type: KeyType,
    /// Effective permissions (normalised: write carries read).
    pub permissions: PermissionSet,
    /// When the key cache took these facts, in seconds from the cache's start (its TTL
    /// counts from here). Beside the two fields above it takes no room of its own.
    pub(crate) cached_at: AtomicU32,
    /// Expiry (unix ms), if any; rotation shortens it to the grace period's end.
    pub expires_at: Option<i64>,
    /// Revocation time, if revoked.
    pub revoked_at: Option<i64>,
    /// When it was disabled, while it is.
    pub disabled_at: Option<i64>,
    /// The networks it may be used from; empty for any address.
    pub ip_allowlist: IpAllowList,
    /// This minute's and the last minute's usage counts (see `services::usage`).
    pub(crate) usage: super::usage::UsageSlot,
}

/// The texts of a key, as [`KeyFacts::new`] takes them.
#[derive(Clone, Copy, Debug)]
pub struct KeyTexts<'a> {
    /// Id.
    pub id: &'a str,
    /// Organisation.
    pub org_id: &'a str,
    /// Project, for project keys.
    pub project_id: Option<&'a str>,
    /// Name.
    pub name: &'a str,
    /// Masked form.
    pub hint: &'a str,
}

impl KeyFacts {
    /// Facts from a key's texts and the rest.
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        texts: KeyTexts<'_>,
        key_type: KeyType,
        permissions: PermissionSet,
        expires_at: Option<i64>,
        revoked_at: Option<i64>,
        disabled_at: Option<i64>,
        ip_allowlist: IpAllowList,
    ) -> Self {
        let parts = [
            texts.id,
            texts.org_id,
            texts.project_id.unwrap_or(""),
            texts.name,
            texts.hint,
        ];
        let mut text = String::with_capacity(parts.iter().map(|p| p.len()).sum());
        let mut ends = [0u16; 4];
        for (i, part) in parts.iter().enumerate() {
            text.push_str(part);
            if let Some(end) = ends.get_mut(i) {
                // Ids are 36 bytes, names at most 100 characters: far below 65,535.
                *end = u16::try_from(text.len()).unwrap_or(u16::MAX);
            }
        }
        Self {
            text: text.into_boxed_str(),
            ends,
            key_type,
            permissions,
            cached_at: AtomicU32::new(0),
            expires_at,
            revoked_at,
            disabled_at,
            ip_allowlist,
            usage: Default::default(),
        }
    }

    fn part(&self, i: usize) -> &str {
        let start = if i == 0 {
            0
        } else {
            usize::from(self.ends[i - 1])
        };
        let end = self
            .ends
            .get(i)
            .map_or(self.text.len(), |&e| usize::from(e));
        self.text.get(start..end).unwrap_or("")
    }

    /// The key's id.
    pub fn id(&self) -> &str {
        self.part(0)
    }

    /// The key's id, typed.
    pub fn key_id(&self) -> KeyId {
        KeyId(self.id().to_owned())
    }

    /// Its organisation.
    pub fn org_id(&self) -> OrgId {
        OrgId(self.part(1).to_owned())
    }

    /// Its organisation's id, as text.
    pub fn org_id_str(&self) -> &str {
        self.part(1)
    }

    /// Its project, for a project key.
    pub fn project_id(&self) -> Option<&str> {
        Some(self.part(2)).filter(|p| !p.is_empty())
    }

    /// Its name.
    pub fn name(&self) -> &str {
        self.part(3)
    }

    /// Its masked form.
    pub fn hint(&self) -> &str {
        self.part(4)
    }
}

/// An organisation key's facts named `id`, for unit tests.
#[cfg(test)]
pub(crate) fn test_facts(id: &str) -> std::sync::Arc<KeyFacts> {
    let texts = KeyTexts {
        id,
        org_id: "o",
        project_id: None,
        name: "k",
        hint: "gtx-org-aaaa…bbbb",
    };
    std::sync::Arc::new(KeyFacts::new(
        texts,
        KeyType::Organisation,
        PermissionSet::read_only(),
        None,
        None,
        None,
        IpAllowList::default(),
    ))
}

#[cfg(test)]
mod tests {
    use super::KeyFacts;

    #[test]
    fn facts_stay_small() {
        // Texts (16) + ends (8) + type, permissions and cache time (8) + three times
        // (48) + allow-list (16) + two banks of usage counters (80).
        assert!(
            std::mem::size_of::<KeyFacts>() <= 176,
            "{}",
            std::mem::size_of::<KeyFacts>()
        );
    }
}
