//! The same-origin check on state-changing requests (the CSRF defence).

use super::org_with_admin;
use crate::common::{PASSWORD, Reply, TestApp, cookie, form, sf_request};
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use gtx_core::db::repo::audit::{self, AuditFilter};
use gtx_core::db::repo::{orgs, projects};
use gtx_core::domain::{OrgId, Role};

/// Sends `create_project` as the admin with the given origin headers.
async fn create_project_with_headers(
    app: &TestApp,
    org: &OrgId,
    token: &str,
    headers: &[(&str, &str)],
    name: &str,
) -> Reply {
    let mut request = sf_request("create_project", Some(token));
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let body = form(&[
        ("org_id", org.as_str()),
        ("name", name),
        ("default_locale", "en"),
    ]);
    app.send(request.body(Body::from(body)).expect("request"))
        .await
}

/// Every case is refused with 403 and a JSON error, and creates nothing.
async fn assert_refused(app: &TestApp, cases: &[(&str, &[(&str, &str)])]) {
    let (org, token) = org_with_admin(app).await;
    let pool = app.services.db().pool();
    let audit_before = audit::list(pool, &org, &AuditFilter::default(), 10_000)
        .await
        .expect("audit")
        .len();
    for (i, (case, headers)) in cases.iter().enumerate() {
        let name = format!("Project {i}");
        let reply = create_project_with_headers(app, &org, &token, headers, &name).await;
        assert_eq!(
            reply.status,
            StatusCode::FORBIDDEN,
            "{case}: {}",
            reply.body
        );
        assert_eq!(reply.json()["error"], "cross_origin", "{case}");
    }
    assert!(
        projects::list(pool, &org)
            .await
            .expect("projects")
            .is_empty(),
        "a refused request created a project"
    );
    let audit_after = audit::list(pool, &org, &AuditFilter::default(), 10_000)
        .await
        .expect("audit")
        .len();
    assert_eq!(
        audit_before, audit_after,
        "a refused request was audited as done"
    );

    // Signing out across origins is refused too: the session lives on.
    let mut request = sf_request("sign_out", Some(&token));
    for (name, value) in cases[0].1 {
        request = request.header(*name, *value);
    }
    let reply = app
        .send(request.body(Body::empty()).expect("request"))
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert!(reply.session_set_cookie().is_none());
    assert!(
        app.session_user(&token).await.is_some(),
        "the session survived"
    );
}

#[tokio::test]
async fn server_function_post_is_rejected_cross_site() {
    let app = TestApp::sqlite().await;
    assert_refused(
        &app,
        &[
            ("cross-site", &[("sec-fetch-site", "cross-site")]),
            ("same-site", &[("sec-fetch-site", "same-site")]),
            ("none", &[("sec-fetch-site", "none")]),
            (
                "cross-site with a matching Origin",
                &[
                    ("sec-fetch-site", "cross-site"),
                    ("host", "keys.example.com"),
                    ("origin", "https://keys.example.com"),
                ],
            ),
        ],
    )
    .await;
}

#[tokio::test]
async fn server_function_post_is_rejected_from_another_origin() {
    let app = TestApp::sqlite().await;
    assert_refused(
        &app,
        &[
            (
                "another host",
                &[
                    ("host", "keys.example.com"),
                    ("origin", "https://evil.example"),
                ],
            ),
            (
                "a host with our name as prefix",
                &[
                    ("host", "keys.example.com"),
                    ("origin", "https://keys.example.com.evil.example"),
                ],
            ),
            (
                "another port",
                &[
                    ("host", "keys.example.com"),
                    ("origin", "https://keys.example.com:8443"),
                ],
            ),
            (
                "opaque origin",
                &[("host", "keys.example.com"), ("origin", "null")],
            ),
            (
                "an Origin but no Host",
                &[("origin", "https://keys.example.com")],
            ),
        ],
    )
    .await;
}

#[tokio::test]
async fn server_function_post_is_rejected_without_origin_headers() {
    let app = TestApp::sqlite().await;
    assert_refused(&app, &[("neither header", &[])]).await;
    // Nor does a refused sign-in set a cookie.
    let reply = app
        .send(
            sf_request("sign_in", None)
                .body(Body::from(form(&[
                    ("email", "admin@acme.example"),
                    ("password", PASSWORD),
                ])))
                .expect("request"),
        )
        .await;
    assert_eq!(reply.status, StatusCode::FORBIDDEN);
    assert!(reply.session_set_cookie().is_none());
}

#[tokio::test]
async fn server_function_post_is_accepted_from_the_same_origin() {
    let app = TestApp::sqlite().await;
    let (org, token) = org_with_admin(&app).await;
    let cases: [(&str, &[(&str, &str)]); 3] = [
        ("Sec-Fetch-Site", &[("sec-fetch-site", "same-origin")]),
        (
            "Origin equal to the Host (https)",
            &[
                ("host", "keys.example.com"),
                ("origin", "https://keys.example.com"),
            ],
        ),
        (
            "Origin equal to the Host (http, with port)",
            &[
                ("host", "127.0.0.1:3000"),
                ("origin", "http://127.0.0.1:3000"),
            ],
        ),
    ];
    for (i, (case, headers)) in cases.into_iter().enumerate() {
        let name = format!("Project {i}");
        let reply = create_project_with_headers(&app, &org, &token, headers, &name).await;
        assert_eq!(reply.status, StatusCode::OK, "{case}: {}", reply.body);
    }
    let pool = app.services.db().pool();
    assert_eq!(projects::list(pool, &org).await.expect("projects").len(), 3);
}

#[tokio::test]
async fn server_function_get_changes_nothing() {
    let app = TestApp::sqlite().await;
    let (org, token) = org_with_admin(&app).await;
    let victim = app
        .insert_member(&org, "victim@acme.example", Role::Member)
        .await;
    let reply = app
        .send(
            Request::get(format!(
                "/_sf/remove_member?org_id={}&user_id={}",
                org.as_str(),
                victim.as_str()
            ))
            .header(header::COOKIE, cookie(&token))
            .header("sec-fetch-site", "same-origin")
            .body(Body::empty())
            .expect("request"),
        )
        .await;
    assert!(!reply.status.is_success(), "{reply:?}");
    let pool = app.services.db().pool();
    assert!(
        orgs::get_membership(pool, &org, &victim)
            .await
            .expect("membership")
            .is_some(),
        "a GET removed a member"
    );
}
