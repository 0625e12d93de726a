//! The dashboard's pages and server functions, signed in and out.

use crate::common::{PASSWORD, TestApp};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use gtx_core::db::models::{Organisation, Project};
use gtx_core::domain::Role;
use gtx_core::services::Actor;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

#[tokio::test]
async fn healthz_answers_ok_with_the_backend() {
    let app = TestApp::sqlite().await;
    let reply = app
        .send(
            Request::get("/healthz")
                .body(Body::empty())
                .expect("request"),
        )
        .await;
    assert_eq!(reply.status, StatusCode::OK);
    assert_eq!(reply.json()["status"], "ok");
    assert_eq!(reply.json()["database"], "sqlite");
}

#[tokio::test]
async fn home_page_redirects_to_setup_on_first_run() {
    let app = TestApp::sqlite().await;
    let reply = app.page("/", None).await;
    assert!(reply.status.is_redirection(), "{reply:?}");
    assert_eq!(reply.header("location"), Some("/setup"));
}

#[tokio::test]
async fn home_page_redirects_to_login_when_signed_out() {
    let app = TestApp::sqlite().await;
    let org = app
        .services
        .create_org(&Actor::operator(), "Acme Translations")
        .await
        .expect("org");
    app.insert_member(&org.id, "ada@example.com", Role::Admin)
        .await;
    let reply = app.page("/", None).await;
    assert!(reply.is_redirect_to_login(), "{reply:?}");
    assert!(
        !reply.body.contains("Acme Translations"),
        "nothing of the organisation is shown: {}",
        reply.body
    );
}

#[tokio::test]
async fn home_page_renders_organisations_server_side() {
    let app = TestApp::sqlite().await;
    let operator = Actor::operator();
    let org = app
        .services
        .create_org(&operator, "Acme Translations")
        .await
        .expect("org");
    app.services
        .create_org(&operator, "Someone Else Ltd")
        .await
        .expect("other org");
    app.create_user(&org.id, "ada@example.com", Role::Admin)
        .await;
    let token = app.sign_in("ada@example.com", PASSWORD).await;
    let reply = app.page("/", Some(&token)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    assert_eq!(reply.header("x-content-type-options"), Some("nosniff"));
    let html = &reply.body;
    assert!(html.contains("GT Keys"), "{html}");
    assert!(html.contains("Acme Translations"), "{html}");
    assert!(html.contains(&format!("/orgs/{}", org.id)), "{html}");
    assert!(
        !html.contains("Someone Else Ltd"),
        "only the user's organisations: {html}"
    );
    assert!(
        html.contains("/pkg/gtx-keys.js"),
        "hydration script is referenced: {html}"
    );
}

/// An organisation "Acme" with project "Website", and the session of its signed-in
/// admin.
async fn org_with_project_and_admin(app: &TestApp) -> (Organisation, Project, String) {
    let actor = Actor::operator();
    let org = app.services.create_org(&actor, "Acme").await.expect("org");
    let project = app
        .services
        .create_project(&actor, &org.id, "Website", Some("en-US"))
        .await
        .expect("project");
    app.create_user(&org.id, "ada@example.com", Role::Admin)
        .await;
    let token = app.sign_in("ada@example.com", PASSWORD).await;
    (org, project, token)
}

/// Building a router lists the dashboard's routes by rendering the app with resource
/// loading suppressed process-wide (leptos-rs/leptos#4773). A page rendered meanwhile
/// (by another test's router, or another router of the same process) must still load
/// its data instead of waiting for ever.
#[tokio::test]
async fn pages_render_while_routers_are_built_elsewhere() {
    let app = TestApp::sqlite().await;
    let (org, project, token) = org_with_project_and_admin(&app).await;
    let stop = Arc::new(AtomicBool::new(false));
    let builder = {
        let (stop, state) = (Arc::clone(&stop), app.state());
        std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .build()
                .expect("runtime");
            let _entered = runtime.enter();
            let mut built = 0_u32;
            while !stop.load(Ordering::Relaxed) {
                drop(gtx_keys::router(state.clone()));
                built += 1;
            }
            built
        })
    };
    let path = format!("/orgs/{}/projects/{}/api-keys", org.id, project.id);
    for _ in 0..30 {
        let reply = app.page(&path, Some(&token)).await;
        assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
        assert!(reply.body.contains("Website"), "{}", reply.body);
    }
    stop.store(true, Ordering::Relaxed);
    let built = builder.join().expect("router builder");
    assert!(built > 0, "no router was built while the pages rendered");
}

#[tokio::test]
async fn org_page_lists_projects_and_unknown_org_is_404() {
    let app = TestApp::sqlite().await;
    let (org, project, token) = org_with_project_and_admin(&app).await;

    let reply = app.page(&format!("/orgs/{}", org.id), Some(&token)).await;
    assert_eq!(reply.status, StatusCode::OK);
    assert!(
        reply.body.contains("Website") && reply.body.contains(project.id.as_str()),
        "{}",
        reply.body
    );

    let reply = app.page("/orgs/does-not-exist", Some(&token)).await;
    assert_eq!(reply.status, StatusCode::NOT_FOUND);
    assert!(reply.body.contains("Page not found"), "{}", reply.body);
}

#[tokio::test]
async fn list_orgs_server_function_answers_json() {
    let app = TestApp::sqlite().await;
    let org = app
        .services
        .create_org(&Actor::operator(), "Acme")
        .await
        .expect("org");
    app.create_user(&org.id, "ada@example.com", Role::Member)
        .await;
    let token = app.sign_in("ada@example.com", PASSWORD).await;
    let reply = app.call("list_orgs", Some(&token), &[]).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let json = reply.json();
    assert_eq!(json[0]["name"], "Acme");
    assert_eq!(json[0]["is_admin"], false);
}

#[tokio::test]
async fn list_orgs_requires_sign_in() {
    let app = TestApp::sqlite().await;
    app.services
        .create_org(&Actor::operator(), "Acme")
        .await
        .expect("org");
    let reply = app.call("list_orgs", None, &[]).await;
    assert_eq!(reply.status, StatusCode::UNAUTHORIZED, "{}", reply.body);
    assert_eq!(reply.json(), "Unauthenticated");
    assert!(!reply.body.contains("Acme"));
}

#[tokio::test]
async fn oversized_body_is_rejected_with_413() {
    let app = TestApp::sqlite().await;
    let body = "a=".to_owned() + &"x".repeat(gtx_keys::router::MAX_BODY_BYTES + 1);
    let reply = app
        .send(
            Request::post("/_sf/get_org")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::CONTENT_LENGTH, body.len())
                .header("sec-fetch-site", "same-origin")
                .body(Body::from(body))
                .expect("request"),
        )
        .await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
}

#[tokio::test]
async fn members_page_searches_and_pages_without_javascript() {
    let app = TestApp::sqlite().await;
    let (org, _project, session) = org_with_project_and_admin(&app).await;
    for email in ["bo@acme.test", "cy@acme.test", "di@acme.test"] {
        app.create_user(&org.id, email, Role::Member).await;
    }
    let base = format!("/orgs/{}/members", org.id);
    let found = app.page(&format!("{base}?q=CY"), Some(&session)).await;
    assert_eq!(found.status, StatusCode::OK);
    assert!(found.body.contains("cy@acme.test"), "{}", found.body);
    assert!(!found.body.contains("bo@acme.test"), "{}", found.body);
    assert!(
        found.body.contains(r#"value="CY""#),
        "the box keeps the search"
    );
    let none = app.page(&format!("{base}?q=nobody"), Some(&session)).await;
    assert!(none.body.contains("No members match this search."));
    // Four members, two a page: the second page has the last two by email, and a link
    // back.
    let second = app
        .page(&format!("{base}?per_page=2&page=2"), Some(&session))
        .await;
    assert!(second.body.contains("di@acme.test"), "{}", second.body);
    assert!(!second.body.contains("bo@acme.test"), "{}", second.body);
    assert!(second.body.contains("Page 2 of 2"), "{}", second.body);
    assert!(second.body.contains(&format!("href=\"{base}?per_page=2\"")));
}

/// A key's page renders on the server: its chart (an image named by its summary), the
/// table of the same numbers, the range links; another project's key id is a 404.
#[tokio::test]
async fn key_page_renders_the_usage_chart_without_javascript() {
    use gtx_core::domain::KeyType;
    use gtx_core::services::{KeyScope, NewKey};
    let app = TestApp::sqlite().await;
    let (org, project, session) = org_with_project_and_admin(&app).await;
    let other = app
        .services
        .create_project(&Actor::operator(), &org.id, "Other", None)
        .await
        .expect("project");
    let created = app
        .services
        .create_key(
            &Actor::operator(),
            NewKey {
                scope: KeyScope::Project {
                    project_id: project.id.clone(),
                    key_type: KeyType::Production,
                },
                name: "CI <deploy>".to_owned(),
                expires_at: None,
                description: "Runs on every merge".to_owned(),
            },
        )
        .await
        .expect("key");
    for _ in 0..3 {
        let verdict = app
            .services
            .verify_key(created.key.expose(), None, Default::default(), None)
            .await
            .expect("verify");
        assert!(verdict.is_valid());
    }
    app.services.flush_usage().await.expect("flush");
    let id = created.record.id.as_str();
    let page = format!("/orgs/{}/projects/{}/api-keys/{id}", org.id, project.id);
    let reply = app.page(&format!("{page}?range=24h"), Some(&session)).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.body);
    let body = &reply.body;
    assert!(body.contains("<h1>CI &lt;deploy&gt;"), "{body}");
    assert!(body.contains("Runs on every merge"));
    assert!(
        body.contains(
            r#"role="img" aria-label="Requests over the last 24 hours: 3 in all, 3 succeeded.""#
        ),
        "{body}"
    );
    assert!(body.contains("Requests per hour over the last 24 hours"));
    assert!(body.contains(&format!(r#"href="{page}?range=30d""#)));
    assert!(!body.contains(created.key.expose()), "never the key");
    let list = app
        .page(
            &format!("/orgs/{}/projects/{}/api-keys", org.id, project.id),
            Some(&session),
        )
        .await;
    assert!(
        list.body
            .contains(&format!(r#"<a class="key-name" href="api-keys/{id}">"#)),
        "{}",
        list.body
    );
    assert!(
        list.body
            .contains(r#"<td data-label="Requests (7 days)" class="number">3</td>"#)
    );
    let elsewhere = format!("/orgs/{}/projects/{}/api-keys/{id}", org.id, other.id);
    assert_eq!(
        app.page(&elsewhere, Some(&session)).await.status,
        StatusCode::NOT_FOUND
    );
    let as_org_key = format!("/orgs/{}/api-keys/{id}", org.id);
    assert_eq!(
        app.page(&as_org_key, Some(&session)).await.status,
        StatusCode::NOT_FOUND
    );
}
