//! API keys: the project's and the organisation's lists, a key's page, create, rotate,
//! revoke, disable and enable, the settings of a key, and the one-time reveal.
//!
//! The key travels to the browser exactly once. With JavaScript the create (or rotate)
//! response carries it and the page holds it until the reveal dialog closes. A plain form
//! post (no JavaScript) gets a redirect without it, and the page it lands on takes the key
//! once from the in-memory reveal store. Either way that response is `no-store`.

mod create_api_key;
mod describe_api_key;
mod end_grace_period;
mod form;
mod get_api_key;
mod list_api_keys;
mod remove_unused_permissions;
mod revoke_api_key;
mod rotate_api_key;
mod set_api_key_enabled;
mod set_api_key_ip_allowlist;
mod set_api_key_permissions;
#[cfg(feature = "ssr")]
mod ssr;
mod take_key_reveal;

pub use create_api_key::{CreateApiKey, create_api_key};
pub use describe_api_key::{DescribeApiKey, describe_api_key};
pub use end_grace_period::{EndGracePeriod, end_grace_period};
pub use form::{NewKeyForm, PermissionLevels};
pub use get_api_key::{GetApiKey, get_api_key};
pub use list_api_keys::{ListApiKeys, list_api_keys};
pub use remove_unused_permissions::{RemoveUnusedPermissions, remove_unused_permissions};
pub use revoke_api_key::{RevokeApiKey, revoke_api_key};
pub use rotate_api_key::{RotateApiKey, rotate_api_key};
pub use set_api_key_enabled::{SetApiKeyEnabled, set_api_key_enabled};
pub use set_api_key_ip_allowlist::{SetApiKeyIpAllowlist, set_api_key_ip_allowlist};
pub use set_api_key_permissions::{SetApiKeyPermissions, set_api_key_permissions};
pub use take_key_reveal::{TakeKeyReveal, take_key_reveal};

/// The key page of a scope.
pub fn keys_page(org_id: &str, project_id: Option<&str>) -> String {
    crate::paths::keys(org_id, project_id)
}
