//! `POST /api/v1/keys/verify`: every code, scope, permissions, and time.

use super::{Key, World, code_of, org_key, project_key, verify};
use crate::common::{TestApp, captured_logs, contains_bytes};
use axum::body::Body;
use axum::http::{Request, header};
use gtx_core::db::repo::keys;
use gtx_core::domain::lifetime::GracePeriod;
use gtx_core::domain::{KeyType, PermissionSet};
use gtx_core::services::Actor;
use serde_json::json;

const HOUR_MS: i64 = 60 * 60 * 1000;

/// A well-formed key (valid checksum) that was never issued.
fn unknown_key() -> String {
    gtx_core::keys::generate_key(KeyType::Production)
        .expose()
        .to_owned()
}

/// A key of `w.project` that expires an hour from now.
async fn project_key_for_an_hour(app: &TestApp, w: &World, key_type: KeyType, name: &str) -> Key {
    let expires_at = app.services.now() + HOUR_MS;
    project_key(app, &w.project, key_type, name, Some(expires_at)).await
}

/// A read-only organisation key of `w.org` that expires an hour from now.
async fn read_only_org_key_for_an_hour(app: &TestApp, w: &World, name: &str) -> Key {
    let expires_at = app.services.now() + HOUR_MS;
    org_key(
        app,
        &w.org,
        PermissionSet::read_only(),
        name,
        Some(expires_at),
    )
    .await
}

async fn verify_answers_every_code(app: &TestApp) {
    let w = World::build(app).await;
    let expiring = project_key_for_an_hour(app, &w, KeyType::Production, "short").await;

    let reply = verify(app, json!({ "key": w.prod.text, "project_id": w.project.as_str(), "permissions": ["files:write"] })).await;
    assert_eq!(reply.status, 200);
    let body = reply.json();
    assert_eq!(body["valid"], true);
    assert_eq!(body["code"], "VALID");
    assert_eq!(body["key"]["id"], w.prod.id.as_str());
    assert_eq!(body["key"]["name"], "prod");
    assert_eq!(body["key"]["kind"], "project");
    assert_eq!(body["key"]["environment"], "production");
    assert_eq!(body["key"]["organisation_id"], w.org.as_str());
    assert_eq!(body["key"]["project_id"], w.project.as_str());
    let project_perms: Vec<String> = PermissionSet::project_key().to_strings();
    assert_eq!(body["key"]["permissions"], json!(project_perms));
    assert!(
        !body.to_string().contains(&w.prod.text),
        "the key is never echoed"
    );

    let dev = verify(app, json!({ "key": w.dev.text })).await.json();
    assert_eq!(dev["key"]["environment"], "development");
    let org = verify(app, json!({ "key": w.org_full.text })).await.json();
    assert_eq!(org["key"]["kind"], "organisation");
    assert_eq!(org["key"]["environment"], json!(null));
    assert_eq!(org["key"]["project_id"], json!(null));

    let mut typo = w.prod.text.clone();
    typo.replace_range(10..11, if &typo[10..11] == "a" { "b" } else { "a" });
    let malformed = verify(app, json!({ "key": typo })).await.json();
    assert_eq!(malformed["code"], "MALFORMED");
    assert_eq!(malformed["valid"], false);
    assert!(malformed["reason"].is_string(), "{malformed}");
    assert!(malformed.get("key").is_none());
    assert_eq!(code_of(app, "", None, &[]).await, "MALFORMED");
    assert_eq!(code_of(app, "not a key", None, &[]).await, "MALFORMED");

    assert_eq!(code_of(app, &unknown_key(), None, &[]).await, "NOT_FOUND");

    app.services
        .revoke_key(&Actor::operator(), &w.dev.id)
        .await
        .expect("revoke");
    assert_eq!(code_of(app, &w.dev.text, None, &[]).await, "REVOKED");

    app.clock.advance(HOUR_MS);
    assert_eq!(code_of(app, &expiring.text, None, &[]).await, "EXPIRED");

    assert_eq!(
        code_of(app, &w.prod.text, Some(&w.sibling), &[]).await,
        "WRONG_PROJECT"
    );

    let insufficient = verify(
        app,
        json!({ "key": w.org_files.text, "permissions": ["files:read", "project_settings", "context:write"] }),
    )
    .await
    .json();
    assert_eq!(insufficient["code"], "INSUFFICIENT_PERMISSIONS");
    assert_eq!(insufficient["valid"], false);
    assert_eq!(
        insufficient["missing_permissions"],
        json!(["context:write", "project_settings"])
    );
}

/// The code of verifying `key` for `w.foreign_project`, asking for `project_settings`.
async fn foreign_settings_code(app: &TestApp, w: &World, key: &Key) -> String {
    code_of(
        app,
        &key.text,
        Some(&w.foreign_project),
        &["project_settings"],
    )
    .await
}

async fn verify_codes_follow_their_precedence(app: &TestApp) {
    let w = World::build(app).await;
    // Revoked and expired and for the wrong project and short of permissions: REVOKED.
    let key = read_only_org_key_for_an_hour(app, &w, "all wrong").await;
    app.services
        .revoke_key(&Actor::operator(), &key.id)
        .await
        .expect("revoke");
    app.clock.advance(2 * HOUR_MS);
    assert_eq!(foreign_settings_code(app, &w, &key).await, "REVOKED");
    // Expired, wrong project, short of permissions: EXPIRED.
    let key = read_only_org_key_for_an_hour(app, &w, "late").await;
    app.clock.advance(HOUR_MS);
    assert_eq!(foreign_settings_code(app, &w, &key).await, "EXPIRED");
    // Wrong project and short of permissions: WRONG_PROJECT.
    assert_eq!(
        foreign_settings_code(app, &w, &w.org_files).await,
        "WRONG_PROJECT"
    );
}

async fn verify_write_implies_read(app: &TestApp) {
    let w = World::build(app).await;
    let body = verify(
        app,
        json!({ "key": w.org_files.text, "permissions": ["files:read", "files:write", "context:read"] }),
    )
    .await
    .json();
    assert_eq!(body["code"], "VALID", "{body}");
    assert_eq!(
        body["key"]["permissions"],
        json!(["files:read", "files:write", "context:read"])
    );
    assert_eq!(
        code_of(app, &w.org_files.text, None, &["context:write"]).await,
        "INSUFFICIENT_PERMISSIONS"
    );
    // A project key holds every permission of its project, but not project creation.
    assert_eq!(
        code_of(
            app,
            &w.prod.text,
            Some(&w.project),
            &["context:write", "files:read", "project_settings"]
        )
        .await,
        "VALID"
    );
    assert_eq!(
        code_of(app, &w.prod.text, Some(&w.project), &["project_creation"]).await,
        "INSUFFICIENT_PERMISSIONS"
    );
}

async fn verify_org_key_reaches_only_its_own_organisation(app: &TestApp) {
    let w = World::build(app).await;
    for project in [&w.project, &w.sibling] {
        assert_eq!(
            code_of(app, &w.org_full.text, Some(project), &[]).await,
            "VALID"
        );
    }
    assert_eq!(
        code_of(app, &w.org_full.text, Some(&w.foreign_project), &[]).await,
        "WRONG_PROJECT"
    );
    let unknown = gtx_core::domain::ProjectId("no-such-project".to_owned());
    assert_eq!(
        code_of(app, &w.org_full.text, Some(&unknown), &[]).await,
        "WRONG_PROJECT"
    );
    // A project created after the key was cached is reached too.
    let later = app.create_project(&w.org, "Later").await;
    assert_eq!(
        code_of(app, &w.org_full.text, Some(&later), &[]).await,
        "VALID"
    );
    assert_eq!(
        code_of(app, &w.foreign_prod.text, Some(&w.foreign_project), &[]).await,
        "VALID"
    );
    assert!(w.other_org != w.org);
}

async fn verify_project_key_reaches_only_its_own_project(app: &TestApp) {
    let w = World::build(app).await;
    for key in [&w.prod, &w.dev] {
        assert_eq!(
            code_of(app, &key.text, Some(&w.project), &[]).await,
            "VALID"
        );
        assert_eq!(code_of(app, &key.text, None, &[]).await, "VALID");
        for other in [&w.sibling, &w.foreign_project] {
            assert_eq!(
                code_of(app, &key.text, Some(other), &[]).await,
                "WRONG_PROJECT"
            );
        }
    }
}

async fn revoke_fails_the_very_next_request(app: &TestApp) {
    let w = World::build(app).await;
    for _ in 0..3 {
        assert_eq!(code_of(app, &w.org_full.text, None, &[]).await, "VALID");
    }
    assert!(!app.services.key_cache().is_empty(), "the key is cached");
    app.services
        .revoke_key(&Actor::operator(), &w.org_full.id)
        .await
        .expect("revoke");
    assert_eq!(code_of(app, &w.org_full.text, None, &[]).await, "REVOKED");
    // Other keys are unaffected.
    assert_eq!(code_of(app, &w.org_files.text, None, &[]).await, "VALID");
}

async fn expiry_ends_on_time_from_the_cache(app: &TestApp) {
    let w = World::build(app).await;
    let key = project_key_for_an_hour(app, &w, KeyType::Development, "expiring").await;
    assert_eq!(code_of(app, &key.text, None, &[]).await, "VALID");
    app.clock.advance(HOUR_MS - 1);
    assert_eq!(code_of(app, &key.text, None, &[]).await, "VALID");
    app.clock.advance(1);
    assert_eq!(code_of(app, &key.text, None, &[]).await, "EXPIRED");
}

async fn verify_valid_answer_is_the_documented_object_every_time(app: &TestApp) {
    let w = World::build(app).await;
    let record = keys::get(app.services.db().pool(), &w.org, &w.prod.id)
        .await
        .expect("get")
        .expect("key");
    let expected = json!({
        "valid": true,
        "code": "VALID",
        "key": {
            "id": w.prod.id.as_str(),
            "name": "prod",
            "hint": record.hint,
            "kind": "project",
            "environment": "production",
            "organisation_id": w.org.as_str(),
            "project_id": w.project.as_str(),
            "permissions": PermissionSet::project_key().to_strings(),
            "scopes": PermissionSet::project_key().gt_scopes().collect::<Vec<_>>(),
            "expires_at": null,
        }
    });
    // The first answer makes the key's part, the next ones copy it: the same object.
    let first = verify(app, json!({ "key": w.prod.text })).await;
    let second = verify(app, json!({ "key": w.prod.text })).await;
    assert_eq!(first.header("content-type"), Some("application/json"));
    assert_eq!(first.json(), expected);
    assert_eq!(second.body, first.body);
}

/// A valid answer is written by hand (`KeyInfo::write_valid_answer`): byte for byte what
/// serde writes for the same key, which `whoami` answers, for every kind of key, with and
/// without expiry, and with a name that needs escaping.
async fn verify_valid_answer_is_serdes_for_every_kind_of_key(app: &TestApp) {
    let w = World::build(app).await;
    let odd = r#"CI "deploy" \ key — 日本 </script>"#;
    let keys = [
        project_key_for_an_hour(app, &w, KeyType::Production, odd).await,
        project_key_for_an_hour(app, &w, KeyType::Development, "answer dev").await,
        project_key(app, &w.sibling, KeyType::Production, "answer sibling", None).await,
        read_only_org_key_for_an_hour(app, &w, "answer org").await,
        org_key(app, &w.org, PermissionSet::full(), "answer full", None).await,
    ];
    for key in &keys {
        let answer = verify(app, json!({ "key": key.text })).await;
        let request = Request::get("/api/v1/whoami")
            .header(header::AUTHORIZATION, format!("Bearer {}", key.text))
            .body(Body::empty())
            .expect("request");
        let whoami = app.send(request).await;
        assert_eq!(whoami.status, 200, "{}", whoami.body);
        assert_eq!(
            answer.body,
            format!(r#"{{"valid":true,"code":"VALID","key":{}}}"#, whoami.body)
        );
    }
    assert!(
        verify(app, json!({ "key": keys[0].text }))
            .await
            .body
            .contains(r#""name":"CI \"deploy\" \\ key — 日本 </script>""#)
    );
}

async fn rotation_grace_period_ends_on_time(app: &TestApp) {
    let w = World::build(app).await;
    // Cached as valid, with no expiry.
    assert_eq!(code_of(app, &w.prod.text, None, &[]).await, "VALID");
    let rotated = app
        .services
        .rotate_key(&Actor::operator(), &w.prod.id, GracePeriod::OneHour)
        .await
        .expect("rotate");
    let replacement = rotated.created.key.expose().to_owned();
    assert_eq!(code_of(app, &w.prod.text, None, &[]).await, "VALID");
    assert_eq!(code_of(app, &replacement, None, &[]).await, "VALID");
    app.clock.advance(HOUR_MS - 1);
    assert_eq!(code_of(app, &w.prod.text, None, &[]).await, "VALID");
    app.clock.advance(1);
    assert_eq!(code_of(app, &w.prod.text, None, &[]).await, "EXPIRED");
    assert_eq!(code_of(app, &replacement, None, &[]).await, "VALID");
}

async fn rotation_with_no_grace_ends_the_cached_key_at_once(app: &TestApp) {
    let w = World::build(app).await;
    assert_eq!(code_of(app, &w.dev.text, None, &[]).await, "VALID");
    app.services
        .rotate_key(&Actor::operator(), &w.dev.id, GracePeriod::Now)
        .await
        .expect("rotate");
    assert_eq!(code_of(app, &w.dev.text, None, &[]).await, "EXPIRED");
}

async fn malformed_keys_and_cache_hits_touch_no_database(app: &TestApp) {
    let w = World::build(app).await;
    assert_eq!(
        code_of(app, &w.org_full.text, None, &["files:write"]).await,
        "VALID"
    );
    let unknown = unknown_key();
    assert_eq!(code_of(app, &unknown, None, &[]).await, "NOT_FOUND");
    // With the database gone, only what needs no database can still be answered.
    app.services.db().close().await;
    assert_eq!(code_of(app, "gtx-api-short", None, &[]).await, "MALFORMED");
    assert_eq!(
        code_of(app, &w.org_full.text, None, &["files:write"]).await,
        "VALID"
    );
    assert_eq!(code_of(app, &unknown, None, &[]).await, "NOT_FOUND");
    let uncached = verify(app, json!({ "key": w.prod.text })).await;
    assert_eq!(uncached.status, 503, "{}", uncached.body);
    assert_eq!(uncached.json()["error"]["code"], "unavailable");
}

async fn last_used_is_written_in_batches_to_the_minute(app: &TestApp) {
    let w = World::build(app).await;
    let last_used = |id| async move {
        keys::get_unscoped(app.services.db().pool(), id)
            .await
            .expect("get")
            .expect("key")
            .last_used_at
    };
    app.clock.advance(12_345);
    let now = app.services.now();
    for _ in 0..5 {
        assert_eq!(code_of(app, &w.prod.text, None, &[]).await, "VALID");
    }
    assert_eq!(last_used(&w.prod.id).await, None, "no write per request");
    assert_eq!(app.services.flush_last_used().await.expect("flush"), 1);
    assert_eq!(last_used(&w.prod.id).await, Some(now - now % 60_000));
    // Nothing new to write within the same minute; the next minute is written once.
    assert_eq!(code_of(app, &w.prod.text, None, &[]).await, "VALID");
    assert_eq!(app.services.flush_last_used().await.expect("flush"), 0);
    app.clock.advance(60_000);
    assert_eq!(code_of(app, &w.prod.text, None, &[]).await, "VALID");
    assert_eq!(app.services.flush_last_used().await.expect("flush"), 1);
    let later = app.services.now();
    assert_eq!(last_used(&w.prod.id).await, Some(later - later % 60_000));
    // A revoked or unknown key is not "used".
    assert_eq!(last_used(&w.dev.id).await, None);
}

on_both_backends!(
    verify_answers_every_code,
    verify_codes_follow_their_precedence,
    verify_write_implies_read,
    verify_org_key_reaches_only_its_own_organisation,
    verify_project_key_reaches_only_its_own_project,
    revoke_fails_the_very_next_request,
    expiry_ends_on_time_from_the_cache,
    verify_valid_answer_is_the_documented_object_every_time,
    verify_valid_answer_is_serdes_for_every_kind_of_key,
    rotation_grace_period_ends_on_time,
    rotation_with_no_grace_ends_the_cached_key_at_once,
    malformed_keys_and_cache_hits_touch_no_database,
    last_used_is_written_in_batches_to_the_minute,
);

#[tokio::test]
async fn key_api_logs_never_hold_the_key() {
    let app = TestApp::sqlite().await;
    let w = World::build(&app).await;
    verify(&app, json!({ "key": w.prod.text, "permissions": ["nope"] })).await;
    verify(&app, json!({ "key": w.prod.text })).await;
    verify(
        &app,
        json!({ "key": w.org_files.text, "project_id": w.foreign_project.as_str() }),
    )
    .await;
    super::call(
        &app,
        axum::http::Method::GET,
        "/api/v1/whoami",
        Some(&w.prod.text),
        None,
        None,
    )
    .await;
    super::call(
        &app,
        axum::http::Method::GET,
        "/api/v1/whoami",
        Some(&w.dev.text[..20]),
        None,
        None,
    )
    .await;
    app.services.db().close().await;
    verify(&app, json!({ "key": w.org_full.text })).await;
    let logs = captured_logs();
    assert!(!logs.is_empty());
    for key in [&w.prod.text, &w.org_full.text, &w.org_files.text] {
        assert!(
            !contains_bytes(&logs, key.as_bytes()),
            "a key reached the logs"
        );
        // Nor any long part of it (the secret body without the prefix).
        assert!(!contains_bytes(&logs, &key.as_bytes()[8..40]));
    }
    assert!(!contains_bytes(&logs, &w.dev.text.as_bytes()[8..20]));
}
