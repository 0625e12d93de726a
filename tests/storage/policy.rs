//! An organisation's key policy: the longest lifetime (create refuses more, rotation caps
//! the replacement), and disabling unused keys, exactly once with two instances.

use super::services::setup;
use crate::common::{T0, TestDb, audit_of, operator};
use gtx_core::clock::ManualClock;
use gtx_core::db::models::Project;
use gtx_core::domain::lifetime::GracePeriod;
use gtx_core::domain::policy::OrgPolicy;
use gtx_core::domain::status::DAY_MS;
use gtx_core::domain::validation::Problem;
use gtx_core::domain::{KeyStatus, KeyType};
use gtx_core::error::CoreError;
use gtx_core::keys::ServerSecret;
use gtx_core::services::{KeyScope, NewKey, Services};
use std::sync::Arc;

on_both_backends!(
    set_org_policy_is_audited_and_read_back,
    create_key_beyond_the_maximum_lifetime_is_refused,
    rotate_key_caps_the_replacement_at_the_maximum_lifetime,
    disable_unused_keys_disables_each_stale_key_exactly_once_with_two_instances,
);

fn policy(max: Option<u32>, unused: Option<u32>) -> OrgPolicy {
    OrgPolicy {
        max_key_lifetime_days: max,
        disable_unused_after_days: unused,
    }
}

fn new_key(project: &Project, name: &str, expires_at: Option<i64>) -> NewKey {
    NewKey {
        scope: KeyScope::Project {
            project_id: project.id.clone(),
            key_type: KeyType::Development,
        },
        name: name.to_owned(),
        expires_at,
        description: String::new(),
    }
}

async fn set_org_policy_is_audited_and_read_back(t: &TestDb) {
    let (svc, _clock, org, _project) = setup(t).await;
    assert_eq!(
        svc.org_policy(&operator(), &org.id).await.unwrap(),
        OrgPolicy::default()
    );
    let p = policy(Some(90), Some(30));
    svc.set_org_policy(&operator(), &org.id, p).await.unwrap();
    assert_eq!(svc.org_policy(&operator(), &org.id).await.unwrap(), p);
    let event = audit_of(t, &org.id).await.remove(0);
    assert_eq!(event.action, "organisation.policy");
    let details: serde_json::Value =
        serde_json::from_str(event.details.as_deref().unwrap()).unwrap();
    assert_eq!(details["after"]["max_key_lifetime_days"], 90);
    assert_eq!(
        details["before"]["max_key_lifetime_days"],
        serde_json::Value::Null
    );
}

async fn create_key_beyond_the_maximum_lifetime_is_refused(t: &TestDb) {
    let (svc, _clock, org, project) = setup(t).await;
    svc.set_org_policy(&operator(), &org.id, policy(Some(30), None))
        .await
        .unwrap();
    for expires_at in [None, Some(T0 + 30 * DAY_MS + 1), Some(T0 + 365 * DAY_MS)] {
        match svc
            .create_key(&operator(), new_key(&project, "too long", expires_at))
            .await
        {
            Err(CoreError::Invalid(e)) => {
                assert_eq!(
                    (e.field.as_str(), e.problem),
                    ("expires", Problem::ExpiryOverPolicy)
                );
            }
            other => panic!("expected the policy to refuse {expires_at:?}, got {other:?}"),
        }
    }
    let ok = svc
        .create_key(
            &operator(),
            new_key(&project, "within", Some(T0 + 30 * DAY_MS)),
        )
        .await
        .unwrap();
    assert_eq!(ok.record.expires_at, Some(T0 + 30 * DAY_MS));
}

async fn rotate_key_caps_the_replacement_at_the_maximum_lifetime(t: &TestDb) {
    let (svc, clock, org, project) = setup(t).await;
    let forever = svc
        .create_key(&operator(), new_key(&project, "forever", None))
        .await
        .unwrap();
    let year = svc
        .create_key(
            &operator(),
            new_key(&project, "a year", Some(T0 + 365 * DAY_MS)),
        )
        .await
        .unwrap();
    svc.set_org_policy(&operator(), &org.id, policy(Some(90), None))
        .await
        .unwrap();
    clock.advance(DAY_MS);
    let now = T0 + DAY_MS;
    for old in [forever.record.id, year.record.id] {
        let rotated = svc
            .rotate_key(&operator(), &old, GracePeriod::OneHour)
            .await
            .unwrap();
        assert_eq!(rotated.created.record.expires_at, Some(now + 90 * DAY_MS));
    }
}

/// Services over `t`'s database on a clock of their own.
fn instance(t: &TestDb, clock: &ManualClock) -> Services {
    Services::new(
        t.db.clone(),
        Arc::new(ServerSecret::generate()),
        Arc::new(clock.clone()),
    )
}

async fn disable_unused_keys_disables_each_stale_key_exactly_once_with_two_instances(t: &TestDb) {
    let (svc, clock, org, project) = setup(t).await;
    let mut stale = Vec::new();
    for i in 0..20 {
        let key = svc
            .create_key(&operator(), new_key(&project, &format!("old {i}"), None))
            .await
            .unwrap();
        stale.push(key.record.id);
    }
    clock.advance(20 * DAY_MS);
    let fresh = svc
        .create_key(&operator(), new_key(&project, "fresh", None))
        .await
        .unwrap();
    svc.set_org_policy(&operator(), &org.id, policy(None, Some(30)))
        .await
        .unwrap();
    clock.advance(11 * DAY_MS);
    let (a, b) = (instance(t, &clock), instance(t, &clock));
    let (ran_a, ran_b) = tokio::join!(a.disable_unused_keys(), b.disable_unused_keys());
    assert_eq!(
        ran_a.unwrap() + ran_b.unwrap(),
        20,
        "every stale key, once in all"
    );
    assert_eq!(
        svc.disable_unused_keys().await.unwrap(),
        0,
        "nothing left to do"
    );
    let events = audit_of(t, &org.id).await;
    let disables: Vec<_> = events
        .iter()
        .filter(|e| e.action == "key.disable")
        .collect();
    assert_eq!(disables.len(), 20, "one audit event per key");
    assert!(
        disables
            .iter()
            .all(|e| e.actor_label == "organisation policy")
    );
    for id in &stale {
        let key = gtx_core::db::repo::keys::get(t.pool(), &org.id, id)
            .await
            .unwrap()
            .unwrap();
        assert_eq!(key.status(clock_now(&clock)), KeyStatus::Disabled);
    }
    let fresh = gtx_core::db::repo::keys::get(t.pool(), &org.id, &fresh.record.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        fresh.status(clock_now(&clock)),
        KeyStatus::Active,
        "11 days unused is fine"
    );
}

fn clock_now(clock: &ManualClock) -> i64 {
    use gtx_core::clock::Clock;
    clock.now_ms()
}
