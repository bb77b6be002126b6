//! Tests of the segment codec: exact round trips of real recordings (rrweb's corpus and the
//! workload sessions), hostile texts, pieces, corrupt and truncated segments, the output limit,
//! and a bounded fuzz test (fixed-seed PRNG) over inputs and encoded bytes.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::Event;
use crate::segment::*;
use crate::test_support::Rng;

/// Pieces as the server keeps them: stored compressed, by hash.
#[derive(Default)]
struct Store {
    pieces: HashMap<[u8; 16], Vec<u8>>,
    fetched: usize,
}

impl Store {
    fn keep(&mut self, segment: &EncodedSegment) {
        for p in &segment.pieces {
            assert_eq!(p.hash, piece_hash(&p.bytes));
            self.pieces
                .entry(p.hash)
                .or_insert_with(|| compress_piece(&p.bytes));
        }
    }

    fn decode(&mut self, segment: &[u8], limit: usize) -> Result<Vec<String>, SegmentError> {
        let pieces = &self.pieces;
        let fetched = &mut self.fetched;
        decode_segment(
            segment,
            &mut |h| {
                *fetched += 1;
                pieces
                    .get(h)
                    .map(|stored| Arc::from(decompress_piece(stored, usize::MAX).unwrap()))
            },
            limit,
        )
    }
}

fn options(level: i32, piece_min_bytes: usize) -> SegmentOptions {
    SegmentOptions {
        zstd_level: level,
        piece_min_bytes,
        ..SegmentOptions::default()
    }
}

/// Encodes, decodes and compares; returns the encoded segment.
fn round_trip(events: &[&str], options: &SegmentOptions) -> EncodedSegment {
    let encoded = encode_segment(events, options);
    assert_eq!(
        encoded.raw_bytes,
        events.iter().map(|e| e.len()).sum::<usize>()
    );
    let mut store = Store::default();
    store.keep(&encoded);
    let limit = encoded.raw_bytes + events.len();
    let back = store.decode(&encoded.bytes, limit).expect("decodes");
    assert_eq!(back.len(), events.len());
    for (i, (got, want)) in back.iter().zip(events).enumerate() {
        assert!(
            got == want,
            "event {i} differs:\n got {got:.200}\nwant {want:.200}"
        );
    }
    if limit > 0 {
        assert_eq!(
            store.decode(&encoded.bytes, limit - 1),
            Err(SegmentError::TooLarge { limit: limit - 1 })
        );
    }
    encoded
}

#[test]
fn corpus_round_trips_exactly() {
    let corpus = reel_testdata::corpus();
    assert_eq!(corpus.len(), 25);
    let mut all = Vec::new();
    for recording in corpus {
        let refs: Vec<&str> = recording.events.iter().map(String::as_str).collect();
        for opts in [options(3, 2048), options(3, 8), options(3, 0)] {
            let encoded = round_trip(&refs, &opts);
            assert_eq!(encoded.verbatim_events, 0, "{}", recording.name);
        }
        all.extend(recording.events);
    }
    let refs: Vec<&str> = all.iter().map(String::as_str).collect();
    round_trip(&refs, &SegmentOptions::default());
}

#[test]
fn workload_round_trips_exactly() {
    let sessions = reel_testdata::workload();
    assert!(sessions.len() >= 9, "testdata/workload has the sessions");
    let mut store = Store::default();
    let mut segments = 0;
    for reel_testdata::Recording {
        name,
        events: texts,
    } in &sessions
    {
        let events: Vec<Event> = texts.iter().map(|t| Event::parse(t).unwrap()).collect();
        for range in plan_segments(&events, 8 << 20) {
            let refs: Vec<&str> = texts[range].iter().map(String::as_str).collect();
            // A low level: the transform is what is tested, and debug builds are slow.
            let encoded = encode_segment(&refs, &options(1, 2048));
            assert_eq!(encoded.verbatim_events, 0, "{name}");
            assert!(encoded.bytes.len() * 10 < encoded.raw_bytes, "{name}");
            store.keep(&encoded);
            let back = store
                .decode(&encoded.bytes, encoded.raw_bytes + refs.len())
                .unwrap();
            assert!(back == refs, "{name}: not the same events");
            segments += 1;
        }
    }
    assert!(segments >= sessions.len());
}

/// Texts a client may send, valid JSON or not; each must come back exactly, and only the
/// invalid ones (`false`) may be kept verbatim.
const HOSTILE: &[(&str, bool)] = &[
    (
        r#"{"type":3,"data":{"source":0,"adds":[{"parentId":5,"nextId":null,"node":{"id":6}}]},"timestamp":1700000000000}"#,
        true,
    ),
    (
        " {\"type\" : 3 ,\n\t\"timestamp\" :\r 1700000000001 , \"data\":{ \"id\" : 7 } } ",
        true,
    ),
    (
        r#"{"type":3,"timestamp":1.50,"data":{"id":1e3,"parentId":-0,"nextId":-5,"previousId":0}}"#,
        true,
    ),
    (
        r#"{"timestamp":01,"data":{"id":00,"parentId":1E3,"nextId":-01}}"#,
        true,
    ),
    (
        r#"{"timestamp":-9223372036854775808,"data":{"id":9223372036854775807,"parentId":-9223372036854775808}}"#,
        true,
    ),
    (
        r#"{"timestamp":9223372036854775808,"data":{"id":99999999999999999999999,"parentId":-9223372036854775809}}"#,
        true,
    ),
    (
        r#"{"timestamp":1,"data":{"id":-7,"parentId":-1,"nextId":-9223372036854775807}}"#,
        true,
    ),
    (
        r#"{"data":{"text":"\"id\":5,\"timestamp\":6","id":"5","parentId":"x","nextId":[1,2],"timestamp":{"id":3}}}"#,
        true,
    ),
    (
        r#"{"data":{"textContent":"a\u0000b\u001e\u001f\u0001","id":1}}"#,
        true,
    ),
    (
        r#"{"data":{"t":"\ud800 lone \udc00 \ud83d\ude00 caf\u00e9 \/ \\ \"","id":2}}"#,
        true,
    ),
    ("{\"data\":{\"t\":\"héllo 中文 😀\",\"id\":3}}", true),
    (
        r#"{"\u0069d":5,"id" :6,"id":7 ,"id":"8","id":true,"id":null}"#,
        true,
    ),
    (r#"[1,2,{"id":3},[{"id":4}],"id",5]"#, true),
    (r#"{"id":1}{"id":2}"#, true),
    (
        r#"{"timestamp":5,"data":{"timestamp":6,"positions":[{"timestamp":7}]}}"#,
        true,
    ),
    ("", true),
    ("   ", true),
    ("5", true),
    ("\"id\"", true),
    (r#"{"id":"#, true),
    (r#"{"a":"unterminated"#, false),
    (r#"{"a":"ends in backslash\"#, false),
    ("{\"raw\x01control\":1}", false),
    ("{\"a\":\"\x1e\",\"id\":3}", false),
    ("\x1f\x05\x00", false),
    ("not json at all, id: 5", true),
];

#[test]
fn hostile_texts_round_trip() {
    for opts in [options(3, 2048), options(3, 4), options(3, 1)] {
        for (text, transformable) in HOSTILE {
            let encoded = round_trip(&[text], &opts);
            assert_eq!(
                encoded.verbatim_events,
                usize::from(!transformable),
                "{text:?}"
            );
        }
        let all: Vec<&str> = HOSTILE.iter().map(|(t, _)| *t).collect();
        round_trip(&all, &opts);
    }
}

#[test]
fn deep_nesting_round_trips() {
    let depth = 100_000;
    let deep = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let deep_objects = format!(
        r#"{{"timestamp":1,"data":{}{}}}"#,
        r#"{"id":1,"c":"#.repeat(depth),
        "}".repeat(depth)
    );
    round_trip(&[&deep, &deep_objects], &options(3, 2048));
}

#[test]
fn ids_and_timestamps_are_delta_coded() {
    // Two renderings of the same rows with other ids and times: the second costs little.
    let rows = |base: i64, ts: i64| -> Vec<String> {
        (0..200)
            .map(|i| {
                let id = base + i * 3;
                format!(
                    r#"{{"type":3,"data":{{"source":0,"adds":[{{"parentId":{base},"nextId":null,"node":{{"type":2,"tagName":"tr","attributes":{{}},"childNodes":[],"id":{id}}}}},{{"parentId":{id},"nextId":null,"node":{{"type":3,"textContent":"row","id":{}}}}}]}},"timestamp":{}}}"#,
                    id + 1,
                    ts + i * 16
                )
            })
            .collect()
    };
    let one = rows(1000, 1_700_000_000_000);
    let mut two = one.clone();
    two.extend(rows(50_000, 1_700_000_100_000));
    let size = |texts: &[String]| {
        let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
        round_trip(&refs, &options(19, 2048)).bytes.len()
    };
    let (a, b) = (size(&one), size(&two));
    assert!(b < a + a / 10, "{a} then {b}");
}

fn pseudo_random_text(seed: u64, len: usize) -> String {
    let mut r = Rng(seed);
    (0..len)
        .map(|_| char::from(b'a' + r.below(26) as u8))
        .collect()
}

#[test]
fn pieces_are_shared_referenced_and_required() {
    let css = pseudo_random_text(1, 100_000);
    let first = format!(
        r#"{{"type":2,"data":{{"node":{{"attributes":{{"_cssText":"{css}"}},"id":1}}}},"timestamp":1}}"#
    );
    let second = format!(
        r#"{{"type":3,"data":{{"adds":[{{"node":{{"attributes":{{"_cssText":"{css}"}},"id":9}}}}]}},"timestamp":2}}"#
    );
    let a = round_trip(&[&first, &first], &options(19, 2048));
    let b = round_trip(&[&second], &options(19, 2048));
    assert_eq!(a.pieces.len(), 1, "one piece for two uses");
    assert_eq!(a.pieces[0].bytes, css.as_bytes());
    assert_eq!(a.pieces[0].hash, b.pieces[0].hash);
    assert_eq!(piece_hashes(&a.bytes).unwrap(), vec![a.pieces[0].hash]);
    // Referenced, not copied: the segment is far smaller than the piece (random letters
    // compress to about 60 %).
    assert!(a.bytes.len() < 1000, "{}", a.bytes.len());
    let info = segment_info(&a.bytes).unwrap();
    assert_eq!(
        (info.event_count, info.raw_bytes, info.pieces[0].len),
        (2, 2 * first.len(), css.len())
    );

    // A missing piece, or a piece of the wrong length, is an error.
    let mut none = |_: &[u8; 16]| None;
    assert_eq!(
        decode_segment(&a.bytes, &mut none, usize::MAX),
        Err(SegmentError::MissingPiece(a.pieces[0].hash))
    );
    let mut short = |_: &[u8; 16]| Some(Arc::from(&css.as_bytes()[1..]));
    assert_eq!(
        decode_segment(&a.bytes, &mut short, usize::MAX),
        Err(SegmentError::Corrupt)
    );
    // A wrong piece of the right length is caught by the content checksum.
    let other = pseudo_random_text(2, css.len());
    let mut wrong = |_: &[u8; 16]| Some(Arc::from(other.as_bytes()));
    assert_eq!(
        decode_segment(&a.bytes, &mut wrong, usize::MAX),
        Err(SegmentError::Corrupt)
    );
    // Asked once per piece, however often it is used.
    let mut store = Store::default();
    store.keep(&a);
    store.decode(&a.bytes, usize::MAX).unwrap();
    assert_eq!(store.fetched, 1);

    // Without pieces the string stays in the segment.
    let inline = round_trip(&[&first], &options(19, 0));
    assert!(inline.pieces.is_empty() && inline.bytes.len() > 50_000);
}

#[test]
fn stored_pieces_round_trip_and_are_bounded() {
    let text = pseudo_random_text(3, 10_000);
    let stored = compress_piece(text.as_bytes());
    assert_eq!(decompress_piece(&stored, 10_000).unwrap(), text.as_bytes());
    assert_eq!(
        decompress_piece(&stored, 9_999),
        Err(SegmentError::TooLarge { limit: 9_999 })
    );
    assert_eq!(
        decompress_piece(b"RLSG", 10),
        Err(SegmentError::UnknownFormat)
    );
    assert_eq!(decompress_piece(b"", 10), Err(SegmentError::UnknownFormat));
    for cut in 5..stored.len() {
        assert!(
            decompress_piece(&stored[..cut], usize::MAX).is_err(),
            "{cut}"
        );
    }
    let mut flipped = stored.clone();
    let at = flipped.len() / 2;
    flipped[at] ^= 0x10;
    assert!(decompress_piece(&flipped, usize::MAX).is_err());
    assert_eq!(decompress_piece(&compress_piece(b""), 0).unwrap(), b"");
}

fn sample_segment() -> (Vec<String>, EncodedSegment, Store) {
    let css = pseudo_random_text(4, 3000);
    let texts = vec![
        r#"{"type":4,"data":{"href":"https://x.test/","width":1280,"height":800},"timestamp":1700000000000}"#.to_owned(),
        format!(r#"{{"type":2,"data":{{"node":{{"type":0,"childNodes":[{{"type":2,"tagName":"style","attributes":{{"_cssText":"{css}"}},"childNodes":[],"id":2}}],"id":1}}}},"timestamp":1700000000000}}"#),
        r#"{"type":3,"data":{"source":0,"adds":[{"parentId":1,"nextId":null,"node":{"type":3,"textContent":"hi","id":3}}],"removes":[],"texts":[],"attributes":[]},"timestamp":1700000000016}"#.to_owned(),
        "{\"broken\x02\":1}".to_owned(),
    ];
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    let encoded = round_trip(&refs, &options(19, 2048));
    assert_eq!(encoded.verbatim_events, 1);
    let mut store = Store::default();
    store.keep(&encoded);
    (texts, encoded, store)
}

#[test]
fn corrupt_and_truncated_segments_are_errors() {
    let (texts, encoded, mut store) = sample_segment();
    let bytes = &encoded.bytes;
    let limit = usize::MAX;
    for cut in 0..bytes.len() {
        assert!(store.decode(&bytes[..cut], limit).is_err(), "cut at {cut}");
    }
    let mut longer = bytes.clone();
    longer.push(0);
    assert!(store.decode(&longer, limit).is_err(), "trailing byte");
    let mut twice = bytes.clone();
    twice.extend_from_slice(&bytes[bytes.len() - 20..]);
    assert!(store.decode(&twice, limit).is_err(), "trailing data");
    for at in 0..bytes.len() {
        for bit in [0x01, 0x80] {
            let mut changed = bytes.clone();
            changed[at] ^= bit;
            match store.decode(&changed, limit) {
                Err(_) => {}
                Ok(events) => assert!(events == texts, "byte {at} bit {bit:#x}: wrong events"),
            }
        }
    }
    let mut version = bytes.clone();
    version[4] = 2;
    assert_eq!(
        store.decode(&version, limit),
        Err(SegmentError::UnknownFormat)
    );
    assert_eq!(segment_info(b"nope"), Err(SegmentError::UnknownFormat));
}

/// A body stream with a header that matches it (for hand-made hostile segments).
fn raw_segment(stream: &[u8], event_count: usize, raw_bytes: usize, level: i32) -> Vec<u8> {
    let mut s = b"RLSG\x01\x00".to_vec();
    for v in [event_count as u64, raw_bytes as u64, 0] {
        let mut v = v;
        while v >= 0x80 {
            s.push((v as u8) | 0x80);
            v >>= 7;
        }
        s.push(v as u8);
    }
    s.extend_from_slice(&0u64.to_le_bytes());
    let header_checksum = xxhash_rust::xxh3::xxh3_64(&s);
    s.extend_from_slice(&header_checksum.to_le_bytes());
    s.extend_from_slice(&zstd::bulk::compress(stream, level).unwrap());
    s
}

#[test]
fn output_limit_is_enforced_even_when_the_header_lies() {
    let (texts, encoded, mut store) = sample_segment();
    let need = texts.iter().map(|t| t.len() + 1).sum::<usize>();
    assert!(store.decode(&encoded.bytes, need).is_ok());
    for limit in [0, 1, need / 2, need - 1] {
        assert_eq!(
            store.decode(&encoded.bytes, limit),
            Err(SegmentError::TooLarge { limit })
        );
    }

    // A bomb: the header claims 10 bytes, the body inflates to 32 MiB.
    let mut stream = vec![b'a'; 32 << 20];
    stream.push(0x1E);
    let bomb = raw_segment(&stream, 1, 10, 1);
    assert!(bomb.len() < 10_000);
    let start = Instant::now();
    assert_eq!(
        store.decode(&bomb, 1 << 20),
        Err(SegmentError::TooLarge { limit: 1 << 20 })
    );
    assert!(start.elapsed() < Duration::from_secs(2));
    // Verbatim lengths and empty events are bounded too.
    let mut stream = vec![0x1F, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F];
    stream.extend_from_slice(b"abc");
    assert!(
        store
            .decode(&raw_segment(&stream, 1, 3, 3), 1 << 20)
            .is_err()
    );
    let empties = vec![0x1E; 4 << 20];
    assert!(store.decode(&raw_segment(&empties, 1, 0, 3), 1000).is_err());
    assert!(
        store
            .decode(&raw_segment(&empties, 999, 0, 3), 1000)
            .is_err()
    );
    // Bad markers, deltas and varints, unknown piece indexes, events past the count.
    for stream in [
        &b"{\x07}\x1e"[..],
        b"{\x01\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff}\x1e",
        b"{\x01\xff\xff\xff\xff\xff\xff\xff\xff\xff\x02}\x1e",
        b"{\x05\x00}\x1e",
        b"{\x0199999999999999999999}\x1e",
        b"{\x01-99999999999999999999}\x1e",
        b"{\x01-}\x1e",
        b"{\x04}\x1e",
        b"{\x01",
        b"{}\x1e{}\x1e",
        b"\xff\xfe\x1e",
    ] {
        assert!(
            store.decode(&raw_segment(stream, 1, 2, 3), 1000).is_err(),
            "{stream:?}"
        );
    }
    // A well-formed hand-made one decodes (the checksum field of these is 0, so it fails
    // only on that).
    assert_eq!(
        store.decode(&raw_segment(b"{}\x1e", 1, 2, 3), 1000),
        Err(SegmentError::Corrupt)
    );
}

#[test]
fn encoding_is_deterministic() {
    let (texts, encoded, _) = sample_segment();
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    assert_eq!(
        encode_segment(&refs, &options(19, 2048)).bytes,
        encoded.bytes
    );
    let empty = round_trip(&[], &SegmentOptions::default());
    assert_eq!(segment_info(&empty.bytes).unwrap().event_count, 0);
}

#[test]
#[allow(clippy::single_range_in_vec_init, clippy::type_complexity)]
fn plan_segments_cuts_at_keyframes_within_the_target() {
    // Events of one length; kinds give the keyframes (4 directly followed by 2).
    let ev = |kind: i64, ts: i64| {
        Event::parse(&format!(
            r#"{{"type":{kind},"data":{{}},"timestamp":{}}}"#,
            1_700_000_000_000 + ts
        ))
        .unwrap()
    };
    let len = ev(3, 1).json().len();
    let stream = |kinds: &[i64]| -> Vec<Event> {
        kinds
            .iter()
            .enumerate()
            .map(|(i, &k)| ev(k, i as i64))
            .collect()
    };
    let cases: &[(&[i64], usize, &[std::ops::Range<usize>])] = &[
        (&[], 100, &[]),
        (&[3, 3], 0, &[0..2]),
        (&[4, 2, 3, 4, 2, 3], 6, &[0..6]),
        (&[4, 2, 3, 4, 2, 3], 5, &[0..3, 3..6]),
        (&[4, 2, 3, 4, 2, 3], 0, &[0..3, 3..6]),
        (&[3, 3, 4, 2, 3, 4, 3, 4, 2], 7, &[0..7, 7..9]),
        (&[3, 3, 4, 2, 3, 4, 3, 4, 2], 5, &[0..2, 2..7, 7..9]),
        (&[4, 3, 4, 3], 1, &[0..4]),
    ];
    for (kinds, target_events, want) in cases {
        let got = plan_segments(&stream(kinds), target_events * len);
        assert_eq!(&got, want, "{kinds:?} target {target_events}");
    }
}

const FRAGMENTS: &[&str] = &[
    "\"id\":",
    "\"parentId\":",
    "\"nextId\":",
    "\"previousId\":",
    "\"timestamp\":",
    "-",
    "0",
    "7",
    "99999999999999999999",
    "1.5",
    "e3",
    "\"",
    "\\",
    "\\u00e9",
    "\\ud800",
    "{",
    "}",
    "[",
    "]",
    ",",
    ":",
    " ",
    "\n",
    "\u{1}",
    "\u{1e}",
    "\u{1f}",
    "é",
    "😀",
    "null",
];

/// A small event-like text, then randomly edited.
fn fuzz_event(r: &mut Rng, base: &[String]) -> String {
    let mut text = base[r.below(base.len() as u64) as usize].clone();
    for _ in 0..r.below(4) {
        let mut at = r.below(text.len() as u64 + 1) as usize;
        while !text.is_char_boundary(at) {
            at -= 1;
        }
        match r.below(3) {
            0 => text.insert_str(at, FRAGMENTS[r.below(FRAGMENTS.len() as u64) as usize]),
            1 => {
                let mut end = (at + 1 + r.below(8) as usize).min(text.len());
                while !text.is_char_boundary(end) {
                    end += 1;
                }
                text.replace_range(at..end, "");
            }
            _ => {
                let digits = (r.next() as i64 >> r.below(64)).to_string();
                text.insert_str(at, &digits);
            }
        }
    }
    text
}

#[test]
fn fuzz_inputs_and_encoded_bytes() {
    let mut base: Vec<String> = HOSTILE.iter().map(|(t, _)| t.to_string()).collect();
    for recording in reel_testdata::corpus().into_iter().take(6) {
        base.extend(recording.events.into_iter().filter(|t| t.len() < 4000));
    }
    let mut r = Rng(0x5EED);
    let deadline = Instant::now() + Duration::from_secs(3);
    let (mut rounds, mut mutated) = (0, 0);
    while Instant::now() < deadline {
        rounds += 1;
        let events: Vec<String> = (0..1 + r.below(12))
            .map(|_| fuzz_event(&mut r, &base))
            .collect();
        let refs: Vec<&str> = events.iter().map(String::as_str).collect();
        let opts = options(1 + r.below(5) as i32, [0, 1, 6, 40][r.below(4) as usize]);
        let encoded = round_trip(&refs, &opts);
        let mut store = Store::default();
        store.keep(&encoded);
        for _ in 0..8 {
            let mut bytes = encoded.bytes.clone();
            for _ in 0..1 + r.below(3) {
                let at = r.below(bytes.len() as u64) as usize;
                match r.below(4) {
                    0 => bytes[at] ^= 1 << r.below(8),
                    1 => bytes[at] = r.next() as u8,
                    2 => bytes.truncate(at),
                    _ => bytes.insert(at, r.next() as u8),
                }
                if bytes.is_empty() {
                    break;
                }
            }
            let limit = [usize::MAX, encoded.raw_bytes][r.below(2) as usize];
            if let Ok(back) = store.decode(&bytes, limit) {
                assert!(back == refs, "a changed segment decoded to other events");
            }
            mutated += 1;
        }
    }
    assert!(rounds > 50, "{rounds} rounds");
    assert!(mutated > 400);
}
