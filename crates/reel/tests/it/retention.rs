//! Retention and deletion on request. On a test clock (never a sleep): sessions past their
//! project's retention go with everything of them — objects, pieces no other segment uses,
//! events, facts, text — while newer ones stay whole; deleting a user's data on request leaves
//! nothing of it in any table or object, and nothing that points at data that is gone.

use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use reel_engine::store::sqlite::inspect::{Inspector, Rows};
use reel_engine::{Clock as _, ManualClock};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::*;

const T0: i64 = 1_767_225_600_000; // 2026-01-01

fn quick(c: &mut reel_server::Config) {
    c.processing_delay_ms = 0;
    c.compaction_idle_seconds = 0;
    c.processing_cpu_share = 1.0;
    c.replaced_object_grace_seconds = 0;
}

/// A page whose style sheet is `css` (large: stored as a piece once compacted) and whose body
/// shows `text`.
fn styled_page(ts: i64, href: &str, css: &str, text: &str) -> Vec<String> {
    let snapshot = json!({"type": 2, "timestamp": ts, "data": {"initialOffset": {"left": 0, "top": 0},
        "node": {"type": 0, "id": 1, "childNodes": [
            {"type": 1, "name": "html", "publicId": "", "systemId": "", "id": 2},
            {"type": 2, "tagName": "html", "attributes": {}, "id": 3, "childNodes": [
                {"type": 2, "tagName": "head", "attributes": {}, "id": 4, "childNodes": [
                    {"type": 2, "tagName": "style", "attributes": {}, "id": 5, "childNodes": [
                        {"type": 3, "textContent": css, "isStyle": true, "id": 6}]}]},
                {"type": 2, "tagName": "body", "attributes": {}, "id": 7, "childNodes": [
                    {"type": 2, "tagName": "p", "attributes": {}, "id": 8, "childNodes": [
                        {"type": 3, "textContent": text, "id": 9}]}]}]}]}}});
    vec![
        meta(ts, href),
        snapshot.to_string(),
        mouse_move(ts + 500, 10),
    ]
}

/// A style sheet well over the 2 KiB a string needs to become a piece.
fn big_css() -> String {
    (0..200)
        .map(|i| format!(".rule-{i} {{ color: #{i:06x}; margin: {i}px; }}\n"))
        .collect()
}

fn stored(data_dir: &Path) -> Inspector {
    Inspector::open(&data_dir.join("reel.db")).unwrap()
}

fn count(data_dir: &Path, rows: Rows) -> i64 {
    stored(data_dir).count(rows).unwrap()
}

/// Waits until the processing stage has settled and compacted every recording (the test clock
/// stands still; the stage works on real time).
async fn until_settled(data_dir: &Path) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(120);
    loop {
        let db = stored(data_dir);
        let formats = db.chunk_formats().unwrap();
        if !formats.is_empty() && formats.iter().all(|f| f == "segment") {
            return;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "not compacted: {formats:?}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Deletes what is due and checks that the objects left are exactly those rows name.
async fn settle_objects(app: &TestApp) {
    app.state.engine.settle_objects(false).await.unwrap();
    let named = stored(app.data_dir()).named_objects().unwrap();
    let disk = objects_on_disk(app.data_dir());
    assert_eq!(disk, named, "objects on disk are those rows name");
    assert_eq!(count(app.data_dir(), Rows::ObjectIntents), 0);
}

/// No table holds any of `values` anywhere.
fn nothing_holds(data_dir: &Path, values: &[&str]) {
    let db = stored(data_dir);
    for value in values {
        let places = db.places_holding(value).unwrap();
        assert!(places.is_empty(), "{value} is left in {places:?}");
    }
}

fn no_dangling_rows(data_dir: &Path) {
    let dangling = stored(data_dir).dangling_references().unwrap();
    assert!(dangling.is_empty(), "rows point at nothing: {dangling:?}");
}

async fn events(app: &TestApp, events: Value) {
    let (status, reply) = json_of(
        app.httpapi(&json!({"api_key": KEY, "events": events}))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{reply}");
}

#[tokio::test]
async fn expired_sessions_go_with_everything_of_them_and_newer_ones_stay_whole() {
    let clock = Arc::new(ManualClock::at(T0));
    let app = TestApp::spawn_with_clock(clock.clone(), quick).await;
    let css = big_css();
    // An old session and an event of no session, with a user property.
    let old = T0;
    let old_page = styled_page(old, "https://shop.test/old", &css, "Old sale banner");
    app.track_ok("old-device", old, &old_page).await;
    events(
        &app,
        json!([
            {"event_type": "Purchase", "device_id": "old-device", "session_id": old, "time": old + 100,
             "user_id": "old-user", "insert_id": "p1"},
            {"event_type": "Newsletter", "user_id": "old-user", "time": old + 200, "insert_id": "n1",
             "user_properties": {"$set": {"plan": "pro"}}},
        ]),
    )
    .await;
    // Twenty days later, a session with the same style sheet: one piece, used twice.
    clock.advance(20 * DAY_MS);
    let new = T0 + 20 * DAY_MS;
    let new_page = styled_page(new, "https://shop.test/new", &css, "New arrivals");
    app.track_ok("new-device", new, &new_page).await;
    until_settled(app.data_dir()).await;
    assert_eq!(count(app.data_dir(), Rows::Pieces), 1);
    assert_eq!(count(app.data_dir(), Rows::PieceUses), 2);
    let before = count(app.data_dir(), Rows::Events);

    // Thirty-five days after the old one: it is past the default 30 days, the new one is not.
    clock.advance(15 * DAY_MS);
    let report = app.state.engine.apply_retention().await.unwrap();
    assert_eq!(report.erased.recordings, 1, "{report:?}");
    let (status, _) = app.replay(&replay_id("old-device", old)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    let kept = app.events(&replay_id("new-device", new)).await;
    assert_eq!(
        kept,
        parsed(&new_page),
        "the newer replay plays as it was sent"
    );
    assert_eq!(
        count(app.data_dir(), Rows::Pieces),
        1,
        "the piece is still used"
    );
    assert_eq!(count(app.data_dir(), Rows::PieceUses), 1);
    assert_eq!(count(app.data_dir(), Rows::Sessions), 1);
    assert!(count(app.data_dir(), Rows::Events) < before);
    assert_eq!(
        count(app.data_dir(), Rows::UserProperties),
        0,
        "properties set before the cutoff"
    );
    nothing_holds(
        app.data_dir(),
        &["old-device", "old-user", "Old sale banner"],
    );
    no_dangling_rows(app.data_dir());
    settle_objects(&app).await;
    // A full-text search no longer finds the old text.
    let found = app
        .replays_with("q=Old%20sale%20banner&start=2025-12-01")
        .await;
    assert!(found.is_empty(), "{found:?}");

    // A project that keeps a year keeps both; this one's new session goes in turn, with the
    // piece no segment uses any more.
    clock.advance(20 * DAY_MS);
    let (long, long_key) = app.project("Keeps a year").await;
    let (status, settings) = app
        .call(
            Method::PATCH,
            &format!("/projects/{long}/settings"),
            Some(&json!({"retention_days": 365})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{settings}");
    let kept_long = clock.now_ms() - 100 * DAY_MS;
    let status = app
        .client
        .post(app.track_url("long-device", kept_long))
        .bearer_auth(&long_key)
        .json(&json!({"version": 1, "events": page(kept_long, "https://docs.test/")}))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, StatusCode::OK);
    app.state.engine.apply_retention().await.unwrap();
    let (status, _) = app.replay(&replay_id("new-device", new)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(count(app.data_dir(), Rows::Pieces), 0, "the piece is freed");
    let (status, _) = app
        .call(
            Method::GET,
            &format!(
                "/replays/{}?project={long}",
                replay_id("long-device", kept_long)
            ),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::OK, "a year's retention keeps 100 days");
    no_dangling_rows(app.data_dir());
    until_settled(app.data_dir()).await;
    settle_objects(&app).await;
}

#[tokio::test]
async fn retention_is_a_setting_within_bounds_for_admins() {
    let app = TestApp::spawn().await;
    let (_, settings) = app.call(Method::GET, "/projects/1/settings", None).await;
    assert_eq!(settings["retention_days"], 30, "the default: {settings}");
    for (days, want) in [
        (0, StatusCode::BAD_REQUEST),
        (731, StatusCode::BAD_REQUEST),
        (1, StatusCode::OK),
        (730, StatusCode::OK),
    ] {
        let (status, answer) = app
            .call(
                Method::PATCH,
                "/projects/1/settings",
                Some(&json!({"retention_days": days})),
            )
            .await;
        assert_eq!(status, want, "{days}: {answer}");
    }
    let (_, settings) = app.call(Method::GET, "/projects/1/settings", None).await;
    assert_eq!(settings["retention_days"], 730);
}

#[tokio::test]
async fn deleting_a_users_data_leaves_nothing_of_it_anywhere() {
    let clock = Arc::new(ManualClock::at(T0));
    let app = TestApp::spawn_with_clock(clock.clone(), quick).await;
    let css = big_css();
    // Two sessions of the user (one found by the user id set during it, one by an event of
    // theirs in it), an event of theirs outside any session, their properties; and someone
    // else's session with the same style sheet.
    let (s1, s2, s3) = (T0, T0 + 3_600_000, T0 + 7_200_000);
    let theirs = styled_page(s1, "https://shop.test/account", &css, "Hello gdpr-person");
    app.track_ok("gdpr-device-1", s1, &theirs).await;
    app.track_ok(
        "gdpr-device-2",
        s2,
        &styled_page(s2, "https://shop.test/", &css, "Welcome back"),
    )
    .await;
    let others = styled_page(s3, "https://shop.test/", &css, "Someone else");
    app.track_ok("other-device", s3, &others).await;
    events(
        &app,
        json!([
            {"event_type": "Signed In", "device_id": "gdpr-device-1", "session_id": s1, "time": s1 + 10,
             "user_id": "gdpr-person", "insert_id": "a", "user_properties": {"$set": {"email": "p@x.test"}}},
            {"event_type": "Viewed", "device_id": "gdpr-device-2", "session_id": s2, "time": s2 + 10,
             "user_id": "gdpr-person", "insert_id": "b"},
            {"event_type": "Viewed", "device_id": "gdpr-device-2", "session_id": s2, "time": s2 + 20,
             "insert_id": "c"},
            {"event_type": "Emailed", "user_id": "gdpr-person", "time": s2 + 30, "insert_id": "d"},
            {"event_type": "Viewed", "device_id": "other-device", "session_id": s3, "time": s3 + 10,
             "user_id": "someone-else", "insert_id": "e"},
        ]),
    )
    .await;
    until_settled(app.data_dir()).await;
    // The processing stage has read the on-screen text.
    let db = stored(app.data_dir());
    assert!(!db.places_holding("Hello gdpr-person").unwrap().is_empty());

    let (status, erased) = app
        .call(Method::DELETE, "/projects/1/users/gdpr-person", None)
        .await;
    assert_eq!(status, StatusCode::OK, "{erased}");
    assert_eq!(erased["sessions"], 2, "{erased}");
    assert_eq!(erased["replays"], 2, "{erased}");
    nothing_holds(
        app.data_dir(),
        &[
            "gdpr-person",
            "gdpr-device-1",
            "gdpr-device-2",
            "Welcome back",
            "p@x.test",
        ],
    );
    no_dangling_rows(app.data_dir());
    // User Look-Up knows them no more, by user id or by either device.
    for path in [
        "/users/gdpr-person",
        "/users/gdpr-device-1?by=device_id",
        "/users/gdpr-device-2?by=device_id",
    ] {
        let (status, answer) = app.call(Method::GET, path, None).await;
        assert_eq!(status, StatusCode::NOT_FOUND, "{path}: {answer}");
    }
    let (status, other) = app.call(Method::GET, "/users/someone-else", None).await;
    assert_eq!(status, StatusCode::OK, "{other}");
    settle_objects(&app).await;
    let found = app.replays_with("q=Welcome%20back&start=2025-12-01").await;
    assert!(found.is_empty(), "the text index forgot it: {found:?}");
    // Someone else's session is whole, and the shared piece is still there for it.
    assert_eq!(
        app.events(&replay_id("other-device", s3)).await,
        parsed(&others)
    );
    assert_eq!(count(app.data_dir(), Rows::Pieces), 1);
    // The audit log says it was done, by whom, and names the user by a hash only.
    let (_, log) = app.call(Method::GET, "/audit-log?project=1", None).await;
    let entry = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "user_data_deleted")
        .unwrap_or_else(|| panic!("no audit entry: {log}"))
        .clone();
    assert_eq!(entry["actor"], ADMIN_EMAIL);
    assert!(entry["target"].as_str().unwrap().starts_with("sha256:"));
    assert!(!log.to_string().contains("gdpr-person"), "{log}");
    // A second request finds nothing more.
    let (status, again) = app
        .call(Method::DELETE, "/projects/1/users/gdpr-person", None)
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(again["sessions"], 0, "{again}");

    // By device id: its sessions, events and anonymous properties.
    let s4 = T0 + 9_000_000;
    app.track_ok("anonymous-device", s4, &page(s4, "https://shop.test/"))
        .await;
    events(
        &app,
        json!([{"event_type": "Opened", "device_id": "anonymous-device", "time": s4,
                "insert_id": "f", "user_properties": {"$set": {"theme": "dark"}}}]),
    )
    .await;
    let (status, erased) = app
        .call(Method::DELETE, "/projects/1/devices/anonymous-device", None)
        .await;
    assert_eq!(status, StatusCode::OK, "{erased}");
    assert_eq!(erased["sessions"], 1, "{erased}");
    assert_eq!(
        stored(app.data_dir())
            .places_holding("anonymous-device")
            .unwrap(),
        Vec::<String>::new()
    );
    no_dangling_rows(app.data_dir());
}
