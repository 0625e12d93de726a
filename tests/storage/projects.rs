//! Projects and project membership: every lookup is scoped by organisation.

use crate::common::{T0, TestDb, insert_org, insert_project, insert_user};
use gtx_core::db::repo::projects;
use gtx_core::domain::ProjectId;

on_both_backends!(
    insert_project_then_get_returns_it,
    get_project_from_other_org_finds_nothing,
    list_projects_returns_only_that_org_by_name,
    update_project_changes_name_and_locale,
    update_project_from_other_org_changes_nothing,
    add_project_member_twice_is_idempotent,
    remove_project_member_removes_it_once,
    is_member_of_project_in_other_org_is_false,
    list_projects_for_member_returns_only_their_projects,
);

async fn insert_project_then_get_returns_it(t: &TestDb) {
    let org = insert_org(t, "Acme", T0).await;
    let project = insert_project(t, &org.id, "Website").await;
    assert_eq!(
        projects::get(t.pool(), &org.id, &project.id).await.unwrap(),
        Some(project.clone())
    );
    assert_eq!(
        projects::get_unscoped(t.pool(), &project.id).await.unwrap(),
        Some(project)
    );
    let ghost = ProjectId("no-such-project".to_owned());
    assert_eq!(
        projects::get_unscoped(t.pool(), &ghost).await.unwrap(),
        None
    );
}

async fn get_project_from_other_org_finds_nothing(t: &TestDb) {
    let acme = insert_org(t, "Acme", T0).await;
    let rival = insert_org(t, "Rival", T0).await;
    let project = insert_project(t, &acme.id, "Website").await;
    assert_eq!(
        projects::get(t.pool(), &rival.id, &project.id)
            .await
            .unwrap(),
        None
    );
}

async fn list_projects_returns_only_that_org_by_name(t: &TestDb) {
    let acme = insert_org(t, "Acme", T0).await;
    let rival = insert_org(t, "Rival", T0).await;
    let web = insert_project(t, &acme.id, "Website").await;
    let app = insert_project(t, &acme.id, "App").await;
    let theirs = insert_project(t, &rival.id, "Backend").await;

    assert_eq!(
        projects::list(t.pool(), &acme.id).await.unwrap(),
        vec![app, web]
    );
    assert_eq!(
        projects::list(t.pool(), &rival.id).await.unwrap(),
        vec![theirs]
    );
}

async fn update_project_changes_name_and_locale(t: &TestDb) {
    let org = insert_org(t, "Acme", T0).await;
    let project = insert_project(t, &org.id, "Website").await;
    let other = insert_project(t, &org.id, "App").await;

    assert!(
        projects::update(t.pool(), &org.id, &project.id, "Site", "fr-CA")
            .await
            .unwrap()
    );

    let stored = projects::get(t.pool(), &org.id, &project.id)
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (stored.name.as_str(), stored.default_locale.as_str()),
        ("Site", "fr-CA")
    );
    assert_eq!(stored.created_at, project.created_at);
    assert_eq!(
        projects::get(t.pool(), &org.id, &other.id).await.unwrap(),
        Some(other)
    );
}

async fn update_project_from_other_org_changes_nothing(t: &TestDb) {
    let acme = insert_org(t, "Acme", T0).await;
    let rival = insert_org(t, "Rival", T0).await;
    let project = insert_project(t, &acme.id, "Website").await;

    assert!(
        !projects::update(t.pool(), &rival.id, &project.id, "Pwned", "de")
            .await
            .unwrap()
    );
    assert_eq!(
        projects::get(t.pool(), &acme.id, &project.id)
            .await
            .unwrap(),
        Some(project)
    );
}

async fn add_project_member_twice_is_idempotent(t: &TestDb) {
    let org = insert_org(t, "Acme", T0).await;
    let project = insert_project(t, &org.id, "Website").await;
    let ada = insert_user(t, "ada@example.com").await;

    assert!(
        !projects::is_member(t.pool(), &org.id, &project.id, &ada.id)
            .await
            .unwrap()
    );
    assert!(
        projects::add_member(t.pool(), &org.id, &project.id, &ada.id, T0)
            .await
            .unwrap()
    );
    assert!(
        !projects::add_member(t.pool(), &org.id, &project.id, &ada.id, T0 + 1)
            .await
            .unwrap()
    );
    assert!(
        projects::is_member(t.pool(), &org.id, &project.id, &ada.id)
            .await
            .unwrap()
    );
    assert_eq!(
        projects::list_for_member(t.pool(), &org.id, &ada.id)
            .await
            .unwrap(),
        vec![project]
    );
}

async fn remove_project_member_removes_it_once(t: &TestDb) {
    let org = insert_org(t, "Acme", T0).await;
    let project = insert_project(t, &org.id, "Website").await;
    let ada = insert_user(t, "ada@example.com").await;
    let bob = insert_user(t, "bob@example.com").await;
    projects::add_member(t.pool(), &org.id, &project.id, &ada.id, T0)
        .await
        .unwrap();
    projects::add_member(t.pool(), &org.id, &project.id, &bob.id, T0)
        .await
        .unwrap();

    assert!(
        projects::remove_member(t.pool(), &org.id, &project.id, &ada.id)
            .await
            .unwrap()
    );
    assert!(
        !projects::remove_member(t.pool(), &org.id, &project.id, &ada.id)
            .await
            .unwrap()
    );

    assert!(
        !projects::is_member(t.pool(), &org.id, &project.id, &ada.id)
            .await
            .unwrap()
    );
    assert!(
        projects::is_member(t.pool(), &org.id, &project.id, &bob.id)
            .await
            .unwrap()
    );
}

async fn is_member_of_project_in_other_org_is_false(t: &TestDb) {
    let acme = insert_org(t, "Acme", T0).await;
    let rival = insert_org(t, "Rival", T0).await;
    let project = insert_project(t, &acme.id, "Website").await;
    let ada = insert_user(t, "ada@example.com").await;
    projects::add_member(t.pool(), &acme.id, &project.id, &ada.id, T0)
        .await
        .unwrap();

    assert!(
        !projects::is_member(t.pool(), &rival.id, &project.id, &ada.id)
            .await
            .unwrap()
    );
    assert!(
        !projects::remove_member(t.pool(), &rival.id, &project.id, &ada.id)
            .await
            .unwrap()
    );
    assert!(
        projects::is_member(t.pool(), &acme.id, &project.id, &ada.id)
            .await
            .unwrap()
    );
    assert_eq!(
        projects::list_for_member(t.pool(), &rival.id, &ada.id)
            .await
            .unwrap(),
        vec![]
    );
}

async fn list_projects_for_member_returns_only_their_projects(t: &TestDb) {
    let org = insert_org(t, "Acme", T0).await;
    let web = insert_project(t, &org.id, "Website").await;
    let app = insert_project(t, &org.id, "App").await;
    let internal = insert_project(t, &org.id, "Internal").await;
    let ada = insert_user(t, "ada@example.com").await;
    let bob = insert_user(t, "bob@example.com").await;
    projects::add_member(t.pool(), &org.id, &web.id, &ada.id, T0)
        .await
        .unwrap();
    projects::add_member(t.pool(), &org.id, &app.id, &ada.id, T0)
        .await
        .unwrap();
    projects::add_member(t.pool(), &org.id, &internal.id, &bob.id, T0)
        .await
        .unwrap();

    assert_eq!(
        projects::list_for_member(t.pool(), &org.id, &ada.id)
            .await
            .unwrap(),
        vec![app, web]
    );
    assert_eq!(
        projects::list_for_member(t.pool(), &org.id, &bob.id)
            .await
            .unwrap(),
        vec![internal]
    );
}
