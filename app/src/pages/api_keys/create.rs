//! The "Create API key" dialog: name, type (project keys) or the permission selector
//! (organisation keys), and expiry.

use crate::api::keys::CreateApiKey;
use crate::api::types::ProjectSummary;
use crate::components::dialog::Dialog;
use crate::components::field::Submit;
use crate::components::form_errors::FormErrors;
use gtx_core::domain::PermissionSet;
use gtx_core::domain::lifetime::EXPIRY_CHOICES;
use gtx_core::domain::policy::OrgPolicy;
use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

#[component]
pub fn CreateKeyDialog(
    org_id: String,
    project: Option<ProjectSummary>,
    close_href: String,
    action: ServerAction<CreateApiKey>,
    /// The organisation's key policy: only the expiries it allows are offered.
    policy: OrgPolicy,
) -> impl IntoView {
    let query = use_query_map();
    let errors = FormErrors::of(
        action,
        &["name", "key_type", "expires", "expires_on", "permissions"],
    );
    let field_error = move |field: &'static str| errors.field(field);
    let form_error = errors.form();
    let is_project = project.is_some();
    let preset_base = close_href.clone();
    let selector = move || {
        let preset = query.read().get("preset");
        let set = match preset.as_deref() {
            Some("read_only") => PermissionSet::read_only(),
            Some("full") => PermissionSet::full(),
            _ => PermissionSet::empty(),
        };
        let sep = if preset_base.contains('?') { '&' } else { '?' };
        let preset_href = |p: &str| format!("{preset_base}{sep}create=1&preset={p}");
        view! {
            <fieldset class="permissions" aria-describedby="permissions-help permissions-error">
                <legend>"Permissions"</legend>
                <p id="permissions-help" class="muted">
                    "Choose what the key may do on every project of the organisation. Write includes Read."
                </p>
                <p class="inline-form">
                    <span class="muted">"Presets:"</span>
                    <a class="button small" href=preset_href("read_only")>"Read only"</a>
                    <a class="button small" href=preset_href("full")>"Full access"</a>
                </p>
                {super::permissions::permission_groups(set)}
                <p id="permissions-error" class="field-error">{field_error("permissions")}</p>
            </fieldset>
        }
    };
    let project_id = project.as_ref().map(|p| p.id.clone());
    let cancel = close_href.clone();
    // Only the expiries the policy allows; the longest of them first selected ("Never"
    // when there is no limit).
    let offered: Vec<(&'static str, &'static str)> = EXPIRY_CHOICES
        .into_iter()
        .filter(|(value, _)| policy.offers(value))
        .collect();
    let default_expiry = offered
        .iter()
        .rev()
        .map(|(value, _)| *value)
        .find(|v| *v != "date")
        .filter(|_| policy.max_key_lifetime_days.is_some())
        .unwrap_or("never");
    view! {
        <Dialog title="Create API key" close_href>
            <ActionForm action>
                <input type="hidden" name="org_id" value=org_id />
                {project_id.map(|id| view! { <input type="hidden" name="project_id" value=id /> })}
                <div class="field">
                    <label for="key-name">"Name"</label>
                    <input id="key-name" name="name" type="text" required maxlength="100" autofocus
                        placeholder=if is_project { "e.g. Production deploy" } else { "e.g. CI across projects" }
                        aria-describedby="key-name-help key-name-error"
                        aria-invalid=move || field_error("name").get().is_some().then_some("true") />
                    <p id="key-name-help" class="muted small">"Unique among this scope's active keys; say where the key is used."</p>
                    <p id="key-name-error" class="field-error">{field_error("name")}</p>
                </div>
                {is_project.then(|| view! {
                    <fieldset class="radio-group" role="radiogroup" aria-labelledby="key-type-legend">
                        <legend id="key-type-legend">"Key type"</legend>
                        <label><input type="radio" name="key_type" value="production" checked />" Production"</label>
                        <label><input type="radio" name="key_type" value="development" />" Development"</label>
                        <p class="muted small">"Production keys for deployed apps; development keys for local work, previews and tests."</p>
                        <p class="field-error">{field_error("key_type")}</p>
                    </fieldset>
                })}
                {(!is_project).then_some(selector)}
                <div class="field">
                    <label for="key-expires">"Expires"</label>
                    <select id="key-expires" name="expires" aria-describedby="key-expires-policy">
                        {offered.iter().map(|&(value, label)| view! {
                            <option value=value selected=value == default_expiry>{label}</option>
                        }).collect_view()}
                    </select>
                    {policy.max_key_lifetime_days.map(|days| view! {
                        <p id="key-expires-policy" class="muted small">{format!("Your organisation's policy: keys expire within {days} days.")}</p>
                    })}
                    <p class="field-error">{field_error("expires")}</p>
                </div>
                <div class="field">
                    <label for="key-expires-on">"Expiry date"</label>
                    <input id="key-expires-on" name="expires_on" type="date" aria-describedby="key-expires-on-help" />
                    <p id="key-expires-on-help" class="muted small">"Used when Expires is “On a date”: the key works until the end of that day (UTC)."</p>
                    <p class="field-error">{field_error("expires_on")}</p>
                </div>
                <p class="form-error" role="alert">{form_error}</p>
                <div class="dialog-actions">
                    <a class="button" href=cancel>"Cancel"</a>
                    <Submit pending=action.pending() label="Create key" />
                </div>
            </ActionForm>
        </Dialog>
    }
}
