//! The harness: an app on a fresh SQLite file or PostgreSQL schema, requests through the
//! real router, sign-in through the real server function, and the logs of the whole run.

use axum::Router;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{HeaderMap, Request, StatusCode, header};
use gtx_core::clock::ManualClock;
use gtx_core::db::Db;
use gtx_core::db::models::{Membership, User};
use gtx_core::db::repo::{new_id, orgs, users};
use gtx_core::domain::{OrgId, ProjectId, Role, UserId};
use gtx_core::keys::{ServerSecret, random_token};
use gtx_core::services::{Actor, SESSION_COOKIE, Services, SessionUser};
use gtx_core::testing::{FreshDb, Harness};
use gtx_keys::client_addr::TrustedProxies;
use gtx_keys::{AppState, HttpSettings, router};
use http_body_util::BodyExt;
use std::io::Write;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, Once};
use tower::ServiceExt;

/// The server secret of instances that share a database with another instance or the
/// CLI.
pub const TEST_SECRET_HEX: &str =
    "4242424242424242424242424242424242424242424242424242424242424242";

/// Longest any one request or the pool's close may take before the test reports a hang
/// (a generous bound: it catches a step that never ends, not a slow machine).
pub const STEP_LIMIT: std::time::Duration = std::time::Duration::from_secs(120);

/// A password that passes validation.
pub const PASSWORD: &str = "correct horse battery staple";

/// Runs each `async fn(&TestApp)` once on SQLite and once on PostgreSQL, as the tests
/// `<name>::sqlite` and `<name>::postgres` (the workspace's one backend macro,
/// `gtx_core::on_both_backends!`, over [`TestApp`]).
macro_rules! on_both_backends {
    ($($name:ident),* $(,)?) => {
        gtx_core::on_both_backends!(crate::common::TestApp: $($name),*);
    };
}

// ---- logs ------------------------------------------------------------------------------

/// Everything logged by any test of this binary, at every level.
static LOGS: Mutex<Vec<u8>> = Mutex::new(Vec::new());
static LOGGING: Once = Once::new();

struct LogBuffer;

impl Write for LogBuffer {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        LOGS.lock()
            .unwrap_or_else(|e| e.into_inner())
            .extend_from_slice(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Installs (once per binary) a subscriber that records every event, with its span
/// fields, into a buffer that [`captured_logs`] returns.
pub fn capture_logs() {
    LOGGING.call_once(|| {
        let _ = tracing_subscriber::fmt()
            .with_env_filter(tracing_subscriber::EnvFilter::new("trace"))
            .with_ansi(false)
            .with_writer(|| LogBuffer)
            .try_init();
    });
}

/// The logs captured so far.
pub fn captured_logs() -> Vec<u8> {
    LOGS.lock().unwrap_or_else(|e| e.into_inner()).clone()
}

/// Whether `needle` occurs in `haystack`.
pub fn contains_bytes(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}

// ---- the app ---------------------------------------------------------------------------

/// The router over fresh services, with a clock the test moves.
pub struct TestApp {
    /// The services behind the router (for fixtures and checks).
    pub services: Services,
    /// The services' clock.
    pub clock: ManualClock,
    /// The SQLite file (with its `-wal`/`-shm` siblings), when on SQLite.
    pub sqlite_file: Option<PathBuf>,
    /// The one-time first-run setup token, when one is configured.
    pub setup_token: Option<String>,
    router: Router,
    _key_sync: gtx_core::services::KeySync,
    /// The database's owner (`None` on the second instance of a pair).
    fresh: Option<FreshDb>,
    /// The site root (and the data directory when `fresh` is `None`).
    dir: tempfile::TempDir,
}

impl TestApp {
    /// On a fresh SQLite file, with a random first-run setup token.
    pub async fn sqlite() -> Self {
        Self::sqlite_with(Some(random_token(24))).await
    }

    /// On a fresh SQLite file, with first-run setup guarded by `setup_token` (or
    /// impossible without one).
    pub async fn sqlite_with(setup_token: Option<String>) -> Self {
        Self::build(
            FreshDb::sqlite().await,
            setup_token,
            ServerSecret::generate(),
        )
        .await
    }

    /// On a fresh SQLite data directory that the `gtx-keys` binary can open too (the
    /// database file where the CLI looks for it), digesting under [`TEST_SECRET_HEX`]
    /// (pass it to the CLI as `GTX_SERVER_SECRET`).
    pub async fn sqlite_shared_with_cli() -> Self {
        let secret = ServerSecret::from_hex(TEST_SECRET_HEX).expect("secret");
        Self::build(FreshDb::sqlite().await, None, secret).await
    }

    /// The data directory (SQLite file, when on SQLite).
    pub fn data_dir(&self) -> &std::path::Path {
        self.fresh.as_ref().map_or(self.dir.path(), FreshDb::dir)
    }

    /// Two instances on one fresh SQLite file (as two server processes on one data
    /// directory): separate pools, caches and clocks; one secret.
    pub async fn sqlite_pair() -> (Self, Self) {
        let fresh = FreshDb::sqlite().await;
        let second_db = fresh.connect_again().await;
        let secret = || ServerSecret::from_hex(TEST_SECRET_HEX).expect("secret");
        let first = Self::build(fresh, Some(random_token(24)), secret()).await;
        let second = Self::build_on(second_db, None, None, secret()).await;
        (first, second)
    }

    /// Two instances on one fresh PostgreSQL schema (as two servers behind a load
    /// balancer): separate pools, caches and listeners; one secret. `None` as for
    /// [`TestApp::postgres`].
    pub async fn postgres_pair(test: &str) -> Option<(Self, Self)> {
        let fresh = FreshDb::postgres(test).await?;
        let second_db = fresh.connect_again().await;
        let secret = || ServerSecret::from_hex(TEST_SECRET_HEX).expect("secret");
        let first = Self::build(fresh, Some(random_token(24)), secret()).await;
        let second = Self::build_on(second_db, None, None, secret()).await;
        Some((first, second))
    }

    /// On a fresh PostgreSQL schema named after the test, or `None` (with a note) when
    /// `GTX_TEST_DATABASE_URL` is not set outside CI. In CI a missing server fails.
    pub async fn postgres(test: &str) -> Option<Self> {
        let fresh = FreshDb::postgres(test).await?;
        Some(Self::build(fresh, Some(random_token(24)), ServerSecret::generate()).await)
    }

    async fn build(fresh: FreshDb, setup_token: Option<String>, secret: ServerSecret) -> Self {
        let db = fresh.db.clone();
        Self::build_on(db, Some(fresh), setup_token, secret).await
    }

    /// An app over `db`; `fresh` is the database's owner (`None` for a second instance
    /// on another's database: that one's owner drops the schema).
    async fn build_on(
        db: Db,
        fresh: Option<FreshDb>,
        setup_token: Option<String>,
        secret: ServerSecret,
    ) -> Self {
        capture_logs();
        let clock = ManualClock::new(1_800_000_000_000);
        let mut services = Services::new(db, Arc::new(secret), Arc::new(clock.clone()));
        if let Some(token) = &setup_token {
            services = services.with_setup_token(secrecy::SecretString::from(token.clone()));
        }
        services.check_server_secret().await.expect("secret check");
        let dir = tempfile::tempdir().expect("tempdir");
        let router = router(app_state(&services, dir.path()));
        let mut key_sync = services.start_key_sync();
        // The sync flushes the key cache when it starts following changes: wait for it,
        // so nothing a test caches is dropped behind its back.
        tokio::time::timeout(std::time::Duration::from_secs(10), key_sync.ready())
            .await
            .expect("key sync ready");
        Self {
            services,
            clock,
            sqlite_file: fresh.as_ref().and_then(FreshDb::sqlite_file),
            setup_token,
            router,
            _key_sync: key_sync,
            fresh,
            dir,
        }
    }

    /// The router (for serving it over a real socket).
    pub fn router(&self) -> Router {
        self.router.clone()
    }

    /// The state a router over this app's services is built from.
    pub fn state(&self) -> AppState {
        app_state(&self.services, self.dir.path())
    }

    /// Whether this app runs on PostgreSQL.
    pub fn is_postgres(&self) -> bool {
        self.services.db().backend() == gtx_core::db::Backend::Postgres
    }

    /// Closes the pool and drops the PostgreSQL schema.
    pub async fn close(self) {
        // Bounded (see `Db::close`): a test that leaves a request unfinished still ends.
        self.services.db().close().await;
        drop(self);
    }

    /// Sends a request through the router, from 127.0.0.1 as a real connection would.
    pub async fn send(&self, request: Request<Body>) -> Reply {
        self.send_from(SocketAddr::from(([127, 0, 0, 1], 50_000)), request)
            .await
    }

    /// Sends a request through the router as if its TCP peer were `peer`. 127.0.0.1 is
    /// the one trusted proxy of the tests' router (see [`test_http_settings`]).
    pub async fn send_from(&self, peer: SocketAddr, request: Request<Body>) -> Reply {
        send_through(&self.router, peer, request).await
    }
}

/// Sends a request through `router` as if its TCP peer were `peer` (for tests that build
/// a router with settings of their own from [`TestApp::state`]).
pub async fn send_through(router: &Router, peer: SocketAddr, mut request: Request<Body>) -> Reply {
    {
        request.extensions_mut().insert(ConnectInfo(peer));
        let what = format!("{} {}", request.method(), request.uri());
        let response = tokio::time::timeout(STEP_LIMIT, router.clone().oneshot(request))
            .await
            .unwrap_or_else(|_| panic!("{what} got no answer within {STEP_LIMIT:?}"))
            .expect("response");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = tokio::time::timeout(STEP_LIMIT, response.into_body().collect())
            .await
            .unwrap_or_else(|_| panic!("{what}: the body did not end within {STEP_LIMIT:?}"))
            .expect("body")
            .to_bytes();
        Reply {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }
}

impl TestApp {
    /// A page, as a browser asks for it.
    pub async fn page(&self, path: &str, session: Option<&str>) -> Reply {
        let mut request = Request::get(path).header(header::ACCEPT, "text/html");
        if let Some(token) = session {
            request = request.header(header::COOKIE, cookie(token));
        }
        self.send(request.body(Body::empty()).expect("request"))
            .await
    }

    /// A server function, called as the hydrated page calls it: a same-origin form post
    /// that asks for JSON.
    pub async fn call(&self, name: &str, session: Option<&str>, fields: &[(&str, &str)]) -> Reply {
        self.send(
            sf_request(name, session)
                .header("sec-fetch-site", "same-origin")
                .body(Body::from(form(fields)))
                .expect("request"),
        )
        .await
    }

    /// Calls the `sign_in` server function without a session, whatever it answers.
    pub async fn try_sign_in(&self, email: &str, password: &str) -> Reply {
        self.call("sign_in", None, &[("email", email), ("password", password)])
            .await
    }

    /// Signs in through the `sign_in` server function and returns the session token.
    pub async fn sign_in(&self, email: &str, password: &str) -> String {
        let reply = self.try_sign_in(email, password).await;
        assert_eq!(
            reply.status,
            StatusCode::OK,
            "sign in {email}: {}",
            reply.body
        );
        reply
            .session_token()
            .unwrap_or_else(|| panic!("sign in {email} set no session cookie"))
    }

    /// Calls the `invite_member` server function as `session`, inviting `email` to `org`
    /// with `role`, whatever it answers.
    pub async fn invite_member(&self, session: &str, org: &str, email: &str, role: &str) -> Reply {
        self.call(
            "invite_member",
            Some(session),
            &[("org_id", org), ("email", email), ("role", role)],
        )
        .await
    }

    /// The user behind a session token, as the middleware resolves it.
    pub async fn session_user(&self, token: &str) -> Option<SessionUser> {
        self.services
            .session_user(token)
            .await
            .expect("session lookup")
    }

    /// Creates a user with a password through the operator's service call.
    pub async fn create_user(&self, org: &OrgId, email: &str, role: Role) -> UserId {
        self.services
            .create_user(
                &Actor::operator(),
                org,
                email,
                None,
                role,
                &secrecy::SecretString::from(PASSWORD.to_owned()),
            )
            .await
            .expect("create user")
            .id
    }

    /// Creates a project of `org` (default locale) through the operator's service call.
    pub async fn create_project(&self, org: &OrgId, name: &str) -> ProjectId {
        self.services
            .create_project(&Actor::operator(), org, name, None)
            .await
            .expect("project")
            .id
    }

    /// A member without a password, written straight to the store: cheap (no argon2),
    /// for tests that act on a member rather than as one.
    pub async fn insert_member(&self, org: &OrgId, email: &str, role: Role) -> UserId {
        let pool = self.services.db().pool();
        let now = self.services.now();
        let user = User {
            id: UserId(new_id()),
            email: email.to_owned(),
            name: email.split('@').next().unwrap_or_default().to_owned(),
            password_hash: None,
            created_at: now,
        };
        users::insert(pool, &user).await.expect("insert user");
        orgs::insert_membership(
            pool,
            &Membership {
                org_id: org.clone(),
                user_id: user.id.clone(),
                role,
                created_at: now,
            },
        )
        .await
        .expect("insert membership");
        user.id
    }
}

pub use gtx_core::testing::postgres_url;

impl Harness for TestApp {
    async fn sqlite() -> Self {
        Self::sqlite().await
    }

    async fn postgres(test: &str) -> Option<Self> {
        Self::postgres(test).await
    }

    async fn close(self) {
        self.close().await;
    }
}

/// The state of a router over `services`, serving its site from `site_root`.
fn app_state(services: &Services, site_root: &std::path::Path) -> AppState {
    let leptos_options = leptos::config::LeptosOptions::builder()
        .output_name("gtx-keys")
        .site_root(site_root.to_string_lossy().to_string())
        .build();
    AppState {
        leptos_options,
        services: services.clone(),
        http: Arc::new(test_http_settings()),
    }
}

/// The HTTP settings of the tests' router: 127.0.0.1 is a trusted proxy (a request from
/// it without `X-Forwarded-For` is a client at 127.0.0.1, as before), no public URL.
pub fn test_http_settings() -> HttpSettings {
    HttpSettings {
        trusted_proxies: Arc::new(TrustedProxies::new(vec![
            "127.0.0.1/32".parse().expect("cidr"),
        ])),
        public_url: None,
        github_scanning: Default::default(),
    }
}

// ---- requests and replies --------------------------------------------------------------

/// A server function request without its origin headers and body, for tests that set
/// those themselves.
pub fn sf_request(name: &str, session: Option<&str>) -> axum::http::request::Builder {
    let mut request = Request::post(format!("/_sf/{name}"))
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::ACCEPT, "application/json");
    if let Some(token) = session {
        request = request.header(header::COOKIE, cookie(token));
    }
    request
}

/// The `Cookie` header of a session.
pub fn cookie(token: &str) -> String {
    format!("{SESSION_COOKIE}={token}")
}

/// The fields of a `create_api_key` call for a project key of `key_type`, with its
/// `expires` choice when there is one.
pub fn project_key_fields<'a>(
    org: &'a OrgId,
    project: &'a ProjectId,
    name: &'a str,
    key_type: &'a str,
    expires: Option<&'a str>,
) -> Vec<(&'a str, &'a str)> {
    let mut fields = vec![
        ("org_id", org.as_str()),
        ("project_id", project.as_str()),
        ("name", name),
        ("key_type", key_type),
    ];
    fields.extend(expires.map(|expires| ("expires", expires)));
    fields
}

/// `application/x-www-form-urlencoded` encoding of `fields`.
pub fn form(fields: &[(&str, &str)]) -> String {
    fn encode(s: &str) -> String {
        s.bytes()
            .map(|b| {
                if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
                    char::from(b).to_string()
                } else {
                    format!("%{b:02X}")
                }
            })
            .collect()
    }
    fields
        .iter()
        .map(|(k, v)| format!("{}={}", encode(k), encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// A response, read.
#[derive(Debug)]
pub struct Reply {
    /// Status.
    pub status: StatusCode,
    /// Headers.
    pub headers: HeaderMap,
    /// Body text.
    pub body: String,
}

impl Reply {
    /// Asserts the status, showing the body when it is another.
    #[track_caller]
    pub fn assert_status(&self, status: StatusCode) {
        assert_eq!(self.status, status, "{}", self.body);
    }

    /// Asserts a field error: status 422, its `Invalid` error's `part` (`field` or
    /// `problem`) being `expected`.
    #[track_caller]
    pub fn assert_invalid(&self, part: &str, expected: &str) {
        self.assert_status(StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(self.json()["Invalid"][part], expected, "{}", self.body);
    }

    /// The token at the end of the invite link (`path`) the reply carries.
    pub fn invite_token(&self) -> String {
        self.json()["path"]
            .as_str()
            .expect("path")
            .rsplit('/')
            .next()
            .expect("token")
            .to_owned()
    }

    /// The body as JSON.
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {} {}", self.status, self.body))
    }

    /// A header as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The `Set-Cookie` line of the session cookie, if any.
    pub fn session_set_cookie(&self) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .find(|v| v.starts_with(&format!("{SESSION_COOKIE}=")))
            .map(str::to_owned)
    }

    /// The value a `Set-Cookie` line of the response gives the cookie `name`, if any.
    pub fn set_cookie_value(&self, name: &str) -> Option<String> {
        self.headers
            .get_all(header::SET_COOKIE)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .filter_map(|v| v.split(';').next()?.split_once('='))
            .find(|(n, _)| *n == name)
            .map(|(_, value)| value.trim().to_owned())
    }

    /// The session token the response sets, if it sets a non-empty one.
    pub fn session_token(&self) -> Option<String> {
        let line = self.session_set_cookie()?;
        let value = line.split(';').next()?.split_once('=')?.1.trim().to_owned();
        (!value.is_empty()).then_some(value)
    }

    /// Whether this is the browser being sent to the sign-in page.
    pub fn is_redirect_to_login(&self) -> bool {
        self.status.is_redirection() && self.header("location") == Some("/login")
    }
}
