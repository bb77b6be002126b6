//! Analytics events from Amplitude's HTTP API (`/2/httpapi`, `/batch`) and reel's SDK:
//! decoded within the upload limits, validated by Amplitude's rules, stored (properties within
//! the store's limits).

use bytes::Bytes;
use reel_rrweb::inflate::Meter as _;
use reel_store::{AnalyticsEvent, EventsAdded};
use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

use crate::budget::Reservation;
use crate::ingest::{ReservationMeter, blocking};
use crate::{Engine, IngestError};

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

impl Engine {
    /// Decodes an Amplitude HTTP API body off the async threads, within the upload limits.
    pub async fn decode_analytics(
        &self,
        bytes: Bytes,
        gzip: bool,
        mut reservation: Reservation,
    ) -> Result<AnalyticsBatch, IngestError> {
        let limits = self.upload_limits();
        let now_ms = self.now_ms();
        blocking(move || {
            let mut meter = ReservationMeter::new(&mut reservation);
            let text: std::borrow::Cow<'_, [u8]> = if gzip {
                reel_rrweb::inflate::gunzip_bounded(&bytes, limits.max_decompressed, &mut meter)
                    .map_err(|e| meter.error(e.into()))?
                    .into()
            } else {
                bytes.as_ref().into()
            };
            let parsed: HttpApiBody<'_> = serde_json::from_slice(&text)
                .map_err(|e| IngestError::Malformed(format!("body is not valid JSON: {e}")))?;
            let events_json = parsed.events.ok_or(IngestError::MissingField("events"))?;
            let events = reel_rrweb::upload::capped_array(events_json.get(), limits.max_events)
                .map_err(|e| meter.error(e))?;
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

    /// Stores analytics events: how many were new (retries are de-duplicated by insert_id) and
    /// how many properties were over the limits and left out.
    pub async fn store_analytics(
        &self,
        project_id: i64,
        events: Vec<AnalyticsEvent>,
    ) -> Result<EventsAdded, IngestError> {
        let added = self
            .store()
            .add_events(project_id, events, self.now_ms())
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
/// per field, not as an unreadable event. Every field borrows from the event's text (`'de: 'a`).
#[derive(Deserialize)]
#[serde(bound(deserialize = "'de: 'a"))]
struct WireEvent<'a> {
    event_type: Option<&'a RawValue>,
    user_id: Option<&'a RawValue>,
    device_id: Option<&'a RawValue>,
    time: Option<&'a RawValue>,
    insert_id: Option<&'a RawValue>,
    session_id: Option<&'a RawValue>,
    event_properties: Option<&'a RawValue>,
    user_properties: Option<&'a RawValue>,
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
