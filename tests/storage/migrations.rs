//! Migrations.

use crate::common::{TestDb, count_rows, insert_org};
use gtx_core::db::repo::orgs;

on_both_backends!(migrate_twice_applies_nothing_new);

async fn migrate_twice_applies_nothing_new(t: &TestDb) {
    // The harness already migrated once; data written in between must survive.
    let org = insert_org(t, "Acme", 1).await;
    let applied = count_rows(t, "_sqlx_migrations").await;
    assert!(applied >= 1);

    t.db.migrate().await.expect("second migrate");
    t.db.migrate().await.expect("third migrate");

    assert_eq!(count_rows(t, "_sqlx_migrations").await, applied);
    assert_eq!(orgs::get(t.pool(), &org.id).await.unwrap(), Some(org));
}
