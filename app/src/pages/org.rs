use crate::api::get_org;
use crate::api::projects::CreateProject;
use crate::api::types::OrgSummary;
use crate::components::dialog::Dialog;
use crate::components::field::{Field, Submit};
use crate::components::form_errors::FormErrors;
use crate::components::table_head::TableHead;
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

/// An organisation's home: the projects the user may see; admins create projects here.
#[component]
pub fn OrgPage() -> impl IntoView {
    let params = use_params_map();
    let org_id = move || params.read().get("org_id").unwrap_or_default();
    let org = Resource::new(org_id, get_org);
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || {
                org.get()
                    .map(|result| match result {
                        Ok(org) => view! { <OrgDetail org /> }.into_any(),
                        Err(e) => super::load_failed(e),
                    })
            }}
        </Suspense>
    }
}

/// Links to an organisation's admin pages; `current` (`""`, `api-keys`, `members`,
/// `audit-log`) marks the page being shown.
#[component]
pub fn OrgSubnav(org_id: String, is_admin: bool, current: &'static str) -> impl IntoView {
    is_admin.then(|| {
        let tab = |slug: &'static str, label: &'static str| {
            let href = crate::paths::org_section(&org_id, slug);
            view! {
                <li>
                    <a class="button" href=href aria-current=(current == slug).then_some("page")>{label}</a>
                </li>
            }
        };
        view! {
            <nav aria-label="Organisation">
                <ul class="subnav">
                    {tab("", "Projects")}
                    {tab("api-keys", "API keys")}
                    {tab("members", "Members")}
                    {tab("webhooks", "Webhooks")}
                    {tab("audit-log", "Audit log")}
                    {tab("settings", "Settings")}
                </ul>
            </nav>
        }
    })
}

#[component]
fn OrgDetail(org: OrgSummary) -> impl IntoView {
    let title = format!("{} · GT Keys", org.name);
    let query = use_query_map();
    let show_new = move || query.read().get("new").as_deref() == Some("project");
    let org_id = org.id.clone();
    let empty = org.projects.is_empty();
    let is_admin = org.is_admin;
    let new_href = format!("{}?new=project", crate::paths::org(&org.id));
    view! {
        <Title text=title />
        <div class="page-head">
            <h1>{org.name.clone()}</h1>
            {is_admin.then(|| view! { <a class="button primary" role="button" href=new_href.clone()>"New project"</a> })}
        </div>
        <OrgSubnav org_id=org.id.clone() is_admin current="" />
        <section aria-labelledby="projects-heading">
            <h2 id="projects-heading">"Projects"</h2>
            <Show
                when=move || !empty
                fallback=move || {
                    view! {
                        <div class="empty-state">
                            {if is_admin {
                                "No projects yet. A project holds its own production and development API keys: create the first one with “New project”."
                            } else {
                                "You are not a member of any project yet. Ask an admin to add you to one."
                            }}
                        </div>
                    }
                }
            >
                <table class="table">
                    <TableHead columns=&["Project", "Project ID", "Default locale"] />
                    <tbody>
                        {org
                            .projects
                            .clone()
                            .into_iter()
                            .map(|p| {
                                let href = crate::paths::keys(&org.id, Some(&p.id));
                                let settings = crate::paths::project_settings(&org.id, &p.id);
                                let settings_label = format!("Settings of {}", p.name);
                                view! {
                                    <tr>
                                        <td>
                                            <a href=href>{p.name}</a>
                                            " · "
                                            <a class="muted" href=settings aria-label=settings_label>"Settings"</a>
                                        </td>
                                        <td><code>{p.id}</code></td>
                                        <td>{p.default_locale}</td>
                                    </tr>
                                }
                            })
                            .collect_view()}
                    </tbody>
                </table>
            </Show>
        </section>
        <Show when=move || is_admin && show_new()>
            <NewProjectDialog org_id=org_id.clone() />
        </Show>
    }
}

#[component]
fn NewProjectDialog(org_id: String) -> impl IntoView {
    let action = ServerAction::<CreateProject>::new();
    let errors = FormErrors::of(action, &["name", "default_locale"]);
    let name_error = errors.field("name");
    let locale_error = errors.field("default_locale");
    let other_error = errors.form();
    view! {
        <Dialog title="New project" close_href=crate::paths::org(&org_id)>
            <ActionForm action>
                <input type="hidden" name="org_id" value=org_id.clone() />
                <Field id="project-name" label="Project name" error=name_error>
                    <input id="project-name" name="name" type="text" required maxlength="100" autofocus />
                </Field>
                <Field id="project-locale" label="Default locale" hint="A locale code such as en, en-US or zh-Hant." error=locale_error>
                    <input id="project-locale" name="default_locale" type="text" value="en" />
                </Field>
                <p class="form-error" role="alert">{other_error}</p>
                <div class="dialog-actions">
                    <a class="button" href=crate::paths::org(&org_id)>"Cancel"</a>
                    <Submit pending=action.pending() label="Create project" />
                </div>
            </ActionForm>
        </Dialog>
    }
}
