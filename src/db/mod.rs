//! Storage: one repository API over SQLite (the embedded default) and PostgreSQL.
//!
//! Why `sqlx::Any` with runtime queries: sqlx's checked `query!` macros bind a query to one
//! database at compile time, and code generic over `sqlx::Database` drags long trait
//! bounds through every function. The SQL we need (plain CRUD, partial unique indexes,
//! `ON CONFLICT`, `RETURNING`) is the same on both engines, `$1` placeholders work on
//! both, and integer milliseconds, text ids and byte strings decode alike — so one set of
//! queries serves both, and one repository test-suite runs unchanged against both. The
//! cost is a value conversion per column, which is small next to the query itself. Only
//! the migrations differ (type names), so there is one migration directory per backend.
//!
//! One query also runs outside sqlx: the key lookup by digest, which is all the database
//! work of a verify that misses the key cache (`sqlite_read`, `pg_read`). On PostgreSQL
//! the URL is parsed once (`pg_url`) and every connection kind gets its TLS settings
//! from it (`pg_tls` for tokio-postgres; sqlx's own rustls support for the rest).

mod conn;
mod key_row;
pub mod models;
mod pg_read;
pub mod pg_tls;
pub mod pg_url;
pub mod repo;
pub use pg_read::APPLICATION_NAME as PG_LOOKUP_APPLICATION_NAME;
pub use pg_url::PgUrl;
mod sqlite_read;
#[cfg(feature = "test-support")]
mod test_support;

pub use conn::{Backend, Db, DbError, SQLITE_FILE, Tx};
