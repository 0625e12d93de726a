//! The operator CLI, through the real binary.

use gtx_core::clock::SystemClock;
use gtx_core::domain::OrgId;
use gtx_core::domain::key_list::PageRequest;
use gtx_core::error::{CoreError, CoreResult};
use gtx_core::keys::ServerSecret;
use gtx_core::services::{Actor, Services, SignedIn};
use gtx_core::testing::{FreshDb, Harness};
use secrecy::SecretString;
use std::process::{Command, Output};
use std::sync::Arc;

const BIN: &str = env!("CARGO_BIN_EXE_gtx-keys");

/// Where a CLI test keeps its data: a SQLite data directory, or a PostgreSQL schema
/// (dropped with it).
struct CliEnv {
    fresh: FreshDb,
}

impl Harness for CliEnv {
    async fn sqlite() -> Self {
        let fresh = FreshDb::sqlite().await;
        // The commands open the file themselves.
        fresh.close().await;
        Self { fresh }
    }

    async fn postgres(test: &str) -> Option<Self> {
        let fresh = FreshDb::postgres(test).await?;
        fresh.close().await;
        Some(Self { fresh })
    }

    async fn close(self) {}
}

impl CliEnv {
    /// The data directory the commands get as `--data-dir`.
    fn dir(&self) -> &std::path::Path {
        self.fresh.dir()
    }

    fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(BIN);
        cmd.arg("--data-dir").arg(self.dir()).args(args);
        cmd.env_remove("DATABASE_URL")
            .env_remove("GTX_SERVER_SECRET")
            .env("RUST_LOG", "warn");
        if let Some(url) = self.fresh.postgres_url_for_process() {
            cmd.env("DATABASE_URL", url)
                .env("GTX_SERVER_SECRET", "42".repeat(32));
        }
        cmd
    }

    fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("run gtx-keys")
    }

    /// Runs with `stdin` piped in (passwords).
    fn run_with_stdin(&self, args: &[&str], stdin: &str) -> Output {
        use std::io::Write;
        let mut child = self
            .command(args)
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("run gtx-keys");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(stdin.as_bytes())
            .expect("write stdin");
        child.wait_with_output().expect("wait")
    }

    /// Services over the same database as the commands (with a secret of their own:
    /// sessions made here are only checked here).
    async fn services(&self) -> Services {
        let db = self.fresh.connect_again().await;
        Services::new(
            db,
            Arc::new(ServerSecret::generate()),
            Arc::new(SystemClock),
        )
    }

    /// Creates an organisation named `org` with a project named `project`; returns their
    /// ids.
    fn org_and_project(&self, org: &str, project: &str) -> (String, String) {
        let org = self.ok(&["org", "create", "--name", org]);
        let project = self.ok(&["project", "create", "--org", &org, "--name", project]);
        (org, project)
    }

    /// Creates a key of `project` for `environment` named `name`, with `extra` arguments;
    /// returns the key.
    fn create_project_key(
        &self,
        project: &str,
        environment: &str,
        name: &str,
        extra: &[&str],
    ) -> String {
        let mut args = key_create_args(
            "--project",
            project,
            &["--env", environment, "--name", name],
        );
        args.extend_from_slice(extra);
        self.ok(&args)
    }

    /// Runs `user create` in `org` for `email` with `role`, the password on `stdin`.
    fn create_user(&self, org: &str, email: &str, role: &str, stdin: &str) -> Output {
        let args = [
            "user", "create", "--org", org, "--email", email, "--role", role,
        ];
        self.run_with_stdin(&args, stdin)
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

/// The arguments of `key create` for the project or organisation (`scope`) `id`, then
/// `rest`.
fn key_create_args<'a>(scope: &'a str, id: &'a str, rest: &[&'a str]) -> Vec<&'a str> {
    [&["key", "create", scope, id][..], rest].concat()
}

fn cli_flow(env: &CliEnv) {
    let org = env.ok(&["org", "create", "--name", "Acme"]);
    assert_eq!(org.lines().count(), 1, "only the id on stdout: {org}");
    let project = env.ok(&["project", "create", "--org", &org, "--name", "Website"]);
    let key = env.create_project_key(
        &project,
        "production",
        "CI deploy",
        &["--expires-in", "90d"],
    );
    assert_eq!(key.lines().count(), 1, "only the key on stdout");
    let parsed = gtx_core::domain::ParsedKey::parse(&key).expect("the printed key parses");
    assert_eq!(parsed.key_type(), gtx_core::domain::KeyType::Production);

    let org_key = env.ok(&key_create_args(
        "--org",
        &org,
        &["--name", "Org CI", "--permission", "files:write"],
    ));
    assert!(org_key.starts_with("gtx-org-"));
    // General Translation's scope names work as --permission too.
    let gt_named = env.ok(&key_create_args(
        "--org",
        &org,
        &[
            "--name",
            "GT names",
            "--permission",
            "project:context:write",
            "--permission",
            "project:api_keys:read",
        ],
    ));
    assert!(gt_named.starts_with("gtx-org-"));

    let list = env.ok(&["key", "list", "--project", &project]);
    assert!(list.contains(&parsed.hint()), "masked form listed: {list}");
    assert!(!list.contains(&key), "the key itself is never listed");
    assert!(list.contains("active"));

    let json: serde_json::Value =
        serde_json::from_str(&env.ok(&["key", "list", "--org", &org, "--json"])).expect("json");
    let by_name = |name: &str| {
        json.as_array()
            .and_then(|keys| keys.iter().find(|k| k["name"] == name))
            .cloned()
            .unwrap_or_else(|| panic!("{name} listed: {json}"))
    };
    assert_eq!(
        by_name("Org CI")["permissions"],
        serde_json::json!(["files:read", "files:write"])
    );
    let gt = by_name("GT names");
    assert_eq!(
        gt["permissions"],
        serde_json::json!(["context:read", "context:write", "api_keys:read"])
    );
    assert_eq!(
        gt["scopes"],
        serde_json::json!([
            "project:context:read",
            "project:context:write",
            "project:api_keys:read"
        ])
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

    // A leaked key on stdin: revoked, and the outcome told (the operator may know it).
    let leaked = env.create_project_key(&project, "production", "leaked", &[]);
    let url = "https://github.com/example/app/blob/main/.env";
    let stderr = |o: &Output| String::from_utf8_lossy(&o.stderr).into_owned();
    let reported = env.run_with_stdin(
        &["key", "report-leak", "--url", url],
        &format!("{leaked}\n"),
    );
    assert!(reported.status.success(), "{}", stderr(&reported));
    assert!(
        stderr(&reported).contains("Revoked"),
        "{}",
        stderr(&reported)
    );
    assert!(!stderr(&reported).contains(&leaked));
    let listed: serde_json::Value =
        serde_json::from_str(&env.ok(&["key", "list", "--project", &project, "--json"]))
            .expect("json");
    let row = listed
        .as_array()
        .and_then(|keys| keys.iter().find(|k| k["name"] == "leaked"))
        .cloned()
        .expect("listed");
    assert_eq!(row["status"], "revoked");
    let twice = env.run_with_stdin(&["key", "report-leak", "--url", url], &leaked);
    assert!(
        stderr(&twice).contains("Already revoked"),
        "{}",
        stderr(&twice)
    );
    let unknown = env.run_with_stdin(&["key", "report-leak", "--url", url], "gtx-api-nope");
    assert!(
        stderr(&unknown).contains("Not a GT key"),
        "{}",
        stderr(&unknown)
    );
    // A bad URL or no key is a usage error (2).
    let bad_url = env.run_with_stdin(&["key", "report-leak", "--url", "ftp://x"], &leaked);
    assert_eq!(bad_url.status.code(), Some(2), "{}", stderr(&bad_url));
    let no_key = env.run_with_stdin(&["key", "report-leak", "--url", url], "");
    assert_eq!(no_key.status.code(), Some(2), "{}", stderr(&no_key));
}

async fn cli_creates_lists_and_revokes_keys(env: &CliEnv) {
    cli_flow(env);
    if env.fresh.sqlite_file().is_none() {
        return;
    }
    // The digest is stored, never the key: scan the database file.
    let (_, project) = env.org_and_project("Scan", "P");
    let key = env.create_project_key(&project, "development", "k", &[]);
    let mut bytes = Vec::new();
    for entry in std::fs::read_dir(env.dir()).expect("read dir") {
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

gtx_core::on_both_backends!(crate::cli::CliEnv: cli_creates_lists_and_revokes_keys);

#[tokio::test]
async fn cli_bad_arguments_exit_2_with_a_message() {
    let env = CliEnv::sqlite().await;
    let (org, project) = env.org_and_project("Acme", "Website");
    let for_project = |rest: &[&'static str]| key_create_args("--project", &project, rest);
    let for_org = |rest: &[&'static str]| key_create_args("--org", &org, rest);
    let cases: Vec<Vec<&str>> = vec![
        for_project(&["--name", "no env"]),
        for_org(&["--name", "no permission"]),
        for_org(&["--name", "x", "--permission", "files:admin"]),
        for_project(&["--env", "staging", "--name", "x"]),
        for_project(&["--env", "production", "--name", "x", "--expires-in", "soon"]),
        for_project(&["--env", "production", "--name", "   "]),
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

#[tokio::test]
async fn serve_refuses_to_start_under_another_secret() {
    let env = CliEnv::sqlite().await;
    let (_, project) = env.org_and_project("Acme", "Website");
    env.create_project_key(&project, "production", "k", &[]);
    let mut child = Command::new(BIN)
        .args(["--data-dir"])
        .arg(env.dir())
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

/// Asserts that a command succeeded, showing its stderr when it did not.
#[track_caller]
fn assert_success(out: &Output) {
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Signs in the CLI's user Ada through `services` with `password`.
async fn sign_in_ada(services: &Services, password: &str) -> CoreResult<SignedIn> {
    services
        .sign_in(
            &Actor::anonymous(None, None),
            "ada@acme.example",
            &SecretString::from(password.to_owned()),
            None,
        )
        .await
}

async fn cli_user_commands_create_reset_and_add_to_project(env: &CliEnv) {
    let (org, project) = env.org_and_project("Acme", "Website");
    let out = env.create_user(&org, "Ada@Acme.example", "member", "first password 123\n");
    assert_success(&out);
    let stdout = String::from_utf8(out.stdout).expect("utf8");
    assert_eq!(
        stdout.lines().count(),
        1,
        "only the user id on stdout: {stdout}"
    );
    assert!(!String::from_utf8_lossy(&out.stderr).contains("first password"));

    // No password on stdin: a usage error, and no user.
    let out = env.create_user(&org, "bob@acme.example", "admin", "");
    assert_eq!(out.status.code(), Some(2));
    env.ok(&[
        "project",
        "add-member",
        "--project",
        &project,
        "--email",
        "ada@acme.example",
    ]);

    let services = env.services().await;
    let first = sign_in_ada(&services, "first password 123")
        .await
        .expect("the CLI's user signs in");
    let actor = Actor::user(&first.user, None, None);
    let projects = services
        .list_projects(&actor, &OrgId(org.clone()))
        .await
        .expect("projects");
    assert_eq!(projects.len(), 1);
    assert_eq!(projects[0].id.as_str(), project, "added to the project");
    assert!(
        services
            .list_members(&actor, &OrgId(org.clone()), None, PageRequest::ALL)
            .await
            .is_err(),
        "created as a member, not an admin"
    );

    let out = env.run_with_stdin(
        &["user", "reset-password", "--email", "ada@acme.example"],
        "second password 456\n",
    );
    assert_success(&out);
    use secrecy::ExposeSecret;
    assert!(
        services
            .session_user(first.token.expose_secret())
            .await
            .expect("lookup")
            .is_none(),
        "a password reset ends the user's sessions"
    );
    let old = sign_in_ada(&services, "first password 123").await;
    assert!(matches!(old, Err(CoreError::BadCredentials)), "{old:?}");
    sign_in_ada(&services, "second password 456")
        .await
        .expect("the new password works");
    services.db().close().await;
}

gtx_core::on_both_backends!(crate::cli::CliEnv: cli_user_commands_create_reset_and_add_to_project);

/// `key usage`: the counts of the chosen range per bucket and outcome, as JSON with every
/// code, or as a table; `key disable` and `key enable` show in `key list`.
async fn cli_key_usage_prints_the_counts_and_disable_shows_in_the_list(env: &CliEnv) {
    use gtx_core::db::repo::usage::{self, Buckets, UsageRow};
    use gtx_core::domain::KeyId;
    use gtx_core::domain::usage::Outcome;
    let (_, project) = env.org_and_project("Acme", "Website");
    env.create_project_key(
        &project,
        "development",
        "CI",
        &["--description", "Preview builds"],
    );
    let listed: serde_json::Value =
        serde_json::from_str(&env.ok(&["key", "list", "--project", &project, "--json"]))
            .expect("json");
    let id = listed[0]["id"].as_str().expect("id").to_owned();
    assert_eq!(listed[0]["description"], "Preview builds");
    // Counts as a running server's flush leaves them: this hour, and 3 days ago.
    let services = env.services().await;
    let now = services.now();
    let hour = now - now.rem_euclid(3_600_000);
    let row = |at: i64, outcome: Outcome, requests: u64| UsageRow {
        key_id: KeyId(id.clone()),
        bucket_start: at,
        outcome,
        requests,
        permissions: gtx_core::domain::PermissionSet::empty(),
    };
    let rows = [
        row(hour - 3 * 86_400_000, Outcome::Valid, 5),
        row(hour, Outcome::Valid, 7),
        row(hour, Outcome::Disabled, 2),
    ];
    let mut conn = services.db().pool().acquire().await.expect("conn");
    usage::add(&mut conn, Buckets::Hours, &rows)
        .await
        .expect("add");
    drop(conn);
    services.db().close().await;

    let week: serde_json::Value =
        serde_json::from_str(&env.ok(&["key", "usage", &id, "--json"])).expect("json");
    assert_eq!(week["key_id"], id.as_str());
    assert_eq!(week["since"], "7d");
    assert_eq!(week["bucket_seconds"], 86_400);
    assert_eq!(week["totals"]["VALID"], 12);
    assert_eq!(week["totals"]["DISABLED"], 2);
    assert_eq!(week["totals"]["WRONG_PROJECT"], 0, "every code is present");
    let buckets = week["buckets"].as_array().expect("buckets");
    assert_eq!(buckets.len(), 7);
    assert_eq!(buckets[6]["counts"]["VALID"], 7);
    assert_eq!(buckets[3]["counts"]["VALID"], 5);
    assert!(buckets[6]["start"].as_i64().expect("start") <= now);
    let day: serde_json::Value =
        serde_json::from_str(&env.ok(&["key", "usage", &id, "--since", "24h", "--json"]))
            .expect("json");
    assert_eq!(day["bucket_seconds"], 3_600);
    assert_eq!(day["buckets"].as_array().map(Vec::len), Some(24));
    assert_eq!(day["totals"]["VALID"], 7);
    let table = env.ok(&["key", "usage", &id, "--since", "30d"]);
    assert!(
        table
            .lines()
            .last()
            .is_some_and(|l| l.starts_with("total") && l.contains("14")),
        "{table}"
    );
    let bad = env.run(&["key", "usage", &id, "--since", "1y"]);
    assert_eq!(bad.status.code(), Some(2));
    let missing = env.run(&["key", "usage", "no-such-key"]);
    assert_eq!(missing.status.code(), Some(1));

    env.ok(&["key", "disable", &id]);
    let listed: serde_json::Value =
        serde_json::from_str(&env.ok(&["key", "list", "--project", &project, "--json"]))
            .expect("json");
    assert_eq!(listed[0]["status"], "disabled");
    let again = env.run(&["key", "disable", &id]);
    assert_eq!(again.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&again.stderr).contains("already disabled"));
    env.ok(&["key", "enable", &id]);
    let listed: serde_json::Value =
        serde_json::from_str(&env.ok(&["key", "list", "--project", &project, "--json"]))
            .expect("json");
    assert_eq!(listed[0]["status"], "active");
}

gtx_core::on_both_backends!(crate::cli::CliEnv: cli_key_usage_prints_the_counts_and_disable_shows_in_the_list);
