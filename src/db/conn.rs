//! Connecting, migrating, and transactions.

use super::pg_url::PgUrl;
use secrecy::ExposeSecret;
use sqlx::any::{AnyConnectOptions, AnyPoolOptions, install_default_drivers};
use sqlx::{Any, AnyPool, Executor};
use std::path::Path;
use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

/// A transaction on either backend.
pub type Tx = sqlx::Transaction<'static, Any>;

/// Which database engine is behind a [`Db`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, strum::IntoStaticStr)]
#[strum(serialize_all = "lowercase")]
pub enum Backend {
    /// SQLite file in the data directory (the embedded default).
    Sqlite,
    /// PostgreSQL (or a compatible engine) shared by several instances.
    Postgres,
}

impl Backend {
    /// Lower-case name, for logs and the health endpoint.
    pub fn as_str(self) -> &'static str {
        self.into()
    }
}

/// Storage errors that are not plain query failures.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    /// A query or connection failed.
    #[error(transparent)]
    Sqlx(#[from] sqlx::Error),
    /// An in-place SQLite read failed (its caller falls back to the pool).
    #[error(transparent)]
    InPlace(#[from] rusqlite::Error),
    /// A migration failed.
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// A row held a value this version cannot read (e.g. an unknown key type).
    #[error("unreadable value in column {column}")]
    Corrupt {
        /// The column.
        column: &'static str,
    },
    /// The URL names a database this build does not speak.
    #[error("unsupported database URL: use postgres://… (or leave it unset for SQLite)")]
    UnsupportedUrl,
    /// A PostgreSQL URL this server cannot honour in full.
    #[error(transparent)]
    Url(#[from] super::pg_url::PgUrlError),
    /// TLS to PostgreSQL could not be set up (e.g. an unreadable `sslrootcert`).
    #[error("database TLS: {0}")]
    Tls(#[from] super::pg_tls::PgTlsError),
    /// The TLS handshake with PostgreSQL failed: most often a certificate that does not
    /// verify against `sslrootcert`.
    #[error(
        "cannot connect to PostgreSQL over TLS (sslmode={sslmode}, sslrootcert={sslrootcert}): \
         {detail}. With verify-ca or verify-full, sslrootcert must hold the CA that signed the \
         server's certificate, and with verify-full the certificate must name the host in \
         DATABASE_URL"
    )]
    TlsHandshake {
        /// The `sslmode`.
        sslmode: &'static str,
        /// The `sslrootcert`, or "(none)".
        sslrootcert: String,
        /// What rustls said.
        detail: String,
    },
    /// The data directory could not be created.
    #[error("cannot create data directory {path}: {source}")]
    DataDir {
        /// The directory.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
}

/// A connection pool and the backend behind it.
#[derive(Clone, Debug)]
pub struct Db {
    pub(super) pool: AnyPool,
    backend: Backend,
    /// The PostgreSQL settings, for the connection that LISTENs for key changes (their
    /// `Debug` leaves the password out).
    pg_url: Option<Arc<PgUrl>>,
    /// The SQLite file, for the in-place key lookup (`sqlite_read`).
    pub(super) sqlite_path: Option<Arc<Path>>,
    /// The pipelined key lookup on PostgreSQL (`pg_read`).
    pub(super) pg_reader: Option<Arc<super::pg_read::PgKeyReader>>,
}

/// How long [`Db::close`] waits for connections to come back.
const CLOSE_WAIT: Duration = Duration::from_secs(10);

/// A pooled connection idle for longer than this is checked (a round trip) before use:
/// it may have been cut while it sat (a restarted server, a firewall's idle timeout).
const CHECK_IDLE_AFTER: Duration = Duration::from_secs(30);

/// Pool settings shared by both backends. sqlx checks every connection it hands out
/// with a round trip by default, which doubles the database work of a one-query
/// request such as a key lookup that missed the cache; here only connections that sat
/// idle for a while are checked, and a connection that breaks in use is dropped by sqlx
/// all the same.
fn pool_options(max_connections: u32) -> AnyPoolOptions {
    AnyPoolOptions::new()
        .max_connections(max_connections)
        .acquire_timeout(Duration::from_secs(10))
        .test_before_acquire(false)
        .before_acquire(|conn, meta| {
            Box::pin(async move {
                if meta.idle_for > CHECK_IDLE_AFTER {
                    use sqlx::Connection;
                    conn.ping().await?;
                }
                Ok(true)
            })
        })
}

/// A failed TLS handshake, with the settings that led to it (never the password).
/// sqlx reports a certificate rustls refused as an I/O error wrapping rustls's own.
fn with_tls_context(e: sqlx::Error, pg: &PgUrl) -> DbError {
    let detail = match &e {
        sqlx::Error::Tls(detail) => Some(detail.to_string()),
        sqlx::Error::Io(io) => io
            .get_ref()
            .and_then(|inner| inner.downcast_ref::<rustls::Error>())
            .map(ToString::to_string),
        _ => None,
    };
    match detail {
        Some(detail) => DbError::TlsHandshake {
            sslmode: pg.ssl_mode.as_str(),
            sslrootcert: pg
                .ssl_root_cert
                .as_ref()
                .map_or_else(|| "(none)".to_owned(), |p| p.display().to_string()),
            detail,
        },
        None => e.into(),
    }
}

/// The SQLite database file inside the data directory.
pub const SQLITE_FILE: &str = "gtx-keys.sqlite3";

impl Db {
    /// Opens the database: PostgreSQL when `database_url` is set, else the SQLite file in
    /// `data_dir` (created when missing).
    pub async fn open(database_url: Option<&str>, data_dir: &Path) -> Result<Self, DbError> {
        match database_url {
            Some(url) => Self::connect_postgres(url, None).await,
            None => Self::open_sqlite(&data_dir.join(SQLITE_FILE)).await,
        }
    }

    /// Opens (creating if missing) the SQLite database at `path`.
    ///
    /// WAL lets readers run beside the writer; `synchronous = FULL` makes every commit
    /// durable (a revoke that returned survives a power cut); `busy_timeout` makes
    /// writers queue instead of failing; foreign keys are off by default in SQLite.
    pub async fn open_sqlite(path: &Path) -> Result<Self, DbError> {
        if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
            std::fs::create_dir_all(dir).map_err(|source| DbError::DataDir {
                path: dir.display().to_string(),
                source,
            })?;
        }
        install_default_drivers();
        let url = format!("sqlite://{}?mode=rwc", path.display());
        let options = AnyConnectOptions::from_str(&url)?;
        let pool = pool_options(8)
            .min_connections(1)
            // Each connection's page cache is 512 KiB, not SQLite's 2 MiB (see
            // ARCHITECTURE.md, "SQLite's page caches are bounded").
            .after_connect(|conn, _meta| {
                Box::pin(async move {
                    conn.execute(
                        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                         PRAGMA busy_timeout = 5000; PRAGMA foreign_keys = ON; \
                         PRAGMA cache_size = -512;",
                    )
                    .await?;
                    Ok(())
                })
            })
            .connect_with(options)
            .await?;
        Ok(Self {
            pool,
            backend: Backend::Sqlite,
            pg_url: None,
            sqlite_path: Some(Arc::from(path)),
            pg_reader: None,
        })
    }

    /// Connects to PostgreSQL. With `schema`, every connection works inside that schema
    /// (created if missing): the tests use it to give each test its own namespace. The
    /// URL is parsed once ([`PgUrl`]) and every connection (pool, lookups, listener)
    /// honours its `sslmode` and `sslrootcert`. A certificate that does not verify fails
    /// here, at start, since the pool opens its first connection at once.
    pub async fn connect_postgres(url: &str, schema: Option<&str>) -> Result<Self, DbError> {
        if !(url.starts_with("postgres://") || url.starts_with("postgresql://")) {
            return Err(DbError::UnsupportedUrl);
        }
        let pg = PgUrl::parse(url)?;
        install_default_drivers();
        let options = AnyConnectOptions::from_str(pg.sqlx_url().expose_secret())?;
        let schema = schema.map(|s| {
            // Only the tests pass a schema; still, never splice arbitrary text into SQL.
            s.chars()
                .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
                .collect::<String>()
        });
        if let Some(schema) = &schema {
            // Created once, before the pool opens connections in parallel: concurrent
            // `CREATE SCHEMA IF NOT EXISTS` can still collide on the catalogue.
            use sqlx::Connection;
            let mut conn = sqlx::AnyConnection::connect_with(&options).await?;
            let sql = format!("CREATE SCHEMA IF NOT EXISTS \"{schema}\"");
            conn.execute(sqlx::AssertSqlSafe(sql)).await?;
            conn.close().await?;
        }
        let pg_reader = Arc::new(super::pg_read::PgKeyReader::new(&pg, schema.as_deref())?);
        let pool = pool_options(16)
            .after_connect(move |conn, _meta| {
                let schema = schema.clone();
                Box::pin(async move {
                    if let Some(schema) = schema {
                        let sql = format!("SET search_path TO \"{schema}\"");
                        conn.execute(sqlx::AssertSqlSafe(sql)).await?;
                    }
                    Ok(())
                })
            })
            .connect_with(options)
            .await
            .map_err(|e| with_tls_context(e, &pg))?;
        Ok(Self {
            pool,
            backend: Backend::Postgres,
            pg_url: Some(Arc::new(pg)),
            sqlite_path: None,
            pg_reader: Some(pg_reader),
        })
    }

    /// Applies the migrations of this backend that have not run yet.
    pub async fn migrate(&self) -> Result<(), DbError> {
        match self.backend {
            Backend::Sqlite => {
                sqlx::migrate!("./migrations/sqlite")
                    .run(&self.pool)
                    .await?
            }
            Backend::Postgres => {
                sqlx::migrate!("./migrations/postgres")
                    .run(&self.pool)
                    .await?
            }
        }
        Ok(())
    }

    /// The backend.
    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// The PostgreSQL settings (for a dedicated listening connection), when on
    /// PostgreSQL.
    pub fn postgres_url(&self) -> Option<&PgUrl> {
        self.pg_url.as_deref()
    }

    /// The key with this digest, with its stored digest (for the constant-time check).
    /// On SQLite the read runs in place on this thread (see `sqlite_read`), on
    /// PostgreSQL on pipelined connections (see `pg_read`); either falls back to the pool
    /// on any error.
    pub async fn find_key_by_digest(
        &self,
        digest: &[u8; 32],
    ) -> Result<Option<(super::models::ApiKeyRecord, Vec<u8>)>, DbError> {
        if let Some(path) = &self.sqlite_path
            && !self.pool.is_closed()
        {
            match super::sqlite_read::find_by_digest(path, digest) {
                Ok(found) => return Ok(found),
                Err(e) => tracing::debug!(error = %e, "in-place key lookup failed; using the pool"),
            }
        }
        if let Some(reader) = &self.pg_reader
            && !self.pool.is_closed()
        {
            match reader.find_by_digest(digest).await {
                Ok(found) => return Ok(found),
                Err(e) => {
                    tracing::debug!(error = %e, "pipelined key lookup failed; using the pool")
                }
            }
        }
        super::repo::keys::find_by_digest(&self.pool, digest).await
    }

    /// One page of a key list (see [`super::repo::keys::page`]). On SQLite it is read in
    /// place on a blocking thread (`sqlite_read`), falling back to the pool on any error.
    pub async fn key_page(
        &self,
        org_id: &crate::domain::OrgId,
        project_id: Option<&crate::domain::ProjectId>,
        view: &crate::domain::key_list::KeyListQuery,
        now: i64,
    ) -> Result<crate::domain::key_list::Page<super::models::ApiKeyRecord>, DbError> {
        use super::repo::keys;
        if let Some(path) = &self.sqlite_path
            && !self.pool.is_closed()
        {
            let (path, org, project, view_) = (
                path.clone(),
                org_id.clone(),
                project_id.cloned(),
                view.clone(),
            );
            let read = tokio::task::spawn_blocking(move || {
                super::sqlite_read::with_connection(&path, |conn| {
                    let snapshot = conn.unchecked_transaction()?;
                    let page = keys::page_in_place(&snapshot, &org, project.as_ref(), &view_, now)?;
                    snapshot.commit()?;
                    Ok::<_, DbError>(page)
                })
            })
            .await;
            match read {
                Ok(Ok(page)) => return Ok(page),
                Ok(Err(e)) => {
                    tracing::debug!(error = %e, "in-place key page failed; using the pool")
                }
                Err(e) => {
                    tracing::debug!(error = %e, "in-place key page did not finish; using the pool")
                }
            }
        }
        let mut conn = self.pool.acquire().await?;
        keys::page(&mut conn, org_id, project_id, view, now).await
    }

    /// The pool, for single-statement reads.
    pub fn pool(&self) -> &AnyPool {
        &self.pool
    }

    /// Starts a transaction that will write. On SQLite it takes the write lock up front
    /// (`BEGIN IMMEDIATE`), so two writers queue on the busy timeout instead of one failing
    /// with "database is locked" when it upgrades from reading to writing.
    pub async fn begin(&self) -> Result<Tx, DbError> {
        let tx = match self.backend {
            Backend::Sqlite => self.pool.begin_with("BEGIN IMMEDIATE").await?,
            Backend::Postgres => self.pool.begin().await?,
        };
        Ok(tx)
    }

    /// Starts a read-only unit of work: a plain (deferred) transaction, so on SQLite it
    /// reads a consistent snapshot without taking the write lock.
    pub async fn begin_read(&self) -> Result<Tx, DbError> {
        Ok(self.pool.begin().await?)
    }

    /// Closes the pool, waiting (at most [`CLOSE_WAIT`]) for connections to be returned.
    /// A connection still held by a request that never finishes (a client that stopped
    /// reading a streamed page, say) would otherwise keep `Pool::close` waiting, and a
    /// stopping server must not hang on it. New acquires fail at once either way.
    pub async fn close(&self) {
        if let Some(reader) = &self.pg_reader {
            reader.close();
        }
        if tokio::time::timeout(CLOSE_WAIT, self.pool.close())
            .await
            .is_err()
        {
            tracing::warn!(
                size = self.pool.size(),
                idle = self.pool.num_idle(),
                "database pool did not finish closing in {CLOSE_WAIT:?}; going on"
            );
        }
    }
}
