use leptos::ev::KeyboardEvent;
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

/// A modal dialog rendered on the server when its page's URL asks for it (e.g.
/// `?new=project`), so it works without JavaScript; closing is a link back. With
/// JavaScript, Escape closes it too. The first field with `autofocus` gets the focus.
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
    let on_keydown = move |ev: KeyboardEvent| {
        if ev.key() == "Escape" {
            ev.prevent_default();
            navigate(&close, Default::default());
        }
    };
    view! {
        <div class="overlay">
            <div class="dialog" role="dialog" aria-modal="true" aria-labelledby=labelled_by on:keydown=on_keydown>
                <div class="dialog-head">
                    <h2 id=title_id>{title}</h2>
                    <a class="dialog-close" href=close_href aria-label="Close">"×"</a>
                </div>
                {children()}
            </div>
        </div>
    }
}
