//! The ingestion pipeline: the one place where an uploaded batch is parsed and stored.
//! HTTP handlers and the demo seeder both call it; it knows nothing of HTTP.
//!
//! A recording batch is decoded, cut into chunks at Meta+FullSnapshot pairs, each chunk is
//! compressed and written to the object store, then indexed in the metadata store. Per-session
//! facts (time span, first URL, sizes) are folded in as chunks are indexed; signals derived
//! from the stream belong here too, next to the decoded events.

use reel_rrweb::inflate::{InflateError, Meter};
use reel_rrweb::upload::{Limits, decode_track_body};
use reel_rrweb::{ChunkFacts, Event, UploadError};
use reel_store::{AnalyticsEvent, Blobs, Interactions, NewChunk, SessionRef, UserAgent};
use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

use crate::AppState;
use crate::body::ReadBody;
use crate::budget::Reservation;
use crate::error::IngestError;

/// What happened to a recording batch.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RecordingOutcome {
    pub events_accepted: usize,
    pub events_skipped: usize,
    pub chunks_stored: usize,
    /// Chunks already stored by an earlier (retried) upload.
    pub chunks_duplicate: usize,
}

/// What one upload may cost, from the configuration.
pub fn limits(config: &crate::Config) -> Limits {
    Limits {
        max_decompressed: config.max_decompressed_bytes,
        max_events: config.max_events_per_upload,
        max_depth: config.max_event_depth,
    }
}

/// Pays for decoding out of the request's budget reservation (called from blocking threads).
struct ReservationMeter<'a> {
    reservation: &'a mut Reservation,
    /// Set when a charge could never fit the whole budget: the upload must be smaller.
    never: bool,
}

impl<'a> ReservationMeter<'a> {
    fn new(reservation: &'a mut Reservation) -> Self {
        Self {
            reservation,
            never: false,
        }
    }

    /// The error for a refused charge.
    fn refusal(&self) -> IngestError {
        if self.never {
            IngestError::PayloadTooLarge(
                "decoding this upload needs more memory than the server allows one upload".into(),
            )
        } else {
            IngestError::Busy
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

/// A recording upload decoded, cut into chunks and compressed, with the memory reservation
/// that pays for it.
pub struct PreparedRecording {
    pub chunks: Vec<PreparedChunk>,
    pub events_accepted: usize,
    /// Unreadable events.
    pub skipped: usize,
    /// Readable events whose time is not plausible for the session.
    pub out_of_range: usize,
    pub reservation: Reservation,
}

/// One chunk ready to be written: its facts and its compressed bytes.
pub struct PreparedChunk {
    pub facts: ChunkFacts,
    pub bytes: Vec<u8>,
}

/// Cuts events into chunks (a keyframe starts each) and compresses them.
pub fn prepare_chunks(events: Vec<Event>) -> Vec<PreparedChunk> {
    reel_rrweb::chunk::split_at_snapshots(events)
        .into_iter()
        .map(|chunk| PreparedChunk {
            facts: chunk.facts(),
            bytes: chunk.encode(None),
        })
        .collect()
}

/// Decodes an upload, drops events whose time cannot belong to the session, cuts and
/// compresses the rest — in one hop to the blocking pool, charging what it allocates to the
/// body's reservation.
pub async fn prepare_recording(
    body: ReadBody,
    gzip: bool,
    limits: Limits,
    session_id: i64,
    now_ms: i64,
) -> Result<PreparedRecording, IngestError> {
    blocking(move || {
        let ReadBody {
            bytes,
            mut reservation,
        } = body;
        let mut meter = ReservationMeter::new(&mut reservation);
        let decoded = decode_track_body(&bytes, gzip, &limits, &mut meter)
            .map_err(|e| meter_error(e, &meter))?;
        drop(bytes);
        for reason in &decoded.skip_reasons {
            tracing::warn!(%reason, "skipped an unreadable event");
        }
        let read = decoded.events.len();
        let events: Vec<Event> = decoded
            .events
            .into_iter()
            .filter(|e| plausible_time(e.timestamp, session_id, now_ms))
            .collect();
        let out_of_range = read - events.len();
        if out_of_range > 0 {
            tracing::warn!(
                out_of_range,
                session_id,
                "skipped events whose time is far from their session's"
            );
        }
        let events_accepted = events.len();
        Ok(PreparedRecording {
            chunks: prepare_chunks(events),
            events_accepted,
            skipped: decoded.skipped,
            out_of_range,
            reservation,
        })
    })
    .await
}

/// Decodes a heatmap upload off the async threads and compresses it for storage.
pub async fn decode_interactions(
    body: ReadBody,
    gzip: bool,
    limits: Limits,
    session: SessionRef,
) -> Result<(Interactions, usize, Reservation), IngestError> {
    blocking(move || {
        let ReadBody {
            bytes,
            mut reservation,
        } = body;
        let mut meter = ReservationMeter::new(&mut reservation);
        let decoded =
            reel_rrweb::upload::decode_interaction_body(&bytes, gzip, &limits, &mut meter)
                .map_err(|e| meter_error(e, &meter))?;
        let content_hash = format!(
            "{:032x}",
            xxhash_rust::xxh3::xxh3_128(decoded.json.as_bytes())
        );
        let payload_zst = zstd::bulk::compress(decoded.json.as_bytes(), INTERACTIONS_ZSTD_LEVEL)
            .map_err(|e| IngestError::Internal(e.to_string()))?;
        Ok((
            Interactions {
                session,
                payload_zst,
                content_hash,
            },
            decoded.count,
            reservation,
        ))
    })
    .await
}

/// Heatmap payloads are small and written once: a stronger level than recordings' fast path.
const INTERACTIONS_ZSTD_LEVEL: i32 = 9;

/// Runs decoding work on the blocking pool.
async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> Result<T, IngestError> + Send + 'static,
) -> Result<T, IngestError> {
    tokio::task::spawn_blocking(work)
        .await
        .map_err(|e| IngestError::Internal(e.to_string()))?
}

/// An upload error, where running out of memory is told by the meter that refused.
fn meter_error(e: UploadError, meter: &ReservationMeter<'_>) -> IngestError {
    match e {
        UploadError::Inflate(InflateError::OutOfMemory) => meter.refusal(),
        e => upload_error(e),
    }
}

fn upload_error(e: UploadError) -> IngestError {
    match e {
        UploadError::Inflate(InflateError::TooLarge { limit }) => IngestError::PayloadTooLarge(
            format!("the decompressed body is larger than {limit} bytes"),
        ),
        UploadError::Inflate(InflateError::OutOfMemory) => IngestError::Busy,
        UploadError::TooManyEvents { limit } => IngestError::PayloadTooLarge(format!(
            "more than {limit} events in one upload; send smaller batches"
        )),
        e => IngestError::Malformed(e.to_string()),
    }
}

/// What an upload says about where it came from.
#[derive(Debug, Clone, Default)]
pub struct UploadContext {
    pub country: Option<String>,
    pub user_agent: Option<UserAgent>,
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

/// Stores prepared chunks of one session: objects first, then their rows. Returns once
/// everything is durable; the processing stage is told there is new data.
pub async fn store_recording(
    state: &AppState,
    session: SessionRef,
    chunks: Vec<PreparedChunk>,
    context: UploadContext,
) -> Result<RecordingOutcome, IngestError> {
    let mut outcome = RecordingOutcome {
        events_accepted: chunks.iter().map(|c| c.facts.event_count).sum(),
        ..Default::default()
    };
    let now = crate::now_ms();
    for PreparedChunk { facts, bytes } in chunks {
        // A retried upload: what is stored already is acknowledged again, not written again.
        if state.meta.has_chunk(&session, &facts.content_hash).await? {
            outcome.chunks_duplicate += 1;
            continue;
        }
        let object_key = Blobs::chunk_key(&session, facts.start_ms, &facts.content_hash, None);
        let stored_bytes = bytes.len() as i64;
        state.blobs.put(&object_key, bytes).await?;
        let inserted = state
            .meta
            .add_chunk(
                NewChunk {
                    session: session.clone(),
                    start_ms: facts.start_ms,
                    end_ms: facts.end_ms,
                    event_count: facts.event_count as i64,
                    raw_bytes: facts.raw_bytes as i64,
                    stored_bytes,
                    self_contained: facts.self_contained,
                    starts_with_snapshot: facts.starts_with_snapshot,
                    meta_ms: facts.meta_ms,
                    last_meta_ms: facts.last_meta_ms,
                    content_hash: facts.content_hash,
                    object_key,
                    first_href: facts.first_href,
                    country: context.country.clone(),
                    user_agent: context.user_agent.clone(),
                    dictionary_id: None,
                    process_at_ms: now + state.config.processing_delay_ms as i64,
                },
                now,
            )
            .await?;
        if inserted {
            outcome.chunks_stored += 1;
        } else {
            outcome.chunks_duplicate += 1;
        }
    }
    if outcome.chunks_stored > 0 {
        state.work.notify_one();
    }
    Ok(outcome)
}

/// Stores already parsed events of one session (the demo seeder, tools).
pub async fn store_events_recording(
    state: &AppState,
    session: SessionRef,
    events: Vec<Event>,
    context: UploadContext,
) -> Result<RecordingOutcome, IngestError> {
    let chunks = blocking(move || Ok(prepare_chunks(events))).await?;
    store_recording(state, session, chunks, context).await
}

/// An Amplitude HTTP API event that failed validation, with its index in the batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidEvent {
    pub index: usize,
    pub field: &'static str,
    pub missing: bool,
}

/// A decoded `/2/httpapi` body.
#[derive(Debug)]
pub struct AnalyticsBatch {
    pub api_key: Option<String>,
    pub valid: Vec<AnalyticsEvent>,
    /// The first [`MAX_LISTED_INVALID`] invalid events.
    pub invalid: Vec<InvalidEvent>,
    pub invalid_count: usize,
    pub total: usize,
}

/// An error answer lists at most this many invalid events: a small request must not get a huge
/// answer.
pub const MAX_LISTED_INVALID: usize = 100;

/// `{"api_key": "...", "events": [...]}`, each event kept as raw JSON.
#[derive(Deserialize)]
struct HttpApiBody<'a> {
    api_key: Option<String>,
    #[serde(borrow)]
    events: Option<&'a RawValue>,
}

/// Decodes an Amplitude HTTP API body off the async threads, within the upload limits.
pub async fn decode_analytics(
    body: ReadBody,
    gzip: bool,
    limits: Limits,
    now_ms: i64,
) -> Result<AnalyticsBatch, IngestError> {
    blocking(move || {
        let ReadBody {
            bytes,
            mut reservation,
        } = body;
        let mut meter = ReservationMeter::new(&mut reservation);
        let text: std::borrow::Cow<'_, [u8]> = if gzip {
            reel_rrweb::inflate::gunzip_bounded(&bytes, limits.max_decompressed, &mut meter)
                .map_err(|e| meter_error(e.into(), &meter))?
                .into()
        } else {
            bytes.as_ref().into()
        };
        let parsed: HttpApiBody<'_> = serde_json::from_slice(&text)
            .map_err(|e| IngestError::Malformed(format!("body is not valid JSON: {e}")))?;
        let events_json = parsed.events.ok_or(IngestError::MissingField("events"))?;
        let events = reel_rrweb::upload::capped_array(events_json.get(), limits.max_events)
            .map_err(upload_error)?;
        // Parsed events hold owned copies of their strings.
        if !meter.charge(events_json.get().len()) {
            return Err(meter.refusal());
        }
        let total = events.len();
        let (valid, invalid) = parse_analytics_events(&events, now_ms);
        let invalid_count = invalid.len();
        Ok(AnalyticsBatch {
            api_key: parsed.api_key.filter(|k| !k.is_empty()),
            valid,
            invalid: invalid.into_iter().take(MAX_LISTED_INVALID).collect(),
            invalid_count,
            total,
        })
    })
    .await
}

/// Reads the events of an Amplitude HTTP API body. Each event needs `event_type` and a
/// `user_id` or `device_id` (Amplitude's rules); `time` defaults to `now_ms`. Events are kept
/// as sent (`raw`).
pub fn parse_analytics_events(
    events: &[&RawValue],
    now_ms: i64,
) -> (Vec<AnalyticsEvent>, Vec<InvalidEvent>) {
    let mut valid = Vec::with_capacity(events.len());
    let mut invalid = Vec::new();
    for (index, raw) in events.iter().enumerate() {
        let bad = |field: &'static str, missing: bool| InvalidEvent {
            index,
            field,
            missing,
        };
        let Ok(obj) = serde_json::from_str::<WireEvent<'_>>(raw.get()) else {
            invalid.push(bad("event", false));
            continue;
        };
        let text = |v: Option<&RawValue>| {
            v.and_then(|v| serde_json::from_str::<String>(v.get()).ok())
                .filter(|s| !s.is_empty())
        };
        let Some(event_type) = text(obj.event_type) else {
            invalid.push(bad("event_type", true));
            continue;
        };
        let user_id = text(obj.user_id);
        let device_id = text(obj.device_id);
        if user_id.is_none() && device_id.is_none() {
            invalid.push(bad("device_id", true));
            continue;
        }
        let time_ms = match obj.time.map(|v| serde_json::from_str::<Value>(v.get())) {
            None | Some(Ok(Value::Null)) => now_ms,
            Some(Ok(v)) => match v.as_i64().or_else(|| v.as_f64().map(|f| f as i64)) {
                Some(t) => t,
                None => {
                    invalid.push(bad("time", false));
                    continue;
                }
            },
            Some(Err(_)) => {
                invalid.push(bad("time", false));
                continue;
            }
        };
        let object_text = |v: Option<&RawValue>| match v {
            Some(v) if v.get().starts_with('{') => v.get().to_owned(),
            _ => "{}".to_owned(),
        };
        valid.push(AnalyticsEvent {
            insert_id: text(obj.insert_id),
            event_type,
            time_ms,
            device_id,
            user_id,
            session_id: obj
                .session_id
                .and_then(|v| serde_json::from_str::<i64>(v.get()).ok()),
            event_properties: object_text(obj.event_properties),
            user_properties: object_text(obj.user_properties),
            raw: raw.get().to_owned(),
            display_name: None,
            derived: false,
        });
    }
    (valid, invalid)
}

/// The fields of an analytics event reel reads, each as raw JSON so a wrong type is reported
/// per field, not as an unreadable event.
#[derive(Deserialize)]
struct WireEvent<'a> {
    #[serde(borrow)]
    event_type: Option<&'a RawValue>,
    #[serde(borrow)]
    user_id: Option<&'a RawValue>,
    #[serde(borrow)]
    device_id: Option<&'a RawValue>,
    #[serde(borrow)]
    time: Option<&'a RawValue>,
    #[serde(borrow)]
    insert_id: Option<&'a RawValue>,
    #[serde(borrow)]
    session_id: Option<&'a RawValue>,
    #[serde(borrow)]
    event_properties: Option<&'a RawValue>,
    #[serde(borrow)]
    user_properties: Option<&'a RawValue>,
}

/// Stores analytics events: how many were new (retries are de-duplicated by insert_id) and
/// how many properties were over the limits and left out.
pub async fn store_events(
    state: &AppState,
    project_id: i64,
    events: Vec<AnalyticsEvent>,
) -> Result<reel_store::EventsAdded, IngestError> {
    let added = state
        .meta
        .add_events(project_id, events, crate::now_ms())
        .await?;
    if added.properties_dropped > 0 {
        tracing::warn!(
            project_id,
            dropped = added.properties_dropped,
            "properties over the limits were left out of stored events"
        );
    }
    Ok(added)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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

    #[test]
    fn analytics_event_cases() {
        let now = 1_000;
        let cases: Vec<(Value, Result<(&str, i64, Option<&str>), (&str, bool)>)> = vec![
            (
                json!({"event_type":"a","device_id":"d","time":5,"insert_id":"i"}),
                Ok(("a", 5, Some("i"))),
            ),
            (
                json!({"event_type":"a","user_id":"u"}),
                Ok(("a", now, None)),
            ),
            (
                json!({"event_type":"a","device_id":"d","time":7.9}),
                Ok(("a", 7, None)),
            ),
            (json!({"device_id":"d"}), Err(("event_type", true))),
            (
                json!({"event_type":"","device_id":"d"}),
                Err(("event_type", true)),
            ),
            (json!({"event_type":"a"}), Err(("device_id", true))),
            (
                json!({"event_type":"a","device_id":"d","time":"soon"}),
                Err(("time", false)),
            ),
            (json!("nope"), Err(("event", false))),
            (
                json!({"event_type": 5, "device_id": "d"}),
                Err(("event_type", true)),
            ),
            (
                json!({"event_type": "a", "device_id": "d", "time": {"deep": [1]}}),
                Err(("time", false)),
            ),
        ];
        for (input, want) in cases {
            let text = input.to_string();
            let raw: &RawValue = serde_json::from_str(&text).unwrap();
            let (valid, invalid) = parse_analytics_events(&[raw], now);
            let got = match (valid.first(), invalid.first()) {
                (Some(e), None) => Ok((e.event_type.as_str(), e.time_ms, e.insert_id.as_deref())),
                (None, Some(i)) => Err((i.field, i.missing)),
                other => panic!("{input}: {other:?}"),
            };
            assert_eq!(got, want, "{input}");
        }
    }
}
