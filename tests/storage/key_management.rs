//! Keys managed by keys: an organisation key with `api_keys:*` acting through the same
//! services as the dashboard, and every way round the rule against escalation: a key
//! hands out, restores or widens only what it holds itself.

use super::services::{create as made, new_key, org_scope, setup};
use crate::common::{T0, TestDb, audit_of, operator};
use gtx_core::db::models::Project;
use gtx_core::domain::key_list::KeyListQuery;
use gtx_core::domain::lifetime::GracePeriod;
use gtx_core::domain::policy::OrgPolicy;
use gtx_core::domain::status::DAY_MS;
use gtx_core::domain::validation::Problem;
use gtx_core::domain::{IpAllowList, KeyType, Permission, PermissionSet};
use gtx_core::error::CoreError;
use gtx_core::services::{Actor, CreatedKey, KeyListScope, KeyScope, NewKey, Services};

on_both_backends!(
    key_manager_creates_only_keys_it_could_hold,
    key_without_api_keys_permission_cannot_manage_keys,
    key_manager_never_widens_itself_or_a_stronger_key,
    key_manager_takes_access_away_from_any_key_of_its_organisation,
    key_manager_is_scoped_to_its_organisation,
    key_manager_is_bound_by_the_maximum_lifetime,
);

fn perms(list: &[Permission]) -> PermissionSet {
    list.iter().copied().collect()
}

/// A production key's scope in `project`.
fn project_scope(project: &Project) -> KeyScope {
    super::services::project_scope(project, KeyType::Production)
}

/// The actor a platform API call with this key is.
async fn acting_as(svc: &Services, key: &CreatedKey) -> Actor {
    let verdict = svc
        .verify_key(key.key.expose(), None, PermissionSet::empty(), None)
        .await
        .unwrap();
    Actor::api_key(verdict.key.expect("a live key"), None, None)
}

/// Asserts the call was refused for lacking exactly `missing` (in display order).
fn assert_missing(result: Result<impl std::fmt::Debug, CoreError>, missing: &[Permission]) {
    match result {
        Err(CoreError::MissingPermissions(set)) => {
            assert_eq!(set.iter().collect::<Vec<_>>(), missing);
        }
        other => panic!("expected MissingPermissions {missing:?}, got {other:?}"),
    }
}

fn assert_not_found(result: Result<impl std::fmt::Debug, CoreError>) {
    match result {
        Err(CoreError::NotFound { .. }) => {}
        other => panic!("expected NotFound, got {other:?}"),
    }
}

async fn key_manager_creates_only_keys_it_could_hold(t: &TestDb) {
    use Permission::*;
    let (svc, _clock, org, project) = setup(t).await;
    let manager = made(
        &svc,
        org_scope(&org, perms(&[ApiKeysWrite, FilesWrite])),
        "mgr",
    )
    .await;
    let m = acting_as(&svc, &manager).await;
    // Within what it holds: its own api_keys:write included.
    let made_by_key = svc
        .create_key(&m, new_key(org_scope(&org, perms(&[FilesRead])), "reader"))
        .await
        .unwrap();
    assert_eq!(made_by_key.record.created_by_label, m.label());
    assert!(
        m.label().starts_with("API key mgr (gtx-org-"),
        "{}",
        m.label()
    );
    let event = audit_of(t, &org.id).await.remove(0);
    assert_eq!(
        (event.action.as_str(), event.actor_label.as_str()),
        ("key.create", m.label().as_str())
    );
    svc.create_key(
        &m,
        new_key(org_scope(&org, perms(&[ApiKeysWrite, FilesWrite])), "peer"),
    )
    .await
    .unwrap();
    // Beyond it: refused, naming what it lacks, and nothing written.
    assert_missing(
        svc.create_key(
            &m,
            new_key(org_scope(&org, perms(&[FilesWrite, ContextRead])), "wider"),
        )
        .await,
        &[ContextRead],
    );
    let project_perms = PermissionSet::project_key();
    let lacking: Vec<Permission> = project_perms
        .iter()
        .filter(|p| !matches!(p, FilesRead | FilesWrite))
        .collect();
    assert_missing(
        svc.create_key(&m, new_key(project_scope(&project), "prod"))
            .await,
        &lacking,
    );
    let listed = svc
        .list_keys(
            &operator(),
            &KeyListScope::Organisation(org.id.clone()),
            &KeyListQuery::default(),
        )
        .await
        .unwrap();
    assert_eq!(listed.rows.len(), 3, "mgr, reader and peer; nothing else");
    // A key with every project permission may make and rotate project keys.
    let full_manager = made(
        &svc,
        org_scope(&org, PermissionSet::full().union(perms(&[ApiKeysWrite]))),
        "full mgr",
    )
    .await;
    let f = acting_as(&svc, &full_manager).await;
    let prod = svc
        .create_key(&f, new_key(project_scope(&project), "prod"))
        .await
        .unwrap();
    assert_eq!(prod.record.permissions, project_perms);
    svc.rotate_key(&f, &prod.record.id, GracePeriod::OneHour)
        .await
        .unwrap();
}

async fn key_without_api_keys_permission_cannot_manage_keys(t: &TestDb) {
    use Permission::*;
    let (svc, _clock, org, project) = setup(t).await;
    let target = made(&svc, org_scope(&org, perms(&[FilesRead])), "target").await;
    let prod = made(&svc, project_scope(&project), "prod").await;
    let org_scope_list = KeyListScope::Organisation(org.id.clone());
    let project_list = KeyListScope::Project(project.id.clone());
    let view = KeyListQuery::default();
    // "Full access" holds no key management; a project key never does.
    let full = made(&svc, org_scope(&org, PermissionSet::full()), "full").await;
    for actor in [acting_as(&svc, &full).await, acting_as(&svc, &prod).await] {
        assert_missing(
            svc.list_keys(&actor, &org_scope_list, &view).await,
            &[ApiKeysRead],
        );
        assert_missing(
            svc.list_keys(&actor, &project_list, &view).await,
            &[ApiKeysRead],
        );
        assert_missing(
            svc.create_key(&actor, new_key(org_scope(&org, perms(&[FilesRead])), "x"))
                .await,
            &[ApiKeysRead, ApiKeysWrite],
        );
        assert_missing(
            svc.revoke_key(&actor, &target.record.id).await,
            &[ApiKeysRead, ApiKeysWrite],
        );
        assert_missing(
            svc.disable_key(&actor, &target.record.id).await,
            &[ApiKeysRead, ApiKeysWrite],
        );
    }
    // Read is not write.
    let reader = made(
        &svc,
        org_scope(&org, perms(&[ApiKeysRead, FilesWrite])),
        "r",
    )
    .await;
    let r = acting_as(&svc, &reader).await;
    assert_eq!(
        svc.list_keys(&r, &org_scope_list, &view)
            .await
            .unwrap()
            .rows
            .len(),
        3,
        "target, full and r: the organisation keys"
    );
    assert_eq!(
        svc.list_keys(&r, &project_list, &view)
            .await
            .unwrap()
            .rows
            .len(),
        1
    );
    svc.key_detail(&r, &target.record.id, Default::default())
        .await
        .unwrap();
    assert_missing(svc.revoke_key(&r, &target.record.id).await, &[ApiKeysWrite]);
    assert_missing(
        svc.rotate_key(&r, &target.record.id, GracePeriod::Now)
            .await,
        &[ApiKeysWrite],
    );
    assert_missing(
        svc.describe_key(&r, &target.record.id, "mine now").await,
        &[ApiKeysWrite],
    );
}

async fn key_manager_never_widens_itself_or_a_stronger_key(t: &TestDb) {
    use Permission::*;
    let (svc, _clock, org, _project) = setup(t).await;
    let manager = made(
        &svc,
        org_scope(&org, perms(&[ApiKeysWrite, FilesWrite])),
        "mgr",
    )
    .await;
    let m = acting_as(&svc, &manager).await;
    // Itself: never wider.
    assert_missing(
        svc.set_key_permissions(
            &m,
            &manager.record.id,
            perms(&[ApiKeysWrite, FilesWrite, ContextRead]),
        )
        .await,
        &[ContextRead],
    );
    // A key holding something it lacks: not widened, not rotated (which would reveal
    // it), not enabled, not opened to more addresses.
    let strong = made(&svc, org_scope(&org, perms(&[ProjectCreation])), "strong").await;
    assert_missing(
        svc.set_key_permissions(&m, &strong.record.id, perms(&[ProjectCreation, FilesRead]))
            .await,
        &[ProjectCreation],
    );
    assert_missing(
        svc.rotate_key(&m, &strong.record.id, GracePeriod::Now)
            .await,
        &[ProjectCreation],
    );
    assert_missing(
        svc.set_key_ip_allowlist(&m, &strong.record.id, &IpAllowList::default())
            .await,
        &[ProjectCreation],
    );
    svc.disable_key(&operator(), &strong.record.id)
        .await
        .unwrap();
    assert_missing(
        svc.enable_key(&m, &strong.record.id).await,
        &[ProjectCreation],
    );
    // Swapping a permission it lacks for one it holds is a widening too.
    assert_missing(
        svc.set_key_permissions(&m, &strong.record.id, perms(&[FilesWrite]))
            .await,
        &[ProjectCreation],
    );
    let stored = svc
        .key_detail(&operator(), &strong.record.id, Default::default())
        .await
        .unwrap();
    assert_eq!(
        stored.key.permissions,
        perms(&[ProjectCreation]),
        "unchanged"
    );
    assert!(stored.key.disabled_at.is_some(), "still disabled");
    // A key within what it holds: all of it.
    let weak = made(&svc, org_scope(&org, perms(&[FilesRead])), "weak").await;
    svc.set_key_permissions(&m, &weak.record.id, perms(&[FilesWrite]))
        .await
        .unwrap();
    let list = IpAllowList::parse("allowed_ips", "10.0.0.0/8").unwrap();
    svc.set_key_ip_allowlist(&m, &weak.record.id, &list)
        .await
        .unwrap();
    svc.disable_key(&m, &weak.record.id).await.unwrap();
    svc.enable_key(&m, &weak.record.id).await.unwrap();
    svc.rotate_key(&m, &weak.record.id, GracePeriod::Now)
        .await
        .unwrap();
}

async fn key_manager_takes_access_away_from_any_key_of_its_organisation(t: &TestDb) {
    use Permission::*;
    let (svc, _clock, org, project) = setup(t).await;
    let manager = made(&svc, org_scope(&org, perms(&[ApiKeysWrite])), "mgr").await;
    let m = acting_as(&svc, &manager).await;
    let strong = made(&svc, org_scope(&org, PermissionSet::full()), "strong").await;
    // Narrowing, disabling, describing and revoking take nothing it lacks.
    svc.set_key_permissions(&m, &strong.record.id, perms(&[FilesRead]))
        .await
        .unwrap();
    svc.describe_key(&m, &strong.record.id, "Narrowed by CI.")
        .await
        .unwrap();
    svc.disable_key(&m, &strong.record.id).await.unwrap();
    svc.revoke_key(&m, &strong.record.id).await.unwrap();
    let prod = made(&svc, project_scope(&project), "prod").await;
    svc.revoke_key(&m, &prod.record.id).await.unwrap();
    let event = audit_of(t, &org.id).await.remove(0);
    assert_eq!(
        (event.action.as_str(), event.actor_label.as_str()),
        ("key.revoke", m.label().as_str())
    );
    let verdict = svc
        .verify_key(prod.key.expose(), None, PermissionSet::empty(), None)
        .await
        .unwrap();
    assert_eq!(verdict.code.as_str(), "REVOKED");
}

async fn key_manager_is_scoped_to_its_organisation(t: &TestDb) {
    use Permission::*;
    let (svc, _clock, org, _project) = setup(t).await;
    let other = svc.create_org(&operator(), "Other").await.unwrap();
    let theirs = svc
        .create_project(&operator(), &other.id, "Theirs", None)
        .await
        .unwrap();
    let their_key = made(&svc, org_scope(&other, perms(&[FilesRead])), "theirs").await;
    let their_prod = made(&svc, project_scope(&theirs), "their prod").await;
    let all = PermissionSet::full().union(perms(&[ApiKeysWrite]));
    let manager = made(&svc, org_scope(&org, all), "mgr").await;
    let m = acting_as(&svc, &manager).await;
    let view = KeyListQuery::default();
    assert_not_found(
        svc.list_keys(&m, &KeyListScope::Organisation(other.id.clone()), &view)
            .await,
    );
    assert_not_found(
        svc.list_keys(&m, &KeyListScope::Project(theirs.id.clone()), &view)
            .await,
    );
    assert_not_found(
        svc.create_key(&m, new_key(org_scope(&other, perms(&[FilesRead])), "x"))
            .await,
    );
    assert_not_found(
        svc.create_key(&m, new_key(project_scope(&theirs), "x"))
            .await,
    );
    for id in [&their_key.record.id, &their_prod.record.id] {
        assert_not_found(svc.revoke_key(&m, id).await);
        assert_not_found(svc.rotate_key(&m, id, GracePeriod::Now).await);
        assert_not_found(svc.disable_key(&m, id).await);
        assert_not_found(svc.key_detail(&m, id, Default::default()).await);
    }
}

async fn key_manager_is_bound_by_the_maximum_lifetime(t: &TestDb) {
    use Permission::*;
    let (svc, _clock, org, _project) = setup(t).await;
    let manager = made(
        &svc,
        org_scope(&org, perms(&[ApiKeysWrite, FilesRead])),
        "mgr",
    )
    .await;
    let m = acting_as(&svc, &manager).await;
    svc.set_org_policy(
        &operator(),
        &org.id,
        OrgPolicy {
            max_key_lifetime_days: Some(30),
            disable_unused_after_days: None,
        },
    )
    .await
    .unwrap();
    for expires_at in [None, Some(T0 + 31 * DAY_MS)] {
        let result = svc
            .create_key(
                &m,
                NewKey {
                    expires_at,
                    ..new_key(org_scope(&org, perms(&[FilesRead])), "long")
                },
            )
            .await;
        match result {
            Err(CoreError::Invalid(e)) => {
                assert_eq!(
                    (e.field.as_str(), e.problem),
                    ("expires", Problem::ExpiryOverPolicy)
                );
            }
            other => panic!("expected the policy to refuse {expires_at:?}, got {other:?}"),
        }
    }
}
