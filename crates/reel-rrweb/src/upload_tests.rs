use super::*;
use crate::EventType;
use crate::inflate::Unmetered;
use std::io::Write;

fn limits(max_decompressed: usize) -> Limits {
    Limits {
        max_decompressed,
        max_events: 100,
        max_depth: 50,
    }
}

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
    let deep_event = format!(
        r#"{{"type":5,"timestamp":1,"data":{}{}}}"#,
        "[".repeat(60),
        "]".repeat(60)
    );
    let too_deep = body(&[deep_event.clone().into(), SNAP.into()]);
    let only_too_deep = body(&[deep_event.into()]);
    let zeros = format!(r#"{{"version":1,"events":[{}]}}"#, vec!["0"; 101].join(","));
    let exactly_max = body(&vec![serde_json::Value::from(SNAP); 100]);

    type Want = Result<(u32, Vec<EventType>, usize), &'static str>;
    let cases: Vec<(&str, Vec<u8>, bool, Want)> = vec![
        (
            "json strings",
            strings.clone(),
            false,
            Ok((1, vec![EventType::Meta, EventType::FullSnapshot], 0)),
        ),
        (
            "gzipped",
            gzip(&strings),
            true,
            Ok((1, vec![EventType::Meta, EventType::FullSnapshot], 0)),
        ),
        ("packed", packed, false, Ok((1, vec![EventType::Meta], 0))),
        (
            "packed, in a JSON string literal (1.35.0)",
            packed_quoted.clone(),
            false,
            Ok((1, vec![EventType::Meta], 0)),
        ),
        (
            "too deep skipped",
            too_deep,
            false,
            Ok((1, vec![EventType::FullSnapshot], 1)),
        ),
        (
            "only too deep",
            only_too_deep,
            false,
            Err("nested deeper than 50 levels"),
        ),
        (
            "more events than allowed",
            zeros.into_bytes(),
            false,
            Err("more than 100 events"),
        ),
        (
            "exactly the allowed events",
            exactly_max,
            false,
            Ok((1, vec![EventType::FullSnapshot; 100], 0)),
        ),
        (
            "packed, in a JSON string literal, gzipped",
            gzip(&packed_quoted),
            true,
            Ok((1, vec![EventType::Meta], 0)),
        ),
        (
            "event JSON in a JSON string literal",
            meta_quoted,
            false,
            Ok((1, vec![EventType::Meta], 0)),
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
            Ok((2, vec![EventType::Meta], 0)),
        ),
        (
            "bad event skipped",
            partly_bad,
            false,
            Ok((1, vec![EventType::FullSnapshot], 1)),
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
        let got = decode_track_body(&input, gz, &limits(1 << 20), &mut Unmetered);
        match (got, want) {
            (Ok(b), Ok((v, kinds, skipped))) => {
                assert_eq!(b.version, v, "{name}");
                assert_eq!(
                    b.events.iter().map(|e| e.kind).collect::<Vec<_>>(),
                    kinds,
                    "{name}"
                );
                assert_eq!(b.skipped, skipped, "{name}");
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
    let body = decode_interaction_body(scroll.as_bytes(), false, &limits(1 << 20), &mut Unmetered)
        .unwrap();
    assert_eq!(body.count, 2);
    assert_eq!(
        body.json,
        r#"[{"maxScrollY":10,"type":"scroll"},{"x":1,"type":"click"}]"#
    );
    let body = decode_interaction_body(
        &gzip(scroll.as_bytes()),
        true,
        &limits(1 << 20),
        &mut Unmetered,
    )
    .unwrap();
    assert_eq!(body.count, 2);
    assert!(decode_interaction_body(b"[]", false, &limits(1 << 20), &mut Unmetered).is_err());
    let big = format!(r#"{{"events":[{}]}}"#, vec!["{}"; 101].join(","));
    assert_eq!(
        decode_interaction_body(big.as_bytes(), false, &limits(1 << 20), &mut Unmetered)
            .unwrap_err(),
        UploadError::TooManyEvents { limit: 100 }
    );
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
        let err = decode_track_body(&input, false, &limits(50_000), &mut Unmetered).unwrap_err();
        assert!(
            matches!(err, UploadError::Inflate(InflateError::TooLarge { .. })),
            "{name}: {err:?}"
        );
    }
}
