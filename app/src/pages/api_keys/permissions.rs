//! The permission selector: one radio group per resource ("No access" / "Read" / "Write",
//! or "No access" / "Enabled"), named as the resource, used to create an organisation key
//! and to edit one.

use gtx_core::domain::{Level, PermissionSet, Resource};
use leptos::prelude::*;

/// The radio groups, with `set`'s levels checked.
pub fn permission_groups(set: PermissionSet) -> impl IntoView {
    Resource::ALL
        .into_iter()
        .map(|resource| {
            let name = resource.form_name();
            let legend_id = format!("perm-{name}");
            let labelled_by = legend_id.clone();
            let current = set.level(resource);
            let write_note = resource.levels().contains(&Level::Write).then(|| {
                let note = if resource == Resource::ApiKeys {
                    "Manage keys through the REST API; Write includes Read"
                } else {
                    "Write includes Read"
                };
                view! { <span class="muted small">{note}</span> }
            });
            view! {
                <div class="radio-group permission" role="radiogroup" aria-labelledby=labelled_by>
                    <span class="legend" id=legend_id>{resource.label()}</span>
                    <span class="options">
                        {resource.levels().iter().map(|level| {
                            view! {
                                <label>
                                    <input type="radio" name=name value=level.form_value() checked=*level == current />
                                    " "{level.label()}
                                </label>
                            }
                        }).collect_view()}
                    </span>
                    {write_note}
                </div>
            }
        })
        .collect_view()
}
