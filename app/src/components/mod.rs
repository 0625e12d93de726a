//! Reusable pieces of the page.

pub mod dialog;
pub mod header;
pub mod org_nav;
