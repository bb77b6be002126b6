//! Reading a recording back: a session's stored pieces merged into one stream of events in
//! time order, for the events API, windowed reads and the processing stage.
//!
//! Pieces are sorted by start time and loaded only when the earliest pending event is not
//! earlier than the next piece's start, so memory holds the pieces whose time spans overlap,
//! never the whole session.

use std::cmp::{Ordering, Reverse};
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::sync::Arc;

use reel_rrweb::Event;
use reel_rrweb::segment;
use reel_store::{ChunkFormat, StoredChunk};

use crate::{AppState, dictionaries};

/// A stored piece never inflates past this (reel writes far smaller ones).
const MAX_PIECE_INFLATED: usize = 512 * 1024 * 1024;

#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("stored recording is unreadable: {0}")]
    Unreadable(String),
}

/// Events of a session between two times, in time order (ties in stored order).
pub struct EventReader {
    state: AppState,
    chunks: VecDeque<StoredChunk>,
    pending: BinaryHeap<Reverse<Pending>>,
    order: u64,
    from_ms: i64,
    to_ms: i64,
}

struct Pending {
    ts: i64,
    order: u64,
    event: Event,
}

impl PartialEq for Pending {
    fn eq(&self, other: &Self) -> bool {
        (self.ts, self.order) == (other.ts, other.order)
    }
}
impl Eq for Pending {}
impl PartialOrd for Pending {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Pending {
    fn cmp(&self, other: &Self) -> Ordering {
        (self.ts, self.order).cmp(&(other.ts, other.order))
    }
}

impl EventReader {
    /// Reads the events with `from_ms <= timestamp <= to_ms` of `chunks` (a session's, in any
    /// order).
    pub fn new(state: AppState, mut chunks: Vec<StoredChunk>, from_ms: i64, to_ms: i64) -> Self {
        chunks.retain(|c| c.end_ms >= from_ms && c.start_ms <= to_ms);
        chunks.sort_by_key(|c| (c.start_ms, c.id));
        Self {
            state,
            chunks: chunks.into(),
            pending: BinaryHeap::new(),
            order: 0,
            from_ms,
            to_ms,
        }
    }

    /// Everything.
    pub fn all(state: AppState, chunks: Vec<StoredChunk>) -> Self {
        Self::new(state, chunks, i64::MIN, i64::MAX)
    }

    pub async fn next(&mut self) -> Result<Option<Event>, ReadError> {
        loop {
            while let Some(next) = self.chunks.front() {
                let earliest = self.pending.peek().map(|Reverse(p)| p.ts);
                if earliest.is_some_and(|ts| ts < next.start_ms) {
                    break;
                }
                let chunk = self.chunks.pop_front().expect("front exists");
                for event in load(&self.state, &chunk).await? {
                    if event.timestamp < self.from_ms || event.timestamp > self.to_ms {
                        continue;
                    }
                    self.order += 1;
                    self.pending.push(Reverse(Pending {
                        ts: event.timestamp,
                        order: self.order,
                        event,
                    }));
                }
            }
            match self.pending.pop() {
                Some(Reverse(p)) => return Ok(Some(p.event)),
                None if self.chunks.is_empty() => return Ok(None),
                None => continue,
            }
        }
    }
}

/// Where a read that must show the moment `at_ms` starts: the latest keyframe at or before it
/// (its Meta's time), or the recording's start when none is.
pub fn keyframe_at_or_before(chunks: &[StoredChunk], at_ms: i64) -> i64 {
    chunks
        .iter()
        .filter_map(|c| c.keyframe_ms)
        .filter(|k| *k <= at_ms)
        .max()
        .unwrap_or_else(|| chunks.iter().map(|c| c.start_ms).min().unwrap_or(at_ms))
}

/// One stored piece's events, in stored order.
pub async fn load(state: &AppState, chunk: &StoredChunk) -> Result<Vec<Event>, ReadError> {
    let unreadable =
        |e: &dyn std::fmt::Display| ReadError::Unreadable(format!("{}: {e}", chunk.object_key));
    let stored = state
        .blobs
        .get(&chunk.object_key)
        .await
        .map_err(|e| unreadable(&e))?;
    if chunk.format == ChunkFormat::Segment {
        return load_segment(state, chunk.project_id, stored)
            .await
            .map_err(|e| unreadable(&e));
    }
    let dictionary = match chunk.dictionary_id {
        Some(id) => Some(
            dictionaries::bytes(state, id)
                .await
                .map_err(|e| unreadable(&e))?,
        ),
        None => None,
    };
    tokio::task::spawn_blocking(move || {
        reel_rrweb::chunk::decode(
            &stored,
            dictionary.as_deref().map(Vec::as_slice),
            MAX_PIECE_INFLATED,
        )
    })
    .await
    .map_err(|e| unreadable(&e))?
    .map_err(|e| unreadable(&e))
}

/// A segment's events: its pieces from the cache or the store, then one decode.
async fn load_segment(
    state: &AppState,
    project_id: i64,
    stored: bytes::Bytes,
) -> Result<Vec<Event>, String> {
    let info = segment::segment_info(&stored).map_err(|e| e.to_string())?;
    let mut pieces: HashMap<[u8; 16], Arc<[u8]>> = HashMap::new();
    let mut missing = Vec::new();
    for r in &info.pieces {
        match state.pieces.get(project_id, &r.hash) {
            Some(bytes) => {
                pieces.insert(r.hash, bytes);
            }
            None => missing.push(r.hash),
        }
    }
    if !missing.is_empty() {
        let found = state
            .meta
            .pieces(project_id, missing)
            .await
            .map_err(|e| e.to_string())?;
        let limits: HashMap<[u8; 16], usize> =
            info.pieces.iter().map(|r| (r.hash, r.len)).collect();
        let decoded = tokio::task::spawn_blocking(move || {
            found
                .into_iter()
                .map(|(hash, stored)| {
                    let limit = limits.get(&hash).copied().unwrap_or(0);
                    segment::decompress_piece(&stored, limit).map(|b| (hash, Arc::<[u8]>::from(b)))
                })
                .collect::<Result<Vec<_>, _>>()
        })
        .await
        .map_err(|e| e.to_string())?
        .map_err(|e| e.to_string())?;
        for (hash, bytes) in decoded {
            state.pieces.put(project_id, hash, bytes.clone());
            pieces.insert(hash, bytes);
        }
    }
    let limit = info.raw_bytes + info.event_count;
    tokio::task::spawn_blocking(move || {
        let texts = segment::decode_segment(&stored, &mut |h| pieces.get(h).cloned(), limit)
            .map_err(|e| e.to_string())?;
        texts
            .iter()
            .map(|t| Event::parse(t).map_err(|e| e.to_string()))
            .collect()
    })
    .await
    .map_err(|e| e.to_string())?
}
