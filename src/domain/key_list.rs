//! One view of a key list: its filters, search, order and page, as the URL carries them
//! (`?type=…&status=…&q=…&sort=…&dir=…&page=…&per_page=…`). The browser reads it to
//! draw links; the server reads the same text and pages through the database with it.

use super::{KeyStatus, KeyType};
use serde::{Deserialize, Serialize};
use strum::{EnumString, IntoStaticStr};

/// Rows on a page unless the URL asks for another number.
pub const PER_PAGE_DEFAULT: u32 = 50;
/// The most rows one page may ask for.
pub const PER_PAGE_MAX: u32 = 200;
/// The longest search text kept, in characters.
pub const SEARCH_MAX_CHARS: usize = 100;

/// Which page of a list, and how many rows a page holds (`?page=…&per_page=…`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageRequest {
    /// The page, from 1.
    pub page: u32,
    /// Rows per page, 1 to [`PER_PAGE_MAX`].
    pub per_page: u32,
}

impl Default for PageRequest {
    fn default() -> Self {
        Self::from_lookup(|_| None)
    }
}

impl PageRequest {
    /// Every row on one page: for callers that need a whole list (the operator CLI, a
    /// project's members). A URL can never ask for this.
    pub const ALL: Self = Self {
        page: 1,
        per_page: u32::MAX,
    };

    /// Reads `page` and `per_page` through `get`; out-of-range values give the defaults.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Self {
        let number = |name: &str| get(name).and_then(|n| n.parse::<u32>().ok());
        Self {
            page: number("page").filter(|p| *p >= 1).unwrap_or(1),
            per_page: number("per_page")
                .filter(|n| (1..=PER_PAGE_MAX).contains(n))
                .unwrap_or(PER_PAGE_DEFAULT),
        }
    }

    /// The same size, on page `page`.
    pub fn on(self, page: u32) -> Self {
        Self { page, ..self }
    }

    /// Adds `per_page` and `page` to a query's pairs where they are not the defaults.
    fn push_pairs(self, pairs: &mut Vec<(&'static str, String)>) {
        if self.per_page != PER_PAGE_DEFAULT {
            pairs.push(("per_page", self.per_page.to_string()));
        }
        if self.page != 1 {
            pairs.push(("page", self.page.to_string()));
        }
    }
}

/// The search text `q` read through `get`: trimmed, at most [`SEARCH_MAX_CHARS`], none
/// when blank.
pub fn search_from_lookup(get: impl Fn(&str) -> Option<String>) -> Option<String> {
    get("q")
        .map(|q| q.trim().chars().take(SEARCH_MAX_CHARS).collect::<String>())
        .filter(|q| !q.is_empty())
}

/// Percent-encodes a query value: letters, digits and `-._~` stay as they are.
pub fn encode(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// A column the list can be sorted by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, EnumString, IntoStaticStr)]
#[serde(rename_all = "snake_case")]
#[strum(serialize_all = "snake_case")]
pub enum KeySort {
    /// Creation time (the default, newest first).
    Created,
    /// Name, A→Z.
    Name,
    /// Last use (never-used keys last when newest first).
    LastUsed,
    /// Expiry (keys that never expire last when soonest first).
    Expires,
}

impl KeySort {
    /// The URL's text for it.
    pub fn as_str(self) -> &'static str {
        self.into()
    }

    /// The direction a click on the column's header starts with.
    fn natural_desc(self) -> bool {
        matches!(self, Self::Created | Self::LastUsed)
    }
}

/// The list's filters, search, order and page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct KeyListQuery {
    /// Production or development keys only (project lists), or all.
    pub key_type: Option<KeyType>,
    /// Keys in this status at the server's time only, or all.
    pub status: Option<KeyStatus>,
    /// Text the name or the hint contains (any case), or none.
    pub search: Option<String>,
    /// Sort column.
    pub sort: KeySort,
    /// Descending.
    pub desc: bool,
    /// The page, from 1.
    pub page: u32,
    /// Rows per page, 1 to [`PER_PAGE_MAX`].
    pub per_page: u32,
}

impl Default for KeyListQuery {
    fn default() -> Self {
        Self::from_lookup(|_| None)
    }
}

impl KeyListQuery {
    /// Reads the view through `get` (a query parameter by name). Unknown or out-of-range
    /// values fall back to the defaults, so any link shows a list.
    pub fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Self {
        let sort = get("sort")
            .and_then(|s| s.parse().ok())
            .unwrap_or(KeySort::Created);
        let desc = match get("dir").as_deref() {
            Some("asc") => false,
            Some("desc") => true,
            _ => sort.natural_desc(),
        };
        let key_type = get("type").and_then(|t| match t.as_str() {
            "production" => Some(KeyType::Production),
            "development" => Some(KeyType::Development),
            _ => None,
        });
        let status = get("status").and_then(|s| match s.as_str() {
            "active" => Some(KeyStatus::Active),
            "expiring" => Some(KeyStatus::Expiring),
            "expired" => Some(KeyStatus::Expired),
            "revoked" => Some(KeyStatus::Revoked),
            "disabled" => Some(KeyStatus::Disabled),
            _ => None,
        });
        let search = search_from_lookup(&get);
        let PageRequest { page, per_page } = PageRequest::from_lookup(&get);
        Self {
            key_type,
            status,
            search,
            sort,
            desc,
            page,
            per_page,
        }
    }

    /// Every row on one page, newest first: for the operator CLI, which prints a whole
    /// list (a URL can never ask for this).
    pub fn all() -> Self {
        Self {
            per_page: PageRequest::ALL.per_page,
            ..Self::default()
        }
    }

    /// Whether a filter or a search narrows the list.
    pub fn is_filtering(&self) -> bool {
        self.key_type.is_some() || self.status.is_some() || self.search.is_some()
    }

    /// Its page and page size.
    pub fn at(&self) -> PageRequest {
        PageRequest {
            page: self.page,
            per_page: self.per_page,
        }
    }

    /// Rows skipped before this page.
    pub fn offset(&self) -> u64 {
        u64::from(self.page.saturating_sub(1)) * u64::from(self.per_page)
    }

    /// The same view on page `page`.
    pub fn on_page(&self, page: u32) -> Self {
        Self {
            page,
            ..self.clone()
        }
    }

    fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = Vec::new();
        if let Some(t) = self.key_type {
            pairs.push(("type", t.as_str().to_owned()));
        }
        if let Some(s) = self.status {
            pairs.push(("status", s.as_str().to_owned()));
        }
        if let Some(q) = &self.search {
            pairs.push(("q", encode(q)));
        }
        if self.sort != KeySort::Created || !self.desc {
            pairs.push(("sort", self.sort.as_str().to_owned()));
            pairs.push(("dir", if self.desc { "desc" } else { "asc" }.to_owned()));
        }
        self.at().push_pairs(&mut pairs);
        pairs
    }

    /// The query string (`?…`, or empty) that keeps this view.
    pub fn query(&self) -> String {
        Self::join(self.pairs())
    }

    /// The query string with one more parameter (e.g. `create=1`).
    pub fn with(&self, key: &'static str, value: &str) -> String {
        let mut pairs = self.pairs();
        pairs.push((key, encode(value)));
        Self::join(pairs)
    }

    /// The query that sorts by `column` (toggling the direction if it is already sorted
    /// by it), from the first page.
    pub fn sorted_by(&self, column: KeySort) -> String {
        let desc = if self.sort == column {
            !self.desc
        } else {
            column.natural_desc()
        };
        Self {
            sort: column,
            desc,
            page: 1,
            ..self.clone()
        }
        .query()
    }

    /// `aria-sort` for a column header.
    pub fn aria_sort(&self, column: KeySort) -> &'static str {
        match (self.sort == column, self.desc) {
            (false, _) => "none",
            (true, true) => "descending",
            (true, false) => "ascending",
        }
    }

    fn join(pairs: Vec<(&'static str, String)>) -> String {
        query_string(pairs)
    }
}

/// `?k=v&…` from pairs whose values are already encoded; empty when there are none.
fn query_string(pairs: Vec<(&'static str, String)>) -> String {
    if pairs.is_empty() {
        return String::new();
    }
    let parts: Vec<String> = pairs.into_iter().map(|(k, v)| format!("{k}={v}")).collect();
    format!("?{}", parts.join("&"))
}

/// The query string (`?…`, or empty) of a searched, paged list: `pairs` (values already
/// encoded) first, then `q`, `per_page` and `page` where they are not the defaults.
pub fn list_query(
    mut pairs: Vec<(&'static str, String)>,
    search: Option<&str>,
    at: PageRequest,
) -> String {
    if let Some(q) = search {
        pairs.push(("q", encode(q)));
    }
    at.push_pairs(&mut pairs);
    query_string(pairs)
}

/// One page of a list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Page<T> {
    /// The page's rows, in order.
    pub rows: Vec<T>,
    /// Rows that pass the filters and search, on every page.
    pub matching: u64,
    /// Rows in the list before any filter (for the audit log: the same as `matching`).
    pub total: u64,
    /// The page shown (the last one when the URL asked for a page past it).
    pub page: u32,
    /// Counting stopped early: more rows match than `matching` says.
    pub more: bool,
    /// Counting stopped early: the list holds more rows than `total` says.
    pub total_more: bool,
}

/// The page to show for `requested`, when `matching` rows make pages of `per_page`:
/// past the last page shows the last.
pub fn clamp_page(requested: u32, matching: u64, per_page: u32) -> u32 {
    let last = matching.div_ceil(u64::from(per_page.max(1))).max(1);
    u32::try_from(last).map_or(requested, |last| requested.min(last))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(pairs: &[(&str, &str)]) -> KeyListQuery {
        KeyListQuery::from_lookup(|key| {
            pairs
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| (*v).to_owned())
        })
    }

    #[test]
    fn query_round_trips_and_ignores_unknown_values() {
        let f = query(&[("type", "bogus"), ("sort", "nope"), ("page", "0")]);
        assert_eq!(f, KeyListQuery::default());
        assert_eq!(f.query(), "");
        let f = query(&[("status", "revoked"), ("sort", "name")]);
        assert_eq!(f.query(), "?status=revoked&sort=name&dir=asc");
        assert_eq!(
            f.sorted_by(KeySort::Name),
            "?status=revoked&sort=name&dir=desc"
        );
        assert_eq!(
            f.with("create", "1"),
            "?status=revoked&sort=name&dir=asc&create=1"
        );
        assert_eq!(f.aria_sort(KeySort::Name), "ascending");
        assert_eq!(f.aria_sort(KeySort::Created), "none");
    }

    #[test]
    fn query_keeps_search_and_page_encoded() {
        let f = query(&[("q", "  ci deploy&x "), ("page", "3"), ("per_page", "20")]);
        assert_eq!(f.search.as_deref(), Some("ci deploy&x"));
        assert_eq!(f.offset(), 40);
        assert_eq!(f.query(), "?q=ci%20deploy%26x&per_page=20&page=3");
        // A new order starts from the first page; the search stays.
        assert_eq!(
            f.sorted_by(KeySort::Name),
            "?q=ci%20deploy%26x&sort=name&dir=asc&per_page=20"
        );
        assert_eq!(f.on_page(1).query(), "?q=ci%20deploy%26x&per_page=20");
    }

    #[test]
    fn from_lookup_bounds_page_size_and_search() {
        assert_eq!(query(&[("per_page", "100000")]).per_page, PER_PAGE_DEFAULT);
        assert_eq!(query(&[("per_page", "0")]).per_page, PER_PAGE_DEFAULT);
        assert_eq!(query(&[("page", "-2")]).page, 1);
        assert_eq!(query(&[("q", "   ")]).search, None);
        let long = "é".repeat(500);
        assert_eq!(
            query(&[("q", &long)]).search.map(|s| s.chars().count()),
            Some(SEARCH_MAX_CHARS)
        );
    }

    #[test]
    fn list_query_encodes_search_and_skips_defaults() {
        let at = PageRequest::default();
        assert_eq!(list_query(Vec::new(), None, at), "");
        assert_eq!(
            list_query(vec![("kind", "key".to_owned())], Some("a b"), at.on(3)),
            "?kind=key&q=a%20b&page=3"
        );
        let small = PageRequest {
            page: 1,
            per_page: 10,
        };
        assert_eq!(list_query(Vec::new(), None, small), "?per_page=10");
    }

    #[test]
    fn clamp_page_keeps_within_the_last_page() {
        assert_eq!(clamp_page(1, 0, 50), 1);
        assert_eq!(clamp_page(3, 100, 50), 2);
        assert_eq!(clamp_page(2, 101, 50), 2);
        assert_eq!(clamp_page(9, 101, 50), 3);
    }
}
