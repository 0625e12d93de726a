//! Routed pages.

pub mod api_keys;
pub mod audit_log;
pub mod home;
pub mod invite;
pub mod login;
pub mod members;
pub mod not_found;
pub mod org;
pub mod project_settings;
pub mod setup;
