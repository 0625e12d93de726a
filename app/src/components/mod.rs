//! Reusable pieces of the page.

pub mod copy_button;
pub mod dialog;
pub mod field;
pub mod focus;
pub mod form_errors;
pub mod header;
pub mod org_nav;
pub mod pager;
pub mod table_head;
