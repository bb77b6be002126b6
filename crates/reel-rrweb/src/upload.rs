//! The body of a replay upload, `POST /sessions/v2/track`, as Amplitude's replay SDKs send it:
//! `{"version":1|2,"events":[...]}` where each event is an rrweb event serialized to a JSON
//! string, or — from SDKs up to 1.35 — "packed": the event JSON (with `"v":"v1"`) zlib-deflated
//! and carried as a latin1 string. `@amplitude/session-replay-browser` 1.35.0 wraps the packed
//! string once more in `JSON.stringify`, so its event string is itself a JSON string literal
//! (it starts with `"`); one such extra layer is taken off. Event objects (not strings) are
//! accepted as well.

use std::cell::Cell;
use std::fmt;

use serde::Deserializer;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use crate::event::{Event, EventError};
use crate::inflate::{self, InflateError, Meter};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum UploadError {
    #[error("{0}")]
    Inflate(#[from] InflateError),
    #[error("body is not a replay upload: {0}")]
    Malformed(String),
    #[error("none of the {count} events in the upload could be read (first problem: {first})")]
    NoValidEvents { count: usize, first: String },
    #[error("the upload has more than {limit} events")]
    TooManyEvents { limit: usize },
}

/// What one upload may cost.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Bytes after decompression: the body and every packed event inside it together.
    pub max_decompressed: usize,
    /// Events in one upload.
    pub max_events: usize,
    /// JSON nesting depth of one event. rrweb nests two levels per DOM level; pages a person
    /// can use are far shallower than the default, while 100 000 levels crash players.
    pub max_depth: usize,
}

impl Limits {
    pub const DEFAULT_MAX_DEPTH: usize = 1_000;
}

/// How many skip reasons an upload keeps; the count covers the rest.
const KEPT_REASONS: usize = 3;

/// A decoded upload: the events that could be read, in the order sent, and what was skipped.
#[derive(Debug)]
pub struct TrackBody {
    pub version: u32,
    pub events: Vec<Event>,
    /// How many elements were not readable rrweb events.
    pub skipped: usize,
    /// The first few reasons, for logs.
    pub skip_reasons: Vec<String>,
}

/// `{"version": n, "events": [...]}` with at most `max_events` events, each borrowed as raw JSON.
struct Wire<'a> {
    version: Option<u32>,
    events: Vec<&'a RawValue>,
}

struct WireSeed<'c> {
    max_events: usize,
    too_many: &'c Cell<bool>,
}

impl<'de> DeserializeSeed<'de> for WireSeed<'_> {
    type Value = Wire<'de>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for WireSeed<'_> {
    type Value = Wire<'de>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(r#"an object {"version": 1, "events": [...]}"#)
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
        let mut version = None;
        let mut events = None;
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            match key.as_ref() {
                "version" => version = map.next_value::<Option<u32>>()?,
                "events" => {
                    events = Some(map.next_value_seed(EventsSeed {
                        max_events: self.max_events,
                        too_many: self.too_many,
                    })?)
                }
                _ => {
                    map.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(Wire {
            version,
            events: events.ok_or_else(|| de::Error::missing_field("events"))?,
        })
    }
}

struct EventsSeed<'c> {
    max_events: usize,
    too_many: &'c Cell<bool>,
}

impl<'de> DeserializeSeed<'de> for EventsSeed<'_> {
    type Value = Vec<&'de RawValue>;

    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for EventsSeed<'_> {
    type Value = Vec<&'de RawValue>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("an array of events")
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut events = Vec::new();
        while let Some(raw) = seq.next_element::<&'de RawValue>()? {
            if events.len() == self.max_events {
                // Stop reading at once: an upload of 50 million `0`s must not be walked to its end.
                self.too_many.set(true);
                return Err(de::Error::custom("too many events"));
            }
            events.push(raw);
        }
        Ok(events)
    }
}

fn parse_wire<'a>(text: &'a [u8], max_events: usize) -> Result<Wire<'a>, UploadError> {
    let too_many = Cell::new(false);
    let mut de = serde_json::Deserializer::from_slice(text);
    let parsed = WireSeed {
        max_events,
        too_many: &too_many,
    }
    .deserialize(&mut de)
    .and_then(|wire| de.end().map(|()| wire));
    match parsed {
        Ok(wire) => Ok(wire),
        Err(_) if too_many.get() => Err(UploadError::TooManyEvents { limit: max_events }),
        Err(e) => Err(UploadError::Malformed(e.to_string())),
    }
}

/// The elements of a JSON array as raw texts; an array of more than `max` elements is refused
/// before reading past that many.
pub fn capped_array(json: &str, max: usize) -> Result<Vec<&RawValue>, UploadError> {
    let too_many = Cell::new(false);
    let mut de = serde_json::Deserializer::from_str(json);
    let parsed = EventsSeed {
        max_events: max,
        too_many: &too_many,
    }
    .deserialize(&mut de)
    .and_then(|events| de.end().map(|()| events));
    match parsed {
        Ok(events) => Ok(events),
        Err(_) if too_many.get() => Err(UploadError::TooManyEvents { limit: max }),
        Err(e) => Err(UploadError::Malformed(e.to_string())),
    }
}

/// The body as JSON text: inflated when `gzip`, charged to `meter` either way.
fn body_text<'b>(
    body: &'b [u8],
    gzip: bool,
    limits: &Limits,
    meter: &mut dyn Meter,
) -> Result<std::borrow::Cow<'b, [u8]>, UploadError> {
    if gzip {
        return Ok(inflate::gunzip_bounded(body, limits.max_decompressed, meter)?.into());
    }
    if body.len() > limits.max_decompressed {
        return Err(InflateError::TooLarge {
            limit: limits.max_decompressed,
        }
        .into());
    }
    Ok(body.into())
}

/// Decodes an upload body. `gzip` says the body claimed `Content-Encoding: gzip`.
/// `limits.max_decompressed` bounds the inflated body and every packed event inside it
/// together; every byte decoding keeps is charged to `meter` first.
pub fn decode_track_body(
    body: &[u8],
    gzip: bool,
    limits: &Limits,
    meter: &mut dyn Meter,
) -> Result<TrackBody, UploadError> {
    let text = body_text(body, gzip, limits, meter)?;
    let wire = parse_wire(&text, limits.max_events)?;
    let mut budget = limits.max_decompressed.saturating_sub(text.len());
    let mut events = Vec::with_capacity(wire.events.len());
    let mut skipped = 0;
    let mut skip_reasons = Vec::new();
    for raw in &wire.events {
        match decode_one(raw, &mut budget, limits.max_depth, meter) {
            Ok(event) => events.push(event),
            Err(DecodeOne::Limit(e)) => return Err(e.into()),
            Err(DecodeOne::Skip(reason)) => {
                skipped += 1;
                if skip_reasons.len() < KEPT_REASONS {
                    skip_reasons.push(reason);
                }
            }
        }
    }
    if events.is_empty() && skipped > 0 {
        return Err(UploadError::NoValidEvents {
            count: skipped,
            first: skip_reasons.first().cloned().unwrap_or_default(),
        });
    }
    Ok(TrackBody {
        version: wire.version.unwrap_or(1),
        events,
        skipped,
        skip_reasons,
    })
}

/// A heatmap upload (`type=interaction`): the same envelope, but its events are plain objects
/// (clicks, scroll depth), not rrweb events.
#[derive(Debug)]
pub struct InteractionBody {
    /// The events as one JSON array text, each element as sent.
    pub json: String,
    pub count: usize,
}

/// Decodes a heatmap upload under the same limits as a recording.
pub fn decode_interaction_body(
    body: &[u8],
    gzip: bool,
    limits: &Limits,
    meter: &mut dyn Meter,
) -> Result<InteractionBody, UploadError> {
    let text = body_text(body, gzip, limits, meter)?;
    let wire = parse_wire(&text, limits.max_events)?;
    let len = wire.events.iter().map(|e| e.get().len() + 1).sum::<usize>() + 1;
    if !meter.charge(len) {
        return Err(InflateError::OutOfMemory.into());
    }
    let mut json = String::with_capacity(len);
    json.push('[');
    for (i, e) in wire.events.iter().enumerate() {
        if i > 0 {
            json.push(',');
        }
        json.push_str(e.get());
    }
    json.push(']');
    Ok(InteractionBody {
        json,
        count: wire.events.len(),
    })
}

enum DecodeOne {
    Limit(InflateError),
    Skip(String),
}

impl From<EventError> for DecodeOne {
    fn from(e: EventError) -> Self {
        DecodeOne::Skip(e.to_string())
    }
}

fn decode_one(
    raw: &RawValue,
    budget: &mut usize,
    max_depth: usize,
    meter: &mut dyn Meter,
) -> Result<Event, DecodeOne> {
    let json = raw.get();
    if json.starts_with('{') {
        return parse_event(json, max_depth, meter);
    }
    let mut text: String = serde_json::from_str(json)
        .map_err(|_| DecodeOne::Skip("event is neither an object nor a string".into()))?;
    // `JSON.stringify(pack(event))` (1.35.0): the packed text inside a JSON string literal. Packed
    // text itself starts with zlib's header byte (0x78, 'x'), never with a quote. One layer only.
    if text.starts_with('"') {
        text = serde_json::from_str(&text).map_err(|_| {
            DecodeOne::Skip("event string starts with a quote but is not a JSON string".into())
        })?;
    }
    if text.trim_start().starts_with('{') {
        return parse_event(&text, max_depth, meter);
    }
    let bytes = latin1_bytes(&text)
        .ok_or_else(|| DecodeOne::Skip("event string is neither JSON nor packed".into()))?;
    let unpacked = inflate::zlib_inflate_bounded(&bytes, *budget, meter).map_err(|e| match e {
        InflateError::Corrupt { .. } => DecodeOne::Skip("packed event is not valid zlib".into()),
        e => DecodeOne::Limit(e),
    })?;
    *budget -= unpacked.len();
    let text = String::from_utf8(unpacked)
        .map_err(|_| DecodeOne::Skip("packed event is not UTF-8".into()))?;
    parse_event(&text, max_depth, meter)
}

/// An event that will be kept: its text is copied (and charged), after checking its depth.
fn parse_event(text: &str, max_depth: usize, meter: &mut dyn Meter) -> Result<Event, DecodeOne> {
    if reel_model::nesting_depth(text) > max_depth {
        return Err(DecodeOne::Skip(format!(
            "event is nested deeper than {max_depth} levels"
        )));
    }
    if !meter.charge(text.len()) {
        return Err(DecodeOne::Limit(InflateError::OutOfMemory));
    }
    Ok(Event::parse(text)?)
}

/// A packed event carries one byte per char; any char above U+00FF means it is not packed.
fn latin1_bytes(text: &str) -> Option<Vec<u8>> {
    text.chars()
        .map(|c| u8::try_from(u32::from(c)).ok())
        .collect()
}

#[cfg(test)]
#[path = "upload_tests.rs"]
mod tests;
