//! The embedded default: SQLite in WAL mode, a module per area of the store's traits.
//!
//! One connection writes; reads use a pool of connections, and searches a pool of their own
//! (WAL lets them all run side by side): a slow search never holds up a login, a token check or
//! an upload's duplicate check. Every async method uses its connection from `spawn_blocking`,
//! so async tasks never wait on SQLite; the upload path's methods block and are called from a
//! blocking thread. Every pooled statement can be stopped (`watch.rs`): by its deadline, by its
//! caller going away, or by the store closing.
//!
//! - `accounts.rs`, `people.rs`, `ingest.rs`, `compaction.rs`, `sessions.rs`, `processing.rs`,
//!   `search.rs` (with the SQL a [`reel_query::Search`] becomes), `library.rs`, `feedback.rs`,
//!   `erasure.rs`, `operations.rs`: each area's trait.
//! - `events.rs`: analytics events and what they index (user properties, element words,
//!   session text).
//! - `functions.rs`: reel's SQL functions. `pool.rs`, `watch.rs`: connections and stopping.
//! - `inspect.rs`: read-only views of the raw tables for tests and benchmarks.

/// The columns `project_from_row` reads, in its order.
macro_rules! project_select {
    () => {
        "SELECT id, organization_id, name, api_key, timezone, signal_settings, replay_settings, \
         retention_days, events_per_second, bytes_per_second FROM projects"
    };
}

mod accounts;
mod analytics;
mod boards;
mod compaction;
mod erasure;
mod events;
mod export;
mod feed;
#[cfg(test)]
mod feed_tests;
mod feedback;
mod functions;
mod ingest;
#[cfg(test)]
mod ingest_tests;
pub mod inspect;
mod library;
mod operations;
mod people;
mod pool;
#[cfg(test)]
mod pool_tests;
mod processing;
mod search;
#[cfg(test)]
mod search_tests;
mod sessions;
mod watch;

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::{Connection, OptionalExtension, params};

use crate::{
    ChunkFormat, Fact, MetaStore, Project, Replay, ReplayId, Result, SessionFacts, StoreError,
    StoredChunk,
};
pub(crate) use events::text_token;
pub(crate) use functions::{fold_words, holds_phrase};
use pool::Pool;
pub(crate) use processing::MAX_SESSION_URLS;
pub(crate) use search::Conditions;
use watch::Watch;

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Database(Box::new(e))
    }
}

/// Migrations in order; `PRAGMA user_version` records how many have been applied.
const MIGRATIONS: &[&str] = &[
    include_str!("../../migrations/0001_init.sql"),
    include_str!("../../migrations/0002_dictionaries.sql"),
    include_str!("../../migrations/0003_hardening.sql"),
    include_str!("../../migrations/0004_signals.sql"),
    include_str!("../../migrations/0005_segments.sql"),
    include_str!("../../migrations/0006_feedback_gaps_timezone.sql"),
    include_str!("../../migrations/0007_search.sql"),
    include_str!("../../migrations/0008_bounded_properties.sql"),
    include_str!("../../migrations/0009_team.sql"),
    ANALYTICS_MIGRATION,
    include_str!("../../migrations/0011_work_leases.sql"),
    include_str!("../../migrations/0012_feeds.sql"),
    include_str!("../../migrations/0013_search_feed.sql"),
];

/// The position of 0007_search in [`MIGRATIONS`] (1-based): after it, Rust fills what SQL
/// cannot (user properties and element words of older events).
const SEARCH_MIGRATION: usize = 7;
/// 0010_analytics: after it, events stored before are kept for charts (named by its text, not
/// its position, so migrations of other work can come before it).
const ANALYTICS_MIGRATION: &str = include_str!("../../migrations/0010_analytics.sql");

/// Connections for everyday reads (logins, token checks, replays, uploads' duplicate checks).
const READERS: usize = 4;
/// Connections for searches: at most this many run at once, on connections of their own.
const SEARCHERS: usize = 2;

/// Connections for charts: at most this many run at once, on connections of their own.
const CHARTERS: usize = 2;
/// How long one chart (or the Microscope of one data point) may run at most.
pub const CHART_LIMIT: Duration = Duration::from_secs(20);

/// How long one search may run at most.
pub const SEARCH_LIMIT: Duration = Duration::from_secs(20);
/// How long any other read may run at most.
const READ_LIMIT: Duration = Duration::from_secs(60);

#[derive(Clone)]
pub struct SqliteStore {
    writer: Arc<Mutex<Connection>>,
    /// Uploads waiting for the writer, committed together (`ingest.rs`).
    uploads: Arc<ingest::GroupCommit>,
    readers: Arc<Pool>,
    searchers: Arc<Pool>,
    charts: Arc<Pool>,
    /// Set once the store closes: every statement still running on a pooled connection stops.
    closing: Arc<AtomicBool>,
}

impl SqliteStore {
    /// Opens (creating if needed) the database file and applies pending migrations.
    pub fn open(path: &Path) -> Result<Self> {
        let closing = Arc::new(AtomicBool::new(false));
        let mut writer = Connection::open(path)?;
        // Writes are short and transactional: closing lets them finish.
        configure(&writer, &Arc::new(AtomicBool::new(false)))?;
        migrate(&mut writer)?;
        let open_reader = |cache_kib: i64| -> Result<(Connection, Arc<Watch>)> {
            let conn = Connection::open(path)?;
            let watch = configure(&conn, &closing)?;
            conn.execute_batch(&format!("PRAGMA cache_size = -{cache_kib};"))?;
            Ok((conn, watch))
        };
        let readers = (0..READERS)
            .map(|_| open_reader(8 * 1024))
            .collect::<Result<Vec<_>>>()?;
        let searchers = (0..SEARCHERS)
            .map(|_| open_reader(64 * 1024))
            .collect::<Result<Vec<_>>>()?;
        let charts = (0..CHARTERS)
            .map(|_| open_reader(64 * 1024))
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            writer: Arc::new(Mutex::new(writer)),
            uploads: Default::default(),
            readers: Pool::new(
                "reader",
                readers,
                READ_LIMIT,
                "reading took longer than 60 s; try again",
            ),
            searchers: Pool::new(
                "search",
                searchers,
                SEARCH_LIMIT,
                "the search took longer than 20 s: narrow the dates or add a filter",
            ),
            charts: Pool::new(
                "chart",
                charts,
                CHART_LIMIT,
                "the chart took longer than 20 s: narrow the dates or add a filter",
            ),
            closing,
        })
    }

    async fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let store = self.clone();
        tokio::task::spawn_blocking(move || store.write_here(f))
            .await
            .map_err(|e| StoreError::Task(e.to_string()))?
    }

    /// [`Self::write`] on the calling thread, which must be a blocking one.
    fn write_here<T>(&self, f: impl FnOnce(&mut Connection) -> Result<T>) -> Result<T> {
        let mut guard = self
            .writer
            .lock()
            .map_err(|_| StoreError::Task("writer poisoned".into()))?;
        f(&mut guard)
    }

    async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        self.readers.run(move |c, _| f(c)).await
    }
}

/// Sets up a connection: its watch (see `sqlite/watch.rs`), reel's SQL functions, pragmas.
fn configure(conn: &Connection, closing: &Arc<AtomicBool>) -> Result<Arc<Watch>> {
    let watch = Watch::install(conn, closing.clone());
    functions::register(conn, watch.clone())?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    // FULL: a commit is on disk before it returns, so "200 OK" means durable.
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;",
    )?;
    Ok(watch)
}

fn migrate(conn: &mut Connection) -> Result<()> {
    migrate_to(conn, MIGRATIONS.len())
}

/// Applies the migrations after the database's version, up to `version`: what the reel of that
/// version did (tests make older databases with it).
fn migrate_to(conn: &mut Connection, version: usize) -> Result<()> {
    let applied: usize =
        conn.query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0))? as usize;
    if applied > MIGRATIONS.len() {
        return Err(StoreError::Invalid(format!(
            "database schema version {applied} is newer than this reel ({}); upgrade reel",
            MIGRATIONS.len()
        )));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().take(version).skip(applied) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        if i + 1 == SEARCH_MIGRATION {
            events::backfill_search_index(&tx)?;
        }
        if *sql == ANALYTICS_MIGRATION {
            analytics::backfill(&tx)?;
        }
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
        tracing::info!(version = i + 1, "applied database migration");
    }
    Ok(())
}

fn project_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Project> {
    Ok(Project {
        id: r.get(0)?,
        organization_id: r.get(1)?,
        name: r.get(2)?,
        api_key: r.get(3)?,
        timezone: r.get(4)?,
        signal_settings: r.get(5)?,
        replay_settings: r.get(6)?,
        retention_days: r.get(7)?,
        events_per_second: r.get(8)?,
        bytes_per_second: r.get(9)?,
    })
}

/// A replay's columns, of `sessions s` (the facts in [`Fact::ALL`]'s order: checked by a test).
const REPLAY_COLUMNS: &str = "s.replay_key, s.device_id, s.session_id, s.user_id, s.start_ms, \
     s.end_ms, s.event_count, s.stored_bytes, s.first_url, s.country, s.active_ms, s.click_count, \
     s.keypress_count, s.mouse_activity_count, s.page_view_count, s.console_log_count, \
     s.console_warn_count, s.console_error_count, s.network_error_count, s.runtime_error_count, \
     s.rage_click_count, s.dead_click_count, s.error_click_count, s.urls, s.viewport_width, \
     s.viewport_height, s.browser, s.os, s.device, s.last_upload_ms, \
     (SELECT due_ms FROM session_work w WHERE w.session_row = s.id)";

fn replay_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Replay> {
    Ok(Replay {
        id: ReplayId::from_stored(r.get(0)?),
        device_id: r.get(1)?,
        session_id: r.get(2)?,
        user_id: r.get(3)?,
        start_ms: r.get(4)?,
        end_ms: r.get(5)?,
        event_count: r.get(6)?,
        stored_bytes: r.get(7)?,
        first_url: r.get(8)?,
        country: r.get(9)?,
        facts: {
            let mut facts = SessionFacts::default();
            for (i, fact) in Fact::ALL.into_iter().enumerate() {
                facts.set(fact, r.get::<_, Option<i64>>(10 + i)?.unwrap_or(0));
            }
            facts
        },
        urls: serde_json::from_str(&r.get::<_, String>(23)?).unwrap_or_default(),
        viewport: match (r.get(24)?, r.get(25)?) {
            (Some(w), Some(h)) => Some((w, h)),
            _ => None,
        },
        browser: r.get(26)?,
        os: r.get(27)?,
        device: r.get(28)?,
        last_upload_ms: r.get(29)?,
        processing_due_ms: r.get(30)?,
    })
}

/// The sessions column holding a fact: its name (the schema names columns after the facts).
fn fact_column(fact: Fact) -> &'static str {
    fact.name()
}

/// `col = 0, …` for every fact column: what a session without derived facts holds.
fn zero_facts() -> String {
    Fact::ALL
        .map(|f| format!("{} = 0", fact_column(f)))
        .join(", ")
}

/// The row of a replay (a session with a recording).
fn replay_row(c: &Connection, project_id: i64, id: &ReplayId) -> Result<Option<i64>> {
    Ok(c.query_row(
        "SELECT id FROM sessions WHERE project_id = ?1 AND replay_key = ?2 AND start_ms IS NOT NULL",
        params![project_id, id.as_str()],
        |r| r.get(0),
    )
    .optional()?)
}

/// A session's chunks and segments by start time, then in the order they were stored.
fn chunks_of(c: &Connection, session_row: i64) -> Result<Vec<StoredChunk>> {
    let mut stmt = c.prepare_cached(
        "SELECT k.id, k.keyframe_ms, k.event_count, k.raw_bytes, k.start_ms, k.end_ms,
                k.self_contained, k.object_key, k.stored_bytes, k.dictionary_id, k.format, s.project_id,
                k.content_hash
         FROM chunks k JOIN sessions s ON s.id = k.session_row
         WHERE k.session_row = ?1 ORDER BY k.start_ms, k.id",
    )?;
    let rows = stmt
        .query_map(params![session_row], |r| {
            Ok(StoredChunk {
                stored_seq: r.get(0)?,
                keyframe_ms: r.get(1)?,
                event_count: r.get(2)?,
                raw_bytes: r.get(3)?,
                start_ms: r.get(4)?,
                end_ms: r.get(5)?,
                self_contained: r.get(6)?,
                object_key: r.get(7)?,
                stored_bytes: r.get(8)?,
                dictionary_id: r.get(9)?,
                format: match r.get::<_, String>(10)?.as_str() {
                    "segment" => ChunkFormat::Segment,
                    _ => ChunkFormat::Chunk,
                },
                project_id: r.get(11)?,
                content_hash: r.get(12)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

impl MetaStore for SqliteStore {
    fn close(&self) {
        self.closing.store(true, Ordering::Relaxed);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `replay_from_row` reads the fact columns of [`REPLAY_COLUMNS`] in [`Fact::ALL`]'s order.
    #[test]
    fn replay_columns_list_the_facts_in_order() {
        let columns: Vec<&str> = REPLAY_COLUMNS
            .split(',')
            .map(|c| c.trim().trim_start_matches("s."))
            .collect();
        let facts: Vec<&str> = Fact::ALL.map(fact_column).to_vec();
        assert_eq!(&columns[10..10 + facts.len()], facts.as_slice());
    }
}

#[cfg(test)]
mod conformance_tests {
    //! The shared backend suite on the embedded store (`crate::conformance`).

    use super::SqliteStore;

    fn store() -> (tempfile::TempDir, SqliteStore) {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("t.db")).unwrap();
        (dir, store)
    }

    #[tokio::test]
    async fn accounts() {
        let (_dir, store) = store();
        crate::conformance::accounts(&store).await;
    }

    #[tokio::test]
    async fn people() {
        let (_dir, store) = store();
        crate::conformance::people(&store).await;
    }

    #[tokio::test]
    async fn library() {
        let (_dir, store) = store();
        crate::conformance::library(&store).await;
    }

    #[tokio::test]
    async fn boards() {
        let (_dir, store) = store();
        crate::conformance::boards(&store).await;
    }

    #[tokio::test]
    async fn operations() {
        let (_dir, store) = store();
        crate::conformance::operations(&store).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn work_leases() {
        let (_dir, store) = store();
        crate::conformance::work_leases(&store).await;
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn recordings() {
        let (_dir, store) = store();
        crate::conformance::recordings(&store).await;
    }
}
