//! `POST /sessions/v2/track`: every body shape Amplitude's replay SDKs send is stored, and the
//! query API shows what was uploaded.

use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE};
use serde_json::{Value, json};

use crate::support::*;

/// How each event is carried inside `events`.
#[derive(Clone, Copy, PartialEq)]
enum Carry {
    /// A JSON string (current SDKs).
    String,
    /// A JSON object.
    Object,
    /// `@rrweb/packer`: zlib bytes as a latin1 string (SDKs up to 1.35).
    Packed,
    /// `JSON.stringify(pack(event))`, what `@amplitude/session-replay-browser` 1.35.0 sends: the
    /// packed string as a JSON string literal, itself carried as a JSON string.
    PackedQuoted,
}

impl Carry {
    fn wrap(self, event: &str) -> Value {
        match self {
            Self::String => json!(event),
            Self::Object => serde_json::from_str(event).expect("event JSON"),
            Self::Packed => json!(pack(event)),
            Self::PackedQuoted => json!(json!(pack(event)).to_string()),
        }
    }
}

/// A page load at `t`, then the pointer moving at each (time, x) of `moves`.
fn visit(t: i64, href: &str, moves: &[(i64, i64)]) -> Vec<String> {
    let mut events = page(t, href);
    events.extend(moves.iter().map(|&(ts, x)| mouse_move(ts, x)));
    events
}

#[tokio::test]
async fn every_upload_shape_is_stored_and_played_back() {
    let app = TestApp::spawn().await;
    // (name, version, carry, gzip, key as ?api_key= like sendBeacon, which cannot set headers)
    let shapes = [
        ("v1 strings", 1, Carry::String, false, false),
        ("v1 strings gzip", 1, Carry::String, true, false),
        ("v2 strings gzip", 2, Carry::String, true, false),
        ("v1 objects", 1, Carry::Object, false, false),
        ("v1 packed", 1, Carry::Packed, false, false),
        ("v1 packed gzip", 1, Carry::Packed, true, false),
        (
            "v1 packed in string literals (1.35.0)",
            1,
            Carry::PackedQuoted,
            false,
            false,
        ),
        (
            "v1 packed in string literals gzip",
            1,
            Carry::PackedQuoted,
            true,
            false,
        ),
        ("beacon v2 strings", 2, Carry::String, false, true),
        ("beacon v2 objects", 2, Carry::Object, false, true),
    ];
    let t0 = now_ms() - 60_000;
    for (i, (name, version, carry, gzip, key_in_query)) in shapes.into_iter().enumerate() {
        let device = format!("device-{i}");
        let session = t0 + i as i64;
        let events = visit(
            session + 5,
            &format!("https://shop.test/{i}"),
            &[(session + 100, 1), (session + 200, 2)],
        );
        let body = json!({"version": version, "events": events.iter().map(|e| carry.wrap(e)).collect::<Vec<_>>()});
        let body = body.to_string().into_bytes();

        let request = if key_in_query {
            app.client
                .post(format!("{}&api_key={KEY}", app.track_url(&device, session)))
                .header(CONTENT_TYPE, "text/plain;charset=UTF-8")
        } else {
            app.client
                .post(app.track_url(&device, session))
                .header(CONTENT_TYPE, "application/json")
                .header(AUTHORIZATION, format!("Bearer {KEY}"))
        };
        let (status, reply) = json_reply(with_body(request, body, gzip)).await;
        assert_eq!(status, StatusCode::OK, "{name}: {reply}");
        assert_eq!(reply["code"], 200, "{name}: {reply}");
        assert_eq!(reply["events_accepted"], 4, "{name}: {reply}");

        let mut want = parsed(&events);
        if matches!(carry, Carry::Packed | Carry::PackedQuoted) {
            // The packed event is what was recorded: it carries the packer's mark.
            for e in &mut want {
                e["v"] = json!("v1");
            }
        }
        let replay = app.listed(&device, session).await;
        assert_eq!(replay["event_count"], 4, "{name}: {replay}");
        assert_eq!(
            replay["first_url"],
            format!("https://shop.test/{i}"),
            "{name}"
        );
        let id = replay["id"].as_str().expect("id");
        assert_eq!(app.events(id).await, want, "{name}");
    }
    assert_eq!(app.replays().await.len(), shapes.len());
}

#[tokio::test]
async fn the_replay_list_reports_the_session() {
    let app = TestApp::spawn().await;
    let session = now_ms() - 3_600_000;
    let start = session + 40;
    let first = visit(start, "https://shop.test/home", &[(start + 500, 7)]);
    let second = vec![
        mouse_move(start + 1_000, 8),
        meta(start + 2_000, "https://shop.test/cart"),
        full_snapshot(start + 2_000),
        mouse_move(start + 9_876, 9),
    ];
    app.track_ok("d-facts", session, &first).await;
    app.track_ok("d-facts", session, &second).await;

    let replays = app.replays().await;
    assert_eq!(replays.len(), 1, "{replays:?}");
    let r = &replays[0];
    assert_eq!(r["id"], replay_id("d-facts", session), "{r}");
    assert_eq!(r["device_id"], "d-facts");
    assert_eq!(r["session_id"], session);
    assert_eq!(r["start_time"], rfc3339(start), "{r}");
    assert_eq!(r["end_time"], rfc3339(start + 9_876), "{r}");
    assert_eq!(r["duration_ms"], 9_876);
    assert_eq!(r["event_count"], 7);
    assert_eq!(r["first_url"], "https://shop.test/home");
    assert!(r["size_bytes"].as_i64().is_some_and(|n| n > 0), "{r}");
    assert_eq!(r["user_id"], Value::Null);

    let (status, one) = app.replay(&replay_id("d-facts", session)).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(&one, r, "GET /replays/{{id}} agrees with the list");
}

#[tokio::test]
async fn batches_arriving_out_of_order_play_back_in_time_order() {
    let app = TestApp::spawn().await;
    let session = now_ms() - 600_000;
    let t = session + 1;
    // The first page, then a navigation whose Meta+FullSnapshot sits in the middle of a batch.
    let early = visit(t, "https://shop.test/first", &[(t + 10, 1), (t + 20, 2)]);
    let middle = vec![
        mouse_move(t + 30, 3),
        mouse_move(t + 40, 4),
        meta(t + 50, "https://shop.test/second"),
        full_snapshot(t + 50),
        mouse_move(t + 60, 5),
    ];
    let late = vec![mouse_move(t + 70, 6), mouse_move(t + 80, 7)];
    for batch in [&late, &middle, &early] {
        app.track_ok("d-order", session, batch).await;
    }

    let all: Vec<String> = [early, middle, late].concat();
    let r = app.listed("d-order", session).await;
    assert_eq!(r["event_count"], all.len());
    assert_eq!(
        r["first_url"], "https://shop.test/first",
        "the earliest page, not the first to arrive"
    );
    assert_eq!(r["start_time"], rfc3339(t));
    assert_eq!(r["end_time"], rfc3339(t + 80));
    let events = app.events(r["id"].as_str().expect("id")).await;
    assert_eq!(timestamps(&events), timestamps(&parsed(&all)));
    assert_eq!(events, parsed(&all));
}

#[tokio::test]
async fn a_batch_out_of_order_inside_is_played_in_time_order() {
    let app = TestApp::spawn().await;
    let session = now_ms() - 600_000;
    let t = session + 1;
    let batch = vec![
        mouse_move(t + 30, 3),
        meta(t, "https://shop.test/"),
        full_snapshot(t),
        mouse_move(t + 10, 1),
        mouse_move(t + 20, 2),
    ];
    app.track_ok("d-shuffled", session, &batch).await;
    let events = app.events(&replay_id("d-shuffled", session)).await;
    assert_eq!(events, in_time_order(parsed(&batch)));
}

#[tokio::test]
async fn interleaved_batches_merge_by_time() {
    // Two tabs of one session flush batches whose time spans overlap.
    let app = TestApp::spawn().await;
    let session = now_ms() - 600_000;
    let t = session + 1;
    let tab_a = visit(t, "https://shop.test/a", &[(t + 20, 1), (t + 40, 2)]);
    let tab_b = vec![
        mouse_move(t + 10, 3),
        mouse_move(t + 30, 4),
        mouse_move(t + 50, 5),
    ];
    app.track_ok("d-tabs", session, &tab_b).await;
    app.track_ok("d-tabs", session, &tab_a).await;
    let events = app.events(&replay_id("d-tabs", session)).await;
    assert_eq!(
        timestamps(&events),
        vec![t, t, t + 10, t + 20, t + 30, t + 40, t + 50]
    );
    assert_eq!(events, in_time_order(parsed(&[tab_a, tab_b].concat())));
}

#[tokio::test]
async fn device_ids_are_kept_as_sent() {
    let app = TestApp::spawn().await;
    let session = now_ms() - 60_000;
    let longest = "d".repeat(1024);
    let devices = [
        "0b5e6f0c-6d8a-4f7e-9a53-1c2d3e4f5a6b",
        "user@example.com",
        "a/b?c=d&e",
        "ünïcødé device",
        "+plus+",
        // The longest id accepted: far longer than a file name may be.
        &longest,
    ];
    for (i, device) in devices.into_iter().enumerate() {
        let session = session + i as i64;
        let events = page(session, "https://shop.test/");
        let response = app
            .client
            .post(app.url("/sessions/v2/track"))
            .query(&[
                ("device_id", device),
                ("session_id", &session.to_string()),
                ("type", "replay"),
            ])
            .header(AUTHORIZATION, format!("Bearer {KEY}"))
            .body(json!({"version": 1, "events": events}).to_string())
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), StatusCode::OK, "{device}");
        let r = app.listed(device, session).await;
        assert_eq!(r["id"], replay_id(device, session), "{device}");
        assert_eq!(
            app.events(&replay_id(device, session)).await,
            parsed(&events),
            "{device}"
        );
    }
}

#[tokio::test]
async fn unreadable_events_are_skipped_and_the_rest_kept() {
    let app = TestApp::spawn().await;
    let session = now_ms() - 60_000;
    let good = page(session, "https://shop.test/");
    let body = json!({"version": 1, "events": [
        good[0], "{\"type\":3,\"data\":{}}", good[1], 42
    ]});
    let (status, reply) = json_of(app.track_body("d-skip", session, &body, true).await).await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    assert_eq!(reply["events_accepted"], 2, "{reply}");
    assert_eq!(reply["events_skipped"], 2, "{reply}");
    assert_eq!(
        app.events(&replay_id("d-skip", session)).await,
        parsed(&good)
    );
}

#[tokio::test]
async fn interaction_uploads_are_accepted_but_are_not_replays() {
    let app = TestApp::spawn().await;
    let session = now_ms() - 60_000;
    let heatmap = json!({"version": 1, "events": [
        {"x": 10, "y": 20, "selector": "#buy", "viewportHeight": 720, "viewportWidth": 1280,
         "pageUrl": "https://shop.test/", "timestamp": session + 5, "type": "click", "count": 1},
        {"maxScrollX": 0, "maxScrollY": 0, "maxScrollWidth": 1280, "maxScrollHeight": 2000, "type": "scroll"}
    ]});
    // A session with a replay, and one with heatmap data only.
    app.track_ok("d-rec", session, &page(session + 1, "https://shop.test/"))
        .await;
    for (device, gzip) in [("d-rec", false), ("d-heat", true), ("d-heat", false)] {
        let url = app
            .track_url(device, session)
            .replace("type=replay", "type=interaction");
        let body = heatmap.to_string().into_bytes();
        let request = app
            .client
            .post(url)
            .header(AUTHORIZATION, format!("Bearer {KEY}"));
        let (status, reply) = json_reply(with_body(request, body, gzip)).await;
        assert_eq!(status, StatusCode::OK, "{device}: {reply}");
        assert_eq!(reply["code"], 200, "{device}: {reply}");
    }

    let replays = app.replays().await;
    assert_eq!(
        replays.len(),
        1,
        "heatmap data alone is not a replay: {replays:?}"
    );
    assert_eq!(replays[0]["device_id"], "d-rec");
    assert_eq!(
        replays[0]["event_count"], 2,
        "heatmap events are not replay events"
    );
    let (status, body) = app.replay(&replay_id("d-heat", session)).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    let (status, body) = app
        .get(&format!("/replays/{}/events", replay_id("d-heat", session)))
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
    assert_eq!(
        app.events(&replay_id("d-rec", session)).await,
        parsed(&page(session + 1, "https://shop.test/"))
    );
}

#[tokio::test]
async fn an_empty_batch_is_accepted_and_creates_no_replay() {
    let app = TestApp::spawn().await;
    let session = now_ms() - 60_000;
    let (status, reply) = json_of(app.track("d-empty", session, &[], false).await).await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    assert_eq!(reply["events_accepted"], 0, "{reply}");
    assert!(app.replays().await.is_empty());
    let (status, body) = app.replay(&replay_id("d-empty", session)).await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
}
