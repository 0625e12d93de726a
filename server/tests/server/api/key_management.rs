//! The key management REST API, through the real router: every endpoint's success and
//! its errors (401, 403 naming the missing permission, 404 for another organisation's
//! ids, 409 for a duplicate name, 422 for bad input), keys made through it in the
//! dashboard's list and the audit log, and a revoke through it reaching another
//! instance within 2 seconds.

use super::{Key, World, assert_error, call, code_of, org_key, time_until};
use crate::common::{Reply, TestApp};
use axum::http::Method;
use gtx_core::domain::key_list::KeyListQuery;
use gtx_core::domain::{Permission, PermissionSet};
use gtx_core::services::{Actor, KeyListScope};
use serde_json::{Value, json};
use std::time::Duration;

/// An organisation key of `w.org` with every permission and `api_keys:write`.
async fn manager(app: &TestApp, w: &World) -> Key {
    let all = PermissionSet::full().union([Permission::ApiKeysWrite].into_iter().collect());
    org_key(app, &w.org, all, "key manager", None).await
}

async fn send(app: &TestApp, method: Method, path: &str, key: &Key, body: Option<Value>) -> Reply {
    call(app, method, path, Some(&key.text), None, body).await
}

async fn key_api_lists_and_reads_keys_with_api_keys_read(app: &TestApp) {
    let w = World::build(app).await;
    let reader = org_key(
        app,
        &w.org,
        PermissionSet::parse_all(["project:api_keys:read"]).expect("GT name"),
        "reader",
        None,
    )
    .await;
    let path = format!("/api/v1/projects/{}/api-keys", w.project.as_str());
    let reply = send(app, Method::GET, &path, &reader, None).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let body = reply.json();
    let names: Vec<&str> = body["api_keys"]
        .as_array()
        .expect("list")
        .iter()
        .map(|k| k["name"].as_str().expect("name"))
        .collect();
    assert_eq!(names.len(), 2, "{body}");
    assert!(
        names.contains(&"prod") && names.contains(&"dev"),
        "{names:?}"
    );
    assert!(!reply.body.contains(&w.prod.text), "never the key itself");
    assert_eq!(body["page"], 1);
    assert_eq!(body["total"], 2);
    let reply = send(
        app,
        Method::GET,
        "/api/v1/api-keys?per_page=2&page=1",
        &reader,
        None,
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.json()["api_keys"].as_array().map(Vec::len), Some(2));
    assert_eq!(reply.json()["total"], 3, "full, files and reader");
    // One key, and its usage after some checks.
    for _ in 0..3 {
        assert_eq!(code_of(app, &w.dev.text, None, &[]).await, "VALID");
    }
    app.services.flush_usage().await.expect("flush");
    let reply = send(
        app,
        Method::GET,
        &format!("/api/v1/api-keys/{}", w.dev.id.as_str()),
        &reader,
        None,
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let key = reply.json();
    assert_eq!(key["environment"], "development");
    assert_eq!(key["status"], "active");
    assert_eq!(
        key["scopes"].as_array().map(Vec::len),
        key["permissions"].as_array().map(Vec::len)
    );
    let usage_path = format!("/api/v1/api-keys/{}/usage?since=24h", w.dev.id.as_str());
    let reply = send(app, Method::GET, &usage_path, &reader, None).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let usage = reply.json();
    assert_eq!(usage["totals"]["VALID"], 3, "{usage}");
    assert_eq!(usage["bucket_seconds"], 3600);
    assert_eq!(usage["since"], "24h");
    assert_eq!(usage["buckets"].as_array().map(Vec::len), Some(24));
    // Errors.
    let bad = format!("/api/v1/api-keys/{}/usage?since=1y", w.dev.id.as_str());
    assert_error(
        &send(app, Method::GET, &bad, &reader, None).await,
        422,
        "invalid_field",
    );
    assert_error(
        &send(
            app,
            Method::GET,
            "/api/v1/api-keys?per_page=0",
            &reader,
            None,
        )
        .await,
        422,
        "invalid_field",
    );
    assert_error(
        &send(app, Method::GET, "/api/v1/api-keys?page=x", &reader, None).await,
        422,
        "invalid_query",
    );
    let theirs = format!("/api/v1/api-keys/{}", w.foreign_prod.id.as_str());
    assert_error(
        &send(app, Method::GET, &theirs, &reader, None).await,
        404,
        "not_found",
    );
    let their_project = format!("/api/v1/projects/{}/api-keys", w.foreign_project.as_str());
    assert_error(
        &send(app, Method::GET, &their_project, &reader, None).await,
        404,
        "not_found",
    );
    let reply = send(app, Method::GET, "/api/v1/api-keys", &w.org_full, None).await;
    assert_error(&reply, 403, "missing_permission");
    assert_eq!(
        reply.json()["error"]["missing_permissions"],
        json!(["api_keys:read"])
    );
    assert_eq!(
        reply.json()["error"]["missing_scopes"],
        json!(["project:api_keys:read"])
    );
    assert_error(
        &send(app, Method::GET, &path, &w.prod, None).await,
        403,
        "missing_permission",
    );
    let reply = call(app, Method::GET, "/api/v1/api-keys", None, None, None).await;
    assert_error(&reply, 401, "missing_credentials");
}

async fn key_api_creates_keys_shown_once(app: &TestApp) {
    let w = World::build(app).await;
    let m = manager(app, &w).await;
    let path = format!("/api/v1/projects/{}/api-keys", w.project.as_str());
    let reply = send(
        app,
        Method::POST,
        &path,
        &m,
        Some(json!({
            "name": "CI deploy",
            "environment": "production",
            "description": "Deploys from CI.",
            "allowed_ips": ["203.0.113.0/24", "2001:db8::1"],
        })),
    )
    .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    let body = reply.json();
    let key = body["key"].as_str().expect("the key").to_owned();
    assert!(key.starts_with("gtx-api-"), "{key}");
    assert_eq!(
        body["api_key"]["allowed_ips"],
        json!(["203.0.113.0/24", "2001:db8::1/128"])
    );
    let created_by = body["api_key"]["created_by"].as_str().expect("created_by");
    assert!(
        created_by.starts_with("API key key manager (gtx-org-"),
        "{created_by}"
    );
    let verdict = super::verify(app, json!({ "key": key, "client_ip": "203.0.113.9" }))
        .await
        .json();
    assert_eq!(verdict["code"], "VALID", "{verdict}");
    // In the dashboard's list, and in the audit log with its API actor.
    let listed = app
        .services
        .list_keys(
            &Actor::operator(),
            &KeyListScope::Project(w.project.clone()),
            &KeyListQuery::default(),
        )
        .await
        .expect("list");
    assert!(listed.rows.iter().any(|k| k.name == "CI deploy"));
    let events = app
        .services
        .list_audit(
            &Actor::operator(),
            &w.org,
            &Default::default(),
            Default::default(),
        )
        .await
        .expect("audit");
    let created = events
        .rows
        .iter()
        .find(|e| e.action == "key.create")
        .expect("audited");
    assert!(
        created
            .actor_label
            .starts_with("API key key manager (gtx-org-"),
        "{}",
        created.actor_label
    );
    // An organisation key, named in GT's scopes.
    let reply = send(
        app,
        Method::POST,
        "/api/v1/api-keys",
        &m,
        Some(
            json!({ "name": "Docs sync", "permissions": ["project:files:read", "context:write"] }),
        ),
    )
    .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    assert_eq!(
        reply.json()["api_key"]["permissions"],
        json!(["files:read", "context:read", "context:write"])
    );
    // 409 for a live name; 422 for bad input; nothing written for either.
    let reply = send(
        app,
        Method::POST,
        "/api/v1/api-keys",
        &m,
        Some(json!({ "name": "Docs sync", "permissions": ["files:read"] })),
    )
    .await;
    assert_error(&reply, 409, "name_taken");
    assert_eq!(reply.json()["error"]["field"], "name");
    for (body, field) in [
        (
            json!({ "name": "x", "permissions": ["files:admin"] }),
            "permissions",
        ),
        (json!({ "name": "x", "permissions": [] }), "permissions"),
        (
            json!({ "name": " x", "permissions": ["files:read"] }),
            "name",
        ),
        (
            json!({ "name": "x", "permissions": ["files:read"], "allowed_ips": ["not a network"] }),
            "allowed_ips",
        ),
        (
            json!({ "name": "x", "permissions": ["files:read"], "allowed_ips": ["10.0.0.0/8,10.1.0.0/16"] }),
            "allowed_ips",
        ),
        (
            json!({ "name": "x", "permissions": ["files:read"], "description": "trailing " }),
            "description",
        ),
        (
            json!({ "name": "x", "permissions": ["files:read"], "allowed_ips": vec!["10.0.0.1"; 51] }),
            "allowed_ips",
        ),
        (
            json!({ "name": "x", "permissions": ["files:read"], "allowed_ips": ["10.0.0.0/08"] }),
            "allowed_ips",
        ),
        (
            json!({ "name": "x", "permissions": ["files:read"], "description": "a\r\nb" }),
            "description",
        ),
    ] {
        let reply = send(
            app,
            Method::POST,
            "/api/v1/api-keys",
            &m,
            Some(body.clone()),
        )
        .await;
        assert_error(&reply, 422, "invalid_field");
        assert_eq!(reply.json()["error"]["field"], field, "{body}");
    }
    // A well-formed expiry that is past or over 5 years away conflicts with the time: 409.
    let now = app.services.now();
    for expires_at in [1, now, now + 6 * 365 * 86_400_000] {
        let body = json!({ "name": "x", "permissions": ["files:read"], "expires_at": expires_at });
        let reply = send(app, Method::POST, "/api/v1/api-keys", &m, Some(body)).await;
        assert_error(&reply, 409, "expiry_out_of_range");
        assert_eq!(reply.json()["error"]["field"], "expires_at");
    }
    let reply = send(
        app,
        Method::POST,
        "/api/v1/api-keys",
        &m,
        Some(json!({ "name": "x", "permissions": ["files:read"], "admin": true })),
    )
    .await;
    assert_eq!(
        reply.status, 422,
        "unknown fields are refused: {}",
        reply.body
    );
    let reply = send(
        app,
        Method::POST,
        &path,
        &m,
        Some(json!({ "name": "x", "environment": "staging" })),
    )
    .await;
    assert_eq!(reply.status, 422, "{}", reply.body);
    // No escalation: a key without a permission cannot hand it out.
    let small = org_key(
        app,
        &w.org,
        PermissionSet::parse_all(["api_keys:write", "files:read"]).expect("perms"),
        "small manager",
        None,
    )
    .await;
    let reply = send(
        app,
        Method::POST,
        "/api/v1/api-keys",
        &small,
        Some(json!({ "name": "wide", "permissions": ["files:write"] })),
    )
    .await;
    assert_error(&reply, 403, "missing_permission");
    assert_eq!(
        reply.json()["error"]["missing_permissions"],
        json!(["files:write"])
    );
    let reply = send(
        app,
        Method::POST,
        &path,
        &small,
        Some(json!({ "name": "prod 2", "environment": "production" })),
    )
    .await;
    assert_error(&reply, 403, "missing_permission");
    // Another organisation's project: 404.
    let theirs = format!("/api/v1/projects/{}/api-keys", w.foreign_project.as_str());
    let reply = send(
        app,
        Method::POST,
        &theirs,
        &m,
        Some(json!({ "name": "x", "environment": "production" })),
    )
    .await;
    assert_error(&reply, 404, "not_found");
    let all = app
        .services
        .list_keys(
            &Actor::operator(),
            &KeyListScope::Organisation(w.org.clone()),
            &KeyListQuery::default(),
        )
        .await
        .expect("list");
    assert_eq!(
        all.rows
            .iter()
            .filter(|k| k.name == "x" || k.name == "wide")
            .count(),
        0,
        "nothing half-made"
    );
}

async fn key_api_updates_rotates_and_revokes(app: &TestApp) {
    let w = World::build(app).await;
    let m = manager(app, &w).await;
    let files_path = format!("/api/v1/api-keys/{}", w.org_files.id.as_str());
    let later = app.services.now() + 86_400_000;
    let reply = send(
        app,
        Method::PATCH,
        &files_path,
        &m,
        Some(json!({
            "name": "Files bot",
            "description": "Syncs files.",
            "permissions": ["files:read"],
            "allowed_ips": ["10.0.0.0/8"],
            "expires_at": later,
            "enabled": false,
        })),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let key = reply.json();
    assert_eq!(key["name"], "Files bot");
    assert_eq!(key["permissions"], json!(["files:read"]));
    assert_eq!(key["allowed_ips"], json!(["10.0.0.0/8"]));
    assert_eq!(key["expires_at"], later);
    assert_eq!(key["status"], "disabled");
    assert_eq!(
        code_of(app, &w.org_files.text, None, &[]).await,
        "DISABLED",
        "on the next request"
    );
    let reply = send(
        app,
        Method::PATCH,
        &files_path,
        &m,
        Some(json!({ "enabled": true, "allowed_ips": [] })),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(code_of(app, &w.org_files.text, None, &[]).await, "VALID");
    // Errors: a later expiry, a taken name, a project key's permissions, escalation.
    let reply = send(
        app,
        Method::PATCH,
        &files_path,
        &m,
        Some(json!({ "expires_at": later + 1 })),
    )
    .await;
    assert_error(&reply, 409, "conflict");
    let reply = send(
        app,
        Method::PATCH,
        &files_path,
        &m,
        Some(json!({ "name": "full" })),
    )
    .await;
    assert_error(&reply, 409, "name_taken");
    let prod_path = format!("/api/v1/api-keys/{}", w.prod.id.as_str());
    let reply = send(
        app,
        Method::PATCH,
        &prod_path,
        &m,
        Some(json!({ "permissions": ["files:read"] })),
    )
    .await;
    assert_error(&reply, 409, "conflict");
    let small = org_key(
        app,
        &w.org,
        PermissionSet::parse_all(["api_keys:write", "files:read"]).expect("perms"),
        "small",
        None,
    )
    .await;
    let small_path = format!("/api/v1/api-keys/{}", small.id.as_str());
    let reply = send(
        app,
        Method::PATCH,
        &small_path,
        &small,
        Some(json!({ "permissions": ["api_keys:write", "files:write"] })),
    )
    .await;
    assert_error(&reply, 403, "missing_permission");
    assert_eq!(
        reply.json()["error"]["missing_permissions"],
        json!(["files:write"]),
        "never widens itself"
    );
    let theirs = format!("/api/v1/api-keys/{}", w.foreign_prod.id.as_str());
    assert_error(
        &send(
            app,
            Method::PATCH,
            &theirs,
            &m,
            Some(json!({ "name": "mine" })),
        )
        .await,
        404,
        "not_found",
    );
    for path in [
        format!("/api/v1/api-keys/{}/usage", w.foreign_prod.id.as_str()),
        format!("/api/v1/api-keys/{}", w.foreign_prod.id.as_str()),
    ] {
        assert_error(
            &send(app, Method::GET, &path, &m, None).await,
            404,
            "not_found",
        );
    }
    let their_rotate = format!("/api/v1/api-keys/{}/rotate", w.foreign_prod.id.as_str());
    let reply = send(
        app,
        Method::POST,
        &their_rotate,
        &m,
        Some(json!({ "grace": "1h" })),
    )
    .await;
    assert_error(&reply, 404, "not_found");
    // Bad input: a 422 naming the field, and nothing changed.
    for (body, field) in [
        (json!({ "name": "" }), "name"),
        (json!({ "name": "tab\there" }), "name"),
        (json!({ "permissions": [] }), "permissions"),
        (json!({ "permissions": ["files:admin"] }), "permissions"),
        (json!({ "allowed_ips": ["10.0.0.0/33"] }), "allowed_ips"),
        (json!({ "description": "x".repeat(501) }), "description"),
    ] {
        let reply = send(app, Method::PATCH, &files_path, &m, Some(body.clone())).await;
        assert_error(&reply, 422, "invalid_field");
        assert_eq!(reply.json()["error"]["field"], field, "{body}");
    }
    let reply = send(
        app,
        Method::PATCH,
        &files_path,
        &m,
        Some(json!({ "expires_at": 1 })),
    )
    .await;
    assert_error(&reply, 409, "expiry_out_of_range");
    let reply = send(
        app,
        Method::PATCH,
        &files_path,
        &m,
        Some(json!({ "enabled": "yes" })),
    )
    .await;
    assert_eq!(reply.status, 422, "{}", reply.body);
    let unchanged = send(app, Method::GET, &files_path, &m, None).await.json();
    assert_eq!(unchanged["name"], "Files bot", "{unchanged}");
    // Rotate: the replacement once, the old key working through its grace period.
    let rotate = format!("/api/v1/api-keys/{}/rotate", w.prod.id.as_str());
    let reply = send(
        app,
        Method::POST,
        &rotate,
        &m,
        Some(json!({ "grace": "1h" })),
    )
    .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    let rotated = reply.json();
    let new_key = rotated["key"].as_str().expect("key").to_owned();
    assert_eq!(rotated["api_key"]["name"], "prod");
    assert_eq!(rotated["api_key"]["rotated_from"], w.prod.id.as_str());
    assert_eq!(code_of(app, &new_key, None, &[]).await, "VALID");
    assert_eq!(
        code_of(app, &w.prod.text, None, &[]).await,
        "VALID",
        "in its grace period"
    );
    assert_error(
        &send(
            app,
            Method::POST,
            &rotate,
            &m,
            Some(json!({ "grace": "1h" })),
        )
        .await,
        409,
        "conflict",
    );
    let dev_rotate = format!("/api/v1/api-keys/{}/rotate", w.dev.id.as_str());
    let reply = send(
        app,
        Method::POST,
        &dev_rotate,
        &m,
        Some(json!({ "grace": "2h" })),
    )
    .await;
    assert_error(&reply, 422, "invalid_field");
    assert_error(
        &send(
            app,
            Method::POST,
            &dev_rotate,
            &small,
            Some(json!({ "grace": "now" })),
        )
        .await,
        403,
        "missing_permission",
    );
    // Revoke: 200 with the metadata; the key fails on the next request.
    let revoke = format!("/api/v1/api-keys/{}/revoke", w.dev.id.as_str());
    let reply = send(app, Method::POST, &revoke, &small, None).await;
    assert_eq!(
        reply.status, 200,
        "revoking takes only api_keys:write: {}",
        reply.body
    );
    assert_eq!(reply.json()["status"], "revoked");
    assert_eq!(code_of(app, &w.dev.text, None, &[]).await, "REVOKED");
    assert_error(
        &send(app, Method::POST, &revoke, &m, None).await,
        409,
        "conflict",
    );
    let theirs = format!("/api/v1/api-keys/{}/revoke", w.foreign_prod.id.as_str());
    assert_error(
        &send(app, Method::POST, &theirs, &m, None).await,
        404,
        "not_found",
    );
    assert_error(
        &send(app, Method::POST, &revoke, &w.org_full, None).await,
        403,
        "missing_permission",
    );
}

async fn key_api_refuses_every_endpoint_without_credentials_or_permission(app: &TestApp) {
    let w = World::build(app).await;
    let key = w.prod.id.as_str();
    let project = w.project.as_str();
    let endpoints = [
        (
            Method::GET,
            format!("/api/v1/projects/{project}/api-keys"),
            None,
            "api_keys:read",
        ),
        (
            Method::GET,
            "/api/v1/api-keys".to_owned(),
            None,
            "api_keys:read",
        ),
        (
            Method::GET,
            format!("/api/v1/api-keys/{key}"),
            None,
            "api_keys:read",
        ),
        (
            Method::GET,
            format!("/api/v1/api-keys/{key}/usage"),
            None,
            "api_keys:read",
        ),
        (
            Method::POST,
            format!("/api/v1/projects/{project}/api-keys"),
            Some(json!({ "name": "n", "environment": "development" })),
            "api_keys:write",
        ),
        (
            Method::POST,
            "/api/v1/api-keys".to_owned(),
            Some(json!({ "name": "n", "permissions": ["files:read"] })),
            "api_keys:write",
        ),
        (
            Method::PATCH,
            format!("/api/v1/api-keys/{key}"),
            Some(json!({ "name": "n" })),
            "api_keys:write",
        ),
        (
            Method::POST,
            format!("/api/v1/api-keys/{key}/rotate"),
            Some(json!({ "grace": "now" })),
            "api_keys:write",
        ),
        (
            Method::POST,
            format!("/api/v1/api-keys/{key}/revoke"),
            None,
            "api_keys:write",
        ),
    ];
    for (method, path, body, permission) in endpoints {
        let reply = call(app, method.clone(), &path, None, None, body.clone()).await;
        assert_error(&reply, 401, "missing_credentials");
        // "Full access" holds no key management; nor does a project key.
        for key in [&w.org_full, &w.dev] {
            let reply = send(app, method.clone(), &path, key, body.clone()).await;
            assert_error(&reply, 403, "missing_permission");
            let missing = reply.json()["error"]["missing_permissions"].clone();
            assert!(
                missing
                    .as_array()
                    .is_some_and(|m| m.contains(&json!(permission))),
                "{method} {path}: {missing}"
            );
        }
    }
    // Nothing changed on the way.
    assert_eq!(code_of(app, &w.prod.text, None, &[]).await, "VALID");
}

on_both_backends!(
    key_api_refuses_every_endpoint_without_credentials_or_permission,
    key_api_lists_and_reads_keys_with_api_keys_read,
    key_api_creates_keys_shown_once,
    key_api_updates_rotates_and_revokes,
);

#[tokio::test]
async fn key_api_revoke_fails_on_another_instance_within_two_seconds() {
    let Some((a, b)) = TestApp::postgres_pair("key_api_revoke").await else {
        return;
    };
    let w = World::build(&a).await;
    let m = manager(&a, &w).await;
    assert_eq!(
        code_of(&b, &w.prod.text, None, &[]).await,
        "VALID",
        "cached on b"
    );
    let revoke = format!("/api/v1/api-keys/{}/revoke", w.prod.id.as_str());
    let reply = send(&a, Method::POST, &revoke, &m, None).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let took = time_until(&b, &w.prod.text, &[], "VALID", "REVOKED").await;
    assert!(took < Duration::from_secs(2), "took {took:?}");
    b.services.db().close().await;
    drop(b);
    a.close().await;
}
