//! First-run setup: once, with the token from the console.

use super::setup_fields;
use crate::common::{PASSWORD, Reply, TestApp};
use axum::http::StatusCode;
use gtx_core::db::repo::orgs;
use gtx_core::keys::random_token;

/// `complete_setup` with `token`, for an admin `email` with password [`PASSWORD`].
async fn complete_setup(app: &TestApp, token: &str, email: &str) -> Reply {
    app.call(
        "complete_setup",
        None,
        &setup_fields(token, email, PASSWORD),
    )
    .await
}

#[tokio::test]
async fn complete_setup_works_once_with_the_right_token() {
    let app = TestApp::sqlite().await;
    let token = app.setup_token.clone().expect("a setup token");
    let reply = app.page("/setup", None).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(reply.body.contains("Setup token"), "{}", reply.body);
    assert_eq!(
        app.call("session_state", None, &[]).await.json(),
        "SetupRequired"
    );

    let wrong = random_token(24);
    let reply = complete_setup(&app, &wrong, "ada@acme.example").await;
    reply.assert_invalid("field", "setup_token");
    assert!(reply.session_set_cookie().is_none());
    let pool = app.services.db().pool();
    assert!(orgs::list_all(pool).await.expect("orgs").is_empty());

    let reply = complete_setup(&app, &token, "ada@acme.example").await;
    reply.assert_status(StatusCode::OK);
    let session = reply.session_token().expect("signed in");
    let org = orgs::list_all(pool).await.expect("orgs").remove(0);
    assert_eq!(org.name, "Acme");
    assert_eq!(
        reply.header("location"),
        Some(format!("/orgs/{}", org.id.as_str()).as_str())
    );
    let reply = app.call("session_state", Some(&session), &[]).await;
    assert_eq!(reply.json()["SignedIn"]["email"], "ada@acme.example");
    let reply = app
        .call(
            "list_members",
            Some(&session),
            &[("org_id", org.id.as_str())],
        )
        .await;
    assert_eq!(
        reply.json()["members"][0]["role"],
        "admin",
        "{}",
        reply.body
    );

    // Gone for good: the same token again, and the page.
    let reply = complete_setup(&app, &token, "mallory@evil.example").await;
    reply.assert_status(StatusCode::NOT_FOUND);
    assert_eq!(reply.json(), "NotFound");
    let reply = app.page("/setup", None).await;
    reply.assert_status(StatusCode::NOT_FOUND);
    assert!(!reply.body.contains("Setup token"));
    assert_eq!(orgs::list_all(pool).await.expect("orgs").len(), 1);
}

#[tokio::test]
async fn complete_setup_is_not_found_without_a_configured_token() {
    let app = TestApp::sqlite_with(None).await;
    let reply = complete_setup(&app, "", "ada@acme.example").await;
    reply.assert_status(StatusCode::NOT_FOUND);
    assert!(
        orgs::list_all(app.services.db().pool())
            .await
            .expect("orgs")
            .is_empty()
    );
}

/// `complete_setup` from a browser behind the trusted proxy at `forwarded_for`.
async fn setup_via_proxy(app: &TestApp, forwarded_for: &str, token: &str, email: &str) -> Reply {
    let request = crate::common::sf_request("complete_setup", None)
        .header("sec-fetch-site", "same-origin")
        .header("x-forwarded-for", forwarded_for)
        .body(axum::body::Body::from(crate::common::form(&setup_fields(
            token, email, PASSWORD,
        ))))
        .expect("request");
    app.send_from(
        std::net::SocketAddr::from(([127, 0, 0, 1], 40_000)),
        request,
    )
    .await
}

async fn concurrent_setups_let_exactly_one_win(app: &TestApp) {
    let token = app.setup_token.clone().expect("a setup token");
    let attempts = (0..20).map(|i| {
        let token = token.clone();
        async move {
            setup_via_proxy(
                app,
                &format!("198.51.100.{i}"),
                &token,
                &format!("admin{i}@acme.example"),
            )
            .await
            .status
        }
    });
    let statuses = futures_util::future::join_all(attempts).await;
    let won = statuses.iter().filter(|s| **s == StatusCode::OK).count();
    assert_eq!(won, 1, "{statuses:?}");
    for status in &statuses {
        // The others lost the race (404: setup is gone) or found the password hashing
        // queue full (429): nothing else.
        assert!(
            matches!(
                *status,
                StatusCode::OK | StatusCode::NOT_FOUND | StatusCode::TOO_MANY_REQUESTS
            ),
            "{statuses:?}"
        );
    }
    let pool = app.services.db().pool();
    assert_eq!(orgs::list_all(pool).await.expect("orgs").len(), 1);
    let users: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM users")
        .fetch_one(pool)
        .await
        .expect("count users");
    assert_eq!(users, 1);
}

async fn setup_with_wrong_tokens_is_throttled_per_address(app: &TestApp) {
    let token = app.setup_token.clone().expect("a setup token");
    for i in 0..10 {
        let reply =
            setup_via_proxy(app, "203.0.113.9", &random_token(24), "ada@acme.example").await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "attempt {i}: {}",
            reply.body
        );
    }
    // The eleventh is refused before the token is even compared, right token or not.
    let reply = setup_via_proxy(app, "203.0.113.9", &token, "ada@acme.example").await;
    reply.assert_status(StatusCode::TOO_MANY_REQUESTS);
    assert!(reply.header("retry-after").is_some());
    // The operator, from another address, is not locked out.
    let reply = setup_via_proxy(app, "192.0.2.1", &token, "ada@acme.example").await;
    reply.assert_status(StatusCode::OK);
}

on_both_backends!(
    concurrent_setups_let_exactly_one_win,
    setup_with_wrong_tokens_is_throttled_per_address,
);
