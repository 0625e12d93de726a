//! The server secret that keys the digests.
//!
//! It comes from configuration (`GTX_SERVER_SECRET`, hex) or, with the embedded default,
//! from a file in the data directory that is generated on first run with owner-only
//! permissions. A check value derived from it is stored in the database so a server
//! started with the wrong secret refuses to run instead of rejecting every key.

use super::digest::KeyDigest;
use super::generate::random_bytes;
use hmac::{Hmac, KeyInit, Mac};
use secrecy::{ExposeSecret, SecretBox};
use sha2::Sha256;
use std::io::Write;
use std::path::{Path, PathBuf};

type HmacSha256 = Hmac<Sha256>;

/// Label of the check value: HMAC(secret, label) identifies the secret without
/// revealing it.
const CHECK_LABEL: &[u8] = b"gtx-keys server secret check v1";

/// The secret that keys the digests. `Debug` prints nothing of it.
pub struct ServerSecret {
    key: SecretBox<[u8; 32]>,
    /// HMAC already keyed with `key` (its inner and outer pad states), cloned for each
    /// digest: keying costs two SHA-256 blocks that every verify would otherwise repeat.
    keyed: HmacSha256,
}

/// Why the server secret could not be loaded or made.
#[derive(Debug, thiserror::Error)]
pub enum SecretError {
    /// The configured secret is not 64 hex characters.
    #[error("the server secret must be 64 hexadecimal characters (32 bytes)")]
    Malformed,
    /// The secret file could not be read or written.
    #[error("server secret file {path}: {source}")]
    Io {
        /// The file.
        path: PathBuf,
        /// The cause.
        source: std::io::Error,
    },
    /// The secret file is readable by others.
    #[error("server secret file {0} is readable by other users; run `chmod 600` on it")]
    TooOpen(PathBuf),
}

impl ServerSecret {
    /// The file name used inside the data directory.
    pub const FILE_NAME: &'static str = "server-secret";

    /// A secret from its 32 bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        // HMAC accepts keys of any length, so this cannot fail for a 32-byte key.
        let keyed = match <HmacSha256 as KeyInit>::new_from_slice(&bytes) {
            Ok(mac) => mac,
            Err(_) => unreachable!("HMAC takes keys of any length"),
        };
        Self {
            key: SecretBox::new(Box::new(bytes)),
            keyed,
        }
    }

    /// A new random secret.
    pub fn generate() -> Self {
        Self::from_bytes(random_bytes::<32>())
    }

    /// Parses the hex form (as configured through `GTX_SERVER_SECRET`).
    pub fn from_hex(text: &str) -> Result<Self, SecretError> {
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(text.trim(), &mut bytes).map_err(|_| SecretError::Malformed)?;
        Ok(Self::from_bytes(bytes))
    }

    /// Loads the secret file of `data_dir`, creating it (mode 0600, never overwriting)
    /// when it does not exist. Returns the secret and whether it was just created.
    pub fn load_or_create(data_dir: &Path) -> Result<(Self, bool), SecretError> {
        let path = data_dir.join(Self::FILE_NAME);
        let io = |source| SecretError::Io {
            path: path.clone(),
            source,
        };
        match std::fs::read_to_string(&path) {
            Ok(text) => {
                check_permissions(&path)?;
                Ok((Self::from_hex(&text)?, false))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                std::fs::create_dir_all(data_dir).map_err(io)?;
                let secret = Self::generate();
                let mut options = std::fs::OpenOptions::new();
                options.write(true).create_new(true);
                #[cfg(unix)]
                {
                    use std::os::unix::fs::OpenOptionsExt;
                    options.mode(0o600);
                }
                let mut file = options.open(&path).map_err(io)?;
                let hex = hex::encode(secret.key.expose_secret());
                file.write_all(hex.as_bytes()).map_err(io)?;
                file.write_all(b"\n").map_err(io)?;
                file.sync_all().map_err(io)?;
                Ok((secret, true))
            }
            Err(e) => Err(io(e)),
        }
    }

    fn mac(&self) -> HmacSha256 {
        self.keyed.clone()
    }

    /// The digest stored for `key`.
    pub fn digest(&self, key: &str) -> KeyDigest {
        self.digest_bytes(key.as_bytes())
    }

    /// HMAC-SHA256 of arbitrary bytes (session and invite tokens use it too).
    pub fn digest_bytes(&self, bytes: &[u8]) -> KeyDigest {
        let mut mac = self.mac();
        mac.update(bytes);
        KeyDigest(mac.finalize().into_bytes().into())
    }

    /// The check value stored in the database to recognise this secret.
    pub fn check_value(&self) -> KeyDigest {
        self.digest_bytes(CHECK_LABEL)
    }
}

impl std::fmt::Debug for ServerSecret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ServerSecret([redacted])")
    }
}

#[cfg(unix)]
fn check_permissions(path: &Path) -> Result<(), SecretError> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(path).map_err(|source| SecretError::Io {
        path: path.to_owned(),
        source,
    })?;
    if meta.permissions().mode() & 0o077 != 0 {
        return Err(SecretError::TooOpen(path.to_owned()));
    }
    Ok(())
}

#[cfg(not(unix))]
fn check_permissions(_path: &Path) -> Result<(), SecretError> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digest_is_hmac_sha256_of_the_key() {
        // Known answer (Python: hmac.new(bytes(range(32)), b"gtx-api-example", sha256)):
        // stored digests must never change with the way the HMAC is computed.
        let secret = ServerSecret::from_bytes(std::array::from_fn(|i| i as u8));
        let expected = "22b82536d415ebd282cad9de4e46107c21e488550c02d14df0a78172993c68e0";
        assert_eq!(hex::encode(secret.digest("gtx-api-example").0), expected);
        assert_eq!(hex::encode(secret.digest("gtx-api-example").0), expected);
    }

    #[test]
    fn load_or_create_makes_an_owner_only_file_once() {
        let dir = tempfile::tempdir().expect("tempdir");
        let (first, created) = ServerSecret::load_or_create(dir.path()).expect("create");
        assert!(created);
        let (second, created_again) = ServerSecret::load_or_create(dir.path()).expect("load");
        assert!(!created_again);
        assert_eq!(first.check_value(), second.check_value());
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(ServerSecret::FILE_NAME))
                .expect("meta")
                .permissions()
                .mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }

    #[test]
    fn load_refuses_a_world_readable_file() {
        let dir = tempfile::tempdir().expect("tempdir");
        ServerSecret::load_or_create(dir.path()).expect("create");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let path = dir.path().join(ServerSecret::FILE_NAME);
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
            assert!(matches!(
                ServerSecret::load_or_create(dir.path()),
                Err(SecretError::TooOpen(_))
            ));
        }
    }

    #[test]
    fn digest_depends_on_the_secret_and_the_key() {
        let a = ServerSecret::from_bytes([1; 32]);
        let b = ServerSecret::from_bytes([2; 32]);
        assert_ne!(a.digest("gtx-api-x"), b.digest("gtx-api-x"));
        assert_ne!(a.digest("gtx-api-x"), a.digest("gtx-api-y"));
        assert!(a.digest("k").ct_eq(&a.digest("k")));
        assert!(!a.digest("k").ct_eq(&a.digest("l")));
        assert_ne!(a.check_value(), b.check_value());
    }

    #[test]
    fn from_hex_rejects_wrong_lengths() {
        assert!(ServerSecret::from_hex(&"ab".repeat(32)).is_ok());
        assert!(ServerSecret::from_hex("abcd").is_err());
        assert!(ServerSecret::from_hex(&"zz".repeat(32)).is_err());
        assert!(format!("{:?}", ServerSecret::from_bytes([7; 32])).contains("redacted"));
    }
}
