//! What uploads bring: a recording's chunks (indexed in one transaction per upload), analytics
//! events, heatmap uploads.
//!
//! The upload path is synchronous on purpose: the engine decodes, cuts, compresses and writes an
//! upload's objects and then commits its rows in one hop to a blocking thread, so
//! [`IngestStore::stored_chunks`] and [`IngestStore::commit_upload`] block and must be called
//! from a blocking thread.

use async_trait::async_trait;

use crate::{Result, SessionRef};

/// One chunk of an upload; its bytes are already durable in the object store.
#[derive(Debug, Clone)]
pub struct NewChunk {
    pub start_ms: i64,
    pub end_ms: i64,
    pub event_count: i64,
    pub raw_bytes: i64,
    pub stored_bytes: i64,
    /// The chunk starts with a FullSnapshot. With `meta_ms`, the Meta before it is in the
    /// chunk; without, the store takes the session's latest Meta as the keyframe's start.
    pub starts_with_snapshot: bool,
    /// The time of the Meta event that starts the chunk, if one does.
    pub meta_ms: Option<i64>,
    /// The time of the chunk's latest Meta event: a later chunk starting with a bare snapshot
    /// belongs to it.
    pub last_meta_ms: Option<i64>,
    pub content_hash: String,
    pub object_key: String,
    pub first_href: Option<(i64, String)>,
    /// The dictionary the chunk was compressed against, if any (chunks of earlier versions).
    pub dictionary_id: Option<i64>,
}

/// One upload of one session: its new chunks and what it says about where it came from.
#[derive(Debug, Clone)]
pub struct NewUpload {
    pub session: SessionRef,
    pub chunks: Vec<NewChunk>,
    pub country: Option<String>,
    /// The upload's User-Agent header, parsed; kept from the session's first upload.
    pub user_agent: Option<UserAgent>,
    /// When the processing stage should look at the session (at the latest).
    pub process_at_ms: i64,
}

/// What [`IngestStore::commit_upload`] did with an upload's chunks.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct UploadCommitted {
    pub stored: usize,
    /// Chunks the session had already (a retried upload, a concurrent twin).
    pub duplicate: usize,
    /// This upload gave the session its first recording: one more session captured this
    /// month for the quota.
    pub newly_captured: bool,
}

/// A User-Agent header and what it says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserAgent {
    pub header: String,
    pub browser: String,
    pub os: String,
    pub device: String,
}

/// One analytics event from the Amplitude HTTP API, already validated.
#[derive(Debug, Clone)]
pub struct AnalyticsEvent {
    pub insert_id: Option<String>,
    pub event_type: String,
    pub time_ms: i64,
    pub device_id: Option<String>,
    pub user_id: Option<String>,
    pub session_id: Option<i64>,
    /// JSON object text.
    pub event_properties: String,
    /// JSON object text.
    pub user_properties: String,
    /// The event's JSON as received (for derived events: as reel wrote it).
    pub raw: String,
    /// A readable name ("Clicked 'Pay now' button"), for events derived from a recording.
    pub display_name: Option<String>,
    /// Derived by reel from a recording, not sent by an SDK.
    pub derived: bool,
}

/// What [`IngestStore::add_events`] stored.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EventsAdded {
    /// Events not seen before (retries are de-duplicated by `insert_id`).
    pub new: usize,
    /// Properties left out of the stored events for being over [`crate::properties`]' limits.
    pub properties_dropped: usize,
}

/// Heatmap data of one `type=interaction` upload.
#[derive(Debug, Clone)]
pub struct Interactions {
    pub session: SessionRef,
    /// The JSON array text, zstd-compressed.
    pub payload_zst: Vec<u8>,
    /// Hash of the uncompressed text: a retried upload is stored once.
    pub content_hash: String,
}

#[async_trait]
pub trait IngestStore: Send + Sync + 'static {
    /// Blocking. Of `content_hashes`, those the session already stores (as a chunk, or as a
    /// chunk compaction has since replaced): what a retried upload need not write again.
    fn stored_chunks(&self, session: &SessionRef, content_hashes: &[String])
    -> Result<Vec<String>>;
    /// Blocking. Indexes an upload's chunks and folds them into the session's facts, in one
    /// transaction; a chunk the session has already is counted as a duplicate and changes
    /// nothing. The session's processing is scheduled in the same transaction.
    fn commit_upload(&self, upload: NewUpload, now_ms: i64) -> Result<UploadCommitted>;

    /// Stores events; those whose insert_id was seen before are skipped. Properties are kept
    /// within [`crate::properties`]' limits (what is over them is dropped and counted).
    async fn add_events(
        &self,
        project_id: i64,
        events: Vec<AnalyticsEvent>,
        now_ms: i64,
    ) -> Result<EventsAdded>;
    /// Returns false when the same payload was stored before.
    async fn add_interactions(&self, interactions: Interactions, now_ms: i64) -> Result<bool>;
}
