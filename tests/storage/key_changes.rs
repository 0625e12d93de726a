//! The record of key changes that servers follow, and the key lookup by digest that
//! verification uses (in place on SQLite, pipelined on PostgreSQL, the pool as fallback).

use crate::common::{T0, TestDb, insert_key, insert_org, insert_project, project_key};
use gtx_core::db::repo::{key_changes, keys};
use gtx_core::domain::KeyId;

on_both_backends!(
    key_changes_are_read_in_order_after_a_sequence_number,
    find_key_by_digest_agrees_with_the_pool_lookup,
    find_key_by_digest_survives_terminated_lookup_connections
);

async fn key_changes_are_read_in_order_after_a_sequence_number(t: &TestDb) {
    assert_eq!(key_changes::latest_seq(t.pool()).await.unwrap(), 0);
    for (i, id) in ["a", "b", "c"].into_iter().enumerate() {
        let at = T0 + i64::try_from(i).unwrap() * 1_000;
        key_changes::insert(t.pool(), &KeyId(id.to_owned()), at)
            .await
            .unwrap();
    }
    let all = key_changes::since(t.pool(), 0, 10).await.unwrap();
    let ids: Vec<&str> = all.iter().map(|(_, id)| id.as_str()).collect();
    assert_eq!(ids, ["a", "b", "c"]);
    assert!(all.windows(2).all(|w| w[0].0 < w[1].0), "{all:?}");
    assert_eq!(key_changes::latest_seq(t.pool()).await.unwrap(), all[2].0);

    let after_first = key_changes::since(t.pool(), all[0].0, 1).await.unwrap();
    assert_eq!(after_first, vec![(all[1].0, KeyId("b".to_owned()))]);
    assert!(
        key_changes::since(t.pool(), all[2].0, 10)
            .await
            .unwrap()
            .is_empty()
    );

    assert_eq!(key_changes::prune(t.pool(), T0 + 1_000).await.unwrap(), 1);
    let left = key_changes::since(t.pool(), 0, 10).await.unwrap();
    assert_eq!(left.len(), 2);
    // Pruning never reuses a sequence number.
    key_changes::insert(t.pool(), &KeyId("d".to_owned()), T0)
        .await
        .unwrap();
    assert!(key_changes::latest_seq(t.pool()).await.unwrap() > all[2].0);
}

async fn find_key_by_digest_agrees_with_the_pool_lookup(t: &TestDb) {
    let org = insert_org(t, "Acme", T0).await;
    let project = insert_project(t, &org.id, "Web").await;
    let new = project_key(&project, "prod", T0);
    let record = insert_key(t, &new).await;

    let found = t.db.find_key_by_digest(&new.digest).await.unwrap();
    let pooled = keys::find_by_digest(t.pool(), &new.digest).await.unwrap();
    assert_eq!(found, pooled);
    // The fast path itself (in place on SQLite, pipelined on PostgreSQL) answers, and
    // alike: not through the fallback, which would hide a broken fast path.
    let fast = t.db.find_key_by_digest_fast(&new.digest).await.unwrap();
    assert_eq!(fast, pooled);
    assert_eq!(t.db.find_key_by_digest_fast(&[7; 32]).await.unwrap(), None);
    assert_eq!(found, Some((record, new.digest.to_vec())));
    assert_eq!(t.db.find_key_by_digest(&[7; 32]).await.unwrap(), None);

    // A change made through the pool is seen by the next lookup.
    assert!(
        keys::revoke(t.pool(), &org.id, &new.id, T0 + 5, "test")
            .await
            .unwrap()
    );
    let (after, _) = t.db.find_key_by_digest(&new.digest).await.unwrap().unwrap();
    assert_eq!(after.revoked_at, Some(T0 + 5));
    let (fast, _) =
        t.db.find_key_by_digest_fast(&new.digest)
            .await
            .unwrap()
            .unwrap();
    assert_eq!(fast, after);
}

async fn find_key_by_digest_survives_terminated_lookup_connections(t: &TestDb) {
    let org = insert_org(t, "Acme", T0).await;
    let project = insert_project(t, &org.id, "Web").await;
    let new = project_key(&project, "prod", T0);
    let record = insert_key(t, &new).await;
    let expected = Some((record, new.digest.to_vec()));
    if t.db.backend() == gtx_core::db::Backend::Sqlite {
        return; // SQLite: no lookup connections.
    }
    // Every connection of every reader opened (one per core at most, used in turn).
    for _ in 0..8 {
        assert_eq!(
            t.db.find_key_by_digest(&new.digest).await.unwrap(),
            expected
        );
    }
    // Cut them, as a database restart or a proxy would.
    let terminated: Vec<(bool,)> = sqlx::query_as(
        "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = $1",
    )
    .bind(gtx_core::db::PG_LOOKUP_APPLICATION_NAME)
    .fetch_all(t.pool())
    .await
    .unwrap();
    assert!(!terminated.is_empty(), "no lookup connection was open");
    // Every lookup still answers (through the pool while a connection is found broken),
    // and the fast path is back once each connection was opened again.
    for _ in 0..8 {
        assert_eq!(
            t.db.find_key_by_digest(&new.digest).await.unwrap(),
            expected
        );
    }
    let again = t.db.find_key_by_digest_fast(&new.digest).await.unwrap();
    assert_eq!(again, expected);
}
