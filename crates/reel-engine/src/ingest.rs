//! Storing an upload: the one place a recording batch is parsed and stored, for the HTTP
//! handlers and the demo seeder alike.
//!
//! One hop to a blocking thread per upload: the body is decoded (within the request's memory
//! reservation), events whose time cannot belong to the session are dropped, the rest cut into
//! chunks at keyframes (Meta + FullSnapshot), each compressed and hashed; objects the session
//! does not have yet are written (fsynced), then every row of the upload commits in one
//! transaction. The upload is answered after that: acknowledged means durable.

use bytes::Bytes;
use reel_rrweb::capture_filter::{self, CaptureRules};
use reel_rrweb::inflate::{InflateError, Meter};
use reel_rrweb::upload::{Limits, decode_track_body};
use reel_rrweb::{ChunkFacts, Event, UploadError};
use reel_store::{Blobs, Interactions, NewChunk, NewUpload, SessionRef, UserAgent};

use crate::budget::Reservation;
use crate::{Engine, IngestError};

/// What happened to a recording batch.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RecordingOutcome {
    pub events_accepted: usize,
    /// Unreadable events, skipped.
    pub events_unreadable: usize,
    /// Readable events whose time is not plausible for the session, skipped.
    pub events_out_of_range: usize,
    pub chunks_stored: usize,
    /// Chunks already stored by an earlier (retried) upload.
    pub chunks_duplicate: usize,
    /// Readable events the project's settings leave out (console or network records it does
    /// not keep, pages on blocked URLs).
    pub events_left_out: usize,
}

/// What an upload says about where it came from.
#[derive(Debug, Clone, Default)]
pub struct UploadContext {
    pub country: Option<String>,
    pub user_agent: Option<UserAgent>,
}

/// Decides, once an upload is decoded, whether it may be stored now: called with the number of
/// events it holds; `Err` carries how many seconds the client should wait (throttling).
pub type Admission = Box<dyn FnOnce(usize) -> Result<(), u64> + Send>;

/// A recording upload as it arrived, with the memory reservation that paid for reading it.
pub struct RecordingUpload {
    pub session: SessionRef,
    pub body: Bytes,
    pub gzip: bool,
    pub reservation: Reservation,
    pub context: UploadContext,
    /// What the project's settings leave out.
    pub rules: CaptureRules,
    /// The page the SDK says it is on (`X-Client-Url`): where the upload's events before its
    /// first Meta were recorded.
    pub page: Option<String>,
    /// Whether the upload may be stored now, once its size in events is known.
    pub admission: Option<Admission>,
}

/// Events are kept only within this long before the session started (clock drift between
/// tabs, an SDK that opens the session a moment late)…
const BEFORE_SESSION_MS: i64 = 3_600_000;
/// …and this long after it: longer than any session a person has.
const SESSION_SPAN_MS: i64 = 7 * 86_400_000;
/// Events further in the future than this (by the server's clock) are not plausible either.
const AHEAD_OF_SERVER_MS: i64 = 86_400_000;

/// Whether an event's time fits the session: near its start (the session id is the epoch ms
/// at which the session started) and not far ahead of the server's clock.
pub fn plausible_time(timestamp: i64, session_id: i64, now_ms: i64) -> bool {
    let earliest = session_id.saturating_sub(BEFORE_SESSION_MS);
    let latest = session_id
        .saturating_add(SESSION_SPAN_MS)
        .min(now_ms.saturating_add(AHEAD_OF_SERVER_MS));
    (earliest..=latest).contains(&timestamp)
}

/// The longest User-Agent header kept.
const MAX_USER_AGENT: usize = 512;

/// Parses a User-Agent header for the session facts (browser, OS, device).
pub fn user_agent(header: &str) -> UserAgent {
    let mut end = header.len().min(MAX_USER_AGENT);
    while !header.is_char_boundary(end) {
        end -= 1;
    }
    let info = reel_rrweb::user_agent::parse(header);
    UserAgent {
        header: header[..end].to_owned(),
        browser: info.browser,
        os: info.os,
        device: info.device.as_str().to_owned(),
    }
}

/// Heatmap payloads are small and written once: a stronger level than recordings' fast path.
const INTERACTIONS_ZSTD_LEVEL: i32 = 9;

/// One chunk ready to be written: its facts and its compressed bytes.
struct PreparedChunk {
    facts: ChunkFacts,
    bytes: Vec<u8>,
}

impl Engine {
    /// What one upload may cost.
    pub fn upload_limits(&self) -> Limits {
        let s = self.settings();
        Limits {
            max_decompressed: s.max_decompressed_bytes,
            max_events: s.max_events_per_upload,
            max_depth: s.max_event_depth,
        }
    }

    /// Stores a recording upload (see the module): returns once it is durable.
    pub async fn ingest_recording(
        &self,
        upload: RecordingUpload,
    ) -> Result<RecordingOutcome, IngestError> {
        let engine = self.clone();
        blocking(move || engine.ingest_recording_here(upload)).await
    }

    fn ingest_recording_here(
        &self,
        upload: RecordingUpload,
    ) -> Result<RecordingOutcome, IngestError> {
        let RecordingUpload {
            session,
            body,
            gzip,
            mut reservation,
            context,
            rules,
            page,
            admission,
        } = upload;
        let now = self.now_ms();
        let mut meter = ReservationMeter::new(&mut reservation);
        let decoded = decode_track_body(&body, gzip, &self.upload_limits(), &mut meter)
            .map_err(|e| meter.error(e))?;
        drop(body);
        for reason in &decoded.skip_reasons {
            tracing::warn!(%reason, "skipped an unreadable event");
        }
        let read = decoded.events.len();
        if let Some(admit) = admission {
            admit(read).map_err(|retry_after_seconds| IngestError::Throttled {
                retry_after_seconds,
            })?;
        }
        let (events, left_out) = capture_filter::apply(decoded.events, &rules, page.as_deref());
        let read = events.len();
        let events: Vec<Event> = events
            .into_iter()
            .filter(|e| plausible_time(e.timestamp, session.session_id, now))
            .collect();
        let out_of_range = read - events.len();
        if out_of_range > 0 {
            tracing::warn!(
                out_of_range,
                session_id = session.session_id,
                "skipped events whose time is far from their session's"
            );
        }
        let mut outcome = self.store_events_here(session, events, context)?;
        outcome.events_unreadable = decoded.skipped;
        outcome.events_out_of_range = out_of_range;
        outcome.events_left_out = left_out.total();
        Ok(outcome)
    }

    /// Stores already parsed events of one session (the demo seeder, tools), as an upload.
    pub async fn ingest_events(
        &self,
        session: SessionRef,
        events: Vec<Event>,
        context: UploadContext,
    ) -> Result<RecordingOutcome, IngestError> {
        let engine = self.clone();
        blocking(move || engine.store_events_here(session, events, context)).await
    }

    /// Cuts, compresses, writes and commits events of one session, on the calling (blocking)
    /// thread.
    fn store_events_here(
        &self,
        session: SessionRef,
        events: Vec<Event>,
        context: UploadContext,
    ) -> Result<RecordingOutcome, IngestError> {
        let mut outcome = RecordingOutcome {
            events_accepted: events.len(),
            ..Default::default()
        };
        let chunks: Vec<PreparedChunk> = reel_rrweb::chunk::split_at_snapshots(events)
            .into_iter()
            .map(|chunk| PreparedChunk {
                facts: chunk.facts(),
                bytes: chunk.encode(None),
            })
            .collect();
        if chunks.is_empty() {
            return Ok(outcome);
        }
        let store = self.store();
        let hashes: Vec<String> = chunks
            .iter()
            .map(|c| c.facts.content_hash.clone())
            .collect();
        // A retried upload: what is stored already is acknowledged again, not written again.
        let stored = store.stored_chunks(&session, &hashes)?;
        let mut new = Vec::with_capacity(chunks.len());
        for PreparedChunk { facts, bytes } in chunks {
            if stored.contains(&facts.content_hash) {
                outcome.chunks_duplicate += 1;
                continue;
            }
            let object_key = Blobs::chunk_key(&session, facts.start_ms, &facts.content_hash, None);
            let stored_bytes = bytes.len() as i64;
            self.blobs().put_blocking(&object_key, bytes)?;
            new.push(NewChunk {
                start_ms: facts.start_ms,
                end_ms: facts.end_ms,
                event_count: facts.event_count as i64,
                raw_bytes: facts.raw_bytes as i64,
                stored_bytes,
                starts_with_snapshot: facts.starts_with_snapshot,
                meta_ms: facts.meta_ms,
                last_meta_ms: facts.last_meta_ms,
                content_hash: facts.content_hash,
                object_key,
                first_href: facts.first_href,
                dictionary_id: None,
            });
        }
        if new.is_empty() {
            return Ok(outcome);
        }
        let now = self.now_ms();
        let committed = store.commit_upload(
            NewUpload {
                session,
                chunks: new,
                country: context.country,
                user_agent: context.user_agent,
                process_at_ms: now + self.settings().processing_delay_ms as i64,
            },
            now,
        )?;
        outcome.chunks_stored = committed.stored;
        outcome.chunks_duplicate += committed.duplicate;
        if committed.stored > 0 {
            self.wake_processing();
        }
        Ok(outcome)
    }

    /// Stores a heatmap (`type=interaction`) upload, compressed; a retried one is stored once.
    /// Returns how many interactions it held.
    pub async fn ingest_interactions(
        &self,
        session: SessionRef,
        body: Bytes,
        gzip: bool,
        mut reservation: Reservation,
    ) -> Result<usize, IngestError> {
        let limits = self.upload_limits();
        let (interactions, count) = blocking(move || {
            let mut meter = ReservationMeter::new(&mut reservation);
            let decoded =
                reel_rrweb::upload::decode_interaction_body(&body, gzip, &limits, &mut meter)
                    .map_err(|e| meter.error(e))?;
            let payload_zst =
                zstd::bulk::compress(decoded.json.as_bytes(), INTERACTIONS_ZSTD_LEVEL)
                    .map_err(|e| IngestError::Task(e.to_string()))?;
            let interactions = Interactions {
                session,
                payload_zst,
                content_hash: reel_model::content_hash(decoded.json.as_bytes()),
            };
            Ok((interactions, decoded.count))
        })
        .await?;
        self.store()
            .add_interactions(interactions, self.now_ms())
            .await?;
        Ok(count)
    }
}

/// Runs ingest work on the blocking pool.
pub(crate) async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, IngestError> + Send + 'static,
) -> Result<T, IngestError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| IngestError::Task(e.to_string()))?
}

/// Pays for decoding out of the request's budget reservation (called from blocking threads).
pub(crate) struct ReservationMeter<'a> {
    reservation: &'a mut Reservation,
    /// Set when a charge could never fit the whole budget: the upload must be smaller.
    never: bool,
}

impl<'a> ReservationMeter<'a> {
    pub(crate) fn new(reservation: &'a mut Reservation) -> Self {
        Self {
            reservation,
            never: false,
        }
    }

    /// The error for a refused charge.
    pub(crate) fn refusal(&self) -> IngestError {
        if self.never {
            IngestError::TooLarge(
                "decoding this upload needs more memory than the server allows one upload".into(),
            )
        } else {
            IngestError::Busy
        }
    }

    /// An upload error, where running out of memory is told by the meter that refused.
    pub(crate) fn error(&self, e: UploadError) -> IngestError {
        match e {
            UploadError::Inflate(InflateError::OutOfMemory) => self.refusal(),
            UploadError::Inflate(InflateError::TooLarge { limit }) => IngestError::TooLarge(
                format!("the decompressed body is larger than {limit} bytes"),
            ),
            UploadError::TooManyEvents { limit } => IngestError::TooLarge(format!(
                "more than {limit} events in one upload; send smaller batches"
            )),
            e => IngestError::Malformed(e.to_string()),
        }
    }
}

impl Meter for ReservationMeter<'_> {
    fn charge(&mut self, bytes: usize) -> bool {
        match self.reservation.grow_blocking(bytes) {
            Ok(()) => true,
            Err(e) => {
                self.never = e.never;
                false
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plausible_time_cases() {
        let start = 1_767_225_600_000; // 2026-01-01
        let now = start + 3_600_000;
        let hour = 3_600_000;
        let cases = [
            ("at start", start, true),
            ("an hour early", start - hour, true),
            ("more than an hour early", start - hour - 1, false),
            ("six days in", start + 6 * 24 * hour, false), // beyond the server's clock + 1 day
            ("a day ahead of the server", now + 24 * hour, true),
            ("more than a day ahead", now + 24 * hour + 1, false),
            ("1970", 0, false),
            ("i64::MAX", i64::MAX, false),
            ("i64::MIN", i64::MIN, false),
        ];
        for (name, ts, want) in cases {
            assert_eq!(plausible_time(ts, start, now), want, "{name}");
        }
        // A session that started long ago: seven days after its start at most.
        let old = start - 30 * 24 * hour;
        assert!(plausible_time(old + 7 * 24 * hour, old, now));
        assert!(!plausible_time(old + 7 * 24 * hour + 1, old, now));
        // Extreme session ids cannot overflow.
        assert!(!plausible_time(0, i64::MAX, now));
        assert!(!plausible_time(0, i64::MIN + 1, now));
    }
}
