use super::*;

fn ev(kind: i64, ts: i64) -> Event {
    Event::parse(&format!(
        r#"{{"type":{kind},"data":{{}},"timestamp":{ts}}}"#
    ))
    .unwrap()
}

/// Renders chunks as "kinds@ts" groups, e.g. "4@1 2@1 3@2 | 4@5 2@5".
fn shape(chunks: &[Chunk]) -> String {
    chunks
        .iter()
        .map(|c| {
            c.events
                .iter()
                .map(|e| format!("{}@{}", e.kind.code(), e.timestamp))
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect::<Vec<_>>()
        .join(" | ")
}

#[test]
fn split_cases() {
    let cases: Vec<(&str, Vec<(i64, i64)>, &str)> = vec![
        ("empty", vec![], ""),
        ("one snapshot", vec![(4, 1), (2, 1), (3, 2)], "4@1 2@1 3@2"),
        ("no snapshot", vec![(3, 1), (3, 2)], "3@1 3@2"),
        (
            "cut at checkout",
            vec![(4, 1), (2, 1), (3, 2), (4, 5), (2, 5), (3, 6)],
            "4@1 2@1 3@2 | 4@5 2@5 3@6",
        ),
        (
            "tail then snapshot",
            vec![(3, 1), (4, 2), (2, 2)],
            "3@1 | 4@2 2@2",
        ),
        (
            "meta alone does not cut",
            vec![(3, 1), (4, 2), (3, 3)],
            "3@1 4@2 3@3",
        ),
        (
            "a snapshot whose meta came in the upload before",
            vec![(2, 1), (3, 2), (3, 3)],
            "2@1 3@2 3@3",
        ),
        (
            "a bare snapshot cuts too",
            vec![(3, 1), (2, 2), (3, 3)],
            "3@1 | 2@2 3@3",
        ),
        (
            "a meta ending the upload stays in its chunk",
            vec![(3, 1), (3, 2), (4, 3)],
            "3@1 3@2 4@3",
        ),
        (
            "sorted by time first",
            vec![(3, 9), (4, 2), (2, 2)],
            "4@2 2@2 3@9",
        ),
    ];
    for (name, input, want) in cases {
        let chunks = split_at_snapshots(input.into_iter().map(|(k, t)| ev(k, t)).collect());
        assert_eq!(shape(&chunks), want, "{name}");
    }
}

#[test]
fn facts_and_round_trip() {
    let meta =
        Event::parse(r#"{"type":4,"data":{"href":"https://x.test/p"},"timestamp":10}"#).unwrap();
    let chunk = Chunk {
        events: vec![meta, ev(2, 10), ev(3, 25)],
    };
    let facts = chunk.facts();
    assert_eq!(
        (facts.start_ms, facts.end_ms, facts.event_count),
        (10, 25, 3)
    );
    assert!(facts.self_contained && facts.starts_with_snapshot);
    assert_eq!((facts.meta_ms, facts.last_meta_ms), (Some(10), Some(10)));
    assert_eq!(facts.first_href, Some((10, "https://x.test/p".to_owned())));
    let bare = Chunk {
        events: vec![ev(2, 30), ev(3, 31), ev(4, 40)],
    }
    .facts();
    assert!(!bare.self_contained && bare.starts_with_snapshot);
    assert_eq!((bare.meta_ms, bare.last_meta_ms), (None, Some(40)));
    let again = Chunk {
        events: chunk.events.clone(),
    }
    .facts();
    assert_eq!(facts.content_hash, again.content_hash);
    let other = Chunk {
        events: vec![ev(3, 25)],
    }
    .facts();
    assert_ne!(facts.content_hash, other.content_hash);
    assert!(!other.self_contained);

    let stored = chunk.encode(None);
    let back = decode(&stored, None, 1 << 20).unwrap();
    let texts: Vec<&str> = back.iter().map(Event::json).collect();
    let orig: Vec<&str> = chunk.events.iter().map(Event::json).collect();
    assert_eq!(texts, orig);
    assert!(matches!(
        decode(&stored, None, 10),
        Err(ChunkDecodeError::TooLarge { .. })
    ));
    assert!(matches!(
        decode(b"garbage", None, 1 << 20),
        Err(ChunkDecodeError::Corrupt)
    ));
}

/// A page load that repeats an earlier one: the same snapshot with a different time.
fn page_load(ts: i64, css: &str) -> Chunk {
    let meta = format!(
        r#"{{"type":4,"data":{{"href":"https://x.test/","width":1280,"height":800}},"timestamp":{ts}}}"#
    );
    let snap = format!(
        r#"{{"type":2,"data":{{"node":{{"type":0,"id":1,"childNodes":[{{"type":2,"tagName":"style","attributes":{{"_cssText":"{css}"}},"childNodes":[],"id":2}}]}},"initialOffset":{{"top":0,"left":0}}}},"timestamp":{ts}}}"#
    );
    Chunk {
        events: vec![Event::parse(&meta).unwrap(), Event::parse(&snap).unwrap()],
    }
}

#[test]
fn dictionary_round_trip_and_gain() {
    // Pseudo-random CSS that zstd cannot shrink much by itself.
    let mut seed = 7u64;
    let css: String = (0..20_000)
        .map(|_| {
            seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
            char::from(b'a' + (seed >> 59) as u8)
        })
        .collect();
    let first = page_load(1_000, &css);
    let dict = first.plain();
    let later = page_load(9_000, &css);

    let alone = later.encode(None);
    let with_dict = later.encode(Some(&dict));
    assert!(
        with_dict.len() * 10 < alone.len(),
        "{} vs {}",
        with_dict.len(),
        alone.len()
    );

    let back = decode(&with_dict, Some(&dict), 1 << 20).unwrap();
    let texts: Vec<&str> = back.iter().map(Event::json).collect();
    let orig: Vec<&str> = later.events.iter().map(Event::json).collect();
    assert_eq!(texts, orig);
    assert!(
        decode(&with_dict, None, 1 << 20).is_err(),
        "needs its dictionary"
    );
    assert!(decode(&with_dict, Some(b"another dictionary"), 1 << 20).is_err());
}
