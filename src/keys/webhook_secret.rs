//! Webhook signing secrets: made here (`whsec_` and 32 random bytes in base64, as the
//! Standard Webhooks specification writes them), used to sign each delivery, and kept in
//! the database only sealed: XChaCha20-Poly1305 under a key derived from the server
//! secret, with the endpoint's id as associated data, so a sealed secret copied to
//! another endpoint's row does not open. The server must sign with a secret later, so it
//! cannot keep only a digest, as it does for keys.

use super::ServerSecret;
use super::generate::random_bytes;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use chacha20poly1305::{XChaCha20Poly1305, XNonce};
use hmac::Mac;
use secrecy::{ExposeSecret, SecretBox, SecretString};

/// The prefix of a signing secret's text.
pub const SECRET_PREFIX: &str = "whsec_";
/// What the key that seals secrets is derived from (with the server secret).
const SEALING_LABEL: &[u8] = b"gtx-keys webhook signing secrets v1";
const NONCE_LEN: usize = 24;

/// A webhook endpoint's signing secret. No `Debug`, no `Display`: it is a secret.
pub struct SigningSecret(SecretBox<[u8; 32]>);

/// Why a secret could not be sealed, or a sealed one did not open.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("the webhook signing secret does not open with this server secret (or was moved)")]
pub struct SealError;

impl SigningSecret {
    /// A new random secret.
    pub fn generate() -> Self {
        Self(SecretBox::new(Box::new(random_bytes::<32>())))
    }

    /// The text shown once to whoever adds the endpoint: `whsec_<base64>`.
    pub fn text(&self) -> SecretString {
        SecretString::from(format!(
            "{SECRET_PREFIX}{}",
            STANDARD.encode(self.0.expose_secret())
        ))
    }

    /// The Standard Webhooks signature of one delivery: `v1,<base64 HMAC-SHA256>` of
    /// `<msg_id>.<timestamp>.<body>` (timestamp in unix seconds).
    pub fn sign(&self, msg_id: &str, timestamp_secs: i64, body: &[u8]) -> String {
        // A key shorter than SHA-256's 64-byte block is zero-padded to it (RFC 2104), so
        // keying with the padded block is keying with the secret, with no error to handle.
        let mut block = [0u8; 64];
        block[..32].copy_from_slice(self.0.expose_secret());
        let mut mac = <hmac::Hmac<sha2::Sha256> as hmac::KeyInit>::new(&block.into());
        mac.update(msg_id.as_bytes());
        mac.update(b".");
        mac.update(timestamp_secs.to_string().as_bytes());
        mac.update(b".");
        mac.update(body);
        format!("v1,{}", STANDARD.encode(mac.finalize().into_bytes()))
    }

    /// The secret sealed for the row of endpoint `endpoint_id`: nonce then ciphertext.
    pub fn seal(&self, server: &ServerSecret, endpoint_id: &str) -> Result<Vec<u8>, SealError> {
        let nonce = random_bytes::<NONCE_LEN>();
        let sealed = cipher(server)
            .encrypt(
                XNonce::from_slice(&nonce),
                Payload {
                    msg: self.0.expose_secret(),
                    aad: endpoint_id.as_bytes(),
                },
            )
            .map_err(|_| SealError)?;
        let mut out = Vec::with_capacity(NONCE_LEN + sealed.len());
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    /// Opens what [`SigningSecret::seal`] made for `endpoint_id`.
    pub fn unseal(
        server: &ServerSecret,
        endpoint_id: &str,
        sealed: &[u8],
    ) -> Result<Self, SealError> {
        if sealed.len() <= NONCE_LEN {
            return Err(SealError);
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
        let plain = cipher(server)
            .decrypt(
                XNonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: endpoint_id.as_bytes(),
                },
            )
            .map_err(|_| SealError)?;
        let bytes: [u8; 32] = plain.as_slice().try_into().map_err(|_| SealError)?;
        Ok(Self(SecretBox::new(Box::new(bytes))))
    }
}

/// The cipher keyed from the server secret (never from anything in the database).
fn cipher(server: &ServerSecret) -> XChaCha20Poly1305 {
    let key = server.digest_bytes(SEALING_LABEL);
    XChaCha20Poly1305::new((&key.0).into())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn secret_of(bytes: [u8; 32]) -> SigningSecret {
        SigningSecret(SecretBox::new(Box::new(bytes)))
    }

    #[test]
    fn sign_matches_the_standard_webhooks_reference() {
        // Made by the `standardwebhooks` Python package (Webhook(secret).sign) for this
        // secret, id, time and body.
        let secret = secret_of(std::array::from_fn(|i| i as u8));
        assert_eq!(
            secret.text().expose_secret(),
            "whsec_AAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8="
        );
        let body = br#"{"type":"api_key.test","timestamp":"2027-01-15T08:00:00Z","data":{}}"#;
        assert_eq!(
            secret.sign(
                "msg_01a22bf2-4edf-75d2-a824-22399e51bee3",
                1_800_000_000,
                body
            ),
            "v1,DRREQlRYVbZh6WNvEvVmUxQAepCy0k14qLPsna8DljU="
        );
    }

    #[test]
    fn seal_opens_only_for_its_endpoint_and_server_secret() {
        let server = ServerSecret::generate();
        let secret = SigningSecret::generate();
        let sealed = secret.seal(&server, "endpoint-1").expect("sealed");
        // Never the secret itself, and a fresh nonce each time.
        assert!(!sealed.windows(32).any(|w| w == secret.0.expose_secret()));
        assert_ne!(sealed, secret.seal(&server, "endpoint-1").expect("sealed"));
        let opened = SigningSecret::unseal(&server, "endpoint-1", &sealed).expect("opens");
        assert_eq!(opened.0.expose_secret(), secret.0.expose_secret());
        assert!(SigningSecret::unseal(&server, "endpoint-2", &sealed).is_err());
        assert!(SigningSecret::unseal(&ServerSecret::generate(), "endpoint-1", &sealed).is_err());
        let mut tampered = sealed.clone();
        let last = tampered.len() - 1;
        tampered[last] ^= 1;
        assert!(SigningSecret::unseal(&server, "endpoint-1", &tampered).is_err());
        assert!(SigningSecret::unseal(&server, "endpoint-1", &sealed[..NONCE_LEN]).is_err());
    }
}
