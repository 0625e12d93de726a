//! `POST /api/v1/keys/report-leak`, through the real router: a report revokes a live key
//! before the next check, answers the same bytes whatever the text was, refuses bad
//! fields without changing anything, is limited per client address, and on PostgreSQL
//! reaches another instance within 2 seconds.

use super::{World, assert_error, call, code_of, time_until};
use crate::common::{Reply, TestApp};
use axum::body::Body;
use axum::http::{Method, Request, header};
use gtx_core::domain::{KeyType, OrgId};
use gtx_core::services::Actor;
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::time::Duration;

const PATH: &str = "/api/v1/keys/report-leak";

async fn report(app: &TestApp, body: Value) -> Reply {
    call(app, Method::POST, PATH, None, None, body.into()).await
}

/// A report from `peer`, with a body that is only text.
async fn report_from(app: &TestApp, peer: [u8; 4], body: &str) -> Reply {
    let request = Request::post(PATH)
        .header(header::CONTENT_TYPE, "application/json")
        .body(Body::from(body.to_owned()))
        .expect("request");
    app.send_from(SocketAddr::from((peer, 40_000)), request)
        .await
}

/// The audit rows of `org` with `action`: (actor label, details as JSON).
pub(super) async fn audited(app: &TestApp, org: &OrgId, action: &str) -> Vec<(String, Value)> {
    let events = app
        .services
        .list_audit(
            &Actor::operator(),
            org,
            &Default::default(),
            Default::default(),
        )
        .await
        .expect("audit");
    events
        .rows
        .into_iter()
        .filter(|e| e.action == action)
        .map(|e| {
            let details = e.details.as_deref().unwrap_or("null");
            (
                e.actor_label,
                serde_json::from_str(details).expect("details"),
            )
        })
        .collect()
}

async fn report_leak_revokes_a_live_key_at_once(app: &TestApp) {
    let w = World::build(app).await;
    // Cached as valid first: the report must reach the cache too.
    assert_eq!(code_of(app, &w.prod.text, None, &[]).await, "VALID");
    let url = "https://github.com/example/app/blob/main/.env";
    let reply = report(
        app,
        json!({ "key": w.prod.text, "url": url, "source": "commit" }),
    )
    .await;
    assert_eq!(reply.status, 202, "{}", reply.body);
    assert_eq!(code_of(app, &w.prod.text, None, &[]).await, "REVOKED");
    let rows = audited(app, &w.org, "key.leaked").await;
    assert_eq!(rows.len(), 1, "{rows:?}");
    let (actor, details) = &rows[0];
    assert_eq!(actor, "leak report (public report)");
    assert_eq!(details["url"], url);
    assert_eq!(details["source"], "commit");
    assert_eq!(details["key_type"], "production");
    // The key's record says who revoked it; other keys are untouched.
    let record = gtx_core::db::repo::keys::get(app.services.db().pool(), &w.org, &w.prod.id)
        .await
        .expect("get")
        .expect("key");
    assert_eq!(
        record.revoked_by_label.as_deref(),
        Some("leak report (public report)")
    );
    assert_eq!(code_of(app, &w.dev.text, None, &[]).await, "VALID");
    // A second report of the same key changes nothing more.
    let again = report(app, json!({ "key": w.prod.text, "url": url })).await;
    assert_eq!(again.status, 202);
    assert_eq!(audited(app, &w.org, "key.leaked").await.len(), 1);
}

async fn report_leak_answers_the_same_bytes_for_every_key(app: &TestApp) {
    let w = World::build(app).await;
    let unknown = gtx_core::keys::generate_key(KeyType::Production)
        .expose()
        .to_owned();
    let live = report(app, json!({ "key": w.org_files.text })).await;
    assert_eq!(live.status, 202, "{}", live.body);
    // w.org_files is now revoked: reported again, it is a revoked key.
    for text in [
        unknown.as_str(),
        w.org_files.text.as_str(),
        "gtx-api-not-a-key",
        "",
    ] {
        let other = report(app, json!({ "key": text })).await;
        assert_eq!(other.status, live.status, "{text}");
        assert_eq!(other.body, live.body, "{text}");
        assert_eq!(
            other.header("content-type"),
            live.header("content-type"),
            "{text}"
        );
    }
    assert_eq!(live.header("cache-control"), Some("no-store"));
    assert_eq!(code_of(app, &w.org_files.text, None, &[]).await, "REVOKED");
}

async fn report_leak_refuses_bad_fields_and_changes_nothing(app: &TestApp) {
    let w = World::build(app).await;
    let key = w.prod.text.as_str();
    let long_source = "s".repeat(101);
    let long_url = format!("https://example.com/{}", "a".repeat(2048));
    let bad = [
        (json!({ "url": "https://example.com" }), "invalid_body"),
        (json!({ "key": 42 }), "invalid_body"),
        (
            json!({ "key": key, "url": "ftp://example.com/x" }),
            "invalid_field",
        ),
        (json!({ "key": key, "url": "https://" }), "invalid_field"),
        (
            json!({ "key": key, "url": "https://example.com/\nx" }),
            "invalid_field",
        ),
        (json!({ "key": key, "url": long_url }), "invalid_field"),
        (
            json!({ "key": key, "url": "https://example.com", "source": long_source }),
            "invalid_field",
        ),
        (json!({ "key": key, "source": "a\u{7}b" }), "invalid_field"),
    ];
    for (body, code) in bad {
        let reply = report(app, body.clone()).await;
        assert_error(&reply, 422, code);
        assert_eq!(code_of(app, key, None, &[]).await, "VALID", "{body}");
    }
    let not_json = report_from(app, [192, 0, 2, 1], &format!("[\"{key}\"]")).await;
    assert_error(&not_json, 422, "invalid_body");
    assert_eq!(code_of(app, key, None, &[]).await, "VALID");
    assert!(audited(app, &w.org, "key.leaked").await.is_empty());
}

async fn report_leak_is_limited_per_address(app: &TestApp) {
    let unknown = gtx_core::keys::generate_key(KeyType::Production)
        .expose()
        .to_owned();
    let body = json!({ "key": unknown }).to_string();
    for i in 0..60 {
        let reply = report_from(app, [198, 51, 100, 7], &body).await;
        assert_eq!(reply.status, 202, "report {i}: {}", reply.body);
    }
    let refused = report_from(app, [198, 51, 100, 7], &body).await;
    assert_error(&refused, 429, "too_many_requests");
    let wait: u64 = refused
        .header("retry-after")
        .and_then(|v| v.parse().ok())
        .expect("Retry-After");
    assert!((1..=60).contains(&wait), "{wait}");
    // Bad requests use up the budget too; another address has its own.
    assert_eq!(report_from(app, [198, 51, 100, 7], "{}").await.status, 429);
    assert_eq!(report_from(app, [198, 51, 100, 8], &body).await.status, 202);
}

on_both_backends!(
    report_leak_revokes_a_live_key_at_once,
    report_leak_answers_the_same_bytes_for_every_key,
    report_leak_refuses_bad_fields_and_changes_nothing,
    report_leak_is_limited_per_address,
);

#[tokio::test]
async fn report_leak_fails_the_key_on_another_instance_within_two_seconds() {
    let Some((a, b)) = TestApp::postgres_pair("report_leak").await else {
        return;
    };
    let w = World::build(&a).await;
    assert_eq!(
        code_of(&b, &w.prod.text, None, &[]).await,
        "VALID",
        "cached on b"
    );
    let reply = report(&a, json!({ "key": w.prod.text })).await;
    assert_eq!(reply.status, 202, "{}", reply.body);
    let took = time_until(&b, &w.prod.text, &[], "VALID", "REVOKED").await;
    assert!(took < Duration::from_secs(2), "took {took:?}");
    b.services.db().close().await;
    drop(b);
    a.close().await;
}
