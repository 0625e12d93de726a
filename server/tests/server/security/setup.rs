//! First-run setup: once, with the token from the console.

use super::setup_fields;
use crate::common::{PASSWORD, TestApp};
use axum::http::StatusCode;
use gtx_core::db::repo::orgs;
use gtx_core::keys::random_token;

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
    let reply = app
        .call(
            "complete_setup",
            None,
            &setup_fields(&wrong, "ada@acme.example", PASSWORD),
        )
        .await;
    assert_eq!(
        reply.status,
        StatusCode::UNPROCESSABLE_ENTITY,
        "{}",
        reply.body
    );
    assert_eq!(
        reply.json()["Invalid"]["field"],
        "setup_token",
        "{}",
        reply.body
    );
    assert!(reply.session_set_cookie().is_none());
    let pool = app.services.db().pool();
    assert!(orgs::list_all(pool).await.expect("orgs").is_empty());

    let reply = app
        .call(
            "complete_setup",
            None,
            &setup_fields(&token, "ada@acme.example", PASSWORD),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
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
    let reply = app
        .call(
            "complete_setup",
            None,
            &setup_fields(&token, "mallory@evil.example", PASSWORD),
        )
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND, "{}", reply.body);
    assert_eq!(reply.json(), "NotFound");
    let reply = app.page("/setup", None).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND, "{}", reply.body);
    assert!(!reply.body.contains("Setup token"));
    assert_eq!(orgs::list_all(pool).await.expect("orgs").len(), 1);
}

#[tokio::test]
async fn complete_setup_is_not_found_without_a_configured_token() {
    let app = TestApp::sqlite_with(None).await;
    let reply = app
        .call(
            "complete_setup",
            None,
            &setup_fields("", "ada@acme.example", PASSWORD),
        )
        .await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND, "{}", reply.body);
    assert!(
        orgs::list_all(app.services.db().pool())
            .await
            .expect("orgs")
            .is_empty()
    );
}
