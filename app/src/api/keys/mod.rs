//! API keys: the project's and the organisation's lists, create, rotate, revoke, and the
//! one-time reveal.
//!
//! The key travels to the browser exactly once. With JavaScript the create (or rotate)
//! response carries it and the page holds it until the reveal dialog closes. A plain form
//! post (no JavaScript) gets a redirect without it, and the page it lands on takes the key
//! once from the in-memory reveal store. Either way that response is `no-store`.

mod create_api_key;
mod form;
mod list_api_keys;
mod revoke_api_key;
mod rotate_api_key;
#[cfg(feature = "ssr")]
mod ssr;
mod take_key_reveal;

pub use create_api_key::{CreateApiKey, create_api_key};
pub use form::{NewKeyForm, PermissionLevels};
pub use list_api_keys::{ListApiKeys, list_api_keys};
pub use revoke_api_key::{RevokeApiKey, revoke_api_key};
pub use rotate_api_key::{RotateApiKey, rotate_api_key};
pub use take_key_reveal::{TakeKeyReveal, take_key_reveal};

/// The key page of a scope.
pub fn keys_page(org_id: &str, project_id: Option<&str>) -> String {
    crate::paths::keys(org_id, project_id)
}
