//! Keys paused and fenced: DISABLED and IP_NOT_ALLOWED on verify and on the platform
//! API, in their place among the codes, and the changes reaching other instances.

use super::{Key, World, assert_error, call, code_of, time_until, verify};
use crate::common::{TEST_SECRET_HEX, TestApp};
use axum::body::Body;
use axum::http::{Method, Request, header};
use gtx_core::domain::{IpAllowList, KeyId, Permission, PermissionSet};
use gtx_core::services::Actor;
use serde_json::json;
use std::net::SocketAddr;
use std::time::Duration;

const HOUR_MS: i64 = 60 * 60 * 1000;

fn list(text: &str) -> IpAllowList {
    IpAllowList::parse("ip_allowlist", text).expect("allow-list")
}

/// The code of verifying `key` from `client_ip` (when given).
async fn code_from(app: &TestApp, key: &Key, client_ip: Option<&str>) -> String {
    let mut body = json!({ "key": key.text });
    if let Some(ip) = client_ip {
        body["client_ip"] = json!(ip);
    }
    let reply = verify(app, body).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    reply.json()["code"].as_str().expect("code").to_owned()
}

async fn set_list(app: &TestApp, key: &KeyId, text: &str) {
    app.services
        .set_key_ip_allowlist(&Actor::operator(), key, &list(text))
        .await
        .expect("set allow-list");
}

async fn verify_disabled_key_answers_disabled_until_enabled(app: &TestApp) {
    let w = World::build(app).await;
    assert_eq!(code_of(app, &w.prod.text, None, &[]).await, "VALID");
    app.services
        .disable_key(&Actor::operator(), &w.prod.id)
        .await
        .expect("disable");
    // From the very next request, though the key was cached.
    assert_eq!(code_of(app, &w.prod.text, None, &[]).await, "DISABLED");
    let body = verify(app, json!({ "key": w.prod.text })).await.json();
    assert_eq!(body, json!({ "valid": false, "code": "DISABLED" }));
    app.services
        .enable_key(&Actor::operator(), &w.prod.id)
        .await
        .expect("enable");
    assert_eq!(code_of(app, &w.prod.text, None, &[]).await, "VALID");
}

async fn verify_allowlist_checks_ipv4_and_ipv6_and_fails_closed(app: &TestApp) {
    let w = World::build(app).await;
    set_list(app, &w.org_full.id, "203.0.113.0/24\n2001:db8:aa::/48").await;
    let key = &w.org_full;
    assert_eq!(code_from(app, key, Some("203.0.113.9")).await, "VALID");
    assert_eq!(
        code_from(app, key, Some("::ffff:203.0.113.9")).await,
        "VALID"
    );
    assert_eq!(code_from(app, key, Some("2001:db8:aa:7::1")).await, "VALID");
    assert_eq!(
        code_from(app, key, Some("203.0.114.9")).await,
        "IP_NOT_ALLOWED"
    );
    assert_eq!(
        code_from(app, key, Some("2001:db8:ab::1")).await,
        "IP_NOT_ALLOWED"
    );
    // No address given: the key has a list, so it fails closed.
    assert_eq!(code_from(app, key, None).await, "IP_NOT_ALLOWED");
    // Keys without a list take any address, or none.
    assert_eq!(code_from(app, &w.prod, Some("198.51.100.1")).await, "VALID");
    assert_eq!(code_from(app, &w.prod, None).await, "VALID");
    // An emptied list lets every address in again.
    set_list(app, &key.id, "").await;
    assert_eq!(code_from(app, key, Some("198.51.100.1")).await, "VALID");
}

async fn verify_client_ip_that_is_not_an_address_is_422(app: &TestApp) {
    let w = World::build(app).await;
    for bad in [
        json!("example.com"),
        json!("10.0.0.0/8"),
        json!(""),
        json!(7),
    ] {
        let reply = verify(app, json!({ "key": w.prod.text, "client_ip": bad })).await;
        assert_eq!(reply.status, 422, "{bad}: {}", reply.body);
        assert!(reply.json()["error"]["code"].is_string(), "{}", reply.body);
    }
}

async fn verify_new_codes_follow_their_precedence(app: &TestApp) {
    let w = World::build(app).await;
    let foreign = |key: &Key| {
        let key = key.text.clone();
        let project = w.foreign_project.clone();
        async move {
            let body = json!({
                "key": key, "project_id": project.as_str(),
                "permissions": ["project_settings"], "client_ip": "198.51.100.1",
            });
            verify(app, body).await.json()["code"]
                .as_str()
                .expect("code")
                .to_owned()
        }
    };
    // Read-only, for another organisation's project, from a refused address, disabled,
    // and expiring in an hour.
    let key = super::org_key(
        app,
        &w.org,
        PermissionSet::read_only(),
        "everything wrong",
        Some(app.services.now() + HOUR_MS),
    )
    .await;
    set_list(app, &key.id, "203.0.113.0/24").await;
    assert_eq!(
        foreign(&key).await,
        "IP_NOT_ALLOWED",
        "before WRONG_PROJECT"
    );
    app.services
        .disable_key(&Actor::operator(), &key.id)
        .await
        .expect("disable");
    assert_eq!(foreign(&key).await, "DISABLED", "before IP_NOT_ALLOWED");
    app.clock.advance(HOUR_MS);
    assert_eq!(foreign(&key).await, "EXPIRED", "before DISABLED");
    let other = super::org_key(app, &w.org, PermissionSet::read_only(), "paused", None).await;
    app.services
        .disable_key(&Actor::operator(), &other.id)
        .await
        .expect("disable");
    app.services
        .revoke_key(&Actor::operator(), &other.id)
        .await
        .expect("revoke");
    assert_eq!(foreign(&other).await, "REVOKED", "before DISABLED");
}

async fn platform_call_checks_the_client_address_and_the_pause(app: &TestApp) {
    let w = World::build(app).await;
    set_list(app, &w.org_full.id, "198.51.100.0/24").await;
    let whoami = |peer: [u8; 4]| {
        let key = w.org_full.text.clone();
        async move {
            let request = Request::get("/api/v1/whoami")
                .header(header::AUTHORIZATION, format!("Bearer {key}"))
                .body(Body::empty())
                .expect("request");
            app.send_from(SocketAddr::from((peer, 40_000)), request)
                .await
        }
    };
    assert_eq!(whoami([198, 51, 100, 20]).await.status, 200);
    assert_error(&whoami([192, 0, 2, 1]).await, 403, "ip_not_allowed");
    // Behind the trusted proxy (127.0.0.1), the forwarded address is the client's.
    let forwarded = |ip: &'static str| {
        let key = w.org_full.text.clone();
        async move {
            let request = Request::get("/api/v1/whoami")
                .header(header::AUTHORIZATION, format!("Bearer {key}"))
                .header("x-forwarded-for", ip)
                .body(Body::empty())
                .expect("request");
            app.send(request).await
        }
    };
    assert_eq!(forwarded("198.51.100.77").await.status, 200);
    assert_error(&forwarded("203.0.113.1").await, 403, "ip_not_allowed");
    app.services
        .disable_key(&Actor::operator(), &w.prod.id)
        .await
        .expect("disable");
    let reply = call(
        app,
        Method::GET,
        "/api/v1/whoami",
        Some(&w.prod.text),
        None,
        None,
    )
    .await;
    assert_error(&reply, 401, "disabled_key");
}

on_both_backends!(
    verify_disabled_key_answers_disabled_until_enabled,
    verify_allowlist_checks_ipv4_and_ipv6_and_fails_closed,
    verify_client_ip_that_is_not_an_address_is_422,
    verify_new_codes_follow_their_precedence,
    platform_call_checks_the_client_address_and_the_pause,
);

#[tokio::test]
async fn disable_enable_and_permission_edits_reach_another_instance_within_two_seconds() {
    let Some((a, b)) = TestApp::postgres_pair("controls_across_instances").await else {
        return;
    };
    let w = World::build(&a).await;
    let key = &w.org_files.text;
    assert_eq!(code_of(&b, key, None, &["files:write"]).await, "VALID");
    let operator = Actor::operator();
    a.services
        .disable_key(&operator, &w.org_files.id)
        .await
        .expect("disable");
    let took = time_until(&b, key, &[], "VALID", "DISABLED").await;
    assert!(took < Duration::from_secs(2), "disable took {took:?}");
    a.services
        .enable_key(&operator, &w.org_files.id)
        .await
        .expect("enable");
    let took = time_until(&b, key, &[], "DISABLED", "VALID").await;
    assert!(took < Duration::from_secs(2), "enable took {took:?}");
    let read_only: PermissionSet = [Permission::FilesRead].into_iter().collect();
    a.services
        .set_key_permissions(&operator, &w.org_files.id, read_only)
        .await
        .expect("edit permissions");
    let took = time_until(
        &b,
        key,
        &["files:write"],
        "VALID",
        "INSUFFICIENT_PERMISSIONS",
    )
    .await;
    assert!(
        took < Duration::from_secs(2),
        "permission edit took {took:?}"
    );
    b.services.db().close().await;
    drop(b);
    a.close().await;
}

#[tokio::test]
async fn cli_disable_and_enable_reach_a_running_sqlite_server_within_two_seconds() {
    let app = TestApp::sqlite_shared_with_cli().await;
    let w = World::build(&app).await;
    assert_eq!(code_of(&app, &w.dev.text, None, &[]).await, "VALID");
    for (command, before, want) in [
        ("disable", "VALID", "DISABLED"),
        ("enable", "DISABLED", "VALID"),
    ] {
        let mut cli = std::process::Command::new(env!("CARGO_BIN_EXE_gtx-keys"));
        cli.arg("--data-dir")
            .arg(app.data_dir())
            .args(["key", command, w.dev.id.as_str()])
            .env_remove("DATABASE_URL")
            .env("GTX_SERVER_SECRET", TEST_SECRET_HEX)
            .env("RUST_LOG", "warn");
        let output = tokio::task::spawn_blocking(move || cli.output())
            .await
            .expect("join")
            .expect("run gtx-keys");
        assert!(
            output.status.success(),
            "{}",
            String::from_utf8_lossy(&output.stderr)
        );
        assert!(output.stdout.is_empty(), "messages go to stderr");
        let took = time_until(&app, &w.dev.text, &[], before, want).await;
        assert!(took < Duration::from_secs(2), "{command} took {took:?}");
    }
    app.close().await;
}
