//! Server-only helpers shared by the sign-in server functions.

/// Where a fresh sign-in lands: the user's organisation, else the home page.
pub(super) fn landing(org: Option<&gtx_core::domain::OrgId>) -> String {
    match org {
        Some(org) => crate::paths::org(org),
        None => "/".to_owned(),
    }
}
