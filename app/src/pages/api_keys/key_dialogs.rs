//! Confirmations for one key: revoke (naming the key) and rotate (with a grace period).

use crate::api::keys::{RevokeApiKey, RotateApiKey};
use crate::api::types::KeyRow;
use crate::components::dialog::Dialog;
use crate::components::field::Submit;
use crate::components::form_errors::FormErrors;
use gtx_core::domain::lifetime::GracePeriod;
use gtx_core::domain::time::format_utc;
use leptos::prelude::*;

/// A key as the dialogs name it: its name, then its masked form.
fn key_named(key: &KeyRow) -> impl IntoView + use<> {
    view! { <strong>{key.name.clone()}</strong>" ("<code>{key.hint.clone()}</code>")" }
}

#[component]
pub fn RevokeDialog(
    key: KeyRow,
    close_href: String,
    action: ServerAction<RevokeApiKey>,
) -> impl IntoView {
    let error = FormErrors::of(action, &[]).form();
    let cancel = close_href.clone();
    view! {
        <Dialog title="Revoke API key" close_href>
            <p>
                "Revoke "{key_named(&key)}"? "
                "Every request that uses it fails from the moment you confirm. This cannot be undone."
            </p>
            <ActionForm action>
                <input type="hidden" name="key_id" value=key.id.clone() />
                <p class="form-error" role="alert">{error}</p>
                <div class="dialog-actions">
                    <a class="button" href=cancel autofocus>"Cancel"</a>
                    <button class="button danger" type="submit" disabled=move || action.pending().get()>"Revoke key"</button>
                </div>
            </ActionForm>
        </Dialog>
    }
}

#[component]
pub fn RotateDialog(
    key: KeyRow,
    now: i64,
    close_href: String,
    action: ServerAction<RotateApiKey>,
) -> impl IntoView {
    let error = FormErrors::of(action, &[]).form();
    let cancel = close_href.clone();
    let cap = key.expires_at.map(|e| {
        format!(
            "The old key expires {} UTC anyway: it never works past that.",
            format_utc(e)
        )
    });
    view! {
        <Dialog title="Rotate API key" close_href>
            <p>
                "Create a replacement for "{key_named(&key)}" "
                "with the same name, type and permissions. You will see the new key once."
            </p>
            <ActionForm action>
                <input type="hidden" name="key_id" value=key.id.clone() />
                <fieldset class="radio-group" role="radiogroup" aria-labelledby="grace-legend" aria-describedby="grace-help">
                    <legend id="grace-legend">"Old key keeps working for"</legend>
                    {GracePeriod::ALL.into_iter().map(|g| {
                        let ends = g.old_key_ends_at(now, key.expires_at);
                        let title = format!("until {} UTC", format_utc(ends));
                        view! {
                            <label title=title>
                                <input type="radio" name="grace" value=g.as_str() checked=g == GracePeriod::OneDay autofocus=g == GracePeriod::OneDay />
                                " "{g.label()}
                            </label>
                        }
                    }).collect_view()}
                    <p id="grace-help" class="muted small">
                        "Time to deploy the new key before the old one stops. "{cap}
                    </p>
                </fieldset>
                <p class="form-error" role="alert">{error}</p>
                <div class="dialog-actions">
                    <a class="button" href=cancel>"Cancel"</a>
                    <Submit pending=action.pending() label="Rotate key" />
                </div>
            </ActionForm>
        </Dialog>
    }
}
