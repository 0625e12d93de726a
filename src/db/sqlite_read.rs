//! The key lookup on SQLite, done in place.
//!
//! sqlx runs every SQLite statement on a worker thread of the connection and hands the
//! rows back through a channel: two thread switches per query, which cost more than the
//! query when the key cache misses (a point read by the unique digest index, from the
//! page cache). This reads on the calling thread instead, with one connection per thread
//! and file, kept for reuse, and a prepared statement.
//!
//! It blocks the async worker for that read, which is why it is only used for this one
//! query: it never waits for a writer (WAL readers do not, and the busy timeout is zero:
//! any SQLITE_BUSY falls back to the pool), and it takes microseconds when the pages are
//! cached. Any error falls back to the ordinary path through the pool.
//!
//! A page of a key list is read the same way, on a blocking thread (`Db::key_page`):
//! sqlx hands each row over on its own, and 50 rows cost 50 thread switches, more than
//! rendering them.

use super::key_row::{COLUMNS, decode_with_digest};
use super::models::ApiKeyRecord;
use rusqlite::{Connection, OpenFlags, OptionalExtension};
use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::sync::LazyLock;
use std::time::Duration;

/// The page cache of each of these connections, in KiB (as `PRAGMA cache_size` takes
/// it, negative). SQLite's default is 2 MiB per connection; the key lookups touch a few
/// pages of the digest index and one of the table, and the operating system caches the
/// file behind them, so 1 MiB keeps the index's upper levels and a thousand keys' rows
/// while bounding memory (see ARCHITECTURE.md, "SQLite's page caches are bounded").
const READER_CACHE_KIB: i64 = -1024;

/// Connections a thread keeps (one per database file; tests open many files).
const PER_THREAD: usize = 4;

static SQL: LazyLock<String> =
    LazyLock::new(|| format!("SELECT {COLUMNS}, digest FROM api_keys WHERE digest = ?1"));

thread_local! {
    static CONNECTIONS: RefCell<Vec<(PathBuf, Connection)>> = const { RefCell::new(Vec::new()) };
}

/// The key with this digest and its stored digest, read on this thread.
pub(crate) fn find_by_digest(
    path: &Path,
    digest: &[u8; 32],
) -> rusqlite::Result<Option<(ApiKeyRecord, Vec<u8>)>> {
    with_connection(path, |conn| {
        let mut statement = conn.prepare_cached(&SQL)?;
        statement
            .query_row([digest.as_slice()], |row| decode_with_digest(row))
            .optional()
    })
}

/// Runs `read` on this thread's connection to the database at `path` (opened on first
/// use and kept).
pub(crate) fn with_connection<T, E: From<rusqlite::Error>>(
    path: &Path,
    read: impl FnOnce(&Connection) -> Result<T, E>,
) -> Result<T, E> {
    CONNECTIONS.with(|cell| {
        let mut connections = cell.borrow_mut();
        let index = match connections.iter().position(|(p, _)| p == path) {
            Some(i) => i,
            None => {
                let conn = Connection::open_with_flags(
                    path,
                    OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
                )?;
                conn.busy_timeout(Duration::ZERO)?;
                conn.pragma_update(None, "cache_size", READER_CACHE_KIB)?;
                if connections.len() >= PER_THREAD {
                    connections.remove(0);
                }
                connections.push((path.to_owned(), conn));
                connections.len() - 1
            }
        };
        read(&connections[index].1)
    })
}
