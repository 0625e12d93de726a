//! The bearer-key platform endpoints: whoami, projects; 401 and 403 as JSON.

use super::{World, assert_error, call, org_key};
use crate::common::TestApp;
use axum::http::Method;
use gtx_core::domain::{PermissionSet, ProjectId};
use gtx_core::services::Actor;
use serde_json::json;

async fn whoami_describes_the_presented_key(app: &TestApp) {
    let w = World::build(app).await;
    let reply = call(
        app,
        Method::GET,
        "/api/v1/whoami",
        Some(&w.dev.text),
        None,
        None,
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let body = reply.json();
    assert_eq!(body["id"], w.dev.id.as_str());
    assert_eq!(body["environment"], "development");
    assert_eq!(body["project_id"], w.project.as_str());
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    let reply = call(
        app,
        Method::GET,
        "/api/v1/whoami",
        Some(&w.org_files.text),
        Some(&w.sibling),
        None,
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(
        reply.json()["permissions"],
        json!(["files:read", "files:write", "context:read"])
    );
    let reply = call(
        app,
        Method::GET,
        "/api/v1/whoami",
        Some(&w.dev.text),
        Some(&w.sibling),
        None,
    )
    .await;
    assert_error(&reply, 403, "wrong_project");
}

async fn platform_api_refuses_bad_credentials_with_401(app: &TestApp) {
    let w = World::build(app).await;
    let whoami = |key: Option<String>| async move {
        call(
            app,
            Method::GET,
            "/api/v1/whoami",
            key.as_deref(),
            None,
            None,
        )
        .await
    };
    let reply = whoami(None).await;
    assert_error(&reply, 401, "missing_credentials");
    assert_eq!(reply.header("www-authenticate"), Some("Bearer"));
    let reply = app
        .send(
            axum::http::Request::get("/api/v1/whoami")
                .header("authorization", format!("Basic {}", w.prod.text))
                .body(axum::body::Body::empty())
                .expect("request"),
        )
        .await;
    assert_error(&reply, 401, "invalid_authorization");
    assert_error(
        &whoami(Some("gtx-api-nope".into())).await,
        401,
        "malformed_key",
    );
    let unknown = gtx_core::keys::generate_key(gtx_core::domain::KeyType::Organisation);
    assert_error(
        &whoami(Some(unknown.expose().to_owned())).await,
        401,
        "unknown_key",
    );
    let expiring = org_key(
        app,
        &w.org,
        PermissionSet::read_only(),
        "soon",
        Some(app.services.now() + 1_000),
    )
    .await;
    assert_eq!(whoami(Some(expiring.text.clone())).await.status, 200);
    app.clock.advance(1_000);
    assert_error(
        &whoami(Some(expiring.text.clone())).await,
        401,
        "expired_key",
    );
    assert_eq!(whoami(Some(w.prod.text.clone())).await.status, 200);
    app.services
        .revoke_key(&Actor::operator(), &w.prod.id)
        .await
        .expect("revoke");
    assert_error(&whoami(Some(w.prod.text.clone())).await, 401, "revoked_key");
    let reply = app
        .send(
            axum::http::Request::get("/api/v1/whoami")
                .header("authorization", format!("Bearer {}", w.dev.text))
                .header("gt-project-id", "x".repeat(500))
                .body(axum::body::Body::empty())
                .expect("request"),
        )
        .await;
    assert_error(&reply, 400, "invalid_project_header");
}

async fn reading_a_project_needs_a_key_that_reaches_it(app: &TestApp) {
    let w = World::build(app).await;
    let get = |key: &str, project: &ProjectId, header: Option<&ProjectId>| {
        let path = format!("/api/v1/projects/{project}");
        let key = key.to_owned();
        let header = header.cloned();
        async move { call(app, Method::GET, &path, Some(&key), header.as_ref(), None).await }
    };
    let reply = get(&w.prod.text, &w.project, Some(&w.project)).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.json()["name"], "Web");
    assert_eq!(reply.json()["organisation_id"], w.org.as_str());
    assert_error(
        &get(&w.prod.text, &w.sibling, None).await,
        403,
        "wrong_project",
    );
    assert_error(
        &get(&w.dev.text, &w.foreign_project, None).await,
        403,
        "wrong_project",
    );
    // Any organisation key reaches every project of its organisation, whatever its permissions.
    for project in [&w.project, &w.sibling] {
        assert_eq!(get(&w.org_files.text, project, None).await.status, 200);
    }
    // Another organisation's project, or none at all: 404, indistinguishable.
    assert_error(
        &get(&w.org_full.text, &w.foreign_project, None).await,
        404,
        "not_found",
    );
    assert_error(
        &get(&w.org_full.text, &ProjectId("nope".into()), None).await,
        404,
        "not_found",
    );
    // gt-project-id must agree with the path.
    assert_error(
        &get(&w.org_full.text, &w.project, Some(&w.sibling)).await,
        403,
        "wrong_project",
    );
}

async fn changing_a_project_needs_project_settings(app: &TestApp) {
    let w = World::build(app).await;
    let patch = |key: &str, project: &ProjectId, body| {
        let path = format!("/api/v1/projects/{project}");
        let key = key.to_owned();
        async move { call(app, Method::PATCH, &path, Some(&key), None, Some(body)).await }
    };
    let reply = patch(&w.prod.text, &w.project, json!({ "name": "Web 2" })).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.json()["name"], "Web 2");
    assert_eq!(reply.json()["default_locale"], "en");
    let reply = patch(&w.org_files.text, &w.project, json!({ "name": "Nope" })).await;
    assert_error(&reply, 403, "missing_permission");
    assert_eq!(
        reply.json()["error"]["missing_permissions"],
        json!(["project_settings"])
    );
    let reply = patch(
        &w.org_full.text,
        &w.sibling,
        json!({ "default_locale": "fr-CA" }),
    )
    .await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(reply.json()["default_locale"], "fr-CA");
    assert_eq!(reply.json()["name"], "Mobile");
    assert_error(
        &patch(&w.dev.text, &w.sibling, json!({ "name": "x" })).await,
        403,
        "wrong_project",
    );
    assert_error(
        &patch(&w.org_full.text, &w.foreign_project, json!({ "name": "x" })).await,
        404,
        "not_found",
    );
    let reply = patch(
        &w.prod.text,
        &w.project,
        json!({ "default_locale": "not a locale!" }),
    )
    .await;
    assert_error(&reply, 422, "invalid_field");
    assert_eq!(reply.json()["error"]["field"], "default_locale");
    // The audit log names the key, never the key itself.
    let rows = sqlx::query("SELECT actor_label FROM audit_events WHERE action = 'project.update' ORDER BY occurred_at, id")
        .fetch_all(app.services.db().pool())
        .await
        .expect("audit");
    let labels: Vec<String> = rows
        .iter()
        .map(|r| sqlx::Row::get(r, "actor_label"))
        .collect();
    assert_eq!(labels.len(), 2, "{labels:?}");
    assert!(
        labels[0].starts_with("API key prod (gtx-api-"),
        "{labels:?}"
    );
    assert!(!labels.iter().any(|l| l.contains(&w.prod.text)));
}

async fn creating_a_project_needs_project_creation(app: &TestApp) {
    let w = World::build(app).await;
    let post = |key: &str, body| {
        let key = key.to_owned();
        async move {
            call(
                app,
                Method::POST,
                "/api/v1/projects",
                Some(&key),
                None,
                Some(body),
            )
            .await
        }
    };
    let reply = post(
        &w.org_full.text,
        json!({ "name": "New", "default_locale": "de" }),
    )
    .await;
    assert_eq!(reply.status, 201, "{}", reply.body);
    assert_eq!(reply.json()["organisation_id"], w.org.as_str());
    assert_eq!(reply.json()["default_locale"], "de");
    let reply = post(&w.org_files.text, json!({ "name": "No" })).await;
    assert_error(&reply, 403, "missing_permission");
    assert_eq!(
        reply.json()["error"]["missing_permissions"],
        json!(["project_creation"])
    );
    assert_error(
        &post(&w.prod.text, json!({ "name": "No" })).await,
        403,
        "missing_permission",
    );
    assert_error(
        &post(&w.org_full.text, json!({ "name": "" })).await,
        422,
        "invalid_field",
    );
    assert_error(
        &post(&w.org_full.text, json!({ "nom": "x" })).await,
        422,
        "invalid_body",
    );
    let projects = app
        .services
        .list_projects(&Actor::operator(), &w.org)
        .await
        .expect("projects");
    assert_eq!(projects.len(), 3);
}

on_both_backends!(
    whoami_describes_the_presented_key,
    platform_api_refuses_bad_credentials_with_401,
    reading_a_project_needs_a_key_that_reaches_it,
    changing_a_project_needs_project_settings,
    creating_a_project_needs_project_creation,
);

#[tokio::test]
async fn openapi_document_describes_every_endpoint() {
    let app = TestApp::sqlite().await;
    let reply = call(&app, Method::GET, "/api/v1/openapi.json", None, None, None).await;
    assert_eq!(reply.status, 200);
    let doc = reply.json();
    assert!(doc["openapi"].as_str().expect("version").starts_with("3."));
    for (path, method) in [
        ("/api/v1/keys/verify", "post"),
        ("/api/v1/keys/report-leak", "post"),
        ("/api/v1/secret-scanning/github", "post"),
        ("/api/v1/whoami", "get"),
        ("/api/v1/projects", "post"),
        ("/api/v1/projects/{project_id}", "get"),
        ("/api/v1/projects/{project_id}", "patch"),
        ("/api/v1/projects/{project_id}/api-keys", "get"),
        ("/api/v1/projects/{project_id}/api-keys", "post"),
        ("/api/v1/api-keys", "get"),
        ("/api/v1/api-keys", "post"),
        ("/api/v1/api-keys/{key_id}", "get"),
        ("/api/v1/api-keys/{key_id}", "patch"),
        ("/api/v1/api-keys/{key_id}/usage", "get"),
        ("/api/v1/api-keys/{key_id}/rotate", "post"),
        ("/api/v1/api-keys/{key_id}/revoke", "post"),
    ] {
        assert!(doc["paths"][path][method].is_object(), "{path} {method}");
    }
    // A public report says it may be throttled, and when to come back.
    let throttled = &doc["paths"]["/api/v1/keys/report-leak"]["post"]["responses"]["429"];
    assert!(
        throttled["headers"]["Retry-After"].is_object(),
        "{throttled}"
    );
    assert!(doc["paths"]["/api/v1/keys/report-leak"]["post"]["security"].is_null());
    // A key made is linked to what can be done with it (schemathesis follows these).
    for path in [
        "/api/v1/api-keys",
        "/api/v1/projects/{project_id}/api-keys",
        "/api/v1/api-keys/{key_id}/rotate",
    ] {
        let links = &doc["paths"][path]["post"]["responses"]["201"]["links"];
        for link in ["GetKey", "KeyUsage", "UpdateKey", "RotateKey", "RevokeKey"] {
            assert_eq!(
                links[link]["parameters"]["key_id"], "$response.body#/api_key/id",
                "{path} {link}"
            );
        }
    }
    assert_eq!(
        doc["components"]["securitySchemes"]["gt_api_key"]["name"],
        "x-gt-api-key"
    );
    assert_eq!(
        doc["components"]["securitySchemes"]["bearer"]["scheme"],
        "bearer"
    );
    let codes = &doc["components"]["schemas"]["Code"]["enum"];
    for code in gtx_core::services::VerifyCode::ALL {
        assert!(
            codes
                .as_array()
                .expect("enum")
                .contains(&json!(code.as_str())),
            "{code:?}"
        );
    }
}

#[tokio::test]
async fn openapi_document_states_the_name_and_locale_rules_of_validation() {
    use gtx_core::domain::validation;
    let app = TestApp::sqlite().await;
    let reply = call(&app, Method::GET, "/api/v1/openapi.json", None, None, None).await;
    let schemas = &reply.json()["components"]["schemas"];
    for body in ["NewProject", "ProjectChanges"] {
        let name = &schemas[body]["properties"]["name"];
        assert_eq!(name["pattern"], validation::name_pattern(), "{body}");
        assert_eq!(name["maxLength"], validation::MAX_NAME_CHARS, "{body}");
        let locale = &schemas[body]["properties"]["default_locale"];
        assert_eq!(locale["pattern"], validation::LOCALE_PATTERN, "{body}");
        assert_eq!(locale["maxLength"], validation::MAX_LOCALE_CHARS, "{body}");
    }
    assert_eq!(schemas["NewProject"]["required"], json!(["name"]));
    // Every invisible formatting character of the Basic Multilingual Plane is in the
    // name pattern's excluded class, written as `\uXXXX` alone or as a range's end.
    let pattern = validation::name_pattern();
    for c in ['\u{200B}', '\u{202E}', '\u{2066}', '\u{FEFF}', '\u{00AD}'] {
        assert!(validation::is_invisible_format(c));
        let escaped = format!("\\u{:04x}", u32::from(c));
        let covered = pattern.contains(&escaped)
            || pattern
                .split("\\u")
                .collect::<Vec<_>>()
                .windows(2)
                .any(|w| {
                    let (Some(first), Some(last)) = (
                        w[0].get(..4).and_then(|h| u32::from_str_radix(h, 16).ok()),
                        w[1].get(..4).and_then(|h| u32::from_str_radix(h, 16).ok()),
                    ) else {
                        return false;
                    };
                    w[0].ends_with('-') && (first..=last).contains(&u32::from(c))
                });
        assert!(covered, "{c:?} missing from {pattern}");
    }
}
