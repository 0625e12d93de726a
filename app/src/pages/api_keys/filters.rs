//! Filtering, searching, sorting and paging the key list, kept in the URL
//! (`?type=…&status=…&q=…&sort=…&dir=…&page=…`) so a view is a link, survives a reload
//! and works without JavaScript. The server pages through the database with the same
//! [`KeyListQuery`]; the browser only draws links from it.

pub use gtx_core::domain::key_list::{KeyListQuery as Filters, KeySort as SortBy};
use leptos::prelude::*;
use leptos_router::components::Form;
use leptos_router::params::ParamsMap;

/// The view the URL's query asks for.
pub fn from_query(q: &ParamsMap) -> Filters {
    Filters::from_lookup(|key| q.get(key))
}

/// The filter form: a plain GET form, so it works without JavaScript; with it, the
/// router handles it in place. The selects follow the URL through `prop:value` as well as
/// `selected`: once someone has picked an option, the browser no longer lets a changed
/// `selected` attribute move the selection, so "Clear filters" would leave a stale value.
#[component]
pub fn FiltersForm(base: String, project: bool, filters: Memo<Filters>) -> impl IntoView {
    let per_page = move || {
        let n = filters.get().per_page;
        (n != gtx_core::domain::key_list::PER_PAGE_DEFAULT).then(|| n.to_string())
    };
    let sort = move || filters.get().sort.as_str();
    let dir = move || if filters.get().desc { "desc" } else { "asc" };
    let type_filter = project.then(|| {
        let options = [
            ("", "All types"),
            ("production", "Production"),
            ("development", "Development"),
        ];
        filter_select("type", "Type", &options, filters, |f| {
            f.key_type.map(|t| t.as_str())
        })
    });
    let status_options = [
        ("", "All statuses"),
        ("active", "Active"),
        ("expiring", "Expiring"),
        ("expired", "Expired"),
        ("disabled", "Disabled"),
        ("revoked", "Revoked"),
    ];
    let clear = base.clone();
    view! {
        <Form method="GET" action=base attr:class="filters" attr:aria-label="Filter keys">
            <div class="field compact">
                <label for="filter-q">"Search"</label>
                <input id="filter-q" type="search" name="q" maxlength="100" placeholder="Name or last characters"
                    prop:value=move || filters.get().search.unwrap_or_default() value=move || filters.get().search />
            </div>
            {type_filter}
            {filter_select("status", "Status", &status_options, filters, |f| f.status.map(|s| s.as_str()))}
            <input type="hidden" name="sort" value=sort />
            <input type="hidden" name="dir" value=dir />
            {move || per_page().map(|n| view! { <input type="hidden" name="per_page" value=n /> })}
            <button class="button" type="submit">"Apply filters"</button>
            {move || filters.get().is_filtering().then(|| view! { <a href=clear.clone()>"Clear filters"</a> })}
        </Form>
    }
}

/// One labelled `<select>` of the filter form; `""` is the "all" option. `current` reads
/// the filter's value from the view in the URL.
fn filter_select(
    name: &'static str,
    label: &'static str,
    options: &[(&'static str, &'static str)],
    filters: Memo<Filters>,
    current: fn(&Filters) -> Option<&'static str>,
) -> impl IntoView + use<> {
    let id = format!("filter-{name}");
    let options = options
        .iter()
        .map(|&(value, text)| {
            let selected = move || !value.is_empty() && current(&filters.get()) == Some(value);
            view! { <option value=value selected=selected>{text}</option> }
        })
        .collect_view();
    view! {
        <div class="field compact">
            <label for=id.clone()>{label}</label>
            <select id=id name=name prop:value=move || current(&filters.get()).unwrap_or_default()>
                {options}
            </select>
        </div>
    }
}
