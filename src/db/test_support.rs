//! What the tests (of this crate and of the server) need from a [`Db`] beyond what
//! the product uses: built only with the `test-support` feature, which only
//! dev-dependencies turn on, so none of it is in the `gtx-keys` binary.

use super::{Db, DbError};

impl Db {
    /// The fast key lookup alone, without the fallback to the pool: in place on SQLite,
    /// pipelined on PostgreSQL. For tests and diagnostics, which must see that path work
    /// on its own (with the fallback, a broken fast path only shows as slower verifies).
    pub async fn find_key_by_digest_fast(
        &self,
        digest: &[u8; 32],
    ) -> Result<Option<(super::models::ApiKeyRecord, Vec<u8>)>, String> {
        if let Some(path) = &self.sqlite_path {
            return super::sqlite_read::find_by_digest(path, digest).map_err(|e| e.to_string());
        }
        match &self.pg_reader {
            Some(reader) => reader
                .find_by_digest(digest)
                .await
                .map_err(|e| e.to_string()),
            None => Err("no fast lookup on this database".to_owned()),
        }
    }

    /// A key page read in place on SQLite, without the fallback to the pool (see
    /// [`Db::key_page`]); an error on PostgreSQL, which has no such read.
    pub async fn key_page_in_place(
        &self,
        org_id: &crate::domain::OrgId,
        project_id: Option<&crate::domain::ProjectId>,
        view: &crate::domain::key_list::KeyListQuery,
        now: i64,
    ) -> Result<crate::domain::key_list::Page<super::models::ApiKeyRecord>, String> {
        let path = self
            .sqlite_path
            .as_ref()
            .ok_or("no in-place read on this database")?;
        super::sqlite_read::with_connection(path, |conn| {
            super::repo::keys::page_in_place(conn, org_id, project_id, view, now)
        })
        .map_err(|e: DbError| e.to_string())
    }

    /// Drops a PostgreSQL schema and everything in it (test clean-up). The name is
    /// reduced to `[A-Za-z0-9_]` before it reaches SQL.
    pub async fn drop_schema(&self, schema: &str) -> Result<(), DbError> {
        let schema: String = schema
            .chars()
            .filter(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        let sql = format!("DROP SCHEMA IF EXISTS \"{schema}\" CASCADE");
        sqlx::query(sqlx::AssertSqlSafe(sql))
            .execute(&self.pool)
            .await?;
        Ok(())
    }
}
