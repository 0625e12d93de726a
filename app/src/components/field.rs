//! One labelled form field: its label, the control (the children), an optional hint and
//! the place where the field's own error message shows (see `FormErrors::field`).

use leptos::prelude::*;

/// A form field. Every field of the dashboard's forms is written as one, so they are all
/// labelled, hinted and marked in error the same way.
#[component]
pub fn Field(
    /// The control's id, which the label names.
    id: &'static str,
    /// The label's text (the control's accessible name).
    label: &'static str,
    /// A hint under the control.
    #[prop(optional)]
    hint: Option<&'static str>,
    /// The field's error message, for a field the server checks on its own.
    #[prop(optional, into)]
    error: Option<Signal<Option<String>>>,
    /// The control.
    children: Children,
) -> impl IntoView {
    view! {
        <div class="field">
            <label for=id>{label}</label>
            {children()}
            {hint.map(|hint| view! { <p class="hint">{hint}</p> })}
            {error.map(|error| view! { <p class="field-error">{move || error.get()}</p> })}
        </div>
    }
}

/// The password field of a form that sets a new password (setup, joining by invite):
/// at least 12 characters, offered to password managers as a new password.
#[component]
pub fn NewPasswordField(
    /// The field's error message.
    #[prop(into)]
    error: Signal<Option<String>>,
) -> impl IntoView {
    view! {
        <Field id="password" label="Password" hint="At least 12 characters." error>
            <input id="password" name="password" type="password" autocomplete="new-password" required minlength="12" />
        </Field>
    }
}

/// A form's primary button, disabled while the form's action is pending.
#[component]
pub fn Submit(
    /// Whether the form's action is under way (`action.pending()`).
    #[prop(into)]
    pending: Signal<bool>,
    /// The button's text.
    label: &'static str,
) -> impl IntoView {
    view! {
        <button class="button primary" type="submit" disabled=move || pending.get()>
            {label}
        </button>
    }
}
