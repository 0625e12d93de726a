//! What the key cache holds of a key: the facts a check needs, kept small.

use crate::domain::{IpAllowList, KeyId, KeyType, OrgId, PermissionSet};
use std::num::NonZeroI64;
use std::sync::atomic::AtomicU32;

/// What a check needs to know about a key. No secret: not the key, not its digest.
///
/// Kept small, since a busy deployment caches hundreds of thousands of these: the texts
/// (id, organisation, project, name, hint) share one allocation, times take 8 bytes
/// each, and the answer to a valid check is written from these facts on each check
/// rather than kept. 136 bytes, so an entry with its reference counts is one 160-byte
/// allocation (`facts_stay_small`).
#[derive(Debug)]
pub struct KeyFacts {
    /// Id, organisation, project (empty for organisation keys), name and hint, in one.
    text: Box<str>,
    /// The lengths of the id, the organisation and the project in `text` (ids are
    /// 36-byte UUIDs).
    id_lens: [u8; 3],
    /// Where the name ends in `text` (the hint runs from there to the end).
    name_end: u16,
    /// Production, development or organisation.
    pub key_type: KeyType,
    /// Effective permissions (normalised: write carries read).
    pub permissions: PermissionSet,
    /// When the key cache took these facts, in seconds from the cache's start (its TTL
    /// counts from here). Beside the fields above it takes no room of its own.
    pub(crate) cached_at: AtomicU32,
    /// Expiry, revocation and disabling times (unix ms; none is ever 0, 1970).
    expires_at: Option<NonZeroI64>,
    revoked_at: Option<NonZeroI64>,
    disabled_at: Option<NonZeroI64>,
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

/// A time as stored in the facts: a time of 0 (the first millisecond of 1970, never a
/// real key's) reads back as 1.
fn time(at: Option<i64>) -> Option<NonZeroI64> {
    const ONE: NonZeroI64 = NonZeroI64::new(1).unwrap();
    at.map(|t| NonZeroI64::new(t).unwrap_or(ONE))
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
        // Ids are generated UUIDs (36 bytes); a longer one is cut to 255 bytes here,
        // on a character boundary, rather than misplacing the texts after it.
        let short = |id| cut(id, usize::from(u8::MAX));
        let ids = [
            short(texts.id),
            short(texts.org_id),
            short(texts.project_id.unwrap_or("")),
        ];
        // Names are at most 100 characters; the cut keeps any text within a u16 offset.
        let name = cut(texts.name, usize::from(u16::MAX) - 3 * usize::from(u8::MAX));
        let mut text = String::with_capacity(
            ids.iter().map(|p| p.len()).sum::<usize>() + name.len() + texts.hint.len(),
        );
        let mut id_lens = [0u8; 3];
        for (len, id) in id_lens.iter_mut().zip(ids) {
            text.push_str(id);
            *len = u8::try_from(id.len()).unwrap_or(u8::MAX);
        }
        text.push_str(name);
        let name_end = u16::try_from(text.len()).unwrap_or(u16::MAX);
        text.push_str(texts.hint);
        Self {
            text: text.into_boxed_str(),
            id_lens,
            name_end,
            key_type,
            permissions,
            cached_at: AtomicU32::new(0),
            expires_at: time(expires_at),
            revoked_at: time(revoked_at),
            disabled_at: time(disabled_at),
            ip_allowlist,
            usage: Default::default(),
        }
    }

    /// The text from byte `start` to `end` (`text` ends at a character boundary at each).
    fn slice(&self, start: usize, end: usize) -> &str {
        self.text.get(start..end).unwrap_or("")
    }

    fn id_end(&self, i: usize) -> usize {
        self.id_lens[..=i].iter().map(|&l| usize::from(l)).sum()
    }

    /// Expiry (unix ms), if any; rotation shortens it to the grace period's end.
    pub fn expires_at(&self) -> Option<i64> {
        self.expires_at.map(NonZeroI64::get)
    }

    /// Revocation time, if revoked.
    pub fn revoked_at(&self) -> Option<i64> {
        self.revoked_at.map(NonZeroI64::get)
    }

    /// When it was disabled, while it is.
    pub fn disabled_at(&self) -> Option<i64> {
        self.disabled_at.map(NonZeroI64::get)
    }

    /// The key's id.
    pub fn id(&self) -> &str {
        self.slice(0, self.id_end(0))
    }

    /// The key's id, typed.
    pub fn key_id(&self) -> KeyId {
        KeyId(self.id().to_owned())
    }

    /// Its organisation.
    pub fn org_id(&self) -> OrgId {
        OrgId(self.org_id_str().to_owned())
    }

    /// Its organisation's id, as text.
    pub fn org_id_str(&self) -> &str {
        self.slice(self.id_end(0), self.id_end(1))
    }

    /// Its project, for a project key.
    pub fn project_id(&self) -> Option<&str> {
        Some(self.slice(self.id_end(1), self.id_end(2))).filter(|p| !p.is_empty())
    }

    /// Its name.
    pub fn name(&self) -> &str {
        self.slice(self.id_end(2), usize::from(self.name_end))
    }

    /// Its masked form.
    pub fn hint(&self) -> &str {
        self.slice(usize::from(self.name_end), self.text.len())
    }
}

/// `text` cut to at most `max` bytes, on a character boundary.
fn cut(text: &str, max: usize) -> &str {
    let mut end = text.len().min(max);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text[..end]
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
    use super::{KeyFacts, KeyTexts};
    use crate::domain::{IpAllowList, KeyType, PermissionSet};

    #[test]
    fn texts_read_back_each_apart() {
        let texts = KeyTexts {
            id: "6f1c0b5e-2d4a-4c8e-9a53-1f2e3d4c5b6a",
            org_id: "0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9",
            project_id: Some("p"),
            name: "Übersetzung · CI",
            hint: "gtx-prod-AbCd…WxYz",
        };
        let facts = KeyFacts::new(
            texts,
            KeyType::Production,
            PermissionSet::read_only(),
            Some(0),
            None,
            Some(5),
            IpAllowList::default(),
        );
        assert_eq!(facts.id(), texts.id);
        assert_eq!(facts.org_id_str(), texts.org_id);
        assert_eq!(facts.project_id(), Some("p"));
        assert_eq!(facts.name(), texts.name);
        assert_eq!(facts.hint(), texts.hint);
        assert_eq!(facts.expires_at(), Some(1), "0 reads back as 1");
        assert_eq!(facts.revoked_at(), None);
        assert_eq!(facts.disabled_at(), Some(5));
        let org_key = super::test_facts("k1");
        assert_eq!(org_key.project_id(), None);
        assert_eq!(
            (org_key.id(), org_key.org_id_str(), org_key.name()),
            ("k1", "o", "k")
        );
    }

    #[test]
    fn facts_stay_small() {
        // Texts (16) + lengths, type, permissions and cache time (12) + three times
        // (24) + allow-list (16) + two banks of usage counters (68): 136, and 152 with
        // the `Arc`'s two counts, which the allocator serves from 160-byte chunks.
        assert!(
            std::mem::size_of::<KeyFacts>() <= 136,
            "{}",
            std::mem::size_of::<KeyFacts>()
        );
    }
}
