//! The forms of a key's page that edit it in place: its IP allow-list and description.

use super::DetailActions;
use crate::api::types::KeyDetailData;
use crate::components::field::Submit;
use crate::components::form_errors::FormErrors;
use leptos::prelude::*;

/// The IP allow-list: a network per line.
#[component]
pub(super) fn AllowList(data: KeyDetailData, actions: DetailActions) -> impl IntoView {
    let errors = FormErrors::of(actions.allowlist, &["ip_allowlist"]);
    let field_error = errors.field("ip_allowlist");
    let form_error = errors.form();
    let current = data.ip_allowlist.join("\n");
    let saved = if data.ip_allowlist.is_empty() {
        "Any address may use this key.".to_owned()
    } else {
        format!("Only {} may use this key.", data.ip_allowlist.join(", "))
    };
    view! {
        <section aria-labelledby="allowlist-heading">
            <h2 id="allowlist-heading">"IP allow-list"</h2>
            <p data-testid="allowlist-state">{saved}</p>
            <ActionForm action=actions.allowlist>
                <input type="hidden" name="key_id" value=data.key.id.clone() />
                <input type="hidden" name="back" value="detail" />
                <div class="field">
                    <label for="ip-allowlist">"IP allow-list"</label>
                    <textarea id="ip-allowlist" name="ip_allowlist" rows="4" aria-describedby="ip-allowlist-help ip-allowlist-error"
                        aria-invalid=move || field_error.get().is_some().then_some("true")
                        placeholder="203.0.113.0/24\n2001:db8::/32">{current}</textarea>
                    <p id="ip-allowlist-help" class="muted small">"Addresses or networks (IPv4 or IPv6), one per line, at most 50. Empty: any address. Platform API calls are checked against the caller's address; a verify must send client_ip, or the key is refused."</p>
                    <p id="ip-allowlist-error" class="field-error">{field_error}</p>
                </div>
                <p class="form-error" role="alert">{form_error}</p>
                <Submit pending=actions.allowlist.pending() label="Save allow-list" />
            </ActionForm>
        </section>
    }
}

/// What the key is for.
#[component]
pub(super) fn Description(data: KeyDetailData, actions: DetailActions) -> impl IntoView {
    let errors = FormErrors::of(actions.describe, &["description"]);
    let field_error = errors.field("description");
    let form_error = errors.form();
    view! {
        <section aria-labelledby="description-heading">
            <h2 id="description-heading">"Description"</h2>
            <ActionForm action=actions.describe>
                <input type="hidden" name="key_id" value=data.key.id.clone() />
                <input type="hidden" name="back" value="detail" />
                <div class="field">
                    <label for="key-description">"Description"</label>
                    <textarea id="key-description" name="description" rows="3" maxlength="500" aria-describedby="key-description-error"
                        aria-invalid=move || field_error.get().is_some().then_some("true")
                        placeholder="What uses this key, and who to ask about it">{data.description}</textarea>
                    <p id="key-description-error" class="field-error">{field_error}</p>
                </div>
                <p class="form-error" role="alert">{form_error}</p>
                <Submit pending=actions.describe.pending() label="Save description" />
            </ActionForm>
        </section>
    }
}
