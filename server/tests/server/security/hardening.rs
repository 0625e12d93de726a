//! Security headers, error statuses, and secrets kept out of logs and storage.

use super::{org_with_admin, setup_fields, sign_in_fields};
use crate::common::{PASSWORD, Reply, TestApp, captured_logs, contains_bytes, cookie, form};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use gtx_core::db::repo::orgs;
use gtx_core::domain::key_list::PageRequest;
use gtx_core::domain::{KeyType, OrgId};
use gtx_core::keys::random_token;
use gtx_core::services::{Actor, KeyScope, NewKey};

/// The nonce of a page's policy, checking the policy's other parts.
fn nonce_of(reply: &Reply) -> String {
    let csp = reply.header("content-security-policy").expect("a CSP");
    for part in [
        "'wasm-unsafe-eval'",
        "frame-ancestors 'none'",
        "object-src 'none'",
    ] {
        assert!(csp.contains(part), "{part} missing: {csp}");
    }
    assert!(!csp.contains("'unsafe-inline'"), "{csp}");
    let start = csp.find("'nonce-").expect("a nonce") + "'nonce-".len();
    let nonce = &csp[start..];
    nonce[..nonce.find('\'').expect("closing quote")].to_owned()
}

#[tokio::test]
async fn pages_carry_security_headers() {
    let app = TestApp::sqlite().await;
    org_with_admin(&app).await;
    let first = app.page("/login", None).await;
    first.assert_status(StatusCode::OK);
    let nonce = nonce_of(&first);
    assert!(nonce.len() >= 16, "{nonce}");
    assert!(
        first.body.contains(&format!("nonce=\"{nonce}\"")),
        "the inline scripts carry the nonce: {}",
        first.body
    );
    let second = app.page("/login", None).await;
    assert_ne!(nonce_of(&second), nonce, "a fresh nonce per response");
    for reply in [&first, &second] {
        assert_eq!(reply.header("x-content-type-options"), Some("nosniff"));
        assert_eq!(reply.header("referrer-policy"), Some("same-origin"));
        assert_eq!(
            reply.header("cross-origin-opener-policy"),
            Some("same-origin")
        );
        assert_eq!(reply.header("x-frame-options"), Some("DENY"));
    }
    // A page the router does not know (answered by the fallback) and a redirect's
    // body are pages too.
    for path in ["/no/such/page", "/orgs/nope"] {
        let reply = app.page(path, None).await;
        let nonce = nonce_of(&reply);
        assert!(
            reply.body.contains(&format!("nonce=\"{nonce}\"")),
            "{path}: {}",
            reply.body
        );
    }
    // JSON answers run nothing at all.
    let reply = app.call("session_state", None, &[]).await;
    let csp = reply.header("content-security-policy").expect("a CSP");
    assert!(
        csp.contains("default-src 'none'") && csp.contains("frame-ancestors 'none'"),
        "{csp}"
    );
    assert_eq!(reply.header("x-content-type-options"), Some("nosniff"));
}

/// A call that must fail: what it shows, the server function with its session and
/// fields, the status, and the `AppError` variant.
type ErrorCase<'a> = (
    &'a str,
    (&'a str, Option<&'a str>, &'a [(&'a str, &'a str)]),
    StatusCode,
    &'a str,
);

/// Calls a server function and checks the error's status and `AppError` variant.
async fn expect_error(
    app: &TestApp,
    case: &str,
    (name, session, fields): (&str, Option<&str>, &[(&str, &str)]),
    status: StatusCode,
    variant: &str,
) {
    let reply = app.call(name, session, fields).await;
    assert_eq!(reply.status, status, "{case}: {}", reply.body);
    let json = reply.json();
    let found = json
        .as_str()
        .map(str::to_owned)
        .or_else(|| json.as_object().and_then(|o| o.keys().next().cloned()));
    assert_eq!(found.as_deref(), Some(variant), "{case}: {}", reply.body);
}

/// Calls each case's server function and checks its error's status and variant.
async fn expect_errors(app: &TestApp, cases: &[ErrorCase<'_>]) {
    for &(case, call, status, variant) in cases {
        expect_error(app, case, call, status, variant).await;
    }
}

#[tokio::test]
async fn server_function_errors_of_anonymous_calls_answer_4xx_not_500() {
    let app = TestApp::sqlite().await;
    org_with_admin(&app).await;
    let wrong_password = sign_in_fields("admin@acme.example", "nope");
    use StatusCode as S;
    expect_errors(
        &app,
        &[
            (
                "no session",
                ("list_orgs", None, &[]),
                S::UNAUTHORIZED,
                "Unauthenticated",
            ),
            (
                "wrong password",
                ("sign_in", None, &wrong_password),
                S::UNAUTHORIZED,
                "BadCredentials",
            ),
            (
                "unknown invite",
                ("get_invite", None, &[("token", "nope")]),
                S::NOT_FOUND,
                "NotFound",
            ),
        ],
    )
    .await;
}

#[tokio::test]
async fn server_function_errors_of_invalid_input_answer_422_not_500() {
    let app = TestApp::sqlite().await;
    let (org, admin) = org_with_admin(&app).await;
    let (o, admin) = (org.as_str(), Some(admin.as_str()));
    let invalid = StatusCode::UNPROCESSABLE_ENTITY;
    expect_errors(
        &app,
        &[
            (
                "empty name",
                (
                    "create_project",
                    admin,
                    &[("org_id", o), ("name", " "), ("default_locale", "en")],
                ),
                invalid,
                "Invalid",
            ),
            (
                "bad locale",
                (
                    "create_project",
                    admin,
                    &[
                        ("org_id", o),
                        ("name", "P"),
                        ("default_locale", "not a locale"),
                    ],
                ),
                invalid,
                "Invalid",
            ),
            (
                "unknown role",
                (
                    "invite_member",
                    admin,
                    &[
                        ("org_id", o),
                        ("email", "x@acme.example"),
                        ("role", "owner"),
                    ],
                ),
                invalid,
                "Invalid",
            ),
        ],
    )
    .await;
}

#[tokio::test]
async fn server_function_errors_of_refused_admin_calls_answer_4xx_not_500() {
    let app = TestApp::sqlite().await;
    let (org, admin) = org_with_admin(&app).await;
    let admin_id = app
        .services
        .list_members(&Actor::operator(), &org, None, PageRequest::ALL)
        .await
        .expect("members")
        .0
        .rows[0]
        .user_id
        .clone();
    let (o, admin) = (org.as_str(), Some(admin.as_str()));
    use StatusCode as S;
    expect_errors(
        &app,
        &[
            (
                "unknown org",
                ("get_org", admin, &[("org_id", "nope")]),
                S::NOT_FOUND,
                "NotFound",
            ),
            (
                "last admin",
                (
                    "set_member_role",
                    admin,
                    &[
                        ("org_id", o),
                        ("user_id", admin_id.as_str()),
                        ("role", "member"),
                    ],
                ),
                S::CONFLICT,
                "Conflict",
            ),
            (
                "missing argument",
                ("get_org", admin, &[]),
                S::BAD_REQUEST,
                "Transport",
            ),
        ],
    )
    .await;
}

#[tokio::test]
async fn form_post_error_redirects_back_to_the_form() {
    let app = TestApp::sqlite().await;
    let (org, admin) = org_with_admin(&app).await;
    let back = format!("http://localhost/orgs/{}", org.as_str());
    let reply = app
        .send(
            Request::post("/_sf/create_project")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::ACCEPT, "text/html,application/xhtml+xml")
                .header(header::REFERER, &back)
                .header(header::COOKIE, cookie(&admin))
                .header("sec-fetch-site", "same-origin")
                .body(Body::from(form(&[
                    ("org_id", org.as_str()),
                    ("name", " "),
                    ("default_locale", "en"),
                ])))
                .expect("request"),
        )
        .await;
    // Without JavaScript the browser must land back on the form, with the error to show.
    reply.assert_status(StatusCode::FOUND);
    let location = reply.header("location").expect("Location");
    assert!(location.starts_with(&back), "{location}");
    assert!(location.contains("__err="), "{location}");
}

// ---- secrets in logs and storage -----------------------------------------------------

/// Every byte of the database: the SQLite file with its WAL, or every row of every
/// table of the test's PostgreSQL schema as JSON text (byte strings as hex).
pub async fn database_bytes(app: &TestApp) -> Vec<u8> {
    if let Some(file) = &app.sqlite_file {
        let dir = file.parent().expect("dir");
        let stem = file
            .file_name()
            .expect("name")
            .to_string_lossy()
            .to_string();
        let mut bytes = Vec::new();
        for entry in std::fs::read_dir(dir).expect("read dir") {
            let path = entry.expect("entry").path();
            if path
                .file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with(&stem))
            {
                bytes.extend(std::fs::read(&path).expect("read database file"));
            }
        }
        assert!(!bytes.is_empty());
        return bytes;
    }
    let pool = app.services.db().pool();
    let tables: Vec<String> = sqlx::query_scalar(
        "SELECT table_name::text FROM information_schema.tables \
         WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'",
    )
    .fetch_all(pool)
    .await
    .expect("tables");
    assert!(tables.iter().any(|t| t == "sessions"), "{tables:?}");
    let mut bytes = Vec::new();
    for table in tables {
        let sql = format!("SELECT row_to_json(t)::text FROM \"{table}\" t");
        let rows: Vec<String> = sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
            .fetch_all(pool)
            .await
            .expect("rows");
        for row in rows {
            bytes.extend(row.into_bytes());
            bytes.push(b'\n');
        }
    }
    bytes
}

/// Completes first-run setup with `password` for the admin: the setup session's token and
/// the new organisation.
async fn complete_setup(app: &TestApp, setup_token: &str, password: &str) -> (String, OrgId) {
    let reply = app
        .call(
            "complete_setup",
            None,
            &setup_fields(setup_token, "ada@acme.example", password),
        )
        .await;
    reply.assert_status(StatusCode::OK);
    let setup_session = reply.session_token().expect("session");
    let org = orgs::list_all(app.services.db().pool())
        .await
        .expect("orgs")
        .remove(0)
        .id;
    (setup_session, org)
}

/// Invites bob to `org` as `admin`, and accepts with `password`: the invite token and
/// bob's session token.
async fn invite_and_accept(
    app: &TestApp,
    admin: &str,
    org: &OrgId,
    password: &str,
) -> (String, String) {
    let reply = app
        .invite_member(admin, org.as_str(), "bob@acme.example", "member")
        .await;
    reply.assert_status(StatusCode::OK);
    assert_eq!(
        reply.header("cache-control"),
        Some("no-store"),
        "the link is shown once"
    );
    let path = reply.json()["path"].as_str().expect("path").to_owned();
    let invite = path
        .strip_prefix("/invite/")
        .expect("an invite link")
        .to_owned();
    let reply = app.call("get_invite", None, &[("token", &invite)]).await;
    assert_eq!(reply.json()["email"], "bob@acme.example", "{}", reply.body);
    let reply = app
        .call(
            "accept_invite",
            None,
            &[("token", &invite), ("name", "Bob"), ("password", password)],
        )
        .await;
    reply.assert_status(StatusCode::OK);
    let member = reply.session_token().expect("member session");
    let reply = app.call("get_invite", None, &[("token", &invite)]).await;
    assert_eq!(
        reply.status,
        StatusCode::NOT_FOUND,
        "an invite link works once"
    );
    (invite, member)
}

/// A production key of a new project of `org`, created by the admin of `admin_session`.
async fn create_project_key(app: &TestApp, org: &OrgId, admin_session: &str) -> String {
    let project = app.create_project(org, "Website").await;
    let admin_user = app
        .session_user(admin_session)
        .await
        .expect("admin session");
    let key = app
        .services
        .create_key(
            &Actor::user(&admin_user, None, None),
            NewKey {
                scope: KeyScope::Project {
                    project_id: project,
                    key_type: KeyType::Production,
                },
                name: "CI".into(),
                expires_at: None,
                description: String::new(),
            },
        )
        .await
        .expect("key")
        .key;
    key.expose().to_owned()
}

async fn secrets_stay_out_of_logs_and_database(app: &TestApp) {
    let setup_token = app.setup_token.clone().expect("a setup token");
    let admin_password = format!("admin-{}", random_token(24));
    let wrong_password = format!("wrong-{}", random_token(24));
    let member_password = format!("member-{}", random_token(24));

    let (setup_session, org) = complete_setup(app, &setup_token, &admin_password).await;
    let reply = app.try_sign_in("ada@acme.example", &wrong_password).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED);
    let admin = app.sign_in("ada@acme.example", &admin_password).await;
    let (invite, member) = invite_and_accept(app, &admin, &org, &member_password).await;
    let key = create_project_key(app, &org, &admin).await;
    let reply = app.call("sign_out", Some(&admin), &[]).await;
    assert_eq!(reply.status, StatusCode::OK);

    let secrets = [
        ("shared test password", PASSWORD),
        ("setup token", setup_token.as_str()),
        ("admin password", admin_password.as_str()),
        ("wrong password", wrong_password.as_str()),
        ("member password", member_password.as_str()),
        ("setup session token", setup_session.as_str()),
        ("admin session token", admin.as_str()),
        ("member session token", member.as_str()),
        ("invite token", invite.as_str()),
        ("API key", key.as_str()),
    ];
    let logs = captured_logs();
    assert!(
        contains_bytes(&logs, b"first-run setup complete"),
        "the logs were captured"
    );
    let database = database_bytes(app).await;
    for (what, secret) in secrets {
        assert_secret_absent(what, secret, &logs, &database);
    }
}

/// Asserts that `secret` is neither in the logs nor in the database, as text or as the
/// hex of its bytes.
pub fn assert_secret_absent(what: &str, secret: &str, logs: &[u8], database: &[u8]) {
    assert!(
        !contains_bytes(logs, secret.as_bytes()),
        "the {what} was logged"
    );
    assert!(
        !contains_bytes(database, secret.as_bytes()),
        "the {what} was stored"
    );
    let hex = hex_lower(secret.as_bytes());
    assert!(
        !contains_bytes(database, hex.as_bytes()),
        "the {what} was stored (as bytes)"
    );
}

fn hex_lower(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

on_both_backends!(secrets_stay_out_of_logs_and_database);
