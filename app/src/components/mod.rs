//! Reusable pieces of the page.

pub mod header;
pub mod org_nav;
