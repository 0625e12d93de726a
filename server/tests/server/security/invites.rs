//! Invites that must stop working, throttling under a burst, and session replacement.

use super::org_with_admin;
use crate::common::{PASSWORD, TestApp};
use axum::http::StatusCode;
use gtx_core::domain::Role;

/// Invites `email` through the server function; returns (invite token, invite id).
async fn invite(
    app: &TestApp,
    admin: &str,
    org: &str,
    email: &str,
    role: &str,
) -> (String, String) {
    let reply = app.invite_member(admin, org, email, role).await;
    reply.assert_status(StatusCode::OK);
    let token = reply.invite_token();
    let (found, _) = app.services.find_invite(&token).await.expect("open invite");
    (token, found.id)
}

#[tokio::test]
async fn withdraw_invite_stops_the_link_at_once() {
    let app = TestApp::sqlite().await;
    let (org, admin) = org_with_admin(&app).await;
    let (token, id) = invite(&app, &admin, org.as_str(), "new@acme.example", "member").await;
    let reply = app
        .call(
            "withdraw_invite",
            Some(&admin),
            &[("org_id", org.as_str()), ("invite_id", &id)],
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let reply = app.call("get_invite", None, &[("token", &token)]).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    let reply = app
        .call(
            "accept_invite",
            None,
            &[("token", &token), ("name", "New"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    app.close().await;
}

#[tokio::test]
async fn admin_invite_stops_working_when_its_maker_is_no_longer_admin() {
    let app = TestApp::sqlite().await;
    let (org, admin) = org_with_admin(&app).await;
    let (token, _) = invite(&app, &admin, org.as_str(), "boss@acme.example", "admin").await;
    // A second admin demotes the inviter.
    let inviter = app.session_user(&admin).await.expect("session").user_id;
    app.create_user(&org, "other-admin@acme.example", Role::Admin)
        .await;
    let other = app.sign_in("other-admin@acme.example", PASSWORD).await;
    let reply = app
        .call(
            "set_member_role",
            Some(&other),
            &[
                ("org_id", org.as_str()),
                ("user_id", inviter.as_str()),
                ("role", "member"),
            ],
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let reply = app
        .call(
            "accept_invite",
            None,
            &[("token", &token), ("name", "Boss"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND, "{}", reply.body);
    app.close().await;
}

#[tokio::test]
async fn sign_in_burst_is_throttled_before_the_password_check() {
    let app = std::sync::Arc::new(TestApp::sqlite().await);
    let (_org, _admin) = org_with_admin(&app).await;
    let mut tasks = Vec::new();
    for _ in 0..20 {
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            app.call(
                "sign_in",
                None,
                &[
                    ("email", "admin@acme.example"),
                    ("password", "wrong password!"),
                ],
            )
            .await
            .status
        }));
    }
    let mut checked = 0;
    let mut throttled = 0;
    for task in tasks {
        match task.await.expect("task") {
            StatusCode::UNAUTHORIZED => checked += 1,
            StatusCode::TOO_MANY_REQUESTS => throttled += 1,
            other => panic!("unexpected status {other}"),
        }
    }
    assert!(
        checked <= 5,
        "{checked} passwords were checked in a burst of 20"
    );
    assert_eq!(checked + throttled, 20);
}

#[tokio::test]
async fn sign_in_ends_the_session_the_browser_had() {
    let app = TestApp::sqlite().await;
    let (_org, first) = org_with_admin(&app).await;
    let reply = app
        .call(
            "sign_in",
            Some(&first),
            &[("email", "admin@acme.example"), ("password", PASSWORD)],
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let second = reply.session_token().expect("new cookie");
    assert_ne!(second, first);
    assert!(
        app.session_user(&first).await.is_none(),
        "the replaced session still works"
    );
    assert!(app.session_user(&second).await.is_some());
    app.close().await;
}
