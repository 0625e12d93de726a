//! Organisation settings (`/orgs/{org_id}/settings`, admins): the key policy.

use super::org::OrgSubnav;
use crate::api::types::OrgSettingsData;
use crate::api::{SaveOrgSettings, get_org_settings};
use crate::components::form_errors::FormErrors;
use gtx_core::domain::policy::{LIFETIME_CHOICES, UNUSED_CHOICES, choice_label, choice_value};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

/// `/orgs/{org_id}/settings`
#[component]
pub fn OrgSettingsPage() -> impl IntoView {
    let params = use_params_map();
    let save = ServerAction::<SaveOrgSettings>::new();
    let data = Resource::new(
        move || {
            (
                params.read().get("org_id").unwrap_or_default(),
                save.version().get(),
            )
        },
        |(org_id, _)| get_org_settings(org_id),
    );
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || {
                data.get().map(|r| match r {
                    Ok(data) => view! { <Settings data save /> }.into_any(),
                    Err(e) => super::load_failed(e),
                })
            }}
        </Transition>
    }
}

/// One radio group of day choices.
fn choices(
    name: &'static str,
    legend: &'static str,
    options: &'static [Option<u32>],
    none: &'static str,
    current: Option<u32>,
    help: &'static str,
) -> impl IntoView {
    let legend_id = format!("{name}-legend");
    let help_id = format!("{name}-help");
    let (labelled_by, described_by) = (legend_id.clone(), help_id.clone());
    view! {
        <fieldset class="radio-group" role="radiogroup" aria-labelledby=labelled_by aria-describedby=described_by>
            <legend id=legend_id>{legend}</legend>
            {options.iter().map(|&days| view! {
                <label>
                    <input type="radio" name=name value=choice_value(days) checked=days == current />
                    " "{choice_label(days, none)}
                </label>
            }).collect_view()}
            <p id=help_id class="muted small">{help}</p>
        </fieldset>
    }
}

#[component]
fn Settings(data: OrgSettingsData, save: ServerAction<SaveOrgSettings>) -> impl IntoView {
    let query = use_query_map();
    let saved = move || {
        matches!(save.value().get(), Some(Ok(())))
            || (query.read().get("saved").is_some() && save.value().get().is_none())
    };
    let errors = FormErrors::of(save, &["max_key_lifetime", "disable_unused_after"]);
    let form_error = errors.form();
    let lifetime_error = errors.field("max_key_lifetime");
    let unused_error = errors.field("disable_unused_after");
    let org = data.org;
    let policy = data.policy;
    view! {
        <Title text=format!("Organisation settings · {} · GT Keys", org.name) />
        <h1>"Organisation settings"</h1>
        <OrgSubnav org_id=org.id.clone() is_admin=org.is_admin current="settings" />
        <section aria-labelledby="policy-heading">
            <h2 id="policy-heading">"API key policy"</h2>
            {move || saved().then(|| view! { <p class="notice" role="status">"Saved."</p> })}
            <ActionForm action=save>
                <input type="hidden" name="org_id" value=org.id.clone() />
                {choices(
                    "max_key_lifetime",
                    "Maximum key lifetime",
                    &LIFETIME_CHOICES,
                    "None",
                    policy.max_key_lifetime_days,
                    "New keys must expire within this time (“Never” is not offered), and a rotation’s replacement expires within it too. Existing keys keep their expiry.",
                )}
                <p class="field-error">{lifetime_error}</p>
                {choices(
                    "disable_unused_after",
                    "Disable unused keys after",
                    &UNUSED_CHOICES,
                    "Off",
                    policy.disable_unused_after_days,
                    "A key not used for this long (since its creation, if never used) is disabled automatically, within 10 minutes; an admin can enable it again.",
                )}
                <p class="field-error">{unused_error}</p>
                <p class="form-error" role="alert">{form_error}</p>
                <button class="button primary" type="submit" disabled=move || save.pending().get()>"Save settings"</button>
            </ActionForm>
        </section>
    }
}
