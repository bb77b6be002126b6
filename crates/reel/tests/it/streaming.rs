//! A long session: many batches, several page loads, read back as one streamed array.

use reqwest::StatusCode;
use reqwest::header::{CONTENT_LENGTH, TRANSFER_ENCODING};
use serde_json::{Value, json};

use crate::support::*;

#[tokio::test]
async fn a_long_session_streams_back_in_order() {
    let app = TestApp::spawn().await;
    let session = now_ms() - 3_600_000;
    const BATCHES: i64 = 50;
    const PER_BATCH: i64 = 20;
    // Batch b covers [session + b*1000, session + b*1000 + 999]; a page load opens every
    // tenth batch. Events are large enough that the answer spans many streamed pieces.
    let batches: Vec<Vec<String>> = (0..BATCHES)
        .map(|b| {
            let t = session + b * 1_000;
            let mut batch = if b % 10 == 0 { page(t, &format!("https://shop.test/page/{}", b / 10)) } else { vec![] };
            while (batch.len() as i64) < PER_BATCH {
                let n = batch.len() as i64;
                batch.push(
                    json!({"type": 3, "timestamp": t + 1 + n * 40, "data": {"source": 0, "texts": [],
                        "attributes": [{"id": n, "attributes": {"data-note": "z".repeat(300)}}],
                        "removes": [], "adds": []}})
                    .to_string(),
                );
            }
            batch
        })
        .collect();
    // Sent in a scrambled order, as retries and parallel tabs do.
    for b in 0..BATCHES {
        let k = (b * 7 + 3) % BATCHES;
        app.track_ok("d-long", session, &batches[k as usize]).await;
    }

    let all: Vec<String> = batches.concat();
    let r = app.listed("d-long", session).await;
    assert_eq!(r["event_count"], all.len());
    assert_eq!(r["first_url"], "https://shop.test/page/0");

    let response = app
        .api(&format!("/replays/{}/events", replay_id("d-long", session)))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers().get(CONTENT_LENGTH).is_none(),
        "{:?}",
        response.headers()
    );
    assert_eq!(
        response
            .headers()
            .get(TRANSFER_ENCODING)
            .and_then(|v| v.to_str().ok()),
        Some("chunked")
    );
    let text = response.text().await.expect("body");
    assert!(
        text.len() > 64 * 1024,
        "large enough to need several pieces: {}",
        text.len()
    );
    let events: Vec<Value> = serde_json::from_str(&text).expect("one JSON array");
    assert_eq!(timestamps(&events), timestamps(&parsed(&all)));
    assert_eq!(events, parsed(&all));
}
