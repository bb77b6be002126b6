//! `reel migrate`: the control data of an embedded data dir copied into PostgreSQL, ids kept
//! (recordings and events in the data dir keep referring to the same projects and people).
//!
//! One PostgreSQL transaction copies every table, so a migration killed half-way leaves
//! nothing behind and running it again starts over; a database that already holds an
//! installation is refused, unless it holds exactly this one (same organizations, projects and
//! accounts by id), in which case nothing is copied again. The counts are compared at the end.

use rusqlite::types::ValueRef;
use tokio_postgres::types::ToSql;

use super::PgStore;
use crate::{Result, StoreError};

/// The control tables, parents first (foreign keys), and the SQLite expression of each
/// PostgreSQL column that is not a plain column there.
const TABLES: &[(&str, &[(&str, &str)])] = &[
    ("organizations", &[]),
    ("projects", &[]),
    ("retired_api_keys", &[]),
    ("users", &[]),
    ("memberships", &[]),
    ("project_members", &[]),
    ("auth_tokens", &[("id", "rowid")]),
    ("invites", &[]),
    ("saved_searches", &[]),
    ("cohorts", &[]),
    ("boards", &[]),
    ("monthly_usage", &[]),
    ("ingest_minutes", &[]),
    ("audit_log", &[]),
];

/// What a migration did, per table: rows in SQLite and in PostgreSQL afterwards.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Copied {
    pub table: &'static str,
    pub rows: i64,
}

/// Whether PostgreSQL already held this installation (nothing was copied).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ImportOutcome {
    Copied(Vec<Copied>),
    AlreadyThere(Vec<Copied>),
}

impl PgStore {
    /// Copies the control tables of the SQLite database at `sqlite` (a reel.db) into this
    /// database; `progress(table, done, total)` after each table.
    pub async fn import_control(
        &self,
        sqlite: &std::path::Path,
        mut progress: impl FnMut(&str, usize, usize),
    ) -> Result<ImportOutcome> {
        let source = rusqlite::Connection::open_with_flags(
            sqlite,
            rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
        )?;
        let mut c = self.pool.get().await?;
        let tx = c.transaction().await?;
        // One importer at a time; nodes starting meanwhile wait for the tables.
        tx.execute("LOCK TABLE organizations IN EXCLUSIVE MODE", &[])
            .await?;
        let existing: i64 = tx
            .query_one("SELECT COUNT(*) FROM organizations", &[])
            .await?
            .get(0);
        if existing > 0 {
            let same = same_installation(&source, &tx).await?;
            drop(tx);
            return if same {
                Ok(ImportOutcome::AlreadyThere(counts(&source)?))
            } else {
                Err(StoreError::Invalid(
                    "the PostgreSQL database (--to) already holds another installation: \
                     migrate into an empty database"
                        .into(),
                ))
            };
        }
        for (done, (table, computed)) in TABLES.iter().enumerate() {
            let columns: Vec<(String, String)> = tx
                .query(
                    "SELECT column_name, data_type FROM information_schema.columns
                     WHERE table_schema = current_schema() AND table_name = $1
                     ORDER BY ordinal_position",
                    &[table],
                )
                .await?
                .iter()
                .map(|r| (r.get(0), r.get(1)))
                .collect();
            let select: Vec<String> = columns
                .iter()
                .map(
                    |(name, _)| match computed.iter().find(|(column, _)| column == name) {
                        Some((_, expr)) => (*expr).to_owned(),
                        None => format!("\"{name}\""),
                    },
                )
                .collect();
            let names: Vec<String> = columns.iter().map(|(n, _)| format!("\"{n}\"")).collect();
            let placeholders: Vec<String> = (1..=columns.len()).map(|i| format!("${i}")).collect();
            let insert = tx
                .prepare(&format!(
                    "INSERT INTO {table} ({}) OVERRIDING SYSTEM VALUE VALUES ({})",
                    names.join(", "),
                    placeholders.join(", ")
                ))
                .await?;
            let rows = read_rows(&source, table, &select, &columns)?;
            for row in &rows {
                let params: Vec<&(dyn ToSql + Sync)> =
                    row.iter().map(|v| v as &(dyn ToSql + Sync)).collect();
                tx.execute(&insert, &params).await?;
            }
            if columns.iter().any(|(n, _)| n == "id") {
                // Later inserts continue after the copied ids.
                tx.execute(
                    &format!(
                        "SELECT setval(pg_get_serial_sequence('{table}', 'id'),
                                       GREATEST((SELECT MAX(id) FROM {table}), 0) + 1, false)"
                    ),
                    &[],
                )
                .await?;
            }
            progress(table, done + 1, TABLES.len());
        }
        // Verified before committing: a difference leaves PostgreSQL as it was.
        let expected = counts(&source)?;
        for Copied { table, rows } in &expected {
            let there: i64 = tx
                .query_one(&format!("SELECT COUNT(*) FROM {table}"), &[])
                .await?
                .get(0);
            if there != *rows {
                return Err(StoreError::Invalid(format!(
                    "{table}: {rows} rows in SQLite but {there} in PostgreSQL; nothing was kept"
                )));
            }
        }
        tx.commit().await?;
        Ok(ImportOutcome::Copied(expected))
    }
}

/// A value of a copied column, typed as PostgreSQL's column is.
#[derive(Debug)]
enum Value {
    Int(Option<i64>),
    Text(Option<String>),
}

impl ToSql for Value {
    fn to_sql(
        &self,
        ty: &tokio_postgres::types::Type,
        out: &mut bytes::BytesMut,
    ) -> std::result::Result<tokio_postgres::types::IsNull, Box<dyn std::error::Error + Sync + Send>>
    {
        match self {
            Self::Int(v) => v.to_sql(ty, out),
            Self::Text(v) => v.to_sql(ty, out),
        }
    }

    fn accepts(ty: &tokio_postgres::types::Type) -> bool {
        <i64 as ToSql>::accepts(ty) || <String as ToSql>::accepts(ty)
    }

    tokio_postgres::types::to_sql_checked!();
}

fn read_rows(
    source: &rusqlite::Connection,
    table: &str,
    select: &[String],
    columns: &[(String, String)],
) -> Result<Vec<Vec<Value>>> {
    let mut stmt = source.prepare(&format!("SELECT {} FROM {table}", select.join(", ")))?;
    let mut rows = stmt.query([])?;
    let mut out = Vec::new();
    while let Some(row) = rows.next()? {
        let mut values = Vec::with_capacity(columns.len());
        for (i, (name, ty)) in columns.iter().enumerate() {
            let value = row.get_ref(i)?;
            values.push(match (ty.as_str(), value) {
                ("bigint", ValueRef::Null) => Value::Int(None),
                ("bigint", ValueRef::Integer(v)) => Value::Int(Some(v)),
                ("text", ValueRef::Null) => Value::Text(None),
                ("text", ValueRef::Text(t)) => {
                    Value::Text(Some(String::from_utf8_lossy(t).into_owned()))
                }
                ("text", ValueRef::Integer(v)) => Value::Text(Some(v.to_string())),
                (ty, v) => {
                    return Err(StoreError::Invalid(format!(
                        "{table}.{name}: a {:?} value cannot go into a {ty} column",
                        v.data_type()
                    )));
                }
            });
        }
        out.push(values);
    }
    Ok(out)
}

fn counts(source: &rusqlite::Connection) -> Result<Vec<Copied>> {
    TABLES
        .iter()
        .map(|(table, _)| {
            let rows: i64 =
                source.query_row(&format!("SELECT COUNT(*) FROM {table}"), [], |r| r.get(0))?;
            Ok(Copied { table, rows })
        })
        .collect()
}

/// Whether PostgreSQL holds the source's organizations, projects and accounts, by id and
/// name: a migration that already committed.
async fn same_installation(
    source: &rusqlite::Connection,
    pg: &tokio_postgres::Transaction<'_>,
) -> Result<bool> {
    for (sql, pg_sql) in [
        (
            "SELECT id || ':' || name FROM organizations ORDER BY id",
            "SELECT id || ':' || name FROM organizations ORDER BY id",
        ),
        (
            "SELECT id || ':' || organization_id FROM projects ORDER BY id",
            "SELECT id || ':' || organization_id FROM projects ORDER BY id",
        ),
        (
            "SELECT id || ':' || lower(email) FROM users ORDER BY id",
            "SELECT id || ':' || lower(email) FROM users ORDER BY id",
        ),
    ] {
        let mut stmt = source.prepare(sql)?;
        let here: Vec<String> = stmt
            .query_map([], |r| r.get(0))?
            .collect::<std::result::Result<_, _>>()?;
        let there: Vec<String> = pg
            .query(pg_sql, &[])
            .await?
            .iter()
            .map(|r| r.get(0))
            .collect();
        if here != there {
            return Ok(false);
        }
    }
    Ok(true)
}
