//! Compaction: a session's per-upload chunks rewritten into segments (reel-rrweb's segment
//! codec: keyframe-aligned, ids and times delta-coded, large strings as pieces stored once per
//! project, zstd -19 with long matches).
//!
//! Crash-safe and idempotent, in four steps, each a durable state a crash can leave:
//! 1. the new segment objects are recorded as intended writes;
//! 2. they are written (fsynced);
//! 3. one transaction stores the pieces, inserts the segment rows, deletes the replaced chunk
//!    rows (keeping their content hashes so retried uploads are still recognised) and marks
//!    the replaced objects for deletion;
//! 4. the replaced objects are deleted once reads that started before the switch had time to
//!    finish (`replaced_object_grace_seconds`).
//!
//! At start, intended writes whose rows never committed are deleted (a crash between 1 and 3);
//! the maintenance loop deletes due objects (a crash between 3 and 4). Reads return the same
//! events before, during and after: until step 3 they see the chunks, after it the segments, and
//! a read that listed chunks before the switch still finds their objects.

use reel_rrweb::segment::{self, SegmentOptions};
use reel_rrweb::{Event, EventType};
use reel_store::{
    Blobs, ChunkFormat, Compaction, NewPiece, NewSegment, ObjectIntent, SessionRef, StoredChunk,
    WorkItem,
};

use crate::Engine;
use crate::reader::EventReader;

/// Segments hold keyframe-to-keyframe runs up to this many bytes of event JSON: several page
/// loads, so the compressor finds their repeats; small enough to be one windowed read's memory.
pub const SEGMENT_TARGET_BYTES: usize = 8 << 20;
/// A run with no keyframe is cut when it grows past this (a segment then starts without one).
const MAX_RUN_BYTES: usize = 4 * SEGMENT_TARGET_BYTES;
/// A FullSnapshot belongs to the Meta before it when that came this shortly before.
const META_SNAPSHOT_GAP_MS: i64 = 60_000;

/// Aborts the process at a named point when `REEL_CRASH_AT` names it: how the tests kill reel
/// between two steps of a multi-step write. Does nothing otherwise.
pub fn crash_point(name: &str) {
    if std::env::var("REEL_CRASH_AT").is_ok_and(|at| at == name) {
        tracing::error!(point = name, "REEL_CRASH_AT: aborting on purpose");
        std::process::abort();
    }
}

/// What a run decided.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// Nothing to compact.
    Nothing,
    Compacted {
        chunks: usize,
        segments: usize,
    },
    /// Another run changed the session first; nothing was changed.
    Conflict,
}

/// Which chunks to compact now: all of them once the session is idle; while it records, those
/// before its latest keyframe once the open part is large (the tail stays, so the next
/// segment starts at that keyframe).
pub fn choose(chunks: &[StoredChunk], idle: bool, open_limit: usize) -> Vec<StoredChunk> {
    let open: Vec<&StoredChunk> = chunks
        .iter()
        .filter(|c| c.format == ChunkFormat::Chunk)
        .collect();
    if open.is_empty() {
        return Vec::new();
    }
    if idle {
        return open.into_iter().cloned().collect();
    }
    let open_bytes: i64 = open.iter().map(|c| c.raw_bytes).sum();
    if (open_bytes as usize) < open_limit {
        return Vec::new();
    }
    let first_start = open.iter().map(|c| c.start_ms).min().unwrap_or(0);
    let boundary = open
        .iter()
        .filter_map(|c| {
            c.keyframe_ms
                .filter(|_| c.start_ms > first_start)
                .map(|_| c.start_ms)
        })
        .max();
    match boundary {
        Some(boundary) => open
            .into_iter()
            .filter(|c| c.start_ms < boundary)
            .cloned()
            .collect(),
        // No keyframe to keep the tail at: all but the newest chunk.
        None => {
            let newest = open.iter().map(|c| (c.start_ms, c.stored_seq)).max();
            open.into_iter()
                .filter(|c| Some((c.start_ms, c.stored_seq)) != newest)
                .cloned()
                .collect()
        }
    }
}

/// A run of events from one keyframe to the next.
#[derive(Default)]
struct Run {
    events: Vec<Event>,
    bytes: usize,
    keyframe_ms: Option<i64>,
}

impl Run {
    fn push(&mut self, event: Event) {
        self.bytes += event.json().len();
        self.events.push(event);
    }
}

/// A segment ready to be written.
struct Encoded {
    segment: NewSegment,
    bytes: Vec<u8>,
    pieces: Vec<segment::Piece>,
}

/// Compacts `chunks` (a session's, format Chunk) into segments.
pub async fn compact(
    engine: &Engine,
    item: &WorkItem,
    chunks: Vec<StoredChunk>,
) -> Result<Outcome, String> {
    if chunks.is_empty() {
        return Ok(Outcome::Nothing);
    }
    let session = &item.session;
    let replaced: Vec<String> = chunks.iter().map(|c| c.content_hash.clone()).collect();
    // A first chunk that starts with a bare snapshot knows its Meta's time.
    let mut last_meta = chunks
        .iter()
        .min_by_key(|c| (c.start_ms, c.stored_seq))
        .and_then(|c| c.keyframe_ms);
    let mut reader = EventReader::all(engine.clone(), chunks);

    let share = engine.settings().processing_cpu_share;
    let mut encoded: Vec<Encoded> = Vec::new();
    let mut segment: Vec<Run> = Vec::new();
    let mut segment_bytes = 0usize;
    let mut run = Run::default();
    while let Some(event) = reader.next().await.map_err(|e| e.to_string())? {
        if event.kind == EventType::FullSnapshot {
            // The keyframe starts at its Meta when the Meta is the run's last event.
            let mut next = Run::default();
            if run.events.last().is_some_and(|e| e.kind == EventType::Meta) {
                let meta = run.events.pop().expect("checked");
                run.bytes -= meta.json().len();
                next.keyframe_ms = Some(meta.timestamp);
                next.push(meta);
            } else {
                next.keyframe_ms = Some(
                    last_meta
                        .filter(|m| {
                            *m <= event.timestamp && event.timestamp - m <= META_SNAPSHOT_GAP_MS
                        })
                        .unwrap_or(event.timestamp),
                );
            }
            let finished = std::mem::replace(&mut run, next);
            if !finished.events.is_empty() {
                if segment_bytes + finished.bytes > SEGMENT_TARGET_BYTES && segment_bytes > 0 {
                    let runs = std::mem::take(&mut segment);
                    encoded.push(encode_paced(session, runs, share).await?);
                    segment_bytes = 0;
                }
                segment_bytes += finished.bytes;
                segment.push(finished);
            }
        }
        if event.kind == EventType::Meta {
            last_meta = Some(event.timestamp);
        }
        run.push(event);
        if run.bytes > MAX_RUN_BYTES {
            // No keyframe for a long stretch: cut here; the next segment starts without one.
            if !segment.is_empty() {
                let runs = std::mem::take(&mut segment);
                encoded.push(encode_paced(session, runs, share).await?);
                segment_bytes = 0;
            }
            let long = vec![std::mem::take(&mut run)];
            encoded.push(encode_paced(session, long, share).await?);
        }
    }
    if !run.events.is_empty() {
        if segment_bytes + run.bytes > SEGMENT_TARGET_BYTES && segment_bytes > 0 {
            let runs = std::mem::take(&mut segment);
            encoded.push(encode_paced(session, runs, share).await?);
        }
        segment.push(run);
    }
    if !segment.is_empty() {
        encoded.push(encode_paced(session, segment, share).await?);
    }

    let keys: Vec<String> = encoded
        .iter()
        .map(|e| e.segment.object_key.clone())
        .collect();
    engine
        .store()
        .intend_writes(keys)
        .await
        .map_err(|e| e.to_string())?;
    crash_point("compaction:intended");
    for e in &encoded {
        engine
            .blobs()
            .put(&e.segment.object_key, e.bytes.clone())
            .await
            .map_err(|e| e.to_string())?;
    }
    crash_point("compaction:written");

    // Pieces the project does not have yet are compressed and stored with the rows.
    let mut hashes: Vec<[u8; 16]> = encoded
        .iter()
        .flat_map(|e| e.pieces.iter().map(|p| p.hash))
        .collect();
    hashes.sort_unstable();
    hashes.dedup();
    let known = engine
        .store()
        .known_pieces(session.project_id, hashes)
        .await
        .map_err(|e| e.to_string())?;
    let mut fresh: Vec<segment::Piece> = Vec::new();
    for e in &encoded {
        for p in &e.pieces {
            if !known.contains(&p.hash) && !fresh.iter().any(|f| f.hash == p.hash) {
                fresh.push(p.clone());
            }
        }
    }
    let pieces = tokio::task::spawn_blocking(move || {
        fresh
            .into_iter()
            .map(|p| NewPiece {
                hash: p.hash,
                raw_bytes: p.bytes.len() as i64,
                stored: segment::compress_piece(&p.bytes),
            })
            .collect::<Vec<_>>()
    })
    .await
    .map_err(|e| e.to_string())?;

    let segments = encoded.len();
    let now = engine.now_ms();
    let replaced_count = replaced.len();
    let committed = engine
        .store()
        .commit_compaction(
            Compaction {
                session: session.clone(),
                replaced,
                segments: encoded.into_iter().map(|e| e.segment).collect(),
                pieces,
                delete_after_ms: now
                    + engine.settings().replaced_object_grace_seconds as i64 * 1000,
            },
            now,
        )
        .await
        .map_err(|e| e.to_string())?;
    crash_point("compaction:committed");
    if !committed {
        return Ok(Outcome::Conflict);
    }
    Ok(Outcome::Compacted {
        chunks: replaced_count,
        segments,
    })
}

/// Encodes runs into one segment on the blocking pool, then rests in proportion to the work so
/// the stage keeps to its CPU share while compacting a large session.
async fn encode_paced(session: &SessionRef, runs: Vec<Run>, share: f64) -> Result<Encoded, String> {
    let session = session.clone();
    let started = std::time::Instant::now();
    let encoded = tokio::task::spawn_blocking(move || encode(&session, runs))
        .await
        .map_err(|e| e.to_string())?;
    crate::analysis::pause_for_share(started.elapsed(), share).await;
    Ok(encoded)
}

/// Encodes runs into one segment.
fn encode(session: &SessionRef, runs: Vec<Run>) -> Encoded {
    let keyframe_ms = runs.first().and_then(|r| r.keyframe_ms);
    let events: Vec<Event> = runs.into_iter().flat_map(|r| r.events).collect();
    let texts: Vec<&str> = events.iter().map(Event::json).collect();
    let out = segment::encode_segment(&texts, &SegmentOptions::default());
    let mut hasher = reel_model::ContentHasher::new();
    for t in &texts {
        hasher.update(t.as_bytes());
        hasher.update(b"\n");
    }
    let content_hash = hasher.finish();
    let start_ms = events.iter().map(|e| e.timestamp).min().unwrap_or(0);
    let end_ms = events.iter().map(|e| e.timestamp).max().unwrap_or(0);
    let object_key = Blobs::segment_key(session, start_ms, &content_hash);
    Encoded {
        segment: NewSegment {
            start_ms,
            end_ms,
            keyframe_ms,
            event_count: events.len() as i64,
            raw_bytes: out.raw_bytes as i64,
            stored_bytes: out.bytes.len() as i64,
            content_hash,
            object_key,
            pieces: out.pieces.iter().map(|p| p.hash).collect(),
        },
        bytes: out.bytes,
        pieces: out.pieces,
    }
}

/// Resolves objects a crash left on their way in or out: intended writes whose rows never
/// committed are deleted; so are replaced objects whose time has come. `at_start`: also the
/// intended writes (nothing is writing yet).
pub async fn settle_objects(engine: &Engine, at_start: bool) -> Result<usize, String> {
    let mut settled = 0;
    let store = engine.store();
    for intent in store
        .object_intents(engine.now_ms())
        .await
        .map_err(|e| e.to_string())?
    {
        let (object_key, delete) = match intent {
            ObjectIntent::Writing { object_key } => {
                if !at_start {
                    continue;
                }
                let referenced = store
                    .object_referenced(&object_key)
                    .await
                    .map_err(|e| e.to_string())?;
                (object_key, !referenced)
            }
            ObjectIntent::Deleting { object_key, .. } => (object_key, true),
        };
        if delete {
            engine
                .blobs()
                .delete(&object_key)
                .await
                .map_err(|e| e.to_string())?;
        }
        store
            .forget_intent(&object_key)
            .await
            .map_err(|e| e.to_string())?;
        settled += 1;
    }
    Ok(settled)
}
