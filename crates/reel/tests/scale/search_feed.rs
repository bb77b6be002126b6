//! Replay search through the server on ClickHouse (`events_url`): a node hands its events,
//! session text and replays (as they change: uploads, signals, deletions) on to ClickHouse
//! and answers replay search there — the same pages as a node that searches its SQLite, for
//! the same real recordings processed to the end (clicks, rage, dead and error clicks,
//! errors, on-screen and console text), after new uploads, after a replay was deleted and
//! across a restart of the node.
//!
//! Both nodes read one `ManualClock`, so what they store of the time (last upload) is alike;
//! processing runs at once (`quick_processing`). Nothing sleeps: each comparison asks again
//! until the feed has handed everything on, within a deadline.

use std::sync::Arc;
use std::time::Duration;

use reel_engine::ManualClock;
use reel_engine::store::SessionRef;
use reel_engine::store::clickhouse::{ClickHouseSearch, ReplayFields};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::clickhouse_server::ClickHouseServer;
use crate::support::*;

/// 2026-01-07 00:00 UTC: after the shop's events (5 and 6 January).
const T0: i64 = 1_767_744_000_000;
const MINUTE: i64 = 60_000;
const START: &str = "2026-01-01T00:00:00Z";
const END: &str = "2026-01-08T00:00:00Z";

/// A checkout page: a "Pay now" button, a "Help" link that does nothing, an email field.
fn checkout_page(ts: i64, path: &str) -> Vec<String> {
    let snapshot = json!({"type": 2, "timestamp": ts, "data": {"initialOffset": {"top": 0, "left": 0},
    "node": {"type": 0, "id": 1, "childNodes": [
        {"type": 1, "id": 2, "name": "html", "publicId": "", "systemId": ""},
        {"type": 2, "id": 3, "tagName": "html", "attributes": {}, "childNodes": [
            {"type": 2, "id": 4, "tagName": "body", "attributes": {}, "childNodes": [
                {"type": 2, "id": 10, "tagName": "button", "attributes": {"id": "pay", "class": "btn primary"},
                 "childNodes": [{"type": 3, "id": 11, "textContent": "Pay now"}]},
                {"type": 2, "id": 20, "tagName": "a", "attributes": {"href": "#help", "class": "nav"},
                 "childNodes": [{"type": 3, "id": 21, "textContent": "Help"}]},
                {"type": 2, "id": 32, "tagName": "input", "attributes": {"id": "email", "type": "email"}, "childNodes": []},
                {"type": 2, "id": 40, "tagName": "p", "attributes": {},
                 "childNodes": [{"type": 3, "id": 41, "textContent": "Secure checkout by Example Pay"}]}
            ]}
        ]}
    ]}}});
    vec![
        meta(ts, &format!("https://shop.test{path}")),
        snapshot.to_string(),
    ]
}

/// A visit of `kind`: "rage" (three quick clicks on "Pay now" that throw, a dead click on
/// the Help link, typing, a failed request, a console warning), "calm" (a click on Help and
/// a log line), "typing" (an email typed, a long stay).
fn visit(t: i64, kind: &str) -> Vec<String> {
    match kind {
        "rage" => {
            let mut events = checkout_page(t, "/checkout?step=2");
            events.extend([
                click(t + 1_000, 11, 100, 200),
                click(t + 1_300, 11, 104, 202),
                console(t + 1_400, "error", "Uncaught Error: payment widget crashed"),
                click(t + 1_600, 11, 101, 199),
                click(t + 5_000, 21, 300, 400),
                input(t + 9_000, 32, "*"),
                input(t + 9_200, 32, "**"),
                failed_request(t + 11_000),
                console(t + 11_500, "warn", "slow network"),
                mouse_move(t + 14_000, 5),
            ]);
            events
        }
        "calm" => {
            let mut events = checkout_page(t, "/cart");
            events.extend([
                click(t + 2_000, 21, 300, 400),
                console(t + 2_500, "log", "order #42 shipped"),
                mouse_move(t + 4_000, 5),
            ]);
            events
        }
        _ => {
            let mut events = checkout_page(t, "/account");
            events.extend((1..6).map(|i| input(t + i * 700, 32, &"*".repeat(i as usize))));
            events.push(mouse_move(t + 40_000, 7));
            events
        }
    }
}

/// The recorded visits: (device, session start, kind, user, plan).
fn visits() -> Vec<(
    &'static str,
    i64,
    &'static str,
    Option<&'static str>,
    &'static str,
)> {
    vec![
        ("v-ann", T0 - 90 * MINUTE, "rage", Some("ann"), "pro"),
        ("v-ben", T0 - 80 * MINUTE, "calm", Some("ben"), "free"),
        ("v-cat", T0 - 70 * MINUTE, "typing", None, "pro"),
        ("v-dan", T0 - 60 * MINUTE, "rage", Some("dan"), "free"),
        ("v-eve", T0 - 50 * MINUTE, "calm", None, "trial"),
    ]
}

/// Uploads a visit and its analytics events (a page view with the user and their plan) to
/// `app`.
async fn record(
    app: &TestApp,
    device: &str,
    start: i64,
    kind: &str,
    user: Option<&str>,
    plan: &str,
) {
    let mut event = json!({"event_type": "Checkout", "device_id": device, "session_id": start,
        "time": start + 500, "insert_id": format!("{device}-checkout"),
        "event_properties": {"step": 2, "kind": kind}, "user_properties": {"$set": {"plan": plan}}});
    if let Some(user) = user {
        event["user_id"] = json!(user);
    }
    let (status, body) = json_of(
        app.httpapi(&json!({"api_key": KEY, "events": [event]}))
            .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // In one upload: processing that ran between two uploads of a visit may judge a click
    // at their border differently (on either node), which is not what this test compares.
    app.track_ok(device, start, &visit(start, kind)).await;
}

/// Searches covering facts, URLs, country, events, clicked elements, text and user
/// properties.
fn cases() -> Vec<Value> {
    let f = |filter: Value| json!({"filters": [filter]});
    vec![
        json!({}),
        json!({"q": "payment widget"}),
        json!({"q": "secure checkout"}),
        json!({"q": "nothing like this"}),
        f(json!({"field": "rage_click_count", "op": "exists"})),
        f(json!({"field": "click_count", "op": "greater_than", "values": [1]})),
        f(json!({"field": "error_count", "op": "greater_than", "values": [0]})),
        f(json!({"field": "duration_ms", "op": "greater_than", "values": [10000]})),
        f(json!({"field": "viewport_width", "op": "exists"})),
        f(json!({"field": "url", "op": "contains", "values": ["checkout"]})),
        f(json!({"field": "url", "op": "starts_with", "values": ["https://shop.test/"]})),
        f(json!({"field": "country", "op": "does_not_exist"})),
        f(json!({"field": "country", "op": "is", "values": ["DE"], "negate": true})),
        f(json!({"field": "user_id", "op": "is", "values": ["ann", "dan"]})),
        f(json!({"field": "user_id", "op": "does_not_exist"})),
        f(json!({"field": "event", "name": "Checkout"})),
        f(json!({"field": "event", "name": "View", "negate": true})),
        f(json!({"field": "event", "name": "Checkout",
                 "where": [{"property": "kind", "op": "is", "values": ["rage"]}]})),
        f(json!({"field": "clicked_element", "selector": "button#pay"})),
        f(json!({"field": "clicked_element", "selector": "#pay", "signal": "rage"})),
        f(json!({"field": "clicked_element", "selector": "a.nav", "signal": "dead"})),
        f(json!({"field": "clicked_element", "op": "is", "values": ["Pay now"]})),
        f(json!({"field": "console_message", "op": "contains", "values": ["slow network"]})),
        f(json!({"field": "console_message", "op": "exists", "negate": true})),
        f(json!({"field": "user_property", "property": "plan", "op": "is", "values": ["pro"]})),
        f(json!({"field": "user_property", "property": "plan", "op": "does_not_exist"})),
        json!({"q": "order", "filters": [{"field": "user_property", "property": "plan", "op": "exists"}]}),
    ]
}

/// Every page of a search, following the node's own cursors to the end: each page's
/// replays and total (a cursor names the node's own session numbers, so it is not compared).
async fn pages(
    app: &TestApp,
    case: &Value,
    sort: &str,
    order: &str,
    limit: u32,
) -> Result<Vec<Value>, String> {
    let mut body = case.clone();
    body["start"] = json!(START);
    body["end"] = json!(END);
    body["sort"] = json!(sort);
    body["order"] = json!(order);
    body["limit"] = json!(limit);
    let mut out = Vec::new();
    loop {
        let (status, page) = app.send(Method::POST, "/replays/search", Some(&body)).await;
        if status != StatusCode::OK {
            return Err(format!("{body}: {status} {page}"));
        }
        out.push(json!([page["replays"], page["total"]]));
        match page["next_cursor"].as_str() {
            Some(cursor) if out.len() < 50 => body["cursor"] = json!(cursor),
            Some(_) => return Err(format!("{body}: more than 50 pages")),
            None => return Ok(out),
        }
    }
}

/// Waits until every search answers on `shared` (ClickHouse) as on `embedded`, page by page,
/// in each sort order; returns how many replays the embedded node listed in all.
async fn until_alike(shared: &TestApp, embedded: &TestApp) -> usize {
    let mut listed = 0;
    for case in cases() {
        for (sort, order, limit) in [
            ("start_time", "desc", 100),
            ("start_time", "asc", 2),
            ("duration", "desc", 3),
            ("active_time", "asc", 2),
            ("errors", "desc", 1),
        ] {
            let want = pages(embedded, &case, sort, order, limit).await.unwrap();
            listed += want
                .iter()
                .map(|p| p[0].as_array().map_or(0, Vec::len))
                .sum::<usize>();
            eventually(Duration::from_secs(60), async || {
                let got = pages(shared, &case, sort, order, limit).await?;
                if got == want {
                    Ok(())
                } else {
                    Err(format!(
                        "{case} {sort} {order} {limit}:\n on ClickHouse {got:?}\n embedded {want:?}"
                    ))
                }
            })
            .await;
        }
    }
    // The same search on GET.
    let query =
        format!("/replays?start={START}&end={END}&q=checkout&sort=errors&order=desc&limit=3");
    let want = embedded.get(&query).await;
    assert_eq!(want.0, StatusCode::OK, "{want:?}");
    eventually(Duration::from_secs(60), async || {
        let got = shared.get(&query).await;
        if got.1["replays"] == want.1["replays"] && got.1["total"] == want.1["total"] {
            Ok(())
        } else {
            Err(format!(
                "{query}:\n on ClickHouse {got:?}\n embedded {want:?}"
            ))
        }
    })
    .await;
    listed
}

/// Processing has finished every replay on both nodes.
async fn settle(apps: [&TestApp; 2], sessions: &[(&str, i64)]) {
    for app in apps {
        for (device, session) in sessions {
            app.settled(&replay_id(device, *session)).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_search_through_the_server_on_clickhouse_answers_as_the_embedded_store() {
    let clickhouse = ClickHouseServer::start().await;
    let events_url = clickhouse.url("search_feed");
    let clock = Arc::new(ManualClock::at(T0));
    let embedded = TestApp::spawn_with_clock(clock.clone(), quick_processing).await;
    let mut shared = TestApp::spawn_with_clock(clock.clone(), |c| {
        quick_processing(c);
        c.events_url = Some(events_url.clone());
    })
    .await;
    let shop = [("a1", 1_767_607_200_000), ("b1", 1_767_697_200_000)];
    let mut sessions: Vec<(&str, i64)> = shop.to_vec();
    for app in [&embedded, &shared] {
        load_shop(app).await;
        for (device, start, kind, user, plan) in visits().into_iter().take(4) {
            record(app, device, start, kind, user, plan).await;
        }
    }
    sessions.extend(visits().iter().take(4).map(|v| (v.0, v.1)));
    settle([&embedded, &shared], &sessions).await;
    let listed = until_alike(&shared, &embedded).await;
    // Not alike by being empty: the searches find the recorded sessions.
    assert!(listed > 100, "the searches list {listed} replays in all");
    let rage =
        json!({"filters": [{"field": "clicked_element", "selector": "#pay", "signal": "rage"}]});
    let found = pages(&embedded, &rage, "start_time", "desc", 100)
        .await
        .unwrap();
    assert_eq!(
        found[0][1],
        json!(2),
        "both rage visits have a rage click: {found:?}"
    );

    // New uploads: a new session, and more of an existing one (a new page, more clicks).
    clock.set(T0 + 10 * MINUTE);
    let (device, start, kind, user, plan) = visits()[4];
    let more = [
        click(T0 - 60 * MINUTE + 20_000, 11, 100, 200),
        console(
            T0 - 60 * MINUTE + 21_000,
            "error",
            "Uncaught TypeError: total is undefined",
        ),
        mouse_move(T0 - 60 * MINUTE + 30_000, 9),
    ];
    for app in [&embedded, &shared] {
        record(app, device, start, kind, user, plan).await;
        app.track_ok("v-dan", T0 - 60 * MINUTE, &more).await;
    }
    sessions.push((device, start));
    settle([&embedded, &shared], &sessions).await;
    until_alike(&shared, &embedded).await;

    // A replay deleted: neither finds it any more, nor its derived events and text.
    let gone = replay_id("v-ann", T0 - 90 * MINUTE);
    for app in [&embedded, &shared] {
        assert_eq!(
            app.delete(&format!("/replays/{gone}")).await,
            StatusCode::NO_CONTENT
        );
    }
    sessions.retain(|s| s.0 != "v-ann");
    until_alike(&shared, &embedded).await;
    let found = pages(&shared, &rage, "start_time", "desc", 100)
        .await
        .unwrap();
    assert_eq!(
        found[0][1],
        json!(1),
        "the deleted replay is not found: {found:?}"
    );

    // A restart: the feed goes on from where it stopped.
    shared.restart().await;
    clock.set(T0 + 20 * MINUTE);
    for app in [&embedded, &shared] {
        record(app, "v-fay", T0 + 5 * MINUTE, "rage", Some("fay"), "pro").await;
    }
    sessions.push(("v-fay", T0 + 5 * MINUTE));
    settle([&embedded, &shared], &sessions).await;
    until_alike(&shared, &embedded).await;

    // A person's data deleted on request: their replays are gone from search on ClickHouse
    // as on the embedded store.
    for app in [&embedded, &shared] {
        let (status, erased) = app
            .call(Method::DELETE, "/projects/1/users/dan", None)
            .await;
        assert_eq!(status, StatusCode::OK, "{erased}");
    }
    until_alike(&shared, &embedded).await;
    let dan = json!({"filters": [{"field": "user_id", "op": "is", "values": ["dan"]}]});
    let found = pages(&shared, &dan, "start_time", "desc", 10)
        .await
        .unwrap();
    assert_eq!(found[0][1], json!(0), "{found:?}");

    // The answers were ClickHouse's: fields of a replay written there by another writer
    // decide what the node with `events_url` finds (and not the other), while what a page
    // shows is the replay as the store has it.
    let other = ClickHouseSearch::open(&events_url)
        .await
        .expect("ClickHouse opens");
    let (device, start) = shop[0];
    let id = reel_engine::ReplayId::of(device, start);
    let replay = shared
        .meta
        .replay(1, &id)
        .await
        .unwrap()
        .expect("a shop replay");
    let mut fields = ReplayFields::of_replay(&replay, 0);
    fields.urls.push("https://shop.test/elsewhere".into());
    let session = SessionRef {
        project_id: 1,
        device_id: device.into(),
        session_id: start,
    };
    other.put_replay(&session, &fields).await.unwrap();
    let elsewhere =
        json!({"filters": [{"field": "url", "op": "contains", "values": ["elsewhere"]}]});
    let found = pages(&shared, &elsewhere, "start_time", "desc", 10)
        .await
        .unwrap();
    assert_eq!(found[0][1], json!(1), "{found:?}");
    assert_eq!(found[0][0][0]["urls"], json!(replay.urls), "{found:?}");
    let found = pages(&embedded, &elsewhere, "start_time", "desc", 10)
        .await
        .unwrap();
    assert_eq!(found[0][1], json!(0), "{found:?}");
}
