//! Bad and oversized uploads: each gets the answer that makes Amplitude's SDKs do the right
//! thing (401 + "Invalid API key" → drop, 400 → drop, 413 + /payload.*exceed/i → halve and
//! retry), and none of them disturbs what was already accepted.

use std::io::Write as _;

use reqwest::header::{AUTHORIZATION, CONTENT_ENCODING, CONTENT_TYPE};
use reqwest::{RequestBuilder, StatusCode};
use serde_json::json;

use crate::support::*;

const MAX_BODY: usize = 64 * 1024;
const MAX_DECOMPRESSED: usize = 1024 * 1024;

/// 50 MB of zeros, gzipped into a body far below the body limit.
fn gzip_bomb() -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..50 {
        encoder.write_all(&zeros).expect("gzip to memory");
    }
    let bomb = encoder.finish().expect("gzip to memory");
    assert!(
        bomb.len() < MAX_BODY,
        "the bomb must pass the body limit: {} bytes",
        bomb.len()
    );
    bomb
}

/// What a rejected upload's body must say.
#[derive(Debug, Clone, Copy)]
enum Says {
    InvalidKey,
    BadRequest,
    PayloadExceeded,
}

impl Says {
    fn status(self) -> StatusCode {
        match self {
            Self::InvalidKey => StatusCode::UNAUTHORIZED,
            Self::BadRequest => StatusCode::BAD_REQUEST,
            Self::PayloadExceeded => StatusCode::PAYLOAD_TOO_LARGE,
        }
    }

    fn check(self, text: &str) -> bool {
        let body: serde_json::Value = match serde_json::from_str(text) {
            Ok(v) => v,
            Err(_) => return false,
        };
        let error = body["error"].as_str().unwrap_or_default();
        match self {
            // Body code 400: with "Invalid API key" the SDK drops the batch for good.
            Self::InvalidKey => body["code"] == 400 && error.starts_with("Invalid API key"),
            Self::BadRequest => body["code"] == 400 && !error.is_empty(),
            Self::PayloadExceeded => body["code"] == 413 && says_payload_exceeded(text),
        }
    }
}

#[tokio::test]
async fn bad_uploads_are_rejected_and_accepted_data_stays_intact() {
    let app = TestApp::spawn_with(|c| {
        c.max_body_bytes = MAX_BODY;
        c.max_decompressed_bytes = MAX_DECOMPRESSED;
    })
    .await;
    let session = now_ms() - 60_000;
    let accepted: Vec<String> = [
        page(session, "https://shop.test/"),
        vec![mouse_move(session + 1, 1), mouse_move(session + 2, 2)],
    ]
    .concat();
    app.track_ok("d-keep", session, &accepted).await;

    // Every bad request targets the session that already has data.
    let good_body = json!({"version": 1, "events": [mouse_move(session + 3, 3)]}).to_string();
    let url = app.track_url("d-keep", session);
    let post = |url: &str| {
        app.client
            .post(url)
            .header(CONTENT_TYPE, "application/json")
            .header(AUTHORIZATION, format!("Bearer {KEY}"))
    };
    let no_key = |url: &str| {
        app.client
            .post(url)
            .header(CONTENT_TYPE, "application/json")
    };
    let too_big = json!({"version": 1, "events": [
        json!({"type": 5, "timestamp": session + 4, "data": {"tag": "pad", "payload": "x".repeat(MAX_BODY)}}).to_string()
    ]})
    .to_string();
    let packed_bomb = json!({"version": 1, "events": [
        pack(&json!({"type": 5, "timestamp": session + 5, "data": {"tag": "pad", "payload": "x".repeat(2 * MAX_DECOMPRESSED)}}).to_string())
    ]})
    .to_string();
    assert!(
        packed_bomb.len() < MAX_BODY,
        "the packed bomb is small: {}",
        packed_bomb.len()
    );
    let base = app.url("/sessions/v2/track");

    let cases: Vec<(&str, RequestBuilder, Says)> = vec![
        (
            "no key",
            no_key(&url).body(good_body.clone()),
            Says::InvalidKey,
        ),
        (
            "unknown bearer key",
            no_key(&url)
                .header(AUTHORIZATION, "Bearer wrong")
                .body(good_body.clone()),
            Says::InvalidKey,
        ),
        (
            "unknown key in the query",
            no_key(&format!("{url}&api_key=wrong")).body(good_body.clone()),
            Says::InvalidKey,
        ),
        (
            "empty key in the query",
            no_key(&format!("{url}&api_key=")).body(good_body.clone()),
            Says::InvalidKey,
        ),
        (
            "no device_id",
            post(&format!("{base}?session_id={session}")).body(good_body.clone()),
            Says::BadRequest,
        ),
        (
            "empty device_id",
            post(&format!("{base}?device_id=&session_id={session}")).body(good_body.clone()),
            Says::BadRequest,
        ),
        (
            "device_id too long",
            post(&format!(
                "{base}?device_id={}&session_id={session}",
                "d".repeat(1025)
            ))
            .body(good_body.clone()),
            Says::BadRequest,
        ),
        (
            "no session_id",
            post(&format!("{base}?device_id=d-keep")).body(good_body.clone()),
            Says::BadRequest,
        ),
        (
            "session_id not a number",
            post(&format!("{base}?device_id=d-keep&session_id=abc")).body(good_body.clone()),
            Says::BadRequest,
        ),
        (
            "session_id negative",
            post(&format!("{base}?device_id=d-keep&session_id=-5")).body(good_body.clone()),
            Says::BadRequest,
        ),
        (
            "malformed JSON",
            post(&url).body("{\"version\":1,\"events\":[".to_owned()),
            Says::BadRequest,
        ),
        (
            "not an upload",
            post(&url).body("[1,2,3]".to_owned()),
            Says::BadRequest,
        ),
        (
            "no readable event",
            post(&url).body(json!({"version":1,"events":["{\"type\":3}"]}).to_string()),
            Says::BadRequest,
        ),
        (
            "claims gzip, is not",
            post(&url)
                .header(CONTENT_ENCODING, "gzip")
                .body(good_body.clone()),
            Says::BadRequest,
        ),
        (
            "truncated gzip",
            post(&url).header(CONTENT_ENCODING, "gzip").body({
                let gz = gzip_bytes(good_body.as_bytes());
                gz[..gz.len() / 2].to_vec()
            }),
            Says::BadRequest,
        ),
        (
            "body over the limit",
            post(&url).body(too_big.clone()),
            Says::PayloadExceeded,
        ),
        (
            "gzip bomb",
            post(&url)
                .header(CONTENT_ENCODING, "gzip")
                .body(gzip_bomb()),
            Says::PayloadExceeded,
        ),
        (
            "packed-event bomb",
            post(&url).body(packed_bomb),
            Says::PayloadExceeded,
        ),
        (
            "httpapi body over the limit",
            app.client.post(app.url("/2/httpapi")).body(too_big),
            Says::PayloadExceeded,
        ),
        (
            "httpapi gzip bomb",
            app.client
                .post(app.url("/2/httpapi"))
                .header(CONTENT_ENCODING, "gzip")
                .body(gzip_bomb()),
            Says::PayloadExceeded,
        ),
    ];
    let want_events = parsed(&accepted);
    for (name, request, says) in cases {
        let response = request
            .send()
            .await
            .unwrap_or_else(|e| panic!("{name}: no answer: {e}"));
        let status = response.status();
        let text = response
            .text()
            .await
            .unwrap_or_else(|e| panic!("{name}: no body: {e}"));
        assert_eq!(status, says.status(), "{name}: {text}");
        assert!(
            says.check(&text),
            "{name}: body does not say {says:?}: {text}"
        );

        let r = app.listed("d-keep", session).await;
        assert_eq!(r["event_count"], accepted.len(), "{name}: {r}");
        assert_eq!(
            app.events(&replay_id("d-keep", session)).await,
            want_events,
            "{name}"
        );
    }
    assert_eq!(
        app.replays().await.len(),
        1,
        "no bad request created a replay"
    );
}

#[tokio::test]
async fn the_body_limit_applies_to_the_compressed_size() {
    let app = TestApp::spawn_with(|c| {
        c.max_body_bytes = MAX_BODY;
        c.max_decompressed_bytes = MAX_DECOMPRESSED;
    })
    .await;
    let session = now_ms() - 60_000;
    // A gzipped body whose plain form is far larger than the body limit, below the
    // decompressed limit: the body limit applies to what is sent.
    let big: Vec<String> = [
        page(session, "https://shop.test/"),
        (1..=40)
            .map(|i| json!({"type": 5, "timestamp": session + i, "data": {"tag": "t", "payload": "y".repeat(10_000)}}).to_string())
            .collect(),
    ]
    .concat();
    let (status, reply) = json_of(app.track("d-big", session, &big, true).await).await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    assert_eq!(app.listed("d-big", session).await["event_count"], big.len());
    assert_eq!(app.events(&replay_id("d-big", session)).await, parsed(&big));
}

/// Sends a POST with `Transfer-Encoding: chunked` (no Content-Length, as a streaming client
/// does) over a plain socket and returns the status line and body of the answer.
fn post_chunked(base_url: &str, path_and_query: &str, body: &[u8]) -> (u16, String) {
    use std::io::Read as _;
    let addr = base_url.strip_prefix("http://").expect("http base url");
    let mut stream = std::net::TcpStream::connect(addr).expect("connect");
    let mut request = format!(
        "POST {path_and_query} HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {KEY}\r\n\
         Content-Type: application/json\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
    )
    .into_bytes();
    for piece in body.chunks(8 * 1024) {
        request.extend_from_slice(format!("{:x}\r\n", piece.len()).as_bytes());
        request.extend_from_slice(piece);
        request.extend_from_slice(b"\r\n");
    }
    request.extend_from_slice(b"0\r\n\r\n");
    // The server may answer before it has read everything; the answer is what matters.
    let _ = stream.write_all(&request);
    let mut answer = Vec::new();
    let _ = stream.read_to_end(&mut answer);
    let answer = String::from_utf8_lossy(&answer).into_owned();
    let status = answer
        .split(' ')
        .nth(1)
        .and_then(|s| s.parse().ok())
        .unwrap_or_else(|| panic!("no HTTP answer: {answer:?}"));
    (status, answer)
}

#[tokio::test]
async fn a_streamed_body_over_the_limit_is_refused() {
    let app = TestApp::spawn_with(|c| c.max_body_bytes = MAX_BODY).await;
    let session = now_ms() - 60_000;
    let path = format!("/sessions/v2/track?device_id=d-stream&session_id={session}");
    let small = json!({"version": 1, "events": page(session, "https://shop.test/")}).to_string();
    let large = json!({"version": 1, "events": [
        json!({"type": 5, "timestamp": session + 1, "data": {"tag": "pad", "payload": "x".repeat(2 * MAX_BODY)}}).to_string()
    ]})
    .to_string();
    // (body, status, body must say payload exceeded)
    for (body, want, exceeded) in [(small, 200, false), (large, 413, true)] {
        let base = app.base_url.clone();
        let path = path.clone();
        let (status, answer) =
            tokio::task::spawn_blocking(move || post_chunked(&base, &path, body.as_bytes()))
                .await
                .expect("request thread");
        assert_eq!(status, want, "{answer}");
        assert_eq!(says_payload_exceeded(&answer), exceeded, "{answer}");
    }
    assert_eq!(app.listed("d-stream", session).await["event_count"], 2);
}
