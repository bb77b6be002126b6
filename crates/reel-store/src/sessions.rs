//! Sessions as replays: the list, one replay with its facts, its chunks, events and holes,
//! deleting one, and sessions brought in with their facts (generated data, imports).

use async_trait::async_trait;

use crate::{AnalyticsEvent, ReplayId, Result, SessionFacts, SessionRef, StoredChunk, UserAgent};

/// A replay as listed: one recorded session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replay {
    pub id: ReplayId,
    pub device_id: String,
    pub session_id: i64,
    pub user_id: Option<String>,
    pub start_ms: i64,
    pub end_ms: i64,
    pub event_count: i64,
    pub stored_bytes: i64,
    pub first_url: Option<String>,
    pub country: Option<String>,
    /// What the processing stage counted.
    pub facts: SessionFacts,
    /// Distinct page URLs (no query string) in the order first seen.
    pub urls: Vec<String>,
    pub viewport: Option<(i64, i64)>,
    pub browser: Option<String>,
    pub os: Option<String>,
    pub device: Option<String>,
    /// When the newest data of the recording arrived.
    pub last_upload_ms: Option<i64>,
    /// When the processing stage will next look at the session (`i64::MAX`: nothing to do).
    pub processing_due_ms: Option<i64>,
}

/// An analytics event as read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    pub event_type: String,
    pub time_ms: i64,
    pub user_id: Option<String>,
    /// JSON object text.
    pub event_properties: String,
    pub display_name: Option<String>,
    pub derived: bool,
}

/// Text a session showed or logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionText {
    pub console_level: Option<String>,
    pub ts_ms: i64,
    pub text: String,
}

/// A half-open time range `[start_ms, end_ms)` on session start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeRange {
    pub start_ms: i64,
    pub end_ms: i64,
}

/// A session brought in with its facts, events and text but no recording (generated data,
/// imports): it is listed and searched like any other, and has nothing to play.
#[derive(Debug, Clone)]
pub struct ImportedSession {
    pub session: SessionRef,
    pub start_ms: i64,
    pub end_ms: i64,
    pub first_url: Option<String>,
    pub country: Option<String>,
    pub user_agent: Option<UserAgent>,
    pub facts: SessionFacts,
    pub urls: Vec<String>,
    pub viewport: Option<(u32, u32)>,
    /// Stored as [`crate::IngestStore::add_events`] stores them (user properties, element
    /// words).
    pub events: Vec<AnalyticsEvent>,
    pub texts: Vec<SessionText>,
}

#[async_trait]
pub trait SessionStore: Send + Sync + 'static {
    /// Replays whose recording started in `range`, newest first.
    async fn list_replays(
        &self,
        project_id: i64,
        range: TimeRange,
        limit: usize,
    ) -> Result<Vec<Replay>>;
    async fn replay(&self, project_id: i64, id: &ReplayId) -> Result<Option<Replay>>;
    /// Those of these replays that exist, as [`Self::replay`] has them (in any order): what a
    /// page of search results shows, read where the replays are.
    async fn replays(&self, project_id: i64, ids: Vec<ReplayId>) -> Result<Vec<Replay>>;
    /// The replay's chunks ordered by start time.
    async fn replay_chunks(&self, project_id: i64, id: &ReplayId) -> Result<Vec<StoredChunk>>;
    /// The session's analytics events (sent and derived) in time order, at most `limit`.
    async fn session_events(&self, session: &SessionRef, limit: usize) -> Result<Vec<StoredEvent>>;
    /// A recording's holes, in time order.
    async fn session_gaps(&self, project_id: i64, id: &ReplayId) -> Result<Vec<(i64, i64)>>;
    /// Deletes a replay: its chunks and segments (their objects are marked for deletion after
    /// `delete_after_ms`), pieces no other segment refers to, its derived events and text, its
    /// facts. The session's analytics events stay. Returns false when there is no such replay.
    async fn delete_replay(
        &self,
        project_id: i64,
        id: &ReplayId,
        delete_after_ms: i64,
    ) -> Result<bool>;
    /// Stores sessions without recordings (see [`ImportedSession`]) in one transaction; a
    /// session that exists already is left as it is. Returns how many were new.
    async fn import_sessions(&self, sessions: Vec<ImportedSession>, now_ms: i64) -> Result<usize>;
}
