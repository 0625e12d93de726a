//! Services: validation, the stored form of keys, audit events in the same transaction,
//! and the start-up check of the server secret.

use crate::common::{
    T0, TestDb, assert_invalid, audit_count, audit_of, block_audit_inserts, contains_bytes,
    count_rows, operator, stored_text_and_bytes,
};
use gtx_core::db::models::{ApiKeyRecord, Organisation, Project};
use gtx_core::db::repo::{keys, orgs, projects, secret_checks};
use gtx_core::domain::duration::MAX_EXPIRY_MS;
use gtx_core::domain::key_format::{PREFIX_LEN, SECRET_LEN};
use gtx_core::domain::key_list::KeyListQuery;
use gtx_core::domain::status::DAY_MS;
use gtx_core::domain::{
    KeyId, KeyStatus, KeyType, ParsedKey, Permission, PermissionSet, ProjectId,
};
use gtx_core::error::CoreError;
use gtx_core::keys::{HASH_VERSION, ServerSecret};
use gtx_core::services::{CreatedKey, KeyListScope, KeyScope, NewKey, Services};

on_both_backends!(
    create_key_stores_the_digest_and_never_the_key,
    create_key_gives_project_keys_every_project_permission,
    create_key_with_empty_permissions_is_invalid,
    create_key_with_past_or_distant_expiry_is_invalid,
    create_key_with_blank_name_is_invalid,
    create_key_with_organisation_type_for_project_is_invalid,
    create_key_with_duplicate_name_is_invalid_on_name,
    create_key_with_name_of_revoked_key_succeeds,
    create_key_for_missing_project_is_not_found,
    create_key_for_missing_org_is_not_found,
    create_key_concurrently_with_one_name_creates_one,
    list_keys_returns_the_scope_newest_first,
    list_keys_for_missing_project_is_not_found,
    revoke_key_marks_it_revoked_at_clock_time,
    revoke_key_twice_is_conflict,
    revoke_key_concurrently_succeeds_once,
    revoke_key_with_unknown_id_is_not_found,
    create_org_writes_its_audit_event,
    create_project_writes_its_audit_event,
    create_key_writes_its_audit_event_without_the_key,
    revoke_key_writes_its_audit_event,
    failed_audit_write_rolls_back_the_change,
    check_server_secret_on_first_start_stores_the_check,
    check_server_secret_with_same_secret_passes,
    check_server_secret_with_other_secret_and_live_keys_is_refused,
    check_server_secret_with_other_secret_and_no_live_keys_is_accepted,
);

pub(crate) fn project_scope(project: &Project, key_type: KeyType) -> KeyScope {
    KeyScope::Project {
        project_id: project.id.clone(),
        key_type,
    }
}

pub(crate) fn org_scope(org: &Organisation, permissions: PermissionSet) -> KeyScope {
    KeyScope::Organisation {
        org_id: org.id.clone(),
        permissions,
    }
}

pub(crate) fn new_key(scope: KeyScope, name: &str) -> NewKey {
    NewKey {
        scope,
        name: name.to_owned(),
        expires_at: None,
        description: String::new(),
    }
}

/// Services with an organisation "Acme" and its project "Website".
pub(crate) async fn setup(
    t: &TestDb,
) -> (
    Services,
    gtx_core::clock::ManualClock,
    Organisation,
    Project,
) {
    let (svc, clock) = t.services(ServerSecret::generate());
    let org = svc.create_org(&operator(), "Acme").await.unwrap();
    let project = svc
        .create_project(&operator(), &org.id, "Website", None)
        .await
        .unwrap();
    (svc, clock, org, project)
}

pub(crate) async fn create(svc: &Services, scope: KeyScope, name: &str) -> CreatedKey {
    svc.create_key(&operator(), new_key(scope, name))
        .await
        .unwrap()
}

/// A production key of `project`, as stored.
async fn production_key(svc: &Services, project: &Project, name: &str) -> ApiKeyRecord {
    create(svc, project_scope(project, KeyType::Production), name)
        .await
        .record
}

/// What a created key must never leave in storage, and what it must: its plaintext, its
/// secret part, its hint and its digest.
struct KeyTexts {
    key: String,
    secret_part: String,
    hint: String,
    digest: [u8; 32],
}

/// Checks a created key against its stored record, found by its digest; its texts.
async fn stored_key_texts(t: &TestDb, svc: &Services, c: &CreatedKey) -> KeyTexts {
    let text = c.key.expose().to_owned();
    let parsed = ParsedKey::parse(&text).expect("a well-formed key");
    assert_eq!(parsed.key_type(), c.record.key_type);
    assert_eq!(c.record.hint, c.key.hint());
    assert_eq!(c.record.hash_version, HASH_VERSION);
    let digest = svc.secret().digest(&text);
    let (found, stored) = keys::find_by_digest(t.pool(), &digest.0)
        .await
        .unwrap()
        .expect("found by digest");
    assert_eq!(found, c.record);
    assert_eq!(stored, digest.0.to_vec());
    KeyTexts {
        secret_part: text[PREFIX_LEN..PREFIX_LEN + SECRET_LEN].to_owned(),
        key: text,
        hint: c.record.hint.clone(),
        digest: digest.0,
    }
}

/// Asserts that the raw bytes of the SQLite database and its WAL in `dir`, as a thief
/// would read them, hold no key or secret part, and do hold the hints.
fn assert_sqlite_files_hold_no_key(dir: &std::path::Path, plaintexts: &[KeyTexts]) {
    let mut files = 0;
    let mut hints_seen = 0;
    for entry in std::fs::read_dir(dir).unwrap() {
        let bytes = std::fs::read(entry.unwrap().path()).unwrap();
        files += 1;
        for k in plaintexts {
            assert!(
                !contains_bytes(&bytes, k.key.as_bytes()),
                "the SQLite files hold a plaintext key"
            );
            assert!(
                !contains_bytes(&bytes, k.secret_part.as_bytes()),
                "the SQLite files hold a secret part"
            );
            hints_seen += usize::from(contains_bytes(&bytes, k.hint.as_bytes()));
        }
    }
    assert!(files >= 1);
    assert!(
        hints_seen >= plaintexts.len(),
        "the file scan should find the stored hints"
    );
}

async fn create_key_stores_the_digest_and_never_the_key(t: &TestDb) {
    let (svc, _clock, org, project) = setup(t).await;
    let created = vec![
        create(&svc, project_scope(&project, KeyType::Production), "Prod").await,
        create(&svc, project_scope(&project, KeyType::Development), "Dev").await,
        create(&svc, org_scope(&org, PermissionSet::full()), "Org").await,
    ];
    let mut plaintexts = Vec::new();
    for c in &created {
        plaintexts.push(stored_key_texts(t, &svc, c).await);
    }

    // Every text and byte column of every table, including api_keys and audit_events.
    let values = stored_text_and_bytes(t).await;
    let labels: Vec<&str> = values.iter().map(|(label, _)| label.as_str()).collect();
    for column in ["api_keys.digest", "api_keys.hint", "audit_events.details"] {
        assert!(
            labels.contains(&column),
            "{column} was not scanned: {labels:?}"
        );
    }
    for k in &plaintexts {
        for (label, value) in &values {
            assert!(
                !contains_bytes(value, k.key.as_bytes()),
                "{label} holds a plaintext key"
            );
            assert!(
                !contains_bytes(value, k.secret_part.as_bytes()),
                "{label} holds a key's secret part"
            );
        }
        // The scan does see what is stored.
        assert!(
            values
                .iter()
                .any(|(l, v)| l == "api_keys.hint" && v == k.hint.as_bytes())
        );
        assert!(
            values
                .iter()
                .any(|(l, v)| l == "api_keys.digest" && v == &k.digest)
        );
    }

    if let Some(dir) = &t.sqlite_dir {
        assert_sqlite_files_hold_no_key(dir, &plaintexts);
    }
}

async fn create_key_gives_project_keys_every_project_permission(t: &TestDb) {
    let (svc, _clock, org, project) = setup(t).await;
    let key = production_key(&svc, &project, "CI").await;
    assert_eq!(key.permissions, PermissionSet::project_key());
    assert!(!key.permissions.contains(Permission::ProjectCreation));
    assert_eq!(
        (key.org_id.clone(), key.project_id.clone()),
        (org.id.clone(), Some(project.id.clone()))
    );
    assert_eq!(key.created_by_label, "operator CLI");
    assert_eq!(key.created_at, T0);
    assert_eq!(key.status(T0), KeyStatus::Active);

    let chosen = PermissionSet::read_only();
    let org_key = create(&svc, org_scope(&org, chosen), "Reader").await.record;
    assert_eq!(
        (org_key.key_type, org_key.permissions, org_key.project_id),
        (KeyType::Organisation, chosen, None)
    );
}

async fn create_key_with_empty_permissions_is_invalid(t: &TestDb) {
    let (svc, _clock, org, _project) = setup(t).await;
    let result = svc
        .create_key(
            &operator(),
            new_key(org_scope(&org, PermissionSet::empty()), "Nothing"),
        )
        .await;
    assert_invalid(result, "permissions");
    assert_eq!(count_rows(t, "api_keys").await, 0);
}

async fn create_key_with_past_or_distant_expiry_is_invalid(t: &TestDb) {
    let (svc, clock, _org, project) = setup(t).await;
    let scope = project_scope(&project, KeyType::Production);
    let with_expiry = |name: &str, expires_at: i64| NewKey {
        expires_at: Some(expires_at),
        ..new_key(scope.clone(), name)
    };

    assert_invalid(
        svc.create_key(&operator(), with_expiry("past", T0 - 1))
            .await,
        "expires_at",
    );
    assert_invalid(
        svc.create_key(&operator(), with_expiry("now", T0)).await,
        "expires_at",
    );
    assert_invalid(
        svc.create_key(&operator(), with_expiry("far", T0 + MAX_EXPIRY_MS + 1))
            .await,
        "expires_at",
    );
    let ok = svc
        .create_key(&operator(), with_expiry("tomorrow", T0 + DAY_MS))
        .await
        .unwrap();
    assert_eq!(ok.record.expires_at, Some(T0 + DAY_MS));
    svc.create_key(&operator(), with_expiry("longest", T0 + MAX_EXPIRY_MS))
        .await
        .unwrap();

    // The clock moves on; the same expiry is now in the past.
    clock.advance(2 * DAY_MS);
    assert_invalid(
        svc.create_key(&operator(), with_expiry("late", T0 + DAY_MS))
            .await,
        "expires_at",
    );
    assert_eq!(count_rows(t, "api_keys").await, 2);
}

async fn create_key_with_blank_name_is_invalid(t: &TestDb) {
    let (svc, _clock, org, project) = setup(t).await;
    for name in ["", "   ", "\t\n"] {
        let result = svc
            .create_key(
                &operator(),
                new_key(project_scope(&project, KeyType::Production), name),
            )
            .await;
        assert_invalid(result, "name");
        let result = svc
            .create_key(
                &operator(),
                new_key(org_scope(&org, PermissionSet::full()), name),
            )
            .await;
        assert_invalid(result, "name");
    }
    assert_eq!(count_rows(t, "api_keys").await, 0);
    // Names are trimmed.
    assert_eq!(
        create(&svc, org_scope(&org, PermissionSet::full()), "  CI  ")
            .await
            .record
            .name,
        "CI"
    );
}

async fn create_key_with_organisation_type_for_project_is_invalid(t: &TestDb) {
    let (svc, _clock, _org, project) = setup(t).await;
    let result = svc
        .create_key(
            &operator(),
            new_key(project_scope(&project, KeyType::Organisation), "CI"),
        )
        .await;
    assert_invalid(result, "key_type");
    assert_eq!(count_rows(t, "api_keys").await, 0);
}

async fn create_key_with_duplicate_name_is_invalid_on_name(t: &TestDb) {
    let (svc, _clock, org, project) = setup(t).await;
    create(&svc, project_scope(&project, KeyType::Production), "CI").await;
    create(&svc, org_scope(&org, PermissionSet::full()), "CI").await;
    let audit_before = audit_of(t, &org.id).await.len();

    let result = svc
        .create_key(
            &operator(),
            new_key(project_scope(&project, KeyType::Development), "CI"),
        )
        .await;
    assert_invalid(result, "name");
    let result = svc
        .create_key(
            &operator(),
            new_key(org_scope(&org, PermissionSet::read_only()), " CI "),
        )
        .await;
    assert_invalid(result, "name");

    assert_eq!(count_rows(t, "api_keys").await, 2);
    assert_eq!(
        audit_of(t, &org.id).await.len(),
        audit_before,
        "a failed create leaves no audit event"
    );
}

async fn create_key_with_name_of_revoked_key_succeeds(t: &TestDb) {
    let (svc, _clock, _org, project) = setup(t).await;
    let old = production_key(&svc, &project, "CI").await;
    svc.revoke_key(&operator(), &old.id).await.unwrap();
    let new = production_key(&svc, &project, "CI").await;
    assert_ne!(new.id, old.id);
}

async fn create_key_for_missing_project_is_not_found(t: &TestDb) {
    let (svc, _clock, _org, _project) = setup(t).await;
    let scope = KeyScope::Project {
        project_id: ProjectId("no-such-project".to_owned()),
        key_type: KeyType::Production,
    };
    let result = svc.create_key(&operator(), new_key(scope, "CI")).await;
    assert!(
        matches!(result, Err(CoreError::NotFound { what: "project" })),
        "{result:?}"
    );
    assert_eq!(count_rows(t, "api_keys").await, 0);
}

async fn create_key_for_missing_org_is_not_found(t: &TestDb) {
    let (svc, _clock) = t.services(ServerSecret::generate());
    let scope = KeyScope::Organisation {
        org_id: gtx_core::domain::OrgId("no-such-org".to_owned()),
        permissions: PermissionSet::full(),
    };
    let result = svc.create_key(&operator(), new_key(scope, "CI")).await;
    assert!(
        matches!(
            result,
            Err(CoreError::NotFound {
                what: "organisation"
            })
        ),
        "{result:?}"
    );
}

async fn create_key_concurrently_with_one_name_creates_one(t: &TestDb) {
    let (svc, _clock, org, project) = setup(t).await;
    let scope = project_scope(&project, KeyType::Production);
    let actor = operator();
    let (a, b) = tokio::join!(
        svc.create_key(&actor, new_key(scope.clone(), "CI")),
        svc.create_key(&actor, new_key(scope.clone(), "CI")),
    );
    let (ok, err) = match (a, b) {
        (Ok(ok), Err(err)) | (Err(err), Ok(ok)) => (ok, err),
        (a, b) => panic!("expected one success and one failure, got {a:?} and {b:?}"),
    };
    assert_eq!(ok.record.name, "CI");
    assert_invalid::<()>(Err(err), "name");
    assert_eq!(count_rows(t, "api_keys").await, 1);
    let creates = audit_count(t, &org.id, "key.create").await;
    assert_eq!(creates, 1);
}

async fn list_keys_returns_the_scope_newest_first(t: &TestDb) {
    let (svc, clock, org, project) = setup(t).await;
    let other = svc
        .create_project(&operator(), &org.id, "App", None)
        .await
        .unwrap();
    let first = production_key(&svc, &project, "first").await;
    clock.advance(1);
    let second = create(
        &svc,
        project_scope(&project, KeyType::Development),
        "second",
    )
    .await
    .record;
    create(
        &svc,
        project_scope(&other, KeyType::Production),
        "elsewhere",
    )
    .await;
    let org_key = create(&svc, org_scope(&org, PermissionSet::full()), "org")
        .await
        .record;

    let listed = svc
        .list_keys(
            &operator(),
            &KeyListScope::Project(project.id.clone()),
            &KeyListQuery::default(),
        )
        .await
        .unwrap();
    assert_eq!(listed.rows, vec![second, first]);
    assert_eq!((listed.matching, listed.total, listed.page), (2, 2, 1));
    let listed = svc
        .list_keys(
            &operator(),
            &KeyListScope::Organisation(org.id.clone()),
            &KeyListQuery::default(),
        )
        .await
        .unwrap();
    assert_eq!(listed.rows, vec![org_key]);
}

async fn list_keys_for_missing_project_is_not_found(t: &TestDb) {
    let (svc, _clock, _org, _project) = setup(t).await;
    let scope = KeyListScope::Project(ProjectId("no-such-project".to_owned()));
    let result = svc
        .list_keys(&operator(), &scope, &KeyListQuery::default())
        .await;
    assert!(
        matches!(result, Err(CoreError::NotFound { what: "project" })),
        "{result:?}"
    );
}

async fn revoke_key_marks_it_revoked_at_clock_time(t: &TestDb) {
    let (svc, clock, _org, project) = setup(t).await;
    let key = create(&svc, project_scope(&project, KeyType::Production), "CI").await;
    clock.advance(90_000);

    let revoked = svc.revoke_key(&operator(), &key.record.id).await.unwrap();
    assert_eq!(revoked.revoked_at, Some(T0 + 90_000));
    assert_eq!(revoked.revoked_by_label.as_deref(), Some("operator CLI"));
    assert_eq!(revoked.status(svc.now()), KeyStatus::Revoked);
    // Still found by digest, so a check can tell "revoked" from "unknown".
    let digest = svc.secret().digest(key.key.expose());
    let (found, _) = keys::find_by_digest(t.pool(), &digest.0)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(found, revoked);
}

async fn revoke_key_twice_is_conflict(t: &TestDb) {
    let (svc, clock, org, project) = setup(t).await;
    let key = production_key(&svc, &project, "CI").await;
    let first = svc.revoke_key(&operator(), &key.id).await.unwrap();
    clock.advance(DAY_MS);

    let second = svc.revoke_key(&operator(), &key.id).await;
    assert!(matches!(second, Err(CoreError::Conflict(_))), "{second:?}");
    let stored = keys::get(t.pool(), &org.id, &key.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(stored.revoked_at, first.revoked_at);
    let revokes = audit_count(t, &org.id, "key.revoke").await;
    assert_eq!(revokes, 1);
}

async fn revoke_key_concurrently_succeeds_once(t: &TestDb) {
    let (svc, _clock, org, project) = setup(t).await;
    let key = production_key(&svc, &project, "CI").await;
    let actor = operator();
    let (a, b) = tokio::join!(
        svc.revoke_key(&actor, &key.id),
        svc.revoke_key(&actor, &key.id)
    );
    match (&a, &b) {
        (Ok(_), Err(CoreError::Conflict(_))) | (Err(CoreError::Conflict(_)), Ok(_)) => {}
        _ => panic!("expected one revoke and one conflict, got {a:?} and {b:?}"),
    }
    let revokes = audit_count(t, &org.id, "key.revoke").await;
    assert_eq!(revokes, 1);
}

async fn revoke_key_with_unknown_id_is_not_found(t: &TestDb) {
    let (svc, _clock, _org, _project) = setup(t).await;
    let result = svc
        .revoke_key(&operator(), &KeyId("no-such-key".to_owned()))
        .await;
    assert!(
        matches!(result, Err(CoreError::NotFound { what: "key" })),
        "{result:?}"
    );
}

async fn create_org_writes_its_audit_event(t: &TestDb) {
    let (svc, _clock) = t.services(ServerSecret::generate());
    let org = svc.create_org(&operator(), "  Acme  ").await.unwrap();
    assert_eq!(org.name, "Acme");
    assert_eq!(
        orgs::get(t.pool(), &org.id).await.unwrap(),
        Some(org.clone())
    );

    let events = audit_of(t, &org.id).await;
    assert_eq!(events.len(), 1);
    let e = &events[0];
    assert_eq!(e.action, "organisation.create");
    assert_eq!(e.org_id.as_ref(), Some(&org.id));
    assert_eq!(
        (e.actor_user_id.as_ref(), e.actor_label.as_str()),
        (None, "operator CLI")
    );
    assert_eq!(e.target_type.as_deref(), Some("organisation"));
    assert_eq!(e.target_id.as_deref(), Some(org.id.as_str()));
    assert_eq!(e.target_label.as_deref(), Some("Acme"));
    assert_eq!(e.occurred_at, T0);
}

async fn create_project_writes_its_audit_event(t: &TestDb) {
    let (svc, clock) = t.services(ServerSecret::generate());
    let org = svc.create_org(&operator(), "Acme").await.unwrap();
    clock.advance(5);
    let project = svc
        .create_project(&operator(), &org.id, "Website", Some("fr-CA"))
        .await
        .unwrap();
    assert_eq!(
        projects::get(t.pool(), &org.id, &project.id).await.unwrap(),
        Some(project.clone())
    );

    let e = audit_of(t, &org.id).await.into_iter().next().unwrap();
    assert_eq!(e.action, "project.create");
    assert_eq!(e.target_type.as_deref(), Some("project"));
    assert_eq!(e.target_id.as_deref(), Some(project.id.as_str()));
    assert_eq!(e.target_label.as_deref(), Some("Website"));
    assert_eq!(e.occurred_at, T0 + 5);
    let details: serde_json::Value = serde_json::from_str(e.details.as_deref().unwrap()).unwrap();
    assert_eq!(details["default_locale"], project.default_locale.as_str());
}

async fn create_key_writes_its_audit_event_without_the_key(t: &TestDb) {
    let (svc, _clock, org, project) = setup(t).await;
    let created = create(&svc, project_scope(&project, KeyType::Development), "CI").await;

    let e = audit_of(t, &org.id).await.into_iter().next().unwrap();
    assert_eq!(e.action, "key.create");
    assert_eq!(e.target_type.as_deref(), Some("key"));
    assert_eq!(e.target_id.as_deref(), Some(created.record.id.as_str()));
    assert_eq!(e.target_label.as_deref(), Some("CI"));
    assert_eq!(e.occurred_at, created.record.created_at);
    let details = e.details.as_deref().unwrap();
    assert!(!details.contains(&created.key.expose()[PREFIX_LEN..PREFIX_LEN + SECRET_LEN]));
    let details: serde_json::Value = serde_json::from_str(details).unwrap();
    assert_eq!(details["key_type"], "development");
    assert_eq!(details["project_id"], project.id.as_str());
    assert_eq!(details["hint"], created.record.hint.as_str());
}

async fn revoke_key_writes_its_audit_event(t: &TestDb) {
    let (svc, clock, org, _project) = setup(t).await;
    let key = create(&svc, org_scope(&org, PermissionSet::full()), "Automation")
        .await
        .record;
    clock.advance(DAY_MS);
    svc.revoke_key(&operator(), &key.id).await.unwrap();

    let e = audit_of(t, &org.id).await.into_iter().next().unwrap();
    assert_eq!(e.action, "key.revoke");
    assert_eq!(e.target_id.as_deref(), Some(key.id.as_str()));
    assert_eq!(e.target_label.as_deref(), Some("Automation"));
    assert_eq!(e.actor_label, "operator CLI");
    assert_eq!(e.occurred_at, T0 + DAY_MS);
}

fn is_storage_error<T>(r: &Result<T, CoreError>) -> bool {
    matches!(r, Err(CoreError::Db(_)))
}

async fn failed_audit_write_rolls_back_the_change(t: &TestDb) {
    let (svc, _clock, org, project) = setup(t).await;
    let key = production_key(&svc, &project, "CI").await;
    block_audit_inserts(t).await;
    let r = svc.create_org(&operator(), "Other").await;
    assert!(is_storage_error(&r), "{r:?}");
    assert_eq!(orgs::list_all(t.pool()).await.unwrap(), vec![org.clone()]);

    let r = svc.create_project(&operator(), &org.id, "App", None).await;
    assert!(is_storage_error(&r), "{r:?}");
    assert_eq!(
        projects::list(t.pool(), &org.id).await.unwrap(),
        vec![project.clone()]
    );

    let r = svc
        .create_key(
            &operator(),
            new_key(project_scope(&project, KeyType::Production), "Other"),
        )
        .await;
    assert!(is_storage_error(&r), "{r:?}");
    assert_eq!(
        keys::list_for_project(t.pool(), &org.id, &project.id)
            .await
            .unwrap(),
        vec![key.clone()]
    );

    let r = svc.revoke_key(&operator(), &key.id).await;
    assert!(is_storage_error(&r), "{r:?}");
    assert_eq!(
        keys::get(t.pool(), &org.id, &key.id)
            .await
            .unwrap()
            .unwrap()
            .revoked_at,
        None
    );
}

async fn check_server_secret_on_first_start_stores_the_check(t: &TestDb) {
    let secret = ServerSecret::from_bytes([1; 32]);
    let check = secret.check_value();
    let (svc, _clock) = t.services(secret);
    assert_eq!(
        secret_checks::get(t.pool(), HASH_VERSION).await.unwrap(),
        None
    );

    svc.check_server_secret().await.unwrap();
    assert_eq!(
        secret_checks::get(t.pool(), HASH_VERSION).await.unwrap(),
        Some(check.0.to_vec())
    );
}

async fn check_server_secret_with_same_secret_passes(t: &TestDb) {
    let (first, _clock) = t.services(ServerSecret::from_bytes([1; 32]));
    first.check_server_secret().await.unwrap();
    let org = first.create_org(&operator(), "Acme").await.unwrap();
    first
        .create_key(
            &operator(),
            new_key(org_scope(&org, PermissionSet::full()), "CI"),
        )
        .await
        .unwrap();

    // A restart: new services, the same secret.
    let (again, _clock) = t.services(ServerSecret::from_bytes([1; 32]));
    again.check_server_secret().await.unwrap();
    again.check_server_secret().await.unwrap();
}

async fn check_server_secret_with_other_secret_and_live_keys_is_refused(t: &TestDb) {
    let original = ServerSecret::from_bytes([1; 32]);
    let original_check = original.check_value();
    let (first, _clock) = t.services(original);
    first.check_server_secret().await.unwrap();
    let org = first.create_org(&operator(), "Acme").await.unwrap();
    let live = create(&first, org_scope(&org, PermissionSet::full()), "live")
        .await
        .record;
    let revoked = create(&first, org_scope(&org, PermissionSet::full()), "revoked")
        .await
        .record;
    first.revoke_key(&operator(), &revoked.id).await.unwrap();

    let (other, _clock) = t.services(ServerSecret::from_bytes([2; 32]));
    let result = other.check_server_secret().await;
    assert!(
        matches!(result, Err(CoreError::SecretMismatch { live_keys: 1 })),
        "{result:?}"
    );
    assert_eq!(
        secret_checks::get(t.pool(), HASH_VERSION).await.unwrap(),
        Some(original_check.0.to_vec())
    );
    assert!(
        keys::get(t.pool(), &org.id, &live.id)
            .await
            .unwrap()
            .is_some()
    );
}

async fn check_server_secret_with_other_secret_and_no_live_keys_is_accepted(t: &TestDb) {
    let (first, _clock) = t.services(ServerSecret::from_bytes([1; 32]));
    first.check_server_secret().await.unwrap();
    let org = first.create_org(&operator(), "Acme").await.unwrap();
    let key = create(&first, org_scope(&org, PermissionSet::full()), "CI")
        .await
        .record;
    first.revoke_key(&operator(), &key.id).await.unwrap();

    let replacement = ServerSecret::from_bytes([2; 32]);
    let replacement_check = replacement.check_value();
    let (other, _clock) = t.services(replacement);
    other.check_server_secret().await.unwrap();
    assert_eq!(
        secret_checks::get(t.pool(), HASH_VERSION).await.unwrap(),
        Some(replacement_check.0.to_vec())
    );

    // The old secret is now the stranger, but with no live keys it may take over again.
    first.check_server_secret().await.unwrap();
}
