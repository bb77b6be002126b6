//! Reading part of a long recording: the manifest says where playing can start, and a windowed
//! read begins at the nearest keyframe at or before the moment asked for — its Meta included,
//! even when an SDK sent the Meta in the upload before its snapshot — so it plays on its own.

use std::io::Read as _;

use reqwest::StatusCode;
use serde_json::Value;

use crate::support::*;

/// A session of three page loads, 60 s apart, uploaded in five batches; the second page's Meta
/// ends one upload and its snapshot starts the next.
fn uploads(t: i64) -> Vec<Vec<String>> {
    let moves =
        |from: i64| -> Vec<String> { (1..=5).map(|i| mouse_move(from + i * 5_000, i)).collect() };
    vec![
        [page(t, "https://x.test/a"), moves(t)].concat(),
        [
            moves(t + 30_000),
            vec![meta(t + 60_000, "https://x.test/b")],
        ]
        .concat(),
        [vec![full_snapshot(t + 60_001)], moves(t + 60_001)].concat(),
        moves(t + 90_000),
        [page(t + 120_000, "https://x.test/c"), moves(t + 120_000)].concat(),
    ]
}

async fn window(
    app: &TestApp,
    id: &str,
    query: &str,
    encoding: Option<&str>,
) -> (StatusCode, Option<i64>, Vec<Value>) {
    let mut request = app.api(&format!("/replays/{id}/events?{query}"));
    if let Some(e) = encoding {
        request = request.header("accept-encoding", e);
    }
    let response = request.send().await.expect("sent");
    let status = response.status();
    let start = response
        .headers()
        .get("x-reel-window-start")
        .and_then(|v| v.to_str().ok()?.parse().ok());
    let encoded = response
        .headers()
        .get("content-encoding")
        .map(|v| v.to_str().unwrap().to_owned());
    let bytes = response.bytes().await.expect("body").to_vec();
    let text = match encoded.as_deref() {
        Some("zstd") => String::from_utf8(zstd::decode_all(&bytes[..]).expect("zstd")).unwrap(),
        Some("gzip") => {
            let mut s = String::new();
            flate2::read::GzDecoder::new(&bytes[..])
                .read_to_string(&mut s)
                .expect("gzip");
            s
        }
        None => String::from_utf8(bytes).unwrap(),
        Some(other) => panic!("unexpected encoding {other}"),
    };
    assert_eq!(
        encoded.as_deref(),
        encoding.filter(|e| *e != "identity"),
        "negotiated encoding"
    );
    if !status.is_success() {
        return (status, start, vec![serde_json::from_str(&text).unwrap()]);
    }
    (
        status,
        start,
        serde_json::from_str(&text).expect("a JSON array"),
    )
}

#[tokio::test]
async fn a_window_starts_at_the_keyframe_before_it_and_holds_exactly_its_events() {
    let app = TestApp::spawn().await;
    let t = now_ms() - 3_600_000;
    let batches = uploads(t);
    for batch in &batches {
        app.track_ok("d-window", t, batch).await;
    }
    let id = replay_id("d-window", t);
    let all = in_time_order(parsed(&batches.concat()));

    let (status, manifest) = app.get(&format!("/replays/{id}/manifest")).await;
    assert_eq!(status, StatusCode::OK, "{manifest}");
    assert_eq!(
        manifest["keyframes"],
        serde_json::json!([t, t + 60_000, t + 120_000]),
        "{manifest}"
    );
    let pieces = manifest["pieces"].as_array().unwrap();
    let counted: i64 = pieces
        .iter()
        .map(|p| p["event_count"].as_i64().unwrap())
        .sum();
    assert_eq!(counted as usize, all.len());
    assert!(
        pieces
            .iter()
            .all(|p| p["stored_bytes"].as_i64().unwrap() > 0)
    );

    // (from, to, where the window must start)
    let cases = [
        (t + 95_000, t + 100_000, t + 60_000),
        (t + 60_000, t + 61_000, t + 60_000),
        (t + 59_999, t + 70_000, t),
        (t + 130_000, i64::MAX, t + 120_000),
        (t - 10_000, t + 1_000, t),
    ];
    for (from, to, start) in cases {
        for encoding in [None, Some("gzip"), Some("zstd")] {
            let query = if to == i64::MAX {
                format!("from={from}")
            } else {
                format!("from={from}&to={to}")
            };
            let (status, got_start, events) = window(&app, &id, &query, encoding).await;
            assert_eq!(status, StatusCode::OK, "{query}");
            let want: Vec<Value> = all
                .iter()
                .filter(|e| (start..=to).contains(&e["timestamp"].as_i64().unwrap()))
                .cloned()
                .collect();
            assert_eq!(
                timestamps(&events),
                timestamps(&want),
                "{query} {encoding:?}"
            );
            assert_eq!(events, want, "{query}");
            assert_eq!(
                events[0]["type"], 4,
                "{query}: a window starts with its Meta"
            );
            assert_eq!(events[1]["type"], 2, "{query}: then its snapshot");
            assert_eq!(got_start, Some(start), "{query}");
        }
    }

    // The whole recording, as before.
    let (_, _, everything) = window(&app, &id, "", Some("gzip")).await;
    assert_eq!(everything, all);

    // Exact windows continue one the client holds: no keyframe, nothing before `from`, and
    // consecutive exact windows put together give every event once.
    let cuts = [t + 10_000, t + 60_000, t + 95_000, t + 130_000];
    let mut pieced: Vec<Value> = Vec::new();
    let (_, first_start, first) = window(&app, &id, &format!("to={}", cuts[0] - 1), None).await;
    assert_eq!(first_start, None);
    pieced.extend(first);
    for pair in cuts.windows(2) {
        let query = format!("from={}&to={}&exact=1", pair[0], pair[1] - 1);
        let (status, got_start, events) = window(&app, &id, &query, Some("zstd")).await;
        assert_eq!(status, StatusCode::OK, "{query}");
        assert_eq!(got_start, Some(pair[0]), "{query}");
        assert!(
            timestamps(&events)
                .iter()
                .all(|ts| (pair[0]..pair[1]).contains(ts)),
            "{query}: {:?}",
            timestamps(&events)
        );
        pieced.extend(events);
    }
    let (_, _, rest) = window(&app, &id, &format!("from={}&exact=1", cuts[3]), None).await;
    pieced.extend(rest);
    assert_eq!(pieced, all, "exact windows put together");

    for bad in ["from=soon", "from=10&to=5", "to=x", "from=10&exact=yes"] {
        let (status, _, body) = window(&app, &id, bad, None).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body:?}");
        assert_eq!(body[0]["error"]["code"], "invalid_parameter");
    }
}

#[tokio::test]
async fn a_window_of_a_compacted_recording_starts_at_the_keyframe_inside_its_segment() {
    let app = TestApp::spawn_with(quick_processing).await;
    let t = now_ms() - 3_600_000;
    let batches = uploads(t);
    // One upload, so compaction sees the three page loads together.
    app.track_ok("d-segment-window", t, &batches.concat()).await;
    let id = replay_id("d-segment-window", t);
    let all = in_time_order(parsed(&batches.concat()));
    // Compaction puts the three page loads into one segment, which records one keyframe.
    let manifest = eventually(std::time::Duration::from_secs(30), async || {
        let (_, manifest) = app.get(&format!("/replays/{id}/manifest")).await;
        let pieces = manifest["pieces"].as_array().cloned().unwrap_or_default();
        if !pieces.is_empty() && pieces.iter().all(|p| p["kind"] == "segment") {
            Ok(manifest)
        } else {
            Err(format!("not compacted: {manifest}"))
        }
    })
    .await;
    assert_eq!(manifest["keyframes"], serde_json::json!([t]), "{manifest}");
    for (from, start) in [
        (t + 130_000, t + 120_000),
        (t + 95_000, t + 60_000),
        (t + 5_000, t),
    ] {
        let (status, got_start, events) =
            window(&app, &id, &format!("from={from}"), Some("zstd")).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(got_start, Some(start), "from={from}");
        let want: Vec<Value> = all
            .iter()
            .filter(|e| e["timestamp"].as_i64().unwrap() >= start)
            .cloned()
            .collect();
        assert_eq!(events, want, "from={from}");
        assert_eq!(
            (events[0]["type"].as_i64(), events[1]["type"].as_i64()),
            (Some(4), Some(2))
        );
    }
}
