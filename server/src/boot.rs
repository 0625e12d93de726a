//! Start-up shared by the server and the operator commands: open and migrate the
//! database, load the server secret, and check that the two belong together.

use crate::config::GlobalArgs;
use gtx_core::clock::SystemClock;
use gtx_core::db::{Backend, Db, DbError};
use gtx_core::error::CoreError;
use gtx_core::keys::{SecretError, ServerSecret};
use gtx_core::services::Services;
use gtx_core::services::key_cache::KeyCache;
use std::sync::Arc;

/// Why start-up failed. Each message says what to do.
#[derive(Debug, thiserror::Error)]
pub enum BootError {
    /// The database could not be opened or migrated.
    #[error("database: {0}")]
    Db(#[from] DbError),
    /// The secret could not be loaded.
    #[error("{0}")]
    Secret(#[from] SecretError),
    /// PostgreSQL without a configured secret.
    #[error(
        "with DATABASE_URL set, give every instance the same server secret: set GTX_SERVER_SECRET \
         (64 hex characters, e.g. from `openssl rand -hex 32`) or GTX_SERVER_SECRET_FILE"
    )]
    SecretRequired,
    /// The secret does not match the database, or another service check failed.
    #[error("{0}")]
    Core(#[from] CoreError),
}

/// Loads the server secret: `GTX_SERVER_SECRET`, else the configured file, else (SQLite
/// only) `<data-dir>/server-secret`, generated on first run.
pub fn load_secret(args: &GlobalArgs, backend: Backend) -> Result<ServerSecret, BootError> {
    if let Ok(hex) = std::env::var("GTX_SERVER_SECRET") {
        return Ok(ServerSecret::from_hex(&hex)?);
    }
    if let Some(path) = &args.server_secret_file {
        let text = std::fs::read_to_string(path).map_err(|source| SecretError::Io {
            path: path.clone(),
            source,
        })?;
        return Ok(ServerSecret::from_hex(&text)?);
    }
    let default_file = args.data_dir.join(ServerSecret::FILE_NAME);
    if backend == Backend::Postgres && !default_file.exists() {
        return Err(BootError::SecretRequired);
    }
    let (secret, created) = ServerSecret::load_or_create(&args.data_dir)?;
    if created {
        tracing::info!(path = %default_file.display(), "generated a new server secret (owner-only permissions)");
    }
    Ok(secret)
}

/// Opens the database, applies migrations, loads the secret and checks it.
pub async fn services(args: &GlobalArgs) -> Result<Services, BootError> {
    create_private_dir(&args.data_dir)?;
    let db = Db::open(args.database_url.as_deref(), &args.data_dir).await?;
    db.migrate().await?;
    let secret = load_secret(args, db.backend())?;
    let cache = KeyCache::new(
        args.key_cache_capacity,
        std::time::Duration::from_secs(args.key_cache_ttl),
    );
    let services = Services::new(db, Arc::new(secret), Arc::new(SystemClock))
        .with_key_cache(cache)
        .with_usage_retention_days(args.usage_retention_days)
        .with_webhooks(gtx_core::services::webhooks::WebhookSettings {
            allow_private: args.webhooks_allow_private,
            ..Default::default()
        })
        .with_usage_flush(std::time::Duration::from_secs(args.usage_flush_seconds));
    services.check_server_secret().await?;
    Ok(services)
}

/// Creates the data directory, readable by its owner only, when it does not exist yet.
/// An existing directory is left as the operator set it up.
fn create_private_dir(path: &std::path::Path) -> Result<(), BootError> {
    if path.exists() {
        return Ok(());
    }
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::DirBuilderExt;
        builder.mode(0o700);
    }
    builder.create(path).map_err(|source| {
        BootError::Db(DbError::DataDir {
            path: path.display().to_string(),
            source,
        })
    })
}
