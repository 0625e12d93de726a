use leptos::prelude::*;

/// A button that copies `text` to the clipboard and says so. It needs JavaScript, so
/// without it the button is not shown (the text next to it can still be selected).
#[component]
pub fn CopyButton(
    /// What to copy.
    text: String,
    /// The button's accessible name, e.g. "Copy project ID".
    #[prop(default = "Copy")]
    label: &'static str,
) -> impl IntoView {
    let (copied, set_copied) = signal(false);
    let (hydrated, set_hydrated) = signal(false);
    // Effects run only in the browser: the button appears once it can work.
    Effect::new(move |_| set_hydrated.set(true));
    let on_click = move |_| {
        #[cfg(feature = "hydrate")]
        {
            let text = text.clone();
            leptos::task::spawn_local(async move {
                let clipboard = window().navigator().clipboard();
                let done = wasm_bindgen_futures::JsFuture::from(clipboard.write_text(&text)).await;
                set_copied.set(done.is_ok());
            });
        }
        #[cfg(not(feature = "hydrate"))]
        {
            let _ = &text;
            set_copied.set(false);
        }
    };
    view! {
        <Show when=move || hydrated.get()>
            <button class="button" type="button" aria-label=label on:click=on_click.clone()>
                {move || if copied.get() { "Copied" } else { "Copy" }}
            </button>
        </Show>
        <span class="visually-hidden" role="status">{move || if copied.get() { "Copied to the clipboard" } else { "" }}</span>
    }
}
