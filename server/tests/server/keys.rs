//! The API key pages' server functions through the real router: the key reaches the
//! browser in exactly one response (`no-store`), with JavaScript or without; the list,
//! pages, audit log, database and logs never hold it; rotate and revoke do what they say.

use crate::common::{Reply, TestApp, captured_logs, cookie, form, project_key_fields};
use crate::security::hardening::{assert_secret_absent, database_bytes};
use crate::security::org_with_admin;
use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use gtx_core::db::models::ApiKeyRecord;
use gtx_core::db::repo::keys;
use gtx_core::domain::key_format::{PREFIX_LEN, SECRET_LEN};
use gtx_core::domain::{KeyStatus, KeyType, OrgId, ParsedKey, ProjectId};

/// An organisation with project "Website", and the admin's session.
async fn world(app: &TestApp) -> (OrgId, ProjectId, String) {
    let (org, admin) = org_with_admin(app).await;
    let project = app.create_project(&org, "Website").await;
    (org, project, admin)
}

/// [`world`] with one key of the project, "CI deploy", as stored.
async fn world_with_key(app: &TestApp) -> (OrgId, ProjectId, String, ApiKeyRecord) {
    let (org, project, admin) = world(app).await;
    create_project_key(app, &org, &project, &admin, "CI deploy").await;
    let key = stored_keys(app, &org, &project).await.remove(0);
    (org, project, admin, key)
}

/// Creates a development key of the project through the hydrated page's call; returns
/// the reply and the key.
async fn create_project_key(
    app: &TestApp,
    org: &OrgId,
    project: &ProjectId,
    session: &str,
    name: &str,
) -> (Reply, String) {
    let fields = project_key_fields(org, project, name, "development", Some("90d"));
    let reply = app.call("create_api_key", Some(session), &fields).await;
    reply.assert_status(StatusCode::OK);
    let key = reply.json()["key"].as_str().expect("the key").to_owned();
    (reply, key)
}

/// Rotates the key `key_id` through the hydrated page's call, the old key living on
/// for `grace`.
async fn rotate_key(app: &TestApp, session: &str, key_id: &str, grace: &str) -> Reply {
    app.call(
        "rotate_api_key",
        Some(session),
        &[("key_id", key_id), ("grace", grace)],
    )
    .await
}

/// Revokes the key `key_id` through the hydrated page's call.
async fn revoke_key(app: &TestApp, session: &str, key_id: &str) -> Reply {
    app.call("revoke_api_key", Some(session), &[("key_id", key_id)])
        .await
}

/// A plain HTML form post (no JavaScript), as the browser sends it.
async fn form_post(app: &TestApp, name: &str, session: &str, fields: &[(&str, &str)]) -> Reply {
    form_post_from(app, "http://localhost/", name, session, fields).await
}

/// A plain form post from the page at `referer`.
async fn form_post_from(
    app: &TestApp,
    referer: &str,
    name: &str,
    session: &str,
    fields: &[(&str, &str)],
) -> Reply {
    app.send(
        Request::post(format!("/_sf/{name}"))
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::ACCEPT, "text/html,application/xhtml+xml")
            .header(header::REFERER, referer)
            .header(header::COOKIE, cookie(session))
            .header("sec-fetch-site", "same-origin")
            .body(Body::from(form(fields)))
            .expect("request"),
    )
    .await
}

/// The project's keys as stored, newest first.
async fn stored_keys(app: &TestApp, org: &OrgId, project: &ProjectId) -> Vec<ApiKeyRecord> {
    keys::list_for_project(app.services.db().pool(), org, project)
        .await
        .expect("keys")
}

/// Revokes the key `key_id` with a plain form post from the page at `referer`.
async fn revoke_form_post(app: &TestApp, referer: &str, session: &str, key_id: &str) -> Reply {
    form_post_from(
        app,
        referer,
        "revoke_api_key",
        session,
        &[("key_id", key_id)],
    )
    .await
}

fn key_page(org: &OrgId, project: &ProjectId) -> String {
    format!("/orgs/{org}/projects/{project}/api-keys")
}

async fn create_api_key_answers_the_key_once_with_no_store(app: &TestApp) {
    let (org, project, admin) = world(app).await;
    let (reply, key) = create_project_key(app, &org, &project, &admin, "CI deploy").await;
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    let parsed = ParsedKey::parse(&key).expect("a well-formed key");
    assert_eq!(parsed.key_type(), KeyType::Development);
    let body = reply.json();
    assert_eq!(body["name"], "CI deploy");
    assert_eq!(body["project_id"], project.as_str());

    // Every other response shows it masked at most.
    let list = app
        .call(
            "list_api_keys",
            Some(&admin),
            &[("org_id", org.as_str()), ("project_id", project.as_str())],
        )
        .await;
    list.assert_status(StatusCode::OK);
    let rows = list.json()["keys"].as_array().expect("keys").clone();
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0]["hint"], gtx_core::domain::key_format::hint_of(&key));
    let page = app.page(&key_page(&org, &project), Some(&admin)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("CI deploy"));
    let audit = app
        .page(&format!("/orgs/{org}/audit-log"), Some(&admin))
        .await;
    assert!(audit.body.contains("key.create"), "{}", audit.body);
    for (what, reply) in [("list", &list), ("page", &page), ("audit log", &audit)] {
        assert!(!reply.body.contains(&key), "the {what} shows the key");
        assert!(
            !reply.body.contains(secret_of(&key)),
            "the {what} shows the key's secret"
        );
    }
}

async fn create_api_key_form_post_reveals_the_key_once_on_the_next_page(app: &TestApp) {
    let (org, project, admin) = world(app).await;
    let fields = project_key_fields(&org, &project, "Preview", "production", Some("never"));
    let reply = form_post(app, "create_api_key", &admin, &fields).await;
    reply.assert_status(StatusCode::FOUND);
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    let location = reply.header("location").expect("Location").to_owned();
    assert!(
        location.starts_with(&format!("{}?reveal=", key_page(&org, &project))),
        "{location}"
    );
    // The redirect itself carries no key.
    let stored = stored_keys(app, &org, &project).await;
    assert_eq!(stored.len(), 1);
    assert!(
        !reply.body.contains("gtx-api-"),
        "the redirect's body carries a key: {}",
        reply.body
    );

    // Another user of the organisation cannot take it.
    app.create_user(
        &org,
        "other-admin@acme.example",
        gtx_core::domain::Role::Admin,
    )
    .await;
    let other = app
        .sign_in("other-admin@acme.example", crate::common::PASSWORD)
        .await;
    let stolen = app.page(&location, Some(&other)).await;
    assert_eq!(stolen.status, StatusCode::OK);
    assert!(!stolen.body.contains("Save your API key"));
    // Nor does the invite page's reveal, with the key's reveal id: each kind of reveal
    // is taken only by its own page.
    let reveal_id = location
        .split("reveal=")
        .nth(1)
        .and_then(|r| r.split('&').next())
        .expect("reveal id");
    let wrong_kind = app
        .call("take_invite_reveal", Some(&admin), &[("reveal", reveal_id)])
        .await;
    wrong_kind.assert_status(StatusCode::OK);
    assert_eq!(wrong_kind.json(), serde_json::Value::Null);
    assert!(!wrong_kind.body.contains("gtx-api-"));

    let page = app.page(&location, Some(&admin)).await;
    page.assert_status(StatusCode::OK);
    assert_eq!(page.header("cache-control"), Some("no-store"));
    assert!(page.body.contains("Save your API key"), "{}", page.body);
    let key = extract_key(&page.body, "gtx-api-").expect("the key on the page");
    assert_eq!(stored[0].hint, gtx_core::domain::key_format::hint_of(&key));
    assert!(page.body.contains(&format!("GT_PROJECT_ID={project}")));

    let again = app.page(&location, Some(&admin)).await;
    assert_eq!(again.status, StatusCode::OK);
    assert!(!again.body.contains(&key), "a reload shows the key again");
    assert!(!again.body.contains("Save your API key"));
}

/// The random part of a key (without prefix and checksum).
fn secret_of(key: &str) -> &str {
    &key[PREFIX_LEN..PREFIX_LEN + SECRET_LEN]
}

/// The first well-formed key with `prefix` in `text`.
fn extract_key(text: &str, prefix: &str) -> Option<String> {
    text.match_indices(prefix).find_map(|(at, _)| {
        let candidate: String = text[at..]
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '-')
            .collect();
        ParsedKey::parse(&candidate).is_ok().then_some(candidate)
    })
}

async fn create_api_key_with_bad_input_is_a_field_error(app: &TestApp) {
    let (org, project, admin) = world(app).await;
    let cases: [(&[(&str, &str)], &str); 5] = [
        (&[("name", " "), ("key_type", "production")], "name"),
        (&[("name", "A"), ("key_type", "organisation")], "key_type"),
        (
            &[("name", "A"), ("key_type", "production"), ("expires", "2d")],
            "expires",
        ),
        (
            &[
                ("name", "A"),
                ("key_type", "production"),
                ("expires", "date"),
                ("expires_on", "2020-01-01"),
            ],
            "expires_on",
        ),
        (
            &[
                ("name", "A"),
                ("key_type", "production"),
                ("expires", "date"),
                ("expires_on", "soon"),
            ],
            "expires_on",
        ),
    ];
    for (extra, field) in cases {
        let mut fields = vec![("org_id", org.as_str()), ("project_id", project.as_str())];
        fields.extend_from_slice(extra);
        let reply = app.call("create_api_key", Some(&admin), &fields).await;
        assert_eq!(
            reply.status,
            StatusCode::UNPROCESSABLE_ENTITY,
            "{field}: {}",
            reply.body
        );
        assert_eq!(reply.json()["Invalid"]["field"], field, "{}", reply.body);
    }
    // The organisation page: no permission at all, and a level a resource lacks.
    for (extra, field) in [
        (vec![("files", "no_access")], "permissions"),
        (vec![("runtime_translation", "write")], "permissions"),
    ] {
        let mut fields = vec![("org_id", org.as_str()), ("name", "Org key")];
        fields.extend(extra);
        let reply = app.call("create_api_key", Some(&admin), &fields).await;
        reply.assert_invalid("field", field);
    }
    let none = stored_keys(app, &org, &project).await;
    assert!(none.is_empty(), "a refused create wrote a key");

    create_project_key(app, &org, &project, &admin, "Taken").await;
    let fields = project_key_fields(&org, &project, "Taken", "production", None);
    let reply = app.call("create_api_key", Some(&admin), &fields).await;
    reply.assert_invalid("problem", "KeyNameTakenInProject");
    let message = gtx_core::domain::validation::Problem::KeyNameTakenInProject.message();
    assert!(message.contains("already exists"), "{message}");
}

async fn rotate_api_key_reveals_the_replacement_and_keeps_the_old_for_the_grace(app: &TestApp) {
    let (org, project, admin) = world(app).await;
    let (_, old_key) = create_project_key(app, &org, &project, &admin, "CI deploy").await;
    let old = stored_keys(app, &org, &project).await.remove(0);
    let reply = rotate_key(app, &admin, old.id.as_str(), "24h").await;
    reply.assert_status(StatusCode::OK);
    assert_eq!(reply.header("cache-control"), Some("no-store"));
    let new_key = reply.json()["key"].as_str().expect("new key").to_owned();
    assert_ne!(new_key, old_key);
    assert_eq!(
        ParsedKey::parse(&new_key).expect("well-formed").key_type(),
        KeyType::Development
    );

    let pool = app.services.db().pool();
    let old = keys::get(pool, &org, &old.id)
        .await
        .expect("get")
        .expect("old");
    let now = app.services.now();
    assert_eq!(old.expires_at, Some(now + 24 * 60 * 60 * 1000));
    assert_eq!(old.status(now), KeyStatus::Expiring);
    let new_id = old.replaced_by.clone().expect("replaced");
    let new = keys::get(pool, &org, &new_id)
        .await
        .expect("get")
        .expect("new");
    assert_eq!(new.name, "CI deploy");
    assert_eq!(new.status(now), KeyStatus::Active);

    // A bad grace period is a field error and rotates nothing.
    let reply = rotate_key(app, &admin, new_id.as_str(), "forever").await;
    reply.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(reply.json()["Invalid"]["field"], "grace");
    // A rotated key cannot be rotated again.
    let reply = rotate_key(app, &admin, old.id.as_str(), "now").await;
    reply.assert_status(StatusCode::CONFLICT);
    let all = stored_keys(app, &org, &project).await;
    assert_eq!(all.len(), 2);
}

async fn revoke_api_key_marks_it_revoked_and_a_second_revoke_conflicts(app: &TestApp) {
    let (org, project, admin, key) = world_with_key(app).await;
    let pool = app.services.db().pool();
    let reply = revoke_form_post(app, "http://localhost/", &admin, key.id.as_str()).await;
    reply.assert_status(StatusCode::FOUND);
    assert_eq!(
        reply.header("location"),
        Some(key_page(&org, &project).as_str())
    );
    let revoked = keys::get(pool, &org, &key.id)
        .await
        .expect("get")
        .expect("key");
    assert!(revoked.revoked_at.is_some());

    let reply = revoke_key(app, &admin, key.id.as_str()).await;
    reply.assert_status(StatusCode::CONFLICT);
    let reply = revoke_key(app, &admin, "no-such-key").await;
    reply.assert_status(StatusCode::NOT_FOUND);
}

async fn revoke_api_key_form_post_keeps_the_list_filters(app: &TestApp) {
    let (org, project, admin, key) = world_with_key(app).await;
    let page = key_page(&org, &project);
    let referer = format!(
        "http://localhost{page}?status=active&sort=name&dir=asc&revoke={}&bogus=%3Cx%3E",
        key.id
    );
    let reply = revoke_form_post(app, &referer, &admin, key.id.as_str()).await;
    reply.assert_status(StatusCode::FOUND);
    assert_eq!(
        reply.header("location"),
        Some(format!("{page}?status=active&sort=name&dir=asc").as_str())
    );
}

async fn revoke_api_key_form_post_keeps_the_search_and_page(app: &TestApp) {
    let (org, project, admin, key) = world_with_key(app).await;
    let page = key_page(&org, &project);
    let referer = format!(
        "http://localhost{page}?q=ci%20deploy&per_page=20&page=2&revoke={}&q2=a%0Db",
        key.id
    );
    let reply = revoke_form_post(app, &referer, &admin, key.id.as_str()).await;
    reply.assert_status(StatusCode::FOUND);
    assert_eq!(
        reply.header("location"),
        Some(format!("{page}?q=ci%20deploy&per_page=20&page=2").as_str())
    );
}

async fn keys_page_shows_one_page_with_links_to_the_others(app: &TestApp) {
    let (org, project, admin) = world(app).await;
    for name in ["first", "second", "third"] {
        create_project_key(app, &org, &project, &admin, name).await;
    }
    let base = key_page(&org, &project);
    let one = app.page(&format!("{base}?per_page=2"), Some(&admin)).await;
    assert_eq!(one.status, StatusCode::OK);
    assert!(one.body.contains("1–2 of 3 keys"), "{}", one.body);
    assert!(one.body.contains("third") && one.body.contains("second"));
    assert!(!one.body.contains(">first<"), "{}", one.body);
    assert!(
        one.body
            .contains(&format!("href=\"{base}?per_page=2&amp;page=2\"")),
        "{}",
        one.body
    );
    assert!(!one.body.contains("Previous page"));
    let two = app
        .page(&format!("{base}?per_page=2&page=2"), Some(&admin))
        .await;
    assert!(two.body.contains("3–3 of 3 keys"), "{}", two.body);
    assert!(two.body.contains(">first<"), "{}", two.body);
    assert!(
        two.body.contains(&format!("href=\"{base}?per_page=2\"")),
        "{}",
        two.body
    );
    assert!(!two.body.contains("Next page"));
    // A page past the end shows the last one.
    let past = app
        .page(&format!("{base}?per_page=2&page=40"), Some(&admin))
        .await;
    assert!(past.body.contains("3–3 of 3 keys"), "{}", past.body);
}

async fn keys_page_searches_in_the_database_without_javascript(app: &TestApp) {
    let (org, project, admin) = world(app).await;
    for name in ["CI deploy", "Laptop", "Staging CI"] {
        create_project_key(app, &org, &project, &admin, name).await;
    }
    let base = key_page(&org, &project);
    let found = app.page(&format!("{base}?q=ci"), Some(&admin)).await;
    assert_eq!(found.status, StatusCode::OK);
    assert!(found.body.contains("2 of 3 keys"), "{}", found.body);
    assert!(!found.body.contains(">Laptop<"), "{}", found.body);
    // The search box keeps the text, and the other views keep the search.
    assert!(found.body.contains(r#"name="q""#) && found.body.contains(r#"value="ci""#));
    let none = app
        .page(&format!("{base}?q=%25nothing"), Some(&admin))
        .await;
    assert!(
        none.body.contains("No keys match these filters."),
        "{}",
        none.body
    );
}

async fn plaintext_keys_stay_out_of_database_logs_and_other_responses(app: &TestApp) {
    let (org, project, admin) = world(app).await;
    let (_, project_key) = create_project_key(app, &org, &project, &admin, "Deploy").await;
    let reply = app
        .call(
            "create_api_key",
            Some(&admin),
            &[
                ("org_id", org.as_str()),
                ("name", "Org automation"),
                ("files", "write"),
                ("project_creation", "enabled"),
            ],
        )
        .await;
    reply.assert_status(StatusCode::OK);
    let org_key = reply.json()["key"].as_str().expect("org key").to_owned();
    let org_keys = keys::list_for_org(app.services.db().pool(), &org)
        .await
        .expect("keys");
    let reply = rotate_key(app, &admin, org_keys[0].id.as_str(), "1h").await;
    let rotated_key = reply.json()["key"].as_str().expect("rotated").to_owned();

    let mut others = Vec::new();
    for path in [
        key_page(&org, &project),
        format!("/orgs/{org}/api-keys"),
        format!("/orgs/{org}/audit-log"),
        format!("/orgs/{org}"),
    ] {
        others.push(app.page(&path, Some(&admin)).await.body);
    }
    for fields in [
        vec![("org_id", org.as_str()), ("project_id", project.as_str())],
        vec![("org_id", org.as_str())],
    ] {
        others.push(app.call("list_api_keys", Some(&admin), &fields).await.body);
    }
    others.push(
        app.call("list_audit", Some(&admin), &[("org_id", org.as_str())])
            .await
            .body,
    );

    let logs = captured_logs();
    let database = database_bytes(app).await;
    for key in [&project_key, &org_key, &rotated_key] {
        for needle in [key.as_str(), secret_of(key)] {
            assert_secret_absent("key", needle, &logs, &database);
            for body in &others {
                assert!(!body.contains(needle), "a later response holds a key");
            }
        }
    }
}

/// A create post that the form could not have sent (fields missing, an unknown level)
/// is a 4xx with a JSON body and writes nothing.
async fn create_api_key_with_malformed_post_is_a_4xx(app: &TestApp) {
    let (org, project, admin) = world(app).await;
    let no_name: &[(&str, &str)] = &[("org_id", org.as_str()), ("key_type", "production")];
    let cases: [&[(&str, &str)]; 4] = [
        &[],
        no_name,
        &[("name", "No org")],
        &[
            ("org_id", org.as_str()),
            ("name", "Org key"),
            ("files", "admin"),
        ],
    ];
    for fields in cases {
        let reply = app.call("create_api_key", Some(&admin), fields).await;
        assert!(reply.status.is_client_error(), "{fields:?}: {reply:?}");
        assert!(
            serde_json::from_str::<serde_json::Value>(&reply.body).is_ok(),
            "{fields:?}: not JSON: {}",
            reply.body
        );
    }
    assert!(stored_keys(app, &org, &project).await.is_empty());
    let org_keys = keys::list_for_org(app.services.db().pool(), &org)
        .await
        .expect("keys");
    assert!(org_keys.is_empty(), "a refused create wrote a key");
}

on_both_backends!(
    create_api_key_answers_the_key_once_with_no_store,
    create_api_key_form_post_reveals_the_key_once_on_the_next_page,
    create_api_key_with_bad_input_is_a_field_error,
    create_api_key_with_malformed_post_is_a_4xx,
    rotate_api_key_reveals_the_replacement_and_keeps_the_old_for_the_grace,
    revoke_api_key_marks_it_revoked_and_a_second_revoke_conflicts,
    revoke_api_key_form_post_keeps_the_list_filters,
    revoke_api_key_form_post_keeps_the_search_and_page,
    keys_page_shows_one_page_with_links_to_the_others,
    keys_page_searches_in_the_database_without_javascript,
    plaintext_keys_stay_out_of_database_logs_and_other_responses,
);
