//! Input that must be refused or neutralised: invisible characters in names, error
//! links that try to put their own words on a page, invites that would tell one
//! organisation about another's accounts, and invites that outlive their maker's role.

use super::{org_with_admin, org_with_user};
use crate::common::{PASSWORD, Reply, TestApp, project_key_fields};
use axum::http::StatusCode;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE;
use gtx_core::db::repo::audit::AuditFilter;
use gtx_core::domain::key_list::PageRequest;
use gtx_core::domain::{OrgId, Role, UserId};
use gtx_core::services::Actor;

/// Names a person cannot tell apart from others: a right-to-left override, a zero-width
/// space, a bidi isolate.
const SNEAKY_NAMES: [&str; 3] = [
    "Web\u{202E}etis",
    "Web\u{200B}site",
    "\u{2067}Website\u{2069}",
];

/// Calls `function` as `admin` with `fields`, which hold the sneaky `name`; asserts it
/// is refused as an invisible character in a name, and returns the reply.
async fn assert_name_refused(
    app: &TestApp,
    admin: &str,
    function: &str,
    fields: &[(&str, &str)],
    name: &str,
) -> Reply {
    let reply = app.call(function, Some(admin), fields).await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{name:?}: {}",
        reply.body
    );
    assert_eq!(
        reply.json()["Invalid"]["problem"],
        "NameInvisible",
        "{}",
        reply.body
    );
    reply
}

async fn names_with_bidi_or_zero_width_characters_get_a_field_error(app: &TestApp) {
    let (org, admin) = org_with_admin(app).await;
    for name in SNEAKY_NAMES {
        let fields = [
            ("org_id", org.as_str()),
            ("name", name),
            ("default_locale", "en"),
        ];
        let reply = assert_name_refused(app, &admin, "create_project", &fields, name).await;
        assert_eq!(reply.json()["Invalid"]["field"], "name", "{}", reply.body);
    }
    // Keys and, through the operator's service, organisations refuse them too.
    let project = app.create_project(&org, "Website").await;
    for name in SNEAKY_NAMES {
        let fields = project_key_fields(&org, &project, name, "production", Some("never"));
        assert_name_refused(app, &admin, "create_api_key", &fields, name).await;
        let err = app
            .services
            .create_org(&Actor::operator(), name)
            .await
            .expect_err("an invisible character in an organisation's name");
        assert!(err.to_string().contains("invisible"), "{err}");
    }
}

/// The sign-in page as a link with `__path` and `__err` would show it.
async fn login_page_with_error(app: &TestApp, error_json: &str) -> String {
    let err = URL_SAFE.encode(error_json);
    let path = format!(
        "/login?__path=/_sf/sign_in&__err={}",
        err.replace('=', "%3D")
    );
    let reply = app.page(&path, None).await;
    reply.assert_status(StatusCode::OK);
    reply.body
}

async fn error_links_cannot_put_their_own_text_on_the_page(app: &TestApp) {
    org_with_user(app, "ada@acme.example", Role::Admin).await;
    // A genuine error reaches the page through the link, as a form post without
    // JavaScript sends it there.
    let page = login_page_with_error(app, r#""BadCredentials""#).await;
    assert!(
        page.contains("The email or password is not correct."),
        "{page}"
    );
    let page =
        login_page_with_error(app, r#"{"Invalid":{"field":"email","problem":"Email"}}"#).await;
    assert!(
        page.contains("Enter an email address such as ana@example.com."),
        "{page}"
    );
    // A crafted one can only ever pick a fixed sentence, never bring its own words.
    for crafted in [
        r#"{"Conflict":"Your account is locked. Call +1 555 0100 at evil.example"}"#,
        r#"{"Invalid":{"field":"email","message":"Sign in at evil.example instead"}}"#,
        r#"{"Transport":"Sign in at evil.example instead"}"#,
        r#"{"Invalid":{"field":"email","problem":"Sign in at evil.example instead"}}"#,
        r#"{"TooManyAttempts":"evil.example"}"#,
    ] {
        let page = login_page_with_error(app, crafted).await;
        assert!(!page.contains("evil.example"), "{crafted}: {page}");
        assert!(!page.contains("555 0100"), "{crafted}: {page}");
    }
    // A number stays in its range.
    let page = login_page_with_error(app, r#"{"TooManyAttempts":99999999}"#).await;
    assert!(!page.contains("99999999"), "{page}");
}

async fn invite_to_an_email_with_an_account_elsewhere_gets_the_usual_answer(app: &TestApp) {
    let (org, admin) = org_with_admin(app).await;
    // Someone with an account in another organisation.
    let elsewhere = app
        .services
        .create_org(&Actor::operator(), "Other Ltd")
        .await
        .expect("org")
        .id;
    app.insert_member(&elsewhere, "taken@other.example", Role::Member)
        .await;
    let invite = |email| app.invite_member(&admin, org.as_str(), email, "member");
    let taken = invite("taken@other.example").await;
    let fresh = invite("nobody@other.example").await;
    taken.assert_status(StatusCode::OK);
    fresh.assert_status(StatusCode::OK);
    // The same shape of answer: an invite link, nothing about the account.
    let keys = |r: &Reply| {
        let mut k: Vec<String> = r
            .json()
            .as_object()
            .expect("object")
            .keys()
            .cloned()
            .collect();
        k.sort();
        k
    };
    assert_eq!(keys(&taken), keys(&fresh));
    assert!(!taken.body.contains("account"), "{}", taken.body);
    // A member of this very organisation is named as such (the admin sees them anyway).
    let member = invite("admin@acme.example").await;
    member.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(member.json()["Invalid"]["problem"], "AlreadyMember");
}

/// What befalls an admin who made invites.
#[derive(Clone, Copy, Debug)]
enum AdminChange {
    /// `set_member_role` to member.
    Demote,
    /// `remove_member`.
    Remove,
}

impl AdminChange {
    /// The change's name, which begins the emails invited around it.
    fn label(self) -> &'static str {
        match self {
            Self::Demote => "demote",
            Self::Remove => "remove",
        }
    }

    /// Applies the change to `user` of `org`, as `admin`.
    async fn apply(self, app: &TestApp, admin: &str, org: &OrgId, user: &UserId) -> Reply {
        let (org, user) = (org.as_str(), user.as_str());
        match self {
            Self::Demote => {
                app.call(
                    "set_member_role",
                    Some(admin),
                    &[("org_id", org), ("user_id", user), ("role", "member")],
                )
                .await
            }
            Self::Remove => {
                app.call(
                    "remove_member",
                    Some(admin),
                    &[("org_id", org), ("user_id", user)],
                )
                .await
            }
        }
    }
}

/// Invites `email` to `org` as `session`, with `role`: the invite link's token.
async fn invite_token(
    app: &TestApp,
    session: &str,
    org: &OrgId,
    email: &str,
    role: &str,
) -> String {
    let reply = app.invite_member(session, org.as_str(), email, role).await;
    reply.assert_status(StatusCode::OK);
    reply.invite_token()
}

/// How many invites to emails that begin with `prefix` the audit log of `org` records as
/// withdrawn.
async fn withdrawn_invites(app: &TestApp, org: &OrgId, prefix: &str) -> usize {
    app.services
        .list_audit(
            &Actor::operator(),
            org,
            &AuditFilter {
                action: Some("member.invite_withdraw".into()),
                ..Default::default()
            },
            PageRequest::default(),
        )
        .await
        .expect("audit")
        .rows
        .into_iter()
        .filter(|e| {
            e.target_label
                .as_deref()
                .is_some_and(|l| l.starts_with(prefix))
        })
        .count()
}

/// A second admin, `email`, invites a member and an admin; `change` befalls them. Their
/// invites are withdrawn (and audited), the first admin's is not.
async fn admin_change_withdraws_their_invites(app: &TestApp, change: AdminChange, email: &str) {
    let (org, admin) = org_with_admin(app).await;
    let action = change.label();
    let second = app.create_user(&org, email, Role::Admin).await;
    let second_session = app.sign_in(email, PASSWORD).await;
    let mut links = Vec::new();
    for (invitee, role) in [("m@new.example", "member"), ("a@new.example", "admin")] {
        let invitee = format!("{action}-{invitee}");
        links.push(invite_token(app, &second_session, &org, &invitee, role).await);
    }
    // The first admin's own invite is not touched.
    let kept = format!("{action}-kept@new.example");
    let kept = invite_token(app, &admin, &org, &kept, "member").await;
    let reply = change.apply(app, &admin, &org, &second).await;
    reply.assert_status(StatusCode::OK);
    for token in &links {
        let reply = app.call("get_invite", None, &[("token", token)]).await;
        assert_eq!(
            reply.status,
            StatusCode::NOT_FOUND,
            "{action}: {}",
            reply.body
        );
    }
    let reply = app.call("get_invite", None, &[("token", &kept)]).await;
    assert_eq!(reply.status, StatusCode::OK, "{action}: {}", reply.body);
    // Each withdrawal is in the audit log.
    let withdrawn = withdrawn_invites(app, &org, &format!("{action}-")).await;
    assert_eq!(withdrawn, 2, "{action}");
}

async fn demoting_an_admin_withdraws_their_invites(app: &TestApp) {
    admin_change_withdraws_their_invites(app, AdminChange::Demote, "bea@acme.example").await;
}

async fn removing_an_admin_withdraws_their_invites(app: &TestApp) {
    admin_change_withdraws_their_invites(app, AdminChange::Remove, "cy@acme.example").await;
}

on_both_backends!(
    names_with_bidi_or_zero_width_characters_get_a_field_error,
    error_links_cannot_put_their_own_text_on_the_page,
    invite_to_an_email_with_an_account_elsewhere_gets_the_usual_answer,
    demoting_an_admin_withdraws_their_invites,
    removing_an_admin_withdraws_their_invites,
);
