//! What the player shows beside the recording: holes in it, viewers' feedback, the project's
//! timezone.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::*;

#[tokio::test]
async fn the_manifest_shows_where_no_data_arrived() {
    let app = TestApp::spawn_with(quick_processing).await;
    let t = now_ms() - 3_600_000;
    let mut events = page(t, "https://x.test/");
    events.push(mouse_move(t + 1_000, 1));
    // Ten minutes without any data, then the session goes on.
    events.push(mouse_move(t + 601_000, 2));
    events.push(mouse_move(t + 602_000, 3));
    app.track_ok("d-gap", t, &events).await;
    let id = replay_id("d-gap", t);
    let manifest = eventually(Duration::from_secs(20), async || {
        let (_, manifest) = app.get(&format!("/replays/{id}/manifest")).await;
        if manifest["replay"]["processing_pending"] == false {
            Ok(manifest)
        } else {
            Err(manifest.to_string())
        }
    })
    .await;
    assert_eq!(
        manifest["gaps"],
        json!([{"start_ms": t + 1_000, "end_ms": t + 601_000}]),
        "{manifest}"
    );
}

#[tokio::test]
async fn viewers_leave_feedback_and_admins_see_it() {
    let (app, t) = TestApp::spawn_with_replay("d-feedback").await;
    let id = replay_id("d-feedback", t);
    let path = format!("/replays/{id}/feedback");
    let cases: Vec<(Value, StatusCode)> = vec![
        (
            json!({"rating": "down", "comment": "  the checkout page is blank  "}),
            StatusCode::CREATED,
        ),
        (json!({"rating": "down"}), StatusCode::CREATED),
        (json!({"rating": "meh"}), StatusCode::BAD_REQUEST),
        (
            json!({"rating": "down", "comment": "x".repeat(2_001)}),
            StatusCode::BAD_REQUEST,
        ),
    ];
    for (body, want) in cases {
        let (status, answer) = app.send(reqwest::Method::POST, &path, Some(&body)).await;
        assert_eq!(status, want, "{body}: {answer}");
    }
    let (status, _) = app
        .send(
            reqwest::Method::POST,
            "/replays/bm90LWEtcmVwbGF5/feedback",
            Some(&json!({"rating": "down"})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let (status, list) = app.send(reqwest::Method::GET, "/feedback", None).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let items = list["feedback"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{list}");
    assert_eq!(
        items[1]["comment"], "the checkout page is blank",
        "oldest last: {list}"
    );
    assert_eq!(items[0]["comment"], Value::Null);
    assert!(items.iter().all(|f| f["replay_id"] == id
        && f["user"]["email"] == ADMIN_EMAIL
        && f["rating"] == "down"));
}

#[tokio::test]
async fn the_project_timezone_is_a_setting() {
    let app = TestApp::spawn().await;
    let (_, me) = app.send(reqwest::Method::GET, "/me", None).await;
    assert_eq!(me["projects"][0]["timezone"], "UTC", "{me}");
    assert_eq!(me["organization_admin"], true, "{me}");
    assert_eq!(me["projects"][0]["role"], "admin", "{me}");
    let id = me["projects"][0]["id"].as_i64().unwrap();
    let (status, project) = app
        .send(
            reqwest::Method::PATCH,
            &format!("/projects/{id}"),
            Some(&json!({"timezone": "Europe/Berlin"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{project}");
    assert_eq!(project["timezone"], "Europe/Berlin");
    let (_, me) = app.send(reqwest::Method::GET, "/me", None).await;
    assert_eq!(me["projects"][0]["timezone"], "Europe/Berlin");
    for bad in ["Mars/Olympus", "", "UTC+25"] {
        let (status, body) = app
            .send(
                reqwest::Method::PATCH,
                &format!("/projects/{id}"),
                Some(&json!({"timezone": bad})),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
    }
    let (status, _) = app
        .send(
            reqwest::Method::PATCH,
            "/projects/999",
            Some(&json!({"timezone": "UTC"})),
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_timeline_lists_console_network_pages_and_idle_stretches_of_the_whole_recording() {
    let app = TestApp::spawn().await;
    let t = now_ms() - 3_600_000;
    let console = |ts: i64, level: &str, text: &str| {
        json!({"type": 6, "timestamp": ts, "data": {"plugin": "rrweb/console@1", "payload": {
            "level": level, "trace": ["shop.js:1:2", "shop.js:3:4"], "payload": [format!("\"{text}\"")]}}})
        .to_string()
    };
    let batches = vec![
        [page(t, "https://x.test/a"), vec![mouse_move(t + 1_000, 1), console(t + 2_000, "info", "hello")]].concat(),
        // 60 s without activity, then a second page with a failed request.
        [page(t + 62_000, "https://x.test/b"), vec![
            json!({"type": 6, "timestamp": t + 63_000, "data": {"plugin": "rrweb/network@1", "payload": {"requests": [
                {"name": "https://x.test/api/pay", "method": "POST", "status": 503, "startTime": t + 62_800, "endTime": t + 63_000, "duration": 200}
            ]}}}).to_string(),
            console(t + 63_001, "error", "Payment failed"),
            mouse_move(t + 64_000, 2),
        ]].concat(),
    ];
    for batch in &batches {
        app.track_ok("d-timeline", t, batch).await;
    }
    let id = replay_id("d-timeline", t);
    let (status, timeline) = app
        .send(
            reqwest::Method::GET,
            &format!("/replays/{id}/timeline"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{timeline}");
    assert_eq!(timeline["start_ms"], t);
    assert_eq!(timeline["end_ms"], t + 64_000);
    let console = timeline["console"].as_array().unwrap();
    assert_eq!(console.len(), 2, "{timeline}");
    assert_eq!(console[0]["level"], "info");
    assert_eq!(console[0]["message"], "hello");
    assert_eq!(console[1]["level"], "error");
    assert_eq!(console[1]["offset_ms"], 63_001);
    assert_eq!(console[1]["trace"], json!(["shop.js:1:2", "shop.js:3:4"]));
    assert_eq!(timeline["network"][0]["url"], "https://x.test/api/pay");
    assert_eq!(timeline["network"][0]["failed"], true);
    assert_eq!(timeline["network"][0]["offset_ms"], 63_000);
    assert_eq!(
        timeline["pages"],
        json!([
            {"time_ms": t, "offset_ms": 0, "href": "https://x.test/a"},
            {"time_ms": t + 62_000, "offset_ms": 62_000, "href": "https://x.test/b"},
        ])
    );
    assert_eq!(
        timeline["inactive"],
        json!([{"start_ms": t + 1_000, "end_ms": t + 62_000}])
    );

    let (status, _) = app
        .send(reqwest::Method::GET, "/replays/bm9wZQ/timeline", None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}
