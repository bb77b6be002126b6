//! reel's storage: what the engine and the server keep, behind traits a second backend can
//! implement, one per area.
//!
//! - [`AccountStore`] (`accounts.rs`): organizations, projects (keys, settings), users,
//!   tokens.
//! - [`PeopleStore`] (`people.rs`): accounts of an organization, roles per project, disabled
//!   accounts, invitations.
//! - [`IngestStore`] (`ingest.rs`): uploads' chunks, analytics events, heatmap uploads,
//!   compression dictionaries.
//! - [`CompactionStore`] (`compaction.rs`): a recording's stored pieces, segments replacing
//!   chunks, shared strings, objects on their way in or out.
//! - [`SessionStore`] (`sessions.rs`): replays as listed, one replay, its events, deletion,
//!   sessions brought in with their facts.
//! - [`ProcessingStore`] (`processing.rs`): the processing stage's queue and what a run settles
//!   (facts, derived events, on-screen text).
//! - [`SearchStore`] (`search.rs`): the typed search of `reel-query`, the catalog of names.
//! - [`LibraryStore`] (`library.rs`): saved searches and cohorts.
//! - [`FeedbackStore`] (`feedback.rs`): viewers' verdicts on replays.
//! - [`ErasureStore`] (`erasure.rs`): sessions past retention, a user's data on request.
//! - [`OperationsStore`] (`operations.rs`): the audit log, sessions captured per month,
//!   ingestion counts per minute.
//! - [`AnalyticsStore`] and [`BoardStore`] (`analytics.rs`): charts of `reel_query::chart`, the
//!   sessions behind a data point, users and their event streams; dashboards and notebooks.
//! - [`MetaStore`]: all of them at once, what the server holds; [`sqlite::SqliteStore`] is the
//!   embedded default (`sqlite/`, a module per area).
//! - [`blobs::Blobs`]: recording objects through the `object_store` crate: local files
//!   (default) or an S3-compatible store, chosen by URL.
//! - [`properties`]: the limits every stored event's properties obey.
//!
//! Invariants:
//! - Every write method returns only after the data is durable (SQLite WAL with
//!   `synchronous=FULL`; blobs fsynced on the local backend, a completed PUT on S3), so an
//!   acknowledged upload survives a crash of the process.
//! - SQL lives in this crate only; callers see typed values. No trait names a table, a column
//!   or a row id: sessions are [`SessionRef`]s or [`ReplayId`]s, facts are [`SessionFacts`].
//! - A recording's bytes are written before the row that points at them: a crash in between
//!   leaves an unreferenced object, never a row without its object.

pub mod accounts;
pub mod analytics;
pub mod blobs;
pub(crate) mod charts;
pub mod clickhouse;
pub mod compaction;
#[cfg(any(test, feature = "conformance"))]
pub mod conformance;
pub mod erasure;
pub mod feed;
pub mod feedback;
pub mod ingest;
pub mod library;
pub mod operations;
pub mod people;
pub mod postgres;
pub mod processing;
pub mod properties;
pub mod recordings;
pub mod search;
pub mod sessions;
pub mod split;
pub mod sqlite;

pub use accounts::*;
pub use analytics::*;
pub use blobs::{Blobs, S3Settings};
pub use compaction::*;
pub use erasure::*;
pub use feed::*;
pub use feedback::*;
pub use ingest::*;
pub use library::*;
pub use operations::*;
pub use people::*;
pub use postgres::PgStore;
pub use processing::*;
pub use recordings::RecordingIndex;
pub use reel_model::{Fact, ReplayId, SessionFacts};
pub use search::*;
pub use sessions::*;
pub use split::SplitStore;
pub use sqlite::SqliteStore;

/// Every area's trait, to `use reel_store::prelude::*` where a [`MetaStore`] is called.
pub mod prelude {
    pub use crate::{
        AccountStore, AnalyticsStore, BoardStore, CompactionStore, ErasureStore, FeedbackStore,
        IngestStore, LibraryStore, MetaStore, OperationsStore, PeopleStore, ProcessingStore,
        SearchStore, SessionStore,
    };
}

/// What went wrong in storage. Names no backend's types: callers see the same errors whichever
/// database is behind the traits.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("object store error: {0}")]
    Object(#[from] object_store::Error),
    #[error("io error: {0}")]
    Io(#[from] std::io::Error),
    #[error("storage task failed: {0}")]
    Task(String),
    #[error("{0}")]
    Invalid(String),
    /// A search or read ran out of time; the message says what to change.
    #[error("{0}")]
    TimedOut(String),
    /// The work was stopped before it ended: its caller went away, or the store is closing.
    #[error("{0}")]
    Stopped(&'static str),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

/// Identifies one analytics session of a project: Amplitude's session identity.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct SessionRef {
    pub project_id: i64,
    pub device_id: String,
    pub session_id: i64,
}

impl SessionRef {
    /// The id of the session's replay.
    pub fn replay_id(&self) -> ReplayId {
        ReplayId::of(&self.device_id, self.session_id)
    }
}

/// Everything the server keeps, every area at once. Every method is durable when it returns
/// `Ok`.
pub trait MetaStore:
    AccountStore
    + IngestStore
    + CompactionStore
    + SessionStore
    + ProcessingStore
    + SearchStore
    + LibraryStore
    + FeedbackStore
    + PeopleStore
    + ErasureStore
    + OperationsStore
    + AnalyticsStore
    + BoardStore
    + FeedStore
{
    /// Stops every read and search still running (the server is shutting down); later calls
    /// fail. Writes under way finish.
    fn close(&self);
}
