//! The API key format:
//! `<prefix><43 base62 chars of secret><6 base62 chars: CRC32 of everything before>`.
//!
//! The checksum lets the key API and secret scanners reject typos and look-alikes with no
//! database work. Parsing is pure and cheap; generation (which needs the OS CSPRNG) lives
//! in the server-only `keys` module.

use super::key_type::KeyType;

/// The base62 alphabet, in value order.
pub const BASE62: &[u8; 62] = b"0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
/// Length of every key prefix (`gtx-api-`, `gtx-dev-`, `gtx-org-`).
pub const PREFIX_LEN: usize = 8;
/// Length of the random part: 43 base62 characters carry 256 bits.
pub const SECRET_LEN: usize = 43;
/// Length of the checksum: 62^6 > 2^32 holds a CRC32.
pub const CHECKSUM_LEN: usize = 6;
/// Total length of a key.
pub const KEY_LEN: usize = PREFIX_LEN + SECRET_LEN + CHECKSUM_LEN;

/// Why a presented key is not a well-formed GT key.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum KeyFormatError {
    /// The key does not start with `gtx-api-`, `gtx-dev-` or `gtx-org-`.
    #[error("the key does not start with a GT key prefix (gtx-api-, gtx-dev- or gtx-org-)")]
    UnknownPrefix,
    /// The key is not 57 characters long.
    #[error("the key has the wrong length")]
    WrongLength,
    /// The key holds a character outside the base62 alphabet after its prefix.
    #[error("the key contains a character that no GT key has")]
    InvalidCharacter,
    /// The checksum does not match: a typo or a look-alike.
    #[error("the key's checksum does not match (a typo?)")]
    ChecksumMismatch,
}

impl KeyFormatError {
    /// Every reason, in the order the format check finds them.
    pub const ALL: [Self; 4] = [
        Self::UnknownPrefix,
        Self::WrongLength,
        Self::InvalidCharacter,
        Self::ChecksumMismatch,
    ];

    /// The reason's place in [`Self::ALL`].
    pub const fn index(self) -> usize {
        self as usize
    }
}

/// A key that passed the format check. It borrows the presented text: holding it does
/// not copy the secret anywhere.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct ParsedKey<'a> {
    key_type: KeyType,
    text: &'a str,
}

impl std::fmt::Debug for ParsedKey<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Never print the secret: only what the masked hint shows.
        f.debug_struct("ParsedKey")
            .field("key_type", &self.key_type)
            .field("hint", &self.hint())
            .finish()
    }
}

impl<'a> ParsedKey<'a> {
    /// Checks prefix, length, alphabet and checksum, in that order.
    pub fn parse(text: &'a str) -> Result<Self, KeyFormatError> {
        let key_type = KeyType::from_key_prefix(text).ok_or(KeyFormatError::UnknownPrefix)?;
        if text.len() != KEY_LEN {
            return Err(KeyFormatError::WrongLength);
        }
        let rest = &text.as_bytes()[PREFIX_LEN..];
        if !rest.iter().all(u8::is_ascii_alphanumeric) {
            return Err(KeyFormatError::InvalidCharacter);
        }
        let (body, checksum) = text.split_at(KEY_LEN - CHECKSUM_LEN);
        if encode_checksum(crc32fast::hash(body.as_bytes())) != checksum.as_bytes() {
            return Err(KeyFormatError::ChecksumMismatch);
        }
        Ok(Self { key_type, text })
    }

    /// The key's type, from its prefix.
    pub fn key_type(&self) -> KeyType {
        self.key_type
    }

    /// The full key text. Callers must treat it as a secret.
    pub fn expose(&self) -> &'a str {
        self.text
    }

    /// The masked form shown in lists: prefix, first 4 and last 4 characters.
    pub fn hint(&self) -> String {
        hint_of(self.text)
    }
}

/// What stands between a hint's first and last 4 characters.
pub const HINT_ELLIPSIS: &str = "\u{2026}";

/// The masked display form of a key: `gtx-api-AbCd…wxYz`.
pub fn hint_of(key: &str) -> String {
    let prefix = key.get(..PREFIX_LEN).unwrap_or_default();
    let first = key.get(PREFIX_LEN..PREFIX_LEN + 4).unwrap_or_default();
    let last = key.get(key.len().saturating_sub(4)..).unwrap_or_default();
    format!("{prefix}{first}{HINT_ELLIPSIS}{last}")
}

/// Appends the checksum to `prefix + secret`, giving the full key text.
pub fn with_checksum(body: &str) -> String {
    let mut key = String::with_capacity(body.len() + CHECKSUM_LEN);
    key.push_str(body);
    for b in encode_checksum(crc32fast::hash(body.as_bytes())) {
        key.push(char::from(b));
    }
    key
}

/// A CRC32 as 6 base62 digits, most significant first, zero padded.
fn encode_checksum(mut crc: u32) -> [u8; CHECKSUM_LEN] {
    let mut out = [b'0'; CHECKSUM_LEN];
    for slot in out.iter_mut().rev() {
        *slot = BASE62[(crc % 62) as usize];
        crc /= 62;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn index_matches_place_in_all() {
        for (i, reason) in KeyFormatError::ALL.into_iter().enumerate() {
            assert_eq!(reason.index(), i, "{reason:?}");
        }
    }

    fn key_from(key_type: KeyType, secret: &str) -> String {
        with_checksum(&format!("{}{secret}", key_type.prefix()))
    }

    fn secret_strategy() -> impl Strategy<Value = String> {
        proptest::collection::vec(proptest::sample::select(BASE62.to_vec()), SECRET_LEN)
            .prop_map(|bytes| bytes.into_iter().map(char::from).collect())
    }

    fn key_type_strategy() -> impl Strategy<Value = KeyType> {
        proptest::sample::select(KeyType::ALL.to_vec())
    }

    #[test]
    fn parse_accepts_a_known_good_key() {
        let key = key_from(KeyType::Production, &"a".repeat(SECRET_LEN));
        assert_eq!(key.len(), KEY_LEN);
        let parsed = ParsedKey::parse(&key).expect("valid");
        assert_eq!(parsed.key_type(), KeyType::Production);
        assert_eq!(
            parsed.hint(),
            format!("gtx-api-aaaa…{}", &key[KEY_LEN - 4..])
        );
    }

    #[test]
    fn parse_rejects_each_malformation_with_its_reason() {
        let good = key_from(KeyType::Organisation, &"Z".repeat(SECRET_LEN));
        assert_eq!(ParsedKey::parse(""), Err(KeyFormatError::UnknownPrefix));
        assert_eq!(
            ParsedKey::parse(&good.replacen("gtx-org-", "gtx-xyz-", 1)),
            Err(KeyFormatError::UnknownPrefix)
        );
        assert_eq!(
            ParsedKey::parse(&good[..KEY_LEN - 1]),
            Err(KeyFormatError::WrongLength)
        );
        assert_eq!(
            ParsedKey::parse(&format!("{good}0")),
            Err(KeyFormatError::WrongLength)
        );
        let mut bad_char = good.clone();
        bad_char.replace_range(20..21, "-");
        assert_eq!(
            ParsedKey::parse(&bad_char),
            Err(KeyFormatError::InvalidCharacter)
        );
        // Multi-byte characters must not panic on slicing.
        let unicode = format!("gtx-org-{}", "é".repeat(24));
        assert!(ParsedKey::parse(&unicode).is_err());
    }

    #[test]
    fn debug_output_hides_the_secret() {
        let key = key_from(KeyType::Development, &"Q".repeat(SECRET_LEN));
        let parsed = ParsedKey::parse(&key).expect("valid");
        let debug = format!("{parsed:?}");
        assert!(!debug.contains(&"Q".repeat(10)), "{debug}");
    }

    proptest! {
        #[test]
        fn generate_then_parse_roundtrips(key_type in key_type_strategy(), secret in secret_strategy()) {
            let key = key_from(key_type, &secret);
            let parsed = ParsedKey::parse(&key).expect("a generated key parses");
            prop_assert_eq!(parsed.key_type(), key_type);
            prop_assert_eq!(parsed.expose(), key.as_str());
        }

        #[test]
        fn parse_rejects_any_single_character_change(
            key_type in key_type_strategy(),
            secret in secret_strategy(),
            position in 0..KEY_LEN,
            replacement in proptest::sample::select(BASE62.iter().chain(b"-_+/=.").copied().collect::<Vec<u8>>()),
        ) {
            let key = key_from(key_type, &secret);
            let mut bytes = key.clone().into_bytes();
            prop_assume!(bytes[position] != replacement);
            bytes[position] = replacement;
            let changed = String::from_utf8(bytes).expect("ascii");
            prop_assert!(ParsedKey::parse(&changed).is_err(), "accepted {}", changed);
        }
    }
}
