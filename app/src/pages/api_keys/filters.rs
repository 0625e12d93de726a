//! Filtering and sorting the key list, kept in the URL (`?type=…&status=…&sort=…&dir=…`)
//! so a filtered view is a link, survives a reload and works without JavaScript.

use crate::api::types::KeyRow;
use gtx_core::domain::KeyStatus;
use leptos::prelude::*;
use leptos_router::components::Form;
use leptos_router::params::ParamsMap;

/// A column the list can be sorted by.
#[derive(Clone, Copy, Debug, PartialEq, Eq, strum::EnumString, strum::IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
pub enum SortBy {
    /// Creation time (the default, newest first).
    Created,
    /// Name, A→Z.
    Name,
    /// Last use (never-used keys last when newest first).
    LastUsed,
    /// Expiry (keys that never expire last when soonest first).
    Expires,
}

impl SortBy {
    fn as_str(self) -> &'static str {
        self.into()
    }

    /// The direction a click on the column's header starts with.
    fn natural_desc(self) -> bool {
        matches!(self, Self::Created | Self::LastUsed)
    }
}

/// The list's filters and order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Filters {
    /// `production` or `development`, or all.
    pub key_type: Option<String>,
    /// `active`, `expiring`, `expired` or `revoked`, or all.
    pub status: Option<String>,
    /// Sort column.
    pub sort: SortBy,
    /// Descending.
    pub desc: bool,
}

impl Filters {
    /// Reads the URL's query; unknown values fall back to the defaults.
    pub fn from_query(q: &ParamsMap) -> Self {
        Self::from_lookup(|key| q.get(key))
    }

    /// Reads the filters through `get` (a query parameter by name).
    fn from_lookup(get: impl Fn(&str) -> Option<String>) -> Self {
        let sort = get("sort")
            .and_then(|s| s.parse().ok())
            .unwrap_or(SortBy::Created);
        let desc = match get("dir").as_deref() {
            Some("asc") => false,
            Some("desc") => true,
            _ => sort.natural_desc(),
        };
        let key_type = get("type").filter(|t| matches!(t.as_str(), "production" | "development"));
        let status = get("status")
            .filter(|s| matches!(s.as_str(), "active" | "expiring" | "expired" | "revoked"));
        Self {
            key_type,
            status,
            sort,
            desc,
        }
    }

    /// Whether any filter narrows the list.
    pub fn is_filtering(&self) -> bool {
        self.key_type.is_some() || self.status.is_some()
    }

    fn pairs(&self) -> Vec<(&'static str, String)> {
        let mut pairs = Vec::new();
        if let Some(t) = &self.key_type {
            pairs.push(("type", t.clone()));
        }
        if let Some(s) = &self.status {
            pairs.push(("status", s.clone()));
        }
        if self.sort != SortBy::Created || !self.desc {
            pairs.push(("sort", self.sort.as_str().to_owned()));
            pairs.push(("dir", if self.desc { "desc" } else { "asc" }.to_owned()));
        }
        pairs
    }

    /// The query string (`?…`, or empty) that keeps these filters.
    pub fn query(&self) -> String {
        Self::join(self.pairs())
    }

    /// The query string with one more parameter (e.g. `create=1`).
    pub fn with(&self, key: &'static str, value: &str) -> String {
        let mut pairs = self.pairs();
        pairs.push((key, value.to_owned()));
        Self::join(pairs)
    }

    /// The query that sorts by `column` (toggling the direction if it is already sorted
    /// by it).
    pub fn sorted_by(&self, column: SortBy) -> String {
        let desc = if self.sort == column {
            !self.desc
        } else {
            column.natural_desc()
        };
        Self {
            sort: column,
            desc,
            ..self.clone()
        }
        .query()
    }

    /// `aria-sort` for a column header.
    pub fn aria_sort(&self, column: SortBy) -> &'static str {
        match (self.sort == column, self.desc) {
            (false, _) => "none",
            (true, true) => "descending",
            (true, false) => "ascending",
        }
    }

    fn join(pairs: Vec<(&'static str, String)>) -> String {
        if pairs.is_empty() {
            return String::new();
        }
        let parts: Vec<String> = pairs.into_iter().map(|(k, v)| format!("{k}={v}")).collect();
        format!("?{}", parts.join("&"))
    }

    /// The rows that pass the filters, in order.
    pub fn apply(&self, mut rows: Vec<KeyRow>, now: i64) -> Vec<KeyRow> {
        rows.retain(|k| {
            self.key_type.as_ref().is_none_or(|t| &k.key_type == t)
                && self
                    .status
                    .as_ref()
                    .is_none_or(|s| KeyStatus::at(now, k.expires_at, k.revoked_at).as_str() == s)
        });
        // Stable sorts on top of the server's newest-first order.
        match self.sort {
            SortBy::Created => rows.sort_by_key(|k| k.created_at),
            SortBy::Name => rows.sort_by_key(|k| k.name.to_lowercase()),
            SortBy::LastUsed => rows.sort_by_key(|k| k.last_used_at),
            // Never expires = later than any date.
            SortBy::Expires => rows.sort_by_key(|k| k.expires_at.unwrap_or(i64::MAX)),
        }
        if self.desc {
            rows.reverse();
        }
        rows
    }
}

/// The filter form: a plain GET form, so it works without JavaScript; with it, the
/// router handles it in place. The selects follow the URL through `prop:value` as well as
/// `selected`: once someone has picked an option, the browser no longer lets a changed
/// `selected` attribute move the selection, so "Clear filters" would leave a stale value.
#[component]
pub fn FiltersForm(base: String, project: bool, filters: Memo<Filters>) -> impl IntoView {
    let selected = move |get: fn(&Filters) -> Option<String>, value: &'static str| {
        move || get(&filters.get()).as_deref() == Some(value)
    };
    let sort = move || filters.get().sort.as_str();
    let dir = move || if filters.get().desc { "desc" } else { "asc" };
    let type_filter = project.then(|| {
        view! {
            <div class="field compact">
                <label for="filter-type">"Type"</label>
                <select id="filter-type" name="type" prop:value=move || filters.get().key_type.unwrap_or_default()>
                    <option value="">"All types"</option>
                    <option value="production" selected=selected(|f| f.key_type.clone(), "production")>"Production"</option>
                    <option value="development" selected=selected(|f| f.key_type.clone(), "development")>"Development"</option>
                </select>
            </div>
        }
    });
    let clear = base.clone();
    view! {
        <Form method="GET" action=base attr:class="filters" attr:aria-label="Filter keys">
            {type_filter}
            <div class="field compact">
                <label for="filter-status">"Status"</label>
                <select id="filter-status" name="status" prop:value=move || filters.get().status.unwrap_or_default()>
                    <option value="">"All statuses"</option>
                    <option value="active" selected=selected(|f| f.status.clone(), "active")>"Active"</option>
                    <option value="expiring" selected=selected(|f| f.status.clone(), "expiring")>"Expiring"</option>
                    <option value="expired" selected=selected(|f| f.status.clone(), "expired")>"Expired"</option>
                    <option value="revoked" selected=selected(|f| f.status.clone(), "revoked")>"Revoked"</option>
                </select>
            </div>
            <input type="hidden" name="sort" value=sort />
            <input type="hidden" name="dir" value=dir />
            <button class="button" type="submit">"Apply filters"</button>
            {move || filters.get().is_filtering().then(|| view! { <a href=clear.clone()>"Clear filters"</a> })}
        </Form>
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(name: &str, key_type: &str, created_at: i64, expires_at: Option<i64>) -> KeyRow {
        KeyRow {
            id: name.to_owned(),
            name: name.to_owned(),
            key_type: key_type.to_owned(),
            hint: String::new(),
            permissions: vec![],
            created_by: String::new(),
            created_at,
            expires_at,
            revoked_at: None,
            revoked_by: None,
            last_used_at: None,
            replaced: false,
            rotated: false,
        }
    }

    /// Filters from query pairs (`ParamsMap` decodes through the browser's APIs, which a
    /// host test does not have).
    fn query(pairs: &[(&str, &str)]) -> Filters {
        Filters::from_lookup(|key| {
            pairs
                .iter()
                .find(|(k, _)| *k == key)
                .map(|(_, v)| (*v).to_owned())
        })
    }

    #[test]
    fn apply_filters_by_type_and_status_and_sorts() {
        let rows = vec![
            row("b", "production", 2, None),
            row("a", "development", 1, Some(5)),
            row("c", "production", 3, Some(100)),
        ];
        let f = query(&[("type", "production")]);
        let names: Vec<_> = f
            .apply(rows.clone(), 10)
            .into_iter()
            .map(|r| r.name)
            .collect();
        assert_eq!(names, ["c", "b"]);
        let f = query(&[("status", "expired")]);
        let names: Vec<_> = f
            .apply(rows.clone(), 10)
            .into_iter()
            .map(|r| r.name)
            .collect();
        assert_eq!(names, ["a"]);
        let f = query(&[("sort", "name")]);
        let names: Vec<_> = f
            .apply(rows.clone(), 10)
            .into_iter()
            .map(|r| r.name)
            .collect();
        assert_eq!(names, ["a", "b", "c"]);
        let f = query(&[("sort", "expires"), ("dir", "asc")]);
        let names: Vec<_> = f.apply(rows, 10).into_iter().map(|r| r.name).collect();
        assert_eq!(names, ["a", "c", "b"]);
    }

    #[test]
    fn query_round_trips_and_ignores_unknown_values() {
        let f = query(&[("type", "bogus"), ("sort", "nope")]);
        assert_eq!(f.query(), "");
        let f = query(&[("status", "revoked"), ("sort", "name")]);
        assert_eq!(f.query(), "?status=revoked&sort=name&dir=asc");
        assert_eq!(
            f.sorted_by(SortBy::Name),
            "?status=revoked&sort=name&dir=desc"
        );
        assert_eq!(
            f.with("create", "1"),
            "?status=revoked&sort=name&dir=asc&create=1"
        );
        assert_eq!(f.aria_sort(SortBy::Name), "ascending");
        assert_eq!(f.aria_sort(SortBy::Created), "none");
    }
}
