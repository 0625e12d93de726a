//! Users.

use crate::db::DbError;
use crate::db::models::User;
use crate::domain::UserId;
use crate::domain::key_list::{Page, PageRequest};
use sqlx::any::AnyRow;
use sqlx::{Any, AnyConnection, Executor, Row};

const COLUMNS: &str = "id, email, name, password_hash, created_at";

fn from_row(row: &AnyRow) -> Result<User, DbError> {
    Ok(User {
        id: UserId(row.try_get("id")?),
        email: row.try_get("email")?,
        name: row.try_get("name")?,
        password_hash: row.try_get("password_hash")?,
        created_at: row.try_get("created_at")?,
    })
}

/// Inserts a user. The email must already be validated and lowercased.
pub async fn insert<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    user: &User,
) -> Result<(), DbError> {
    sqlx::query("INSERT INTO users (id, email, name, password_hash, created_at) VALUES ($1, $2, $3, $4, $5)")
        .bind(user.id.as_str())
        .bind(user.email.as_str())
        .bind(user.name.as_str())
        .bind(user.password_hash.as_deref())
        .bind(user.created_at)
        .execute(ex)
        .await?;
    Ok(())
}

/// A user by id.
pub async fn get<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    id: &UserId,
) -> Result<Option<User>, DbError> {
    let sql = sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM users WHERE id = $1"));
    let row = sqlx::query(sql)
        .bind(id.as_str())
        .fetch_optional(ex)
        .await?;
    row.as_ref().map(from_row).transpose()
}

/// A user by (lowercased) email.
pub async fn get_by_email<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    email: &str,
) -> Result<Option<User>, DbError> {
    let sql = sqlx::AssertSqlSafe(format!("SELECT {COLUMNS} FROM users WHERE email = $1"));
    let row = sqlx::query(sql).bind(email).fetch_optional(ex).await?;
    row.as_ref().map(from_row).transpose()
}

/// Replaces a user's password hash; false when the user does not exist.
pub async fn set_password_hash<'e, E: Executor<'e, Database = Any>>(
    ex: E,
    id: &UserId,
    password_hash: &str,
) -> Result<bool, DbError> {
    let done = sqlx::query("UPDATE users SET password_hash = $2 WHERE id = $1")
        .bind(id.as_str())
        .bind(password_hash)
        .execute(ex)
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Whether any user exists (false until first-run setup is done).
pub async fn any_exists<'e, E: Executor<'e, Database = Any>>(ex: E) -> Result<bool, DbError> {
    let row = sqlx::query("SELECT 1 AS present FROM users LIMIT 1")
        .fetch_optional(ex)
        .await?;
    Ok(row.is_some())
}

/// One page of an organisation's members with their roles, by email, narrowed to those
/// whose email or name contains `search` (any case).
pub async fn page_org_members(
    conn: &mut AnyConnection,
    org_id: &crate::domain::OrgId,
    search: Option<&str>,
    at: PageRequest,
) -> Result<Page<(User, crate::domain::Role)>, DbError> {
    const FROM: &str = "FROM users u JOIN memberships m ON m.user_id = u.id WHERE m.org_id = $1 \
         AND ($2 IS NULL OR LOWER(u.email) LIKE $2 ESCAPE '\\' OR LOWER(u.name) LIKE $2 ESCAPE '\\')";
    let pattern = search.map(super::like_pattern);
    let sql = sqlx::AssertSqlSafe(format!("SELECT COUNT(*) AS n {FROM}"));
    let row = sqlx::query(sql)
        .bind(org_id.as_str())
        .bind(pattern.clone())
        .fetch_one(&mut *conn)
        .await?;
    let matching = super::count_of(&row)?;
    let window = super::Window::of(at, matching);
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT u.id, u.email, u.name, u.password_hash, u.created_at, m.role {FROM} \
         ORDER BY u.email LIMIT $3 OFFSET $4"
    ));
    let rows = sqlx::query(sql)
        .bind(org_id.as_str())
        .bind(pattern)
        .bind(window.limit)
        .bind(window.offset)
        .fetch_all(&mut *conn)
        .await?;
    let rows = rows
        .iter()
        .map(|row| Ok((from_row(row)?, super::parse_col(row, "role")?)))
        .collect::<Result<_, DbError>>()?;
    Ok(Page {
        rows,
        matching,
        total: matching,
        page: window.page,
        more: false,
        total_more: false,
    })
}
