//! Organisations and memberships.

use crate::common::{T0, TestDb, assert_violation, insert_org, insert_user};
use gtx_core::db::models::Membership;
use gtx_core::db::repo::{orgs, users};
use gtx_core::domain::key_list::PageRequest;
use gtx_core::domain::status::Role;
use gtx_core::domain::{OrgId, UserId};
use sqlx::error::ErrorKind;

on_both_backends!(
    insert_org_then_get_returns_it,
    get_org_with_unknown_id_finds_nothing,
    list_all_orgs_returns_oldest_first,
    list_orgs_for_user_returns_only_their_orgs,
    any_org_exists_turns_true_after_the_first_insert,
    insert_membership_then_get_returns_it,
    insert_membership_twice_keeps_the_first,
    insert_membership_with_unknown_role_violates_check,
    insert_membership_for_missing_user_violates_foreign_key,
    set_role_changes_only_that_membership,
    set_role_of_non_member_returns_false,
    delete_membership_removes_it_once,
    count_admins_counts_only_admins_of_that_org,
    page_org_members_searches_email_and_name_and_pages,
);

fn membership(org: &OrgId, user: &UserId, role: Role, created_at: i64) -> Membership {
    Membership {
        org_id: org.clone(),
        user_id: user.clone(),
        role,
        created_at,
    }
}

async fn insert_org_then_get_returns_it(t: &TestDb) {
    let org = insert_org(t, "Acme “Ltd” ✓", T0).await;
    assert_eq!(orgs::get(t.pool(), &org.id).await.unwrap(), Some(org));
}

async fn get_org_with_unknown_id_finds_nothing(t: &TestDb) {
    insert_org(t, "Acme", T0).await;
    assert_eq!(
        orgs::get(t.pool(), &OrgId("no-such-org".to_owned()))
            .await
            .unwrap(),
        None
    );
}

async fn list_all_orgs_returns_oldest_first(t: &TestDb) {
    let newer = insert_org(t, "Newer", T0 + 10).await;
    let older = insert_org(t, "Older", T0).await;
    assert_eq!(orgs::list_all(t.pool()).await.unwrap(), vec![older, newer]);
}

async fn list_orgs_for_user_returns_only_their_orgs(t: &TestDb) {
    let a = insert_org(t, "A", T0).await;
    let b = insert_org(t, "B", T0 + 1).await;
    let c = insert_org(t, "C", T0 + 2).await;
    let ada = insert_user(t, "ada@example.com").await;
    let bob = insert_user(t, "bob@example.com").await;
    orgs::insert_membership(t.pool(), &membership(&c.id, &ada.id, Role::Member, T0))
        .await
        .unwrap();
    orgs::insert_membership(t.pool(), &membership(&a.id, &ada.id, Role::Admin, T0))
        .await
        .unwrap();
    orgs::insert_membership(t.pool(), &membership(&b.id, &bob.id, Role::Admin, T0))
        .await
        .unwrap();

    assert_eq!(
        orgs::list_for_user(t.pool(), &ada.id).await.unwrap(),
        vec![a, c]
    );
    assert_eq!(
        orgs::list_for_user(t.pool(), &bob.id).await.unwrap(),
        vec![b]
    );
    let nobody = insert_user(t, "nobody@example.com").await;
    assert_eq!(
        orgs::list_for_user(t.pool(), &nobody.id).await.unwrap(),
        vec![]
    );
}

async fn any_org_exists_turns_true_after_the_first_insert(t: &TestDb) {
    assert!(!orgs::any_exists(t.pool()).await.unwrap());
    insert_org(t, "Acme", T0).await;
    assert!(orgs::any_exists(t.pool()).await.unwrap());
}

async fn insert_membership_then_get_returns_it(t: &TestDb) {
    let org = insert_org(t, "Acme", T0).await;
    let other = insert_org(t, "Other", T0).await;
    let ada = insert_user(t, "ada@example.com").await;
    let m = membership(&org.id, &ada.id, Role::Admin, T0 + 5);
    orgs::insert_membership(t.pool(), &m).await.unwrap();

    assert_eq!(
        orgs::get_membership(t.pool(), &org.id, &ada.id)
            .await
            .unwrap(),
        Some(m.clone())
    );
    assert_eq!(
        orgs::get_membership(t.pool(), &other.id, &ada.id)
            .await
            .unwrap(),
        None
    );
    assert_eq!(
        orgs::list_memberships(t.pool(), &org.id).await.unwrap(),
        vec![m]
    );
}

async fn insert_membership_twice_keeps_the_first(t: &TestDb) {
    let org = insert_org(t, "Acme", T0).await;
    let ada = insert_user(t, "ada@example.com").await;
    let first = membership(&org.id, &ada.id, Role::Admin, T0);
    orgs::insert_membership(t.pool(), &first).await.unwrap();
    orgs::insert_membership(
        t.pool(),
        &membership(&org.id, &ada.id, Role::Member, T0 + 1),
    )
    .await
    .unwrap();

    assert_eq!(
        orgs::get_membership(t.pool(), &org.id, &ada.id)
            .await
            .unwrap(),
        Some(first)
    );
}

async fn insert_membership_with_unknown_role_violates_check(t: &TestDb) {
    let org = insert_org(t, "Acme", T0).await;
    let ada = insert_user(t, "ada@example.com").await;
    let result = sqlx::query(
        "INSERT INTO memberships (org_id, user_id, role, created_at) VALUES ($1, $2, 'owner', $3)",
    )
    .bind(org.id.as_str())
    .bind(ada.id.as_str())
    .bind(T0)
    .execute(t.pool())
    .await
    .map_err(gtx_core::db::DbError::from);
    assert_violation(result, ErrorKind::CheckViolation);
}

async fn insert_membership_for_missing_user_violates_foreign_key(t: &TestDb) {
    let org = insert_org(t, "Acme", T0).await;
    let ghost = UserId("no-such-user".to_owned());
    let result =
        orgs::insert_membership(t.pool(), &membership(&org.id, &ghost, Role::Member, T0)).await;
    assert_violation(result, ErrorKind::ForeignKeyViolation);
}

async fn set_role_changes_only_that_membership(t: &TestDb) {
    let org = insert_org(t, "Acme", T0).await;
    let other = insert_org(t, "Other", T0).await;
    let ada = insert_user(t, "ada@example.com").await;
    orgs::insert_membership(t.pool(), &membership(&org.id, &ada.id, Role::Member, T0))
        .await
        .unwrap();
    orgs::insert_membership(t.pool(), &membership(&other.id, &ada.id, Role::Member, T0))
        .await
        .unwrap();

    assert!(
        orgs::set_role(t.pool(), &org.id, &ada.id, Role::Admin)
            .await
            .unwrap()
    );

    let changed = orgs::get_membership(t.pool(), &org.id, &ada.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(changed.role, Role::Admin);
    let untouched = orgs::get_membership(t.pool(), &other.id, &ada.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(untouched.role, Role::Member);
}

async fn set_role_of_non_member_returns_false(t: &TestDb) {
    let org = insert_org(t, "Acme", T0).await;
    let ada = insert_user(t, "ada@example.com").await;
    assert!(
        !orgs::set_role(t.pool(), &org.id, &ada.id, Role::Admin)
            .await
            .unwrap()
    );
    assert_eq!(
        orgs::get_membership(t.pool(), &org.id, &ada.id)
            .await
            .unwrap(),
        None
    );
}

async fn delete_membership_removes_it_once(t: &TestDb) {
    let org = insert_org(t, "Acme", T0).await;
    let ada = insert_user(t, "ada@example.com").await;
    let bob = insert_user(t, "bob@example.com").await;
    orgs::insert_membership(t.pool(), &membership(&org.id, &ada.id, Role::Admin, T0))
        .await
        .unwrap();
    orgs::insert_membership(t.pool(), &membership(&org.id, &bob.id, Role::Member, T0))
        .await
        .unwrap();

    assert!(
        orgs::delete_membership(t.pool(), &org.id, &bob.id)
            .await
            .unwrap()
    );
    assert!(
        !orgs::delete_membership(t.pool(), &org.id, &bob.id)
            .await
            .unwrap()
    );

    assert_eq!(
        orgs::get_membership(t.pool(), &org.id, &bob.id)
            .await
            .unwrap(),
        None
    );
    let left: Vec<_> = orgs::list_memberships(t.pool(), &org.id).await.unwrap();
    assert_eq!(left.len(), 1);
    assert_eq!(left[0].user_id, ada.id);
}

async fn count_admins_counts_only_admins_of_that_org(t: &TestDb) {
    let org = insert_org(t, "Acme", T0).await;
    let other = insert_org(t, "Other", T0).await;
    assert_eq!(orgs::count_admins(t.pool(), &org.id).await.unwrap(), 0);
    let ada = insert_user(t, "ada@example.com").await;
    let bob = insert_user(t, "bob@example.com").await;
    let cy = insert_user(t, "cy@example.com").await;
    orgs::insert_membership(t.pool(), &membership(&org.id, &ada.id, Role::Admin, T0))
        .await
        .unwrap();
    orgs::insert_membership(t.pool(), &membership(&org.id, &bob.id, Role::Admin, T0))
        .await
        .unwrap();
    orgs::insert_membership(t.pool(), &membership(&org.id, &cy.id, Role::Member, T0))
        .await
        .unwrap();
    orgs::insert_membership(t.pool(), &membership(&other.id, &cy.id, Role::Admin, T0))
        .await
        .unwrap();

    assert_eq!(orgs::count_admins(t.pool(), &org.id).await.unwrap(), 2);
    assert_eq!(orgs::count_admins(t.pool(), &other.id).await.unwrap(), 1);

    orgs::set_role(t.pool(), &org.id, &bob.id, Role::Member)
        .await
        .unwrap();
    assert_eq!(orgs::count_admins(t.pool(), &org.id).await.unwrap(), 1);
}

async fn page_org_members_searches_email_and_name_and_pages(t: &TestDb) {
    let acme = insert_org(t, "Acme", T0).await;
    let other = insert_org(t, "Other", T0).await;
    for email in [
        "dan@acme.test",
        "ada@acme.test",
        "cy@acme.test",
        "bea@acme.test",
    ] {
        let user = insert_user(t, email).await;
        orgs::insert_membership(t.pool(), &membership(&acme.id, &user.id, Role::Member, T0))
            .await
            .unwrap();
    }
    let outsider = insert_user(t, "ada@other.test").await;
    orgs::insert_membership(
        t.pool(),
        &membership(&other.id, &outsider.id, Role::Admin, T0),
    )
    .await
    .unwrap();
    let mut conn = t.pool().acquire().await.unwrap();
    let mut emails = async |search: Option<&str>, page: u32| {
        let at = PageRequest { page, per_page: 2 };
        let found = users::page_org_members(&mut conn, &acme.id, search, at)
            .await
            .unwrap();
        let emails: Vec<String> = found.rows.into_iter().map(|(u, _)| u.email).collect();
        (emails, found.matching, found.page)
    };
    assert_eq!(
        emails(None, 1).await,
        (
            vec!["ada@acme.test".to_owned(), "bea@acme.test".to_owned()],
            4,
            1
        )
    );
    assert_eq!(
        emails(None, 5).await,
        (
            vec!["cy@acme.test".to_owned(), "dan@acme.test".to_owned()],
            4,
            2
        )
    );
    // By email or name, any case; another organisation's members never match.
    assert_eq!(
        emails(Some("ADA"), 1).await,
        (vec!["ada@acme.test".to_owned()], 1, 1)
    );
    assert_eq!(emails(Some("_"), 1).await, (vec![], 0, 1));
}
