//! The stored check value of the server secret.

use crate::common::{T0, TestDb};
use gtx_core::db::repo::secret_checks;

on_both_backends!(
    get_secret_check_on_fresh_database_finds_nothing,
    put_secret_check_twice_replaces_the_value
);

async fn get_secret_check_on_fresh_database_finds_nothing(t: &TestDb) {
    assert_eq!(secret_checks::get(t.pool(), 1).await.unwrap(), None);
}

async fn put_secret_check_twice_replaces_the_value(t: &TestDb) {
    secret_checks::put(t.pool(), 1, &[1; 32], T0).await.unwrap();
    assert_eq!(
        secret_checks::get(t.pool(), 1).await.unwrap(),
        Some(vec![1; 32])
    );

    secret_checks::put(t.pool(), 1, &[2; 32], T0 + 1)
        .await
        .unwrap();
    assert_eq!(
        secret_checks::get(t.pool(), 1).await.unwrap(),
        Some(vec![2; 32])
    );

    // Versions are independent.
    secret_checks::put(t.pool(), 2, &[3; 32], T0).await.unwrap();
    assert_eq!(
        secret_checks::get(t.pool(), 1).await.unwrap(),
        Some(vec![2; 32])
    );
    assert_eq!(
        secret_checks::get(t.pool(), 2).await.unwrap(),
        Some(vec![3; 32])
    );
}
