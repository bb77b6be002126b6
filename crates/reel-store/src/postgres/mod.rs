//! PostgreSQL for the control data (`database_url = postgres://user:pass@host:port/db`):
//! organizations, projects, people, roles, tokens, invitations, saved searches, cohorts,
//! dashboards and notebooks, the audit log, monthly usage and the ingestion monitor — what
//! every node of a cluster must see the same. A module per area, as `sqlite/`.
//!
//! - Connections: a small pool (`pool.rs`) of `tokio-postgres` clients, opened on demand and
//!   dropped when their connection breaks; every statement runs with a deadline.
//! - Schema: `migrations/postgres/*.sql`, applied at start under an advisory lock, so when two
//!   nodes start at once the second waits and finds them applied; `reel_schema` records the
//!   version. A database newer than this reel is refused.
//! - Plain TCP without TLS: for a database on the same network (TLS would need a TLS stack in
//!   the build; it is not there yet, and the start check says so when the URL asks for it).

mod accounts;
mod boards;
mod import;
mod library;
mod operations;
mod people;
mod pool;
mod recordings;
pub use recordings::Adopted;

use std::str::FromStr;
use std::time::Duration;

use crate::{Organization, Project, Result, StoreError};
pub use import::{Copied, ImportOutcome};
pub(crate) use pool::Pool;

impl From<tokio_postgres::Error> for StoreError {
    fn from(e: tokio_postgres::Error) -> Self {
        Self::Database(Box::new(e))
    }
}

/// Migrations in order; `reel_schema.version` records how many have been applied.
const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/postgres/0001_control.sql"),
    include_str!("../../migrations/postgres/0002_recordings.sql"),
];

/// The key of the advisory lock that migrations run under (any constant both nodes share).
const MIGRATION_LOCK: i64 = 0x7265_656c_0001;

/// Connections at most; a request waits for one when all are busy.
const CONNECTIONS: usize = 8;
/// How long one statement (or transaction) may run.
const STATEMENT_LIMIT: Duration = Duration::from_secs(30);

/// The control data on PostgreSQL.
#[derive(Clone)]
pub struct PgStore {
    pool: std::sync::Arc<Pool>,
}

impl PgStore {
    /// Connects to `url` (`postgres://…` or `postgresql://…`) and applies pending migrations.
    /// Errors name the setting and the server, never the password.
    pub async fn connect(url: &str) -> Result<Self> {
        let config = tokio_postgres::Config::from_str(url).map_err(|e| {
            StoreError::Invalid(format!("database_url is not a PostgreSQL URL: {e}"))
        })?;
        if matches!(
            config.get_ssl_mode(),
            tokio_postgres::config::SslMode::Require
        ) {
            return Err(StoreError::Invalid(
                "database_url asks for TLS (sslmode=require), which this reel cannot speak yet: \
                 reach PostgreSQL over a private network with sslmode=disable or prefer"
                    .into(),
            ));
        }
        let pool = Pool::new(config, CONNECTIONS, STATEMENT_LIMIT);
        let store = Self {
            pool: std::sync::Arc::new(pool),
        };
        store.migrate().await?;
        Ok(store)
    }

    /// Applies pending migrations under an advisory lock held on one connection.
    async fn migrate(&self) -> Result<()> {
        let mut c = self.pool.get().await?;
        c.execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])
            .await?;
        let outcome = apply_migrations(&mut c).await;
        // Unlocked whatever happened; a broken connection drops the lock with it.
        let _ = c
            .execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK])
            .await;
        outcome
    }
}

async fn apply_migrations(c: &mut tokio_postgres::Client) -> Result<()> {
    c.batch_execute("CREATE TABLE IF NOT EXISTS reel_schema (version BIGINT NOT NULL)")
        .await?;
    let applied: i64 = match c.query_opt("SELECT version FROM reel_schema", &[]).await? {
        Some(row) => row.get(0),
        None => {
            c.execute("INSERT INTO reel_schema (version) VALUES (0)", &[])
                .await?;
            0
        }
    };
    let applied = applied as usize;
    if applied > MIGRATIONS.len() {
        return Err(StoreError::Invalid(format!(
            "the PostgreSQL schema (database_url) is version {applied}, newer than this reel ({}); \
             upgrade reel",
            MIGRATIONS.len()
        )));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(applied) {
        let tx = c.transaction().await?;
        tx.batch_execute(sql).await?;
        tx.execute("UPDATE reel_schema SET version = $1", &[&((i + 1) as i64)])
            .await?;
        tx.commit().await?;
        tracing::info!(version = i + 1, "applied PostgreSQL migration");
    }
    Ok(())
}

/// The columns [`project_from_row`] reads, in its order.
const PROJECT_COLUMNS: &str = "p.id, p.organization_id, p.name, p.api_key, p.timezone, \
     p.signal_settings, p.replay_settings, p.retention_days, p.events_per_second, \
     p.bytes_per_second";

fn project_from_row(r: &tokio_postgres::Row) -> Project {
    Project {
        id: r.get(0),
        organization_id: r.get(1),
        name: r.get(2),
        api_key: r.get(3),
        timezone: r.get(4),
        signal_settings: r.get(5),
        replay_settings: r.get(6),
        retention_days: r.get(7),
        events_per_second: r.get(8),
        bytes_per_second: r.get(9),
    }
}

fn organization_from_row(r: &tokio_postgres::Row) -> Organization {
    Organization {
        id: r.get(0),
        name: r.get(1),
        monthly_session_quota: r.get(2),
    }
}
