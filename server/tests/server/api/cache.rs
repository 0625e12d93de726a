//! The key cache stays correct across instances and processes: a revoke elsewhere fails
//! here within 2 seconds.

use super::{World, code_of, time_until};
use crate::common::{TEST_SECRET_HEX, TestApp};
use gtx_core::services::Actor;
use std::time::Duration;

#[tokio::test]
async fn revoke_on_one_instance_fails_on_another_within_two_seconds() {
    let Some((a, b)) = TestApp::postgres_pair("revoke_across_instances").await else {
        return;
    };
    let w = World::build(&a).await;
    for app in [&a, &b] {
        assert_eq!(code_of(app, &w.org_full.text, None, &[]).await, "VALID");
        assert_eq!(code_of(app, &w.prod.text, None, &[]).await, "VALID");
    }
    assert!(!b.services.key_cache().is_empty(), "b has the keys cached");
    // Revoked on a: fails on a at once, and on b through NOTIFY.
    a.services
        .revoke_key(&Actor::operator(), &w.org_full.id)
        .await
        .expect("revoke");
    assert_eq!(code_of(&a, &w.org_full.text, None, &[]).await, "REVOKED");
    let took = time_until(&b, &w.org_full.text, &[], "VALID", "REVOKED").await;
    assert!(took < Duration::from_secs(2), "took {took:?}");
    // And the other way round.
    b.services
        .revoke_key(&Actor::operator(), &w.prod.id)
        .await
        .expect("revoke");
    let took = time_until(&a, &w.prod.text, &[], "VALID", "REVOKED").await;
    assert!(took < Duration::from_secs(2), "took {took:?}");
    b.services.db().close().await;
    drop(b);
    a.close().await;
}

#[tokio::test]
async fn cli_revoke_reaches_a_running_sqlite_server_within_two_seconds() {
    let app = TestApp::sqlite_shared_with_cli().await;
    let w = World::build(&app).await;
    assert_eq!(code_of(&app, &w.org_full.text, None, &[]).await, "VALID");
    assert_eq!(code_of(&app, &w.dev.text, None, &[]).await, "VALID");
    let mut revoke = std::process::Command::new(env!("CARGO_BIN_EXE_gtx-keys"));
    revoke
        .arg("--data-dir")
        .arg(app.data_dir())
        .args(["key", "revoke", w.org_full.id.as_str()])
        .env_remove("DATABASE_URL")
        .env("GTX_SERVER_SECRET", TEST_SECRET_HEX)
        .env("RUST_LOG", "warn");
    let output = tokio::task::spawn_blocking(move || revoke.output())
        .await
        .expect("join")
        .expect("run gtx-keys");
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let took = time_until(&app, &w.org_full.text, &[], "VALID", "REVOKED").await;
    assert!(took < Duration::from_secs(2), "took {took:?}");
    // Only the revoked key left the cache's good books.
    assert_eq!(code_of(&app, &w.dev.text, None, &[]).await, "VALID");
    app.close().await;
}

#[tokio::test]
async fn lost_listener_connection_flushes_the_cache() {
    let Some((a, b)) = TestApp::postgres_pair("lost_listener").await else {
        return;
    };
    let w = World::build(&a).await;
    assert_eq!(code_of(&b, &w.org_full.text, None, &[]).await, "VALID");
    // Revoked behind every cache's back (no NOTIFY): b's cache still answers VALID.
    let now = a.services.now();
    let revoked = gtx_core::db::repo::keys::revoke(
        a.services.db().pool(),
        &w.org,
        &w.org_full.id,
        now,
        "test",
    )
    .await
    .expect("revoke");
    assert!(revoked);
    assert_eq!(code_of(&b, &w.org_full.text, None, &[]).await, "VALID");
    // Cut the listeners' connections (notifications sent meanwhile would be lost): once
    // b listens again it must start from an empty cache.
    sqlx::query(
        "SELECT pg_terminate_backend(pid) AS done FROM pg_stat_activity \
         WHERE datname = current_database() AND query LIKE 'LISTEN %' AND pid <> pg_backend_pid()",
    )
    .fetch_all(a.services.db().pool())
    .await
    .expect("terminate listeners");
    let took = time_until(&b, &w.org_full.text, &[], "VALID", "REVOKED").await;
    assert!(took < Duration::from_secs(2), "took {took:?}");
    b.services.db().close().await;
    drop(b);
    a.close().await;
}
