//! Organisations and memberships.

use super::parse_col;
use crate::db::DbError;
use crate::db::models::{Membership, Organisation};
use crate::domain::policy::OrgPolicy;
use crate::domain::status::Role;
use crate::domain::{OrgId, UserId};
use sqlx::any::AnyRow;
use sqlx::{Any, Executor, Row};

fn org_from_row(row: &AnyRow) -> Result<Organisation, DbError> {
    Ok(Organisation {
        id: OrgId(row.try_get("id")?),
        name: row.try_get("name")?,
        created_at: row.try_get("created_at")?,
    })
}

fn membership_from_row(row: &AnyRow) -> Result<Membership, DbError> {
    Ok(Membership {
        org_id: OrgId(row.try_get("org_id")?),
        user_id: UserId(row.try_get("user_id")?),
        role: parse_col(row, "role")?,
        created_at: row.try_get("created_at")?,
    })
}

/// Inserts an organisation.
pub async fn insert<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    org: &Organisation,
) -> Result<(), DbError> {
    sqlx::query("INSERT INTO organisations (id, name, created_at) VALUES ($1, $2, $3)")
        .bind(org.id.as_str())
        .bind(org.name.as_str())
        .bind(org.created_at)
        .execute(ex)
        .await?;
    Ok(())
}

/// One organisation.
pub async fn get<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    id: &OrgId,
) -> Result<Option<Organisation>, DbError> {
    let row = sqlx::query("SELECT id, name, created_at FROM organisations WHERE id = $1")
        .bind(id.as_str())
        .fetch_optional(ex)
        .await?;
    row.as_ref().map(org_from_row).transpose()
}

/// Every organisation, oldest first (the operator's view).
pub async fn list_all<'e, E: Executor<'e, Database = Any>>(
    ex: E,
) -> Result<Vec<Organisation>, DbError> {
    let rows =
        sqlx::query("SELECT id, name, created_at FROM organisations ORDER BY created_at, id")
            .fetch_all(ex)
            .await?;
    rows.iter().map(org_from_row).collect()
}

/// The organisations a user belongs to, oldest first.
pub async fn list_for_user<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    user_id: &UserId,
) -> Result<Vec<Organisation>, DbError> {
    let rows = sqlx::query(
        "SELECT o.id, o.name, o.created_at FROM organisations o \
         JOIN memberships m ON m.org_id = o.id WHERE m.user_id = $1 ORDER BY o.created_at, o.id",
    )
    .bind(user_id.as_str())
    .fetch_all(ex)
    .await?;
    rows.iter().map(org_from_row).collect()
}

/// Whether any organisation exists (false on a fresh install).
pub async fn any_exists<'e, E: Executor<'e, Database = Any>>(ex: E) -> Result<bool, DbError> {
    let row = sqlx::query("SELECT 1 AS present FROM organisations LIMIT 1")
        .fetch_optional(ex)
        .await?;
    Ok(row.is_some())
}

/// Adds a member (or changes nothing when already a member: the existing role stays).
pub async fn insert_membership<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    m: &Membership,
) -> Result<(), DbError> {
    sqlx::query(
        "INSERT INTO memberships (org_id, user_id, role, created_at) VALUES ($1, $2, $3, $4) \
         ON CONFLICT (org_id, user_id) DO NOTHING",
    )
    .bind(m.org_id.as_str())
    .bind(m.user_id.as_str())
    .bind(m.role.as_str())
    .bind(m.created_at)
    .execute(ex)
    .await?;
    Ok(())
}

/// A user's membership of one organisation.
pub async fn get_membership<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    org_id: &OrgId,
    user_id: &UserId,
) -> Result<Option<Membership>, DbError> {
    let row = sqlx::query(
        "SELECT org_id, user_id, role, created_at FROM memberships WHERE org_id = $1 AND user_id = $2",
    )
    .bind(org_id.as_str())
    .bind(user_id.as_str())
    .fetch_optional(ex)
    .await?;
    row.as_ref().map(membership_from_row).transpose()
}

/// Every membership of an organisation, oldest first.
pub async fn list_memberships<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    org_id: &OrgId,
) -> Result<Vec<Membership>, DbError> {
    let rows = sqlx::query(
        "SELECT org_id, user_id, role, created_at FROM memberships WHERE org_id = $1 ORDER BY created_at, user_id",
    )
    .bind(org_id.as_str())
    .fetch_all(ex)
    .await?;
    rows.iter().map(membership_from_row).collect()
}

/// Changes a member's role; false when they are not a member.
pub async fn set_role<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    org_id: &OrgId,
    user_id: &UserId,
    role: Role,
) -> Result<bool, DbError> {
    let done = sqlx::query("UPDATE memberships SET role = $3 WHERE org_id = $1 AND user_id = $2")
        .bind(org_id.as_str())
        .bind(user_id.as_str())
        .bind(role.as_str())
        .execute(ex)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Removes a member; false when they were not one.
pub async fn delete_membership<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    org_id: &OrgId,
    user_id: &UserId,
) -> Result<bool, DbError> {
    let done = sqlx::query("DELETE FROM memberships WHERE org_id = $1 AND user_id = $2")
        .bind(org_id.as_str())
        .bind(user_id.as_str())
        .execute(ex)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// How many admins an organisation has (the last one may not leave).
pub async fn count_admins<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    org_id: &OrgId,
) -> Result<i64, DbError> {
    let row =
        sqlx::query("SELECT COUNT(*) AS n FROM memberships WHERE org_id = $1 AND role = 'admin'")
            .bind(org_id.as_str())
            .fetch_one(ex)
            .await?;
    Ok(row.try_get("n")?)
}

/// Takes the organisation's row lock until the transaction ends, so checks such as "at
/// least one admin stays" cannot race on PostgreSQL (SQLite's write transactions are
/// serial already).
pub async fn lock<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    org_id: &OrgId,
) -> Result<(), DbError> {
    sqlx::query("UPDATE organisations SET name = name WHERE id = $1")
        .bind(org_id.as_str())
        .execute(ex)
        .await?;
    Ok(())
}

/// An organisation's key policy (the default when the organisation does not exist).
pub async fn policy<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    id: &OrgId,
) -> Result<OrgPolicy, DbError> {
    let row = sqlx::query(
        "SELECT max_key_lifetime_days, disable_unused_after_days FROM organisations WHERE id = $1",
    )
    .bind(id.as_str())
    .fetch_optional(ex)
    .await?;
    match row {
        Some(row) => policy_from_row(&row),
        None => Ok(OrgPolicy::default()),
    }
}

fn policy_from_row(row: &AnyRow) -> Result<OrgPolicy, DbError> {
    let days = |column: &'static str| -> Result<Option<u32>, DbError> {
        let value: Option<i64> = row.try_get(column)?;
        value
            .map(|d| u32::try_from(d).map_err(|_| DbError::Corrupt { column }))
            .transpose()
    };
    Ok(OrgPolicy {
        max_key_lifetime_days: days("max_key_lifetime_days")?,
        disable_unused_after_days: days("disable_unused_after_days")?,
    })
}

/// Sets an organisation's key policy.
pub async fn set_policy<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    id: &OrgId,
    policy: OrgPolicy,
) -> Result<(), DbError> {
    sqlx::query(
        "UPDATE organisations SET max_key_lifetime_days = $2, disable_unused_after_days = $3 WHERE id = $1",
    )
    .bind(id.as_str())
    .bind(policy.max_key_lifetime_days.map(i64::from))
    .bind(policy.disable_unused_after_days.map(i64::from))
    .execute(ex)
    .await?;
    Ok(())
}

/// The organisations that disable unused keys, with after how many days.
pub async fn disabling_unused<'e, E: Executor<'e, Database = Any>>(
    ex: E,
) -> Result<Vec<(OrgId, u32)>, DbError> {
    let rows = sqlx::query(
        "SELECT id, disable_unused_after_days FROM organisations WHERE disable_unused_after_days IS NOT NULL",
    )
    .fetch_all(ex)
    .await?;
    rows.iter()
        .map(|row| {
            let days: i64 = row.try_get("disable_unused_after_days")?;
            let days = u32::try_from(days).map_err(|_| DbError::Corrupt {
                column: "disable_unused_after_days",
            })?;
            Ok((OrgId(row.try_get("id")?), days))
        })
        .collect()
}
