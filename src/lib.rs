//! GT Keys core library.
//!
//! [`domain`] is always compiled and browser-safe: it is shared by the dashboard's forms
//! (in WASM) and the server. Everything that needs the OS, a database or a secret lives
//! behind the `ssr` feature, gated once per module here.

pub mod domain;

#[cfg(feature = "ssr")]
pub mod clock;
#[cfg(feature = "ssr")]
pub mod db;
#[cfg(feature = "ssr")]
pub mod error;
#[cfg(feature = "ssr")]
pub mod keys;
#[cfg(feature = "ssr")]
pub mod services;
#[cfg(feature = "test-support")]
pub mod testing;
