//! The one decoder of an `api_keys` row, for all three drivers that read keys: sqlx
//! (every repository query), rusqlite (the in-place lookup on SQLite) and tokio-postgres
//! (the pipelined lookup on PostgreSQL).
//!
//! The columns are listed once, in [`key_columns!`]: that list makes both the `SELECT`
//! text ([`COLUMNS`]) and the positions the decoder reads ([`Col`]), so a new column is
//! one line here plus the field in [`ApiKeyRecord`], and position and name cannot drift
//! apart. Each driver only says how to read a text, an integer or bytes at a position.

use super::models::ApiKeyRecord;
use crate::domain::{IpAllowList, KeyId, KeyType, OrgId, PermissionSet, ProjectId, UserId};

/// Defines [`COLUMNS`] and [`Col`] from one list of column names.
macro_rules! key_columns {
    ($first:ident $(, $rest:ident)* $(,)?) => {
        /// The key columns, in [`Col`] order, for `SELECT {COLUMNS} …`.
        pub(crate) const COLUMNS: &str =
            concat!(stringify!($first) $(, ", ", stringify!($rest))*);

        /// The position of each column in [`COLUMNS`].
        #[allow(non_camel_case_types)]
        #[derive(Clone, Copy, Debug)]
        pub(crate) enum Col {
            $first,
            $($rest,)*
        }

        impl Col {
            /// The column's name.
            pub(crate) fn name(self) -> &'static str {
                match self {
                    Col::$first => stringify!($first),
                    $(Col::$rest => stringify!($rest),)*
                }
            }
        }
    };
}

key_columns!(
    id,
    org_id,
    project_id,
    key_type,
    name,
    hash_version,
    hint,
    permissions,
    created_by,
    created_by_label,
    created_at,
    expires_at,
    revoked_at,
    revoked_by_label,
    rotated_from,
    replaced_by,
    last_used_at,
    description,
    disabled_at,
    ip_allowlist,
);

/// How many key columns there are: a `SELECT {COLUMNS}, digest` has the digest here.
pub(crate) const DIGEST: usize = Col::ip_allowlist as usize + 1;

/// A row as one driver reads it, by position.
pub(crate) trait KeyRow {
    /// The driver's error.
    type Error;
    /// A text column.
    fn text(&self, i: usize) -> Result<String, Self::Error>;
    /// A nullable text column.
    fn opt_text(&self, i: usize) -> Result<Option<String>, Self::Error>;
    /// An integer column.
    fn int(&self, i: usize) -> Result<i64, Self::Error>;
    /// A nullable integer column.
    fn opt_int(&self, i: usize) -> Result<Option<i64>, Self::Error>;
    /// A byte-string column.
    fn bytes(&self, i: usize) -> Result<Vec<u8>, Self::Error>;
    /// The error for a value this version cannot read (e.g. an unknown key type).
    fn corrupt(column: &'static str) -> Self::Error;
}

/// Decodes the key columns of `row` (a `SELECT {COLUMNS} …`).
pub(crate) fn decode<R: KeyRow>(row: &R) -> Result<ApiKeyRecord, R::Error> {
    let text = |c: Col| row.text(c as usize);
    let opt_text = |c: Col| row.opt_text(c as usize);
    let opt_int = |c: Col| row.opt_int(c as usize);
    let key_type: KeyType = text(Col::key_type)?
        .parse()
        .map_err(|_| R::corrupt(Col::key_type.name()))?;
    let permissions = PermissionSet::from_bits(row.int(Col::permissions as usize)?)
        .ok_or_else(|| R::corrupt(Col::permissions.name()))?;
    Ok(ApiKeyRecord {
        id: KeyId(text(Col::id)?),
        org_id: OrgId(text(Col::org_id)?),
        project_id: opt_text(Col::project_id)?.map(ProjectId),
        key_type,
        name: text(Col::name)?,
        hash_version: row.int(Col::hash_version as usize)?,
        hint: text(Col::hint)?,
        permissions,
        created_by: opt_text(Col::created_by)?.map(UserId),
        created_by_label: text(Col::created_by_label)?,
        created_at: row.int(Col::created_at as usize)?,
        expires_at: opt_int(Col::expires_at)?,
        revoked_at: opt_int(Col::revoked_at)?,
        revoked_by_label: opt_text(Col::revoked_by_label)?,
        rotated_from: opt_text(Col::rotated_from)?.map(KeyId),
        replaced_by: opt_text(Col::replaced_by)?.map(KeyId),
        last_used_at: opt_int(Col::last_used_at)?,
        description: text(Col::description)?,
        disabled_at: opt_int(Col::disabled_at)?,
        ip_allowlist: match opt_text(Col::ip_allowlist)? {
            Some(stored) => IpAllowList::parse("ip_allowlist", &stored)
                .map_err(|_| R::corrupt(Col::ip_allowlist.name()))?,
            None => IpAllowList::default(),
        },
    })
}

/// Decodes a `SELECT {COLUMNS}, digest …` row: the key and its stored digest.
pub(crate) fn decode_with_digest<R: KeyRow>(row: &R) -> Result<(ApiKeyRecord, Vec<u8>), R::Error> {
    Ok((decode(row)?, row.bytes(DIGEST)?))
}

impl KeyRow for sqlx::any::AnyRow {
    type Error = super::DbError;

    fn text(&self, i: usize) -> Result<String, Self::Error> {
        Ok(sqlx::Row::try_get(self, i)?)
    }
    fn opt_text(&self, i: usize) -> Result<Option<String>, Self::Error> {
        Ok(sqlx::Row::try_get(self, i)?)
    }
    fn int(&self, i: usize) -> Result<i64, Self::Error> {
        Ok(sqlx::Row::try_get(self, i)?)
    }
    fn opt_int(&self, i: usize) -> Result<Option<i64>, Self::Error> {
        Ok(sqlx::Row::try_get(self, i)?)
    }
    fn bytes(&self, i: usize) -> Result<Vec<u8>, Self::Error> {
        Ok(sqlx::Row::try_get(self, i)?)
    }
    fn corrupt(column: &'static str) -> Self::Error {
        super::DbError::Corrupt { column }
    }
}

impl KeyRow for rusqlite::Row<'_> {
    type Error = rusqlite::Error;

    fn text(&self, i: usize) -> Result<String, Self::Error> {
        self.get(i)
    }
    fn opt_text(&self, i: usize) -> Result<Option<String>, Self::Error> {
        self.get(i)
    }
    fn int(&self, i: usize) -> Result<i64, Self::Error> {
        self.get(i)
    }
    fn opt_int(&self, i: usize) -> Result<Option<i64>, Self::Error> {
        self.get(i)
    }
    fn bytes(&self, i: usize) -> Result<Vec<u8>, Self::Error> {
        self.get(i)
    }
    fn corrupt(column: &'static str) -> Self::Error {
        rusqlite::Error::FromSqlConversionFailure(
            0,
            rusqlite::types::Type::Text,
            format!("unreadable value in column {column}").into(),
        )
    }
}

impl KeyRow for tokio_postgres::Row {
    type Error = super::pg_read::PgReadError;

    fn text(&self, i: usize) -> Result<String, Self::Error> {
        Ok(self.try_get(i)?)
    }
    fn opt_text(&self, i: usize) -> Result<Option<String>, Self::Error> {
        Ok(self.try_get(i)?)
    }
    fn int(&self, i: usize) -> Result<i64, Self::Error> {
        Ok(self.try_get(i)?)
    }
    fn opt_int(&self, i: usize) -> Result<Option<i64>, Self::Error> {
        Ok(self.try_get(i)?)
    }
    fn bytes(&self, i: usize) -> Result<Vec<u8>, Self::Error> {
        Ok(self.try_get(i)?)
    }
    fn corrupt(column: &'static str) -> Self::Error {
        super::pg_read::PgReadError::Corrupt(column)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn columns_and_positions_come_from_one_list() {
        let names: Vec<&str> = COLUMNS.split(", ").collect();
        assert_eq!(names.len(), DIGEST);
        assert_eq!(names[Col::id as usize], Col::id.name());
        assert_eq!(names[Col::key_type as usize], "key_type");
        assert_eq!(names[Col::permissions as usize], "permissions");
        assert_eq!(names[DIGEST - 1], "ip_allowlist");
    }
}
