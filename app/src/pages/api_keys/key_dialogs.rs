//! Dialogs for one key: revoke (naming the key), rotate (with a grace period), disable
//! and enable, and editing an organisation key's permissions.

use crate::api::keys::{RevokeApiKey, RotateApiKey, SetApiKeyEnabled, SetApiKeyPermissions};
use crate::api::types::KeyRow;
use crate::components::dialog::Dialog;
use crate::components::field::Submit;
use crate::components::form_errors::FormErrors;
use gtx_core::domain::lifetime::GracePeriod;
use gtx_core::domain::time::format_utc;
use gtx_core::domain::{Permission, PermissionSet};
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

/// Disable (pause) or enable a key, naming it. `back` is `Some("detail")` on the key's page.
#[component]
pub fn EnableDialog(
    key: KeyRow,
    /// `true` to enable, `false` to disable.
    enable: bool,
    close_href: String,
    action: ServerAction<SetApiKeyEnabled>,
    #[prop(optional)] back: Option<&'static str>,
) -> impl IntoView {
    let error = FormErrors::of(action, &[]).form();
    let cancel = close_href.clone();
    let (title, text, label) = if enable {
        (
            "Enable API key",
            " works again from the moment you confirm.",
            "Enable key",
        )
    } else {
        (
            "Disable API key",
            " fails every check (DISABLED) from the moment you confirm, until you enable it again. Its permissions, expiry and allow-list stay as they are.",
            "Disable key",
        )
    };
    view! {
        <Dialog title close_href>
            <p>{key_named(&key)}{text}</p>
            <ActionForm action>
                <input type="hidden" name="key_id" value=key.id.clone() />
                <input type="hidden" name="enabled" value=if enable { "true" } else { "false" } />
                {back.map(|b| view! { <input type="hidden" name="back" value=b /> })}
                <p class="form-error" role="alert">{error}</p>
                <div class="dialog-actions">
                    <a class="button" href=cancel autofocus>"Cancel"</a>
                    <button class=if enable { "button primary" } else { "button danger" } type="submit" disabled=move || action.pending().get()>{label}</button>
                </div>
            </ActionForm>
        </Dialog>
    }
}

/// Edit an organisation key's permissions in place: the selector with its current levels.
#[component]
pub fn EditPermissionsDialog(
    key: KeyRow,
    close_href: String,
    action: ServerAction<SetApiKeyPermissions>,
) -> impl IntoView {
    let errors = FormErrors::of(action, &["permissions"]);
    let field_error = errors.field("permissions");
    let form_error = errors.form();
    let cancel = close_href.clone();
    let set: PermissionSet = key
        .permissions
        .iter()
        .filter_map(|p| p.parse::<Permission>().ok())
        .collect();
    view! {
        <Dialog title="Edit permissions" close_href>
            <p>
                "What "{key_named(&key)}" may do on every project of the organisation. "
                "The change applies to its very next request."
            </p>
            <ActionForm action>
                <input type="hidden" name="key_id" value=key.id.clone() />
                <input type="hidden" name="back" value="detail" />
                <fieldset class="permissions" aria-describedby="edit-permissions-error">
                    <legend>"Permissions"</legend>
                    {super::permissions::permission_groups(set)}
                    <p id="edit-permissions-error" class="field-error">{field_error}</p>
                </fieldset>
                <p class="form-error" role="alert">{form_error}</p>
                <div class="dialog-actions">
                    <a class="button" href=cancel>"Cancel"</a>
                    <Submit pending=action.pending() label="Save permissions" />
                </div>
            </ActionForm>
        </Dialog>
    }
}
