//! Project → API Keys and Organisation → API Keys: the list, create (with the permission
//! selector on the organisation's page), the one-time reveal, rotate and revoke.
//!
//! Dialogs open from the URL (`?create=1`, `?rotate=<id>`, `?revoke=<id>`), so every flow
//! works as plain links and form posts without JavaScript; with it, the same links
//! navigate in place and the forms post through server functions.

mod chart;
mod create;
mod detail;
mod filters;
mod key_dialogs;
mod permissions;
mod reveal;
mod rows;
mod table;

pub use detail::{OrgKeyPage, ProjectKeyPage};

use crate::AppError;
use crate::api::keys::{
    CreateApiKey, RevokeApiKey, RotateApiKey, SetApiKeyEnabled, keys_page, list_api_keys,
    take_key_reveal,
};
use crate::api::types::{KeyRow, KeysData, RevealedKey};
use crate::components::copy_button::CopyButton;
use create::CreateKeyDialog;
use filters::{Filters, FiltersForm, from_query};
use gtx_core::domain::KeyStatus;
use key_dialogs::{EnableDialog, RevokeDialog, RotateDialog};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::NavigateOptions;
use leptos_router::hooks::{use_navigate, use_params_map, use_query_map};
use reveal::RevealDialog;
use table::KeyTable;

/// `/orgs/{org_id}/projects/{project_id}/api-keys`
#[component]
pub fn ProjectKeysPage() -> impl IntoView {
    view! { <KeysPage project=true /> }
}

/// `/orgs/{org_id}/api-keys` (admins only; anyone else gets 404).
#[component]
pub fn OrgKeysPage() -> impl IntoView {
    view! { <KeysPage project=false /> }
}

/// The page's server actions, shared by its table and dialogs.
#[derive(Clone, Copy)]
pub(crate) struct KeyActions {
    pub create: ServerAction<CreateApiKey>,
    pub rotate: ServerAction<RotateApiKey>,
    pub revoke: ServerAction<RevokeApiKey>,
    pub enabled: ServerAction<SetApiKeyEnabled>,
}

impl KeyActions {
    /// The key a create or rotate just returned (JavaScript path), if any.
    fn revealed(&self) -> Option<RevealedKey> {
        let from =
            |v: Option<Result<Option<RevealedKey>, AppError>>| v.and_then(|r| r.ok().flatten());
        from(self.create.value().get()).or_else(|| from(self.rotate.value().get()))
    }

    /// Drops the revealed key from the page's state.
    fn forget_revealed(&self) {
        self.create.value().set(None);
        self.rotate.value().set(None);
    }
}

#[component]
fn KeysPage(project: bool) -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let ids = move || {
        let p = params.read();
        (
            p.get("org_id").unwrap_or_default(),
            if project { p.get("project_id") } else { None },
        )
    };
    // Actions and resources at the page's top level: the list reloads after each change,
    // and the server and the browser create them in the same order when hydrating.
    let actions = KeyActions {
        create: ServerAction::<CreateApiKey>::new(),
        rotate: ServerAction::<RotateApiKey>::new(),
        revoke: ServerAction::<RevokeApiKey>::new(),
        enabled: ServerAction::<SetApiKeyEnabled>::new(),
    };
    // The list's view (filters, search, order, page): opening a dialog leaves it, and the
    // list, alone.
    let filters = Memo::new(move |_| from_query(&query.read()));
    let data = Resource::new(
        move || {
            (
                ids(),
                filters.get(),
                actions.create.version().get(),
                actions.rotate.version().get(),
                actions.revoke.version().get(),
                actions.enabled.version().get(),
            )
        },
        |((org_id, project_id), view, ..)| list_api_keys(org_id, project_id, view),
    );
    // A key made by a plain form post (no JavaScript), taken once from the reveal store.
    let stashed = Resource::new(
        move || query.read().get("reveal"),
        |reveal| async move {
            match reveal {
                Some(id) => take_key_reveal(id).await.ok().flatten(),
                None => None,
            }
        },
    );
    let base = move || {
        let (org_id, project_id) = ids();
        keys_page(&org_id, project_id.as_deref())
    };
    // With JavaScript, a finished create, rotate or revoke closes its dialog (the URL
    // drops `create`/`rotate`/`revoke`, keeping the filters); a plain form post gets a
    // redirect from the server instead.
    let navigate = use_navigate();
    Effect::new(move |_| {
        let revoked = matches!(actions.revoke.value().get(), Some(Ok(())));
        let toggled = matches!(actions.enabled.value().get(), Some(Ok(())));
        let done = revoked || toggled || actions.revealed().is_some();
        let (open, filters) = {
            let q = query.read();
            (
                ["create", "rotate", "revoke", "disable", "enable"]
                    .iter()
                    .any(|k| q.get(k).is_some()),
                from_query(&q).query(),
            )
        };
        if done && open {
            navigate(
                &format!("{}{filters}", base()),
                NavigateOptions {
                    replace: true,
                    ..Default::default()
                },
            );
        }
        if revoked {
            actions.revoke.value().set(None);
        }
        if toggled {
            actions.enabled.value().set(None);
        }
    });
    view! {
        <Transition fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || {
                data.get()
                    .map(|result| match result {
                        Ok(data) => view! { <Keys data filters actions /> }.into_any(),
                        Err(e) => crate::pages::load_failed(e),
                    })
            }}
        </Transition>
        // Outside the list's Transition, so a reload of the list leaves the dialog alone.
        <Suspense>
            {move || {
                let key = actions.revealed().or_else(|| stashed.get().flatten());
                key.map(|key| view! { <RevealDialog key close_href=base() actions /> })
            }}
        </Suspense>
    }
}

#[component]
fn Keys(data: KeysData, filters: Memo<Filters>, actions: KeyActions) -> impl IntoView {
    let query = use_query_map();
    let org_id = data.org.id.clone();
    let project = data.project.clone();
    let base = keys_page(&org_id, project.as_ref().map(|p| p.id.as_str()));
    let create_href = {
        let base = base.clone();
        move || format!("{base}{}", filters.get().with("create", "1"))
    };
    let title = match &project {
        Some(p) => format!("API keys · {} · GT Keys", p.name),
        None => format!("Organisation API keys · {} · GT Keys", data.org.name),
    };
    let show_create = move || query.read().get("create").is_some() && actions.revealed().is_none();
    let rotate_id = move || query.read().get("rotate");
    let revoke_id = move || query.read().get("revoke");
    let disable_id = move || query.read().get("disable");
    let enable_id = move || query.read().get("enable");
    let keys = StoredValue::new(data.keys.clone());
    let now = data.now;
    // A dialog shows only for a key its action applies to (once done, the dialog goes):
    // rotate and disable a working key (rotate: not yet replaced), enable a disabled one,
    // revoke either.
    let find = move |id: Option<String>, applies: fn(KeyStatus, &KeyRow) -> bool| {
        id.and_then(|id| {
            keys.with_value(|k| {
                k.iter()
                    .find(|k| {
                        k.id == id
                            && applies(
                                KeyStatus::at(now, k.expires_at, k.revoked_at, k.disabled_at),
                                k,
                            )
                    })
                    .cloned()
            })
        })
    };
    let rotatable = |s: KeyStatus, k: &KeyRow| s.is_usable() && !k.replaced;
    let working = |s: KeyStatus, _: &KeyRow| s.is_usable();
    let disabled = |s: KeyStatus, _: &KeyRow| s == KeyStatus::Disabled;
    let revocable = |s: KeyStatus, _: &KeyRow| s.is_usable() || s == KeyStatus::Disabled;
    let is_project = project.is_some();
    let scope_nav = match &project {
        Some(p) => view! { <ProjectNav org_id=org_id.clone() project_id=p.id.clone() current="api-keys" /> }.into_any(),
        None => view! { <super::org::OrgSubnav org_id=org_id.clone() is_admin=data.org.is_admin current="api-keys" /> }.into_any(),
    };
    let base_value = StoredValue::new(base.clone());
    let close = move || format!("{}{}", base_value.get_value(), filters.get().query());
    view! {
        <Title text=title />
        {match &project {
            Some(p) => view! {
                <p><a href=crate::paths::org(&org_id)>{format!("← {}", data.org.name)}</a></p>
                <div class="page-head">
                    <h1>{format!("{} · API keys", p.name)}</h1>
                    <a class="button primary" role="button" id="create-key" href=create_href.clone()>"Create API key"</a>
                </div>
            }.into_any(),
            None => view! {
                <div class="page-head">
                    <h1>"Organisation API keys"</h1>
                    <a class="button primary" role="button" id="create-key" href=create_href.clone()>"Create API key"</a>
                </div>
            }.into_any(),
        }}
        {scope_nav}
        {project.clone().map(|p| view! {
            <section class="project-id" aria-labelledby="project-id-heading">
                <h2 id="project-id-heading" class="small-heading">"Project ID"</h2>
                <p class="inline-form">
                    <code class="secret" data-testid="project-id">{p.id.clone()}</code>
                    <CopyButton text=p.id.clone() label="Copy project ID" />
                    <span class="muted">"Send it as GT_PROJECT_ID (the gt-project-id header) with a project key."</span>
                </p>
            </section>
        })}
        {(!is_project).then(|| view! {
            <p class="muted">
                "Organisation keys (gtx-org-) work on every project of the organisation, with exactly the permissions chosen here. Use them for automation across projects, such as CI."
            </p>
        })}
        <FiltersForm base=base.clone() project=is_project filters />
        <KeyTable rows=data.keys counts=data.counts base=base.clone() filters now project=is_project />
        <Show when=show_create>
            <CreateKeyDialog org_id=org_id.clone() project=project.clone() close_href=close() action=actions.create policy=data.policy />
        </Show>
        {move || find(rotate_id(), rotatable).map(|key| view! { <RotateDialog key now close_href=close() action=actions.rotate /> })}
        {move || find(revoke_id(), revocable).map(|key| view! { <RevokeDialog key close_href=close() action=actions.revoke /> })}
        {move || find(disable_id(), working).map(|key| view! { <EnableDialog key enable=false close_href=close() action=actions.enabled /> })}
        {move || find(enable_id(), disabled).map(|key| view! { <EnableDialog key enable=true close_href=close() action=actions.enabled /> })}
    }
}

/// Tabs of a project: its API keys and its settings.
#[component]
pub fn ProjectNav(org_id: String, project_id: String, current: &'static str) -> impl IntoView {
    let base = crate::paths::project(&org_id, &project_id);
    let tab = |slug: &'static str, label: &'static str| {
        let href = format!("{base}/{slug}");
        view! {
            <li>
                <a class="button" href=href aria-current=(current == slug).then_some("page")>{label}</a>
            </li>
        }
    };
    view! {
        <nav aria-label="Project">
            <ul class="subnav">{tab("api-keys", "API keys")}{tab("settings", "Settings")}</ul>
        </nav>
    }
}
