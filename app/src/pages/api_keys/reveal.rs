//! The one-time reveal: the full key, Copy, a ready `.env` snippet with its own Copy, a
//! plain warning, and "Done". Escape or a click outside asks before closing, since the
//! key cannot be shown again.

use super::KeyActions;
use crate::api::types::RevealedKey;
use crate::components::copy_button::CopyButton;
use crate::components::focus::{manage_focus, trap_tab};
use leptos::ev::{KeyboardEvent, MouseEvent};
use leptos::html::{Button, Div, H2};
use leptos::prelude::*;
use leptos_router::hooks::use_navigate;

#[component]
pub fn RevealDialog(key: RevealedKey, close_href: String, actions: KeyActions) -> impl IntoView {
    let (confirming, set_confirming) = signal(false);
    let dialog = NodeRef::<Div>::new();
    manage_focus(dialog);
    // The confirmation takes focus when it appears ("Keep open", the safe choice) and
    // gives it back to the dialog's title when it goes, so focus never falls out of it.
    let title = NodeRef::<H2>::new();
    let keep_open = NodeRef::<Button>::new();
    Effect::new(move |was_confirming: Option<bool>| {
        let now = confirming.get();
        #[cfg(feature = "hydrate")]
        {
            if now && let Some(button) = keep_open.get() {
                let _ = button.focus();
            } else if !now
                && was_confirming == Some(true)
                && let Some(h) = title.get()
            {
                let _ = h.focus();
            }
        }
        #[cfg(not(feature = "hydrate"))]
        let _ = (was_confirming, title, keep_open);
        now
    });
    let navigate = use_navigate();
    let close = {
        let close_href = close_href.clone();
        move || {
            actions.forget_revealed();
            navigate(&close_href, Default::default());
        }
    };
    let on_keydown = move |ev: KeyboardEvent| {
        if ev.key() == "Escape" {
            ev.prevent_default();
            set_confirming.update(|c| *c = !*c);
        } else {
            trap_tab(&ev, dialog);
        }
    };
    // A click on the backdrop (not inside the dialog) asks first.
    let on_backdrop = move |ev: MouseEvent| {
        let on_backdrop = match (ev.target(), ev.current_target()) {
            (Some(t), Some(c)) => t == c,
            _ => false,
        };
        if on_backdrop {
            set_confirming.set(true);
        }
    };
    let on_done = {
        let close = close.clone();
        move |ev: MouseEvent| {
            ev.prevent_default();
            close();
        }
    };
    let on_close_anyway = {
        let close = close.clone();
        move |_| close()
    };
    let env = match &key.project_id {
        Some(project_id) => format!("GT_API_KEY={}\nGT_PROJECT_ID={project_id}", key.key),
        None => format!("GT_API_KEY={}", key.key),
    };
    view! {
        <div class="overlay" on:click=on_backdrop>
            <div class="dialog reveal" role="dialog" aria-modal="true" aria-labelledby="reveal-title"
                aria-describedby="reveal-warning" node_ref=dialog on:keydown=on_keydown>
                <div class="dialog-head">
                    // Focus starts on the title, not on "Done" (the first control until the
                    // Copy buttons appear), so Enter cannot close the dialog by accident.
                    <h2 id="reveal-title" tabindex="-1" autofocus node_ref=title>"Save your API key"</h2>
                </div>
                <p id="reveal-warning" class="warning">
                    <strong>"This is the only time the key is shown."</strong>
                    " Copy it into your secret store now. If you lose it, rotate the key to get a new one."
                </p>
                <p class="muted">{format!("Key “{}”", key.name)}</p>
                <div class="copy-row">
                    <code class="secret" data-testid="revealed-key">{key.key.clone()}</code>
                    <CopyButton text=key.key.clone() label="Copy" />
                </div>
                <h3 class="small-heading" id="env-heading">".env"</h3>
                <div class="copy-row">
                    <pre class="secret" data-testid="env-snippet" aria-labelledby="env-heading">{env.clone()}</pre>
                    <CopyButton text=env label="Copy .env" />
                </div>
                <Show when=move || confirming.get()>
                    <div class="confirm" role="alertdialog" aria-labelledby="confirm-close-title" aria-describedby="confirm-close-text">
                        <p id="confirm-close-title"><strong>"Close without saving?"</strong></p>
                        <p id="confirm-close-text">"The key will not be shown again. Make sure you copied it."</p>
                        <div class="dialog-actions">
                            <button class="button" type="button" node_ref=keep_open on:click=move |_| set_confirming.set(false)>"Keep open"</button>
                            <button class="button danger" type="button" on:click=on_close_anyway.clone()>"Close anyway"</button>
                        </div>
                    </div>
                </Show>
                <div class="dialog-actions">
                    <a class="button primary" role="button" href=close_href on:click=on_done>"Done"</a>
                </div>
            </div>
        </div>
    }
}
