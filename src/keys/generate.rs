//! Key generation.

use crate::domain::KeyType;
use crate::domain::key_format::{BASE62, SECRET_LEN, hint_of, with_checksum};
use secrecy::{ExposeSecret, SecretString};

/// A plaintext key. It exists only between generation and the creation response: its
/// `Debug` prints no part of it, it has no `Display` and no `Serialize`, and its memory
/// is zeroed on drop (through `secrecy`).
pub struct PlainKey {
    key_type: KeyType,
    text: SecretString,
}

impl PlainKey {
    /// The key type.
    pub fn key_type(&self) -> KeyType {
        self.key_type
    }

    /// The key text. Only the creation response and the CLI's stdout may hold it.
    pub fn expose(&self) -> &str {
        self.text.expose_secret()
    }

    /// The masked display form.
    pub fn hint(&self) -> String {
        hint_of(self.expose())
    }
}

impl std::fmt::Debug for PlainKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("PlainKey([redacted])")
    }
}

/// Fills `buf` from the operating system's CSPRNG.
///
/// Failing to read the OS generator is not recoverable (there is no safe fallback), so
/// this panics rather than hand out a weak key.
#[allow(clippy::expect_used)]
pub fn random_bytes<const N: usize>() -> [u8; N] {
    let mut buf = [0u8; N];
    getrandom::fill(&mut buf).expect("the OS random number generator failed");
    buf
}

/// A fresh random token of `len` base62 characters (≈5.95 bits each), used for keys,
/// session tokens and invite tokens.
pub fn random_token(len: usize) -> String {
    let mut out = String::with_capacity(len);
    while out.len() < len {
        // Rejection sampling keeps the characters uniform: 248 = 4 × 62.
        for b in random_bytes::<64>() {
            if b < 248 && out.len() < len {
                out.push(char::from(BASE62[usize::from(b % 62)]));
            }
        }
    }
    out
}

/// Generates a new key of `key_type`: prefix, 43 uniform base62 characters (256 bits)
/// and the CRC32 checksum.
pub fn generate_key(key_type: KeyType) -> PlainKey {
    let mut body = String::with_capacity(64);
    body.push_str(key_type.prefix());
    body.push_str(&random_token(SECRET_LEN));
    PlainKey {
        key_type,
        text: SecretString::from(with_checksum(&body)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ParsedKey;
    use crate::domain::key_format::KEY_LEN;
    use proptest::prelude::*;
    use std::collections::HashSet;

    proptest! {
        #[test]
        fn generated_keys_roundtrip_and_reject_any_single_change(
            key_type in proptest::sample::select(KeyType::ALL.to_vec()),
            position in 0..KEY_LEN,
            replacement in proptest::sample::select(BASE62.to_vec()),
        ) {
            let key = generate_key(key_type);
            let parsed = ParsedKey::parse(key.expose()).expect("a generated key parses");
            prop_assert_eq!(parsed.key_type(), key_type);
            let mut bytes = key.expose().as_bytes().to_vec();
            prop_assume!(bytes[position] != replacement);
            bytes[position] = replacement;
            let changed = String::from_utf8(bytes).expect("ascii");
            prop_assert!(ParsedKey::parse(&changed).is_err());
        }
    }

    #[test]
    fn generate_produces_keys_that_parse() {
        for key_type in KeyType::ALL {
            let key = generate_key(key_type);
            let parsed = ParsedKey::parse(key.expose()).expect("generated keys parse");
            assert_eq!(parsed.key_type(), key_type);
            assert!(key.expose().starts_with(key_type.prefix()));
        }
    }

    #[test]
    fn generate_never_repeats_and_uses_the_whole_alphabet() {
        let keys: Vec<_> = (0..500)
            .map(|_| generate_key(KeyType::Production))
            .collect();
        let distinct: HashSet<_> = keys.iter().map(|k| k.expose().to_owned()).collect();
        assert_eq!(distinct.len(), keys.len());
        let chars: HashSet<char> = keys
            .iter()
            .flat_map(|k| k.expose()[8..51].chars().collect::<Vec<_>>())
            .collect();
        assert_eq!(
            chars.len(),
            62,
            "all base62 characters appear in 21,500 draws"
        );
    }

    #[test]
    fn debug_prints_no_part_of_the_key() {
        let key = generate_key(KeyType::Organisation);
        let debug = format!("{key:?}");
        assert!(!debug.contains(&key.expose()[8..16]));
        assert!(key.hint().contains('…'));
    }
}
