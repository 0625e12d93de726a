//! The stored form of a key: HMAC-SHA256 under the server secret.

use subtle::ConstantTimeEq;

/// The digest scheme version stored with every key (`hash_version` column). Version 1 is
/// HMAC-SHA256 keyed with the server secret. A new scheme gets a new number so old keys
/// keep verifying while new ones use it.
pub const HASH_VERSION: i64 = 1;

/// A key's digest: what the database stores and indexes instead of the key.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct KeyDigest(pub [u8; 32]);

impl KeyDigest {
    /// Constant-time comparison, so the time taken leaks nothing about where two digests
    /// differ.
    pub fn ct_eq(&self, other: &KeyDigest) -> bool {
        self.0.ct_eq(&other.0).into()
    }

    /// The bytes, for storage.
    pub fn as_bytes(&self) -> &[u8] {
        &self.0
    }

    /// Reads a stored digest; `None` when it is not 32 bytes.
    pub fn from_slice(bytes: &[u8]) -> Option<Self> {
        <[u8; 32]>::try_from(bytes).ok().map(Self)
    }
}

impl std::fmt::Debug for KeyDigest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // A digest is not a secret, but it is a lookup handle: print only a short tag.
        write!(f, "KeyDigest({}…)", hex::encode(&self.0[..4]))
    }
}
