//! Repository and service tests. Every test body runs unchanged against SQLite (a fresh
//! temp file) and PostgreSQL (a fresh schema in the database named by
//! `GTX_TEST_DATABASE_URL`): see `common` for the harness.
//!
//! Run: `GTX_TEST_DATABASE_URL=postgres://gtx:gtx@127.0.0.1:5432/gtx_test \
//!       cargo test -p gtx-core --features test-support --test storage`

// A panic is how a test fails; helpers outside `#[test]` fns may unwrap too.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[macro_use]
mod common;

mod storage {
    mod audit;
    mod key_changes;
    mod key_controls;
    mod key_management;
    mod keys;
    mod migrations;
    mod orgs;
    mod policy;
    mod projects;
    mod rotation;
    mod secret_checks;
    mod services;
    mod sessions;
    mod usage;
    mod users;
}
