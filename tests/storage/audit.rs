//! The audit log: append, filter, page; never update or delete.

use crate::common::{T0, TestDb, audit_event, audit_of, db_error_message, insert_org};
use gtx_core::db::DbError;
use gtx_core::db::models::AuditEvent;
use gtx_core::db::repo::audit::{self, AuditFilter};
use gtx_core::domain::OrgId;
use gtx_core::domain::key_list::PageRequest;

on_both_backends!(
    insert_audit_event_then_list_returns_it,
    insert_audit_event_without_org_is_listed_nowhere,
    list_audit_returns_only_that_org_newest_first,
    list_audit_filters_by_action,
    list_audit_filters_by_action_prefix,
    list_audit_filters_by_target_id,
    list_audit_pages_by_before_id,
    page_audit_counts_and_splits_the_log,
    page_audit_searches_actor_target_and_action,
    update_audit_event_is_rejected,
    delete_audit_event_is_rejected,
);

async fn list(t: &TestDb, org: &OrgId, filter: AuditFilter, limit: i64) -> Vec<AuditEvent> {
    audit::list(t.pool(), org, &filter, limit).await.unwrap()
}

fn actions(events: &[AuditEvent]) -> Vec<&str> {
    events.iter().map(|e| e.action.as_str()).collect()
}

/// Inserts events in order (so their ids ascend) and returns them.
async fn insert_all(t: &TestDb, org: &OrgId, events: &[(&str, &str)]) -> Vec<AuditEvent> {
    let mut out = Vec::new();
    for (i, (action, target)) in events.iter().enumerate() {
        let e = audit_event(org, action, target, T0 + i64::try_from(i).unwrap());
        audit::insert(t.pool(), &e).await.unwrap();
        out.push(e);
    }
    out
}

async fn insert_audit_event_then_list_returns_it(t: &TestDb) {
    let org = insert_org(t, "Acme", T0).await;
    let full = audit_event(&org.id, "key.create", "key-1", T0);
    audit::insert(t.pool(), &full).await.unwrap();
    let sparse = AuditEvent {
        id: gtx_core::db::repo::new_id(),
        actor_user_id: None,
        target_type: None,
        target_id: None,
        target_label: None,
        details: None,
        ip: None,
        user_agent: None,
        ..audit_event(&org.id, "organisation.create", "", T0 + 1)
    };
    audit::insert(t.pool(), &sparse).await.unwrap();

    assert_eq!(audit_of(t, &org.id).await, vec![sparse, full]);
}

async fn insert_audit_event_without_org_is_listed_nowhere(t: &TestDb) {
    let org = insert_org(t, "Acme", T0).await;
    let e = AuditEvent {
        org_id: None,
        ..audit_event(&org.id, "session.sign_in_failed", "x", T0)
    };
    audit::insert(t.pool(), &e).await.unwrap();
    assert_eq!(audit_of(t, &org.id).await, vec![]);
}

async fn list_audit_returns_only_that_org_newest_first(t: &TestDb) {
    let acme = insert_org(t, "Acme", T0).await;
    let rival = insert_org(t, "Rival", T0).await;
    let ours = insert_all(t, &acme.id, &[("key.create", "k1"), ("key.revoke", "k1")]).await;
    let theirs = insert_all(t, &rival.id, &[("key.create", "k2")]).await;

    assert_eq!(
        audit_of(t, &acme.id).await,
        ours.into_iter().rev().collect::<Vec<_>>()
    );
    assert_eq!(audit_of(t, &rival.id).await, theirs);
    assert_eq!(list(t, &acme.id, AuditFilter::default(), 1).await.len(), 1);
}

async fn list_audit_filters_by_action(t: &TestDb) {
    let org = insert_org(t, "Acme", T0).await;
    insert_all(
        t,
        &org.id,
        &[
            ("key.create", "k1"),
            ("key.revoke", "k1"),
            ("key.create", "k2"),
        ],
    )
    .await;

    let filter = AuditFilter {
        action: Some("key.create".to_owned()),
        ..AuditFilter::default()
    };
    let found = list(t, &org.id, filter, 100).await;
    assert_eq!(actions(&found), ["key.create", "key.create"]);
    assert_eq!(found[0].target_id.as_deref(), Some("k2"));

    let filter = AuditFilter {
        action: Some("key".to_owned()),
        ..AuditFilter::default()
    };
    assert_eq!(list(t, &org.id, filter, 100).await, vec![]);
}

async fn list_audit_filters_by_action_prefix(t: &TestDb) {
    let org = insert_org(t, "Acme", T0).await;
    insert_all(
        t,
        &org.id,
        &[
            ("key.create", "k1"),
            ("project.create", "p1"),
            ("keyring.open", "x"),
            ("member.role_change", "m1"),
            ("member.rolexchange", "m2"),
            ("key.revoke", "k1"),
        ],
    )
    .await;
    let by_prefix = |prefix: &str| AuditFilter {
        action_prefix: Some(prefix.to_owned()),
        ..AuditFilter::default()
    };

    assert_eq!(
        actions(&list(t, &org.id, by_prefix("key."), 100).await),
        ["key.revoke", "key.create"]
    );
    assert_eq!(
        actions(&list(t, &org.id, by_prefix("project."), 100).await),
        ["project.create"]
    );
    // `_` and `%` are plain characters, not wildcards, and case matters on both backends.
    assert_eq!(
        actions(&list(t, &org.id, by_prefix("member.role_"), 100).await),
        ["member.role_change"]
    );
    assert_eq!(
        actions(&list(t, &org.id, by_prefix("key%"), 100).await),
        Vec::<&str>::new()
    );
    assert_eq!(
        actions(&list(t, &org.id, by_prefix("KEY."), 100).await),
        Vec::<&str>::new()
    );
    assert_eq!(list(t, &org.id, by_prefix(""), 100).await.len(), 6);
}

async fn list_audit_filters_by_target_id(t: &TestDb) {
    let org = insert_org(t, "Acme", T0).await;
    insert_all(
        t,
        &org.id,
        &[
            ("key.create", "k1"),
            ("key.create", "k2"),
            ("key.revoke", "k1"),
        ],
    )
    .await;

    let filter = AuditFilter {
        target_id: Some("k1".to_owned()),
        ..AuditFilter::default()
    };
    assert_eq!(
        actions(&list(t, &org.id, filter, 100).await),
        ["key.revoke", "key.create"]
    );

    let filter = AuditFilter {
        target_id: Some("k1".to_owned()),
        action: Some("key.revoke".to_owned()),
        ..AuditFilter::default()
    };
    assert_eq!(
        actions(&list(t, &org.id, filter, 100).await),
        ["key.revoke"]
    );
}

async fn list_audit_pages_by_before_id(t: &TestDb) {
    let org = insert_org(t, "Acme", T0).await;
    let targets = ["k0", "k1", "k2", "k3", "k4"];
    let events: Vec<_> = targets.iter().map(|k| ("key.create", *k)).collect();
    let inserted = insert_all(t, &org.id, &events).await;

    let mut pages = Vec::new();
    let mut before_id = None;
    loop {
        let filter = AuditFilter {
            before_id: before_id.clone(),
            ..AuditFilter::default()
        };
        let page = list(t, &org.id, filter, 2).await;
        if page.is_empty() {
            break;
        }
        before_id = page.last().map(|e| e.id.clone());
        pages.push(
            page.iter()
                .map(|e| e.target_id.clone().unwrap())
                .collect::<Vec<_>>(),
        );
    }
    assert_eq!(pages, [vec!["k4", "k3"], vec!["k2", "k1"], vec!["k0"]]);

    // Paging combines with the other filters.
    let filter = AuditFilter {
        before_id: Some(inserted[3].id.clone()),
        target_id: Some("k1".to_owned()),
        ..AuditFilter::default()
    };
    assert_eq!(
        list(t, &org.id, filter, 10).await,
        vec![inserted[1].clone()]
    );
}

async fn page_audit_counts_and_splits_the_log(t: &TestDb) {
    let org = insert_org(t, "Acme", T0).await;
    let other = insert_org(t, "Other", T0).await;
    let targets = ["k0", "k1", "k2", "k3", "k4"];
    let events: Vec<_> = targets.iter().map(|k| ("key.create", *k)).collect();
    insert_all(t, &org.id, &events).await;
    insert_all(t, &other.id, &[("key.create", "theirs")]).await;
    let mut conn = t.pool().acquire().await.unwrap();
    let mut page_of = async |page: u32| {
        let at = PageRequest { page, per_page: 2 };
        audit::page(&mut conn, &org.id, &AuditFilter::default(), at)
            .await
            .unwrap()
    };
    let targets_of = |p: &gtx_core::domain::key_list::Page<AuditEvent>| {
        p.rows
            .iter()
            .map(|e| e.target_id.clone().unwrap())
            .collect::<Vec<_>>()
    };
    let first = page_of(1).await;
    assert_eq!(
        (targets_of(&first), first.matching, first.page),
        (vec!["k4".to_owned(), "k3".to_owned()], 5, 1)
    );
    let last = page_of(3).await;
    assert_eq!(targets_of(&last), ["k0"]);
    // Past the end: the last page.
    let past = page_of(9).await;
    assert_eq!((targets_of(&past), past.page), (vec!["k0".to_owned()], 3));
}

async fn page_audit_searches_actor_target_and_action(t: &TestDb) {
    let org = insert_org(t, "Acme", T0).await;
    let mut events = insert_all(
        t,
        &org.id,
        &[
            ("key.create", "a"),
            ("member.invite", "b"),
            ("project.create", "c"),
        ],
    )
    .await;
    // Labels to search: the target's name and who acted.
    for (e, (actor, target)) in events.iter_mut().zip([
        ("alice@example.com", "CI Deploy"),
        ("bob@example.com", "carol@example.com"),
        ("alice@example.com", "100% Website"),
    ]) {
        e.actor_label = actor.to_owned();
        e.target_label = Some(target.to_owned());
    }
    let org2 = insert_org(t, "Relabelled", T0).await;
    for e in &mut events {
        e.id = gtx_core::db::repo::new_id();
        e.org_id = Some(org2.id.clone());
        audit::insert(t.pool(), e).await.unwrap();
    }
    let mut conn = t.pool().acquire().await.unwrap();
    let mut search = async |text: &str| {
        let filter = AuditFilter {
            search: Some(text.to_owned()),
            ..AuditFilter::default()
        };
        let page = audit::page(&mut conn, &org2.id, &filter, PageRequest::default())
            .await
            .unwrap();
        assert_eq!(page.matching, page.rows.len() as u64);
        page.rows
            .iter()
            .map(|e| e.action.clone())
            .collect::<Vec<_>>()
    };
    assert_eq!(search("ALICE").await, ["project.create", "key.create"]);
    assert_eq!(search("ci deploy").await, ["key.create"]);
    assert_eq!(search("invite").await, ["member.invite"]);
    assert_eq!(search("100%").await, ["project.create"]);
    assert_eq!(search("%").await, ["project.create"]);
    assert!(search("nobody").await.is_empty());
}

fn assert_append_only(result: Result<sqlx::any::AnyQueryResult, sqlx::Error>) {
    match result.map_err(DbError::from) {
        Err(e) => assert!(
            db_error_message(&e).contains("append-only"),
            "unexpected error: {e:?}"
        ),
        Ok(done) => panic!("audit events changed: {} row(s)", done.rows_affected()),
    }
}

async fn update_audit_event_is_rejected(t: &TestDb) {
    let org = insert_org(t, "Acme", T0).await;
    let e = audit_event(&org.id, "key.create", "k1", T0);
    audit::insert(t.pool(), &e).await.unwrap();

    let result = sqlx::query("UPDATE audit_events SET action = 'key.nothing' WHERE id = $1")
        .bind(e.id.as_str())
        .execute(t.pool())
        .await;
    assert_append_only(result);
    let result = sqlx::query("UPDATE audit_events SET occurred_at = 0")
        .execute(t.pool())
        .await;
    assert_append_only(result);
    assert_eq!(audit_of(t, &org.id).await, vec![e]);
}

async fn delete_audit_event_is_rejected(t: &TestDb) {
    let org = insert_org(t, "Acme", T0).await;
    let e = audit_event(&org.id, "key.create", "k1", T0);
    audit::insert(t.pool(), &e).await.unwrap();

    let result = sqlx::query("DELETE FROM audit_events WHERE id = $1")
        .bind(e.id.as_str())
        .execute(t.pool())
        .await;
    assert_append_only(result);
    assert_append_only(
        sqlx::query("DELETE FROM audit_events")
            .execute(t.pool())
            .await,
    );
    assert_eq!(audit_of(t, &org.id).await, vec![e]);
}
