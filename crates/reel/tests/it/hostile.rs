//! Hostile uploads: the ingestion key is public, so anyone can send anything. Each case here is
//! something that once took memory, disk or sanity with it; now it gets a bounded answer and
//! leaves what was accepted intact.

use std::io::Write as _;
use std::time::Duration;

use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, CONTENT_ENCODING, CONTENT_TYPE, RETRY_AFTER};
use serde_json::{Value, json};
use tokio::io::AsyncWriteExt as _;

use reel_engine::store::sqlite::inspect::{Inspector, Rows};

use crate::support::*;

fn gzip_best(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    encoder.write_all(data).expect("gzip to memory");
    encoder.finish().expect("gzip to memory")
}

/// `{"version":1,"events":[0,0,0,…]}`: tiny gzipped, millions of elements inflated.
fn zeros_body(count: usize) -> Vec<u8> {
    let mut body = b"{\"version\":1,\"events\":[0".to_vec();
    body.extend(std::iter::repeat_n(b",0".as_slice(), count - 1).flatten());
    body.extend_from_slice(b"]}");
    gzip_best(&body)
}

async fn post_gzip(app: &TestApp, url: &str, body: Vec<u8>) -> reqwest::Response {
    app.client
        .post(url)
        .header(AUTHORIZATION, format!("Bearer {KEY}"))
        .header(CONTENT_TYPE, "application/json")
        .header(CONTENT_ENCODING, "gzip")
        .body(body)
        .send()
        .await
        .expect("sent")
}

#[tokio::test]
async fn too_many_events_ask_the_sdk_to_halve_its_batch() {
    let app = TestApp::spawn_with(|c| c.max_events_per_upload = 100).await;
    let session = now_ms() - 60_000;
    let url = app.track_url("d-many", session);

    let events: Vec<String> = (0..101).map(|i| mouse_move(session + i, i)).collect();
    let (status, body) = json_of(app.track("d-many", session, &events, true).await).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert_eq!(body["code"], 413);
    assert!(says_payload_exceeded(&body.to_string()), "{body}");
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .contains("more than 100 events"),
        "{body}"
    );

    // The 96 KB bomb of the report: ~99 MB of `0,` stops at the 101st element.
    let bomb = zeros_body(4_000_000);
    assert!(bomb.len() < 100_000, "{}", bomb.len());
    let (status, body) = json_of(post_gzip(&app, &url, bomb.clone()).await).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");

    // The same on the analytics endpoint.
    let events: Vec<Value> = (0..101)
        .map(|i| json!({"event_type": "e", "device_id": "d", "insert_id": format!("i{i}")}))
        .collect();
    let (status, body) = json_of(
        app.httpapi(&json!({"api_key": KEY, "events": events}))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
    assert!(says_payload_exceeded(&body.to_string()), "{body}");

    // Exactly at the limit is fine.
    let events: Vec<String> = (0..100).map(|i| mouse_move(session + i, i)).collect();
    app.track_ok("d-many", session, &events).await;
}

#[tokio::test]
async fn analytics_errors_list_a_bounded_number_of_events() {
    let app = TestApp::spawn().await;
    // Every event lacks event_type: the report's 9.8 KB request got a 38.9 MB answer.
    let events: Vec<Value> = (0..5_000).map(|_| json!({"device_id": "d"})).collect();
    let response = app
        .httpapi(&json!({"api_key": KEY, "events": events}))
        .await;
    assert_eq!(response.status(), StatusCode::BAD_REQUEST);
    let text = response.text().await.expect("body");
    assert!(text.len() < 10_000, "answer of {} bytes", text.len());
    let body: Value = serde_json::from_str(&text).expect("JSON");
    let listed = body["events_with_missing_fields"]["event_type"]
        .as_array()
        .expect("indices");
    assert_eq!(listed.len(), 100, "{body}");
    assert_eq!(listed[0], 0);
    let error = body["error"].as_str().unwrap();
    assert!(
        error.contains("5000 of 5000 events are invalid") && error.contains("first 100"),
        "{error}"
    );
}

/// Starts an upload whose body stalls halfway, holding its share of the memory budget; the
/// connection closes when the returned socket is dropped.
async fn stalled_upload(app: &TestApp, session: i64, declared: usize) -> tokio::net::TcpStream {
    let addr = app.base_url.strip_prefix("http://").expect("http");
    let mut stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let head = format!(
        "POST /sessions/v2/track?device_id=d-stall&session_id={session} HTTP/1.1\r\nHost: {addr}\r\n\
         Authorization: Bearer {KEY}\r\nContent-Type: application/json\r\nContent-Length: {declared}\r\n\r\n"
    );
    stream.write_all(head.as_bytes()).await.expect("write");
    stream
        .write_all(&vec![b' '; declared / 2])
        .await
        .expect("write");
    stream
}

#[tokio::test]
async fn a_spent_memory_budget_answers_503_with_retry_after() {
    let app = TestApp::spawn_with(|c| {
        c.memory_budget_bytes = 1_000_000;
        c.memory_wait_ms = 200;
    })
    .await;
    let session = now_ms() - 60_000;
    let stalled = stalled_upload(&app, session, 900_000).await;
    let padded = |ts: i64| {
        json!({"type": 5, "timestamp": ts, "data": {"tag": "pad", "payload": "p".repeat(300_000)}})
            .to_string()
    };
    // Once the server holds the stalled body's reservation, a 300 KB upload cannot fit.
    let response = eventually(Duration::from_secs(10), async || {
        let r = app
            .track("d-busy", session, &[padded(session)], false)
            .await;
        match r.status() {
            StatusCode::SERVICE_UNAVAILABLE => Ok(r),
            other => Err(format!("a 503 while the budget is held, not {other}")),
        }
    })
    .await;
    assert!(response.headers().contains_key(RETRY_AFTER));
    let (_, body) = json_of(response).await;
    assert_eq!(body["code"], 503, "{body}");
    // Small uploads still fit beside it.
    app.track_ok("d-probe", session, &[mouse_move(session, 1)])
        .await;

    // Once the stalled client goes away, the same upload passes.
    drop(stalled);
    eventually(Duration::from_secs(10), async || {
        let r = app
            .track("d-busy", session, &[padded(session)], false)
            .await;
        match r.status() {
            StatusCode::OK => Ok(()),
            other => Err(format!("the retried upload is accepted, not {other}")),
        }
    })
    .await;

    // A body larger than the whole budget can never pass: 413, so the SDK halves it.
    let huge: Vec<String> = (0..4).map(|i| padded(session + i)).collect();
    let (status, body) = json_of(app.track("d-huge", session, &huge, false).await).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
}

#[tokio::test]
async fn interaction_uploads_are_compressed_bounded_and_deduplicated() {
    let app = TestApp::spawn().await;
    let session = now_ms() - 60_000;
    let url = format!(
        "{}/sessions/v2/track?device_id=d-heat&session_id={session}&type=interaction",
        app.base_url
    );
    let db = app.data_dir().join("reel.db");
    let size = |path: &std::path::Path| {
        std::fs::read_dir(path.parent().unwrap())
            .unwrap()
            .filter_map(|e| e.ok())
            .filter(|e| e.file_name().to_string_lossy().starts_with("reel.db"))
            .map(|e| e.metadata().unwrap().len())
            .sum::<u64>()
    };
    let before = size(&db);
    // Five uploads that inflate to ~6 MB each of repetitive click data.
    for i in 0..5 {
        let click = json!({"x": i, "y": 2, "selector": "button.buy", "type": "click", "count": 1});
        let events: Vec<Value> = vec![click; 60_000];
        let body = json!({"version": 1, "events": events}).to_string();
        let gz = gzip_best(body.as_bytes());
        let (status, reply) = json_of(post_gzip(&app, &url, gz.clone()).await).await;
        assert_eq!(
            status,
            StatusCode::PAYLOAD_TOO_LARGE,
            "over the event cap: {reply}"
        );
        let events: Vec<Value> = (0..19_000)
            .map(|n| json!({"x": i, "y": n % 7, "selector": "button.buy", "type": "click", "count": 1}))
            .collect();
        let body = json!({"version": 1, "events": events}).to_string();
        assert!(body.len() > 1_000_000);
        let gz = gzip_best(body.as_bytes());
        for _ in 0..2 {
            // The retry of an upload is stored once.
            let (status, reply) = json_of(post_gzip(&app, &url, gz.clone()).await).await;
            assert_eq!(status, StatusCode::OK, "{reply}");
            assert_eq!(reply["events_accepted"], 19_000, "{reply}");
        }
    }
    let grown = size(&db) - before;
    assert!(
        grown < 2_000_000,
        "five 1 MB+ uploads grew the database by {grown} bytes"
    );

    let stored_db = Inspector::open(&db).expect("open the database");
    let rows = stored_db.count(Rows::Interactions).unwrap();
    let stored = stored_db.interaction_bytes().unwrap();
    assert_eq!(rows, 5, "each distinct upload once");
    assert!(stored < 200_000, "stored {stored} bytes");
}

#[tokio::test]
async fn implausible_timestamps_are_skipped_and_counted() {
    let app = TestApp::spawn().await;
    let session = now_ms() - 60_000;
    let raw =
        |ts: &str| format!(r#"{{"type":3,"timestamp":{ts},"data":{{"source":1,"positions":[]}}}}"#);
    let mut events = page(session, "https://shop.test/");
    events.push(mouse_move(session + 1_000, 1));
    let hostile = [
        raw("1e30"),
        raw("9223372036854775807"),
        raw("99999999999999999999999"),
        raw("-5"),
        raw("0"),
        raw(&(session - 2 * 3_600_000).to_string()),
        raw(&(session + 30 * DAY_MS).to_string()),
    ];
    events.extend(hostile.iter().cloned());
    let (status, reply) = json_of(app.track("d-time", session, &events, false).await).await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    assert_eq!(reply["events_accepted"], 3, "{reply}");
    assert_eq!(reply["events_skipped"], hostile.len(), "{reply}");

    let replay = app.listed("d-time", session).await;
    assert_eq!(replay["duration_ms"], 1_000, "{replay}");
    assert_eq!(replay["start_time"], rfc3339(session), "{replay}");
    assert_eq!(replay["end_time"], rfc3339(session + 1_000), "{replay}");
    assert_eq!(app.events(&replay_id("d-time", session)).await.len(), 3);

    // An upload with nothing plausible: 200 with the header that stops the SDK's capture of
    // this session (`4004`, out of range).
    let response = app.track("d-time", session, &hostile, false).await;
    assert_eq!(response.status(), StatusCode::OK);
    let header = response
        .headers()
        .get("x-session-replay-event-skipped")
        .map(|v| v.to_str().unwrap().to_owned());
    assert_eq!(header.as_deref(), Some("4004"));
    // A normal upload carries no such header.
    let response = app
        .track("d-time", session, &[mouse_move(session + 2_000, 2)], false)
        .await;
    assert!(
        !response
            .headers()
            .contains_key("x-session-replay-event-skipped")
    );
}

#[tokio::test]
async fn deeply_nested_snapshots_are_refused() {
    let app = TestApp::spawn().await;
    let session = now_ms() - 60_000;
    // A DOM 100 000 elements deep: players crash on it ("Maximum call stack size exceeded").
    let mut node = String::new();
    for id in 3..100_002 {
        node.push_str(&format!(
            r#"{{"type":2,"tagName":"div","attributes":{{}},"id":{id},"childNodes":["#
        ));
    }
    node.push_str(r#"{"type":3,"textContent":"deep","id":100002}"#);
    node.push_str(&"]}".repeat(100_002 - 3));
    let deep = format!(
        r#"{{"type":2,"timestamp":{session},"data":{{"node":{{"type":0,"childNodes":[{node}],"id":1}},"initialOffset":{{"top":0,"left":0}}}}}}"#
    );
    let (status, reply) = json_of(
        app.track(
            "d-deep",
            session,
            &[meta(session, "https://x.test/"), deep.clone()],
            true,
        )
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    assert_eq!(reply["events_accepted"], 1, "{reply}");
    assert_eq!(reply["events_skipped"], 1, "{reply}");

    let (status, reply) = json_of(app.track("d-deep2", session, &[deep], true).await).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{reply}");
    assert!(
        reply["error"]
            .as_str()
            .unwrap()
            .contains("nested deeper than"),
        "{reply}"
    );
}
