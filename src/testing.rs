//! The one test harness of the workspace (feature `test-support`, which only
//! dev-dependencies turn on): how a test gets a fresh database of either kind, when a
//! PostgreSQL test is skipped, and the macro that runs a test body on both backends.
//!
//! - [`postgres_url`] is the one skip rule: without `GTX_TEST_DATABASE_URL` a PostgreSQL
//!   test is skipped with a note, except under `CI`, where it fails.
//! - [`FreshDb`] is a migrated, empty database: a SQLite file in a temp directory of its
//!   own, or a PostgreSQL schema of its own that is dropped when the `FreshDb` is (also
//!   when the test panics).
//! - [`on_both_backends!`](crate::on_both_backends) turns each `async fn name(&H)` into
//!   the tests `name::sqlite` and `name::postgres`, for any harness `H` ([`Harness`]).

// A panic is how a test fails: the harness unwraps what a test cannot go on without.
#![allow(clippy::expect_used)]

use crate::db::{Db, SQLITE_FILE};
use crate::keys::random_token;
use std::future::Future;
use std::path::{Path, PathBuf};

/// The environment variable naming the tests' PostgreSQL database.
pub const DATABASE_URL_VAR: &str = "GTX_TEST_DATABASE_URL";

/// The tests' PostgreSQL database (see [`DATABASE_URL_VAR`]), or `None` with a note that
/// `test` is skipped. Under `CI` a missing database is a failure, never a skip.
pub fn postgres_url(test: &str) -> Option<String> {
    match std::env::var(DATABASE_URL_VAR) {
        Ok(url) if !url.trim().is_empty() => Some(url),
        _ => {
            assert!(
                std::env::var_os("CI").is_none(),
                "{DATABASE_URL_VAR} is not set, but CI is: the PostgreSQL tests must run in CI \
                 (e.g. {DATABASE_URL_VAR}=postgres://gtx:gtx@127.0.0.1:5432/gtx_test)"
            );
            eprintln!("skipping {test} on PostgreSQL: {DATABASE_URL_VAR} is not set");
            None
        }
    }
}

/// A harness that [`on_both_backends!`](crate::on_both_backends) can run a test body on.
pub trait Harness: Sized {
    /// On a fresh SQLite database.
    fn sqlite() -> impl Future<Output = Self>;
    /// On a fresh PostgreSQL schema named after `test`, or `None` when skipped (see
    /// [`postgres_url`]).
    fn postgres(test: &str) -> impl Future<Output = Option<Self>>;
    /// Closes the pools; the schema goes when the harness is dropped.
    fn close(self) -> impl Future<Output = ()>;
}

/// Turns each `async fn name(h: &H)` into `#[tokio::test]`s `name::sqlite` and
/// `name::postgres`, with `H` a [`Harness`]: `on_both_backends!(TestApp: a, b);`.
#[macro_export]
macro_rules! on_both_backends {
    ($harness:ty: $($name:ident),* $(,)?) => {$(
        mod $name {
            #[tokio::test]
            async fn sqlite() {
                let harness = <$harness as $crate::testing::Harness>::sqlite().await;
                super::$name(&harness).await;
                $crate::testing::Harness::close(harness).await;
            }

            #[tokio::test]
            async fn postgres() {
                if let Some(harness) =
                    <$harness as $crate::testing::Harness>::postgres(stringify!($name)).await
                {
                    super::$name(&harness).await;
                    $crate::testing::Harness::close(harness).await;
                }
            }
        }
    )*};
}

/// A fresh, migrated database of one kind. The temp directory (the SQLite file's, and a
/// data directory for anything else the test writes) and the PostgreSQL schema live as
/// long as this does.
#[derive(Debug)]
pub struct FreshDb {
    /// The database.
    pub db: Db,
    dir: tempfile::TempDir,
    schema: Option<Schema>,
}

impl FreshDb {
    /// A SQLite database at `<dir>/`[`SQLITE_FILE`], where the `gtx-keys` binary looks
    /// for it with `--data-dir <dir>`.
    pub async fn sqlite() -> Self {
        let dir = tempfile::tempdir().expect("create a temp dir");
        let db = Db::open_sqlite(&dir.path().join(SQLITE_FILE))
            .await
            .expect("open SQLite");
        db.migrate().await.expect("migrate SQLite");
        Self {
            db,
            dir,
            schema: None,
        }
    }

    /// A PostgreSQL schema of its own, or `None` when skipped (see [`postgres_url`]).
    pub async fn postgres(test: &str) -> Option<Self> {
        let base = postgres_url(test)?;
        // Unique per test and run; only `[a-z0-9_]`, a valid unquoted identifier.
        let short: String = test.chars().take(40).collect();
        let raw = format!("t_{short}_{}_{}", std::process::id(), random_token(6));
        let name: String = raw
            .chars()
            .map(|c| match c {
                'a'..='z' | '0'..='9' => c,
                'A'..='Z' => c.to_ascii_lowercase(),
                _ => '_',
            })
            .collect();
        let schema = Schema { base, name };
        let db = match Db::connect_postgres(&schema.base, Some(&schema.name)).await {
            Ok(db) => db,
            // Never the error's text: some quote the URL, password included.
            Err(_) => panic!("cannot connect to the PostgreSQL database in {DATABASE_URL_VAR}"),
        };
        db.migrate().await.expect("migrate PostgreSQL");
        Some(Self {
            db,
            dir: tempfile::tempdir().expect("create a temp dir"),
            schema: Some(schema),
        })
    }

    /// The temp directory (the SQLite file's, on SQLite): `--data-dir` for the binary.
    pub fn dir(&self) -> &Path {
        self.dir.path()
    }

    /// The SQLite file, on SQLite.
    pub fn sqlite_file(&self) -> Option<PathBuf> {
        self.schema
            .is_none()
            .then(|| self.dir.path().join(SQLITE_FILE))
    }

    /// The PostgreSQL base URL and schema name, on PostgreSQL.
    pub fn postgres_schema(&self) -> Option<(&str, &str)> {
        self.schema
            .as_ref()
            .map(|s| (s.base.as_str(), s.name.as_str()))
    }

    /// A `DATABASE_URL` for another process (the binary) that lands in this schema.
    pub fn postgres_url_for_process(&self) -> Option<String> {
        self.schema.as_ref().map(|s| {
            let sep = if s.base.contains('?') { '&' } else { '?' };
            format!("{}{sep}options=-c%20search_path%3D{}", s.base, s.name)
        })
    }

    /// Another pool on the same database (a second server instance, say).
    pub async fn connect_again(&self) -> Db {
        match &self.schema {
            Some(s) => Db::connect_postgres(&s.base, Some(&s.name))
                .await
                .expect("connect PostgreSQL"),
            None => Db::open_sqlite(&self.dir.path().join(SQLITE_FILE))
                .await
                .expect("open SQLite"),
        }
    }

    /// Closes the pool (bounded: see [`Db::close`]).
    pub async fn close(&self) {
        self.db.close().await;
    }
}

/// A test's PostgreSQL schema, dropped when this is dropped.
#[derive(Debug)]
struct Schema {
    base: String,
    name: String,
}

impl Drop for Schema {
    fn drop(&mut self) {
        let (base, name) = (self.base.clone(), self.name.clone());
        // Drop runs inside the test's runtime, which cannot be blocked on: use a thread
        // with a runtime of its own.
        let job = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("runtime");
            runtime.block_on(async {
                if let Ok(db) = Db::connect_postgres(&base, None).await {
                    if let Err(e) = db.drop_schema(&name).await {
                        eprintln!("could not drop test schema {name}: {e}");
                    }
                    db.close().await;
                }
            });
        });
        // After a panic the test's pool may still hold a transaction that its runtime
        // rolls back only once unwinding has finished: waiting here for the schema's lock
        // would wait for ever. The thread then finishes on its own.
        if !std::thread::panicking() {
            let _ = job.join();
        }
    }
}
