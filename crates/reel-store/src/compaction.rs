//! A recording's stored pieces — chunks as uploaded, segments compaction made of them, the large
//! strings segments share — and the objects on their way in or out.

use async_trait::async_trait;

use crate::{Result, SessionRef};

/// How a stored piece of a recording is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChunkFormat {
    /// An upload's events, zstd-compressed newline-delimited JSON (maybe against a dictionary).
    Chunk,
    /// A compacted run of events in reel-rrweb's segment format, referring to pieces.
    Segment,
}

/// A stored chunk or segment, as the reader and compaction need it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredChunk {
    pub project_id: i64,
    pub format: ChunkFormat,
    /// Names the chunk within its session (its content's hash).
    pub content_hash: String,
    /// Where playing from this chunk can start (the keyframe's Meta), if it starts at one.
    pub keyframe_ms: Option<i64>,
    pub event_count: i64,
    pub raw_bytes: i64,
    pub start_ms: i64,
    pub end_ms: i64,
    /// Increases with each chunk stored: orders chunks that start at the same moment.
    pub stored_seq: i64,
    pub self_contained: bool,
    pub object_key: String,
    pub stored_bytes: i64,
    pub dictionary_id: Option<i64>,
}

/// A generation of a project's compression dictionary (chunks of earlier versions of reel were
/// compressed against one): raw content kept as an object. Immutable.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dictionary {
    pub id: i64,
    pub object_key: String,
}

/// A segment about to replace chunks; its object is already durable.
#[derive(Debug, Clone)]
pub struct NewSegment {
    pub start_ms: i64,
    pub end_ms: i64,
    pub keyframe_ms: Option<i64>,
    pub event_count: i64,
    pub raw_bytes: i64,
    pub stored_bytes: i64,
    pub content_hash: String,
    pub object_key: String,
    /// The pieces it refers to.
    pub pieces: Vec<[u8; 16]>,
}

/// A piece (a large string shared by segments) as stored.
#[derive(Debug, Clone)]
pub struct NewPiece {
    pub hash: [u8; 16],
    pub raw_bytes: i64,
    pub stored: Vec<u8>,
}

/// Compaction of one session: `replaced` chunks (by content hash) give way to `segments`, in
/// one transaction.
#[derive(Debug, Clone)]
pub struct Compaction {
    pub session: SessionRef,
    pub replaced: Vec<String>,
    pub segments: Vec<NewSegment>,
    /// Pieces the segments refer to; those the project has already are not stored again.
    pub pieces: Vec<NewPiece>,
    /// The replaced objects are deleted after this (reads that started before finish).
    pub delete_after_ms: i64,
}

/// An object on its way in or out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ObjectIntent {
    /// Written for rows that may not have committed.
    Writing { object_key: String },
    /// To be deleted from `not_before_ms` on.
    Deleting {
        object_key: String,
        not_before_ms: i64,
    },
}

#[async_trait]
pub trait CompactionStore: Send + Sync + 'static {
    /// A session's chunks and segments, by start time (then in the order they were stored).
    async fn session_chunks(&self, session: &SessionRef) -> Result<Vec<StoredChunk>>;
    /// Records that these objects are about to be written for rows not yet committed.
    async fn intend_writes(&self, object_keys: Vec<String>) -> Result<()>;
    /// Replaces chunks by segments atomically (see [`Compaction`]). Returns false, changing
    /// nothing, when a replaced chunk is gone (another run compacted it).
    async fn commit_compaction(&self, compaction: Compaction, now_ms: i64) -> Result<bool>;
    /// Stored pieces of a project by hash (those it has).
    async fn pieces(
        &self,
        project_id: i64,
        hashes: Vec<[u8; 16]>,
    ) -> Result<Vec<([u8; 16], Vec<u8>)>>;
    /// Of these hashes, those the project already stores.
    async fn known_pieces(&self, project_id: i64, hashes: Vec<[u8; 16]>) -> Result<Vec<[u8; 16]>>;
    async fn dictionary(&self, id: i64) -> Result<Option<Dictionary>>;

    /// Objects on their way in or out: writes never committed, deletions due at `now_ms`.
    async fn object_intents(&self, now_ms: i64) -> Result<Vec<ObjectIntent>>;
    /// Whether a row names the object.
    async fn object_referenced(&self, object_key: &str) -> Result<bool>;
    async fn forget_intent(&self, object_key: &str) -> Result<()>;
    /// Of `object_keys`, those that no row names (chunks, dictionaries, intents).
    async fn unreferenced_objects(&self, object_keys: Vec<String>) -> Result<Vec<String>>;
}
