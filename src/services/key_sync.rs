//! Keeping a server's key cache in step with other processes, and writing last-used
//! times and usage counts in batches.
//!
//! - PostgreSQL: a dedicated connection LISTENs on [`key_changes::CHANNEL`]; each
//!   notification names a changed key, which is dropped from the cache. When the
//!   connection is lost, the cache is flushed once the listener is back (notifications
//!   sent meanwhile are gone).
//! - SQLite: the operator CLI is another process on the same file. A dedicated connection
//!   polls `PRAGMA data_version` every [`SQLITE_POLL`] (a counter in shared memory that
//!   moves when another connection commits: no table read), and only when it moved reads
//!   the new rows of `key_changes`.
//! - Both: the cache's TTL bounds staleness if anything above fails.

use super::Services;
use crate::db::Backend;
use crate::db::repo::key_changes;
use crate::error::CoreResult;
use std::time::Duration;
use tokio::sync::watch;
use tokio::task::JoinHandle;

/// `application_name` of the connection that LISTENs for key changes.
pub const LISTENER_APPLICATION_NAME: &str = "gtx-keys key listener";
/// How often a SQLite server looks for changes made by other processes.
pub const SQLITE_POLL: Duration = Duration::from_millis(250);
/// How often gathered last-used times and usage counts are written, unless configured
/// otherwise (`Services::with_usage_flush`): the most they are behind.
pub const USAGE_FLUSH: Duration = Duration::from_secs(30);
/// How often the "disable keys unused for N days" policy is applied.
pub const POLICY_ROUND: Duration = Duration::from_secs(600);
/// How long `key_changes` rows are kept.
const CHANGES_KEPT_MS: i64 = 24 * 60 * 60 * 1000;
/// Wait before reconnecting a lost listener or poller.
const RETRY: Duration = Duration::from_secs(1);

/// The background tasks of a serving instance. Dropping this stops them.
#[derive(Debug)]
pub struct KeySync {
    tasks: Vec<JoinHandle<()>>,
    ready: watch::Receiver<bool>,
}

impl KeySync {
    /// Resolves once changes from other processes are being followed (the LISTEN is in
    /// place, or the poller has its starting point). The cache is flushed just before,
    /// so entries cached earlier do not survive it; tests wait for this first.
    pub async fn ready(&mut self) {
        let _ = self.ready.wait_for(|ready| *ready).await;
    }
}

impl Drop for KeySync {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
    }
}

impl Services {
    /// Starts the tasks that keep this instance's key cache in step with other
    /// processes and write last-used times every [`USAGE_FLUSH`] (or as configured). Needs
    /// a Tokio runtime. Also writes usage counts and prunes old ones as often, and
    /// disables keys unused for longer than their organisation allows every
    /// [`POLICY_ROUND`]. Call
    /// [`Services::flush_usage`] once more at shutdown.
    pub fn start_key_sync(&self) -> KeySync {
        let watcher = self.clone();
        let (ready_tx, ready) = watch::channel(false);
        let watch = match self.db.backend() {
            Backend::Postgres => {
                tokio::spawn(async move { watcher.listen_for_changes(ready_tx).await })
            }
            Backend::Sqlite => {
                tokio::spawn(async move { watcher.poll_for_changes(ready_tx).await })
            }
        };
        let flusher = self.clone();
        let flush = tokio::spawn(async move {
            let mut every = tokio::time::interval(flusher.usage_flush);
            every.tick().await;
            // The unused-key policy runs every POLICY_ROUND (the first round at once).
            let rounds = (POLICY_ROUND.as_secs() / flusher.usage_flush.as_secs().max(1)).max(1);
            let mut round: u64 = 0;
            loop {
                if round.is_multiple_of(rounds) {
                    match flusher.disable_unused_keys().await {
                        Ok(0) => {}
                        Ok(n) => tracing::info!(
                            keys = n,
                            "disabled keys unused for longer than their organisation allows"
                        ),
                        Err(e) => {
                            tracing::warn!(error = %e, "could not apply the unused-key policy")
                        }
                    }
                }
                round += 1;
                every.tick().await;
                if let Err(e) = flusher.flush_usage().await {
                    tracing::warn!(error = %e, "could not write usage counts; kept for the next round");
                }
                if let Err(e) = flusher.prune_usage().await {
                    tracing::warn!(error = %e, "could not prune usage counts");
                }
                let before = flusher.now() - CHANGES_KEPT_MS;
                if let Err(e) = key_changes::prune(flusher.db.pool(), before).await {
                    tracing::warn!(error = %e, "could not prune key changes");
                }
            }
        });
        KeySync {
            tasks: vec![watch, flush],
            ready,
        }
    }

    async fn listen_for_changes(&self, ready: watch::Sender<bool>) {
        let Some(url) = self.db.postgres_url() else {
            return;
        };
        // A pool of one connection, only for the listener's reconnects, with the same
        // TLS settings as every other connection (see `db::pg_url`).
        let options = match url.sqlx_options(LISTENER_APPLICATION_NAME) {
            Ok(options) => options,
            Err(e) => {
                tracing::error!(error = %e, "key-change listener: unusable database settings");
                return;
            }
        };
        let pool = sqlx::postgres::PgPoolOptions::new()
            .max_connections(1)
            .max_lifetime(None)
            .idle_timeout(None)
            .connect_lazy_with(options);
        loop {
            let mut listener = match sqlx::postgres::PgListener::connect_with(&pool).await {
                Ok(mut l) => {
                    l.ignore_pool_close_event(true);
                    l
                }
                Err(e) => {
                    tracing::warn!(error = %e, "key-change listener cannot connect; retrying");
                    tokio::time::sleep(RETRY).await;
                    continue;
                }
            };
            if let Err(e) = listener.listen(key_changes::CHANNEL).await {
                tracing::warn!(error = %e, "key-change listener cannot LISTEN; retrying");
                tokio::time::sleep(RETRY).await;
                continue;
            }
            // Changes made while nobody listened are unknown: start from an empty cache.
            self.key_cache.flush();
            ready.send_replace(true);
            tracing::debug!("listening for key changes");
            loop {
                match listener.try_recv().await {
                    Ok(Some(note)) => {
                        self.key_cache
                            .invalidate(&crate::domain::KeyId(note.payload().to_owned()));
                    }
                    Ok(None) => {
                        // The connection dropped and was re-established (LISTEN included).
                        tracing::warn!("key-change listener reconnected; flushing the key cache");
                        self.key_cache.flush();
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "key-change listener failed; reconnecting");
                        self.key_cache.flush();
                        tokio::time::sleep(RETRY).await;
                        break;
                    }
                }
            }
        }
    }

    async fn poll_for_changes(&self, ready: watch::Sender<bool>) {
        loop {
            if let Err(e) = self.poll_session(&ready).await {
                tracing::warn!(error = %e, "key-change poller failed; restarting");
            }
            self.key_cache.flush();
            tokio::time::sleep(RETRY).await;
        }
    }

    /// Polls on one connection of its own (taken out of the pool for good, so the pool's
    /// size and shutdown are unaffected) until an error.
    async fn poll_session(&self, ready: &watch::Sender<bool>) -> CoreResult<()> {
        use sqlx::Row;
        let mut conn = self.db.pool().acquire().await?.detach();
        let mut seen = key_changes::latest_seq(&mut conn).await?;
        // Whatever changed before `seen` is unknown to the cache: start it afresh.
        self.key_cache.flush();
        ready.send_replace(true);
        let mut version: i64 = -1;
        let mut every = tokio::time::interval(SQLITE_POLL);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            let now: i64 = sqlx::query("PRAGMA data_version")
                .fetch_one(&mut conn)
                .await?
                .try_get(0)?;
            if now == version {
                continue;
            }
            version = now;
            loop {
                let changes = key_changes::since(&mut conn, seen, 1_000).await?;
                let Some((last, _)) = changes.last() else {
                    break;
                };
                seen = *last;
                for (_, key_id) in &changes {
                    self.key_cache.invalidate(key_id);
                }
            }
        }
    }
}
