//! PostgreSQL over TLS: every connection the server opens (the pool, the pipelined key
//! lookups, the key-change listener) honours `sslmode` and `sslrootcert`.
//!
//! Debian's PostgreSQL runs with `ssl = on` and a self-signed certificate for
//! `localhost` (`/etc/ssl/certs/ssl-cert-snakeoil.pem`): `require` works on 127.0.0.1,
//! and `verify-full` works on `localhost` with that file as the trusted root.

use gtx_core::clock::SystemClock;
use gtx_core::db::{Db, PG_LOOKUP_APPLICATION_NAME, PgUrl};
use gtx_core::keys::ServerSecret;
use gtx_core::services::key_cache::KeyCache;
use gtx_core::services::{Actor, KeyScope, NewKey, Services};
use secrecy::ExposeSecret;
use sqlx::Row;
use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

/// The certificate Debian's PostgreSQL serves.
const SNAKEOIL: &str = "/etc/ssl/certs/ssl-cert-snakeoil.pem";
/// Trusted roots that did not sign it.
const WRONG_CA: &str = "/etc/ssl/certs/ca-certificates.crt";

/// A database of its own for one test (so its connections can be told from every other
/// test's in `pg_stat_activity`), dropped at the end.
struct TestDatabase {
    base: String,
    name: String,
    url: PgUrl,
}

impl TestDatabase {
    async fn create(test: &str) -> Option<Self> {
        let base = crate::common::postgres_url(test)?;
        assert!(
            std::path::Path::new(SNAKEOIL).exists(),
            "{SNAKEOIL} is missing: PostgreSQL's TLS certificate (Debian's ssl-cert package)"
        );
        let name = format!("gtx_tls_{test}_{}", std::process::id());
        let admin = Db::connect_postgres(&base, None).await.expect("connect");
        let drop_sql = format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)");
        sqlx::query(sqlx::AssertSqlSafe(drop_sql))
            .execute(admin.pool())
            .await
            .expect("drop old database");
        let create_sql = format!("CREATE DATABASE \"{name}\"");
        sqlx::query(sqlx::AssertSqlSafe(create_sql))
            .execute(admin.pool())
            .await
            .expect("create database");
        admin.close().await;
        let url = PgUrl::parse(&base).expect("test URL");
        Some(Self { base, name, url })
    }

    /// A URL for this database on `host` with these query parameters.
    fn url(&self, host: &str, query: &str) -> String {
        let password = self
            .url
            .password
            .as_ref()
            .map(|p| format!(":{}", p.expose_secret()))
            .unwrap_or_default();
        format!(
            "postgres://{}{password}@{host}:{}/{}?{query}",
            self.url.user, self.url.port, self.name
        )
    }

    /// `application_name` → `ssl` of every connection to this database.
    async fn connections(&self) -> BTreeMap<String, Vec<bool>> {
        let admin = Db::connect_postgres(&self.base, None)
            .await
            .expect("connect");
        let rows = sqlx::query(
            "SELECT a.application_name AS app, s.ssl AS ssl FROM pg_stat_activity a \
             JOIN pg_stat_ssl s ON s.pid = a.pid WHERE a.datname = $1",
        )
        .bind(&self.name)
        .fetch_all(admin.pool())
        .await
        .expect("pg_stat_ssl");
        admin.close().await;
        let mut out: BTreeMap<String, Vec<bool>> = BTreeMap::new();
        for row in rows {
            out.entry(row.get("app")).or_default().push(row.get("ssl"));
        }
        out
    }

    async fn drop(self) {
        let admin = Db::connect_postgres(&self.base, None)
            .await
            .expect("connect");
        let sql = format!("DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)", self.name);
        if let Err(e) = sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(admin.pool())
            .await
        {
            eprintln!("could not drop {}: {e}", self.name);
        }
        admin.close().await;
    }
}

/// Services over `db` with the key cache off, so every verify reaches the database.
async fn services(db: Db) -> Services {
    db.migrate().await.expect("migrate");
    let services = Services::new(
        db,
        Arc::new(ServerSecret::generate()),
        Arc::new(SystemClock),
    )
    .with_key_cache(KeyCache::new(0, Duration::from_secs(30)));
    services.check_server_secret().await.expect("secret");
    services
}

#[tokio::test]
async fn every_connection_uses_tls_with_sslmode_require() {
    let Some(database) = TestDatabase::create("require").await else {
        return;
    };
    let url = database.url("127.0.0.1", "sslmode=require&application_name=gtx-tls-pool");
    let db = Db::connect_postgres(&url, None)
        .await
        .expect("connect with TLS");
    let services = services(db).await;
    let mut key_sync = services.start_key_sync();
    tokio::time::timeout(Duration::from_secs(30), key_sync.ready())
        .await
        .expect("listener ready");
    // A key, verified: the lookup goes over the pipelined connections.
    let org = services
        .create_org(&Actor::operator(), "TLS")
        .await
        .expect("org");
    let project = services
        .create_project(&Actor::operator(), &org.id, "Web", None)
        .await
        .expect("project");
    let created = services
        .create_key(
            &Actor::operator(),
            NewKey {
                scope: KeyScope::Project {
                    project_id: project.id.clone(),
                    key_type: gtx_core::domain::KeyType::Production,
                },
                name: "tls".into(),
                expires_at: None,
                description: String::new(),
            },
        )
        .await
        .expect("key");
    let found = services
        .db()
        .find_key_by_digest_fast(&services.secret().digest(created.key.expose()).0)
        .await
        .expect("a pipelined lookup over TLS");
    assert!(found.is_some());

    let connections = database.connections().await;
    for name in [
        "gtx-tls-pool",
        PG_LOOKUP_APPLICATION_NAME,
        "gtx-keys key listener",
    ] {
        let ssl = connections
            .get(name)
            .unwrap_or_else(|| panic!("no connection named {name}: {connections:?}"));
        assert!(
            ssl.iter().all(|on| *on),
            "{name} without TLS: {connections:?}"
        );
    }
    assert!(
        connections.values().flatten().all(|on| *on),
        "a connection without TLS: {connections:?}"
    );
    drop(key_sync);
    services.db().close().await;
    database.drop().await;
}

#[tokio::test]
async fn verify_full_accepts_the_right_ca_and_refuses_a_wrong_one() {
    let Some(database) = TestDatabase::create("verify_full").await else {
        return;
    };
    let right = database.url(
        "localhost",
        &format!("sslmode=verify-full&sslrootcert={SNAKEOIL}"),
    );
    let db = Db::connect_postgres(&right, None)
        .await
        .expect("verify-full with the server's own CA");
    // The pipelined lookups verify the same way (and find nothing in an empty table).
    let services = services(db).await;
    let lookup = services.db().find_key_by_digest_fast(&[7; 32]).await;
    assert!(matches!(lookup, Ok(None)), "{lookup:?}");
    services.db().close().await;

    let wrong = database.url(
        "localhost",
        &format!("sslmode=verify-full&sslrootcert={WRONG_CA}"),
    );
    let err = Db::connect_postgres(&wrong, None)
        .await
        .expect_err("a certificate no trusted root signed");
    let message = err.to_string();
    assert!(
        message.contains("TLS") || message.contains("certificate"),
        "{message}"
    );
    // verify-ca checks the chain too (but not the name: 127.0.0.1 is fine).
    let ca_only = database.url(
        "127.0.0.1",
        &format!("sslmode=verify-ca&sslrootcert={SNAKEOIL}"),
    );
    Db::connect_postgres(&ca_only, None)
        .await
        .expect("verify-ca with the right CA")
        .close()
        .await;
    let ca_wrong = database.url(
        "127.0.0.1",
        &format!("sslmode=verify-ca&sslrootcert={WRONG_CA}"),
    );
    assert!(Db::connect_postgres(&ca_wrong, None).await.is_err());
    database.drop().await;
}
