//! The body of a replay upload, `POST /sessions/v2/track`, as Amplitude's replay SDKs send it:
//! `{"version":1|2,"events":[...]}` where each event is an rrweb event serialized to a JSON
//! string, or — from SDKs up to 1.35 — "packed": the event JSON (with `"v":"v1"`) zlib-deflated
//! and carried as a latin1 string. `@amplitude/session-replay-browser` 1.35.0 wraps the packed
//! string once more in `JSON.stringify`, so its event string is itself a JSON string literal
//! (it starts with `"`); one such extra layer is taken off. Event objects (not strings) are
//! accepted as well.

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::event::{Event, EventError};
use crate::inflate::{self, InflateError};

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum UploadError {
    #[error("{0}")]
    Inflate(#[from] InflateError),
    #[error("body is not a replay upload: {0}")]
    Malformed(String),
    #[error("none of the {count} events in the upload could be read (first problem: {first})")]
    NoValidEvents { count: usize, first: String },
}

/// A decoded upload: the events that could be read, in the order sent, and what was skipped.
#[derive(Debug)]
pub struct TrackBody {
    pub version: u32,
    pub events: Vec<Event>,
    /// Events that were not readable rrweb events; each with the reason.
    pub skipped: Vec<String>,
}

#[derive(Deserialize)]
struct Wire<'a> {
    version: Option<u32>,
    #[serde(borrow)]
    events: Vec<&'a RawValue>,
}

/// Decodes an upload body. `gzip` says the body claimed `Content-Encoding: gzip`.
/// `max_decompressed` bounds the inflated body and every packed event inside it together.
pub fn decode_track_body(
    body: &[u8],
    gzip: bool,
    max_decompressed: usize,
) -> Result<TrackBody, UploadError> {
    let inflated;
    let text: &[u8] = if gzip {
        inflated = inflate::gunzip_bounded(body, max_decompressed)?;
        &inflated
    } else {
        if body.len() > max_decompressed {
            return Err(InflateError::TooLarge {
                limit: max_decompressed,
            }
            .into());
        }
        body
    };
    let wire: Wire<'_> =
        serde_json::from_slice(text).map_err(|e| UploadError::Malformed(e.to_string()))?;
    let mut budget = max_decompressed.saturating_sub(text.len());
    let mut events = Vec::with_capacity(wire.events.len());
    let mut skipped = Vec::new();
    for raw in &wire.events {
        match decode_one(raw, &mut budget) {
            Ok(event) => events.push(event),
            Err(DecodeOne::Limit(e)) => return Err(e.into()),
            Err(DecodeOne::Skip(reason)) => skipped.push(reason),
        }
    }
    if events.is_empty() && !skipped.is_empty() {
        return Err(UploadError::NoValidEvents {
            count: skipped.len(),
            first: skipped[0].clone(),
        });
    }
    Ok(TrackBody {
        version: wire.version.unwrap_or(1),
        events,
        skipped,
    })
}

/// Decodes a heatmap upload (`type=interaction`): the same envelope, but its events are
/// plain objects (clicks, scroll depth), not rrweb events. Returns them as one JSON array text.
pub fn decode_interaction_body(
    body: &[u8],
    gzip: bool,
    max_decompressed: usize,
) -> Result<(String, usize), UploadError> {
    let inflated;
    let text: &[u8] = if gzip {
        inflated = inflate::gunzip_bounded(body, max_decompressed)?;
        &inflated
    } else {
        body
    };
    let wire: Wire<'_> =
        serde_json::from_slice(text).map_err(|e| UploadError::Malformed(e.to_string()))?;
    let items: Vec<&str> = wire.events.iter().map(|e| e.get()).collect();
    Ok((format!("[{}]", items.join(",")), items.len()))
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

fn decode_one(raw: &RawValue, budget: &mut usize) -> Result<Event, DecodeOne> {
    let json = raw.get();
    if json.starts_with('{') {
        return Ok(Event::parse(json)?);
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
        return Ok(Event::parse(&text)?);
    }
    let bytes = latin1_bytes(&text)
        .ok_or_else(|| DecodeOne::Skip("event string is neither JSON nor packed".into()))?;
    let unpacked = inflate::zlib_inflate_bounded(&bytes, *budget).map_err(|e| match e {
        InflateError::TooLarge { .. } => DecodeOne::Limit(e),
        InflateError::Corrupt { .. } => DecodeOne::Skip("packed event is not valid zlib".into()),
    })?;
    *budget -= unpacked.len();
    let text = String::from_utf8(unpacked)
        .map_err(|_| DecodeOne::Skip("packed event is not UTF-8".into()))?;
    Ok(Event::parse(&text)?)
}

/// A packed event carries one byte per char; any char above U+00FF means it is not packed.
fn latin1_bytes(text: &str) -> Option<Vec<u8>> {
    text.chars()
        .map(|c| u8::try_from(u32::from(c)).ok())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::event::EventKind;
    use std::io::Write;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(data).unwrap();
        enc.finish().unwrap()
    }

    /// What `@rrweb/packer`'s `pack` produces: zlib bytes carried as a latin1 string.
    fn pack(event_json: &str) -> String {
        let mut enc = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(event_json.as_bytes()).unwrap();
        enc.finish().unwrap().into_iter().map(char::from).collect()
    }

    /// `JSON.stringify(text)`: the text as a JSON string literal, quotes included.
    fn quoted(text: &str) -> String {
        serde_json::to_string(text).unwrap()
    }

    const META: &str =
        r#"{"type":4,"data":{"href":"https://a.test/","width":10,"height":10},"timestamp":1000}"#;
    const SNAP: &str = r#"{"type":2,"data":{"node":{"type":0,"id":1,"childNodes":[]},"initialOffset":{"top":0,"left":0}},"timestamp":1001}"#;

    fn body(events: &[serde_json::Value]) -> Vec<u8> {
        serde_json::to_vec(&serde_json::json!({"version": 1, "events": events})).unwrap()
    }

    #[test]
    fn decode_cases() {
        let strings = body(&[META.into(), SNAP.into()]);
        let packed_meta = r#"{"type":4,"data":{"href":"https://p.test/"},"timestamp":5,"v":"v1"}"#;
        let packed = body(&[pack(packed_meta).into()]);
        // session-replay-browser 1.35.0: `JSON.stringify(pack(event))`, a JSON string literal
        // carried as the event string.
        let packed_quoted = body(&[quoted(&pack(packed_meta)).into()]);
        let meta_quoted = body(&[quoted(META).into()]);
        let quoted_twice = body(&[quoted(&quoted(&pack(packed_meta))).into()]);
        let quote_unclosed = body(&[format!("\"{}", pack(packed_meta)).into()]);
        let quoted_not_zlib = body(&[quoted("x\u{9c}not zlib").into()]);
        let objects = serde_json::to_vec(&serde_json::json!({"version":2,"events":[
            serde_json::from_str::<serde_json::Value>(META).unwrap()]}))
        .unwrap();
        let partly_bad = body(&["{\"type\":3}".into(), SNAP.into()]);
        let all_bad = body(&["{\"type\":3}".into()]);
        let unicode = body(&["☃☃".into()]);

        type Want = Result<(u32, Vec<EventKind>, usize), &'static str>;
        let cases: Vec<(&str, Vec<u8>, bool, Want)> = vec![
            (
                "json strings",
                strings.clone(),
                false,
                Ok((1, vec![EventKind::Meta, EventKind::FullSnapshot], 0)),
            ),
            (
                "gzipped",
                gzip(&strings),
                true,
                Ok((1, vec![EventKind::Meta, EventKind::FullSnapshot], 0)),
            ),
            ("packed", packed, false, Ok((1, vec![EventKind::Meta], 0))),
            (
                "packed, in a JSON string literal (1.35.0)",
                packed_quoted.clone(),
                false,
                Ok((1, vec![EventKind::Meta], 0)),
            ),
            (
                "packed, in a JSON string literal, gzipped",
                gzip(&packed_quoted),
                true,
                Ok((1, vec![EventKind::Meta], 0)),
            ),
            (
                "event JSON in a JSON string literal",
                meta_quoted,
                false,
                Ok((1, vec![EventKind::Meta], 0)),
            ),
            (
                "two string literals deep: one layer only",
                quoted_twice,
                false,
                Err("packed event is not valid zlib"),
            ),
            (
                "opening quote without a string literal",
                quote_unclosed,
                false,
                Err("starts with a quote but is not a JSON string"),
            ),
            (
                "string literal, not zlib inside",
                quoted_not_zlib,
                false,
                Err("packed event is not valid zlib"),
            ),
            (
                "objects, beacon v2",
                objects,
                false,
                Ok((2, vec![EventKind::Meta], 0)),
            ),
            (
                "bad event skipped",
                partly_bad,
                false,
                Ok((1, vec![EventKind::FullSnapshot], 1)),
            ),
            ("empty batch", body(&[]), false, Ok((1, vec![], 0))),
            (
                "only bad events",
                all_bad,
                false,
                Err("none of the 1 events"),
            ),
            (
                "not packed either",
                unicode,
                false,
                Err("none of the 1 events"),
            ),
            ("claims gzip, is not", strings, true, Err("not valid gzip")),
            (
                "not json",
                b"hello".to_vec(),
                false,
                Err("not a replay upload"),
            ),
            (
                "no events field",
                b"{\"version\":1}".to_vec(),
                false,
                Err("not a replay upload"),
            ),
        ];
        for (name, input, gz, want) in cases {
            let got = decode_track_body(&input, gz, 1 << 20);
            match (got, want) {
                (Ok(b), Ok((v, kinds, skipped))) => {
                    assert_eq!(b.version, v, "{name}");
                    assert_eq!(
                        b.events.iter().map(|e| e.kind).collect::<Vec<_>>(),
                        kinds,
                        "{name}"
                    );
                    assert_eq!(b.skipped.len(), skipped, "{name}");
                }
                (Err(e), Err(msg)) => assert!(e.to_string().contains(msg), "{name}: {e}"),
                (got, want) => panic!("{name}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn interaction_bodies() {
        let scroll =
            r#"{"version":1,"events":[{"maxScrollY":10,"type":"scroll"},{"x":1,"type":"click"}]}"#;
        let (json, n) = decode_interaction_body(scroll.as_bytes(), false, 1 << 20).unwrap();
        assert_eq!(n, 2);
        assert_eq!(
            json,
            r#"[{"maxScrollY":10,"type":"scroll"},{"x":1,"type":"click"}]"#
        );
        let (_, n) = decode_interaction_body(&gzip(scroll.as_bytes()), true, 1 << 20).unwrap();
        assert_eq!(n, 2);
        assert!(decode_interaction_body(b"[]", false, 1 << 20).is_err());
    }

    #[test]
    fn packed_events_count_against_the_limit() {
        let huge = format!(
            r#"{{"type":5,"timestamp":1,"data":{{"pad":"{}"}}}}"#,
            "x".repeat(100_000)
        );
        for (name, event) in [
            ("packed", pack(&huge)),
            ("packed in a string literal", quoted(&pack(&huge))),
        ] {
            let input = body(&[event.into()]);
            assert!(input.len() < 10_000, "{name}: the packed form is small");
            let err = decode_track_body(&input, false, 50_000).unwrap_err();
            assert!(
                matches!(err, UploadError::Inflate(InflateError::TooLarge { .. })),
                "{name}: {err:?}"
            );
        }
    }
}
