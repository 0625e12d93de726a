//! The key lookup on PostgreSQL, pipelined.
//!
//! Through sqlx's pool a lookup costs two round trips: the query, then the ping sqlx
//! sends every connection it takes back (it cannot be turned off), each waking a
//! PostgreSQL backend. When the key cache misses that is most of a verify's cost.
//! `tokio-postgres` instead pipelines: every lookup in flight shares a few long-lived
//! connections, each lookup is one exchange of messages, and lookups that arrive
//! together reach PostgreSQL in one read. The statement is prepared once per connection.
//!
//! A broken connection is replaced on the next lookup. Any error makes the caller fall
//! back to the ordinary path through the pool, so this path can only make a lookup
//! faster, never fail one the pool would answer.

use super::key_row::{COLUMNS, decode_with_digest};
use super::models::ApiKeyRecord;
use super::pg_tls::PgTlsError;
use super::pg_url::PgUrl;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio_postgres::{Client, Statement};

/// `application_name` of the lookup connections.
pub const APPLICATION_NAME: &str = "gtx-keys key lookups";

/// Why a pipelined lookup failed (the caller then uses the pool).
#[derive(Debug, thiserror::Error)]
pub(crate) enum PgReadError {
    /// Connecting, preparing or querying failed.
    #[error(transparent)]
    Postgres(#[from] tokio_postgres::Error),
    /// A stored value does not decode (a schema this code does not know).
    #[error("unreadable value in column {0}")]
    Corrupt(&'static str),
    /// No connection yet: one is being opened, or opening one just failed.
    #[error("no lookup connection at the moment")]
    Unavailable,
}

/// After a failed connect, how long lookups leave this path to the pool.
const RETRY_AFTER: Duration = Duration::from_secs(1);

/// A connection and its prepared lookup.
struct Conn {
    client: Client,
    lookup: Statement,
}

/// A few pipelined connections, used in turn.
pub(crate) struct PgKeyReader {
    config: tokio_postgres::Config,
    tls: tokio_postgres_rustls::MakeRustlsConnect,
    /// `SET search_path TO "<schema>"` for the tests' schemas, run on each connection.
    search_path: Option<String>,
    slots: Box<[Mutex<Option<Arc<Conn>>>]>,
    /// Held while a connection is being opened: one at a time.
    connecting: tokio::sync::Mutex<()>,
    /// When opening a connection last failed.
    failed_at: Mutex<Option<Instant>>,
    next: AtomicUsize,
}

impl std::fmt::Debug for PgKeyReader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The config holds the password: show only the shape.
        f.debug_struct("PgKeyReader")
            .field("connections", &self.slots.len())
            .finish_non_exhaustive()
    }
}

impl PgKeyReader {
    /// A reader for the database at `url` (connections open on first use), over TLS as
    /// `url`'s `sslmode` says. `schema` is already reduced to `[A-Za-z0-9_]`.
    pub(crate) fn new(url: &PgUrl, schema: Option<&str>) -> Result<Self, PgTlsError> {
        // Named, so an operator can tell these connections in `pg_stat_activity`.
        let config = url.tokio_postgres_config(APPLICATION_NAME);
        let tls = super::pg_tls::connector(url)?;
        // About one connection per core: PostgreSQL runs each connection's queries one
        // after another, on one core.
        let connections = std::thread::available_parallelism()
            .map_or(2, usize::from)
            .clamp(1, 4);
        Ok(Self {
            config,
            tls,
            search_path: schema.map(|s| format!("SET search_path TO \"{s}\"")),
            slots: (0..connections).map(|_| Mutex::new(None)).collect(),
            connecting: tokio::sync::Mutex::new(()),
            failed_at: Mutex::new(None),
            next: AtomicUsize::new(0),
        })
    }

    /// The key with this digest and its stored digest.
    pub(crate) async fn find_by_digest(
        &self,
        digest: &[u8; 32],
    ) -> Result<Option<(ApiKeyRecord, Vec<u8>)>, PgReadError> {
        let slot = self.next.fetch_add(1, Ordering::Relaxed) % self.slots.len();
        let conn = self.conn(slot).await?;
        let row = conn
            .client
            .query_opt(&conn.lookup, &[&digest.as_slice()])
            .await?;
        row.map(|row| decode_with_digest(&row)).transpose()
    }

    /// Closes the connections (the database is closing).
    pub(crate) fn close(&self) {
        for slot in &self.slots {
            slot.lock().unwrap_or_else(|e| e.into_inner()).take();
        }
    }

    fn live(&self, slot: usize) -> Option<Arc<Conn>> {
        let guard = self.slots[slot].lock().unwrap_or_else(|e| e.into_inner());
        guard.as_ref().filter(|c| !c.client.is_closed()).cloned()
    }

    /// The slot's connection, opened (again) if it has none or it broke. Lookups never
    /// queue behind a connection being opened, nor retry a failing database on every
    /// request: they go to the pool meanwhile ([`PgReadError::Unavailable`]).
    async fn conn(&self, slot: usize) -> Result<Arc<Conn>, PgReadError> {
        if let Some(conn) = self.live(slot) {
            return Ok(conn);
        }
        let Ok(_connecting) = self.connecting.try_lock() else {
            return Err(PgReadError::Unavailable);
        };
        if let Some(conn) = self.live(slot) {
            return Ok(conn);
        }
        if self.backing_off() {
            return Err(PgReadError::Unavailable);
        }
        let conn = match self.open().await {
            Ok(conn) => Arc::new(conn),
            Err(e) => {
                *self.failed_at.lock().unwrap_or_else(|e| e.into_inner()) = Some(Instant::now());
                return Err(e);
            }
        };
        *self.slots[slot].lock().unwrap_or_else(|e| e.into_inner()) = Some(Arc::clone(&conn));
        Ok(conn)
    }

    /// Whether opening a connection failed less than [`RETRY_AFTER`] ago.
    fn backing_off(&self) -> bool {
        let failed_at = self.failed_at.lock().unwrap_or_else(|e| e.into_inner());
        failed_at.is_some_and(|at| at.elapsed() < RETRY_AFTER)
    }

    async fn open(&self) -> Result<Conn, PgReadError> {
        let (client, connection) = self.config.connect(self.tls.clone()).await?;
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::debug!(error = %e, "pipelined key lookup connection ended");
            }
        });
        if let Some(sql) = &self.search_path {
            client.batch_execute(sql).await?;
        }
        let lookup = client
            .prepare(&format!(
                "SELECT {COLUMNS}, digest FROM api_keys WHERE digest = $1"
            ))
            .await?;
        Ok(Conn { client, lookup })
    }
}

#[cfg(test)]
mod tests {
    use super::{PgKeyReader, PgReadError, PgUrl};

    #[tokio::test]
    async fn find_by_digest_leaves_a_database_it_cannot_reach_to_the_pool_for_a_while() {
        // Nothing listens on port 1: the connect is refused at once.
        let url = PgUrl::parse("postgres://gtx:gtx@127.0.0.1:1/gtx").unwrap();
        let reader = PgKeyReader::new(&url, None).unwrap();
        let first = reader.find_by_digest(&[0; 32]).await;
        assert!(matches!(first, Err(PgReadError::Postgres(_))), "{first:?}");
        // Within the back-off no lookup tries again (or waits): the pool answers them.
        for _ in 0..4 {
            let next = reader.find_by_digest(&[0; 32]).await;
            assert!(matches!(next, Err(PgReadError::Unavailable)), "{next:?}");
        }
    }

    #[test]
    fn new_with_an_unreadable_root_certificate_is_an_error() {
        let url = PgUrl::parse(
            "postgres://gtx@127.0.0.1/gtx?sslmode=verify-full&sslrootcert=/nonexistent/ca.pem",
        )
        .unwrap();
        assert!(PgKeyReader::new(&url, None).is_err());
    }
}
