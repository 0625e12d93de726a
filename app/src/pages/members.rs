use super::org::OrgSubnav;
use crate::api::members::{
    InviteMember, RemoveMember, SetMemberRole, WithdrawInvite, list_members, take_invite_reveal,
};
use crate::api::types::{InviteRow, MemberRow, MembersData};
use crate::components::dialog::Dialog;
use crate::components::field::{Field, Submit};
use crate::components::form_errors::FormErrors;
use crate::components::pager::Pager;
use crate::components::table_head::TableHead;
use gtx_core::domain::Role;
use gtx_core::domain::key_list::{PageRequest, list_query, search_from_lookup};
use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::{use_params_map, use_query_map};

/// Members (admins): invite by email (the link is shown once), change roles, remove.
#[component]
pub fn MembersPage() -> impl IntoView {
    let params = use_params_map();
    let query = use_query_map();
    let org_id = move || params.read().get("org_id").unwrap_or_default();
    // The search and page (`?q=…&page=…`): the list is paged in the database.
    let view = move || {
        let q = query.read();
        (
            search_from_lookup(|k| q.get(k)),
            PageRequest::from_lookup(|k| q.get(k)),
        )
    };
    // Actions and resources live at the page's top level: the list reloads after any
    // change (keyed on the actions' versions), and the server and the browser create the
    // resources in the same order when hydrating.
    let actions = MemberActions {
        set_role: ServerAction::<SetMemberRole>::new(),
        remove: ServerAction::<RemoveMember>::new(),
        invite: ServerAction::<InviteMember>::new(),
        withdraw: ServerAction::<WithdrawInvite>::new(),
    };
    let data = Resource::new(
        move || {
            (
                org_id(),
                actions.set_role.version().get(),
                actions.remove.version().get(),
                actions.invite.version().get(),
                actions.withdraw.version().get(),
                view(),
            )
        },
        |(org_id, _, _, _, _, (q, at))| list_members(org_id, q, at),
    );
    // The invite link made by the previous request, taken once (see `take_invite_reveal`).
    let reveal = Resource::new(
        move || query.read().get("reveal"),
        |reveal| async move {
            match reveal {
                Some(id) => take_invite_reveal(id).await.ok().flatten(),
                None => None,
            }
        },
    );
    view! {
        <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || {
                data.get()
                    .map(|result| match result {
                        Ok(data) => view! { <Members data actions reveal /> }.into_any(),
                        Err(e) => super::load_failed(e),
                    })
            }}
        </Suspense>
    }
}

/// The page's server actions, shared by its rows and dialogs.
#[derive(Clone, Copy)]
struct MemberActions {
    set_role: ServerAction<SetMemberRole>,
    remove: ServerAction<RemoveMember>,
    invite: ServerAction<InviteMember>,
    withdraw: ServerAction<WithdrawInvite>,
}

/// The organisation's open invites, each with its Withdraw button; nothing when none.
#[component]
fn OpenInvites(
    org_id: String,
    invites: Vec<InviteRow>,
    withdraw: ServerAction<WithdrawInvite>,
) -> impl IntoView {
    (!invites.is_empty()).then(|| {
        view! {
            <h2>"Open invites"</h2>
            <ul class="plain-list">
                {invites.into_iter().map(|i| {
                    let label = format!("Withdraw invite for {}", i.email);
                    let role = i.role.parse::<Role>().map_or("Member", Role::label);
                    let org_id = org_id.clone();
                    view! {
                        <li class="inline-form">
                            <span>{format!("{} · {role}", i.email)}</span>
                            <ActionForm action=withdraw>
                                <input type="hidden" name="org_id" value=org_id />
                                <input type="hidden" name="invite_id" value=i.id />
                                <button class="button danger" type="submit" aria-label=label>"Withdraw"</button>
                            </ActionForm>
                        </li>
                    }
                }).collect_view()}
            </ul>
        }
    })
}

#[component]
fn Members(
    data: MembersData,
    actions: MemberActions,
    reveal: Resource<Option<String>>,
) -> impl IntoView {
    let org_id = data.org.id.clone();
    let query = use_query_map();
    let show_invite = move || query.read().get("invite").as_deref() == Some("1");
    let base = crate::paths::members(&org_id);
    let invite_href = format!("{base}?invite=1");
    let projects = data.org.projects.clone();
    let org_for_rows = org_id.clone();
    let search = search_from_lookup(|k| query.read_untracked().get(k));
    let (page, matching, per_page) = (data.page, data.matching, data.per_page);
    let href = {
        let (base, search) = (base.clone(), search.clone());
        move |page: u32| {
            let at = PageRequest { page, per_page };
            format!("{base}{}", list_query(Vec::new(), search.as_deref(), at))
        }
    };
    let no_match = (data.members.is_empty() && search.is_some()).then(
        || view! { <p class="empty-state" role="status">"No members match this search."</p> },
    );
    view! {
        <Title text=format!("Members · {} · GT Keys", data.org.name) />
        <div class="page-head">
            <h1>"Members"</h1>
            <a class="button primary" role="button" href=invite_href>"Invite member"</a>
        </div>
        <OrgSubnav org_id=org_id.clone() is_admin=true current="members" />
        <form method="get" action=base.clone() class="inline-form" aria-label="Search members">
            <label for="members-q">"Search"</label>
            <input id="members-q" type="search" name="q" maxlength="100" placeholder="Name or email" value=search.clone() />
            <button class="button" type="submit">"Search"</button>
        </form>
        {no_match}
        <table class="table">
            <TableHead columns=&["Name", "Email", "Role", "Projects"] actions=true />
            <tbody>
                {data
                    .members
                    .into_iter()
                    .map(|m| {
                        let names: Vec<String> = projects
                            .iter()
                            .filter(|p| m.project_ids.contains(&p.id))
                            .map(|p| p.name.clone())
                            .collect();
                        view! { <MemberRowView org_id=org_for_rows.clone() member=m projects=names.join(", ") actions /> }
                    })
                    .collect_view()}
            </tbody>
        </table>
        <Pager page matching per_page href />
        <OpenInvites org_id=org_id.clone() invites=data.invites withdraw=actions.withdraw />
        <Show when=show_invite>
            <InviteDialog org_id=org_id.clone() action=actions.invite />
        </Show>
        {move || reveal.get().flatten().map(|link| view! { <InviteReveal link close_href=base.clone() /> })}
    }
}

#[component]
fn MemberRowView(
    org_id: String,
    member: MemberRow,
    projects: String,
    actions: MemberActions,
) -> impl IntoView {
    let MemberActions {
        set_role, remove, ..
    } = actions;
    let error = FormErrors::either(set_role, remove).form();
    let is_admin = member.role == "admin";
    let other_role = if is_admin { "member" } else { "admin" };
    let role_label = if is_admin { "Admin" } else { "Member" };
    let change_label = format!(
        "Make {} {}",
        member.email,
        if is_admin { "a member" } else { "an admin" }
    );
    let remove_label = format!("Remove {}", member.email);
    let (org_a, org_b) = (org_id.clone(), org_id);
    let (user_a, user_b) = (member.user_id.clone(), member.user_id.clone());
    view! {
        <tr>
            <td>{member.name.clone()}</td>
            <td>{member.email.clone()}</td>
            <td>{role_label}</td>
            <td>{if projects.is_empty() { "—".to_owned() } else { projects }}</td>
            <td>
                <div class="inline-form">
                    <ActionForm action=set_role>
                        <input type="hidden" name="org_id" value=org_a />
                        <input type="hidden" name="user_id" value=user_a />
                        <input type="hidden" name="role" value=other_role />
                        <button class="button" type="submit" aria-label=change_label>
                            {if is_admin { "Make member" } else { "Make admin" }}
                        </button>
                    </ActionForm>
                    <ActionForm action=remove>
                        <input type="hidden" name="org_id" value=org_b />
                        <input type="hidden" name="user_id" value=user_b />
                        <button class="button danger" type="submit" aria-label=remove_label>"Remove"</button>
                    </ActionForm>
                </div>
                <p class="form-error" role="alert">{error}</p>
            </td>
        </tr>
    }
}

#[component]
fn InviteDialog(org_id: String, action: ServerAction<InviteMember>) -> impl IntoView {
    let error = FormErrors::of(action, &[]).form();
    let close = crate::paths::members(&org_id);
    view! {
        <Dialog title="Invite member" close_href=close.clone()>
            <ActionForm action>
                <input type="hidden" name="org_id" value=org_id.clone() />
                <Field id="invite-email" label="Email">
                    <input id="invite-email" name="email" type="email" required autofocus />
                </Field>
                <fieldset class="radio-group" role="radiogroup" aria-labelledby="invite-role-legend">
                    <legend id="invite-role-legend">"Role"</legend>
                    <label><input type="radio" name="role" value="member" checked />" Member"</label>
                    <label><input type="radio" name="role" value="admin" />" Admin"</label>
                </fieldset>
                <p class="form-error" role="alert">{error}</p>
                <div class="dialog-actions">
                    <a class="button" href=close>"Cancel"</a>
                    <Submit pending=action.pending() label="Send invite" />
                </div>
            </ActionForm>
        </Dialog>
    }
}

/// Shows the invite link made by the previous request, once.
#[component]
fn InviteReveal(link: String, close_href: String) -> impl IntoView {
    let done = close_href.clone();
    view! {
        <Dialog title="Invite link" close_href=close_href>
            <p>"Send this link to the person you invited. It works once, for 7 days, and will not be shown again."</p>
            <p class="secret" data-testid="invite-link">{link}</p>
            <div class="dialog-actions">
                <a class="button primary" href=done>"Done"</a>
            </div>
        </Dialog>
    }
}
