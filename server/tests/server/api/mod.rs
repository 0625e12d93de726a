//! The key API: `POST /api/v1/keys/verify`, the bearer-key platform endpoints, the
//! OpenAPI document, and the key cache's invalidation across instances and processes.

mod bodies;
mod cache;
mod controls;
mod github;
mod gt_compat;
mod key_management;
mod leaks;
mod platform;
mod usage;
mod verify;

use crate::common::{Reply, TestApp};
use axum::body::Body;
use axum::http::{Method, Request, header};
use gtx_core::domain::{KeyId, KeyType, OrgId, PermissionSet, ProjectId};
use gtx_core::services::{Actor, KeyScope, NewKey};
use serde_json::{Value, json};

/// A key and its id.
pub struct Key {
    pub id: KeyId,
    pub text: String,
}

/// Two organisations; the first with two projects and keys of every kind.
pub struct World {
    pub org: OrgId,
    pub project: ProjectId,
    pub sibling: ProjectId,
    pub other_org: OrgId,
    pub foreign_project: ProjectId,
    /// Production key of `project`.
    pub prod: Key,
    /// Development key of `project`.
    pub dev: Key,
    /// Organisation key of `org` with every permission.
    pub org_full: Key,
    /// Organisation key of `org` with `files:write` and `context:read` only.
    pub org_files: Key,
    /// Production key of `foreign_project`.
    pub foreign_prod: Key,
}

impl World {
    pub async fn build(app: &TestApp) -> Self {
        let op = Actor::operator();
        let s = &app.services;
        let org = s.create_org(&op, "Acme").await.expect("org").id;
        let other_org = s.create_org(&op, "Other").await.expect("org").id;
        let project = app.create_project(&org, "Web").await;
        let sibling = app.create_project(&org, "Mobile").await;
        let foreign_project = app.create_project(&other_org, "Theirs").await;
        let prod = project_key(app, &project, KeyType::Production, "prod", None).await;
        let dev = project_key(app, &project, KeyType::Development, "dev", None).await;
        let org_full = org_key(app, &org, PermissionSet::full(), "full", None).await;
        let org_files = org_key(
            app,
            &org,
            PermissionSet::parse_all(["files:write", "context:read"]).expect("perms"),
            "files",
            None,
        )
        .await;
        let foreign_prod =
            project_key(app, &foreign_project, KeyType::Production, "theirs", None).await;
        Self {
            org,
            project,
            sibling,
            other_org,
            foreign_project,
            prod,
            dev,
            org_full,
            org_files,
            foreign_prod,
        }
    }
}

pub async fn project_key(
    app: &TestApp,
    project: &ProjectId,
    key_type: KeyType,
    name: &str,
    expires_at: Option<i64>,
) -> Key {
    create(
        app,
        KeyScope::Project {
            project_id: project.clone(),
            key_type,
        },
        name,
        expires_at,
    )
    .await
}

pub async fn org_key(
    app: &TestApp,
    org: &OrgId,
    permissions: PermissionSet,
    name: &str,
    expires_at: Option<i64>,
) -> Key {
    create(
        app,
        KeyScope::Organisation {
            org_id: org.clone(),
            permissions,
        },
        name,
        expires_at,
    )
    .await
}

async fn create(app: &TestApp, scope: KeyScope, name: &str, expires_at: Option<i64>) -> Key {
    let created = app
        .services
        .create_key(
            &Actor::operator(),
            NewKey {
                scope,
                name: name.to_owned(),
                expires_at,
                description: String::new(),
            },
        )
        .await
        .expect("create key");
    Key {
        id: created.record.id,
        text: created.key.expose().to_owned(),
    }
}

/// `POST /api/v1/keys/verify` with a JSON body.
pub async fn verify(app: &TestApp, body: Value) -> Reply {
    app.send(
        Request::post("/api/v1/keys/verify")
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from(body.to_string()))
            .expect("request"),
    )
    .await
}

/// The `code` of verifying `key` (optionally for a project and permissions).
pub async fn code_of(
    app: &TestApp,
    key: &str,
    project: Option<&ProjectId>,
    permissions: &[&str],
) -> String {
    let mut body = json!({ "key": key });
    if let Some(p) = project {
        body["project_id"] = json!(p.as_str());
    }
    if !permissions.is_empty() {
        body["permissions"] = json!(permissions);
    }
    let reply = verify(app, body).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    let json = reply.json();
    assert_eq!(json["valid"], json["code"] == "VALID", "{json}");
    json["code"].as_str().expect("code").to_owned()
}

/// Polls `key` on `app` (asking for `permissions`) until it answers `want`; how long
/// that took. Meanwhile it may only answer `before` (the state the change leaves), and
/// it must answer `want` within 5 seconds.
pub async fn time_until(
    app: &TestApp,
    key: &str,
    permissions: &[&str],
    before: &str,
    want: &str,
) -> std::time::Duration {
    let start = std::time::Instant::now();
    loop {
        let code = code_of(app, key, None, permissions).await;
        if code == want {
            return start.elapsed();
        }
        assert_eq!(code, before, "neither the old answer nor the new");
        assert!(
            start.elapsed() < std::time::Duration::from_secs(5),
            "not {want} after 5 s"
        );
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}

/// A platform API call with a bearer key (and optionally `gt-project-id` and a JSON body).
pub async fn call(
    app: &TestApp,
    method: Method,
    path: &str,
    key: Option<&str>,
    project_header: Option<&ProjectId>,
    body: Option<Value>,
) -> Reply {
    let mut request = Request::builder().method(method).uri(path);
    if let Some(key) = key {
        request = request.header(header::AUTHORIZATION, format!("Bearer {key}"));
    }
    if let Some(p) = project_header {
        request = request.header("gt-project-id", p.as_str());
    }
    let body = match body {
        Some(json) => {
            request = request.header(header::CONTENT_TYPE, "application/json");
            Body::from(json.to_string())
        }
        None => Body::empty(),
    };
    app.send(request.body(body).expect("request")).await
}

/// Asserts an error reply: status, JSON `error.code`.
pub fn assert_error(reply: &Reply, status: u16, code: &str) {
    assert_eq!(reply.status, status, "{}", reply.body);
    assert_eq!(reply.json()["error"]["code"], code, "{}", reply.body);
}
