//! Retries: SDKs resend a batch when they did not see the answer. A resent batch must not
//! duplicate anything; the session's user is the one set last by event time.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::*;

#[tokio::test]
async fn a_resent_track_batch_is_stored_once() {
    let app = TestApp::spawn().await;
    let t0 = now_ms() - 60_000;
    // (device, first upload gzipped, retry gzipped)
    let cases = [
        ("plain-plain", false, false),
        ("gzip-gzip", true, true),
        ("plain-gzip", false, true),
    ];
    for (i, (device, first_gzip, retry_gzip)) in cases.into_iter().enumerate() {
        let session = t0 + i as i64;
        let earlier = page(session, "https://shop.test/");
        let batch = vec![
            mouse_move(session + 10, 1),
            meta(session + 20, "https://shop.test/next"),
            full_snapshot(session + 20),
            mouse_move(session + 30, 2),
        ];
        app.track_ok(device, session, &earlier).await;
        for gzip in [first_gzip, retry_gzip] {
            let (status, reply) = json_of(app.track(device, session, &batch, gzip).await).await;
            assert_eq!(status, StatusCode::OK, "{device}: {reply}");
            assert_eq!(reply["code"], 200, "{device}: {reply}");
        }
        let want: Vec<Value> = parsed(&[earlier, batch].concat());
        let r = app.listed(device, session).await;
        assert_eq!(r["event_count"], want.len(), "{device}: {r}");
        assert_eq!(
            app.events(&replay_id(device, session)).await,
            want,
            "{device}"
        );
    }
}

#[tokio::test]
async fn concurrent_copies_of_a_batch_are_stored_once() {
    let app = TestApp::spawn().await;
    let session = now_ms() - 60_000;
    let batch: Vec<String> = [
        page(session, "https://shop.test/"),
        vec![mouse_move(session + 1, 1)],
    ]
    .concat();
    let body = serde_json::json!({"version": 1, "events": batch}).to_string();
    let mut uploads = tokio::task::JoinSet::new();
    for _ in 0..6 {
        let request = app
            .client
            .post(app.track_url("d-race", session))
            .bearer_auth(KEY)
            .body(body.clone());
        uploads.spawn(async move { request.send().await.map(|r| r.status()) });
    }
    while let Some(done) = uploads.join_next().await {
        assert_eq!(done.expect("task").expect("sent"), StatusCode::OK);
    }
    assert_eq!(
        app.listed("d-race", session).await["event_count"],
        batch.len()
    );
    assert_eq!(
        app.events(&replay_id("d-race", session)).await,
        parsed(&batch)
    );
}

/// Amplitude's answer to an accepted `/2/httpapi` batch.
fn assert_accepted(status: StatusCode, reply: &Value, events: usize) {
    assert_eq!(status, StatusCode::OK, "{reply}");
    assert_eq!(reply["code"], 200, "{reply}");
    assert_eq!(reply["events_ingested"], events, "{reply}");
    assert!(
        reply["payload_size_bytes"].as_u64().is_some_and(|n| n > 0),
        "{reply}"
    );
    assert!(
        reply["server_upload_time"].as_i64().is_some_and(|t| t > 0),
        "{reply}"
    );
}

fn identify(device: &str, session: i64, user: &str, time: i64, insert_id: &str) -> Value {
    json!({"event_type": "$identify", "device_id": device, "session_id": session, "user_id": user,
           "time": time, "insert_id": insert_id, "user_properties": {"$set": {"plan": "pro"}}})
}

#[tokio::test]
async fn a_resent_httpapi_batch_is_acknowledged_and_applied_once() {
    let (app, session) = TestApp::spawn_with_replay("d-http").await;
    let batch = json!({"api_key": KEY, "events": [
        identify("d-http", session, "first-user", session + 10, "insert-1"),
        {"event_type": "[Amplitude] Page Viewed", "device_id": "d-http", "session_id": session,
         "time": session + 11, "insert_id": "insert-2"},
    ]});
    for attempt in ["first", "retry"] {
        let (status, reply) = json_of(app.httpapi(&batch).await).await;
        assert_accepted(status, &reply, 2);
        assert_eq!(
            app.listed("d-http", session).await["user_id"],
            "first-user",
            "after the {attempt} upload"
        );
    }
    // A resend carrying the same insert_id is the same event, even if its content differs:
    // it must not be applied again (here it would change the session's user).
    let resend = json!({"api_key": KEY, "events": [
        identify("d-http", session, "other-user", session + 99, "insert-1"),
    ]});
    let (status, reply) = json_of(app.httpapi(&resend).await).await;
    assert_accepted(status, &reply, 1);
    assert_eq!(app.listed("d-http", session).await["user_id"], "first-user");
}

#[tokio::test]
async fn the_session_user_is_the_one_set_last_by_event_time() {
    let app = TestApp::spawn().await;
    let t0 = now_ms() - 60_000;
    // (device, the order the two identify batches are sent in)
    let cases = [("in-order", ["u1", "u2"]), ("reversed", ["u2", "u1"])];
    for (i, (device, order)) in cases.into_iter().enumerate() {
        let session = t0 + i as i64;
        app.track_ok(device, session, &page(session, "https://shop.test/"))
            .await;
        for user in order {
            let time = if user == "u1" {
                session + 1_000
            } else {
                session + 2_000
            };
            let body = json!({"api_key": KEY, "events": [
                identify(device, session, user, time, &format!("{device}-{user}"))
            ]});
            let (status, reply) = json_of(app.httpapi(&body).await).await;
            assert_accepted(status, &reply, 1);
        }
        assert_eq!(
            app.listed(device, session).await["user_id"],
            "u2",
            "{device}"
        );
    }
}

#[tokio::test]
async fn a_user_identified_before_the_recording_arrives_is_kept() {
    let app = TestApp::spawn().await;
    let session = now_ms() - 60_000;
    let body = json!({"api_key": KEY, "events": [identify("d-early", session, "early-user", session + 5, "e-1")]});
    let (status, reply) = json_of(app.httpapi(&body).await).await;
    assert_accepted(status, &reply, 1);
    assert!(
        app.replays().await.is_empty(),
        "analytics events alone are not a replay"
    );
    app.track_ok("d-early", session, &page(session, "https://shop.test/"))
        .await;
    assert_eq!(
        app.listed("d-early", session).await["user_id"],
        "early-user"
    );
}
