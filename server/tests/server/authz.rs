//! The access table of the spec ("Roles and access"), cell by cell, through the real
//! router with real session cookies: pages, and the server functions the pages call.
//!
//! Two organisations: X with projects A and B, Y with project C. Five visitors: the admin
//! of X, a member of X on project A, a member of X on no project, the admin of Y, and
//! nobody. Whatever a visitor may not see answers 404 (never 403); without a session the
//! dashboard asks to sign in. Every denied write must leave the data as it was; every
//! allowed one must happen.

use crate::common::{PASSWORD, Reply, TestApp};
use axum::http::StatusCode;
use gtx_core::db::repo::audit::{self, AuditFilter};
use gtx_core::db::repo::usage::{self, Buckets, UsageRow};
use gtx_core::db::repo::{invites, keys, orgs, projects};
use gtx_core::domain::Permission;
use gtx_core::domain::lifetime::GracePeriod;
use gtx_core::domain::usage::Outcome;
use gtx_core::domain::{KeyId, KeyType, OrgId, PermissionSet, ProjectId, Role, UserId};
use gtx_core::services::{Actor, KeyScope, NewKey};

/// Who asks.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Who {
    /// Admin of organisation X.
    Admin,
    /// Member of X who belongs to project A.
    MemberOfA,
    /// Member of X who belongs to no project.
    PlainMember,
    /// Admin of organisation Y (admin elsewhere is nothing here).
    OtherOrgAdmin,
    /// No session.
    Anonymous,
}

/// The matrix's columns, in order.
const WHO: [Who; 5] = [
    Who::Admin,
    Who::MemberOfA,
    Who::PlainMember,
    Who::OtherOrgAdmin,
    Who::Anonymous,
];

/// What is asked for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Target {
    /// Project A of X (the member's own project).
    A,
    /// Project B of X.
    B,
    /// Project C of Y.
    C,
    /// Project C, addressed as if it were in X (an id probed under the wrong tenant).
    CUnderX,
    /// Organisation X.
    OrgX,
    /// Organisation Y.
    OrgY,
    /// A member of Y, addressed under X.
    MemberOfYUnderX,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Action {
    /// `GET /orgs/{id}`.
    ViewOrgPage,
    /// `get_org`: the organisation and the projects the visitor may see.
    GetOrg,
    GetProject,
    UpdateProject,
    CreateProject,
    ListMembers,
    InviteMember,
    SetMemberRole,
    RemoveMember,
    AddProjectMember,
    RemoveProjectMember,
    ListAudit,
    /// `GET /orgs/{id}/projects/{id}/api-keys`.
    ViewProjectKeysPage,
    /// `create_api_key` of a project key.
    CreateProjectKey,
    /// `list_api_keys` of a project.
    ListProjectKeys,
    /// `rotate_api_key` of a project key.
    RotateProjectKey,
    /// `revoke_api_key` of a project key.
    RevokeProjectKey,
    /// `GET /orgs/{id}/api-keys`.
    ViewOrgKeysPage,
    /// `create_api_key` of an organisation key.
    CreateOrgKey,
    /// `list_api_keys` of an organisation.
    ListOrgKeys,
    /// `rotate_api_key` of an organisation key.
    RotateOrgKey,
    /// `revoke_api_key` of an organisation key.
    RevokeOrgKey,
    /// `get_api_key`: a project key's page data.
    GetProjectKey,
    /// `set_api_key_enabled` (disable) of a project key.
    DisableProjectKey,
    /// `end_grace_period` of a rotated project key.
    EndGraceProjectKey,
    /// `set_api_key_ip_allowlist` of a project key.
    SetAllowListProjectKey,
    /// `describe_api_key` of a project key.
    DescribeProjectKey,
    /// `get_api_key`: an organisation key's page data.
    GetOrgKey,
    /// `set_api_key_enabled` (disable) of an organisation key.
    DisableOrgKey,
    /// `set_api_key_permissions` of an organisation key.
    EditOrgKeyPermissions,
    /// `remove_unused_permissions` of an organisation key.
    RemoveUnusedOrgPermissions,
    /// `get_org_settings`: the organisation's key policy.
    GetOrgSettings,
    /// `save_org_settings`.
    SaveOrgSettings,
}

impl Action {
    fn writes(self) -> bool {
        !matches!(
            self,
            Self::ViewOrgPage
                | Self::GetOrg
                | Self::GetProject
                | Self::ListMembers
                | Self::ListAudit
                | Self::ViewProjectKeysPage
                | Self::ListProjectKeys
                | Self::ViewOrgKeysPage
                | Self::ListOrgKeys
                | Self::GetProjectKey
                | Self::GetOrgKey
                | Self::GetOrgSettings
        )
    }
}

/// What a cell must answer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expect {
    /// Allowed.
    Ok,
    /// Allowed, showing exactly these of the projects A, B and C.
    Sees(&'static [Target]),
    /// 404 / `NotFound`.
    NotFound,
    /// No session: sign in (401 `Unauthenticated` from a server function, a redirect to
    /// `/login` from a page).
    SignIn,
}

use Action::*;
use Expect::{NotFound as NF, Ok as OK, Sees, SignIn as IN};
use Target::*;

const AB: &[Target] = &[A, B];
const ONLY_A: &[Target] = &[A];
const ONLY_C: &[Target] = &[C];
const NONE: &[Target] = &[];

/// The access table. Server functions answer `SignIn` to the anonymous visitor, pages
/// redirect to `/login`.
#[rustfmt::skip]
const MATRIX: &[(Action, Target, [Expect; 5])] = &[
    //                                   admin of X  member of A    plain member  admin of Y    anonymous
    (ViewOrgPage,         OrgX,          [Sees(AB),  Sees(ONLY_A),  Sees(NONE),   NF,           IN]),
    (ViewOrgPage,         OrgY,          [NF,        NF,            NF,           Sees(ONLY_C), IN]),
    (GetOrg,              OrgX,          [Sees(AB),  Sees(ONLY_A),  Sees(NONE),   NF,           IN]),
    (GetOrg,              OrgY,          [NF,        NF,            NF,           Sees(ONLY_C), IN]),
    (GetProject,          A,             [OK,        OK,            NF,           NF,           IN]),
    (GetProject,          B,             [OK,        NF,            NF,           NF,           IN]),
    (GetProject,          C,             [NF,        NF,            NF,           OK,           IN]),
    (GetProject,          CUnderX,       [NF,        NF,            NF,           NF,           IN]),
    (UpdateProject,       A,             [OK,        OK,            NF,           NF,           IN]),
    (UpdateProject,       B,             [OK,        NF,            NF,           NF,           IN]),
    (UpdateProject,       C,             [NF,        NF,            NF,           OK,           IN]),
    (UpdateProject,       CUnderX,       [NF,        NF,            NF,           NF,           IN]),
    (CreateProject,       OrgX,          [OK,        NF,            NF,           NF,           IN]),
    (CreateProject,       OrgY,          [NF,        NF,            NF,           OK,           IN]),
    (ListMembers,         OrgX,          [OK,        NF,            NF,           NF,           IN]),
    (ListMembers,         OrgY,          [NF,        NF,            NF,           OK,           IN]),
    (InviteMember,        OrgX,          [OK,        NF,            NF,           NF,           IN]),
    (InviteMember,        OrgY,          [NF,        NF,            NF,           OK,           IN]),
    (SetMemberRole,       OrgX,          [OK,        NF,            NF,           NF,           IN]),
    (SetMemberRole,       OrgY,          [NF,        NF,            NF,           OK,           IN]),
    (SetMemberRole,       MemberOfYUnderX, [NF,      NF,            NF,           NF,           IN]),
    (RemoveMember,        OrgX,          [OK,        NF,            NF,           NF,           IN]),
    (RemoveMember,        OrgY,          [NF,        NF,            NF,           OK,           IN]),
    (RemoveMember,        MemberOfYUnderX, [NF,      NF,            NF,           NF,           IN]),
    (AddProjectMember,    A,             [OK,        NF,            NF,           NF,           IN]),
    (AddProjectMember,    B,             [OK,        NF,            NF,           NF,           IN]),
    (AddProjectMember,    C,             [NF,        NF,            NF,           OK,           IN]),
    (AddProjectMember,    CUnderX,       [NF,        NF,            NF,           NF,           IN]),
    (RemoveProjectMember, A,             [OK,        NF,            NF,           NF,           IN]),
    (RemoveProjectMember, B,             [OK,        NF,            NF,           NF,           IN]),
    (RemoveProjectMember, C,             [NF,        NF,            NF,           OK,           IN]),
    (RemoveProjectMember, CUnderX,       [NF,        NF,            NF,           NF,           IN]),
    (ListAudit,           OrgX,          [OK,        NF,            NF,           NF,           IN]),
    (ListAudit,           OrgY,          [NF,        NF,            NF,           OK,           IN]),
    (ViewProjectKeysPage, A,             [OK,        OK,            NF,           NF,           IN]),
    (ViewProjectKeysPage, B,             [OK,        NF,            NF,           NF,           IN]),
    (ViewProjectKeysPage, C,             [NF,        NF,            NF,           OK,           IN]),
    (ViewProjectKeysPage, CUnderX,       [NF,        NF,            NF,           NF,           IN]),
    (CreateProjectKey,    A,             [OK,        OK,            NF,           NF,           IN]),
    (CreateProjectKey,    B,             [OK,        NF,            NF,           NF,           IN]),
    (CreateProjectKey,    C,             [NF,        NF,            NF,           OK,           IN]),
    (CreateProjectKey,    CUnderX,       [NF,        NF,            NF,           NF,           IN]),
    (ListProjectKeys,     A,             [OK,        OK,            NF,           NF,           IN]),
    (ListProjectKeys,     B,             [OK,        NF,            NF,           NF,           IN]),
    (ListProjectKeys,     C,             [NF,        NF,            NF,           OK,           IN]),
    (ListProjectKeys,     CUnderX,       [NF,        NF,            NF,           NF,           IN]),
    (RotateProjectKey,    A,             [OK,        OK,            NF,           NF,           IN]),
    (RotateProjectKey,    B,             [OK,        NF,            NF,           NF,           IN]),
    (RotateProjectKey,    C,             [NF,        NF,            NF,           OK,           IN]),
    (RevokeProjectKey,    A,             [OK,        OK,            NF,           NF,           IN]),
    (RevokeProjectKey,    B,             [OK,        NF,            NF,           NF,           IN]),
    (RevokeProjectKey,    C,             [NF,        NF,            NF,           OK,           IN]),
    (ViewOrgKeysPage,     OrgX,          [OK,        NF,            NF,           NF,           IN]),
    (ViewOrgKeysPage,     OrgY,          [NF,        NF,            NF,           OK,           IN]),
    (CreateOrgKey,        OrgX,          [OK,        NF,            NF,           NF,           IN]),
    (CreateOrgKey,        OrgY,          [NF,        NF,            NF,           OK,           IN]),
    (ListOrgKeys,         OrgX,          [OK,        NF,            NF,           NF,           IN]),
    (ListOrgKeys,         OrgY,          [NF,        NF,            NF,           OK,           IN]),
    (RotateOrgKey,        OrgX,          [OK,        NF,            NF,           NF,           IN]),
    (RotateOrgKey,        OrgY,          [NF,        NF,            NF,           OK,           IN]),
    (RevokeOrgKey,        OrgX,          [OK,        NF,            NF,           NF,           IN]),
    (RevokeOrgKey,        OrgY,          [NF,        NF,            NF,           OK,           IN]),
    (GetProjectKey,       A,             [OK,        OK,            NF,           NF,           IN]),
    (GetProjectKey,       B,             [OK,        NF,            NF,           NF,           IN]),
    (GetProjectKey,       C,             [NF,        NF,            NF,           OK,           IN]),
    (DisableProjectKey,   A,             [OK,        OK,            NF,           NF,           IN]),
    (DisableProjectKey,   B,             [OK,        NF,            NF,           NF,           IN]),
    (DisableProjectKey,   C,             [NF,        NF,            NF,           OK,           IN]),
    (EndGraceProjectKey,  A,             [OK,        OK,            NF,           NF,           IN]),
    (EndGraceProjectKey,  B,             [OK,        NF,            NF,           NF,           IN]),
    (EndGraceProjectKey,  C,             [NF,        NF,            NF,           OK,           IN]),
    (SetAllowListProjectKey, A,          [OK,        OK,            NF,           NF,           IN]),
    (SetAllowListProjectKey, B,          [OK,        NF,            NF,           NF,           IN]),
    (SetAllowListProjectKey, C,          [NF,        NF,            NF,           OK,           IN]),
    (DescribeProjectKey,  A,             [OK,        OK,            NF,           NF,           IN]),
    (DescribeProjectKey,  B,             [OK,        NF,            NF,           NF,           IN]),
    (DescribeProjectKey,  C,             [NF,        NF,            NF,           OK,           IN]),
    (GetOrgKey,           OrgX,          [OK,        NF,            NF,           NF,           IN]),
    (GetOrgKey,           OrgY,          [NF,        NF,            NF,           OK,           IN]),
    (DisableOrgKey,       OrgX,          [OK,        NF,            NF,           NF,           IN]),
    (DisableOrgKey,       OrgY,          [NF,        NF,            NF,           OK,           IN]),
    (EditOrgKeyPermissions, OrgX,        [OK,        NF,            NF,           NF,           IN]),
    (EditOrgKeyPermissions, OrgY,        [NF,        NF,            NF,           OK,           IN]),
    (RemoveUnusedOrgPermissions, OrgX,   [OK,        NF,            NF,           NF,           IN]),
    (RemoveUnusedOrgPermissions, OrgY,   [NF,        NF,            NF,           OK,           IN]),
    (GetOrgSettings,      OrgX,          [OK,        NF,            NF,           NF,           IN]),
    (GetOrgSettings,      OrgY,          [NF,        NF,            NF,           OK,           IN]),
    (SaveOrgSettings,     OrgX,          [OK,        NF,            NF,           NF,           IN]),
    (SaveOrgSettings,     OrgY,          [NF,        NF,            NF,           OK,           IN]),
];

/// The organisations, projects and signed-in visitors.
struct World {
    x: OrgId,
    y: OrgId,
    a: ProjectId,
    b: ProjectId,
    c: ProjectId,
    /// Session tokens, in the order of [`WHO`] (none for the anonymous visitor).
    tokens: Vec<Option<String>>,
}

impl World {
    async fn build(app: &TestApp) -> Self {
        let operator = Actor::operator();
        let s = &app.services;
        let x = s.create_org(&operator, "Org X").await.expect("org X").id;
        let y = s.create_org(&operator, "Org Y").await.expect("org Y").id;
        let project = |org: OrgId, name: &'static str| {
            let operator = operator.clone();
            async move {
                s.create_project(&operator, &org, name, None)
                    .await
                    .expect("project")
                    .id
            }
        };
        let a = project(x.clone(), "Project A").await;
        let b = project(x.clone(), "Project B").await;
        let c = project(y.clone(), "Project C").await;

        let people = [
            (Who::Admin, &x, "admin@x.example", Role::Admin),
            (Who::MemberOfA, &x, "member-a@x.example", Role::Member),
            (Who::PlainMember, &x, "plain@x.example", Role::Member),
            (Who::OtherOrgAdmin, &y, "admin@y.example", Role::Admin),
        ];
        let mut tokens = Vec::new();
        for (who, org, email, role) in people {
            app.create_user(org, email, role).await;
            if who == Who::MemberOfA {
                s.add_project_member(&operator, &x, &a, email)
                    .await
                    .expect("add to A");
            }
            let token = app.sign_in(email, PASSWORD).await;
            tokens.push(Some(token));
        }
        tokens.push(None);
        Self {
            x,
            y,
            a,
            b,
            c,
            tokens,
        }
    }

    fn index(who: Who) -> usize {
        WHO.iter().position(|w| *w == who).expect("listed")
    }

    fn token(&self, who: Who) -> Option<&str> {
        self.tokens[Self::index(who)].as_deref()
    }

    /// The organisation a request names for the target.
    fn org(&self, target: Target) -> &OrgId {
        match target {
            A | B | CUnderX | OrgX | MemberOfYUnderX => &self.x,
            C | OrgY => &self.y,
        }
    }

    /// The organisation the target really belongs to.
    fn home_org(&self, target: Target) -> &OrgId {
        match target {
            A | B | OrgX => &self.x,
            C | CUnderX | OrgY | MemberOfYUnderX => &self.y,
        }
    }

    fn project(&self, target: Target) -> &ProjectId {
        match target {
            A => &self.a,
            B => &self.b,
            C | CUnderX => &self.c,
            OrgX | OrgY | MemberOfYUnderX => panic!("{target:?} is not a project"),
        }
    }

    /// The `org_id` field of a request for the target.
    fn org_field(&self, target: Target) -> Field {
        field("org_id", self.org(target).as_str())
    }

    /// The `project_id` field of a request for the target.
    fn project_field(&self, target: Target) -> Field {
        field("project_id", self.project(target).as_str())
    }
}

/// What a cell needs beforehand, to act on and to check afterwards.
enum Fixture {
    Nothing,
    /// A name or email no other cell uses.
    Fresh(String),
    /// A member (no password) of the target's organisation, for acting upon.
    Victim {
        id: UserId,
        email: String,
    },
    /// A live key in the target's scope.
    Key(KeyId),
}

impl Fixture {
    /// The fresh name or email (empty for other fixtures).
    fn fresh(&self) -> &str {
        match self {
            Self::Fresh(text) => text,
            _ => "",
        }
    }

    /// The victim's id and email (empty for other fixtures).
    fn victim(&self) -> (&str, &str) {
        match self {
            Self::Victim { id, email } => (id.as_str(), email),
            _ => ("", ""),
        }
    }

    /// The key's id (empty for other fixtures).
    fn key_id(&self) -> &str {
        match self {
            Self::Key(id) => id.as_str(),
            _ => "",
        }
    }
}

/// What a cell answered.
#[derive(Debug)]
enum Observed {
    /// Allowed; the response body (for what it shows).
    Ok(String),
    NotFound,
    SignIn,
    Unexpected(String),
}

fn observe_server_fn(reply: Reply) -> Observed {
    let error = serde_json::from_str::<serde_json::Value>(&reply.body).ok();
    let error = error.as_ref().and_then(|v| v.as_str());
    match (reply.status, error) {
        (StatusCode::OK, _) => Observed::Ok(reply.body),
        (StatusCode::NOT_FOUND, Some("NotFound")) => Observed::NotFound,
        (StatusCode::UNAUTHORIZED, Some("Unauthenticated")) => Observed::SignIn,
        (status, _) => Observed::Unexpected(format!("{status} {}", reply.body)),
    }
}

fn observe_page(reply: Reply) -> Observed {
    match reply.status {
        StatusCode::OK => Observed::Ok(reply.body),
        StatusCode::NOT_FOUND if reply.body.contains("Page not found") => Observed::NotFound,
        _ if reply.is_redirect_to_login() => Observed::SignIn,
        status => Observed::Unexpected(format!(
            "{status} location={:?} {}",
            reply.header("location"),
            reply.body
        )),
    }
}

async fn prepare(
    app: &TestApp,
    world: &World,
    action: Action,
    target: Target,
    n: usize,
) -> Fixture {
    let operator = Actor::operator();
    let s = &app.services;
    let pool = s.db().pool();
    match action {
        UpdateProject => Fixture::Fresh(format!("Renamed {n}")),
        SaveOrgSettings => {
            // Each attempt starts from no policy, so only its own save can set one.
            orgs::set_policy(pool, world.home_org(target), Default::default())
                .await
                .expect("reset policy");
            Fixture::Nothing
        }
        CreateProject => Fixture::Fresh(format!("Project {n}")),
        CreateProjectKey | CreateOrgKey => Fixture::Fresh(format!("Key {n}")),
        InviteMember => Fixture::Fresh(format!("invitee{n}@example.com")),
        SetMemberRole | RemoveMember | AddProjectMember | RemoveProjectMember => {
            let email = format!("victim{n}@example.com");
            let org = world.home_org(target);
            let id = app.insert_member(org, &email, Role::Member).await;
            if action == RemoveProjectMember {
                projects::add_member(pool, org, world.project(target), &id, s.now())
                    .await
                    .expect("add victim to project");
            }
            Fixture::Victim { id, email }
        }
        RotateProjectKey
        | RevokeProjectKey
        | RotateOrgKey
        | RevokeOrgKey
        | GetProjectKey
        | DisableProjectKey
        | EndGraceProjectKey
        | SetAllowListProjectKey
        | DescribeProjectKey
        | GetOrgKey
        | DisableOrgKey
        | EditOrgKeyPermissions
        | RemoveUnusedOrgPermissions => {
            let project_key = matches!(
                action,
                RotateProjectKey
                    | RevokeProjectKey
                    | GetProjectKey
                    | DisableProjectKey
                    | EndGraceProjectKey
                    | SetAllowListProjectKey
                    | DescribeProjectKey
            );
            let scope = if project_key {
                KeyScope::Project {
                    project_id: world.project(target).clone(),
                    key_type: KeyType::Production,
                }
            } else {
                KeyScope::Organisation {
                    org_id: world.org(target).clone(),
                    permissions: PermissionSet::read_only(),
                }
            };
            let created = s
                .create_key(
                    &operator,
                    NewKey {
                        scope,
                        name: format!("To change {n}"),
                        expires_at: None,
                        description: String::new(),
                    },
                )
                .await
                .expect("key to change");
            let id = created.record.id;
            if action == EndGraceProjectKey {
                s.rotate_key(&operator, &id, GracePeriod::SevenDays)
                    .await
                    .expect("rotate");
            }
            if action == RemoveUnusedOrgPermissions {
                // Asked for files:read only: context:read is unused.
                let row = UsageRow {
                    key_id: id.clone(),
                    bucket_start: s.now() - s.now().rem_euclid(3_600_000),
                    outcome: Outcome::Valid,
                    requests: 1,
                    permissions: [Permission::FilesRead].into_iter().collect(),
                };
                let mut conn = pool.acquire().await.expect("conn");
                usage::add(&mut conn, Buckets::Hours, &[row])
                    .await
                    .expect("usage");
            }
            Fixture::Key(id)
        }
        _ => Fixture::Nothing,
    }
}

/// The cell's request, as `who`: a page or a server function call.
async fn attempt(
    app: &TestApp,
    world: &World,
    who: Who,
    action: Action,
    target: Target,
    fixture: &Fixture,
) -> Observed {
    let token = world.token(who);
    if let Some(path) = page_path(world, action, target) {
        return observe_page(app.page(&path, token).await);
    }
    let (name, fields) = match action {
        GetOrg | GetProject | UpdateProject | CreateProject | ListAudit | GetOrgSettings
        | SaveOrgSettings => project_call(world, action, target, fixture),
        ListMembers | InviteMember | SetMemberRole | RemoveMember | AddProjectMember
        | RemoveProjectMember => member_call(world, action, target, fixture),
        CreateProjectKey
        | ListProjectKeys
        | RotateProjectKey
        | RevokeProjectKey
        | CreateOrgKey
        | ListOrgKeys
        | RotateOrgKey
        | RevokeOrgKey
        | GetProjectKey
        | DisableProjectKey
        | EndGraceProjectKey
        | SetAllowListProjectKey
        | DescribeProjectKey
        | GetOrgKey
        | DisableOrgKey
        | EditOrgKeyPermissions
        | RemoveUnusedOrgPermissions => key_call(world, action, target, fixture),
        ViewOrgPage | ViewProjectKeysPage | ViewOrgKeysPage => unreachable!("{action:?} is a page"),
    };
    let fields: Vec<(&str, &str)> = fields.iter().map(|(k, v)| (*k, v.as_str())).collect();
    observe_server_fn(app.call(name, token, &fields).await)
}

/// A form field of a server function call.
type Field = (&'static str, String);

/// A server function's name and form fields.
type Call = (&'static str, Vec<Field>);

fn field(name: &'static str, value: &str) -> Field {
    (name, value.to_owned())
}

/// The path of a page action, or `None` for a server function.
fn page_path(world: &World, action: Action, target: Target) -> Option<String> {
    let org = world.org(target).as_str();
    match action {
        ViewOrgPage => Some(format!("/orgs/{org}")),
        ViewProjectKeysPage => Some(format!(
            "/orgs/{org}/projects/{}/api-keys",
            world.project(target)
        )),
        ViewOrgKeysPage => Some(format!("/orgs/{org}/api-keys")),
        _ => None,
    }
}

/// Organisation, project and audit calls.
fn project_call(world: &World, action: Action, target: Target, fixture: &Fixture) -> Call {
    let (o, p) = (world.org_field(target), || world.project_field(target));
    let name = field("name", fixture.fresh());
    match action {
        GetOrg => ("get_org", vec![o]),
        GetProject => ("get_project", vec![o, p()]),
        UpdateProject => (
            "update_project",
            vec![o, p(), name, field("default_locale", "fr")],
        ),
        CreateProject => (
            "create_project",
            vec![o, name, field("default_locale", "en")],
        ),
        ListAudit => ("list_audit", vec![o]),
        GetOrgSettings => ("get_org_settings", vec![o]),
        SaveOrgSettings => (
            "save_org_settings",
            vec![
                o,
                field("max_key_lifetime", "90"),
                field("disable_unused_after", "none"),
            ],
        ),
        _ => unreachable!("{action:?} is not a project call"),
    }
}

/// Organisation and project membership calls.
fn member_call(world: &World, action: Action, target: Target, fixture: &Fixture) -> Call {
    let (o, p) = (world.org_field(target), || world.project_field(target));
    let (victim_id, victim_email) = fixture.victim();
    let user = field("user_id", victim_id);
    match action {
        ListMembers => ("list_members", vec![o]),
        InviteMember => (
            "invite_member",
            vec![o, field("email", fixture.fresh()), field("role", "member")],
        ),
        SetMemberRole => ("set_member_role", vec![o, user, field("role", "admin")]),
        RemoveMember => ("remove_member", vec![o, user]),
        AddProjectMember => (
            "add_project_member",
            vec![o, p(), field("email", victim_email)],
        ),
        RemoveProjectMember => ("remove_project_member", vec![o, p(), user]),
        _ => unreachable!("{action:?} is not a member call"),
    }
}

/// API key calls, of project and organisation keys.
fn key_call(world: &World, action: Action, target: Target, fixture: &Fixture) -> Call {
    let (o, p) = (world.org_field(target), || world.project_field(target));
    let name = field("name", fixture.fresh());
    let key = field("key_id", fixture.key_id());
    match action {
        CreateProjectKey => (
            "create_api_key",
            vec![o, p(), name, field("key_type", "development")],
        ),
        ListProjectKeys => ("list_api_keys", vec![o, p()]),
        CreateOrgKey => ("create_api_key", vec![o, name, field("files", "read")]),
        ListOrgKeys => ("list_api_keys", vec![o]),
        RotateProjectKey | RotateOrgKey => ("rotate_api_key", vec![key, field("grace", "1h")]),
        RevokeProjectKey | RevokeOrgKey => ("revoke_api_key", vec![key]),
        GetProjectKey => ("get_api_key", vec![o, p(), key]),
        GetOrgKey => ("get_api_key", vec![o, key]),
        DisableProjectKey | DisableOrgKey => {
            ("set_api_key_enabled", vec![key, field("enabled", "false")])
        }
        EndGraceProjectKey => ("end_grace_period", vec![key]),
        SetAllowListProjectKey => (
            "set_api_key_ip_allowlist",
            vec![key, field("ip_allowlist", "10.0.0.0/8")],
        ),
        DescribeProjectKey => (
            "describe_api_key",
            vec![key, field("description", "Described")],
        ),
        EditOrgKeyPermissions => (
            "set_api_key_permissions",
            vec![key, field("files", "write")],
        ),
        RemoveUnusedOrgPermissions => ("remove_unused_permissions", vec![key]),
        _ => unreachable!("{action:?} is not a key call"),
    }
}

/// Whether the write the cell attempted took effect.
async fn took_effect(
    app: &TestApp,
    world: &World,
    action: Action,
    target: Target,
    fixture: &Fixture,
) -> bool {
    let pool = app.services.db().pool();
    let org = world.home_org(target);
    match (action, fixture) {
        (UpdateProject, Fixture::Fresh(name)) => {
            projects::get_unscoped(pool, world.project(target))
                .await
                .expect("project")
                .expect("exists")
                .name
                == *name
        }
        (CreateProject, Fixture::Fresh(name)) => projects::list(pool, org)
            .await
            .expect("projects")
            .iter()
            .any(|p| p.name == *name),
        (InviteMember, Fixture::Fresh(email)) => invites::list_open(pool, org, app.services.now())
            .await
            .expect("invites")
            .iter()
            .any(|i| i.email == *email),
        (SetMemberRole, Fixture::Victim { id, .. }) => {
            orgs::get_membership(pool, org, id)
                .await
                .expect("membership")
                .expect("still a member")
                .role
                == Role::Admin
        }
        (RemoveMember, Fixture::Victim { id, .. }) => orgs::get_membership(pool, org, id)
            .await
            .expect("membership")
            .is_none(),
        (AddProjectMember, Fixture::Victim { id, .. }) => {
            projects::is_member(pool, org, world.project(target), id)
                .await
                .expect("is member")
        }
        (RemoveProjectMember, Fixture::Victim { id, .. }) => {
            !projects::is_member(pool, org, world.project(target), id)
                .await
                .expect("is member")
        }
        (CreateProjectKey, Fixture::Fresh(name)) => {
            keys::list_for_project(pool, org, world.project(target))
                .await
                .expect("keys")
                .iter()
                .any(|k| k.name == *name)
        }
        (CreateOrgKey, Fixture::Fresh(name)) => keys::list_for_org(pool, org)
            .await
            .expect("keys")
            .iter()
            .any(|k| k.name == *name),
        (RotateProjectKey | RotateOrgKey, Fixture::Key(id)) => keys::get_unscoped(pool, id)
            .await
            .expect("key")
            .expect("exists")
            .replaced_by
            .is_some(),
        (RevokeProjectKey | RevokeOrgKey, Fixture::Key(id)) => keys::get_unscoped(pool, id)
            .await
            .expect("key")
            .expect("exists")
            .revoked_at
            .is_some(),
        (SaveOrgSettings, _) => {
            orgs::policy(pool, org)
                .await
                .expect("policy")
                .max_key_lifetime_days
                == Some(90)
        }
        (DisableProjectKey | DisableOrgKey, Fixture::Key(id)) => {
            stored(pool, id).await.disabled_at.is_some()
        }
        (EndGraceProjectKey, Fixture::Key(id)) => stored(pool, id)
            .await
            .expires_at
            .is_some_and(|e| e <= app.services.now()),
        (SetAllowListProjectKey, Fixture::Key(id)) => {
            !stored(pool, id).await.ip_allowlist.is_empty()
        }
        (DescribeProjectKey, Fixture::Key(id)) => stored(pool, id).await.description == "Described",
        (EditOrgKeyPermissions, Fixture::Key(id)) => {
            stored(pool, id).await.permissions.to_strings() == ["files:read", "files:write"]
        }
        (RemoveUnusedOrgPermissions, Fixture::Key(id)) => {
            stored(pool, id).await.permissions.to_strings() == ["files:read"]
        }
        _ => unreachable!("{action:?} does not write"),
    }
}

/// A key as stored.
async fn stored(pool: &sqlx::AnyPool, id: &KeyId) -> gtx_core::db::models::ApiKeyRecord {
    keys::get_unscoped(pool, id)
        .await
        .expect("key")
        .expect("exists")
}

/// Audit events of both organisations: every successful write adds one.
async fn audit_count(app: &TestApp, world: &World) -> usize {
    let pool = app.services.db().pool();
    let mut n = 0;
    for org in [&world.x, &world.y] {
        n += audit::list(pool, org, &AuditFilter::default(), 1_000_000)
            .await
            .expect("audit")
            .len();
    }
    n
}

/// Which of A, B and C a response shows (by id, anywhere in the body: the hydration
/// data included).
fn visible_projects(world: &World, body: &str) -> Vec<Target> {
    [A, B, C]
        .into_iter()
        .filter(|t| body.contains(world.project(*t).as_str()))
        .collect()
}

async fn authorisation_matrix_follows_the_access_table(app: &TestApp) {
    let backend = if app.is_postgres() {
        "postgres"
    } else {
        "sqlite"
    };
    let world = World::build(app).await;
    let mut failures = Vec::new();
    let mut cells = 0;
    for (row, (action, target, expected)) in MATRIX.iter().enumerate() {
        for (column, (who, expect)) in WHO.iter().zip(expected).enumerate() {
            let n = row * WHO.len() + column;
            let name = format!("{backend}: {who:?} / {action:?} / {target:?}");
            let fixture = prepare(app, &world, *action, *target, n).await;
            let audit_before = audit_count(app, &world).await;
            let observed = attempt(app, &world, *who, *action, *target, &fixture).await;
            cells += 1;
            let allowed = matches!(observed, Observed::Ok(_));
            let verdict = match (expect, &observed) {
                (OK, Observed::Ok(_)) | (NF, Observed::NotFound) | (IN, Observed::SignIn) => Ok(()),
                (Sees(projects), Observed::Ok(body)) => {
                    let seen = visible_projects(&world, body);
                    if seen == *projects {
                        Ok(())
                    } else {
                        Err(format!("shows projects {seen:?}, expected {projects:?}"))
                    }
                }
                (expect, Observed::Unexpected(detail)) => {
                    Err(format!("expected {expect:?}, got {detail}"))
                }
                (expect, observed) => Err(format!("expected {expect:?}, got {observed:?}")),
            };
            if let Err(e) = verdict {
                failures.push(format!("{name}: {e}"));
                continue;
            }
            // A denied request changes nothing; an allowed write happens and is audited.
            let audit_after = audit_count(app, &world).await;
            if action.writes() {
                let effect = took_effect(app, &world, *action, *target, &fixture).await;
                if effect != allowed {
                    failures.push(format!(
                        "{name}: allowed={allowed} but took effect={effect}"
                    ));
                }
                if allowed != (audit_after > audit_before) {
                    failures.push(format!(
                        "{name}: allowed={allowed} but audit events went {audit_before} -> {audit_after}"
                    ));
                }
            } else if audit_after != audit_before {
                failures.push(format!("{name}: a read wrote audit events"));
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {cells} cells differ from the access table:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert_eq!(cells, MATRIX.len() * WHO.len());
}

on_both_backends!(authorisation_matrix_follows_the_access_table);
