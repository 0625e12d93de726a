//! Links to the pages around the one a list shows (`?page=N`), plain links that work
//! without JavaScript.

use leptos::prelude::*;

/// "Previous page", "Page N of M" and "Next page", or nothing when everything fits on
/// one page. `href(n)` is the link to page `n`.
#[component]
pub fn Pager(
    /// The page shown, from 1.
    page: u32,
    /// Rows matching the list's filters.
    matching: u64,
    /// Rows per page.
    per_page: u32,
    /// There are more rows than `matching` (the count stopped early).
    #[prop(optional)]
    more: bool,
    /// The link to a page.
    href: impl Fn(u32) -> String + 'static,
) -> AnyView {
    let pages = matching.div_ceil(u64::from(per_page.max(1)));
    if pages <= 1 {
        return ().into_any();
    }
    let previous = (page > 1).then(|| href(page - 1));
    let next = (more || u64::from(page) < pages).then(|| href(page + 1));
    view! {
        <nav class="pager" aria-label="Pages">
            {previous.map(|h| view! { <a class="button" rel="prev" href=h>"Previous page"</a> })}
            <span class="muted">{format!("Page {page} of {pages}{}", if more { "+" } else { "" })}</span>
            {next.map(|h| view! { <a class="button" rel="next" href=h>"Next page"</a> })}
        </nav>
    }
    .into_any()
}
