//! The header row of the dashboard's plain tables.

use leptos::prelude::*;

/// A table's header: one column header per name, in order, and when `actions` is set a
/// last column for the rows' buttons, named for screen readers only.
#[component]
pub fn TableHead(
    /// The columns' names.
    columns: &'static [&'static str],
    /// Whether the rows end with a column of buttons.
    #[prop(optional)]
    actions: bool,
) -> AnyView {
    // Erased: the pages around it are deep enough already for a release build's
    // type-layout limit.
    view! {
        <thead>
            <tr>
                {columns.iter().map(|name| view! { <th scope="col">{*name}</th> }).collect_view()}
                {actions.then(|| view! { <th scope="col"><span class="visually-hidden">"Actions"</span></th> })}
            </tr>
        </thead>
    }
    .into_any()
}
