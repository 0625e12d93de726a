//! Changes that keep a key: disable and enable, description, IP allow-list, an
//! organisation key's permissions, and ending a rotation's grace period early. Each is
//! audited, refused with a clear conflict when it does not apply, and leaves a
//! `key_changes` row so other instances drop the key from their caches.

use super::services::setup;
use crate::common::{T0, TestDb, audit_of, operator};
use gtx_core::db::repo::{key_changes, keys};
use gtx_core::domain::key_list::KeyListQuery;
use gtx_core::domain::lifetime::GracePeriod;
use gtx_core::domain::status::DAY_MS;
use gtx_core::domain::time::HOUR_MS;
use gtx_core::domain::validation::Problem;
use gtx_core::domain::{IpAllowList, KeyStatus, KeyType, Permission, PermissionSet};
use gtx_core::error::CoreError;
use gtx_core::services::{CreatedKey, KeyListScope, KeyScope, NewKey, Services};

on_both_backends!(
    disable_key_sets_status_disabled_and_enable_clears_it,
    disable_key_twice_or_enable_an_enabled_key_is_conflict,
    disable_key_revoked_or_expired_is_conflict,
    key_changes_are_audited_and_recorded_for_other_instances,
    describe_key_stores_checked_text,
    set_key_ip_allowlist_stores_normalised_networks,
    set_key_permissions_changes_an_organisation_key_only,
    end_grace_period_stops_the_old_key_now,
    end_grace_period_of_a_key_not_rotated_is_conflict,
    rotate_key_copies_description_and_allowlist_and_refuses_disabled,
    list_keys_filters_disabled,
);

async fn org_key(
    svc: &Services,
    org: &gtx_core::db::models::Organisation,
    name: &str,
) -> CreatedKey {
    let permissions: PermissionSet = [Permission::FilesWrite, Permission::ContextRead]
        .into_iter()
        .collect();
    svc.create_key(
        &operator(),
        NewKey {
            scope: KeyScope::Organisation {
                org_id: org.id.clone(),
                permissions,
            },
            name: name.to_owned(),
            expires_at: None,
            description: "Nightly sync of the docs.".to_owned(),
        },
    )
    .await
    .unwrap()
}

async fn dev_key(
    svc: &Services,
    project: &gtx_core::db::models::Project,
    name: &str,
    expires_at: Option<i64>,
) -> CreatedKey {
    svc.create_key(
        &operator(),
        NewKey {
            scope: KeyScope::Project {
                project_id: project.id.clone(),
                key_type: KeyType::Development,
            },
            name: name.to_owned(),
            expires_at,
            description: String::new(),
        },
    )
    .await
    .unwrap()
}

/// Asserts that `result` is invalid input on `field`, for `problem`.
fn assert_invalid(result: Result<impl std::fmt::Debug, CoreError>, field: &str, problem: Problem) {
    match result {
        Err(CoreError::Invalid(e)) => assert_eq!((e.field.as_str(), e.problem), (field, problem)),
        other => panic!("expected Invalid on {field}, got {other:?}"),
    }
}

fn conflict(result: Result<impl std::fmt::Debug, CoreError>) -> Problem {
    match result {
        Err(CoreError::Conflict(problem)) => problem,
        other => panic!("expected a conflict, got {other:?}"),
    }
}

async fn disable_key_sets_status_disabled_and_enable_clears_it(t: &TestDb) {
    let (svc, clock, _org, project) = setup(t).await;
    let key = dev_key(&svc, &project, "CI", None).await.record;
    clock.advance(5);
    let disabled = svc.disable_key(&operator(), &key.id).await.unwrap();
    assert_eq!(disabled.disabled_at, Some(T0 + 5));
    assert_eq!(disabled.status(svc.now()), KeyStatus::Disabled);
    let enabled = svc.enable_key(&operator(), &key.id).await.unwrap();
    assert_eq!(enabled.disabled_at, None);
    assert_eq!(enabled.status(svc.now()), KeyStatus::Active);
    // Nothing else moved.
    assert_eq!(
        gtx_core::db::models::ApiKeyRecord {
            disabled_at: None,
            ..enabled
        },
        key
    );
}

async fn disable_key_twice_or_enable_an_enabled_key_is_conflict(t: &TestDb) {
    let (svc, _clock, _org, project) = setup(t).await;
    let key = dev_key(&svc, &project, "CI", None).await.record;
    assert_eq!(
        conflict(svc.enable_key(&operator(), &key.id).await),
        Problem::KeyNotDisabled
    );
    svc.disable_key(&operator(), &key.id).await.unwrap();
    assert_eq!(
        conflict(svc.disable_key(&operator(), &key.id).await),
        Problem::KeyAlreadyDisabled
    );
}

async fn disable_key_revoked_or_expired_is_conflict(t: &TestDb) {
    let (svc, clock, _org, project) = setup(t).await;
    let revoked = dev_key(&svc, &project, "gone", None).await.record;
    svc.revoke_key(&operator(), &revoked.id).await.unwrap();
    assert_eq!(
        conflict(svc.disable_key(&operator(), &revoked.id).await),
        Problem::KeyRevoked
    );
    let short = dev_key(&svc, &project, "short", Some(T0 + HOUR_MS))
        .await
        .record;
    clock.advance(HOUR_MS);
    assert_eq!(
        conflict(svc.disable_key(&operator(), &short.id).await),
        Problem::KeyExpired
    );
    assert_eq!(
        conflict(svc.describe_key(&operator(), &short.id, "x").await),
        Problem::KeyExpired
    );
}

async fn key_changes_are_audited_and_recorded_for_other_instances(t: &TestDb) {
    let (svc, _clock, org, project) = setup(t).await;
    let key = dev_key(&svc, &project, "CI", None).await.record;
    let seq = key_changes::latest_seq(t.pool()).await.unwrap();
    svc.disable_key(&operator(), &key.id).await.unwrap();
    svc.enable_key(&operator(), &key.id).await.unwrap();
    svc.describe_key(&operator(), &key.id, "Builds previews.")
        .await
        .unwrap();
    let list = IpAllowList::parse("ips", "10.0.0.0/8").unwrap();
    svc.set_key_ip_allowlist(&operator(), &key.id, &list)
        .await
        .unwrap();
    let changes = key_changes::since(t.pool(), seq, 100).await.unwrap();
    assert_eq!(changes.len(), 4, "one change record each");
    assert!(changes.iter().all(|(_, id)| *id == key.id));
    let events = audit_of(t, &org.id).await;
    let actions: Vec<&str> = events.iter().take(4).map(|e| e.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "key.ip_allowlist",
            "key.describe",
            "key.enable",
            "key.disable"
        ]
    );
    for event in events.iter().take(4) {
        assert_eq!(event.target_id.as_deref(), Some(key.id.as_str()));
        assert_eq!(event.target_label.as_deref(), Some("CI"));
    }
    let allowlist: serde_json::Value =
        serde_json::from_str(events[0].details.as_deref().unwrap()).unwrap();
    assert_eq!(
        allowlist,
        serde_json::json!({ "before": [], "after": ["10.0.0.0/8"] })
    );
}

async fn describe_key_stores_checked_text(t: &TestDb) {
    let (svc, _clock, org, project) = setup(t).await;
    let key = dev_key(&svc, &project, "CI", None).await.record;
    assert_eq!(key.description, "");
    let described = svc
        .describe_key(
            &operator(),
            &key.id,
            "  Deploys the site.\r\nOwner: web team. ",
        )
        .await
        .unwrap();
    assert_eq!(described.description, "Deploys the site.\nOwner: web team.");
    let too_long = svc
        .describe_key(&operator(), &key.id, &"x".repeat(501))
        .await;
    assert_invalid(too_long, "description", Problem::DescriptionTooLong);
    let stored = keys::get(t.pool(), &org.id, &key.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        stored.description, "Deploys the site.\nOwner: web team.",
        "kept"
    );
    let created = org_key(&svc, &org, "Sync").await.record;
    assert_eq!(created.description, "Nightly sync of the docs.");
}

async fn set_key_ip_allowlist_stores_normalised_networks(t: &TestDb) {
    let (svc, _clock, org, project) = setup(t).await;
    let key = dev_key(&svc, &project, "CI", None).await.record;
    let list = IpAllowList::parse("ips", "10.1.2.3/8\n2001:db8::1/32, 192.0.2.7").unwrap();
    let set = svc
        .set_key_ip_allowlist(&operator(), &key.id, &list)
        .await
        .unwrap();
    let stored = keys::get(t.pool(), &org.id, &key.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.ip_allowlist, set.ip_allowlist);
    assert_eq!(
        stored.ip_allowlist.networks().collect::<Vec<_>>(),
        ["10.0.0.0/8", "2001:db8::/32", "192.0.2.7/32"]
    );
    let cleared = svc
        .set_key_ip_allowlist(&operator(), &key.id, &IpAllowList::default())
        .await
        .unwrap();
    assert!(cleared.ip_allowlist.is_empty());
}

async fn set_key_permissions_changes_an_organisation_key_only(t: &TestDb) {
    let (svc, _clock, org, project) = setup(t).await;
    let key = org_key(&svc, &org, "Sync").await.record;
    let read: PermissionSet = [Permission::FilesRead].into_iter().collect();
    let edited = svc
        .set_key_permissions(&operator(), &key.id, read)
        .await
        .unwrap();
    assert_eq!(edited.permissions, read);
    let event = audit_of(t, &org.id).await.remove(0);
    assert_eq!(event.action, "key.permissions");
    let details: serde_json::Value =
        serde_json::from_str(event.details.as_deref().unwrap()).unwrap();
    assert_eq!(
        details["before"],
        serde_json::json!(["files:read", "files:write", "context:read"])
    );
    assert_eq!(details["after"], serde_json::json!(["files:read"]));
    let none = svc
        .set_key_permissions(&operator(), &key.id, PermissionSet::empty())
        .await;
    assert_invalid(none, "permissions", Problem::NoPermission);
    let dev = dev_key(&svc, &project, "CI", None).await.record;
    assert_eq!(
        conflict(svc.set_key_permissions(&operator(), &dev.id, read).await),
        Problem::KeyPermissionsFixed
    );
}

async fn end_grace_period_stops_the_old_key_now(t: &TestDb) {
    let (svc, clock, org, project) = setup(t).await;
    let old = dev_key(&svc, &project, "CI", None).await.record;
    let rotated = svc
        .rotate_key(&operator(), &old.id, GracePeriod::SevenDays)
        .await
        .unwrap();
    assert_eq!(rotated.old.status(svc.now()), KeyStatus::Expiring);
    clock.advance(HOUR_MS);
    let ended = svc.end_grace_period(&operator(), &old.id).await.unwrap();
    assert_eq!(ended.expires_at, Some(T0 + HOUR_MS));
    assert_eq!(ended.status(svc.now()), KeyStatus::Expired);
    let event = audit_of(t, &org.id).await.remove(0);
    assert_eq!(event.action, "key.end_grace");
    // Ended already: a second "Stop old key now" is refused as expired.
    assert_eq!(
        conflict(svc.end_grace_period(&operator(), &old.id).await),
        Problem::KeyExpired
    );
    // The replacement is untouched.
    let new = keys::get(t.pool(), &org.id, &rotated.created.record.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(new.status(svc.now()), KeyStatus::Active);
}

async fn end_grace_period_of_a_key_not_rotated_is_conflict(t: &TestDb) {
    let (svc, _clock, _org, project) = setup(t).await;
    let key = dev_key(&svc, &project, "CI", None).await.record;
    assert_eq!(
        conflict(svc.end_grace_period(&operator(), &key.id).await),
        Problem::KeyNotInGrace
    );
}

async fn rotate_key_copies_description_and_allowlist_and_refuses_disabled(t: &TestDb) {
    let (svc, _clock, org, _project) = setup(t).await;
    let old = org_key(&svc, &org, "Sync").await.record;
    let list = IpAllowList::parse("ips", "203.0.113.0/24").unwrap();
    svc.set_key_ip_allowlist(&operator(), &old.id, &list)
        .await
        .unwrap();
    let rotated = svc
        .rotate_key(&operator(), &old.id, GracePeriod::OneHour)
        .await
        .unwrap();
    assert_eq!(
        rotated.created.record.description,
        "Nightly sync of the docs."
    );
    assert_eq!(rotated.created.record.ip_allowlist, list);
    let new_id = rotated.created.record.id;
    svc.disable_key(&operator(), &new_id).await.unwrap();
    assert_eq!(
        conflict(svc.rotate_key(&operator(), &new_id, GracePeriod::Now).await),
        Problem::KeyDisabled
    );
}

async fn list_keys_filters_disabled(t: &TestDb) {
    let (svc, clock, _org, project) = setup(t).await;
    let paused = dev_key(&svc, &project, "paused", None).await.record;
    let expiring = dev_key(&svc, &project, "expiring", Some(T0 + DAY_MS))
        .await
        .record;
    let paused_expired = dev_key(&svc, &project, "paused expired", Some(T0 + HOUR_MS))
        .await
        .record;
    dev_key(&svc, &project, "live", None).await;
    for key in [&paused, &expiring, &paused_expired] {
        svc.disable_key(&operator(), &key.id).await.unwrap();
    }
    svc.enable_key(&operator(), &expiring.id).await.unwrap();
    clock.advance(HOUR_MS);
    let names = |status: &str| {
        let view = KeyListQuery::from_lookup(|k| (k == "status").then(|| status.to_owned()));
        let scope = KeyListScope::Project(project.id.clone());
        let svc = &svc;
        async move {
            let page = svc.list_keys(&operator(), &scope, &view).await.unwrap();
            let mut names: Vec<String> = page.rows.into_iter().map(|k| k.name).collect();
            names.sort();
            names
        }
    };
    assert_eq!(names("disabled").await, ["paused"]);
    assert_eq!(names("expired").await, ["paused expired"]);
    assert_eq!(names("expiring").await, ["expiring"]);
    assert_eq!(names("active").await, ["live"]);
}
