//! Usage recording: counts per key, minute and outcome, exact after a flush, adding up
//! across instances and restarts; retention; the detail's series, unused permissions and
//! traffic after a rotation; the list's 7-day totals.

use crate::common::{MINUTE, T0, TestDb, audit_of, operator};
use gtx_core::clock::ManualClock;
use gtx_core::db::models::{Organisation, Project};
use gtx_core::db::repo::usage::{self, Buckets, UsageRow};
use gtx_core::domain::key_list::KeyListQuery;
use gtx_core::domain::lifetime::GracePeriod;
use gtx_core::domain::status::DAY_MS;
use gtx_core::domain::time::HOUR_MS;
use gtx_core::domain::usage::{Outcome, UsageRange};
use gtx_core::domain::validation::Problem;
use gtx_core::domain::{KeyId, KeyType, Permission, PermissionSet};
use gtx_core::error::CoreError;
use gtx_core::keys::ServerSecret;
use gtx_core::services::{KeyListScope, KeyScope, NewKey, Services};
use std::sync::Arc;

on_both_backends!(
    usage_counts_are_exact_after_a_flush,
    usage_counts_add_up_across_two_instances,
    usage_counts_survive_a_restart,
    usage_counts_nothing_for_unknown_or_malformed_keys,
    usage_counts_of_keys_that_left_the_cache_or_were_never_cached_are_written,
    prune_usage_keeps_48_hours_of_minutes_and_the_retention_of_hours,
    key_detail_series_follows_the_range,
    key_detail_lists_permissions_not_asked_for_in_30_days,
    remove_unused_permissions_keeps_what_was_asked,
    key_detail_counts_requests_since_the_rotation,
    list_keys_with_usage_sums_the_last_seven_days,
);

const SECRET: [u8; 32] = [7; 32];

/// Services over `t`'s database with a fixed secret (so two "instances" agree on digests).
fn instance(t: &TestDb) -> (Services, ManualClock) {
    let clock = ManualClock::new(T0);
    let svc = Services::new(
        t.db.clone(),
        Arc::new(ServerSecret::from_bytes(SECRET)),
        Arc::new(clock.clone()),
    );
    (svc, clock)
}

async fn world(svc: &Services) -> (Organisation, Project) {
    let org = svc.create_org(&operator(), "Acme").await.unwrap();
    let project = svc
        .create_project(&operator(), &org.id, "Website", None)
        .await
        .unwrap();
    (org, project)
}

/// A key and its id.
async fn key(svc: &Services, scope: KeyScope, name: &str) -> (KeyId, String) {
    let created = svc
        .create_key(
            &operator(),
            NewKey {
                scope,
                name: name.to_owned(),
                expires_at: None,
                description: String::new(),
            },
        )
        .await
        .unwrap();
    (created.record.id, created.key.expose().to_owned())
}

async fn dev_key(svc: &Services, project: &Project, name: &str) -> (KeyId, String) {
    let scope = KeyScope::Project {
        project_id: project.id.clone(),
        key_type: KeyType::Development,
    };
    key(svc, scope, name).await
}

async fn org_key(
    svc: &Services,
    org: &Organisation,
    name: &str,
    permissions: &[Permission],
) -> (KeyId, String) {
    let scope = KeyScope::Organisation {
        org_id: org.id.clone(),
        permissions: permissions.iter().copied().collect(),
    };
    key(svc, scope, name).await
}

fn perms(list: &[Permission]) -> PermissionSet {
    list.iter().copied().collect()
}

/// Verifies `key` `n` times asking for `asked`; the code of the last.
async fn verify_n(svc: &Services, key: &str, n: usize, asked: &[Permission]) -> &'static str {
    let mut code = "";
    for _ in 0..n {
        code = svc
            .verify_key(key, None, perms(asked), None)
            .await
            .unwrap()
            .code
            .as_str();
    }
    code
}

/// (bucket start, code, requests) of a key in a table, oldest first.
async fn rows(t: &TestDb, buckets: Buckets, key: &KeyId) -> Vec<(i64, &'static str, u64)> {
    let mut rows: Vec<_> = usage::series(t.pool(), buckets, key, 0, buckets.width_ms())
        .await
        .unwrap()
        .into_iter()
        .map(|(at, o, n)| (at, o.as_str(), n))
        .collect();
    rows.sort();
    rows
}

async fn usage_counts_are_exact_after_a_flush(t: &TestDb) {
    let (svc, clock) = instance(t);
    let (org, project) = world(&svc).await;
    let (dev, dev_text) = dev_key(&svc, &project, "CI").await;
    let (files, files_text) = org_key(&svc, &org, "files", &[Permission::FilesRead]).await;
    assert_eq!(verify_n(&svc, &dev_text, 3, &[]).await, "VALID");
    assert_eq!(
        verify_n(&svc, &files_text, 2, &[Permission::FilesRead]).await,
        "VALID"
    );
    assert_eq!(
        verify_n(&svc, &files_text, 1, &[Permission::ProjectCreation]).await,
        "INSUFFICIENT_PERMISSIONS"
    );
    clock.advance(MINUTE + 5);
    assert_eq!(verify_n(&svc, &dev_text, 4, &[]).await, "VALID");
    clock.advance(HOUR_MS);
    svc.disable_key(&operator(), &dev).await.unwrap();
    assert_eq!(verify_n(&svc, &dev_text, 2, &[]).await, "DISABLED");
    assert!(
        rows(t, Buckets::Minutes, &dev).await.is_empty(),
        "nothing written before the flush"
    );
    svc.flush_usage().await.unwrap();
    let m2 = T0 + MINUTE;
    let h2 = T0 + HOUR_MS;
    let m3 = T0 + HOUR_MS + MINUTE;
    assert_eq!(
        rows(t, Buckets::Minutes, &dev).await,
        [(T0, "VALID", 3), (m2, "VALID", 4), (m3, "DISABLED", 2)]
    );
    assert_eq!(
        rows(t, Buckets::Hours, &dev).await,
        [(T0, "VALID", 7), (h2, "DISABLED", 2)]
    );
    assert_eq!(
        rows(t, Buckets::Hours, &files).await,
        [(T0, "INSUFFICIENT_PERMISSIONS", 1), (T0, "VALID", 2)]
    );
    let asked = usage::asked_since(t.pool(), Buckets::Hours, &files, 0)
        .await
        .unwrap();
    assert_eq!(
        asked,
        perms(&[Permission::FilesRead, Permission::ProjectCreation])
    );
    // A second flush writes nothing more: each count once.
    svc.flush_usage().await.unwrap();
    assert_eq!(
        rows(t, Buckets::Hours, &dev).await,
        [(T0, "VALID", 7), (h2, "DISABLED", 2)]
    );
}

async fn usage_counts_add_up_across_two_instances(t: &TestDb) {
    let (a, _clock_a) = instance(t);
    let (b, _clock_b) = instance(t);
    let (_org, project) = world(&a).await;
    let (dev, text) = dev_key(&a, &project, "CI").await;
    verify_n(&a, &text, 5, &[]).await;
    verify_n(&b, &text, 7, &[]).await;
    // Interleaved flushes: every instance adds its own counts to the same rows.
    a.flush_usage().await.unwrap();
    verify_n(&a, &text, 1, &[]).await;
    b.flush_usage().await.unwrap();
    a.flush_usage().await.unwrap();
    assert_eq!(rows(t, Buckets::Minutes, &dev).await, [(T0, "VALID", 13)]);
    assert_eq!(rows(t, Buckets::Hours, &dev).await, [(T0, "VALID", 13)]);
}

async fn usage_counts_survive_a_restart(t: &TestDb) {
    let (dev, text) = {
        let (svc, _clock) = instance(t);
        let (_org, project) = world(&svc).await;
        let (dev, text) = dev_key(&svc, &project, "CI").await;
        verify_n(&svc, &text, 4, &[]).await;
        // What the server does at shutdown.
        svc.flush_usage().await.unwrap();
        (dev, text)
    };
    let (svc, _clock) = instance(t);
    verify_n(&svc, &text, 6, &[]).await;
    svc.flush_usage().await.unwrap();
    assert_eq!(rows(t, Buckets::Minutes, &dev).await, [(T0, "VALID", 10)]);
    let detail = svc
        .key_detail(&operator(), &dev, UsageRange::Day)
        .await
        .unwrap();
    assert_eq!(detail.series.totals()[Outcome::Valid.index()], 10);
}

async fn usage_counts_nothing_for_unknown_or_malformed_keys(t: &TestDb) {
    let (svc, _clock) = instance(t);
    let (_org, project) = world(&svc).await;
    let (dev, _) = dev_key(&svc, &project, "CI").await;
    let unknown = gtx_core::keys::generate_key(KeyType::Development);
    assert_eq!(verify_n(&svc, unknown.expose(), 2, &[]).await, "NOT_FOUND");
    assert_eq!(verify_n(&svc, "gtx-dev-nope", 2, &[]).await, "MALFORMED");
    assert_eq!(svc.flush_usage().await.unwrap(), 0);
    assert!(rows(t, Buckets::Minutes, &dev).await.is_empty());
}

async fn usage_counts_of_keys_that_left_the_cache_or_were_never_cached_are_written(t: &TestDb) {
    let (svc, clock) = instance(t);
    let (_org, project) = world(&svc).await;
    let (dev, text) = dev_key(&svc, &project, "CI").await;
    verify_n(&svc, &text, 3, &[]).await;
    // The revoke drops the cached key, with its three counts still in it.
    svc.revoke_key(&operator(), &dev).await.unwrap();
    verify_n(&svc, &text, 2, &[]).await;
    // The cache flushed as a whole (a lost notification channel) drops the key again.
    svc.key_cache().flush();
    verify_n(&svc, &text, 1, &[]).await;
    // And an instance without a cache counts every check too.
    let uncached = Services::new(
        t.db.clone(),
        Arc::new(ServerSecret::from_bytes(SECRET)),
        Arc::new(clock.clone()),
    )
    .with_key_cache(gtx_core::services::key_cache::KeyCache::new(
        0,
        std::time::Duration::from_secs(30),
    ));
    verify_n(&uncached, &text, 4, &[]).await;
    svc.flush_usage().await.unwrap();
    uncached.flush_usage().await.unwrap();
    assert_eq!(
        rows(t, Buckets::Minutes, &dev).await,
        [(T0, "REVOKED", 7), (T0, "VALID", 3)]
    );
}

async fn prune_usage_keeps_48_hours_of_minutes_and_the_retention_of_hours(t: &TestDb) {
    let (svc, clock) = instance(t);
    let svc = svc.with_usage_retention_days(10);
    let (_org, project) = world(&svc).await;
    let (dev, _) = dev_key(&svc, &project, "CI").await;
    let row = |at: i64| UsageRow {
        key_id: dev.clone(),
        bucket_start: at,
        outcome: Outcome::Valid,
        requests: 1,
        permissions: PermissionSet::empty(),
    };
    let mut conn = t.pool().acquire().await.unwrap();
    let minutes = [row(T0), row(T0 + MINUTE)];
    usage::add(&mut conn, Buckets::Minutes, &minutes)
        .await
        .unwrap();
    let hours = [row(T0), row(T0 + HOUR_MS), row(T0 + 5 * DAY_MS)];
    usage::add(&mut conn, Buckets::Hours, &hours).await.unwrap();
    drop(conn);
    clock.set(T0 + 48 * HOUR_MS + MINUTE / 2);
    assert_eq!(
        svc.prune_usage().await.unwrap(),
        1,
        "the first minute is 48 hours old"
    );
    assert_eq!(
        rows(t, Buckets::Minutes, &dev).await,
        [(T0 + MINUTE, "VALID", 1)]
    );
    clock.set(T0 + 10 * DAY_MS + HOUR_MS);
    assert_eq!(
        svc.prune_usage().await.unwrap(),
        2,
        "one minute row and the first hour"
    );
    assert_eq!(
        rows(t, Buckets::Hours, &dev).await,
        [(T0 + HOUR_MS, "VALID", 1), (T0 + 5 * DAY_MS, "VALID", 1)]
    );
    assert_eq!(
        svc.prune_usage().await.unwrap(),
        0,
        "pruning again finds nothing"
    );
}

async fn key_detail_series_follows_the_range(t: &TestDb) {
    let (svc, clock) = instance(t);
    let (_org, project) = world(&svc).await;
    let (dev, text) = dev_key(&svc, &project, "CI").await;
    verify_n(&svc, &text, 2, &[]).await;
    clock.advance(3 * DAY_MS);
    verify_n(&svc, &text, 5, &[]).await;
    svc.revoke_key(&operator(), &dev).await.unwrap();
    verify_n(&svc, &text, 1, &[]).await;
    svc.flush_usage().await.unwrap();
    let day = svc
        .key_detail(&operator(), &dev, UsageRange::Day)
        .await
        .unwrap();
    assert_eq!(day.series.buckets.len(), 24);
    assert_eq!(
        day.series.buckets[23],
        [5, 1, 0, 0, 0, 0, 0],
        "this hour: 5 valid, 1 revoked"
    );
    assert_eq!(
        day.series.totals(),
        [5, 1, 0, 0, 0, 0, 0],
        "three days ago is out of range"
    );
    let week = svc
        .key_detail(&operator(), &dev, UsageRange::Week)
        .await
        .unwrap();
    assert_eq!(week.series.buckets.len(), 7);
    assert_eq!(week.series.totals(), [7, 1, 0, 0, 0, 0, 0]);
    assert_eq!(
        week.series
            .buckets
            .iter()
            .filter(|b| b.iter().sum::<u64>() > 0)
            .count(),
        2
    );
}

async fn key_detail_lists_permissions_not_asked_for_in_30_days(t: &TestDb) {
    let (svc, clock) = instance(t);
    let (org, project) = world(&svc).await;
    let granted = [
        Permission::FilesWrite,
        Permission::ContextRead,
        Permission::ProjectCreation,
    ];
    let (sync, text) = org_key(&svc, &org, "sync", &granted).await;
    // Asked 40 days ago (out of the window) for project creation, now for files:read.
    verify_n(&svc, &text, 1, &[Permission::ProjectCreation]).await;
    svc.flush_usage().await.unwrap();
    clock.advance(40 * DAY_MS);
    verify_n(&svc, &text, 3, &[Permission::FilesRead]).await;
    svc.flush_usage().await.unwrap();
    let detail = svc
        .key_detail(&operator(), &sync, UsageRange::Month)
        .await
        .unwrap();
    let unused = detail.unused.expect("an organisation key");
    // files:read was asked (within files:write); the rest never, or too long ago.
    assert_eq!(
        unused.to_strings(),
        ["files:write", "context:read", "project_creation"]
    );
    let (dev, _) = dev_key(&svc, &project, "CI").await;
    assert_eq!(
        svc.key_detail(&operator(), &dev, UsageRange::Week)
            .await
            .unwrap()
            .unused,
        None
    );
}

async fn remove_unused_permissions_keeps_what_was_asked(t: &TestDb) {
    let (svc, _clock) = instance(t);
    let (org, _project) = world(&svc).await;
    let (sync, text) = org_key(
        &svc,
        &org,
        "sync",
        &[Permission::FilesWrite, Permission::ContextRead],
    )
    .await;
    let conflict = |r: Result<gtx_core::db::models::ApiKeyRecord, CoreError>| match r {
        Err(CoreError::Conflict(p)) => p,
        other => panic!("expected a conflict, got {other:?}"),
    };
    assert_eq!(
        conflict(svc.remove_unused_permissions(&operator(), &sync).await),
        Problem::KeyAskedNothing
    );
    verify_n(&svc, &text, 2, &[Permission::FilesRead]).await;
    svc.flush_usage().await.unwrap();
    let trimmed = svc
        .remove_unused_permissions(&operator(), &sync)
        .await
        .unwrap();
    assert_eq!(trimmed.permissions, perms(&[Permission::FilesRead]));
    let event = audit_of(t, &org.id).await.remove(0);
    assert_eq!(event.action, "key.permissions");
    // It reaches this instance's cache at once.
    assert_eq!(
        verify_n(&svc, &text, 1, &[Permission::FilesWrite]).await,
        "INSUFFICIENT_PERMISSIONS"
    );
    svc.flush_usage().await.unwrap();
    assert_eq!(
        conflict(svc.remove_unused_permissions(&operator(), &sync).await),
        Problem::NoUnusedPermissions
    );
}

async fn key_detail_counts_requests_since_the_rotation(t: &TestDb) {
    let (svc, clock) = instance(t);
    let (_org, project) = world(&svc).await;
    let (old, text) = dev_key(&svc, &project, "CI").await;
    verify_n(&svc, &text, 5, &[]).await;
    clock.advance(10 * MINUTE);
    let rotated = svc
        .rotate_key(&operator(), &old, GracePeriod::OneDay)
        .await
        .unwrap();
    let detail = svc
        .key_detail(&operator(), &old, UsageRange::Day)
        .await
        .unwrap();
    assert_eq!(detail.since_rotation, Some((T0 + 10 * MINUTE, 0)));
    clock.advance(MINUTE);
    verify_n(&svc, &text, 3, &[]).await;
    svc.flush_usage().await.unwrap();
    let detail = svc
        .key_detail(&operator(), &old, UsageRange::Day)
        .await
        .unwrap();
    assert_eq!(
        detail.since_rotation,
        Some((T0 + 10 * MINUTE, 3)),
        "not the 5 before"
    );
    let new = svc
        .key_detail(&operator(), &rotated.created.record.id, UsageRange::Day)
        .await
        .unwrap();
    assert_eq!(
        new.since_rotation, None,
        "only the old key is in a grace period"
    );
    svc.end_grace_period(&operator(), &old).await.unwrap();
    let ended = svc
        .key_detail(&operator(), &old, UsageRange::Day)
        .await
        .unwrap();
    assert_eq!(ended.since_rotation, None);
}

async fn list_keys_with_usage_sums_the_last_seven_days(t: &TestDb) {
    let (svc, clock) = instance(t);
    let (_org, project) = world(&svc).await;
    let (busy, busy_text) = dev_key(&svc, &project, "busy").await;
    let (idle, _) = dev_key(&svc, &project, "idle").await;
    verify_n(&svc, &busy_text, 4, &[]).await;
    svc.flush_usage().await.unwrap();
    clock.advance(8 * DAY_MS);
    verify_n(&svc, &busy_text, 2, &[]).await;
    svc.flush_usage().await.unwrap();
    let scope = KeyListScope::Project(project.id.clone());
    let (page, totals) = svc
        .list_keys_with_usage(&operator(), &scope, &KeyListQuery::all())
        .await
        .unwrap();
    assert_eq!(page.rows.len(), 2);
    assert_eq!(totals.get(&busy), Some(&2), "the 4 of 8 days ago are out");
    assert_eq!(totals.get(&idle), None);
}
