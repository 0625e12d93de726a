//! API keys. Revocation is a soft delete; rotation links old and new keys.

mod pages;

pub use pages::page;
pub(crate) use pages::page_in_place;

use crate::db::DbError;
use crate::db::key_row::{COLUMNS, decode, decode_with_digest};
use crate::db::models::{ApiKeyRecord, NewApiKey};
#[cfg(feature = "test-support")]
use crate::domain::key_list::KeyListQuery;
use crate::domain::{KeyId, OrgId, PermissionSet, ProjectId, UserId};
use sqlx::any::AnyRow;
use sqlx::{Any, Executor, Row};

fn from_row(row: &AnyRow) -> Result<ApiKeyRecord, DbError> {
    decode(row)
}

/// Inserts a key. A name already used by a live key of the same scope violates the
/// `api_keys_active_name` index.
pub async fn insert<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    k: &NewApiKey,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO api_keys (id, org_id, project_id, key_type, name, digest, hash_version, hint, \
         permissions, created_by, created_by_label, created_at, expires_at, rotated_from, \
         description, ip_allowlist) \
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)",
    )
    .bind(k.id.as_str())
    .bind(k.org_id.as_str())
    .bind(k.project_id.as_ref().map(ProjectId::as_str))
    .bind(k.key_type.as_str())
    .bind(k.name.as_str())
    .bind(k.digest.as_slice())
    .bind(k.hash_version)
    .bind(k.hint.as_str())
    .bind(k.permissions.bits())
    .bind(k.created_by.as_ref().map(UserId::as_str))
    .bind(k.created_by_label.as_str())
    .bind(k.created_at)
    .bind(k.expires_at)
    .bind(k.rotated_from.as_ref().map(KeyId::as_str))
    .bind(k.description.as_str())
    .bind(k.ip_allowlist.to_stored())
    .execute(ex)
    .await?;
    Ok(())
}

/// The key whose digest this is, with its stored digest (for the constant-time check).
pub async fn find_by_digest<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    digest: &[u8; 32],
) -> Result<Option<(ApiKeyRecord, Vec<u8>)>, DbError> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS}, digest FROM api_keys WHERE digest = $1"
    ));
    let row = sqlx::query(sql)
        .bind(digest.as_slice())
        .fetch_optional(ex)
        .await?;
    match row {
        Some(row) => Ok(Some(decode_with_digest(&row)?)),
        None => Ok(None),
    }
}

/// One key of an organisation.
pub async fn get<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    org_id: &OrgId,
    id: &KeyId,
) -> Result<Option<ApiKeyRecord>, DbError> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM api_keys WHERE id = $1 AND org_id = $2"
    ));
    let row = sqlx::query(sql)
        .bind(id.as_str())
        .bind(org_id.as_str())
        .fetch_optional(ex)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// A key by id alone: only for the operator CLI, which may act on any organisation.
pub async fn get_unscoped<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    id: &KeyId,
) -> Result<Option<ApiKeyRecord>, DbError> {
    let sql = sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM api_keys WHERE id = $1"));
    let row = sqlx::query(sql)
        .bind(id.as_str())
        .fetch_optional(ex)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// A key of an organisation `user_id` belongs to: scoped by the user's memberships in
/// the query itself, so an id from another tenant finds nothing.
pub async fn get_for_member<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    id: &KeyId,
    user_id: &UserId,
) -> Result<Option<ApiKeyRecord>, DbError> {
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT {COLUMNS} FROM api_keys WHERE id = $1 \
         AND org_id IN (SELECT org_id FROM memberships WHERE user_id = $2)"
    ));
    let row = sqlx::query(sql)
        .bind(id.as_str())
        .bind(user_id.as_str())
        .fetch_optional(ex)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// Every key of a project, newest first (tests).
#[cfg(feature = "test-support")]
pub async fn list_for_project(
    pool: &sqlx::AnyPool,
    org_id: &OrgId,
    project_id: &ProjectId,
) -> Result<Vec<ApiKeyRecord>, DbError> {
    let mut conn = pool.acquire().await?;
    let view = KeyListQuery::all();
    Ok(page(&mut conn, org_id, Some(project_id), &view, 0)
        .await?
        .rows)
}

/// Every organisation key of an organisation, newest first (tests).
#[cfg(feature = "test-support")]
pub async fn list_for_org(
    pool: &sqlx::AnyPool,
    org_id: &OrgId,
) -> Result<Vec<ApiKeyRecord>, DbError> {
    let mut conn = pool.acquire().await?;
    Ok(page(&mut conn, org_id, None, &KeyListQuery::all(), 0)
        .await?
        .rows)
}

/// Revokes a live key of the organisation. Returns false when there is no such key or it
/// was already revoked (the first revocation's time and actor are kept).
pub async fn revoke<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    org_id: &OrgId,
    id: &KeyId,
    now: i64,
    by_label: &str,
) -> Result<bool, DbError> {
    let done = sqlx::query(
        "UPDATE api_keys SET revoked_at = $3, revoked_by_label = $4 \
         WHERE id = $1 AND org_id = $2 AND revoked_at IS NULL",
    )
    .bind(id.as_str())
    .bind(org_id.as_str())
    .bind(now)
    .bind(by_label)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// A change to one setting of a key that is not revoked.
#[derive(Clone, Copy, Debug)]
pub enum KeyChange<'a> {
    /// Disable it (at this time); only an enabled key.
    Disable(i64),
    /// Enable it; only a disabled key.
    Enable,
    /// Set its description.
    Description(&'a str),
    /// Set its allow-list (stored form; `None` for any address).
    IpAllowList(Option<&'a str>),
    /// Set its permissions; only an organisation key.
    Permissions(PermissionSet),
    /// End its rotation's grace period at this time; only a replaced key whose grace
    /// period has not ended.
    EndGrace(i64),
    /// Rename it (the live-name index refuses a name taken in its scope).
    Name(&'a str),
    /// Move its expiry to this time; only earlier than it was (or than never).
    Expiry(i64),
}

/// Applies `change` to a key of the organisation that is not revoked. Returns false when
/// there is no such key, or the change does not apply to it (see [`KeyChange`]).
pub async fn change<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    org_id: &OrgId,
    id: &KeyId,
    change: KeyChange<'_>,
) -> Result<bool, DbError> {
    let (set, only_if) = match change {
        KeyChange::Disable(_) => ("disabled_at = $3", "disabled_at IS NULL"),
        KeyChange::Enable => ("disabled_at = NULL", "disabled_at IS NOT NULL"),
        KeyChange::Description(_) => ("description = $3", "TRUE"),
        KeyChange::IpAllowList(_) => ("ip_allowlist = $3", "TRUE"),
        KeyChange::Permissions(_) => ("permissions = $3", "key_type = 'organisation'"),
        KeyChange::EndGrace(_) => (
            "expires_at = $3",
            "replaced_by IS NOT NULL AND expires_at > $3",
        ),
        KeyChange::Name(_) => ("name = $3", "TRUE"),
        KeyChange::Expiry(_) => ("expires_at = $3", "(expires_at IS NULL OR expires_at > $3)"),
    };
    let sql = sqlx::AssertSqlSafe(format!(
        "UPDATE api_keys SET {set} WHERE id = $1 AND org_id = $2 AND revoked_at IS NULL AND {only_if}"
    ));
    let query = sqlx::query(sql).bind(id.as_str()).bind(org_id.as_str());
    let query = match change {
        KeyChange::Disable(at) | KeyChange::EndGrace(at) | KeyChange::Expiry(at) => query.bind(at),
        KeyChange::Name(name) => query.bind(name),
        KeyChange::Enable => query,
        KeyChange::Description(text) => query.bind(text),
        KeyChange::IpAllowList(stored) => query.bind(stored),
        KeyChange::Permissions(set) => query.bind(set.bits()),
    };
    Ok(query.execute(ex).await?.rows_affected() == 1)
}

/// Up to `limit` keys of an organisation that still work and are enabled but were last
/// used (or, never used, created) before `before`.
pub async fn unused_since<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    org_id: &OrgId,
    before: i64,
    now: i64,
    limit: i64,
) -> Result<Vec<KeyId>, DbError> {
    let rows = sqlx::query(
        "SELECT id FROM api_keys WHERE org_id = $1 AND revoked_at IS NULL AND disabled_at IS NULL \
         AND (expires_at IS NULL OR expires_at > $3) AND COALESCE(last_used_at, created_at) < $2 \
         ORDER BY id LIMIT $4",
    )
    .bind(org_id.as_str())
    .bind(before)
    .bind(now)
    .bind(limit)
    .fetch_all(ex)
    .await?;
    rows.iter()
        .map(|row| Ok(KeyId(row.try_get("id")?)))
        .collect()
}

/// Marks a key as replaced by `new_id` and makes it stop working at `expires_at`.
/// Returns false when the key is not live (revoked or already rotated).
pub async fn mark_replaced<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    org_id: &OrgId,
    id: &KeyId,
    new_id: &KeyId,
    expires_at: i64,
) -> Result<bool, DbError> {
    let done = sqlx::query(
        "UPDATE api_keys SET replaced_by = $3, expires_at = $4 \
         WHERE id = $1 AND org_id = $2 AND revoked_at IS NULL AND replaced_by IS NULL",
    )
    .bind(id.as_str())
    .bind(org_id.as_str())
    .bind(new_id.as_str())
    .bind(expires_at)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// Records a last-used time gathered in memory, keeping the later of stored and new.
/// Returns whether the stored time moved.
pub async fn touch_last_used<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    id: &KeyId,
    used_at: i64,
) -> Result<bool, DbError> {
    let done = sqlx::query(
        "UPDATE api_keys SET last_used_at = $2 WHERE id = $1 AND (last_used_at IS NULL OR last_used_at < $2)",
    )
    .bind(id.as_str())
    .bind(used_at)
    .execute(ex)
    .await?;
    Ok(done.rows_affected() == 1)
}

/// How many keys that are not revoked were digested under a scheme version.
pub async fn count_live_by_hash_version<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    hash_version: i64,
) -> Result<i64, DbError> {
    let row = sqlx::query(
        "SELECT COUNT(*) AS n FROM api_keys WHERE hash_version = $1 AND revoked_at IS NULL",
    )
    .bind(hash_version)
    .fetch_one(ex)
    .await?;
    Ok(row.try_get("n")?)
}
