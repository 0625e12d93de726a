//! Integration tests of the server crate: the real router (through `oneshot`) and the
//! real `gtx-keys` binary, against a real SQLite file and a real PostgreSQL server.
//!
//! Run: `GTX_TEST_DATABASE_URL=postgres://gtx:gtx@127.0.0.1:5432/gtx_test \
//!       cargo test -p gtx-keys --test server`. Without `GTX_TEST_DATABASE_URL` the
//! PostgreSQL variants are skipped with a note, unless `CI` is set: then they fail.

// A panic is how a test fails; helpers outside `#[test]` fns may unwrap too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
mod common;

mod api;
mod authz;
mod cli;
mod dashboard;
mod keys;
mod network;
mod pg_tls;
mod security;
mod site;
mod startup;
mod webhooks;
