use super::focus::{manage_focus, trap_tab};
use leptos::ev::KeyboardEvent;
use leptos::html::Div;
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

/// A modal dialog rendered on the server when its page's URL asks for it (e.g.
/// `?new=project`), so it works without JavaScript; closing is a link back. With
/// JavaScript, Escape closes it too, focus moves into it (its `autofocus` field, else its
/// first control), Tab stays inside it, and focus returns to the opener when it closes.
#[component]
pub fn Dialog(
    /// The dialog's title, also its accessible name.
    title: &'static str,
    /// Where closing goes (the page without the dialog).
    close_href: String,
    /// The dialog's content.
    children: Children,
) -> impl IntoView {
    let title_id = format!("dialog-{}", title.to_lowercase().replace(' ', "-"));
    let labelled_by = title_id.clone();
    let navigate = use_navigate();
    let close = close_href.clone();
    let dialog = NodeRef::<Div>::new();
    manage_focus(dialog);
    let on_keydown = move |ev: KeyboardEvent| {
        if ev.key() == "Escape" {
            ev.prevent_default();
            navigate(&close, Default::default());
        } else {
            trap_tab(&ev, dialog);
        }
    };
    view! {
        <div class="overlay">
            <div class="dialog" role="dialog" aria-modal="true" aria-labelledby=labelled_by node_ref=dialog on:keydown=on_keydown>
                <div class="dialog-head">
                    <h2 id=title_id>{title}</h2>
                    <a class="dialog-close" href=close_href aria-label="Close">"×"</a>
                </div>
                {children()}
            </div>
        </div>
    }
}
