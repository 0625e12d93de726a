//! Usage recording through the real router: verify and platform API calls count per
//! outcome, across two instances on one PostgreSQL.

use super::{World, call, code_of};
use crate::common::TestApp;
use axum::http::Method;
use gtx_core::db::repo::usage::{self, Buckets};
use gtx_core::domain::usage::UsageRange;
use gtx_core::services::Actor;

/// The totals per code of `key` over the last 24 hours, as the detail page reads them.
async fn totals(app: &TestApp, key: &gtx_core::domain::KeyId) -> [u64; 7] {
    app.services
        .key_detail(&Actor::operator(), key, UsageRange::Day)
        .await
        .expect("detail")
        .series
        .totals()
}

async fn platform_calls_count_their_outcome_permissions_and_client(app: &TestApp) {
    let w = World::build(app).await;
    // files:read only: creating a project is refused, and counted as such.
    let reply = call(
        app,
        Method::POST,
        "/api/v1/projects",
        Some(&w.org_files.text),
        None,
        Some(serde_json::json!({ "name": "New" })),
    )
    .await;
    assert_eq!(reply.status, 403, "{}", reply.body);
    let reply = call(
        app,
        Method::GET,
        "/api/v1/whoami",
        Some(&w.org_files.text),
        None,
        None,
    )
    .await;
    assert_eq!(reply.status, 200);
    app.services.flush_usage().await.expect("flush");
    assert_eq!(totals(app, &w.org_files.id).await, [1, 0, 0, 0, 0, 0, 1]);
    let asked = usage::asked_since(app.services.db().pool(), Buckets::Hours, &w.org_files.id, 0)
        .await
        .expect("asked");
    assert_eq!(asked.to_strings(), ["project_creation"]);
    let (ip, agent) = usage::last_client(app.services.db().pool(), &w.org_files.id)
        .await
        .expect("client");
    assert_eq!(ip.as_deref(), Some("127.0.0.1"));
    assert_eq!(agent, None, "the test client sends no user agent");
}

on_both_backends!(platform_calls_count_their_outcome_permissions_and_client);

#[tokio::test]
async fn usage_counts_from_two_instances_add_up() {
    let Some((a, b)) = TestApp::postgres_pair("usage_across_instances").await else {
        return;
    };
    let w = World::build(&a).await;
    for _ in 0..3 {
        assert_eq!(code_of(&a, &w.prod.text, None, &[]).await, "VALID");
    }
    for _ in 0..4 {
        assert_eq!(
            code_of(&b, &w.prod.text, Some(&w.sibling), &[]).await,
            "WRONG_PROJECT"
        );
        assert_eq!(code_of(&b, &w.prod.text, None, &[]).await, "VALID");
    }
    a.services.flush_usage().await.expect("flush a");
    b.services.flush_usage().await.expect("flush b");
    assert_eq!(totals(&a, &w.prod.id).await, [7, 0, 0, 0, 0, 4, 0]);
    assert_eq!(totals(&b, &w.prod.id).await, [7, 0, 0, 0, 0, 4, 0]);
    b.services.db().close().await;
    drop(b);
    a.close().await;
}
