//! Events for charts in ClickHouse (`events_url = clickhouse://host:port/db`, the HTTP
//! interface): the first piece of running reel on several nodes. [`ClickHouseEvents`] keeps
//! the events the embedded store keeps for charts and answers charts and the Microscope with
//! the same answers, on ClickHouse 18.16 (Debian's) and current versions.
//!
//! **Tables** (`schema.rs`): `chart_events`, a MergeTree ordered by `(project, event_type,
//! time_ms, seq)` — one event name's time range is one contiguous run, as in the embedded
//! `analytics_events` — with properties as parallel arrays of keys, kinds and values;
//! `chart_users`, `chart_devices`, `chart_user_properties`, `chart_sessions`, ReplacingMergeTrees
//! whose rows are versions (read with `argMax(…, version)`, not `FINAL`, so a read never depends
//! on when ClickHouse merged parts); `chart_inserted`, the insert ids recorded; `chart_gone`,
//! the events deleted (schema version 3); `reel_schema`, the tables' version.
//!
//! **Who an event belongs to** is decided when it is written (`record.rs`), by the embedded
//! recorder's rules. The state those rules need lives in ClickHouse and is read again by the
//! writing node for each batch; users and sessions are numbered by hashes of their ids, so every node numbers
//! them alike. Merging an anonymous device into the user who later signs in on it writes one
//! `chart_users` row instead of rewriting that user's events, and charts follow it when they
//! read (`scan.rs`).
//!
//! **Where the work is done**: ClickHouse selects a chart's rows (project, event name, time
//! range, what of the property conditions it decides exactly) and streams them in time order;
//! Rust follows merges, applies the user filters, checks the conditions and counts with the same
//! code as the embedded store (`crate::charts`, `reel_query::chart`) — which is why the answers
//! are the same.
//!
//! **Limits, as of now** (each a way on):
//! - Two nodes writing batches that name the same device or user at the same moment each
//!   decide from the state before both: a merge or a property update of one can be lost. Batches
//!   a moment apart see each other's state.
//! - Events are de-duplicated by `insert_id` as the embedded store does (`chart_inserted`),
//!   but a batch cut short after its events and before its insert ids is counted twice when
//!   retried (ClickHouse has no transaction across tables).
//! - Writes are acknowledged when ClickHouse has them on disk, without an fsync (ClickHouse's
//!   default), unlike the embedded store.
//! - Every row a chart reads comes to Rust (one core parses and counts), as on the embedded
//!   store; merges and a user property's values are read whole per project and chart; a
//!   Pathfinder with more than 5,000 anchored users reads every event of their time span.
//! - With `events_url`, the server answers charts, the Microscope and User Look-Up
//!   (`user_profile`, `find_users`, `users.rs`) here, and retention and erasure delete here too
//!   (`delete_sessions`, `delete_expired_rest`, `delete_subject_rest`, `erase.rs`); each node
//!   hands the events it stored in its SQLite on to it (`reel_engine::feed`), with each
//!   event's session generation, so a replay deleted alone or reprocessed drops its earlier
//!   derived events here too (`forget_derived`).
//! - Deleting is immediate for every read (tombstones, `chart_gone`), physical later: ClickHouse
//!   removes the events by an `ALTER TABLE … DELETE` mutation in the background (one per call:
//!   a retention run in many small batches queues many mutations), older versions of users,
//!   devices and properties when it merges their parts. The tombstones (a time and an arrival
//!   number each) are kept, and every chart reads its range's.
//! - An insert id stays recorded after its event was deleted: a retry of it is skipped, where
//!   the embedded store would take it again.
//! - User Look-Up's `Recent` and retention's users read the whole project's sessions and users.
//! - Events of one user in the same millisecond: a Pathfinder orders them by time, session and
//!   arrival here, by time, session row, event name id and event id on the embedded store, and
//!   the event a Microscope moment names is the first to arrive here and the first by name id
//!   there: for such ties the two stores can differ.
//!
//! **Replay search** ([`ClickHouseSearch`], `sessions.rs` and `search.rs`, schema version 2)
//! keeps sessions, events, text and user properties for [`crate::SearchStore`], with the
//! embedded store's answers, order and cursors (a cursor's row is this store's number for the
//! session: its first sighting's arrival number, ordered as the embedded store's row ids when
//! sessions arrive in the same order). Its own limits are in `search.rs`; besides them:
//! - It is not wired in yet: `IngestStore`/`ProcessingStore`/`SessionStore` still write the
//!   embedded store, and nothing calls `record_upload`/`apply_signals` beside it. The work
//!   queue (processing due times, the progress check) stays the embedded store's.
//! - Uploads and processing runs read a session's latest version and write the next: one
//!   writer per session at a time (the work queue's rule for processing).
//! - `delete_replay` does what the embedded store's does to search (the session stays, no
//!   longer a replay, its derived events and text gone by generation); the words of clicked
//!   elements it also drops there (for non-derived clicks of the same kinds, which reel does
//!   not send) are not dropped here. A deleted generation's rows stay, unread.
//! - Retention and erasure (`search_erase.rs`, schema version 3) forget deleted sessions,
//!   events, text and user properties at once (tombstones, `search_gone`) and ClickHouse removes
//!   the rows later (`ALTER TABLE … DELETE`); retention folds the whole project's user-property
//!   operations.
//! - Text is kept as often as it is given (the embedded store keeps each text once): no
//!   answer depends on it.

mod client;
mod erase;
mod record;
mod scan;
mod schema;
mod search;
mod search_erase;
mod sessions;
mod users;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use reel_query::chart::wire::{ChartAnswer, MicroscopePage};
use reel_query::chart::{Chart, DataPoint, SessionPageRequest};

pub use client::ClickHouse;
pub use schema::SCHEMA_VERSION;
pub use sessions::{ClickHouseSearch, ReplayFields};

use crate::charts::{self, Output, Want};
use crate::{AnalyticsEvent, Result, StoreError};

/// Events for charts in ClickHouse: written by [`Self::record`], read by [`Self::chart`] and
/// [`Self::chart_sessions`] (the same answers as [`crate::AnalyticsStore`]'s).
pub struct ClickHouseEvents {
    ch: ClickHouse,
    seq: Arc<record::Sequence>,
    writer: tokio::sync::Mutex<record::Writer>,
    /// How long one chart (or one Microscope page) may take.
    chart_limit: std::time::Duration,
    listed_users: usize,
}

/// Tells a chart's thread that its caller went away (the future was dropped).
struct StopOnDrop(Arc<AtomicBool>);

impl Drop for StopOnDrop {
    fn drop(&mut self) {
        self.0.store(true, Ordering::Relaxed);
    }
}

impl ClickHouseEvents {
    /// Connects to `events_url`, makes the tables if missing and checks their version.
    pub async fn open(events_url: &str) -> Result<Self> {
        Self::open_logging(events_url, None).await
    }

    /// [`Self::open`], writing every statement that succeeds, with its data and rows, to
    /// `log` (see `scripts/clickhouse-statements.py`).
    pub async fn open_logging(events_url: &str, log: Option<&std::path::Path>) -> Result<Self> {
        let ch = ClickHouse::connect_logging(events_url, log).await?;
        schema::ensure(&ch).await?;
        // Arrival numbers go on from the largest written, whatever this node's clock says.
        let last = ch
            .largest(&[
                "SELECT max(seq) FROM chart_events",
                "SELECT max(version) FROM chart_users",
                "SELECT max(version) FROM chart_devices",
                "SELECT max(version) FROM chart_user_properties",
                "SELECT max(version) FROM chart_sessions",
            ])
            .await?;
        Ok(Self {
            ch,
            seq: Arc::new(record::Sequence::starting_after(last)),
            writer: tokio::sync::Mutex::new(record::Writer::default()),
            chart_limit: crate::sqlite::CHART_LIMIT,
            listed_users: scan::MAX_LISTED_USERS,
        })
    }

    /// Pathfinders name at most `n` anchored users in their statement (5,000 unless told);
    /// with more, they read every event of the anchors' time span and keep those users' in Rust.
    pub fn with_path_users_listed(mut self, n: usize) -> Self {
        self.listed_users = n;
        self
    }

    /// Charts stop after `limit` instead of the embedded store's [`crate::sqlite::CHART_LIMIT`].
    pub fn with_chart_limit(mut self, limit: std::time::Duration) -> Self {
        self.chart_limit = limit;
        self
    }

    pub fn clickhouse(&self) -> &ClickHouse {
        &self.ch
    }

    /// Keeps a batch of a project's events for charts (the input of
    /// [`crate::IngestStore::add_events`], bounded by the same property limits).
    pub async fn record(&self, project_id: i64, events: &[AnalyticsEvent]) -> Result<()> {
        self.record_fed(project_id, events, &[]).await
    }

    /// [`Self::record`] for events a node's feed hands on, each with its session's generation
    /// when the node read it (see [`Self::forget_derived`]).
    pub async fn record_fed(
        &self,
        project_id: i64,
        events: &[AnalyticsEvent],
        generations: &[u32],
    ) -> Result<()> {
        let mut writer = self.writer.lock().await;
        writer
            .record(&self.ch, &self.seq, project_id, events, generations)
            .await
    }

    /// Marks a session as having a recording.
    pub async fn mark_replay(
        &self,
        project_id: i64,
        device_id: &str,
        session_id: i64,
    ) -> Result<()> {
        self.mark_replays(project_id, &[(device_id, session_id)])
            .await
    }

    /// Marks sessions (device, session id) of a project as having a recording, in a few
    /// statements.
    pub async fn mark_replays(&self, project_id: i64, sessions: &[(&str, i64)]) -> Result<()> {
        let mut writer = self.writer.lock().await;
        writer
            .mark_replays(&self.ch, &self.seq, project_id, sessions)
            .await
    }

    /// Runs `f` on a thread that may wait: the chart code is synchronous (it is the embedded
    /// store's), its HTTP calls wait on this runtime.
    async fn on_chart_thread<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut scan::Source<'_>) -> Result<T> + Send + 'static,
        project_id: i64,
    ) -> Result<T> {
        let ch = self.ch.clone();
        let rt = tokio::runtime::Handle::current();
        let deadline = tokio::time::Instant::now() + self.chart_limit;
        let stop = StopOnDrop(Arc::new(AtomicBool::new(false)));
        let stopped = stop.0.clone();
        let listed_users = self.listed_users;
        let answer = tokio::task::spawn_blocking(move || {
            let mut source = scan::Source::new(&ch, rt, project_id, deadline, stopped);
            source.listed_users = listed_users;
            f(&mut source)
        })
        .await
        .map_err(|e| StoreError::Task(e.to_string()))?;
        drop(stop);
        answer
    }

    pub async fn chart(&self, project_id: i64, chart: Chart) -> Result<ChartAnswer> {
        self.on_chart_thread(
            move |s| match charts::run(s, &chart, Want::Answer)? {
                Output::Answer(a) => Ok(a),
                Output::Hits(_) => Err(StoreError::Task("a chart gave events".into())),
            },
            project_id,
        )
        .await
    }

    pub async fn chart_sessions(
        &self,
        project_id: i64,
        chart: Chart,
        point: DataPoint,
        page: SessionPageRequest,
    ) -> Result<MicroscopePage> {
        self.on_chart_thread(
            move |s| match charts::run(s, &chart, Want::Hits(&point))? {
                Output::Hits(hits) => charts::page::sessions_page(s, hits, page),
                Output::Answer(_) => Err(StoreError::Task("a point gave an answer".into())),
            },
            project_id,
        )
        .await
    }
}
