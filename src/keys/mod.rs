//! Server-only key material: generating keys from the OS CSPRNG, the server secret, and
//! the keyed digest that is stored instead of the key.
//!
//! High-entropy keys need a fast keyed hash, not a password hash: argon2 per request
//! would cost ~20 ms and 19 MiB; HMAC-SHA256 costs about a microsecond and, keyed with a
//! secret the database never sees, a stolen database alone cannot confirm a guessed key.

mod digest;
mod generate;
pub mod password;
mod secret;
pub mod webhook_secret;

pub use digest::{HASH_VERSION, KeyDigest};
pub use generate::{PlainKey, generate_key, random_bytes, random_token};
pub use secret::{SecretError, ServerSecret};
