//! General Translation compatibility: GT's scope names wherever a permission is taken,
//! `scopes` beside `permissions` in answers, and the `x-gt-api-key` header.

use super::{World, assert_error, org_key, verify};
use crate::common::TestApp;
use axum::body::Body;
use axum::http::Request;
use gtx_core::domain::{Permission, PermissionSet};
use serde_json::json;

async fn verify_takes_gt_scope_names_and_answers_scopes(app: &TestApp) {
    let w = World::build(app).await;
    let reply = verify(
        app,
        json!({
            "key": w.org_files.text,
            "permissions": ["project:files:write", "context:read"],
        }),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let body = reply.json();
    assert_eq!(body["code"], "VALID", "{body}");
    assert_eq!(
        body["key"]["permissions"],
        json!(["files:read", "files:write", "context:read"])
    );
    assert_eq!(
        body["key"]["scopes"],
        json!([
            "project:files:read",
            "project:files:write",
            "project:context:read"
        ])
    );
    let reply = verify(
        app,
        json!({
            "key": w.org_files.text,
            "permissions": ["project:translations:generate", "org:projects:create"],
        }),
    )
    .await;
    let body = reply.json();
    assert_eq!(body["code"], "INSUFFICIENT_PERMISSIONS", "{body}");
    assert_eq!(
        body["missing_permissions"],
        json!(["runtime_translation", "project_creation"])
    );
    assert_eq!(
        body["missing_scopes"],
        json!(["project:translations:generate", "org:projects:create"])
    );
    // Not a permission in either naming: a 422 naming the field, as for ours.
    let reply = verify(
        app,
        json!({ "key": w.org_files.text, "permissions": ["project:files"] }),
    )
    .await;
    assert_eq!(reply.status, 422, "{}", reply.body);
}

async fn project_keys_never_hold_key_management(app: &TestApp) {
    let w = World::build(app).await;
    for key in [&w.prod.text, &w.dev.text] {
        let body = verify(
            app,
            json!({ "key": key, "permissions": ["project:api_keys:read"] }),
        )
        .await
        .json();
        assert_eq!(body["code"], "INSUFFICIENT_PERMISSIONS", "{body}");
        assert_eq!(body["missing_permissions"], json!(["api_keys:read"]));
    }
    // The "Full access" preset does not include it either; chosen on its own, it works.
    let body = verify(
        app,
        json!({ "key": w.org_full.text, "permissions": ["api_keys:read"] }),
    )
    .await
    .json();
    assert_eq!(body["code"], "INSUFFICIENT_PERMISSIONS", "{body}");
    let manager = org_key(
        app,
        &w.org,
        [Permission::ApiKeysWrite]
            .into_iter()
            .collect::<PermissionSet>(),
        "key manager",
        None,
    )
    .await;
    let body = verify(
        app,
        json!({ "key": manager.text, "permissions": ["project:api_keys:read"] }),
    )
    .await
    .json();
    assert_eq!(body["code"], "VALID", "{body}");
    assert_eq!(
        body["key"]["permissions"],
        json!(["api_keys:read", "api_keys:write"])
    );
}

/// `GET /api/v1/whoami` with these headers.
async fn whoami(app: &TestApp, headers: &[(&str, &str)]) -> crate::common::Reply {
    let mut request = Request::get("/api/v1/whoami");
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    app.send(request.body(Body::empty()).expect("request"))
        .await
}

async fn platform_api_takes_the_x_gt_api_key_header(app: &TestApp) {
    let w = World::build(app).await;
    let reply = whoami(app, &[("x-gt-api-key", &w.dev.text)]).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.json()["id"], w.dev.id.as_str());
    assert_eq!(
        reply.json()["scopes"].as_array().map(Vec::len),
        Some(PermissionSet::project_key().iter().count())
    );
    let bearer = format!("Bearer {}", w.dev.text);
    let reply = whoami(
        app,
        &[("authorization", &bearer), ("x-gt-api-key", &w.dev.text)],
    )
    .await;
    assert_eq!(
        reply.status, 200,
        "the same key twice is fine: {}",
        reply.body
    );
    let reply = whoami(
        app,
        &[("authorization", &bearer), ("x-gt-api-key", &w.prod.text)],
    )
    .await;
    assert_error(&reply, 401, "conflicting_credentials");
    let reply = whoami(app, &[("x-gt-api-key", "  ")]).await;
    assert_error(&reply, 401, "invalid_authorization");
    let reply = whoami(app, &[("x-gt-api-key", "gtx-api-nope")]).await;
    assert_error(&reply, 401, "malformed_key");
    // A project-scoped call: the header and gt-project-id together.
    let reply = app
        .send(
            Request::get(format!("/api/v1/projects/{}", w.project.as_str()))
                .header("x-gt-api-key", &w.prod.text)
                .header("gt-project-id", w.project.as_str())
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    // A key lacking a permission: 403 names it in both namings.
    let reply = app
        .send(
            Request::post("/api/v1/projects")
                .header("x-gt-api-key", &w.org_files.text)
                .header("content-type", "application/json")
                .body(Body::from(json!({ "name": "New" }).to_string()))
                .expect("request"),
        )
        .await;
    assert_error(&reply, 403, "missing_permission");
    assert_eq!(
        reply.json()["error"]["missing_scopes"],
        json!(["org:projects:create"])
    );
}

on_both_backends!(
    verify_takes_gt_scope_names_and_answers_scopes,
    project_keys_never_hold_key_management,
    platform_api_takes_the_x_gt_api_key_header,
);
