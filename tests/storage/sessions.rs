//! Server-side sessions, found by the digest of the cookie's token.

use crate::common::{MINUTE, T0, TestDb, assert_violation, insert_user};
use gtx_core::db::models::SessionRecord;
use gtx_core::db::repo::{new_id, sessions};
use gtx_core::domain::UserId;
use sqlx::error::ErrorKind;

on_both_backends!(
    insert_session_then_find_by_token_digest_returns_it,
    insert_session_with_duplicate_token_digest_is_rejected,
    touch_session_only_moves_last_seen_forward,
    delete_session_removes_it_once,
    delete_sessions_for_user_removes_only_theirs,
    delete_expired_sessions_removes_expired_and_idle_ones,
);

const HOUR: i64 = 60 * MINUTE;

fn session(user: &UserId, created_at: i64, expires_at: i64) -> SessionRecord {
    SessionRecord {
        id: new_id(),
        user_id: user.clone(),
        created_at,
        last_seen_at: created_at,
        expires_at,
        ip: Some("2001:db8::1".to_owned()),
        user_agent: Some("Mozilla/5.0".to_owned()),
    }
}

async fn find(t: &TestDb, digest: &[u8; 32]) -> Option<SessionRecord> {
    sessions::find_by_token_digest(t.pool(), digest)
        .await
        .unwrap()
}

async fn insert_session_then_find_by_token_digest_returns_it(t: &TestDb) {
    let ada = insert_user(t, "ada@example.com").await;
    let s = session(&ada.id, T0, T0 + 12 * HOUR);
    sessions::insert(t.pool(), &s, &[7; 32]).await.unwrap();
    let mut bare = session(&ada.id, T0, T0 + HOUR);
    (bare.ip, bare.user_agent) = (None, None);
    sessions::insert(t.pool(), &bare, &[8; 32]).await.unwrap();

    assert_eq!(find(t, &[7; 32]).await, Some(s));
    assert_eq!(find(t, &[8; 32]).await, Some(bare));
    assert_eq!(find(t, &[9; 32]).await, None);
}

async fn insert_session_with_duplicate_token_digest_is_rejected(t: &TestDb) {
    let ada = insert_user(t, "ada@example.com").await;
    sessions::insert(t.pool(), &session(&ada.id, T0, T0 + HOUR), &[7; 32])
        .await
        .unwrap();
    let result = sessions::insert(t.pool(), &session(&ada.id, T0, T0 + HOUR), &[7; 32]).await;
    assert_violation(result, ErrorKind::UniqueViolation);
}

async fn touch_session_only_moves_last_seen_forward(t: &TestDb) {
    let ada = insert_user(t, "ada@example.com").await;
    let s = session(&ada.id, T0, T0 + 12 * HOUR);
    sessions::insert(t.pool(), &s, &[7; 32]).await.unwrap();

    sessions::touch(t.pool(), &s.id, T0 + 10 * MINUTE)
        .await
        .unwrap();
    assert_eq!(
        find(t, &[7; 32]).await.unwrap().last_seen_at,
        T0 + 10 * MINUTE
    );

    sessions::touch(t.pool(), &s.id, T0 + 5 * MINUTE)
        .await
        .unwrap();
    let stored = find(t, &[7; 32]).await.unwrap();
    assert_eq!(stored.last_seen_at, T0 + 10 * MINUTE);
    assert_eq!((stored.created_at, stored.expires_at), (T0, T0 + 12 * HOUR));

    // Touching a session that does not exist is not an error.
    sessions::touch(t.pool(), "no-such-session", T0)
        .await
        .unwrap();
}

async fn delete_session_removes_it_once(t: &TestDb) {
    let ada = insert_user(t, "ada@example.com").await;
    let s = session(&ada.id, T0, T0 + HOUR);
    let other = session(&ada.id, T0, T0 + HOUR);
    sessions::insert(t.pool(), &s, &[7; 32]).await.unwrap();
    sessions::insert(t.pool(), &other, &[8; 32]).await.unwrap();

    assert!(sessions::delete(t.pool(), &s.id).await.unwrap());
    assert!(!sessions::delete(t.pool(), &s.id).await.unwrap());
    assert_eq!(find(t, &[7; 32]).await, None);
    assert_eq!(find(t, &[8; 32]).await, Some(other));
}

async fn delete_sessions_for_user_removes_only_theirs(t: &TestDb) {
    let ada = insert_user(t, "ada@example.com").await;
    let bob = insert_user(t, "bob@example.com").await;
    sessions::insert(t.pool(), &session(&ada.id, T0, T0 + HOUR), &[1; 32])
        .await
        .unwrap();
    sessions::insert(t.pool(), &session(&ada.id, T0, T0 + HOUR), &[2; 32])
        .await
        .unwrap();
    let bobs = session(&bob.id, T0, T0 + HOUR);
    sessions::insert(t.pool(), &bobs, &[3; 32]).await.unwrap();

    assert_eq!(
        sessions::delete_for_user(t.pool(), &ada.id).await.unwrap(),
        2
    );
    assert_eq!(
        sessions::delete_for_user(t.pool(), &ada.id).await.unwrap(),
        0
    );
    assert_eq!(find(t, &[1; 32]).await, None);
    assert_eq!(find(t, &[2; 32]).await, None);
    assert_eq!(find(t, &[3; 32]).await, Some(bobs));
}

async fn delete_expired_sessions_removes_expired_and_idle_ones(t: &TestDb) {
    let ada = insert_user(t, "ada@example.com").await;
    let now = T0 + 10 * HOUR;
    let idle_before = now - 2 * HOUR;
    // Past its absolute expiry (exactly now counts as expired).
    sessions::insert(t.pool(), &session(&ada.id, T0, now), &[1; 32])
        .await
        .unwrap();
    // Idle: not seen since before the idle cut-off.
    sessions::insert(
        t.pool(),
        &session(&ada.id, idle_before - 1, now + HOUR),
        &[2; 32],
    )
    .await
    .unwrap();
    // Seen exactly at the cut-off, and recently: both stay.
    let edge = session(&ada.id, idle_before, now + HOUR);
    sessions::insert(t.pool(), &edge, &[3; 32]).await.unwrap();
    let fresh = session(&ada.id, T0, now + HOUR);
    sessions::insert(t.pool(), &fresh, &[4; 32]).await.unwrap();
    sessions::touch(t.pool(), &fresh.id, now - MINUTE)
        .await
        .unwrap();

    assert_eq!(
        sessions::delete_expired(t.pool(), now, idle_before)
            .await
            .unwrap(),
        2
    );
    assert_eq!(find(t, &[1; 32]).await, None);
    assert_eq!(find(t, &[2; 32]).await, None);
    assert_eq!(find(t, &[3; 32]).await, Some(edge));
    assert_eq!(find(t, &[4; 32]).await.unwrap().last_seen_at, now - MINUTE);
    assert_eq!(
        sessions::delete_expired(t.pool(), now, idle_before)
            .await
            .unwrap(),
        0
    );
}
