//! Checks made once at start.

use super::Services;
use crate::db::repo::{keys, secret_checks};
use crate::error::{CoreError, CoreResult};
use crate::keys::HASH_VERSION;

impl Services {
    /// Makes sure the database's keys were digested under this server's secret.
    ///
    /// First start: the secret's check value is stored. Later starts: a different check
    /// value with live keys in the database refuses the start (every key would fail);
    /// with no live keys, the new secret's check value replaces the old one.
    pub async fn check_server_secret(&self) -> CoreResult<()> {
        let check = self.secret.check_value();
        let mut tx = self.db.begin().await?;
        match secret_checks::get(&mut *tx, HASH_VERSION).await? {
            Some(stored) if stored.as_slice() == check.as_bytes() => return Ok(()),
            Some(_) => {
                let live_keys = keys::count_live_by_hash_version(&mut *tx, HASH_VERSION).await?;
                if live_keys > 0 {
                    return Err(CoreError::SecretMismatch { live_keys });
                }
                tracing::warn!("server secret changed; no live keys depend on the old one");
            }
            None => {}
        }
        secret_checks::put(&mut *tx, HASH_VERSION, check.as_bytes(), self.now()).await?;
        tx.commit().await?;
        Ok(())
    }
}

impl Services {
    /// A trivial query, for health checks.
    pub async fn ping(&self) -> CoreResult<()> {
        sqlx::query("SELECT 1").execute(self.db.pool()).await?;
        Ok(())
    }
}
