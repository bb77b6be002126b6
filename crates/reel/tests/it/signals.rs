//! The server understands a recording: after an upload, the processing stage derives the
//! session's facts, frustration signals and derived events from the rrweb stream itself, and
//! the API shows them — also across a restart, without counting anything twice.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::*;

/// A checkout page: a "Pay now" button, a "Help" link that does nothing, an email field.
fn checkout_page(ts: i64) -> Vec<String> {
    let snapshot = json!({"type": 2, "timestamp": ts, "data": {"initialOffset": {"top": 0, "left": 0},
    "node": {"type": 0, "id": 1, "childNodes": [
        {"type": 1, "id": 2, "name": "html", "publicId": "", "systemId": ""},
        {"type": 2, "id": 3, "tagName": "html", "attributes": {}, "childNodes": [
            {"type": 2, "id": 4, "tagName": "body", "attributes": {}, "childNodes": [
                {"type": 2, "id": 10, "tagName": "button", "attributes": {"id": "pay", "class": "btn primary"},
                 "childNodes": [{"type": 3, "id": 11, "textContent": "Pay now"}]},
                {"type": 2, "id": 20, "tagName": "a", "attributes": {"href": "#help"},
                 "childNodes": [{"type": 3, "id": 21, "textContent": "Help"}]},
                {"type": 2, "id": 30, "tagName": "label", "attributes": {"for": "email"},
                 "childNodes": [{"type": 3, "id": 31, "textContent": "Email"}]},
                {"type": 2, "id": 32, "tagName": "input", "attributes": {"id": "email", "type": "email"}, "childNodes": []},
                {"type": 2, "id": 40, "tagName": "p", "attributes": {},
                 "childNodes": [{"type": 3, "id": 41, "textContent": "Secure checkout by Example Pay"}]}
            ]}
        ]}
    ]}}});
    vec![
        meta(ts, "https://shop.test/checkout?step=2"),
        snapshot.to_string(),
    ]
}

/// The visit: three quick clicks on "Pay now" that throw (rage + error clicks), a click on a
/// link that does nothing (dead), typing an email, a failed request, a console warning.
fn visit(t: i64) -> Vec<String> {
    let mut events = checkout_page(t);
    events.extend([
        click(t + 1_000, 11, 100, 200),
        click(t + 1_300, 11, 104, 202),
        console(t + 1_400, "error", "Uncaught Error: payment widget crashed"),
        click(t + 1_600, 11, 101, 199),
        click(t + 5_000, 21, 300, 400),
        input(t + 9_000, 32, "*"),
        input(t + 9_200, 32, "**"),
        input(t + 9_400, 32, "***"),
        failed_request(t + 11_000),
        console(t + 11_500, "warn", "slow network"),
        mouse_move(t + 14_000, 5),
    ]);
    events
}

async fn activity(app: &TestApp, id: &str) -> Vec<Value> {
    let (status, body) = app.get(&format!("/replays/{id}/activity")).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["events"].as_array().expect("events").clone()
}

#[tokio::test]
async fn facts_signals_and_derived_events_come_from_the_recording() {
    let mut app = TestApp::spawn_with(quick_processing).await;
    let t = now_ms() - 600_000;
    let agent = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) \
                 Chrome/131.0.0.0 Safari/537.36";
    let response = app
        .client
        .post(app.track_url("d-signals", t))
        .bearer_auth(KEY)
        .header("user-agent", agent)
        .body(json!({"version": 1, "events": visit(t)}).to_string())
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::OK);
    let id = replay_id("d-signals", t);
    let replay = app.settled(&id).await;

    let expected = [
        ("click_count", 4),
        ("keypress_count", 3),
        ("rage_click_count", 1),
        ("dead_click_count", 2), // the rage burst on an unresponsive button, and the Help link
        ("error_click_count", 1),
        ("runtime_error_count", 1),
        ("console_error_count", 1),
        ("console_warn_count", 1),
        ("network_error_count", 1),
        ("page_view_count", 1),
    ];
    for (fact, want) in expected {
        assert_eq!(replay[fact], want, "{fact}: {replay}");
    }
    assert!(replay["active_ms"].as_i64().unwrap() > 0, "{replay}");
    assert_eq!(
        replay["urls"],
        json!(["https://shop.test/checkout"]),
        "{replay}"
    );
    assert_eq!(replay["viewport"], json!({"width": 1280, "height": 720}));
    assert_eq!(
        (&replay["browser"], &replay["os"], &replay["device"]),
        (&json!("Chrome"), &json!("Windows"), &json!("desktop"))
    );

    let events = activity(&app, &id).await;
    let named = |kind: &str| -> Vec<String> {
        events
            .iter()
            .filter(|e| e["event_type"] == kind)
            .map(|e| e["display_name"].as_str().unwrap().to_owned())
            .collect()
    };
    assert_eq!(
        named("[reel] Rage Click"),
        ["Rage clicked 'Pay now' button"]
    );
    let dead = named("[reel] Dead Click");
    assert!(
        dead.contains(&"Dead click on 'Help' link".to_owned()),
        "{dead:?}"
    );
    assert_eq!(named("[reel] Error Click").len(), 1);
    assert_eq!(named("[reel] Element Changed"), ["Changed 'Email' field"]);
    assert_eq!(named("[reel] Element Clicked").len(), 4);
    assert_eq!(named("[reel] Network Error").len(), 1);
    let rage = events
        .iter()
        .find(|e| e["event_type"] == "[reel] Rage Click")
        .unwrap();
    assert!(rage["derived"].as_bool().unwrap());
    let props = &rage["event_properties"];
    assert_eq!(props["[reel] Element Tag"], "button", "{props}");
    assert_eq!(props["[reel] Element ID"], "pay", "{props}");
    assert_eq!(
        props["[Amplitude] Session Replay ID"],
        format!("d-signals/{t}"),
        "{props}"
    );
    // No event carries what was typed.
    assert!(!events.iter().any(|e| e.to_string().contains("***")));

    // A restart changes nothing: progress is durable and derived events are idempotent.
    let before = (replay.clone(), events.len());
    app.restart().await;
    app.track_ok("d-other", t, &page(t, "https://shop.test/"))
        .await;
    app.settled(&replay_id("d-other", t)).await;
    assert_eq!(app.settled(&id).await, before.0);
    assert_eq!(activity(&app, &id).await.len(), before.1);
}

#[tokio::test]
async fn signals_resume_where_they_stopped_as_data_arrives() {
    // Not idle between uploads: each run settles what it can, the rest waits for more data.
    let clock = reel_engine::ManualClock::at(now_ms());
    let app = TestApp::spawn_with_clock(std::sync::Arc::new(clock.clone()), |c| {
        c.processing_delay_ms = 0;
        c.compaction_idle_seconds = 3_600;
    })
    .await;
    let t = now_ms() - 600_000;
    let all = visit(t);
    let (first, second) = all.split_at(6);
    app.track_ok("d-parts", t, first).await;
    let id = replay_id("d-parts", t);
    // Wait for the first run to record its progress: the page view is settled, the clicks
    // are not (their rage and dead-click windows are still open when the data ends).
    eventually(Duration::from_secs(20), async || {
        if app.replay(&id).await.1["page_view_count"] == 0 {
            Err("no progress".to_owned())
        } else {
            Ok(())
        }
    })
    .await;
    app.track_ok("d-parts", t, second).await;
    // An hour without uploads: the session counts as idle and everything settles.
    clock.advance(3_600_000);
    let replay = app.settled(&id).await;

    let mut whole = TestApp::spawn_with(quick_processing).await;
    whole.track_ok("d-parts", t, &all).await;
    let reference = whole.settled(&id).await;
    for fact in reel_engine::store::Fact::ALL.map(|f| f.name()) {
        assert_eq!(replay[fact], reference[fact], "{fact}");
    }
    let kinds = |events: Vec<Value>| {
        let mut k: Vec<String> = events
            .iter()
            .map(|e| format!("{} {}", e["time_ms"], e["display_name"]))
            .collect();
        k.sort();
        k
    };
    assert_eq!(
        kinds(activity(&app, &id).await),
        kinds(activity(&whole, &id).await)
    );
    whole.restart().await;
}

#[tokio::test]
async fn every_corpus_recording_is_understood() {
    let app = TestApp::spawn_with(quick_processing).await;
    let start = now_ms() - 3_600_000;
    for (i, recording) in reel_testdata::corpus().iter().enumerate() {
        let name = &recording.name;
        let session = start + i as i64 * 1000;
        let texts: Vec<String> = starting_at(recording, session)
            .iter()
            .map(Value::to_string)
            .collect();
        let device = format!("corpus-{i}");
        let (status, reply) = json_of(app.track(&device, session, &texts, false).await).await;
        assert_eq!(status, StatusCode::OK, "{name}: {reply}");
        let replay = app.settled(&replay_id(&device, session)).await;
        for fact in reel_engine::store::Fact::ALL.map(|f| f.name()) {
            assert!(
                replay[fact].as_i64().is_some_and(|n| n >= 0),
                "{name} {fact}: {replay}"
            );
        }
        assert!(
            replay["active_ms"].as_i64().unwrap() <= replay["duration_ms"].as_i64().unwrap(),
            "{name}: {replay}"
        );
    }
}

/// `reel reprocess` recomputes everything from the stored recordings; twice changes nothing.
#[tokio::test]
async fn reprocess_recomputes_the_same_results_idempotently() {
    let dir = tempfile::tempdir().unwrap();
    let t = now_ms() - 600_000;
    let id = replay_id("d-again", t);
    let launch = || {
        Launch::new(dir.path())
            .env("REEL_PROCESSING_DELAY_MS", "0")
            .env("REEL_COMPACTION_IDLE_SECONDS", "0")
            .start()
    };
    let client = reqwest::Client::new();
    let read = |base: String| {
        let client = client.clone();
        let id = id.clone();
        async move {
            let url = format!("{base}/api/v1/replays/{id}");
            let replay = eventually(Duration::from_secs(20), async || {
                let replay = admin_get(&client, &url).await;
                if replay["processing_pending"] == false {
                    Ok(replay)
                } else {
                    Err(format!("not processed: {replay}"))
                }
            })
            .await;
            (replay, admin_get(&client, &format!("{url}/activity")).await)
        }
    };

    let server = launch();
    let response = client
        .post(format!(
            "{}/sessions/v2/track?device_id=d-again&session_id={t}",
            server.base_url
        ))
        .bearer_auth(KEY)
        .body(json!({"version": 1, "events": visit(t)}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let first = read(server.base_url.clone()).await;
    assert_eq!(first.0["rage_click_count"], 1);
    server.kill();

    let data = dir.path().display().to_string();
    for _ in 0..2 {
        let (code, stdout, stderr) = run_reel_with(
            &["reprocess", "--data-dir", &data],
            &[("REEL_COMPACTION_IDLE_SECONDS", "0")],
        );
        assert_eq!(code, 0, "{stdout} {stderr}");
        assert!(stdout.contains("reprocessed 1 session(s)"), "{stdout}");
        let server = launch();
        let again = read(server.base_url.clone()).await;
        assert_eq!(again, first, "reprocessing gives the same facts and events");
        server.kill();
    }
    let (code, _, stderr) = run_reel(&["reprocess", "--data-dir", &data, "--since", "2999-01-01"]);
    assert_eq!(code, 0, "{stderr}");
}

/// Definitions are project settings; after a change, `reel reprocess` applies them to stored
/// sessions.
#[tokio::test]
async fn changed_definitions_apply_after_reprocessing() {
    let app = TestApp::spawn_with(quick_processing).await;
    let t = now_ms() - 600_000;
    app.track_ok("d-defs", t, &visit(t)).await;
    let id = replay_id("d-defs", t);
    assert_eq!(app.settled(&id).await["rage_click_count"], 1);

    let (_, me) = app.get("/me").await;
    let project = me["projects"][0]["id"].as_i64().unwrap();
    assert_eq!(me["projects"][0]["signals"]["rage_min_clicks"], 3, "{me}");
    let path = format!("/projects/{project}");
    let patch = async |body: Value| app.send(reqwest::Method::PATCH, &path, Some(&body)).await;
    let (status, body) = patch(json!({"signals": {"rage_min_clicks": 1}})).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    let (status, body) = patch(json!({"signals": {"rage_clicks": 4}})).await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "unknown definition: {body}"
    );
    let (status, body) = patch(json!({"signals": {"rage_min_clicks": 4}})).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["signals"]["rage_min_clicks"], 4);
    assert_eq!(
        body["signals"]["dead_mutation_window_ms"], 2500,
        "others keep their defaults"
    );

    let data = app.data_dir().display().to_string();
    let (code, stdout, stderr) = run_reel_with(
        &["reprocess", "--data-dir", &data],
        &[("REEL_COMPACTION_IDLE_SECONDS", "0")],
    );
    assert_eq!(code, 0, "{stdout} {stderr}");
    let replay = app.settled(&id).await;
    assert_eq!(
        replay["rage_click_count"], 0,
        "three clicks are no rage with 4 required"
    );
    assert_eq!(replay["click_count"], 4);
}
