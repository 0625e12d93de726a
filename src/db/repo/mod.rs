//! Repositories: one module per table family, plain SQL that SQLite and PostgreSQL share.
//!
//! Functions take any executor (`&AnyPool`, or `&mut *tx` inside a service's
//! transaction). Queries that touch tenant data take the organisation (and project) id
//! and filter by it in the `WHERE` clause itself, so a wrong id finds nothing.

pub mod audit;
pub mod invites;
pub mod key_changes;
pub mod keys;
pub mod orgs;
pub mod projects;
pub mod secret_checks;
pub mod sessions;
pub mod setup;
pub mod usage;
pub mod users;
pub mod webhooks;

use super::DbError;
use crate::domain::key_list::{PageRequest, clamp_page};
use sqlx::Row;
use sqlx::any::AnyRow;

/// Reads a text column that must parse into a domain type.
pub(crate) fn parse_col<T: std::str::FromStr>(
    row: &AnyRow,
    column: &'static str,
) -> Result<T, DbError> {
    let text: String = row.try_get(column)?;
    text.parse().map_err(|_| DbError::Corrupt { column })
}

/// A new time-ordered id.
pub fn new_id() -> String {
    uuid::Uuid::now_v7().to_string()
}

/// `%text%` in lower case, with `LIKE`'s own characters escaped (`ESCAPE '\'`).
pub(crate) fn like_pattern(search: &str) -> String {
    let mut pattern = String::from("%");
    for c in search.to_lowercase().chars() {
        if matches!(c, '%' | '_' | '\\') {
            pattern.push('\\');
        }
        pattern.push(c);
    }
    pattern.push('%');
    pattern
}

/// The rows of one page once the matching rows are counted: the page to show (past the
/// end, the last one) and its `LIMIT` and `OFFSET`.
pub(crate) struct Window {
    /// The page shown, from 1.
    pub page: u32,
    /// `LIMIT`.
    pub limit: i64,
    /// `OFFSET`.
    pub offset: i64,
}

impl Window {
    /// The window of page `at` when `matching` rows match.
    pub(crate) fn of(at: PageRequest, matching: u64) -> Self {
        let page = clamp_page(at.page, matching, at.per_page);
        let offset = u64::from(page - 1) * u64::from(at.per_page);
        Self {
            page,
            limit: i64::from(at.per_page),
            offset: i64::try_from(offset).unwrap_or(i64::MAX),
        }
    }
}

/// The count of a `SELECT COUNT(*) AS n` row.
pub(crate) fn count_of(row: &AnyRow) -> Result<u64, DbError> {
    Ok(u64::try_from(row.try_get::<i64, _>("n")?).unwrap_or(0))
}
