//! Users.

use crate::common::{T0, TestDb, assert_violation, insert_user};
use gtx_core::db::models::User;
use gtx_core::db::repo::{new_id, users};
use gtx_core::domain::UserId;
use sqlx::error::ErrorKind;

on_both_backends!(
    insert_user_then_get_returns_it,
    get_user_by_email_finds_only_that_email,
    insert_user_with_duplicate_email_is_rejected,
    set_password_hash_replaces_it,
    set_password_hash_of_unknown_user_returns_false,
);

async fn insert_user_then_get_returns_it(t: &TestDb) {
    let user = User {
        id: UserId(new_id()),
        email: "ada@example.com".to_owned(),
        name: "Ada Lovelace".to_owned(),
        password_hash: Some("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".to_owned()),
        created_at: T0,
    };
    users::insert(t.pool(), &user).await.unwrap();
    assert_eq!(users::get(t.pool(), &user.id).await.unwrap(), Some(user));
    assert_eq!(
        users::get(t.pool(), &UserId("no-such-user".to_owned()))
            .await
            .unwrap(),
        None
    );
}

async fn get_user_by_email_finds_only_that_email(t: &TestDb) {
    let ada = insert_user(t, "ada@example.com").await;
    insert_user(t, "bob@example.com").await;
    assert_eq!(
        users::get_by_email(t.pool(), "ada@example.com")
            .await
            .unwrap(),
        Some(ada)
    );
    assert_eq!(
        users::get_by_email(t.pool(), "cy@example.com")
            .await
            .unwrap(),
        None
    );
    assert_eq!(users::get_by_email(t.pool(), "").await.unwrap(), None);
}

async fn insert_user_with_duplicate_email_is_rejected(t: &TestDb) {
    let ada = insert_user(t, "ada@example.com").await;
    let twin = User {
        id: UserId(new_id()),
        ..ada.clone()
    };
    assert_violation(
        users::insert(t.pool(), &twin).await,
        ErrorKind::UniqueViolation,
    );
    assert_eq!(users::get(t.pool(), &twin.id).await.unwrap(), None);
}

async fn set_password_hash_replaces_it(t: &TestDb) {
    let ada = insert_user(t, "ada@example.com").await;
    let bob = insert_user(t, "bob@example.com").await;
    assert_eq!(ada.password_hash, None);

    assert!(
        users::set_password_hash(t.pool(), &ada.id, "$argon2id$first")
            .await
            .unwrap()
    );
    assert!(
        users::set_password_hash(t.pool(), &ada.id, "$argon2id$second")
            .await
            .unwrap()
    );

    let stored = users::get(t.pool(), &ada.id).await.unwrap().unwrap();
    assert_eq!(stored.password_hash.as_deref(), Some("$argon2id$second"));
    assert_eq!(
        users::get(t.pool(), &bob.id)
            .await
            .unwrap()
            .unwrap()
            .password_hash,
        None
    );
}

async fn set_password_hash_of_unknown_user_returns_false(t: &TestDb) {
    let ghost = UserId("no-such-user".to_owned());
    assert!(
        !users::set_password_hash(t.pool(), &ghost, "$argon2id$x")
            .await
            .unwrap()
    );
}
