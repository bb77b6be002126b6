//! Reading a recording back: a session's stored pieces merged into one stream of events in
//! time order, for the events API, windowed reads, the timeline and the processing stage.
//!
//! Pieces are sorted by start time and loaded only when the earliest pending event is not
//! earlier than the next piece's start, so memory holds the pieces whose time spans overlap,
//! never the whole session.

use std::cmp::{Ordering, Reverse};
use std::collections::{BinaryHeap, HashMap, VecDeque};
use std::sync::Arc;

use reel_rrweb::Event;
use reel_rrweb::keyframes::KeyframeWindow;
use reel_rrweb::segment;
use reel_rrweb::timeline::{Timeline, TimelineBuilder};
use reel_store::{ChunkFormat, StoredChunk};

use crate::{Engine, ReadError, dictionaries};

/// A stored piece never inflates past this (reel writes far smaller ones).
const MAX_PIECE_INFLATED: usize = 512 * 1024 * 1024;

/// Events of a session between two times, in time order (ties in stored order).
pub struct EventReader {
    engine: Engine,
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
    pub fn new(engine: Engine, mut chunks: Vec<StoredChunk>, from_ms: i64, to_ms: i64) -> Self {
        chunks.retain(|c| c.end_ms >= from_ms && c.start_ms <= to_ms);
        chunks.sort_by_key(|c| (c.start_ms, c.stored_seq));
        Self {
            engine,
            chunks: chunks.into(),
            pending: BinaryHeap::new(),
            order: 0,
            from_ms,
            to_ms,
        }
    }

    /// Everything.
    pub fn all(engine: Engine, chunks: Vec<StoredChunk>) -> Self {
        Self::new(engine, chunks, i64::MIN, i64::MAX)
    }

    pub async fn next(&mut self) -> Result<Option<Event>, ReadError> {
        loop {
            while let Some(next) = self.chunks.front() {
                let earliest = self.pending.peek().map(|Reverse(p)| p.ts);
                if earliest.is_some_and(|ts| ts < next.start_ms) {
                    break;
                }
                let chunk = self.chunks.pop_front().expect("front exists");
                for event in load(&self.engine, &chunk).await? {
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

impl Engine {
    /// Reads a recording's events with `from_ms <= timestamp <= to_ms`.
    pub fn reader(&self, chunks: Vec<StoredChunk>, from_ms: i64, to_ms: i64) -> EventReader {
        EventReader::new(self.clone(), chunks, from_ms, to_ms)
    }

    /// The part of a recording a player needs to show the moments from `from` to `to`: with
    /// `exact`, the events from `from` on; else from the latest keyframe (Meta + FullSnapshot)
    /// at or before `from`, so the window plays on its own. Without `from`, everything up to
    /// `to`.
    pub async fn window(
        &self,
        chunks: Vec<StoredChunk>,
        from: Option<i64>,
        to: i64,
        exact: bool,
    ) -> Result<Window, ReadError> {
        let start = match from {
            Some(from) if exact => from,
            Some(from) => keyframe_at_or_before(&chunks, from),
            None => i64::MIN,
        };
        let mut reader = self.reader(chunks, start, to);
        // A stored piece records only its first keyframe; a compacted segment holds several.
        // Read up to `from` (one piece is in memory anyway) and start at the latest Meta +
        // FullSnapshot at or before it, so the window is no longer than it has to be.
        let (prefix, start) = match from {
            Some(from) if !exact => {
                let prefix = from_latest_keyframe(&mut reader, from).await?;
                let start = prefix
                    .front()
                    .map_or(start, |e| e.timestamp.min(from).max(start));
                (prefix, start)
            }
            _ => (VecDeque::new(), start),
        };
        Ok(Window {
            start_ms: (start != i64::MIN).then_some(start),
            prefix,
            reader,
        })
    }

    /// What the whole recording holds for a player's panels and timeline, read in one streamed
    /// pass (memory holds the pieces being merged, never the session).
    pub async fn timeline(
        &self,
        chunks: Vec<StoredChunk>,
        start_ms: i64,
        end_ms: i64,
    ) -> Result<Timeline, ReadError> {
        let mut reader = self.reader(chunks, i64::MIN, i64::MAX);
        let mut timeline = TimelineBuilder::new(start_ms);
        let mut since_yield = 0usize;
        while let Some(event) = reader.next().await? {
            timeline.push(&event);
            since_yield += 1;
            if since_yield >= 2_000 {
                // Building is cheap per event; let other tasks run between stretches.
                since_yield = 0;
                tokio::task::yield_now().await;
            }
        }
        Ok(timeline.finish(end_ms))
    }
}

/// Events of a window (see [`Engine::window`]), in time order.
pub struct Window {
    /// Where the window starts, when it starts at a moment (a keyframe or `from`).
    pub start_ms: Option<i64>,
    prefix: VecDeque<Event>,
    reader: EventReader,
}

impl Window {
    pub async fn next(&mut self) -> Result<Option<Event>, ReadError> {
        match self.prefix.pop_front() {
            Some(event) => Ok(Some(event)),
            None => self.reader.next().await,
        }
    }
}

/// Reads `reader` (which starts at a keyframe) until the first event after `from` and returns
/// what a window showing `from` needs ([`KeyframeWindow`]): holds at most the events between
/// two keyframes.
async fn from_latest_keyframe(
    reader: &mut EventReader,
    from: i64,
) -> Result<VecDeque<Event>, ReadError> {
    let mut window = KeyframeWindow::new(from);
    while let Some(event) = reader.next().await? {
        if window.push(event) {
            break;
        }
    }
    Ok(window.into_events())
}

/// One stored piece's events, in stored order.
pub async fn load(engine: &Engine, chunk: &StoredChunk) -> Result<Vec<Event>, ReadError> {
    let unreadable =
        |e: &dyn std::fmt::Display| ReadError::Unreadable(format!("{}: {e}", chunk.object_key));
    let stored = engine
        .blobs()
        .get(&chunk.object_key)
        .await
        .map_err(|e| unreadable(&e))?;
    if chunk.format == ChunkFormat::Segment {
        return load_segment(engine, chunk.project_id, stored)
            .await
            .map_err(|e| unreadable(&e));
    }
    let dictionary = match chunk.dictionary_id {
        Some(id) => Some(
            dictionaries::bytes(engine, id)
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
    engine: &Engine,
    project_id: i64,
    stored: bytes::Bytes,
) -> Result<Vec<Event>, String> {
    let info = segment::segment_info(&stored).map_err(|e| e.to_string())?;
    let mut pieces: HashMap<[u8; 16], Arc<[u8]>> = HashMap::new();
    let mut missing = Vec::new();
    for r in &info.pieces {
        match engine.0.pieces.get(project_id, &r.hash) {
            Some(bytes) => {
                pieces.insert(r.hash, bytes);
            }
            None => missing.push(r.hash),
        }
    }
    if !missing.is_empty() {
        let found = engine
            .store()
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
            engine.0.pieces.put(project_id, hash, bytes.clone());
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

/// Decoded pieces by (project, hash), bounded in bytes; pieces are immutable.
#[derive(Clone, Default)]
pub(crate) struct PieceCache(Arc<std::sync::Mutex<PieceCacheInner>>);

#[derive(Default)]
struct PieceCacheInner {
    pieces: std::collections::HashMap<(i64, [u8; 16]), Arc<[u8]>>,
    bytes: usize,
}

/// Bytes of decoded pieces kept in memory.
const PIECE_CACHE_BYTES: usize = 64 << 20;

impl PieceCache {
    pub fn get(&self, project_id: i64, hash: &[u8; 16]) -> Option<Arc<[u8]>> {
        let inner = self.0.lock().unwrap_or_else(|e| e.into_inner());
        inner.pieces.get(&(project_id, *hash)).cloned()
    }

    pub fn put(&self, project_id: i64, hash: [u8; 16], bytes: Arc<[u8]>) {
        if bytes.len() > PIECE_CACHE_BYTES / 4 {
            return;
        }
        let mut inner = self.0.lock().unwrap_or_else(|e| e.into_inner());
        while inner.bytes + bytes.len() > PIECE_CACHE_BYTES {
            // Any entry may go: pieces are re-read from the store when needed.
            let Some(key) = inner.pieces.keys().next().copied() else {
                break;
            };
            if let Some(old) = inner.pieces.remove(&key) {
                inner.bytes -= old.len();
            }
        }
        inner.bytes += bytes.len();
        if let Some(old) = inner.pieces.insert((project_id, hash), bytes) {
            inner.bytes -= old.len();
        }
    }
}
