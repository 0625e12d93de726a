//! What the key cache holds of a key: the facts a check needs, kept small.

use crate::db::DbError;
use crate::domain::key_format::{BASE62, HINT_ELLIPSIS as ELLIPSIS, PREFIX_LEN};
use crate::domain::{IpAllowList, KeyId, KeyType, OrgId, PermissionSet};
use std::num::NonZeroI64;
use std::sync::atomic::AtomicU32;
use triomphe::ThinArc;
use uuid::Uuid;

/// What a check needs to know about a key. No secret: not the key, not its digest.
///
/// A shared handle (cloning it counts a reference): the [`Facts`] and the name's text
/// live in one allocation, behind one pointer.
///
/// Kept small, since a busy deployment caches hundreds of thousands of these: one
/// allocation per key, with one reference count and no weak count; the ids as 16-byte
/// UUIDs (not 36-byte texts); the hint as its 8 characters of the key (the prefix follows
/// from the type); times in 8 bytes each; and no pre-made answer: the answer to a valid
/// check is written from these facts on each check (`facts_stay_small` has the sizes).
#[derive(Clone)]
pub struct KeyFacts(ThinArc<Facts, u8>);

/// The fixed-size part of a key's [`KeyFacts`]; the text (the name, and the hint when it
/// is not in `hint_chars`) follows it in the same allocation.
#[derive(Debug)]
pub struct Facts {
    /// The hint's first and last 4 characters of the key, when the hint has the form
    /// every key this server makes has (`<prefix of the type>AbCd…WxYz`); else zeros, and
    /// the hint is in `text`.
    hint_chars: [u8; 4 * 2],
    id: Uuid,
    org_id: Uuid,
    /// The project, for project keys.
    project_id: Option<Uuid>,
    /// Where the name ends in the text.
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

/// An id of a key's facts as text, written on the stack when asked for (a UUID in its
/// lowercase hyphenated form, as the database holds it).
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct IdText([u8; 36]);

impl IdText {
    fn new(id: Uuid) -> Self {
        let mut text = [0u8; 36];
        id.hyphenated().encode_lower(&mut text);
        Self(text)
    }

    /// The text's bytes (ASCII), with no check.
    pub fn as_bytes(&self) -> &[u8; 36] {
        &self.0
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        // Always ASCII: written by `encode_lower`.
        std::str::from_utf8(&self.0).unwrap_or_default()
    }
}

impl std::ops::Deref for IdText {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq<str> for IdText {
    fn eq(&self, other: &str) -> bool {
        self.as_str() == other
    }
}

impl PartialEq<&str> for IdText {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl std::fmt::Debug for IdText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.as_str(), f)
    }
}

impl std::fmt::Display for IdText {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for IdText {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

/// A stored id as a UUID: only its canonical text (lowercase, hyphenated) is accepted,
/// so the id read back is the id stored.
fn uuid(text: &str, column: &'static str) -> Result<Uuid, DbError> {
    Uuid::try_parse(text)
        .ok()
        .filter(|id| IdText::new(*id) == text)
        .ok_or(DbError::Corrupt { column })
}

/// A time as stored in the facts: a time of 0 (the first millisecond of 1970, never a
/// real key's) reads back as 1.
fn time(at: Option<i64>) -> Option<NonZeroI64> {
    const ONE: NonZeroI64 = NonZeroI64::new(1).unwrap();
    at.map(|t| NonZeroI64::new(t).unwrap_or(ONE))
}

impl KeyFacts {
    /// Facts from a key's texts and the rest. Ids that are not UUIDs in their canonical
    /// form are an error (every id this server makes is one).
    #[allow(clippy::too_many_arguments)]
    pub(crate) fn new(
        texts: KeyTexts<'_>,
        key_type: KeyType,
        permissions: PermissionSet,
        expires_at: Option<i64>,
        revoked_at: Option<i64>,
        disabled_at: Option<i64>,
        ip_allowlist: IpAllowList,
    ) -> Result<Self, DbError> {
        // Names are at most 100 characters: the cut only keeps the offset in a u16.
        let name = cut(texts.name, usize::from(u16::MAX));
        let hint_chars = compact_hint(key_type, texts.hint);
        let mut text = String::with_capacity(name.len() + texts.hint.len());
        text.push_str(name);
        if hint_chars.is_none() {
            text.push_str(texts.hint);
        }
        let facts = Facts {
            hint_chars: hint_chars.unwrap_or_default(),
            id: uuid(texts.id, "id")?,
            org_id: uuid(texts.org_id, "org_id")?,
            project_id: texts
                .project_id
                .map(|p| uuid(p, "project_id"))
                .transpose()?,
            name_end: u16::try_from(name.len()).unwrap_or(u16::MAX),
            key_type,
            permissions,
            cached_at: AtomicU32::new(0),
            expires_at: time(expires_at),
            revoked_at: time(revoked_at),
            disabled_at: time(disabled_at),
            ip_allowlist,
            usage: Default::default(),
        };
        Ok(Self(ThinArc::from_header_and_slice(facts, text.as_bytes())))
    }

    /// The name, and then the hint when it is not in `hint_chars`.
    fn text(&self) -> &str {
        // Always UTF-8: written from a `String` in `new`.
        std::str::from_utf8(&self.0.slice).unwrap_or_default()
    }

    /// Its name.
    pub fn name(&self) -> &str {
        self.text().get(..usize::from(self.name_end)).unwrap_or("")
    }

    /// Its masked form.
    pub fn hint(&self) -> HintText<'_> {
        if self.hint_chars == [0; 8] {
            return HintText::Text(self.text().get(usize::from(self.name_end)..).unwrap_or(""));
        }
        let mut text = [0u8; HINT_LEN];
        let (prefix, rest) = text.split_at_mut(PREFIX_LEN);
        prefix.copy_from_slice(self.key_type.prefix().as_bytes());
        let (first, rest) = rest.split_at_mut(4);
        first.copy_from_slice(&self.hint_chars[..4]);
        let (ellipsis, last) = rest.split_at_mut(ELLIPSIS.len());
        ellipsis.copy_from_slice(ELLIPSIS.as_bytes());
        last.copy_from_slice(&self.hint_chars[4..]);
        HintText::Compact(text)
    }

    /// How many handles share these facts (the cache's among them).
    pub(crate) fn handles(&self) -> usize {
        ThinArc::strong_count(&self.0)
    }
}

impl std::ops::Deref for KeyFacts {
    type Target = Facts;
    fn deref(&self) -> &Facts {
        &self.0.header.header
    }
}

impl std::fmt::Debug for KeyFacts {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KeyFacts")
            .field("facts", &**self)
            .field("name", &self.name())
            .finish()
    }
}

impl Facts {
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
    pub fn id(&self) -> IdText {
        IdText::new(self.id)
    }

    /// The key's id, typed.
    pub fn key_id(&self) -> KeyId {
        KeyId(self.id().as_str().to_owned())
    }

    /// Its organisation.
    pub fn org_id(&self) -> OrgId {
        OrgId(self.org_id_text().as_str().to_owned())
    }

    /// Its organisation's id, as text.
    pub fn org_id_text(&self) -> IdText {
        IdText::new(self.org_id)
    }

    /// Its project, for a project key.
    pub fn project_id(&self) -> Option<IdText> {
        self.project_id.map(IdText::new)
    }
}

/// Length of a hint in the form every key this server makes has.
const HINT_LEN: usize = PREFIX_LEN + 4 + ELLIPSIS.len() + 4;

/// The 8 characters of the key in `hint`, if it is `<prefix of key_type>AbCd…WxYz`
/// (base62 characters, as `hint_of` writes it).
fn compact_hint(key_type: KeyType, hint: &str) -> Option<[u8; 8]> {
    let rest = hint.strip_prefix(key_type.prefix())?;
    let (first, rest) = rest.split_at_checked(4)?;
    let last = rest.strip_prefix(ELLIPSIS)?;
    let base62 = |s: &str| s.len() == 4 && s.bytes().all(|b| BASE62.contains(&b));
    if !(base62(first) && base62(last)) {
        return None;
    }
    let mut chars = [0u8; 8];
    chars[..4].copy_from_slice(first.as_bytes());
    chars[4..].copy_from_slice(last.as_bytes());
    Some(chars)
}

/// A key's masked form, as [`KeyFacts::hint`] gives it: written on the stack from the
/// facts' 8 characters, or borrowed from them.
#[derive(Clone, Copy)]
pub enum HintText<'a> {
    /// `<prefix>AbCd…WxYz`.
    Compact([u8; HINT_LEN]),
    /// Any other form, as stored.
    Text(&'a str),
}

impl HintText<'_> {
    /// The text.
    pub fn as_str(&self) -> &str {
        match self {
            // Always UTF-8: ASCII around a whole ellipsis.
            Self::Compact(text) => std::str::from_utf8(text).unwrap_or_default(),
            Self::Text(text) => text,
        }
    }
}

impl std::ops::Deref for HintText<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        self.as_str()
    }
}

impl PartialEq<&str> for HintText<'_> {
    fn eq(&self, other: &&str) -> bool {
        self.as_str() == *other
    }
}

impl std::fmt::Debug for HintText<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        std::fmt::Debug::fmt(self.as_str(), f)
    }
}

impl std::fmt::Display for HintText<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for HintText<'_> {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
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

/// A UUID standing for `name` in the unit tests' facts: the same name, the same id.
#[cfg(test)]
pub(crate) fn test_id(name: &str) -> String {
    use std::hash::BuildHasher;
    let n = rustc_hash::FxBuildHasher.hash_one(name);
    IdText::new(Uuid::from_u64_pair(0, n)).as_str().to_owned()
}

/// An organisation key's facts with the id `test_id(name)`, for unit tests.
#[cfg(test)]
pub(crate) fn test_facts(name: &str) -> KeyFacts {
    let (id, org) = (test_id(name), test_id("o"));
    let texts = KeyTexts {
        id: &id,
        org_id: &org,
        project_id: None,
        name: "k",
        hint: "gtx-org-aaaa…bbbb",
    };
    let facts = KeyFacts::new(
        texts,
        KeyType::Organisation,
        PermissionSet::read_only(),
        None,
        None,
        None,
        IpAllowList::default(),
    );
    facts.expect("test ids are UUIDs")
}

#[cfg(test)]
mod tests {
    use super::{Facts, KeyFacts, KeyTexts, test_id};
    use crate::domain::{IpAllowList, KeyType, PermissionSet};

    #[test]
    fn texts_read_back_each_apart() {
        let texts = KeyTexts {
            id: "6f1c0b5e-2d4a-4c8e-9a53-1f2e3d4c5b6a",
            org_id: "0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9",
            project_id: Some("5d6e7f80-91a2-4b3c-8d4e-5f6a7b8c9d0e"),
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
        )
        .expect("UUIDs");
        assert_eq!(facts.id(), texts.id);
        assert_eq!(facts.org_id_text(), texts.org_id);
        assert_eq!(
            facts.project_id().as_deref(),
            Some("5d6e7f80-91a2-4b3c-8d4e-5f6a7b8c9d0e")
        );
        assert_eq!(facts.name(), texts.name);
        assert_eq!(facts.hint(), texts.hint);
        assert_eq!(facts.expires_at(), Some(1), "0 reads back as 1");
        assert_eq!(facts.revoked_at(), None);
        assert_eq!(facts.disabled_at(), Some(5));
        // "gtx-prod-" is no prefix of a production key: the hint is kept as it came.
        assert!(matches!(facts.hint(), super::HintText::Text(_)));
        let org_key = super::test_facts("k1");
        assert_eq!(org_key.project_id(), None);
        assert_eq!(org_key.id(), test_id("k1").as_str());
        assert_eq!(org_key.org_id_text(), test_id("o").as_str());
        assert_eq!(org_key.name(), "k");
    }

    #[test]
    fn hints_of_this_servers_form_are_kept_as_their_8_characters() {
        let key = crate::keys::generate_key(KeyType::Development);
        let hint = key.hint();
        let cases = [
            (KeyType::Development, hint.as_str(), true),
            (KeyType::Organisation, "gtx-org-aaaa…bbbb", true),
            // Another type's prefix, a short part, a character no key has, no ellipsis.
            (KeyType::Production, hint.as_str(), false),
            (KeyType::Organisation, "gtx-org-aaa…bbbb", false),
            (KeyType::Organisation, "gtx-org-aa-a…bbbb", false),
            (KeyType::Organisation, "gtx-org-aaaa...bbbb", false),
            (KeyType::Organisation, "", false),
        ];
        for (key_type, hint, compact) in cases {
            let texts = KeyTexts {
                id: "6f1c0b5e-2d4a-4c8e-9a53-1f2e3d4c5b6a",
                org_id: "0b1c2d3e-4f50-4617-8293-a4b5c6d7e8f9",
                project_id: None,
                name: "Übersetzung",
                hint,
            };
            let facts = KeyFacts::new(
                texts,
                key_type,
                PermissionSet::read_only(),
                None,
                None,
                None,
                IpAllowList::default(),
            )
            .expect("UUIDs");
            assert_eq!(facts.hint(), hint, "{hint}");
            assert_eq!(facts.hint().to_string(), hint);
            assert_eq!(facts.name(), "Übersetzung");
            assert_eq!(
                matches!(facts.hint(), super::HintText::Compact(_)),
                compact,
                "{hint}"
            );
            assert_eq!(
                facts.text().len(),
                "Übersetzung".len() + if compact { 0 } else { hint.len() }
            );
        }
    }

    #[test]
    fn ids_not_in_canonical_uuid_form_are_refused() {
        let good = "6f1c0b5e-2d4a-4c8e-9a53-1f2e3d4c5b6a";
        for bad in [
            "k1",
            "6F1C0B5E-2D4A-4C8E-9A53-1F2E3D4C5B6A",
            "6f1c0b5e2d4a4c8e9a531f2e3d4c5b6a",
        ] {
            let texts = KeyTexts {
                id: bad,
                org_id: good,
                project_id: None,
                name: "n",
                hint: "h",
            };
            let facts = KeyFacts::new(
                texts,
                KeyType::Organisation,
                PermissionSet::empty(),
                None,
                None,
                None,
                IpAllowList::default(),
            );
            assert!(facts.is_err(), "{bad}");
        }
    }

    #[test]
    fn facts_stay_small() {
        // Hint (8) + ids (16 + 16 + 17) + name end, type, permissions and cache time (9)
        // + three times (24) + allow-list (8) + two banks of usage counters (68): 166,
        // padded to 168. The allocation adds the count and the text's length (8 + 8) and
        // the text: 226 bytes for a 42-byte name.
        assert!(
            std::mem::size_of::<Facts>() <= 168,
            "{}",
            std::mem::size_of::<Facts>()
        );
        assert_eq!(std::mem::size_of::<KeyFacts>(), 8, "one pointer");
    }
}
