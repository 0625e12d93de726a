//! The key list: a table on wide screens, one card per key on a phone.

use super::filters::{Filters, SortBy};
use super::rows::rows_html;
use crate::api::types::{KeyCounts, KeyRow};
use crate::components::pager::Pager;
use leptos::prelude::*;

/// What the table shows of how many: "3 keys", "51–100 of 1000+ keys", "1–50 of 120
/// matching keys (1000+ in all)".
fn caption(counts: &KeyCounts, shown: usize) -> String {
    let plus = if counts.more { "+" } else { "" };
    let tplus = if counts.total_more { "+" } else { "" };
    let (matching, total) = (counts.matching, counts.total);
    let first = u64::from(counts.page.saturating_sub(1)) * u64::from(counts.per_page) + 1;
    let last = (first + shown as u64).saturating_sub(1);
    match (matching <= u64::from(counts.per_page), matching == total) {
        (true, true) => format!("{total} key{}", if total == 1 { "" } else { "s" }),
        (true, false) => format!("{matching} of {total}{tplus} keys"),
        (false, true) => format!("{first}–{last} of {total}{tplus} keys"),
        (false, false) => {
            format!("{first}–{last} of {matching}{plus} matching keys ({total}{tplus} in all)")
        }
    }
}

/// One page of the filtered, sorted keys, with links to the pages around it.
#[component]
pub fn KeyTable(
    rows: Vec<KeyRow>,
    counts: KeyCounts,
    base: String,
    filters: Memo<Filters>,
    now: i64,
    project: bool,
) -> impl IntoView {
    let KeyCounts {
        matching,
        total,
        page,
        per_page,
        more,
        ..
    } = counts;
    if total == 0 {
        return view! { <EmptyState project /> }.into_any();
    }
    if rows.is_empty() {
        return view! {
            <div class="empty-state" role="status">
                <p>"No keys match these filters."</p>
                <a href=base>"Clear filters"</a>
            </div>
        }
        .into_any();
    }
    let header = {
        let base = base.clone();
        move |column: SortBy, label: &'static str| {
            let base = base.clone();
            view! {
                <th scope="col" aria-sort=move || filters.get().aria_sort(column)>
                    <a class="sort" href=move || format!("{base}{}", filters.get().sorted_by(column))>
                        {label}
                    </a>
                </th>
            }
        }
    };
    let caption = caption(&counts, rows.len());
    let pager = {
        let base = base.clone();
        let href = move |to: u32| format!("{base}{}", filters.get_untracked().on_page(to).query());
        view! { <Pager page matching per_page more href /> }
    };
    view! {
        <p class="muted table-caption" role="status">{caption}</p>
        <table class="table keys-table">
            <caption class="visually-hidden">{if project { "Project API keys" } else { "Organisation API keys" }}</caption>
            <thead>
                <tr>
                    {header(SortBy::Name, "Name")}
                    {project.then(|| view! { <th scope="col">"Type"</th> })}
                    <th scope="col">"Key"</th>
                    {(!project).then(|| view! { <th scope="col">"Permissions"</th> })}
                    {header(SortBy::Created, "Created")}
                    {header(SortBy::LastUsed, "Last used")}
                    {header(SortBy::Expires, "Expires")}
                    <th scope="col">"Requests (7 days)"</th>
                    <th scope="col">"Status"</th>
                    <th scope="col"><span class="visually-hidden">"Actions"</span></th>
                </tr>
            </thead>
            // The rows' links keep the view; the table is drawn again whenever the view
            // changes (the list reloads), so they need not track it.
            <tbody inner_html=rows_html(&rows, &base, &filters.get_untracked(), now, project) />
        </table>
        {pager}
    }
    .into_any()
}

#[component]
fn EmptyState(project: bool) -> impl IntoView {
    view! {
        <div class="empty-state">
            <h2>"No API keys yet"</h2>
            {if project {
                view! {
                    <p>"An API key lets your code call the translation API for this project. Send it as GT_API_KEY together with the project ID."</p>
                    <ul>
                        <li><strong>"Production"</strong>" keys (gtx-api-…) are for deployed apps and production automation."</li>
                        <li><strong>"Development"</strong>" keys (gtx-dev-…) are for local development, previews and tests."</li>
                    </ul>
                    <p>"A key is shown once, when you create it. Create one with “Create API key”."</p>
                }.into_any()
            } else {
                view! {
                    <p>"Organisation keys (gtx-org-…) act on every project of the organisation, with exactly the permissions you choose: use them for CI and automation across projects."</p>
                    <p>"A key is shown once, when you create it. Create one with “Create API key”."</p>
                }.into_any()
            }}
        </div>
    }
}
