//! Compaction: idle sessions are rewritten into segments. Every event comes back byte for
//! byte; a kill between any two of its steps loses nothing and leaves nothing behind; reads
//! during it see the same events; large strings shared by sessions are stored once and freed
//! when no session refers to them.

use std::time::Duration;

use reqwest::StatusCode;
use serde_json::{Value, json};

use reel_engine::store::sqlite::inspect::Rows;

use crate::support::*;

fn quick(c: &mut reel_server::Config) {
    quick_processing(c);
    c.replaced_object_grace_seconds = 0;
}

#[tokio::test]
async fn every_event_of_the_workload_and_corpus_comes_back_byte_for_byte() {
    let app = TestApp::spawn_with(quick).await;
    let mut sessions = reel_testdata::workload();
    assert!(
        sessions.len() >= 9,
        "the workload has {} sessions",
        sessions.len()
    );
    let now = now_ms();
    for (i, recording) in reel_testdata::corpus().into_iter().enumerate() {
        // Shifted to recent times, kept within a plausible session span.
        let start = now - 3_600_000 + i as i64 * 1000;
        let events = starting_at(&recording, start)
            .iter()
            .filter(|e| e["timestamp"].as_i64().unwrap() - start < 7 * DAY_MS)
            .map(Value::to_string)
            .collect();
        sessions.push(reel_testdata::Recording {
            events,
            ..recording
        });
    }
    for (i, reel_testdata::Recording { name, events }) in sessions.iter().enumerate() {
        let device = format!("c-{i}");
        let session = first_ts(events);
        upload(&app, &device, session, events, 40).await;
        let _ = name;
    }
    until_compacted(app.data_dir()).await;
    for (i, reel_testdata::Recording { name, events }) in sessions.iter().enumerate() {
        let id = replay_id(&format!("c-{i}"), first_ts(events));
        let got = events_text(&app.client, &app.base_url, &id).await;
        assert!(
            got == expected_text(events),
            "{name}: the events differ after compaction"
        );
    }
    // De-duplication: the workload's large strings (style sheets, images) are stored once.
    let db = stored(app.data_dir());
    let (pieces, uses) = (
        db.count(Rows::Pieces).unwrap(),
        db.count(Rows::PieceUses).unwrap(),
    );
    assert!(pieces > 0 && uses > pieces, "{pieces} pieces, {uses} uses");
    until_nothing_left_behind(app.data_dir()).await;
}

/// Kills reel at each step of a compaction (`REEL_CRASH_AT`), restarts it, and checks that
/// the replay reads the same and that nothing is left behind.
#[tokio::test]
async fn compaction_survives_a_kill_between_any_two_of_its_steps() {
    let session = now_ms() - 600_000;
    let mut events = page(session, "https://shop.test/");
    for i in 1..200 {
        events.push(mouse_move(session + i * 100, i));
        if i % 50 == 0 {
            events.extend(page(session + i * 100 + 1, "https://shop.test/next"));
        }
    }
    let want = expected_text(&events);
    let client = reqwest::Client::new();
    for step in [
        "compaction:intended",
        "compaction:written",
        "compaction:committed",
    ] {
        let dir = tempfile::tempdir().unwrap();
        let launch = |crash: Option<&str>| {
            // The delay lets all uploads land before the first processing run.
            let mut l = Launch::new(dir.path())
                .env("REEL_PROCESSING_DELAY_MS", "3000")
                .env("REEL_COMPACTION_IDLE_SECONDS", "0")
                .env("REEL_REPLACED_OBJECT_GRACE_SECONDS", "0");
            if let Some(at) = crash {
                l = l.env("REEL_CRASH_AT", at);
            }
            l.start()
        };
        let mut server = launch(Some(step));
        for part in events.chunks(30) {
            let r = client
                .post(format!(
                    "{}/sessions/v2/track?device_id=d-crash&session_id={session}",
                    server.base_url
                ))
                .bearer_auth(KEY)
                .body(json!({"version": 1, "events": part}).to_string())
                .send()
                .await
                .expect("answered before the crash");
            assert_eq!(r.status(), StatusCode::OK);
        }
        eventually(Duration::from_secs(60), async || {
            if server.is_running() {
                Err(format!("{step}: reel did not reach the crash point"))
            } else {
                Ok(())
            }
        })
        .await;
        drop(server);

        let server = launch(None);
        let id = replay_id("d-crash", session);
        assert_eq!(
            events_text(&client, &server.base_url, &id).await,
            want,
            "{step}: after the crash"
        );
        until_compacted(dir.path()).await;
        assert_eq!(
            events_text(&client, &server.base_url, &id).await,
            want,
            "{step}: compacted"
        );
        until_nothing_left_behind(dir.path()).await;
    }
}

#[tokio::test]
async fn reads_return_the_same_events_before_during_and_after_compaction() {
    let app = TestApp::spawn_with(|c| {
        quick_processing(c);
        // Compaction waits a moment, and replaced objects outlive a read across it.
        c.processing_delay_ms = 1_500;
        c.replaced_object_grace_seconds = 300;
    })
    .await;
    let session = now_ms() - 600_000;
    // Enough events that the answer streams in many pieces.
    let mut events = page(session, "https://shop.test/");
    let pad = "p".repeat(1_000);
    for i in 1..2_000 {
        events.push(json!({"type": 5, "timestamp": session + i * 10, "data": {"tag": "t", "payload": format!("{i}{pad}")}}).to_string());
    }
    upload(&app, "d-during", session, &events, 100).await;
    let want = expected_text(&events);
    let id = replay_id("d-during", session);

    // Start a read of the chunks, take its first piece, let compaction switch to segments…
    let mut response = app
        .api(&format!("/replays/{id}/events"))
        .send()
        .await
        .unwrap();
    let mut got = response
        .chunk()
        .await
        .unwrap()
        .expect("a first piece")
        .to_vec();
    assert!(got.len() < want.len(), "the answer streams");
    until_compacted(app.data_dir()).await;
    // …and finish it: the replaced chunks' objects are still there for it.
    while let Some(piece) = response.chunk().await.unwrap() {
        got.extend_from_slice(&piece);
    }
    assert!(
        String::from_utf8(got).unwrap() == want,
        "a read across compaction differs"
    );
    assert!(events_text(&app.client, &app.base_url, &id).await == want);
}

#[tokio::test]
async fn a_shared_piece_is_stored_once_and_freed_when_no_session_uses_it() {
    let app = TestApp::spawn_with(quick).await;
    let css: String = (0..5_000)
        .map(|i| format!(".c{i}{{color:#{:06x}}}", i * 7919 % 0xffffff))
        .collect();
    let site = |ts: i64| {
        let snapshot = json!({"type": 2, "timestamp": ts, "data": {"initialOffset": {"top": 0, "left": 0},
            "node": {"type": 0, "id": 1, "childNodes": [
                {"type": 2, "id": 2, "tagName": "html", "attributes": {}, "childNodes": [
                    {"type": 2, "id": 3, "tagName": "style", "attributes": {"_cssText": css}, "childNodes": []}]}]}}});
        vec![
            meta(ts, "https://site.test/"),
            snapshot.to_string(),
            mouse_move(ts + 10, 1),
        ]
    };
    let t = now_ms() - 600_000;
    // Two sessions uploaded at once, each with the same style sheet.
    let (a, b) = (site(t), site(t + 1_000));
    let (ra, rb) = tokio::join!(
        app.track("d-a", t, &a, true),
        app.track("d-b", t + 1_000, &b, true)
    );
    assert_eq!((ra.status(), rb.status()), (StatusCode::OK, StatusCode::OK));
    until_compacted(app.data_dir()).await;
    let db = stored(app.data_dir());
    assert_eq!(db.count(Rows::Pieces).unwrap(), 1, "stored once");
    assert_eq!(db.count(Rows::PieceUses).unwrap(), 2, "used by both");
    let sizes = db.piece_sizes().unwrap();
    assert!(
        sizes[0] < css.len() as i64 / 2,
        "the piece is compressed: {sizes:?}"
    );
    for (device, ts, events) in [("d-a", t, &a), ("d-b", t + 1_000, &b)] {
        assert!(
            events_text(&app.client, &app.base_url, &replay_id(device, ts)).await
                == expected_text(events)
        );
    }

    let delete = |id: String| {
        app.client
            .delete(app.url(&format!("/api/v1/replays/{id}")))
            .bearer_auth(ADMIN_TOKEN)
            .send()
    };
    assert_eq!(
        delete(replay_id("d-a", t)).await.unwrap().status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        stored(app.data_dir()).count(Rows::Pieces).unwrap(),
        1,
        "still used by the other session"
    );
    assert!(
        events_text(&app.client, &app.base_url, &replay_id("d-b", t + 1_000)).await
            == expected_text(&b)
    );
    let (status, _) = app.replay(&replay_id("d-a", t)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        delete(replay_id("d-b", t + 1_000)).await.unwrap().status(),
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        stored(app.data_dir()).count(Rows::Pieces).unwrap(),
        0,
        "freed with the last session using it"
    );
    assert_eq!(
        delete(replay_id("d-b", t + 1_000)).await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    until_nothing_left_behind(app.data_dir()).await;
    assert!(objects_on_disk(app.data_dir()).is_empty());
}

/// A session still recording is compacted once its open part is large, up to its latest
/// keyframe: the next segment will start there.
#[tokio::test]
async fn a_large_open_recording_is_compacted_up_to_its_latest_keyframe() {
    let app = TestApp::spawn_with(|c| {
        quick_processing(c);
        // Never idle: only the open recording's size starts a compaction.
        c.compaction_idle_seconds = 3_600;
        c.compaction_open_bytes = 2_000;
    })
    .await;
    let t = now_ms() - 600_000;
    let mut all = Vec::new();
    for page_load in 0..3 {
        let at = t + page_load * 60_000;
        let mut events = page(at, &format!("https://x.test/{page_load}"));
        events.extend((1..20).map(|i| mouse_move(at + i * 100, i)));
        app.track_ok("d-open", t, &events).await;
        all.extend(events);
    }
    eventually(Duration::from_secs(30), async || {
        let f = formats(app.data_dir());
        if f.first().is_some_and(|f| f == "segment") && f.last().is_some_and(|f| f == "chunk") {
            Ok(())
        } else {
            Err(format!("not compacted up to the keyframe: {f:?}"))
        }
    })
    .await;
    let id = replay_id("d-open", t);
    assert!(events_text(&app.client, &app.base_url, &id).await == expected_text(&all));
    let (_, manifest) = app.get(&format!("/replays/{id}/manifest")).await;
    let last = manifest["pieces"]
        .as_array()
        .unwrap()
        .last()
        .unwrap()
        .clone();
    assert_eq!(last["kind"], "chunk", "{manifest}");
    assert_eq!(
        last["keyframe_ms"],
        t + 120_000,
        "the open tail starts at the latest keyframe"
    );
}
