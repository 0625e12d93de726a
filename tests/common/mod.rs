//! Fixtures of the storage tests, over the workspace's one harness
//! (`gtx_core::testing`): each test body is an `async fn(&TestDb)`, and
//! [`on_both_backends!`] turns it into `<name>::sqlite` and `<name>::postgres`. Every run
//! gets its own database (a temp file, or a uniquely named schema), so tests run in
//! parallel.

use gtx_core::clock::ManualClock;
use gtx_core::db::models::{ApiKeyRecord, AuditEvent, NewApiKey, Organisation, Project, User};
use gtx_core::db::repo::{self, new_id};
use gtx_core::db::{Backend, Db, DbError};
use gtx_core::domain::{KeyId, KeyType, OrgId, PermissionSet, ProjectId, UserId};
use gtx_core::error::CoreError;
use gtx_core::keys::{HASH_VERSION, ServerSecret, random_bytes};
use gtx_core::services::{Actor, Services};
use gtx_core::testing::{FreshDb, Harness};
use sqlx::Row;
use sqlx::error::ErrorKind;
use std::path::PathBuf;
use std::sync::Arc;

/// Runs each `async fn(&TestDb)` on both backends (`gtx_core::on_both_backends!`).
macro_rules! on_both_backends {
    ($($name:ident),+ $(,)?) => {
        gtx_core::on_both_backends!(crate::common::TestDb: $($name),+);
    };
}

/// A fixed "now" for tests: 2027-01-15, unix milliseconds.
pub const T0: i64 = 1_800_000_000_000;

/// A minute, in milliseconds.
pub const MINUTE: i64 = 60_000;

/// What a test body gets: a migrated, empty database of one backend.
#[derive(Debug)]
pub struct TestDb {
    /// The database under test.
    pub db: Db,
    /// SQLite only: the directory holding the database file (and its WAL).
    pub sqlite_dir: Option<PathBuf>,
    fresh: FreshDb,
}

impl TestDb {
    fn new(fresh: FreshDb) -> Self {
        Self {
            db: fresh.db.clone(),
            sqlite_dir: fresh.sqlite_file().map(|_| fresh.dir().to_owned()),
            fresh,
        }
    }

    /// The backend.
    pub fn backend(&self) -> Backend {
        self.db.backend()
    }

    /// The pool, for single statements.
    pub fn pool(&self) -> &sqlx::AnyPool {
        self.db.pool()
    }

    /// Services over this database with `secret`, on a manual clock at [`T0`].
    pub fn services(&self, secret: ServerSecret) -> (Services, ManualClock) {
        let clock = ManualClock::new(T0);
        (
            Services::new(self.db.clone(), Arc::new(secret), Arc::new(clock.clone())),
            clock,
        )
    }
}

impl Harness for TestDb {
    async fn sqlite() -> Self {
        Self::new(FreshDb::sqlite().await)
    }

    async fn postgres(test: &str) -> Option<Self> {
        Some(Self::new(FreshDb::postgres(test).await?))
    }

    async fn close(self) {
        self.fresh.close().await;
    }
}

// ---- errors ----

/// The constraint kind of a database error, if it is one.
pub fn db_error_kind(e: &DbError) -> Option<ErrorKind> {
    match e {
        DbError::Sqlx(sqlx::Error::Database(db)) => Some(db.kind()),
        _ => None,
    }
}

/// The database's message, for errors raised by triggers.
pub fn db_error_message(e: &DbError) -> String {
    match e {
        DbError::Sqlx(sqlx::Error::Database(db)) => db.message().to_owned(),
        other => other.to_string(),
    }
}

/// Asserts a repository call failed with a constraint violation of `kind`.
#[track_caller]
pub fn assert_violation<T: std::fmt::Debug>(result: Result<T, DbError>, kind: ErrorKind) {
    match result {
        Err(e) => assert_eq!(db_error_kind(&e), Some(kind), "unexpected error: {e:?}"),
        Ok(v) => panic!("expected a {kind:?}, got Ok({v:?})"),
    }
}

/// Asserts a service call failed as invalid input on `field`.
#[track_caller]
pub fn assert_invalid<T: std::fmt::Debug>(result: Result<T, CoreError>, field: &str) {
    match result {
        Err(CoreError::Invalid(e)) => assert_eq!(e.field, field, "wrong field in {e:?}"),
        other => panic!("expected Invalid on {field}, got {other:?}"),
    }
}

// ---- fixtures ----

/// Inserts an organisation.
pub async fn insert_org(t: &TestDb, name: &str, created_at: i64) -> Organisation {
    let org = Organisation {
        id: OrgId(new_id()),
        name: name.to_owned(),
        created_at,
    };
    repo::orgs::insert(t.pool(), &org)
        .await
        .expect("insert organisation");
    org
}

/// Inserts a user with no password.
pub async fn insert_user(t: &TestDb, email: &str) -> User {
    let user = User {
        id: UserId(new_id()),
        email: email.to_owned(),
        name: email.split('@').next().unwrap_or(email).to_owned(),
        password_hash: None,
        created_at: T0,
    };
    repo::users::insert(t.pool(), &user)
        .await
        .expect("insert user");
    user
}

/// Inserts a project.
pub async fn insert_project(t: &TestDb, org: &OrgId, name: &str) -> Project {
    let project = Project {
        id: ProjectId(new_id()),
        org_id: org.clone(),
        name: name.to_owned(),
        default_locale: "en".to_owned(),
        created_at: T0,
    };
    repo::projects::insert(t.pool(), &project)
        .await
        .expect("insert project");
    project
}

/// A production key of `project` with a random digest, created at `created_at`.
pub fn project_key(project: &Project, name: &str, created_at: i64) -> NewApiKey {
    NewApiKey {
        id: KeyId(new_id()),
        org_id: project.org_id.clone(),
        project_id: Some(project.id.clone()),
        key_type: KeyType::Production,
        name: name.to_owned(),
        digest: random_bytes::<32>(),
        hash_version: HASH_VERSION,
        hint: "gtx-api-AbCd…wxYz".to_owned(),
        permissions: PermissionSet::project_key(),
        created_by: None,
        created_by_label: "operator CLI".to_owned(),
        created_at,
        expires_at: None,
        rotated_from: None,
        description: String::new(),
        ip_allowlist: Default::default(),
    }
}

/// An organisation key of `org` with a random digest.
pub fn org_key(org: &OrgId, name: &str, permissions: PermissionSet, created_at: i64) -> NewApiKey {
    NewApiKey {
        id: KeyId(new_id()),
        org_id: org.clone(),
        project_id: None,
        key_type: KeyType::Organisation,
        name: name.to_owned(),
        digest: random_bytes::<32>(),
        hash_version: HASH_VERSION,
        hint: "gtx-org-AbCd…wxYz".to_owned(),
        permissions,
        created_by: None,
        created_by_label: "operator CLI".to_owned(),
        created_at,
        expires_at: None,
        rotated_from: None,
        description: String::new(),
        ip_allowlist: Default::default(),
    }
}

/// Inserts a key and reads it back.
pub async fn insert_key(t: &TestDb, key: &NewApiKey) -> ApiKeyRecord {
    repo::keys::insert(t.pool(), key).await.expect("insert key");
    repo::keys::get(t.pool(), &key.org_id, &key.id)
        .await
        .expect("get key")
        .expect("key exists")
}

/// An audit event of `org` with every optional field set.
pub fn audit_event(org: &OrgId, action: &str, target_id: &str, occurred_at: i64) -> AuditEvent {
    AuditEvent {
        id: new_id(),
        org_id: Some(org.clone()),
        actor_user_id: Some(UserId("user-1".to_owned())),
        actor_label: "ada@example.com".to_owned(),
        action: action.to_owned(),
        target_type: Some("key".to_owned()),
        target_id: Some(target_id.to_owned()),
        target_label: Some("CI deploy".to_owned()),
        details: Some(r#"{"key_type":"production"}"#.to_owned()),
        ip: Some("192.0.2.7".to_owned()),
        user_agent: Some("curl/8".to_owned()),
        occurred_at,
    }
}

/// The operator, as the services see it.
pub fn operator() -> Actor {
    Actor::operator()
}

/// Every audit event of an organisation, newest first.
pub async fn audit_of(t: &TestDb, org: &OrgId) -> Vec<AuditEvent> {
    repo::audit::list(t.pool(), org, &repo::audit::AuditFilter::default(), 1000)
        .await
        .expect("list audit")
}

/// How many audit events of an organisation record `action`.
pub async fn audit_count(t: &TestDb, org: &OrgId, action: &str) -> usize {
    audit_of(t, org)
        .await
        .into_iter()
        .filter(|e| e.action == action)
        .count()
}

/// Counts the rows of a table.
pub async fn count_rows(t: &TestDb, table: &str) -> i64 {
    let sql = format!("SELECT COUNT(*) AS n FROM {table}");
    let row = sqlx::query(sqlx::AssertSqlSafe(sql))
        .fetch_one(t.pool())
        .await
        .expect("count rows");
    row.try_get("n").expect("read count")
}

/// Makes every insert into `audit_events` fail, to show that a service's change is
/// rolled back with its audit event (they share one transaction).
pub async fn block_audit_inserts(t: &TestDb) {
    let statements: &[&'static str] = match t.backend() {
        Backend::Sqlite => &[
            "CREATE TRIGGER test_block_audit BEFORE INSERT ON audit_events \
             BEGIN SELECT RAISE(ABORT, 'audit blocked by test'); END",
        ],
        Backend::Postgres => &[
            "CREATE FUNCTION test_block_audit() RETURNS trigger LANGUAGE plpgsql AS $$ \
             BEGIN RAISE EXCEPTION 'audit blocked by test'; END; $$",
            "CREATE TRIGGER test_block_audit BEFORE INSERT ON audit_events \
             FOR EACH ROW EXECUTE FUNCTION test_block_audit()",
        ],
    };
    for sql in statements {
        sqlx::query(*sql)
            .execute(t.pool())
            .await
            .expect("install the audit-blocking trigger");
    }
}

/// Every stored text and byte-string value of every table, as bytes, labelled
/// `table.column`. Discovers the columns from the catalogue, so a column added later is
/// scanned too.
pub async fn stored_text_and_bytes(t: &TestDb) -> Vec<(String, Vec<u8>)> {
    let catalogue = match t.backend() {
        Backend::Sqlite => {
            "SELECT m.name AS table_name, p.name AS column_name, lower(p.type) AS data_type \
             FROM sqlite_master m JOIN pragma_table_info(m.name) p \
             WHERE m.type = 'table' AND lower(p.type) IN ('text', 'blob')"
        }
        Backend::Postgres => {
            "SELECT table_name::text AS table_name, column_name::text AS column_name, \
             data_type::text AS data_type FROM information_schema.columns \
             WHERE table_schema = current_schema() AND data_type IN ('text', 'bytea')"
        }
    };
    let columns = sqlx::query(catalogue)
        .fetch_all(t.pool())
        .await
        .expect("read the catalogue");
    assert!(!columns.is_empty(), "the catalogue lists no text columns");
    let mut values = Vec::new();
    for column in &columns {
        let table: String = column.try_get("table_name").expect("table_name");
        let name: String = column.try_get("column_name").expect("column_name");
        let data_type: String = column.try_get("data_type").expect("data_type");
        let sql = format!("SELECT \"{name}\" AS v FROM \"{table}\"");
        let rows = sqlx::query(sqlx::AssertSqlSafe(sql))
            .fetch_all(t.pool())
            .await
            .expect("read a column");
        for row in rows {
            let value = if data_type == "text" {
                row.try_get::<Option<String>, _>("v")
                    .expect("text value")
                    .map(String::into_bytes)
            } else {
                row.try_get::<Option<Vec<u8>>, _>("v").expect("byte value")
            };
            if let Some(value) = value {
                values.push((format!("{table}.{name}"), value));
            }
        }
    }
    values
}

/// Whether `needle` occurs in `haystack`.
pub fn contains_bytes(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}
