//! Charts through the server on ClickHouse (`events_url`): a node hands the events it stores
//! on to ClickHouse and answers charts, the Microscope and User Look-Up there, and deletes
//! there what a person's deletion request names — the same answers as a node
//! that keeps them in its SQLite, for events stored before `events_url` was set and events
//! stored after (across a restart of the node: the feed goes on from its saved position).

use std::time::Duration;

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::clickhouse_server::ClickHouseServer;
use crate::support::*;

const DAY1: &str = "2026-01-05";
const DAY2: &str = "2026-01-06";
const PAGE_VIEWED: &str = "[reel] Page Viewed";

/// The shop's recorded sessions, each as (device, session).
fn recorded() -> Vec<(String, i64)> {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/analytics/shop.json"
    );
    let shop: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    shop["recorded_sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["device_id"].as_str().unwrap().to_owned(),
                s["session_id"].as_i64().unwrap(),
            )
        })
        .collect()
}

/// The day's total of page views derived from recordings, as `app` charts them.
async fn page_views(app: &TestApp) -> Value {
    let body = json!({"events": [{"event_type": PAGE_VIEWED}], "measure": "totals",
                      "interval": "day", "start": DAY1, "end": DAY2});
    ask(app, "/charts/segmentation", &body).await["series"][0]["values"].clone()
}

/// (kind, chart) pairs covering every chart kind and the measures that count users,
/// events, properties and sessions.
fn charts() -> Vec<(&'static str, Value)> {
    let view = json!({"event_type": "View"});
    let range = |mut body: Value| {
        body["start"] = json!(DAY1);
        body["end"] = json!(DAY2);
        body
    };
    let mut charts = Vec::new();
    for measure in [
        json!({"measure": "uniques"}),
        json!({"measure": "totals"}),
        json!({"measure": "active_pct"}),
        json!({"measure": "frequency"}),
        json!({"measure": "property", "property": {"property": "price", "aggregate": "sum"}}),
    ] {
        let mut body = range(json!({"kind": "segmentation", "events": [view], "interval": "day"}));
        body.as_object_mut()
            .unwrap()
            .extend(measure.as_object().unwrap().clone());
        charts.push(("segmentation", body));
    }
    charts.push((
        "segmentation",
        range(
            json!({"kind": "segmentation", "events": [view], "group_by": {"property": "category", "scope": "event"}}),
        ),
    ));
    charts.push((
        "funnel",
        range(json!({"kind": "funnel", "steps": [view, {"event_type": "Add to cart"}, {"event_type": "Checkout"}]})),
    ));
    charts.push((
        "sessions",
        range(json!({"kind": "sessions", "interval": "day"})),
    ));
    // Derived from the recordings: gone with a replay's deletion, back when recorded again.
    charts.push((
        "segmentation",
        range(
            json!({"kind": "segmentation", "events": [{"event_type": PAGE_VIEWED}], "measure": "totals", "interval": "day"}),
        ),
    ));
    charts.push((
        "journeys",
        range(json!({"kind": "journeys", "start_event": view, "steps": 3, "window_ms": 3_600_000})),
    ));
    charts.push((
        "experiment",
        range(json!({"kind": "experiment", "flag_key": "checkout-button", "goal": {"event_type": "Purchase"}})),
    ));
    charts
}

async fn ask(app: &TestApp, path: &str, body: &Value) -> Value {
    let (status, answer) = app.send(Method::POST, path, Some(body)).await;
    assert_eq!(status, StatusCode::OK, "{path} {body}: {answer}");
    answer
}

/// Waits until every chart, the Microscope behind some of their points and User Look-Up answer on
/// `shared` as on `embedded` (the feed hands events on within seconds).
async fn until_alike(shared: &TestApp, embedded: &TestApp) {
    let mut questions: Vec<(String, Value)> = charts()
        .into_iter()
        .map(|(kind, mut body)| {
            // The chart routes name the kind in the path; the Microscope's body names it.
            body.as_object_mut().unwrap().remove("kind");
            (format!("/charts/{kind}"), body)
        })
        .collect();
    let funnel = charts()
        .into_iter()
        .find(|(kind, _)| *kind == "funnel")
        .unwrap()
        .1;
    for (point, with_replays) in [(json!({"step": 2}), false), (json!({"step": 2}), true)] {
        questions.push((
            "/charts/funnel/sessions".into(),
            json!({"chart": funnel, "point": point, "with_replays": with_replays}),
        ));
    }
    for (path, body) in &questions {
        let want = ask(embedded, path, body).await;
        eventually(Duration::from_secs(30), async || {
            let got = ask(shared, path, body).await;
            if got == want {
                Ok(())
            } else {
                Err(format!(
                    "{path} {body}:\n on ClickHouse {got}\n embedded {want}"
                ))
            }
        })
        .await;
    }
    // User Look-Up: the users found, and each one's profile and stream.
    let mut lookups: Vec<String> = [
        "",
        "user_id=alice",
        "device_id=b1",
        "property=plan&value=pro",
    ]
    .iter()
    .map(|q| format!("/users?{q}"))
    .collect();
    for id in ["alice", "bob", "erin", "zoe"] {
        lookups.push(format!("/users/{id}"));
    }
    lookups.push("/users/b1?by=device_id".into());
    for path in lookups {
        let want = embedded.get(&path).await;
        eventually(Duration::from_secs(30), async || {
            let got = shared.get(&path).await;
            if got == want {
                Ok(())
            } else {
                Err(format!(
                    "{path}:\n on ClickHouse {got:?}\n embedded {want:?}"
                ))
            }
        })
        .await;
    }
}

#[tokio::test]
async fn charts_through_the_server_on_clickhouse_answer_as_the_embedded_store() {
    let clickhouse = ClickHouseServer::start().await;
    let events_url = clickhouse.url("feed");
    let embedded = TestApp::spawn_with(quick_processing).await;
    // This node stores the shop's events before it is given events_url: they, and its
    // recorded sessions, are handed on when it is.
    let mut shared = TestApp::spawn_with(quick_processing).await;
    load_shop(&embedded).await;
    load_shop(&shared).await;
    // Processed, so their derived events are stored before charts are compared.
    for app in [&embedded, &shared] {
        for (device, session) in recorded() {
            app.settled(&replay_id(&device, session)).await;
        }
    }
    shared
        .restart_with(|c| c.events_url = Some(events_url.clone()))
        .await;
    until_alike(&shared, &embedded).await;

    // Events stored from now on are handed on as they come.
    let later = json!({"api_key": KEY, "events": [
        {"event_type": "View", "user_id": "zoe", "device_id": "z1", "time": 1_767_600_000_000i64,
         "session_id": 1_767_600_000_000i64, "insert_id": "zoe-1", "event_properties": {"category": "tents", "price": 99}},
        {"event_type": "Add to cart", "user_id": "zoe", "device_id": "z1", "time": 1_767_600_060_000i64,
         "session_id": 1_767_600_000_000i64, "event_properties": {"price": 99}},
    ]});
    for app in [&embedded, &shared] {
        let (status, body) = json_of(app.httpapi(&later).await).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    until_alike(&shared, &embedded).await;

    // A restart: the feed goes on from where it stopped.
    shared.restart().await;
    let last = json!({"api_key": KEY, "events": [
        {"event_type": "Checkout", "user_id": "zoe", "device_id": "z1", "time": 1_767_600_120_000i64,
         "session_id": 1_767_600_000_000i64, "insert_id": "zoe-3"},
    ]});
    for app in [&embedded, &shared] {
        let (status, body) = json_of(app.httpapi(&last).await).await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    until_alike(&shared, &embedded).await;

    // A person's data deleted on request: gone from charts, the Microscope and look-up on
    // ClickHouse as on the embedded store.
    for app in [&embedded, &shared] {
        let (status, erased) = app
            .call(Method::DELETE, "/projects/1/users/bob", None)
            .await;
        assert_eq!(status, StatusCode::OK, "{erased}");
    }
    until_alike(&shared, &embedded).await;

    // A replay deleted: its derived events leave charts, and its session the Microscope's
    // "with replays", on ClickHouse as on the embedded store; recorded again, they come back
    // (the same derived events, in the session's next generation).
    let (device, session) = recorded().remove(0);
    let id = replay_id(&device, session);
    let before = page_views(&embedded).await;
    for app in [&embedded, &shared] {
        let (status, body) = app
            .call(Method::DELETE, &format!("/replays/{id}?project=1"), None)
            .await;
        assert_eq!(status, StatusCode::NO_CONTENT, "{body}");
    }
    assert_ne!(page_views(&embedded).await, before, "the deletion counts");
    until_alike(&shared, &embedded).await;
    for app in [&embedded, &shared] {
        app.track_ok(
            &device,
            session,
            &[
                meta(session, "https://shop.test/"),
                full_snapshot(session + 1),
                mouse_move(session + 2_000, 10),
            ],
        )
        .await;
        app.settled(&id).await;
    }
    assert_eq!(page_views(&embedded).await, before, "recorded again");
    until_alike(&shared, &embedded).await;
}
