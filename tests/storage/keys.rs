//! API keys: scoping, soft revocation, rotation links, and the constraints that keep
//! names and digests unique.

use crate::common::{
    MINUTE, T0, TestDb, assert_violation, insert_key, insert_org, insert_project, org_key,
    project_key,
};
use gtx_core::db::Backend;
use gtx_core::db::models::ApiKeyRecord;
use gtx_core::db::repo::keys;
use gtx_core::domain::key_list::{KeyListQuery, Page};
use gtx_core::domain::status::{DAY_MS, EXPIRING_WINDOW_MS};
use gtx_core::domain::{KeyId, KeyStatus, KeyType, Permission, PermissionSet};
use gtx_core::keys::HASH_VERSION;
use sqlx::error::ErrorKind;

on_both_backends!(
    insert_key_then_find_by_digest_returns_it_with_the_digest,
    find_key_by_unknown_digest_finds_nothing,
    insert_org_key_keeps_its_permissions,
    get_key_from_other_org_finds_nothing,
    list_keys_for_project_returns_newest_first,
    list_keys_for_org_returns_only_org_keys,
    page_keys_splits_the_list_and_counts_it,
    page_keys_past_the_last_page_shows_the_last,
    page_keys_filters_by_type_and_status_at_now,
    page_keys_searches_name_and_hint_in_any_case,
    page_keys_search_treats_like_characters_as_text,
    page_keys_sorts_each_column_both_ways,
    page_keys_counts_twenty_pages_ahead_then_says_more,
    page_keys_in_place_reads_what_the_pool_reads,
    revoke_key_marks_it_revoked,
    revoke_key_twice_keeps_the_first_revocation,
    revoke_key_from_other_org_changes_nothing,
    mark_replaced_links_the_keys_and_sets_expiry,
    mark_replaced_on_revoked_or_replaced_key_returns_false,
    touch_last_used_keeps_the_later_time,
    count_live_by_hash_version_skips_revoked_keys,
    insert_key_with_duplicate_live_name_is_rejected,
    insert_org_key_with_duplicate_live_name_is_rejected,
    insert_key_with_name_of_revoked_key_is_allowed,
    insert_key_with_name_of_replaced_key_is_allowed,
    insert_key_with_same_name_in_other_scope_is_allowed,
    insert_key_with_duplicate_digest_is_rejected,
    insert_org_key_with_project_violates_check,
    insert_project_key_without_project_violates_check,
);

async fn insert_key_then_find_by_digest_returns_it_with_the_digest(t: &TestDb) {
    let org = insert_org(t, "Acme", T0).await;
    let project = insert_project(t, &org.id, "Website").await;
    let mut new = project_key(&project, "CI deploy", T0);
    new.key_type = KeyType::Development;
    new.expires_at = Some(T0 + 30 * MINUTE);

    let record = insert_key(t, &new).await;
    assert_eq!(record.id, new.id);
    assert_eq!(record.org_id, org.id);
    assert_eq!(record.project_id, Some(project.id.clone()));
    assert_eq!(record.key_type, KeyType::Development);
    assert_eq!(record.name, "CI deploy");
    assert_eq!(record.hash_version, HASH_VERSION);
    assert_eq!(record.hint, new.hint);
    assert_eq!(record.permissions, PermissionSet::project_key());
    assert_eq!(record.created_by, None);
    assert_eq!(record.created_by_label, "operator CLI");
    assert_eq!(record.created_at, T0);
    assert_eq!(record.expires_at, Some(T0 + 30 * MINUTE));
    assert_eq!(
        (record.revoked_at, record.revoked_by_label.as_deref()),
        (None, None)
    );
    assert_eq!(
        (record.rotated_from.as_ref(), record.replaced_by.as_ref()),
        (None, None)
    );
    assert_eq!(record.last_used_at, None);
    assert_eq!(record.status(T0), KeyStatus::Expiring);

    let (found, digest) = keys::find_by_digest(t.pool(), &new.digest)
        .await
        .unwrap()
        .expect("found by digest");
    assert_eq!(found, record);
    assert_eq!(digest, new.digest.to_vec());
}

async fn find_key_by_unknown_digest_finds_nothing(t: &TestDb) {
    let org = insert_org(t, "Acme", T0).await;
    let project = insert_project(t, &org.id, "Website").await;
    insert_key(t, &project_key(&project, "CI", T0)).await;
    assert_eq!(
        keys::find_by_digest(t.pool(), &[0; 32]).await.unwrap(),
        None
    );
}

async fn insert_org_key_keeps_its_permissions(t: &TestDb) {
    let org = insert_org(t, "Acme", T0).await;
    let permissions: PermissionSet = [Permission::FilesWrite, Permission::ProjectCreation]
        .into_iter()
        .collect();
    let record = insert_key(t, &org_key(&org.id, "Automation", permissions, T0)).await;
    assert_eq!(record.key_type, KeyType::Organisation);
    assert_eq!(record.project_id, None);
    assert_eq!(record.permissions, permissions);
    assert!(
        record.permissions.contains(Permission::FilesRead),
        "write carries read"
    );

    let full = insert_key(t, &org_key(&org.id, "Full", PermissionSet::full(), T0)).await;
    assert_eq!(full.permissions, PermissionSet::full());
}

async fn get_key_from_other_org_finds_nothing(t: &TestDb) {
    let acme = insert_org(t, "Acme", T0).await;
    let rival = insert_org(t, "Rival", T0).await;
    let project = insert_project(t, &acme.id, "Website").await;
    let key = insert_key(t, &project_key(&project, "CI", T0)).await;

    assert_eq!(keys::get(t.pool(), &rival.id, &key.id).await.unwrap(), None);
    assert_eq!(
        keys::get(t.pool(), &acme.id, &key.id).await.unwrap(),
        Some(key.clone())
    );
    assert_eq!(
        keys::get_unscoped(t.pool(), &key.id).await.unwrap(),
        Some(key)
    );
    assert_eq!(
        keys::get_unscoped(t.pool(), &KeyId("no-such-key".to_owned()))
            .await
            .unwrap(),
        None
    );
}

async fn list_keys_for_project_returns_newest_first(t: &TestDb) {
    let acme = insert_org(t, "Acme", T0).await;
    let rival = insert_org(t, "Rival", T0).await;
    let web = insert_project(t, &acme.id, "Website").await;
    let app = insert_project(t, &acme.id, "App").await;
    let old = insert_key(t, &project_key(&web, "old", T0)).await;
    let mut dev = project_key(&web, "dev", T0 + 2);
    dev.key_type = KeyType::Development;
    let dev = insert_key(t, &dev).await;
    let mid = insert_key(t, &project_key(&web, "mid", T0 + 1)).await;
    insert_key(t, &project_key(&app, "other project", T0 + 3)).await;
    insert_key(
        t,
        &org_key(&acme.id, "org key", PermissionSet::full(), T0 + 4),
    )
    .await;

    assert_eq!(
        keys::list_for_project(t.pool(), &acme.id, &web.id)
            .await
            .unwrap(),
        vec![dev, mid, old]
    );
    assert_eq!(
        keys::list_for_project(t.pool(), &rival.id, &web.id)
            .await
            .unwrap(),
        vec![]
    );
}

async fn list_keys_for_org_returns_only_org_keys(t: &TestDb) {
    let acme = insert_org(t, "Acme", T0).await;
    let rival = insert_org(t, "Rival", T0).await;
    let web = insert_project(t, &acme.id, "Website").await;
    insert_key(t, &project_key(&web, "project key", T0 + 5)).await;
    let first = insert_key(
        t,
        &org_key(&acme.id, "first", PermissionSet::read_only(), T0),
    )
    .await;
    let second = insert_key(
        t,
        &org_key(&acme.id, "second", PermissionSet::full(), T0 + 1),
    )
    .await;
    let theirs = insert_key(t, &org_key(&rival.id, "theirs", PermissionSet::full(), T0)).await;

    assert_eq!(
        keys::list_for_org(t.pool(), &acme.id).await.unwrap(),
        vec![second, first]
    );
    assert_eq!(
        keys::list_for_org(t.pool(), &rival.id).await.unwrap(),
        vec![theirs]
    );
}

async fn revoke_key_marks_it_revoked(t: &TestDb) {
    let org = insert_org(t, "Acme", T0).await;
    let project = insert_project(t, &org.id, "Website").await;
    let key = insert_key(t, &project_key(&project, "CI", T0)).await;
    let bystander = insert_key(t, &project_key(&project, "other", T0)).await;

    assert!(
        keys::revoke(t.pool(), &org.id, &key.id, T0 + MINUTE, "ada@example.com")
            .await
            .unwrap()
    );

    let revoked = keys::get(t.pool(), &org.id, &key.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(revoked.revoked_at, Some(T0 + MINUTE));
    assert_eq!(revoked.revoked_by_label.as_deref(), Some("ada@example.com"));
    assert_eq!(revoked.status(T0 + MINUTE), KeyStatus::Revoked);
    // Soft delete: still listed, still found by digest (so the check can say "revoked").
    assert_eq!(
        keys::list_for_project(t.pool(), &org.id, &project.id)
            .await
            .unwrap()
            .len(),
        2
    );
    assert!(
        keys::find_by_digest(t.pool(), &stored_digest(t, &key.id).await)
            .await
            .unwrap()
            .is_some()
    );
    assert_eq!(
        keys::get(t.pool(), &org.id, &bystander.id).await.unwrap(),
        Some(bystander)
    );
}

async fn stored_digest(t: &TestDb, id: &KeyId) -> [u8; 32] {
    let row: (Vec<u8>,) = sqlx::query_as("SELECT digest FROM api_keys WHERE id = $1")
        .bind(id.as_str())
        .fetch_one(t.pool())
        .await
        .unwrap();
    row.0.try_into().expect("32-byte digest")
}

async fn revoke_key_twice_keeps_the_first_revocation(t: &TestDb) {
    let org = insert_org(t, "Acme", T0).await;
    let key = insert_key(t, &org_key(&org.id, "CI", PermissionSet::full(), T0)).await;

    assert!(
        keys::revoke(t.pool(), &org.id, &key.id, T0 + 1, "first")
            .await
            .unwrap()
    );
    assert!(
        !keys::revoke(t.pool(), &org.id, &key.id, T0 + 2, "second")
            .await
            .unwrap()
    );

    let stored = keys::get(t.pool(), &org.id, &key.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (stored.revoked_at, stored.revoked_by_label.as_deref()),
        (Some(T0 + 1), Some("first"))
    );
}

async fn revoke_key_from_other_org_changes_nothing(t: &TestDb) {
    let acme = insert_org(t, "Acme", T0).await;
    let rival = insert_org(t, "Rival", T0).await;
    let key = insert_key(t, &org_key(&acme.id, "CI", PermissionSet::full(), T0)).await;

    assert!(
        !keys::revoke(t.pool(), &rival.id, &key.id, T0 + 1, "intruder")
            .await
            .unwrap()
    );
    assert!(
        !keys::revoke(
            t.pool(),
            &acme.id,
            &KeyId("no-such-key".to_owned()),
            T0 + 1,
            "x"
        )
        .await
        .unwrap()
    );
    assert_eq!(
        keys::get(t.pool(), &acme.id, &key.id).await.unwrap(),
        Some(key)
    );
}

async fn mark_replaced_links_the_keys_and_sets_expiry(t: &TestDb) {
    let org = insert_org(t, "Acme", T0).await;
    let project = insert_project(t, &org.id, "Website").await;
    let old = insert_key(t, &project_key(&project, "CI", T0)).await;
    let mut new = project_key(&project, "CI (new)", T0 + MINUTE);
    new.rotated_from = Some(old.id.clone());
    let new = insert_key(t, &new).await;
    assert_eq!(new.rotated_from, Some(old.id.clone()));

    let grace_end = T0 + 60 * MINUTE;
    assert!(
        keys::mark_replaced(t.pool(), &org.id, &old.id, &new.id, grace_end)
            .await
            .unwrap()
    );

    let stored = keys::get(t.pool(), &org.id, &old.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.replaced_by, Some(new.id.clone()));
    assert_eq!(stored.expires_at, Some(grace_end));
    assert_eq!(stored.revoked_at, None);
    assert_eq!(stored.status(T0 + MINUTE), KeyStatus::Expiring);
    assert_eq!(stored.status(grace_end), KeyStatus::Expired);
    assert_eq!(
        keys::get(t.pool(), &org.id, &new.id).await.unwrap(),
        Some(new)
    );
}

async fn mark_replaced_on_revoked_or_replaced_key_returns_false(t: &TestDb) {
    let acme = insert_org(t, "Acme", T0).await;
    let rival = insert_org(t, "Rival", T0).await;
    let project = insert_project(t, &acme.id, "Website").await;
    let revoked = insert_key(t, &project_key(&project, "revoked", T0)).await;
    let live = insert_key(t, &project_key(&project, "live", T0)).await;
    let a = insert_key(t, &project_key(&project, "a", T0)).await;
    let b = insert_key(t, &project_key(&project, "b", T0)).await;
    keys::revoke(t.pool(), &acme.id, &revoked.id, T0 + 1, "x")
        .await
        .unwrap();

    assert!(
        !keys::mark_replaced(t.pool(), &acme.id, &revoked.id, &a.id, T0 + 9)
            .await
            .unwrap()
    );
    assert!(
        !keys::mark_replaced(t.pool(), &rival.id, &live.id, &a.id, T0 + 9)
            .await
            .unwrap()
    );
    assert!(
        keys::mark_replaced(t.pool(), &acme.id, &live.id, &a.id, T0 + 9)
            .await
            .unwrap()
    );
    assert!(
        !keys::mark_replaced(t.pool(), &acme.id, &live.id, &b.id, T0 + 99)
            .await
            .unwrap()
    );

    let stored = keys::get(t.pool(), &acme.id, &live.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (stored.replaced_by, stored.expires_at),
        (Some(a.id), Some(T0 + 9))
    );
    let stored = keys::get(t.pool(), &acme.id, &revoked.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((stored.replaced_by, stored.expires_at), (None, None));
}

async fn touch_last_used_keeps_the_later_time(t: &TestDb) {
    let org = insert_org(t, "Acme", T0).await;
    let key = insert_key(t, &org_key(&org.id, "CI", PermissionSet::full(), T0)).await;
    let other = insert_key(t, &org_key(&org.id, "other", PermissionSet::full(), T0)).await;
    let last_used = |id: KeyId| {
        let org = org.id.clone();
        async move {
            keys::get(t.pool(), &org, &id)
                .await
                .unwrap()
                .unwrap()
                .last_used_at
        }
    };

    keys::touch_last_used(t.pool(), &key.id, T0 + 5 * MINUTE)
        .await
        .unwrap();
    assert_eq!(last_used(key.id.clone()).await, Some(T0 + 5 * MINUTE));

    // A batch from a slower instance arrives late: the stored, later time stays.
    keys::touch_last_used(t.pool(), &key.id, T0 + 2 * MINUTE)
        .await
        .unwrap();
    assert_eq!(last_used(key.id.clone()).await, Some(T0 + 5 * MINUTE));

    keys::touch_last_used(t.pool(), &key.id, T0 + 7 * MINUTE)
        .await
        .unwrap();
    assert_eq!(last_used(key.id.clone()).await, Some(T0 + 7 * MINUTE));
    assert_eq!(last_used(other.id.clone()).await, None);
}

async fn count_live_by_hash_version_skips_revoked_keys(t: &TestDb) {
    let org = insert_org(t, "Acme", T0).await;
    assert_eq!(
        keys::count_live_by_hash_version(t.pool(), HASH_VERSION)
            .await
            .unwrap(),
        0
    );
    let a = insert_key(t, &org_key(&org.id, "a", PermissionSet::full(), T0)).await;
    insert_key(t, &org_key(&org.id, "b", PermissionSet::full(), T0)).await;
    let mut other_version = org_key(&org.id, "c", PermissionSet::full(), T0);
    other_version.hash_version = HASH_VERSION + 1;
    insert_key(t, &other_version).await;

    assert_eq!(
        keys::count_live_by_hash_version(t.pool(), HASH_VERSION)
            .await
            .unwrap(),
        2
    );
    keys::revoke(t.pool(), &org.id, &a.id, T0 + 1, "x")
        .await
        .unwrap();
    assert_eq!(
        keys::count_live_by_hash_version(t.pool(), HASH_VERSION)
            .await
            .unwrap(),
        1
    );
    assert_eq!(
        keys::count_live_by_hash_version(t.pool(), HASH_VERSION + 1)
            .await
            .unwrap(),
        1
    );
}

async fn insert_key_with_duplicate_live_name_is_rejected(t: &TestDb) {
    let org = insert_org(t, "Acme", T0).await;
    let project = insert_project(t, &org.id, "Website").await;
    insert_key(t, &project_key(&project, "CI", T0)).await;
    // Production and development keys of a project share one name space.
    let mut twin = project_key(&project, "CI", T0 + 1);
    twin.key_type = KeyType::Development;

    assert_violation(
        keys::insert(t.pool(), &twin).await,
        ErrorKind::UniqueViolation,
    );
    assert_eq!(keys::get(t.pool(), &org.id, &twin.id).await.unwrap(), None);
}

async fn insert_org_key_with_duplicate_live_name_is_rejected(t: &TestDb) {
    let org = insert_org(t, "Acme", T0).await;
    insert_key(t, &org_key(&org.id, "CI", PermissionSet::full(), T0)).await;
    let twin = org_key(&org.id, "CI", PermissionSet::read_only(), T0 + 1);
    assert_violation(
        keys::insert(t.pool(), &twin).await,
        ErrorKind::UniqueViolation,
    );
}

async fn insert_key_with_name_of_revoked_key_is_allowed(t: &TestDb) {
    let org = insert_org(t, "Acme", T0).await;
    let project = insert_project(t, &org.id, "Website").await;
    let old = insert_key(t, &project_key(&project, "CI", T0)).await;
    let old_org = insert_key(t, &org_key(&org.id, "CI", PermissionSet::full(), T0)).await;
    keys::revoke(t.pool(), &org.id, &old.id, T0 + 1, "x")
        .await
        .unwrap();
    keys::revoke(t.pool(), &org.id, &old_org.id, T0 + 1, "x")
        .await
        .unwrap();

    insert_key(t, &project_key(&project, "CI", T0 + 2)).await;
    insert_key(t, &org_key(&org.id, "CI", PermissionSet::full(), T0 + 2)).await;
    assert_eq!(
        keys::list_for_project(t.pool(), &org.id, &project.id)
            .await
            .unwrap()
            .len(),
        2
    );
    assert_eq!(
        keys::list_for_org(t.pool(), &org.id).await.unwrap().len(),
        2
    );
}

async fn insert_key_with_name_of_replaced_key_is_allowed(t: &TestDb) {
    let org = insert_org(t, "Acme", T0).await;
    let project = insert_project(t, &org.id, "Website").await;
    let old = insert_key(t, &project_key(&project, "CI", T0)).await;
    let other = insert_key(t, &project_key(&project, "other", T0)).await;
    keys::mark_replaced(t.pool(), &org.id, &old.id, &other.id, T0 + 60 * MINUTE)
        .await
        .unwrap();

    let mut again = project_key(&project, "CI", T0 + 1);
    again.rotated_from = Some(old.id.clone());
    insert_key(t, &again).await;
}

async fn insert_key_with_same_name_in_other_scope_is_allowed(t: &TestDb) {
    let acme = insert_org(t, "Acme", T0).await;
    let rival = insert_org(t, "Rival", T0).await;
    let web = insert_project(t, &acme.id, "Website").await;
    let app = insert_project(t, &acme.id, "App").await;
    let theirs = insert_project(t, &rival.id, "Website").await;

    insert_key(t, &project_key(&web, "CI", T0)).await;
    insert_key(t, &project_key(&app, "CI", T0)).await;
    insert_key(t, &project_key(&theirs, "CI", T0)).await;
    insert_key(t, &org_key(&acme.id, "CI", PermissionSet::full(), T0)).await;
    insert_key(t, &org_key(&rival.id, "CI", PermissionSet::full(), T0)).await;
    // Names compare exactly: another case is another name.
    insert_key(t, &project_key(&web, "ci", T0)).await;
}

async fn insert_key_with_duplicate_digest_is_rejected(t: &TestDb) {
    let acme = insert_org(t, "Acme", T0).await;
    let rival = insert_org(t, "Rival", T0).await;
    let first = org_key(&acme.id, "CI", PermissionSet::full(), T0);
    insert_key(t, &first).await;
    let mut clash = org_key(&rival.id, "other", PermissionSet::full(), T0);
    clash.digest = first.digest;

    assert_violation(
        keys::insert(t.pool(), &clash).await,
        ErrorKind::UniqueViolation,
    );
}

async fn insert_org_key_with_project_violates_check(t: &TestDb) {
    let org = insert_org(t, "Acme", T0).await;
    let project = insert_project(t, &org.id, "Website").await;
    let mut bad = org_key(&org.id, "CI", PermissionSet::full(), T0);
    bad.project_id = Some(project.id.clone());

    assert_violation(
        keys::insert(t.pool(), &bad).await,
        ErrorKind::CheckViolation,
    );
    assert_eq!(keys::get(t.pool(), &org.id, &bad.id).await.unwrap(), None);
}

async fn insert_project_key_without_project_violates_check(t: &TestDb) {
    let org = insert_org(t, "Acme", T0).await;
    let project = insert_project(t, &org.id, "Website").await;
    let mut bad = project_key(&project, "CI", T0);
    bad.project_id = None;

    assert_violation(
        keys::insert(t.pool(), &bad).await,
        ErrorKind::CheckViolation,
    );
}

/// A list view from URL pairs, as the dashboard reads it.
fn view(pairs: &[(&str, &str)]) -> KeyListQuery {
    KeyListQuery::from_lookup(|key| {
        pairs
            .iter()
            .find(|(k, _)| *k == key)
            .map(|(_, v)| (*v).to_owned())
    })
}

/// One page of a project's keys (`project` set) or of an organisation's keys, at `now`.
async fn page_of(
    t: &TestDb,
    org: &gtx_core::db::models::Organisation,
    project: Option<&gtx_core::db::models::Project>,
    pairs: &[(&str, &str)],
    now: i64,
) -> Page<ApiKeyRecord> {
    let mut conn = t.pool().acquire().await.unwrap();
    keys::page(
        &mut conn,
        &org.id,
        project.map(|p| &p.id),
        &view(pairs),
        now,
    )
    .await
    .unwrap()
}

fn names(page: &Page<ApiKeyRecord>) -> Vec<&str> {
    page.rows.iter().map(|k| k.name.as_str()).collect()
}

async fn page_keys_splits_the_list_and_counts_it(t: &TestDb) {
    let org = insert_org(t, "Acme", T0).await;
    let web = insert_project(t, &org.id, "Website").await;
    let app = insert_project(t, &org.id, "App").await;
    for i in 0..5 {
        insert_key(t, &project_key(&web, &format!("k{i}"), T0 + i)).await;
    }
    insert_key(t, &project_key(&app, "elsewhere", T0 + 9)).await;
    insert_key(t, &org_key(&org.id, "org", PermissionSet::full(), T0 + 9)).await;

    let first = page_of(t, &org, Some(&web), &[("per_page", "2")], T0).await;
    assert_eq!(names(&first), ["k4", "k3"]);
    assert_eq!((first.matching, first.total, first.page), (5, 5, 1));
    let last = page_of(t, &org, Some(&web), &[("per_page", "2"), ("page", "3")], T0).await;
    assert_eq!(names(&last), ["k0"]);
    assert_eq!(last.page, 3);
    let org_keys = page_of(t, &org, None, &[], T0).await;
    assert_eq!(names(&org_keys), ["org"]);
    assert_eq!(org_keys.total, 1);
}

async fn page_keys_past_the_last_page_shows_the_last(t: &TestDb) {
    let org = insert_org(t, "Acme", T0).await;
    let web = insert_project(t, &org.id, "Website").await;
    for i in 0..3 {
        insert_key(t, &project_key(&web, &format!("k{i}"), T0 + i)).await;
    }
    let page = page_of(
        t,
        &org,
        Some(&web),
        &[("per_page", "2"), ("page", "99")],
        T0,
    )
    .await;
    assert_eq!((names(&page), page.page), (vec!["k0"], 2));
    let empty = insert_project(t, &org.id, "Empty").await;
    let page = page_of(t, &org, Some(&empty), &[("page", "7")], T0).await;
    assert_eq!(
        (page.rows.len(), page.matching, page.total, page.page),
        (0, 0, 0, 1)
    );
}

async fn page_keys_filters_by_type_and_status_at_now(t: &TestDb) {
    let org = insert_org(t, "Acme", T0).await;
    let web = insert_project(t, &org.id, "Website").await;
    let now = T0 + 100 * DAY_MS;
    let mut dev = project_key(&web, "dev", T0);
    dev.key_type = KeyType::Development;
    insert_key(t, &dev).await;
    let mut expired = project_key(&web, "expired", T0 + 1);
    expired.expires_at = Some(now - 1);
    insert_key(t, &expired).await;
    let mut expiring = project_key(&web, "expiring", T0 + 2);
    expiring.expires_at = Some(now + EXPIRING_WINDOW_MS);
    insert_key(t, &expiring).await;
    let mut later = project_key(&web, "later", T0 + 3);
    later.expires_at = Some(now + EXPIRING_WINDOW_MS + 1);
    insert_key(t, &later).await;
    let revoked = insert_key(t, &project_key(&web, "revoked", T0 + 4)).await;
    assert!(
        keys::revoke(t.pool(), &org.id, &revoked.id, now - 5, "x")
            .await
            .unwrap()
    );

    let by = |status: &'static str| [("status", status)];
    let active = page_of(t, &org, Some(&web), &by("active"), now).await;
    assert_eq!(names(&active), ["later", "dev"]);
    assert_eq!((active.matching, active.total), (2, 5));
    assert_eq!(
        names(&page_of(t, &org, Some(&web), &by("expiring"), now).await),
        ["expiring"]
    );
    assert_eq!(
        names(&page_of(t, &org, Some(&web), &by("expired"), now).await),
        ["expired"]
    );
    assert_eq!(
        names(&page_of(t, &org, Some(&web), &by("revoked"), now).await),
        ["revoked"]
    );
    // Each key is in exactly the status the dashboard shows it in.
    for key in page_of(t, &org, Some(&web), &[], now).await.rows {
        let status = KeyStatus::at(now, key.expires_at, key.revoked_at, key.disabled_at).as_str();
        let listed = page_of(t, &org, Some(&web), &by(status), now).await;
        assert!(
            names(&listed).contains(&key.name.as_str()),
            "{} is {status}",
            key.name
        );
    }
    let dev_only = page_of(t, &org, Some(&web), &[("type", "development")], now).await;
    assert_eq!(names(&dev_only), ["dev"]);
}

async fn page_keys_searches_name_and_hint_in_any_case(t: &TestDb) {
    let org = insert_org(t, "Acme", T0).await;
    let web = insert_project(t, &org.id, "Website").await;
    insert_key(t, &project_key(&web, "CI Deploy", T0)).await;
    insert_key(t, &project_key(&web, "staging", T0 + 1)).await;
    let mut hinted = project_key(&web, "laptop", T0 + 2);
    hinted.hint = "gtx-api-QrSt…UvKm".to_owned();
    insert_key(t, &hinted).await;

    let found = page_of(t, &org, Some(&web), &[("q", "ci dep")], T0).await;
    assert_eq!(names(&found), ["CI Deploy"]);
    assert_eq!((found.matching, found.total), (1, 3));
    assert_eq!(
        names(&page_of(t, &org, Some(&web), &[("q", "uvkM")], T0).await),
        ["laptop"]
    );
    assert_eq!(
        page_of(t, &org, Some(&web), &[("q", "nothing")], T0)
            .await
            .matching,
        0
    );
}

async fn page_keys_search_treats_like_characters_as_text(t: &TestDb) {
    let org = insert_org(t, "Acme", T0).await;
    let web = insert_project(t, &org.id, "Website").await;
    insert_key(t, &project_key(&web, "100% ready", T0)).await;
    insert_key(t, &project_key(&web, "snake_case", T0 + 1)).await;
    insert_key(t, &project_key(&web, "plain", T0 + 2)).await;
    insert_key(t, &project_key(&web, "back\\slash", T0 + 3)).await;
    assert_eq!(
        names(&page_of(t, &org, Some(&web), &[("q", "%")], T0).await),
        ["100% ready"]
    );
    assert_eq!(
        names(&page_of(t, &org, Some(&web), &[("q", "_")], T0).await),
        ["snake_case"]
    );
    assert_eq!(
        names(&page_of(t, &org, Some(&web), &[("q", "\\")], T0).await),
        ["back\\slash"]
    );
}

async fn page_keys_sorts_each_column_both_ways(t: &TestDb) {
    let org = insert_org(t, "Acme", T0).await;
    let web = insert_project(t, &org.id, "Website").await;
    let mut b = project_key(&web, "b", T0);
    b.expires_at = Some(T0 + 2 * DAY_MS);
    let b = insert_key(t, &b).await;
    let mut a = project_key(&web, "A", T0 + 1);
    a.expires_at = Some(T0 + DAY_MS);
    insert_key(t, &a).await;
    let c = insert_key(t, &project_key(&web, "c", T0 + 2)).await;
    keys::touch_last_used(t.pool(), &b.id, T0 + 10 * MINUTE)
        .await
        .unwrap();
    keys::touch_last_used(t.pool(), &c.id, T0 + 20 * MINUTE)
        .await
        .unwrap();

    let sorted = |sort: &'static str, dir: &'static str| [("sort", sort), ("dir", dir)];
    let cases: [(&str, &str, [&str; 3]); 8] = [
        ("created", "desc", ["c", "A", "b"]),
        ("created", "asc", ["b", "A", "c"]),
        ("name", "asc", ["A", "b", "c"]),
        ("name", "desc", ["c", "b", "A"]),
        ("last_used", "desc", ["c", "b", "A"]),
        ("last_used", "asc", ["A", "b", "c"]),
        // Never expiring sorts after every date.
        ("expires", "asc", ["A", "b", "c"]),
        ("expires", "desc", ["c", "b", "A"]),
    ];
    for (sort, dir, expected) in cases {
        let page = page_of(t, &org, Some(&web), &sorted(sort, dir), T0).await;
        assert_eq!(names(&page), expected, "{sort} {dir}");
    }
}

async fn page_keys_counts_twenty_pages_ahead_then_says_more(t: &TestDb) {
    let org = insert_org(t, "Acme", T0).await;
    let web = insert_project(t, &org.id, "Website").await;
    for i in 0..25 {
        insert_key(t, &project_key(&web, &format!("k{i:02}"), T0 + i)).await;
    }
    // One key a page: counting stops after 20 pages past the first.
    let first = page_of(t, &org, Some(&web), &[("per_page", "1")], T0).await;
    assert_eq!(
        (first.matching, first.total, first.more, first.total_more),
        (20, 20, true, true)
    );
    assert_eq!(names(&first), ["k24"]);
    // From page 10, the count reaches the end: exact again.
    let tenth = page_of(
        t,
        &org,
        Some(&web),
        &[("per_page", "1"), ("page", "10")],
        T0,
    )
    .await;
    assert_eq!((tenth.matching, tenth.more, tenth.page), (25, false, 10));
    assert_eq!(names(&tenth), ["k15"]);
    // A filter counts its own matches the same way.
    let some = page_of(t, &org, Some(&web), &[("per_page", "1"), ("q", "k0")], T0).await;
    assert_eq!(
        (some.matching, some.more, some.total, some.total_more),
        (10, false, 20, true)
    );
}

async fn page_keys_in_place_reads_what_the_pool_reads(t: &TestDb) {
    let org = insert_org(t, "Acme", T0).await;
    let web = insert_project(t, &org.id, "Website").await;
    for i in 0..7 {
        let mut key = project_key(&web, &format!("Key_{i}"), T0 + i);
        key.expires_at = (i % 2 == 0).then_some(T0 + i * DAY_MS);
        insert_key(t, &key).await;
    }
    insert_key(t, &org_key(&org.id, "org", PermissionSet::full(), T0)).await;
    let views: [&[(&str, &str)]; 6] = [
        &[],
        &[("per_page", "3"), ("page", "2")],
        &[("q", "key_"), ("sort", "name"), ("dir", "desc")],
        &[("status", "expired"), ("sort", "expires")],
        &[
            ("type", "production"),
            ("sort", "last_used"),
            ("per_page", "1"),
        ],
        &[("page", "99")],
    ];
    let now = T0 + 3 * DAY_MS;
    for pairs in views {
        for project in [Some(&web), None] {
            let pooled = page_of(t, &org, project, pairs, now).await;
            let in_place =
                t.db.key_page_in_place(&org.id, project.map(|p| &p.id), &view(pairs), now)
                    .await;
            match t.backend() {
                Backend::Sqlite => assert_eq!(in_place.unwrap(), pooled, "{pairs:?}"),
                // PostgreSQL has no in-place read: the dashboard uses the pool there.
                Backend::Postgres => assert!(in_place.is_err()),
            }
            let served =
                t.db.key_page(&org.id, project.map(|p| &p.id), &view(pairs), now)
                    .await
                    .unwrap();
            assert_eq!(served, pooled, "{pairs:?}");
        }
    }
}
