//! The recordings' index: what a node needs to play back, process and compact a recording that
//! any node stored — which sessions have a recording and their facts, its chunks and segments,
//! the shared pieces, its holes, the processing queue with its leases, objects in flight.
//!
//! The embedded store keeps this in its own tables beside events and search; a cluster keeps it
//! in PostgreSQL (`postgres/recordings/`), where every node finds it, while events, text and
//! search stay in the events store. [`RecordingIndex`] is that part, named once, so the shared
//! suite (`conformance::recordings`) holds both to the same answers and `split.rs` can send it
//! where it lives. Nothing here names a table or a row id.

use async_trait::async_trait;

use crate::{
    Compaction, Dictionary, NewUpload, ObjectIntent, Replay, ReplayId, Result, SessionRef,
    SignalsUpdate, StoredChunk, UploadCommitted, WorkItem,
};

#[async_trait]
pub trait RecordingIndex: Send + Sync + 'static {
    /// Of these content hashes, those the session has stored (or compacted) already.
    async fn index_stored_chunks(
        &self,
        session: &SessionRef,
        content_hashes: Vec<String>,
    ) -> Result<Vec<String>>;
    /// Indexes an upload's chunks (a chunk stored before counts as a duplicate), grows the
    /// session's extent and totals, and makes the session due for processing no later than
    /// `process_at_ms`, in one transaction. `newly_captured` is true for the upload that gave
    /// the session its recording.
    async fn index_upload(&self, upload: NewUpload, now_ms: i64) -> Result<UploadCommitted>;
    /// A replay with its facts; `user_id` is the events store's to say (`None` here).
    async fn indexed_replay(&self, project_id: i64, id: &ReplayId) -> Result<Option<Replay>>;
    /// Those of these replays that have a recording, as [`Self::indexed_replay`] (any order).
    async fn indexed_replays(&self, project_id: i64, ids: Vec<ReplayId>) -> Result<Vec<Replay>>;
    /// A replay's chunks and segments by start time, then in the order they were stored.
    async fn indexed_chunks(&self, project_id: i64, id: &ReplayId) -> Result<Vec<StoredChunk>>;
    async fn session_chunks_of(&self, session: &SessionRef) -> Result<Vec<StoredChunk>>;
    async fn indexed_gaps(&self, project_id: i64, id: &ReplayId) -> Result<Vec<(i64, i64)>>;
    async fn has_indexed_recording(&self, session: &SessionRef) -> Result<bool>;

    /// Claims up to `limit` due sessions for `node` until `lease_until_ms` (see
    /// [`crate::ProcessingStore::claim_work`]).
    async fn claim_indexed_work(
        &self,
        node: &str,
        now_ms: i64,
        lease_until_ms: i64,
        limit: usize,
    ) -> Result<Vec<WorkItem>>;
    async fn release_indexed_work(&self, session: &SessionRef, node: &str) -> Result<()>;
    async fn next_indexed_due_ms(&self) -> Result<Option<i64>>;
    /// The index's part of a processing run's results — facts, URLs, viewport, holes and the
    /// new progress — applied only if the progress is still `expected_until_ms`; the run's
    /// events and text are the events store's. False when nothing was applied.
    async fn apply_progress(&self, update: &SignalsUpdate) -> Result<bool>;
    async fn reschedule_indexed_work(
        &self,
        session: &SessionRef,
        generation: i64,
        due_ms: i64,
    ) -> Result<bool>;
    async fn indexed_work_failed(
        &self,
        session: &SessionRef,
        due_ms: i64,
        error: &str,
    ) -> Result<()>;
    /// Clears what processing derived (facts, URLs, viewport, holes, progress) of the
    /// recordings of a project (all when `None`) that started at or after `since_ms`, and makes
    /// them due at `now_ms`. Returns how many.
    async fn reset_progress(
        &self,
        project_id: Option<i64>,
        since_ms: Option<i64>,
        now_ms: i64,
    ) -> Result<usize>;

    async fn intend_object_writes(&self, object_keys: Vec<String>) -> Result<()>;
    /// Replaces chunks by segments (see [`crate::CompactionStore::commit_compaction`]).
    async fn commit_indexed_compaction(&self, compaction: Compaction, now_ms: i64) -> Result<bool>;
    async fn indexed_pieces(
        &self,
        project_id: i64,
        hashes: Vec<[u8; 16]>,
    ) -> Result<Vec<([u8; 16], Vec<u8>)>>;
    async fn indexed_known_pieces(
        &self,
        project_id: i64,
        hashes: Vec<[u8; 16]>,
    ) -> Result<Vec<[u8; 16]>>;
    /// A compression dictionary an earlier reel made (chunks name it by id).
    async fn indexed_dictionary(&self, id: i64) -> Result<Option<Dictionary>>;
    async fn indexed_object_intents(&self, now_ms: i64) -> Result<Vec<ObjectIntent>>;
    async fn indexed_object_referenced(&self, object_key: &str) -> Result<bool>;
    async fn forget_object_intent(&self, object_key: &str) -> Result<()>;
    async fn indexed_unreferenced_objects(&self, object_keys: Vec<String>) -> Result<Vec<String>>;

    /// Recordings of the project that started and ended before `cutoff_ms`.
    async fn expired_recordings(
        &self,
        project_id: i64,
        cutoff_ms: i64,
        limit: usize,
    ) -> Result<Vec<SessionRef>>;
    /// Recordings of one device of the project.
    async fn recordings_of_device(
        &self,
        project_id: i64,
        device_id: &str,
        limit: usize,
    ) -> Result<Vec<SessionRef>>;
    /// Copies the recordings' index of a data dir that kept its own (before it joined) here,
    /// once per data dir. Nothing to do for a store that is the data dir's own.
    async fn adopt_data_dir(&self, local: &crate::SqliteStore, now_ms: i64) -> Result<()>;
    /// Forgets these sessions' recordings — chunks and segments (their objects to be deleted
    /// after `delete_after_ms`), the pieces no other segment uses, holes, processing state and
    /// the session's entry. Returns how many had a recording.
    async fn forget_recordings(
        &self,
        sessions: Vec<SessionRef>,
        delete_after_ms: i64,
    ) -> Result<usize>;
}

/// One session's recording as a data dir holds it, copied into a shared index when the data
/// dir joins one (`reel_store::postgres` adopts them once per data dir).
#[derive(Debug, Clone)]
pub struct HeldRecording {
    pub session: SessionRef,
    pub replay: Replay,
    pub raw_bytes: i64,
    pub first_url_ms: Option<i64>,
    pub last_meta_ms: Option<i64>,
    pub user_agent: Option<String>,
    /// Chunks and segments, each with the hashes of the pieces it uses.
    pub chunks: Vec<(StoredChunk, Vec<[u8; 16]>)>,
    pub compacted_hashes: Vec<String>,
    pub gaps: Vec<(i64, i64)>,
    pub work: Option<HeldWork>,
}

/// A recording's place in the processing queue (leases are not copied: they belong to
/// processes of the data dir's node).
#[derive(Debug, Clone)]
pub struct HeldWork {
    pub due_ms: i64,
    pub signals_until_ms: Option<i64>,
    pub signals_finished: bool,
    pub attempts: i64,
    pub generation: i64,
}

/// A shared piece of segments, as a data dir holds it.
#[derive(Debug, Clone)]
pub struct HeldPiece {
    pub project_id: i64,
    pub hash: [u8; 16],
    pub raw_bytes: i64,
    pub stored: Vec<u8>,
}
