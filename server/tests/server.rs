//! Integration tests of the server crate: the real router (through `oneshot`) and the
//! real `gtx-keys` binary, against a real SQLite file and a real PostgreSQL server.

// Helpers outside `#[test]` functions are test code too; a panic there fails the test.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use gtx_core::clock::SystemClock;
use gtx_core::db::Db;
use gtx_core::keys::ServerSecret;
use gtx_core::services::{Actor, Services};
use gtx_keys::{AppState, router};
use http_body_util::BodyExt;
use std::process::{Command, Output};
use std::sync::Arc;
use tower::ServiceExt;

const BIN: &str = env!("CARGO_BIN_EXE_gtx-keys");

async fn sqlite_state(dir: &tempfile::TempDir) -> AppState {
    let db = Db::open_sqlite(&dir.path().join("test.sqlite3"))
        .await
        .expect("open sqlite");
    db.migrate().await.expect("migrate");
    let services = Services::new(
        db,
        Arc::new(ServerSecret::generate()),
        Arc::new(SystemClock),
    );
    services.check_server_secret().await.expect("secret check");
    let leptos_options = leptos::config::LeptosOptions::builder()
        .output_name("gtx-keys")
        .site_root(dir.path().to_string_lossy().to_string())
        .build();
    AppState {
        leptos_options,
        services,
    }
}

async fn body_text(response: axum::response::Response) -> String {
    let bytes = response
        .into_body()
        .collect()
        .await
        .expect("body")
        .to_bytes();
    String::from_utf8_lossy(&bytes).into_owned()
}

#[tokio::test]
async fn healthz_answers_ok_with_the_backend() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = router(sqlite_state(&dir).await);
    let response = app
        .oneshot(
            Request::get("/healthz")
                .body(Body::empty())
                .expect("request"),
        )
        .await
        .expect("response");
    assert_eq!(response.status(), StatusCode::OK);
    let json: serde_json::Value = serde_json::from_str(&body_text(response).await).expect("json");
    assert_eq!(json["status"], "ok");
    assert_eq!(json["database"], "sqlite");
}

#[tokio::test]
async fn home_page_renders_organisations_server_side() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = sqlite_state(&dir).await;
    let org = state
        .services
        .create_org(&Actor::operator(), "Acme Translations")
        .await
        .expect("org");
    let app = router(state);
    let response = app
        .oneshot(Request::get("/").body(Body::empty()).expect("request"))
        .await
        .expect("response");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response.headers()[header::X_CONTENT_TYPE_OPTIONS],
        "nosniff"
    );
    let html = body_text(response).await;
    assert!(html.contains("GT Keys"), "{html}");
    assert!(html.contains("Acme Translations"), "{html}");
    assert!(html.contains(&format!("/orgs/{}", org.id)), "{html}");
    assert!(
        html.contains("/pkg/gtx-keys.js"),
        "hydration script is referenced: {html}"
    );
}

#[tokio::test]
async fn org_page_lists_projects_and_unknown_org_is_404() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = sqlite_state(&dir).await;
    let actor = Actor::operator();
    let org = state
        .services
        .create_org(&actor, "Acme")
        .await
        .expect("org");
    let project = state
        .services
        .create_project(&actor, &org.id, "Website", Some("en-US"))
        .await
        .expect("project");
    let app = router(state);
    let response = app
        .clone()
        .oneshot(
            Request::get(format!("/orgs/{}", org.id))
                .body(Body::empty())
                .expect("request"),
        )
        .await
        .expect("response");
    assert_eq!(response.status(), StatusCode::OK);
    let html = body_text(response).await;
    assert!(
        html.contains("Website") && html.contains(project.id.as_str()),
        "{html}"
    );

    let response = app
        .oneshot(
            Request::get("/orgs/does-not-exist")
                .body(Body::empty())
                .expect("request"),
        )
        .await
        .expect("response");
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(body_text(response).await.contains("Page not found"));
}

#[tokio::test]
async fn list_orgs_server_function_answers_json() {
    let dir = tempfile::tempdir().expect("tempdir");
    let state = sqlite_state(&dir).await;
    state
        .services
        .create_org(&Actor::operator(), "Acme")
        .await
        .expect("org");
    let app = router(state);
    let response = app
        .oneshot(
            Request::post("/_sf/list_orgs")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::ACCEPT, "application/json")
                .body(Body::empty())
                .expect("request"),
        )
        .await
        .expect("response");
    assert_eq!(response.status(), StatusCode::OK);
    let json: serde_json::Value = serde_json::from_str(&body_text(response).await).expect("json");
    assert_eq!(json[0]["name"], "Acme");
}

#[tokio::test]
async fn oversized_body_is_rejected_with_413() {
    let dir = tempfile::tempdir().expect("tempdir");
    let app = router(sqlite_state(&dir).await);
    let body = "a=".to_owned() + &"x".repeat(gtx_keys::router::MAX_BODY_BYTES + 1);
    let response = app
        .oneshot(
            Request::post("/_sf/get_org")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::CONTENT_LENGTH, body.len())
                .body(Body::from(body))
                .expect("request"),
        )
        .await
        .expect("response");
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
}

// ---- the operator CLI, through the real binary --------------------------------------

/// Where a CLI test keeps its data: a SQLite data directory, or a PostgreSQL schema.
struct CliEnv {
    dir: tempfile::TempDir,
    database_url: Option<String>,
    /// The PostgreSQL base URL and schema, dropped by [`CliEnv::cleanup`].
    postgres: Option<(String, String)>,
}

impl CliEnv {
    fn sqlite() -> Self {
        Self {
            dir: tempfile::tempdir().expect("tempdir"),
            database_url: None,
            postgres: None,
        }
    }

    /// A PostgreSQL schema of its own, or `None` (with a note) when no server is configured
    /// outside CI. In CI a missing server is a failure.
    async fn postgres(test: &str) -> Option<Self> {
        let Ok(base) = std::env::var("GTX_TEST_DATABASE_URL") else {
            assert!(
                std::env::var_os("CI").is_none(),
                "GTX_TEST_DATABASE_URL must be set in CI"
            );
            eprintln!("skipping {test}: GTX_TEST_DATABASE_URL is not set");
            return None;
        };
        let schema = format!("cli_{}_{}", test, std::process::id());
        // Creates the schema.
        let db = Db::connect_postgres(&base, Some(&schema))
            .await
            .expect("connect postgres");
        db.close().await;
        let sep = if base.contains('?') { '&' } else { '?' };
        let url = format!("{base}{sep}options=-c%20search_path%3D{schema}");
        Some(Self {
            dir: tempfile::tempdir().expect("tempdir"),
            database_url: Some(url),
            postgres: Some((base, schema)),
        })
    }

    /// Drops the test's PostgreSQL schema.
    async fn cleanup(&self) {
        if let Some((base, schema)) = &self.postgres {
            let db = Db::connect_postgres(base, None)
                .await
                .expect("connect postgres");
            db.drop_schema(schema).await.expect("drop schema");
            db.close().await;
        }
    }

    fn run(&self, args: &[&str]) -> Output {
        let mut cmd = Command::new(BIN);
        cmd.arg("--data-dir").arg(self.dir.path()).args(args);
        cmd.env_remove("DATABASE_URL")
            .env_remove("GTX_SERVER_SECRET")
            .env("RUST_LOG", "warn");
        if let Some(url) = &self.database_url {
            cmd.env("DATABASE_URL", url)
                .env("GTX_SERVER_SECRET", "42".repeat(32));
        }
        cmd.output().expect("run gtx-keys")
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "{args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout)
            .expect("utf8")
            .trim_end()
            .to_owned()
    }
}

fn cli_flow(env: &CliEnv) {
    let org = env.ok(&["org", "create", "--name", "Acme"]);
    assert_eq!(org.lines().count(), 1, "only the id on stdout: {org}");
    let project = env.ok(&["project", "create", "--org", &org, "--name", "Website"]);
    let key = env.ok(&[
        "key",
        "create",
        "--project",
        &project,
        "--env",
        "production",
        "--name",
        "CI deploy",
        "--expires-in",
        "90d",
    ]);
    assert_eq!(key.lines().count(), 1, "only the key on stdout");
    let parsed = gtx_core::domain::ParsedKey::parse(&key).expect("the printed key parses");
    assert_eq!(parsed.key_type(), gtx_core::domain::KeyType::Production);

    let org_key = env.ok(&[
        "key",
        "create",
        "--org",
        &org,
        "--name",
        "Org CI",
        "--permission",
        "files:write",
    ]);
    assert!(org_key.starts_with("gtx-org-"));

    let list = env.ok(&["key", "list", "--project", &project]);
    assert!(list.contains(&parsed.hint()), "masked form listed: {list}");
    assert!(!list.contains(&key), "the key itself is never listed");
    assert!(list.contains("active"));

    let json: serde_json::Value =
        serde_json::from_str(&env.ok(&["key", "list", "--org", &org, "--json"])).expect("json");
    assert_eq!(
        json[0]["permissions"],
        serde_json::json!(["files:read", "files:write"])
    );

    let listed: serde_json::Value =
        serde_json::from_str(&env.ok(&["key", "list", "--project", &project, "--json"]))
            .expect("json");
    let key_id = listed[0]["id"].as_str().expect("id").to_owned();
    env.ok(&["key", "revoke", &key_id]);
    let after: serde_json::Value =
        serde_json::from_str(&env.ok(&["key", "list", "--project", &project, "--json"]))
            .expect("json");
    assert_eq!(after[0]["status"], "revoked");
    let again = env.run(&["key", "revoke", &key_id]);
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already revoked"));
}

#[tokio::test]
async fn cli_creates_lists_and_revokes_keys_sqlite() {
    let env = CliEnv::sqlite();
    cli_flow(&env);
    // The digest is stored, never the key: scan the database file.
    let key = {
        let org = env.ok(&["org", "create", "--name", "Scan"]);
        let project = env.ok(&["project", "create", "--org", &org, "--name", "P"]);
        env.ok(&[
            "key",
            "create",
            "--project",
            &project,
            "--env",
            "development",
            "--name",
            "k",
        ])
    };
    let mut bytes = Vec::new();
    for entry in std::fs::read_dir(env.dir.path()).expect("read dir") {
        let path = entry.expect("entry").path();
        if path
            .file_name()
            .is_some_and(|n| n.to_string_lossy().starts_with("gtx-keys.sqlite3"))
        {
            bytes.extend(std::fs::read(path).expect("read"));
        }
    }
    let secret_part = &key.as_bytes()[8..51];
    assert!(
        !bytes.windows(secret_part.len()).any(|w| w == secret_part),
        "key found in the database file"
    );
}

#[tokio::test]
async fn cli_creates_lists_and_revokes_keys_postgres() {
    if let Some(env) = CliEnv::postgres("flow").await {
        cli_flow(&env);
        env.cleanup().await;
    }
}

#[test]
fn cli_bad_arguments_exit_2_with_a_message() {
    let env = CliEnv::sqlite();
    let org = env.ok(&["org", "create", "--name", "Acme"]);
    let project = env.ok(&["project", "create", "--org", &org, "--name", "Website"]);
    let cases: Vec<Vec<&str>> = vec![
        vec!["key", "create", "--project", &project, "--name", "no env"],
        vec!["key", "create", "--org", &org, "--name", "no permission"],
        vec![
            "key",
            "create",
            "--org",
            &org,
            "--name",
            "x",
            "--permission",
            "files:admin",
        ],
        vec![
            "key",
            "create",
            "--project",
            &project,
            "--env",
            "staging",
            "--name",
            "x",
        ],
        vec![
            "key",
            "create",
            "--project",
            &project,
            "--env",
            "production",
            "--name",
            "x",
            "--expires-in",
            "soon",
        ],
        vec![
            "key",
            "create",
            "--project",
            &project,
            "--env",
            "production",
            "--name",
            "   ",
        ],
        vec![
            "project",
            "create",
            "--org",
            &org,
            "--name",
            "P",
            "--default-locale",
            "not a locale",
        ],
        vec!["key", "list"],
        vec!["frobnicate"],
    ];
    for args in cases {
        let out = env.run(&args);
        assert_eq!(
            out.status.code(),
            Some(2),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(out.stdout.is_empty(), "{args:?} printed to stdout");
        assert!(
            String::from_utf8_lossy(&out.stderr).contains("error"),
            "{args:?}"
        );
    }
}

#[test]
fn serve_refuses_to_start_under_another_secret() {
    let env = CliEnv::sqlite();
    let org = env.ok(&["org", "create", "--name", "Acme"]);
    let project = env.ok(&["project", "create", "--org", &org, "--name", "Website"]);
    env.ok(&[
        "key",
        "create",
        "--project",
        &project,
        "--env",
        "production",
        "--name",
        "k",
    ]);
    let mut child = Command::new(BIN)
        .args(["--data-dir"])
        .arg(env.dir.path())
        .args(["--listen", "127.0.0.1:0", "serve"])
        .env("GTX_SERVER_SECRET", "17".repeat(32))
        .env_remove("DATABASE_URL")
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .expect("run");
    // A server that wrongly starts would run forever: give it a bounded time to refuse.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    let status = loop {
        if let Some(status) = child.try_wait().expect("wait") {
            break status;
        }
        if std::time::Instant::now() > deadline {
            let _ = child.kill();
            panic!("the server started under the wrong secret");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    };
    let out = child.wait_with_output().expect("output");
    assert_eq!(status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("different server secret"));
}
