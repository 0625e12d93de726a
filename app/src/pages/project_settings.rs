use super::api_keys::ProjectNav;
use crate::api::projects::{AddProjectMember, RemoveProjectMember, UpdateProject, get_project};
use crate::api::types::ProjectDetail;
use crate::components::copy_button::CopyButton;
use crate::components::field::Field;
use crate::components::form_errors::FormErrors;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

/// Project settings: name and default locale (admins and project members), and the
/// project's members (admins).
#[component]
pub fn ProjectSettingsPage() -> impl IntoView {
    let params = use_params_map();
    let ids = move || {
        let p = params.read();
        (
            p.get("org_id").unwrap_or_default(),
            p.get("project_id").unwrap_or_default(),
        )
    };
    // Actions at the page's top level so the project reloads after each change.
    let actions = SettingsActions {
        update: ServerAction::<UpdateProject>::new(),
        add: ServerAction::<AddProjectMember>::new(),
        remove: ServerAction::<RemoveProjectMember>::new(),
    };
    let project = Resource::new(
        move || {
            (
                ids(),
                actions.update.version().get(),
                actions.add.version().get(),
                actions.remove.version().get(),
            )
        },
        |((org_id, project_id), ..)| get_project(org_id, project_id),
    );
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || {
                project.get().map(|r| match r {
                    Ok(detail) => view! { <Settings detail actions /> }.into_any(),
                    Err(e) => super::load_failed(e),
                })
            }}
        </Suspense>
    }
}

/// The page's server actions.
#[derive(Clone, Copy)]
struct SettingsActions {
    update: ServerAction<UpdateProject>,
    add: ServerAction<AddProjectMember>,
    remove: ServerAction<RemoveProjectMember>,
}

#[component]
fn Settings(detail: ProjectDetail, actions: SettingsActions) -> impl IntoView {
    let update = actions.update;
    let query = use_query_map();
    let saved = move || query.read().get("saved").is_some() && update.value().get().is_none();
    let errors = FormErrors::of(update, &["name", "default_locale"]);
    let field_error = move |field: &'static str| errors.field(field);
    let form_error = errors.form();
    let p = detail.project.clone();
    let org_id = detail.org_id.clone();
    view! {
        <Title text=format!("Settings · {} · GT Keys", p.name) />
        <p><a href=crate::paths::org(&org_id)>"← Projects"</a></p>
        <h1>{format!("{} settings", p.name)}</h1>
        <ProjectNav org_id=org_id.clone() project_id=p.id.clone() current="settings" />
        <section aria-labelledby="project-id-heading">
            <h2 id="project-id-heading">"Project ID"</h2>
            <p class="muted">"Use it as GT_PROJECT_ID."</p>
            <p class="inline-form">
                <code class="secret" data-testid="project-id">{p.id.clone()}</code>
                <CopyButton text=p.id.clone() label="Copy project ID" />
            </p>
        </section>
        <section aria-labelledby="general-heading">
            <h2 id="general-heading">"General"</h2>
            {move || saved().then(|| view! { <p class="notice" role="status">"Saved."</p> })}
            <ActionForm action=update>
                <input type="hidden" name="org_id" value=org_id.clone() />
                <input type="hidden" name="project_id" value=p.id.clone() />
                <Field id="settings-name" label="Project name" error=field_error("name")>
                    <input id="settings-name" name="name" type="text" required maxlength="100" value=p.name.clone() />
                </Field>
                <Field id="settings-locale" label="Default locale" error=field_error("default_locale")>
                    <input id="settings-locale" name="default_locale" type="text" required value=p.default_locale.clone() />
                </Field>
                <p class="form-error" role="alert">{form_error}</p>
                <button class="button primary" type="submit">"Save settings"</button>
            </ActionForm>
        </section>
        {detail.is_admin.then(|| view! { <ProjectMembers detail=detail.clone() actions /> })}
    }
}

#[component]
fn ProjectMembers(detail: ProjectDetail, actions: SettingsActions) -> impl IntoView {
    let SettingsActions { add, remove, .. } = actions;
    let error = FormErrors::either(add, remove).form();
    let org_id = detail.org_id.clone();
    let project_id = detail.project.id.clone();
    let (add_org, add_project) = (org_id.clone(), project_id.clone());
    view! {
        <section aria-labelledby="members-heading">
            <h2 id="members-heading">"Members"</h2>
            {if detail.members.is_empty() {
                view! { <p class="muted">"No members yet. Admins can manage every project; add members who should manage this one."</p> }.into_any()
            } else {
                view! {
                    <ul>
                        {detail.members.clone().into_iter().map(|m| {
                            let label = format!("Remove {} from the project", m.email);
                            let (org_id, project_id) = (org_id.clone(), project_id.clone());
                            view! {
                                <li class="inline-form">
                                    <span>{format!("{} ({})", m.name, m.email)}</span>
                                    <ActionForm action=remove>
                                        <input type="hidden" name="org_id" value=org_id />
                                        <input type="hidden" name="project_id" value=project_id />
                                        <input type="hidden" name="user_id" value=m.user_id />
                                        <button class="button danger" type="submit" aria-label=label>"Remove"</button>
                                    </ActionForm>
                                </li>
                            }
                        }).collect_view()}
                    </ul>
                }.into_any()
            }}
            <ActionForm action=add>
                <input type="hidden" name="org_id" value=add_org />
                <input type="hidden" name="project_id" value=add_project />
                <Field id="add-member-email" label="Member email">
                    <input id="add-member-email" name="email" type="email" required />
                </Field>
                <button class="button" type="submit">"Add to project"</button>
            </ActionForm>
            <p class="form-error" role="alert">{error}</p>
        </section>
    }
}
