//! Keyboard focus for modal dialogs: focus moves into a dialog when it opens, Tab stays
//! inside it, and focus returns to where it was when it closes. Browser only; on the
//! server these do nothing (a server-rendered dialog relies on `autofocus`).

use leptos::html::Div;
use leptos::prelude::*;

/// What can take focus inside a dialog.
#[cfg(feature = "hydrate")]
const FOCUSABLE: &str = "a[href], button:not([disabled]), input:not([disabled]):not([type=hidden]), \
     select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex='-1'])";

/// Moves focus into the dialog once it is in the page (its `[autofocus]` element, else
/// its first focusable one) and gives it back to the element that had it when the
/// dialog goes away.
pub fn manage_focus(dialog: NodeRef<Div>) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        let previous = StoredValue::new_local(
            document()
                .active_element()
                .and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok()),
        );
        Effect::new(move |_| {
            if let Some(root) = dialog.get() {
                let target = root
                    .query_selector("[autofocus]")
                    .ok()
                    .flatten()
                    .or_else(|| root.query_selector(FOCUSABLE).ok().flatten());
                if let Some(el) = target.and_then(|e| e.dyn_into::<web_sys::HtmlElement>().ok()) {
                    let _ = el.focus();
                }
            }
        });
        on_cleanup(move || {
            if let Some(el) = previous.try_get_value().flatten()
                && el.is_connected()
            {
                let _ = el.focus();
            }
        });
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = dialog;
}

/// Keeps Tab and Shift+Tab cycling inside the dialog.
pub fn trap_tab(ev: &leptos::ev::KeyboardEvent, dialog: NodeRef<Div>) {
    #[cfg(feature = "hydrate")]
    {
        use wasm_bindgen::JsCast;
        if ev.key() != "Tab" {
            return;
        }
        let Some(root) = dialog.get() else { return };
        let Ok(list) = root.query_selector_all(FOCUSABLE) else {
            return;
        };
        let (Some(first), Some(last)) = (
            list.get(0)
                .and_then(|n| n.dyn_into::<web_sys::HtmlElement>().ok()),
            list.get(list.length().saturating_sub(1))
                .and_then(|n| n.dyn_into::<web_sys::HtmlElement>().ok()),
        ) else {
            return;
        };
        let active = document().active_element();
        let is = |el: &web_sys::HtmlElement| {
            active
                .as_ref()
                .is_some_and(|a| a == el.unchecked_ref::<web_sys::Element>())
        };
        let inside = active.as_ref().is_some_and(|a| root.contains(Some(a)));
        // Focus may rest on something that Tab skips (a dialog's heading, given focus
        // when it opens): what matters is whether a control lies beyond it inside.
        let position = |el: &web_sys::HtmlElement| {
            active
                .as_ref()
                .map_or(0, |a| a.compare_document_position(el.unchecked_ref()))
        };
        let first_before = position(&first) & web_sys::Node::DOCUMENT_POSITION_PRECEDING != 0;
        let last_after = position(&last) & web_sys::Node::DOCUMENT_POSITION_FOLLOWING != 0;
        if ev.shift_key() && (is(&first) || !inside || !first_before) {
            ev.prevent_default();
            let _ = last.focus();
        } else if !ev.shift_key() && (is(&last) || !inside || !last_after) {
            ev.prevent_default();
            let _ = first.focus();
        }
    }
    #[cfg(not(feature = "hydrate"))]
    let _ = (ev, dialog);
}
