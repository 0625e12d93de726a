//! The session cookie and the session's life: sign-in, rotation, sign-out, removal,
//! role changes, idle timeout, throttling.

use super::{org_with_admin, org_with_user};
use crate::common::{PASSWORD, TestApp, form, sf_request};
use axum::body::Body;
use axum::http::StatusCode;
use gtx_core::domain::Role;
use gtx_core::keys::random_token;
use gtx_core::services::{IDLE_TIMEOUT_MS, SESSION_COOKIE};

#[tokio::test]
async fn sign_in_sets_a_hardened_session_cookie() {
    let app = TestApp::sqlite().await;
    let org = org_with_user(&app, "ada@acme.example", Role::Member).await;
    let reply = app.try_sign_in("ada@acme.example", PASSWORD).await;
    reply.assert_status(StatusCode::OK);
    let line = reply.session_set_cookie().expect("a session cookie");
    let mut parts = line.split(';').map(str::trim);
    let (name, token) = parts
        .next()
        .and_then(|p| p.split_once('='))
        .expect("name=value");
    assert_eq!(name, SESSION_COOKIE);
    assert!(name.starts_with("__Host-"), "{line}");
    assert_eq!(token.len(), 43, "a 256-bit token: {line}");
    assert!(token.bytes().all(|b| b.is_ascii_alphanumeric()), "{line}");
    let attributes: Vec<String> = parts.map(str::to_ascii_lowercase).collect();
    for required in ["httponly", "secure", "samesite=strict", "path=/"] {
        assert!(
            attributes.iter().any(|a| a == required),
            "{required} missing: {line}"
        );
    }
    let max_age: i64 = attributes
        .iter()
        .find_map(|a| a.strip_prefix("max-age="))
        .expect("Max-Age")
        .parse()
        .expect("a number");
    assert!(max_age > 0, "{line}");
    assert!(
        !attributes.iter().any(|a| a.starts_with("domain=")),
        "__Host- cookies carry no Domain: {line}"
    );
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    assert!(
        !reply.body.contains(token),
        "the token is only in the cookie"
    );
    assert_eq!(
        reply.header("location"),
        Some(format!("/orgs/{}", org.as_str()).as_str()),
        "lands on the organisation"
    );
}

#[tokio::test]
async fn sign_in_issues_a_new_session_each_time() {
    let app = TestApp::sqlite().await;
    org_with_user(&app, "ada@acme.example", Role::Member).await;
    // A token planted before sign-in (session fixation) is not adopted.
    let planted = random_token(43);
    let reply = app
        .send(
            sf_request("sign_in", Some(&planted))
                .header("sec-fetch-site", "same-origin")
                .body(Body::from(form(&[
                    ("email", "ada@acme.example"),
                    ("password", PASSWORD),
                ])))
                .expect("request"),
        )
        .await;
    let first = reply.session_token().expect("first session");
    assert_ne!(first, planted);
    assert!(app.session_user(&planted).await.is_none());

    let second = app.sign_in("ada@acme.example", PASSWORD).await;
    assert_ne!(first, second, "every sign-in gets a new token");
    let (one, two) = (
        app.session_user(&first).await.expect("first live"),
        app.session_user(&second).await.expect("second live"),
    );
    assert_eq!(one.user_id, two.user_id);
    assert_ne!(one.session_id, two.session_id, "separate sessions");

    // Signing out of the first ends only the first.
    let reply = app.call("sign_out", Some(&first), &[]).await;
    reply.assert_status(StatusCode::OK);
    assert!(app.session_user(&first).await.is_none());
    let reply = app.call("list_orgs", Some(&first), &[]).await;
    reply.assert_status(StatusCode::UNAUTHORIZED);
    let reply = app.call("list_orgs", Some(&second), &[]).await;
    reply.assert_status(StatusCode::OK);
}

async fn sign_out_ends_the_session_on_the_server(app: &TestApp) {
    let (org, token) = org_with_admin(app).await;
    let reply = app.call("session_state", Some(&token), &[]).await;
    assert!(reply.json().get("SignedIn").is_some(), "{}", reply.body);

    let reply = app.call("sign_out", Some(&token), &[]).await;
    reply.assert_status(StatusCode::OK);
    let cleared = reply.session_set_cookie().expect("the cookie is cleared");
    assert!(
        cleared.to_ascii_lowercase().contains("max-age=0"),
        "{cleared}"
    );
    assert_eq!(reply.session_token(), None);

    // The old cookie, replayed, signs nobody in.
    assert!(app.session_user(&token).await.is_none());
    let reply = app.call("session_state", Some(&token), &[]).await;
    assert_eq!(reply.json(), "SignedOut", "{}", reply.body);
    let reply = app
        .call("get_org", Some(&token), &[("org_id", org.as_str())])
        .await;
    reply.assert_status(StatusCode::UNAUTHORIZED);
    let reply = app
        .page(&format!("/orgs/{}", org.as_str()), Some(&token))
        .await;
    assert!(reply.is_redirect_to_login(), "{reply:?}");
}

async fn remove_member_ends_their_sessions_at_once(app: &TestApp) {
    let (org, admin) = org_with_admin(app).await;
    let member_id = app
        .create_user(&org, "bob@acme.example", Role::Member)
        .await;
    let member = app.sign_in("bob@acme.example", PASSWORD).await;
    let reply = app
        .call("get_org", Some(&member), &[("org_id", org.as_str())])
        .await;
    reply.assert_status(StatusCode::OK);

    let reply = app
        .call(
            "remove_member",
            Some(&admin),
            &[("org_id", org.as_str()), ("user_id", member_id.as_str())],
        )
        .await;
    reply.assert_status(StatusCode::OK);

    assert!(app.session_user(&member).await.is_none());
    let reply = app
        .call("get_org", Some(&member), &[("org_id", org.as_str())])
        .await;
    reply.assert_status(StatusCode::UNAUTHORIZED);
    let reply = app.call("list_orgs", Some(&admin), &[]).await;
    assert_eq!(
        reply.status,
        StatusCode::OK,
        "the admin's session is untouched"
    );
}

async fn set_member_role_applies_to_live_sessions_at_once(app: &TestApp) {
    let (org, admin) = org_with_admin(app).await;
    let second_id = app.create_user(&org, "eve@acme.example", Role::Admin).await;
    let second = app.sign_in("eve@acme.example", PASSWORD).await;
    let list = |token: String| {
        let org = org.clone();
        async move {
            app.call("list_members", Some(&token), &[("org_id", org.as_str())])
                .await
        }
    };
    assert_eq!(list(second.clone()).await.status, StatusCode::OK);
    let reply = app
        .call(
            "set_member_role",
            Some(&admin),
            &[
                ("org_id", org.as_str()),
                ("user_id", second_id.as_str()),
                ("role", "member"),
            ],
        )
        .await;
    reply.assert_status(StatusCode::OK);
    let reply = list(second).await;
    reply.assert_status(StatusCode::NOT_FOUND);
}

on_both_backends!(
    sign_out_ends_the_session_on_the_server,
    remove_member_ends_their_sessions_at_once,
    set_member_role_applies_to_live_sessions_at_once,
);

#[tokio::test]
async fn session_expires_after_the_idle_timeout() {
    let app = TestApp::sqlite().await;
    let (_, token) = org_with_admin(&app).await;
    app.clock.advance(IDLE_TIMEOUT_MS - 60_000);
    let reply = app.call("list_orgs", Some(&token), &[]).await;
    assert_eq!(
        reply.status,
        StatusCode::OK,
        "still within the idle timeout"
    );
    // That request counted as activity; a whole idle period without one ends it.
    app.clock.advance(IDLE_TIMEOUT_MS);
    let reply = app.call("list_orgs", Some(&token), &[]).await;
    reply.assert_status(StatusCode::UNAUTHORIZED);
}

// ---- sign-in -------------------------------------------------------------------------

#[tokio::test]
async fn sign_in_is_throttled_after_five_failures() {
    let app = TestApp::sqlite().await;
    let org = org_with_user(&app, "ada@acme.example", Role::Member).await;
    app.create_user(&org, "bob@acme.example", Role::Member)
        .await;
    for attempt in 1..=5 {
        let reply = app.try_sign_in("ada@acme.example", "wrong password!").await;
        assert_eq!(
            reply.status,
            StatusCode::UNAUTHORIZED,
            "attempt {attempt}: {}",
            reply.body
        );
        assert_eq!(reply.json(), "BadCredentials", "attempt {attempt}");
    }
    // The sixth is refused even with the right password, without a cookie.
    let reply = app.try_sign_in("ADA@acme.example ", PASSWORD).await;
    reply.assert_status(StatusCode::TOO_MANY_REQUESTS);
    assert!(
        reply.json().get("TooManyAttempts").is_some(),
        "{}",
        reply.body
    );
    let retry_after: i64 = reply
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .expect("seconds");
    assert!((1..=15 * 60).contains(&retry_after), "{retry_after}");
    assert!(reply.session_set_cookie().is_none());

    // Another account is not locked out by someone guessing at this one.
    app.sign_in("bob@acme.example", PASSWORD).await;

    // Still throttled just before the window ends; free after it.
    app.clock.advance(15 * 60 * 1000 - 1_000);
    let reply = app.try_sign_in("ada@acme.example", PASSWORD).await;
    reply.assert_status(StatusCode::TOO_MANY_REQUESTS);
    app.clock.advance(1_000);
    app.sign_in("ada@acme.example", PASSWORD).await;
}

#[tokio::test]
async fn sign_in_answers_alike_for_unknown_email_and_wrong_password() {
    let app = TestApp::sqlite().await;
    org_with_user(&app, "ada@acme.example", Role::Member).await;
    let wrong_password = app
        .try_sign_in("ada@acme.example", "not the password")
        .await;
    let unknown_email = app
        .try_sign_in("nobody@acme.example", "not the password")
        .await;
    assert_eq!(wrong_password.status, StatusCode::UNAUTHORIZED);
    assert_eq!(wrong_password.status, unknown_email.status);
    assert_eq!(wrong_password.body, unknown_email.body);
    assert_eq!(wrong_password.json(), "BadCredentials");
    assert!(wrong_password.session_set_cookie().is_none());
    assert!(unknown_email.session_set_cookie().is_none());
}
