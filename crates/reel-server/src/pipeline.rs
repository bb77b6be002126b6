//! The ingestion pipeline: the one place where an uploaded batch is parsed and stored.
//! HTTP handlers and the demo seeder both call it; it knows nothing of HTTP.
//!
//! A recording batch is decoded, cut into chunks at Meta+FullSnapshot pairs, each chunk is
//! compressed and written to the object store, then indexed in the metadata store. Per-session
//! facts (time span, first URL, sizes) are folded in as chunks are indexed; signals derived
//! from the stream belong here too, next to the decoded events.

use reel_rrweb::upload::decode_track_body;
use reel_rrweb::{Chunk, ChunkFacts, Event};
use reel_store::{AnalyticsEvent, Blobs, NewChunk, SessionRef};
use serde_json::Value;

use crate::error::IngestError;
use crate::{AppState, dictionaries};

/// What happened to a recording batch.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct RecordingOutcome {
    pub events_accepted: usize,
    pub events_skipped: usize,
    pub chunks_stored: usize,
    /// Chunks already stored by an earlier (retried) upload.
    pub chunks_duplicate: usize,
}

/// Decodes an upload body off the async threads: inflating and parsing up to 100 MB is slow.
pub async fn decode_recording(
    body: bytes::Bytes,
    gzip: bool,
    max_decompressed: usize,
) -> Result<(Vec<Event>, usize), IngestError> {
    let decoded =
        tokio::task::spawn_blocking(move || decode_track_body(&body, gzip, max_decompressed))
            .await
            .map_err(|e| IngestError::Internal(e.to_string()))?;
    match decoded {
        Ok(body) => {
            for reason in body.skipped.iter().take(3) {
                tracing::warn!(%reason, "skipped an unreadable event");
            }
            Ok((body.events, body.skipped.len()))
        }
        Err(e) => Err(upload_error(e)),
    }
}

/// Decodes a heatmap upload off the async threads.
pub async fn decode_interactions(
    body: bytes::Bytes,
    gzip: bool,
    max_decompressed: usize,
) -> Result<(String, usize), IngestError> {
    tokio::task::spawn_blocking(move || {
        reel_rrweb::upload::decode_interaction_body(&body, gzip, max_decompressed)
    })
    .await
    .map_err(|e| IngestError::Internal(e.to_string()))?
    .map_err(upload_error)
}

fn upload_error(e: reel_rrweb::UploadError) -> IngestError {
    match e {
        reel_rrweb::UploadError::Inflate(reel_rrweb::inflate::InflateError::TooLarge { limit }) => {
            IngestError::PayloadTooLarge(format!(
                "the decompressed body is larger than {limit} bytes"
            ))
        }
        e => IngestError::Malformed(e.to_string()),
    }
}

/// Stores decoded recording events of one session. Returns once everything is durable.
pub async fn store_recording(
    state: &AppState,
    session: SessionRef,
    events: Vec<Event>,
    country: Option<String>,
) -> Result<RecordingOutcome, IngestError> {
    let mut outcome = RecordingOutcome {
        events_accepted: events.len(),
        ..Default::default()
    };
    let replay_key = reel_store::sqlite::replay_key(&session.device_id, session.session_id);
    let split: Vec<(ChunkFacts, Chunk)> = tokio::task::spawn_blocking(move || {
        reel_rrweb::chunk::split_at_snapshots(events)
            .into_iter()
            .map(|chunk| (chunk.facts(), chunk))
            .collect()
    })
    .await
    .map_err(|e| IngestError::Internal(e.to_string()))?;

    // A retried upload: skip what is stored already, before doing any compression work.
    let mut fresh = Vec::with_capacity(split.len());
    for (facts, chunk) in split {
        if state.meta.has_chunk(&session, &facts.content_hash).await? {
            outcome.chunks_duplicate += 1;
        } else {
            fresh.push((facts, chunk));
        }
    }
    if fresh.is_empty() {
        return Ok(outcome);
    }

    let mut dictionary = dictionaries::for_project(state, session.project_id).await?;
    let mut encoded = Vec::with_capacity(fresh.len());
    for (facts, chunk) in fresh {
        let (mut bytes, chunk) = encode(chunk, dictionary.clone()).await?;
        let grow = facts.self_contained
            && match &dictionary {
                None => true,
                Some(_) => dictionaries::compresses_poorly(facts.raw_bytes, bytes.len()),
            };
        if grow && dictionaries::may_grow(state, session.project_id).await? {
            let previous = dictionary.as_ref().map(|(_, d)| d.clone());
            let (content, chunk) = tokio::task::spawn_blocking(move || {
                (
                    reel_rrweb::chunk::next_dictionary(
                        previous.as_deref().map(Vec::as_slice),
                        &chunk,
                    ),
                    chunk,
                )
            })
            .await
            .map_err(|e| IngestError::Internal(e.to_string()))?;
            dictionary = Some(dictionaries::create(state, session.project_id, content).await?);
            bytes = encode(chunk, dictionary.clone()).await?.0;
        }
        encoded.push((facts, bytes, dictionary.as_ref().map(|(id, _)| *id)));
    }

    for (facts, bytes, dictionary_id) in encoded {
        let object_key = Blobs::chunk_key(
            session.project_id,
            &replay_key,
            facts.start_ms,
            &facts.content_hash,
            dictionary_id,
        );
        let stored_bytes = bytes.len() as i64;
        state.blobs.put(&object_key, bytes).await?;
        let inserted = state
            .meta
            .add_chunk(
                NewChunk {
                    session: session.clone(),
                    replay_key: replay_key.clone(),
                    start_ms: facts.start_ms,
                    end_ms: facts.end_ms,
                    event_count: facts.event_count as i64,
                    raw_bytes: facts.raw_bytes as i64,
                    stored_bytes,
                    self_contained: facts.self_contained,
                    content_hash: facts.content_hash,
                    object_key,
                    first_href: facts.first_href,
                    country: country.clone(),
                    dictionary_id,
                },
                crate::now_ms(),
            )
            .await?;
        if inserted {
            outcome.chunks_stored += 1;
        } else {
            outcome.chunks_duplicate += 1;
        }
    }
    Ok(outcome)
}

/// Compresses a chunk off the async threads; hands the chunk back for a second try.
async fn encode(
    chunk: Chunk,
    dictionary: Option<(i64, std::sync::Arc<Vec<u8>>)>,
) -> Result<(Vec<u8>, Chunk), IngestError> {
    tokio::task::spawn_blocking(move || {
        let bytes = chunk.encode(dictionary.as_ref().map(|(_, d)| d.as_slice()));
        (bytes, chunk)
    })
    .await
    .map_err(|e| IngestError::Internal(e.to_string()))
}

/// An Amplitude HTTP API event that failed validation, with its index in the batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InvalidEvent {
    pub index: usize,
    pub field: &'static str,
    pub missing: bool,
}

/// Reads the events of an Amplitude HTTP API body. Each event needs `event_type` and a
/// `user_id` or `device_id` (Amplitude's rules); `time` defaults to `now_ms`.
pub fn parse_analytics_events(
    events: &[Value],
    now_ms: i64,
) -> (Vec<AnalyticsEvent>, Vec<InvalidEvent>) {
    let mut valid = Vec::with_capacity(events.len());
    let mut invalid = Vec::new();
    for (index, event) in events.iter().enumerate() {
        let Some(obj) = event.as_object() else {
            invalid.push(InvalidEvent {
                index,
                field: "event",
                missing: false,
            });
            continue;
        };
        let text = |key: &str| {
            obj.get(key)
                .and_then(Value::as_str)
                .map(str::to_owned)
                .filter(|s| !s.is_empty())
        };
        let Some(event_type) = text("event_type") else {
            invalid.push(InvalidEvent {
                index,
                field: "event_type",
                missing: true,
            });
            continue;
        };
        let user_id = text("user_id");
        let device_id = text("device_id");
        if user_id.is_none() && device_id.is_none() {
            invalid.push(InvalidEvent {
                index,
                field: "device_id",
                missing: true,
            });
            continue;
        }
        let time_ms = match obj.get("time") {
            None | Some(Value::Null) => now_ms,
            Some(v) => match v.as_i64().or_else(|| v.as_f64().map(|f| f as i64)) {
                Some(t) => t,
                None => {
                    invalid.push(InvalidEvent {
                        index,
                        field: "time",
                        missing: false,
                    });
                    continue;
                }
            },
        };
        let object_text = |key: &str| match obj.get(key) {
            Some(v @ Value::Object(_)) => v.to_string(),
            _ => "{}".to_owned(),
        };
        valid.push(AnalyticsEvent {
            insert_id: text("insert_id"),
            event_type,
            time_ms,
            device_id,
            user_id,
            session_id: obj.get("session_id").and_then(Value::as_i64),
            event_properties: object_text("event_properties"),
            user_properties: object_text("user_properties"),
            raw: event.to_string(),
        });
    }
    (valid, invalid)
}

/// Stores analytics events; returns how many were new (retries are de-duplicated by insert_id).
pub async fn store_events(
    state: &AppState,
    project_id: i64,
    events: Vec<AnalyticsEvent>,
) -> Result<usize, IngestError> {
    Ok(state
        .meta
        .add_events(project_id, events, crate::now_ms())
        .await?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

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
        ];
        for (input, want) in cases {
            let (valid, invalid) = parse_analytics_events(std::slice::from_ref(&input), now);
            let got = match (valid.first(), invalid.first()) {
                (Some(e), None) => Ok((e.event_type.as_str(), e.time_ms, e.insert_id.as_deref())),
                (None, Some(i)) => Err((i.field, i.missing)),
                other => panic!("{input}: {other:?}"),
            };
            assert_eq!(got, want, "{input}");
        }
    }
}
