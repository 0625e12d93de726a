//! Rotation: the replacement keeps name, type, scope and permissions; the old key lives
//! on for the grace period (never past its own expiry) and then stops by itself.

use super::services::setup;
use crate::common::{T0, TestDb, audit_of, operator};
use gtx_core::db::models::Project;
use gtx_core::db::repo::keys;
use gtx_core::domain::lifetime::GracePeriod;
use gtx_core::domain::status::DAY_MS;
use gtx_core::domain::time::HOUR_MS;
use gtx_core::domain::{KeyId, KeyStatus, KeyType, ParsedKey, Permission, PermissionSet};
use gtx_core::error::CoreError;
use gtx_core::services::{CreatedKey, KeyScope, NewKey, Services};

on_both_backends!(
    rotate_key_keeps_name_type_scope_and_permissions,
    rotate_key_lets_the_old_key_live_for_the_grace_period,
    rotate_key_with_grace_now_ends_the_old_key_at_once,
    rotate_key_never_extends_the_old_key_past_its_expiry,
    rotate_key_gives_the_replacement_the_old_lifetime,
    rotate_key_twice_is_conflict,
    rotate_key_revoked_or_expired_is_conflict,
    rotate_key_concurrently_succeeds_once,
    rotate_key_with_unknown_id_is_not_found,
    rotate_key_writes_its_audit_event_without_the_keys,
);

async fn project_key(svc: &Services, project: &Project, expires_at: Option<i64>) -> CreatedKey {
    named_key(svc, project, "CI deploy", expires_at).await
}

async fn named_key(
    svc: &Services,
    project: &Project,
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

async fn rotate_key_keeps_name_type_scope_and_permissions(t: &TestDb) {
    let (svc, clock, org, _project) = setup(t).await;
    let permissions: PermissionSet = [Permission::FilesWrite, Permission::ProjectCreation]
        .into_iter()
        .collect();
    let old = svc
        .create_key(
            &operator(),
            NewKey {
                scope: KeyScope::Organisation {
                    org_id: org.id.clone(),
                    permissions,
                },
                name: "Nightly sync".to_owned(),
                expires_at: None,
                description: "Syncs the nightly build.".to_owned(),
            },
        )
        .await
        .unwrap();
    clock.advance(HOUR_MS);

    let rotated = svc
        .rotate_key(&operator(), &old.record.id, GracePeriod::OneDay)
        .await
        .unwrap();
    let new = &rotated.created.record;
    assert_ne!(new.id, old.record.id);
    assert_eq!(new.name, "Nightly sync");
    assert_eq!(new.key_type, KeyType::Organisation);
    assert_eq!(new.org_id, org.id);
    assert_eq!(new.project_id, None);
    assert_eq!(new.permissions, permissions);
    assert_eq!(new.rotated_from.as_ref(), Some(&old.record.id));
    assert_eq!(new.created_at, T0 + HOUR_MS);
    assert_eq!(rotated.old.replaced_by.as_ref(), Some(&new.id));
    // A fresh key, of the same kind, stored only as its digest.
    let parsed = ParsedKey::parse(rotated.created.key.expose()).unwrap();
    assert_eq!(parsed.key_type(), KeyType::Organisation);
    assert_ne!(rotated.created.key.expose(), old.key.expose());
    let digest = svc.secret().digest(rotated.created.key.expose());
    let (found, _) = keys::find_by_digest(t.pool(), &digest.0)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(&found, new);
}

async fn rotate_key_lets_the_old_key_live_for_the_grace_period(t: &TestDb) {
    let (svc, clock, org, project) = setup(t).await;
    let old = project_key(&svc, &project, None).await;
    let rotated = svc
        .rotate_key(&operator(), &old.record.id, GracePeriod::OneHour)
        .await
        .unwrap();
    assert_eq!(rotated.old.expires_at, Some(T0 + HOUR_MS));
    assert_eq!(rotated.old.status(svc.now()), KeyStatus::Expiring);
    assert_eq!(rotated.created.record.status(svc.now()), KeyStatus::Active);

    clock.advance(HOUR_MS - 1);
    let stored = keys::get(t.pool(), &org.id, &old.record.id)
        .await
        .unwrap()
        .unwrap();
    assert!(stored.status(svc.now()).is_usable());
    clock.advance(1);
    assert_eq!(stored.status(svc.now()), KeyStatus::Expired);
    assert_eq!(rotated.created.record.status(svc.now()), KeyStatus::Active);
}

async fn rotate_key_with_grace_now_ends_the_old_key_at_once(t: &TestDb) {
    let (svc, _clock, _org, project) = setup(t).await;
    let old = project_key(&svc, &project, None).await;
    let rotated = svc
        .rotate_key(&operator(), &old.record.id, GracePeriod::Now)
        .await
        .unwrap();
    assert_eq!(rotated.old.expires_at, Some(T0));
    assert_eq!(rotated.old.status(svc.now()), KeyStatus::Expired);
}

async fn rotate_key_never_extends_the_old_key_past_its_expiry(t: &TestDb) {
    let (svc, _clock, _org, project) = setup(t).await;
    let old = project_key(&svc, &project, Some(T0 + DAY_MS)).await;
    let rotated = svc
        .rotate_key(&operator(), &old.record.id, GracePeriod::SevenDays)
        .await
        .unwrap();
    assert_eq!(rotated.old.expires_at, Some(T0 + DAY_MS));
}

async fn rotate_key_gives_the_replacement_the_old_lifetime(t: &TestDb) {
    let (svc, clock, _org, project) = setup(t).await;
    let old = project_key(&svc, &project, Some(T0 + 90 * DAY_MS)).await;
    clock.advance(80 * DAY_MS);
    let rotated = svc
        .rotate_key(&operator(), &old.record.id, GracePeriod::OneDay)
        .await
        .unwrap();
    assert_eq!(
        rotated.created.record.expires_at,
        Some(T0 + 80 * DAY_MS + 90 * DAY_MS)
    );
    let never = named_key(&svc, &project, "Preview", None).await;
    let rotated = svc
        .rotate_key(&operator(), &never.record.id, GracePeriod::OneDay)
        .await
        .unwrap();
    assert_eq!(rotated.created.record.expires_at, None);
}

async fn rotate_key_twice_is_conflict(t: &TestDb) {
    let (svc, _clock, org, project) = setup(t).await;
    let old = project_key(&svc, &project, None).await;
    svc.rotate_key(&operator(), &old.record.id, GracePeriod::OneDay)
        .await
        .unwrap();
    let again = svc
        .rotate_key(&operator(), &old.record.id, GracePeriod::OneDay)
        .await;
    assert!(matches!(again, Err(CoreError::Conflict(_))), "{again:?}");
    let live: Vec<_> = keys::list_for_project(t.pool(), &org.id, &project.id)
        .await
        .unwrap();
    assert_eq!(live.len(), 2);
}

async fn rotate_key_revoked_or_expired_is_conflict(t: &TestDb) {
    let (svc, clock, _org, project) = setup(t).await;
    let revoked = project_key(&svc, &project, None).await;
    svc.revoke_key(&operator(), &revoked.record.id)
        .await
        .unwrap();
    let result = svc
        .rotate_key(&operator(), &revoked.record.id, GracePeriod::Now)
        .await;
    assert!(matches!(result, Err(CoreError::Conflict(_))), "{result:?}");

    let expiring = project_key(&svc, &project, Some(T0 + DAY_MS)).await;
    clock.advance(DAY_MS);
    let result = svc
        .rotate_key(&operator(), &expiring.record.id, GracePeriod::Now)
        .await;
    assert!(matches!(result, Err(CoreError::Conflict(_))), "{result:?}");
}

async fn rotate_key_concurrently_succeeds_once(t: &TestDb) {
    let (svc, _clock, org, project) = setup(t).await;
    let old = project_key(&svc, &project, None).await;
    let actor = operator();
    let (a, b) = tokio::join!(
        svc.rotate_key(&actor, &old.record.id, GracePeriod::OneHour),
        svc.rotate_key(&actor, &old.record.id, GracePeriod::OneHour)
    );
    match (&a, &b) {
        (Ok(_), Err(CoreError::Conflict(_))) | (Err(CoreError::Conflict(_)), Ok(_)) => {}
        _ => panic!("expected one rotation and one conflict, got {a:?} and {b:?}"),
    }
    let all = keys::list_for_project(t.pool(), &org.id, &project.id)
        .await
        .unwrap();
    assert_eq!(all.len(), 2, "one old key and one replacement");
}

async fn rotate_key_with_unknown_id_is_not_found(t: &TestDb) {
    let (svc, _clock, _org, _project) = setup(t).await;
    let result = svc
        .rotate_key(
            &operator(),
            &KeyId("no-such-key".to_owned()),
            GracePeriod::Now,
        )
        .await;
    assert!(
        matches!(result, Err(CoreError::NotFound { what: "key" })),
        "{result:?}"
    );
}

async fn rotate_key_writes_its_audit_event_without_the_keys(t: &TestDb) {
    let (svc, _clock, org, project) = setup(t).await;
    let old = project_key(&svc, &project, None).await;
    let rotated = svc
        .rotate_key(&operator(), &old.record.id, GracePeriod::SevenDays)
        .await
        .unwrap();
    let events: Vec<_> = audit_of(t, &org.id)
        .await
        .into_iter()
        .filter(|e| e.action == "key.rotate")
        .collect();
    assert_eq!(events.len(), 1);
    let e = &events[0];
    assert_eq!(e.target_id.as_deref(), Some(old.record.id.as_str()));
    assert_eq!(e.actor_label, "operator CLI");
    let details = e.details.clone().unwrap();
    assert!(
        details.contains(rotated.created.record.id.as_str()),
        "{details}"
    );
    assert!(details.contains("\"grace\":\"7d\""), "{details}");
    assert!(!details.contains(rotated.created.key.expose()));
    assert!(!details.contains(old.key.expose()));
}
