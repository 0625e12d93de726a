//! Server functions and the types they exchange with the browser.

mod get_org;
mod list_orgs;
pub mod types;

pub use get_org::{GetOrg, get_org};
pub use list_orgs::{ListOrgs, list_orgs};

/// The URL prefix of every server function. Kept apart from the REST API (`/api/v1`).
pub const SERVER_FN_PREFIX: &str = "/_sf";

/// The services of this request (provided by the server when it renders or answers).
#[cfg(feature = "ssr")]
pub(crate) fn services() -> Result<gtx_core::services::Services, crate::AppError> {
    leptos::prelude::use_context::<gtx_core::services::Services>().ok_or_else(|| {
        tracing::error!("services missing from the request context");
        crate::AppError::Internal
    })
}
