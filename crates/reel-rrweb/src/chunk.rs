//! Chunks: the unit in which uploads are stored until compaction rewrites a session into
//! segments.
//!
//! An upload is cut so that every FullSnapshot (with the Meta before it, when that came in the
//! same upload) starts a new chunk: a keyframe, playable without any chunk before it. On disk a
//! chunk is the events' original JSON, one per line, zstd-compressed at a fast level — the
//! upload path stays cheap. Chunks of earlier versions may be compressed against a per-project
//! raw-content dictionary; they name it and decode with it.

use std::io::Read;

use reel_model::ContentHasher;

use crate::{Event, EventType};

/// zstd level for chunks: they live until compaction rewrites them (zstd -19, long matches), so
/// the upload path takes the fastest level.
const ZSTD_LEVEL: i32 = 1;

#[derive(Debug, Clone)]
pub struct Chunk {
    pub events: Vec<Event>,
}

/// What the store keeps about a chunk next to its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkFacts {
    pub start_ms: i64,
    pub end_ms: i64,
    pub event_count: usize,
    /// Bytes of the events' JSON, uncompressed.
    pub raw_bytes: usize,
    /// Starts with Meta followed by FullSnapshot: playable on its own.
    pub self_contained: bool,
    /// Starts with a FullSnapshot, or with a Meta and its FullSnapshot: a keyframe. Without
    /// its Meta, the Meta ended the session's previous upload.
    pub starts_with_snapshot: bool,
    /// The time of the Meta that starts the chunk, if one does.
    pub meta_ms: Option<i64>,
    /// The time of the chunk's latest Meta.
    pub last_meta_ms: Option<i64>,
    /// The first Meta event's page URL, with its time.
    pub first_href: Option<(i64, String)>,
    /// A content hash: the same events always give the same hash, so a retried upload is
    /// recognised and stored once.
    pub content_hash: String,
}

/// Orders a batch by time and cuts it before every FullSnapshot — before its Meta when the Meta
/// directly precedes it — so every keyframe starts a chunk, whichever upload its Meta came in.
/// An empty batch gives no chunks.
pub fn split_at_snapshots(mut events: Vec<Event>) -> Vec<Chunk> {
    // Stable: a Meta and its FullSnapshot often share a timestamp and must keep their order.
    events.sort_by_key(|e| e.timestamp);
    let mut chunks: Vec<Chunk> = Vec::new();
    let mut current: Vec<Event> = Vec::new();
    let mut iter = events.into_iter().peekable();
    while let Some(event) = iter.next() {
        let starts_pair = event.kind == EventType::Meta
            && iter
                .peek()
                .is_some_and(|next| next.kind == EventType::FullSnapshot);
        let bare_snapshot = event.kind == EventType::FullSnapshot
            && current
                .last()
                .is_none_or(|last| last.kind != EventType::Meta);
        if (starts_pair || bare_snapshot) && !current.is_empty() {
            chunks.push(Chunk {
                events: std::mem::take(&mut current),
            });
        }
        current.push(event);
    }
    if !current.is_empty() {
        chunks.push(Chunk { events: current });
    }
    chunks
}

impl Chunk {
    pub fn facts(&self) -> ChunkFacts {
        let mut hasher = ContentHasher::new();
        let mut raw_bytes = 0;
        for e in &self.events {
            hasher.update(e.json().as_bytes());
            hasher.update(b"\n");
            raw_bytes += e.json().len();
        }
        let first = self.events.first();
        ChunkFacts {
            start_ms: first.map_or(0, |e| e.timestamp),
            end_ms: self.events.last().map_or(0, |e| e.timestamp),
            event_count: self.events.len(),
            raw_bytes,
            self_contained: matches!(
                (self.events.first(), self.events.get(1)),
                (Some(a), Some(b)) if a.kind == EventType::Meta && b.kind == EventType::FullSnapshot
            ),
            starts_with_snapshot: match (self.events.first(), self.events.get(1)) {
                (Some(a), _) if a.kind == EventType::FullSnapshot => true,
                (Some(a), Some(b)) => {
                    a.kind == EventType::Meta && b.kind == EventType::FullSnapshot
                }
                _ => false,
            },
            meta_ms: first
                .filter(|e| e.kind == EventType::Meta)
                .map(|e| e.timestamp),
            last_meta_ms: self
                .events
                .iter()
                .rev()
                .find(|e| e.kind == EventType::Meta)
                .map(|e| e.timestamp),
            first_href: self
                .events
                .iter()
                .find_map(|e| e.href.clone().map(|h| (e.timestamp, h))),
            content_hash: hasher.finish(),
        }
    }

    /// Newline-delimited event JSON: what is compressed, and what a dictionary is made of.
    pub fn plain(&self) -> Vec<u8> {
        let mut plain = Vec::new();
        for e in &self.events {
            plain.extend_from_slice(e.json().as_bytes());
            plain.push(b'\n');
        }
        plain
    }

    /// The stored form: [`Chunk::plain`], zstd-compressed, against `dictionary` when given
    /// (raw content: any bytes; chunks of earlier versions were written against the project's
    /// own snapshots).
    pub fn encode(&self, dictionary: Option<&[u8]>) -> Vec<u8> {
        let plain = self.plain();
        let mut compressor = match dictionary {
            Some(dict) => zstd::bulk::Compressor::with_dictionary(ZSTD_LEVEL, dict),
            None => zstd::bulk::Compressor::new(ZSTD_LEVEL),
        }
        .expect("zstd accepts any raw-content dictionary");
        // A checksum makes decoding with the wrong dictionary an error, never wrong events.
        compressor
            .include_checksum(true)
            .expect("a valid zstd parameter");
        compressor
            .compress(&plain)
            .expect("zstd compression of memory cannot fail")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ChunkDecodeError {
    #[error("chunk is not valid zstd data")]
    Corrupt,
    #[error("chunk inflates past {limit} bytes")]
    TooLarge { limit: usize },
}

/// Reads a stored chunk back into its events' JSON texts (in stored order), refusing to
/// inflate past `limit` bytes. `dictionary` must be the one the chunk was encoded with.
pub fn decode(
    stored: &[u8],
    dictionary: Option<&[u8]>,
    limit: usize,
) -> Result<Vec<Event>, ChunkDecodeError> {
    let reader = std::io::BufReader::new(stored);
    let decoder = match dictionary {
        Some(dict) => zstd::stream::read::Decoder::with_dictionary(reader, dict),
        None => zstd::stream::read::Decoder::with_buffer(reader),
    }
    .map_err(|_| ChunkDecodeError::Corrupt)?;
    let mut plain = Vec::new();
    decoder
        .take(limit as u64 + 1)
        .read_to_end(&mut plain)
        .map_err(|_| ChunkDecodeError::Corrupt)?;
    if plain.len() > limit {
        return Err(ChunkDecodeError::TooLarge { limit });
    }
    let text = std::str::from_utf8(&plain).map_err(|_| ChunkDecodeError::Corrupt)?;
    text.lines()
        .filter(|l| !l.is_empty())
        .map(|l| Event::parse(l).map_err(|_| ChunkDecodeError::Corrupt))
        .collect()
}

#[cfg(test)]
#[path = "chunk_tests.rs"]
mod tests;
