//! Charts on ClickHouse (`events_url = clickhouse://…`) give the embedded store's answers: the
//! same events written into a `SqliteStore` and into `ClickHouseEvents` on a real ClickHouse,
//! then a table of charts — every segmentation measure, group-bys of event and user
//! properties, filters of every kind, funnels in both orders and at the window's edge, User
//! Sessions, Pathfinders both ways, the Journey Map, experiments — and the Microscope's pages
//! behind every data point of each answer, asked of both and compared whole.
//!
//! Two data sets: the hand-counted shop (`testdata/analytics/shop.json`, whose counts
//! `tests/it/analytics.rs` checks), and one made here for what the shop lacks: user properties
//! set, added to and unset by identify operations, an anonymous device's properties merged into
//! the user who signs in on it, a device passed between users, and property names, values and
//! event names made to break out of SQL (quotes, backslashes, newlines).

use reel_engine::store::clickhouse::ClickHouseEvents;
use reel_engine::store::prelude::*;
use reel_engine::store::{AnalyticsEvent, ImportedSession, SessionRef};
use reel_query::chart::wire::{ChartSpec, DataPointSpec, MicroscopeRequest};
use reel_query::chart::{ChartContext, parse_chart, parse_point, parse_session_page};
use serde_json::{Value, json};

use crate::clickhouse_server::{ClickHouseServer, embedded_with_project};

const DAY1: &str = "2026-01-05";
const DAY2: &str = "2026-01-06";
/// 2026-01-05 00:00 UTC.
const T0: i64 = 1_767_571_200_000;
const HOUR: i64 = 3_600_000;

/// An event as the HTTP API's JSON gives it.
fn event(e: &Value) -> AnalyticsEvent {
    let text = |k: &str| e.get(k).and_then(Value::as_str).map(str::to_owned);
    let object = |k: &str| e.get(k).map_or_else(|| "{}".to_owned(), Value::to_string);
    AnalyticsEvent {
        insert_id: text("insert_id"),
        event_type: text("event_type").expect("event_type"),
        time_ms: e["time"].as_i64().expect("time"),
        device_id: text("device_id"),
        user_id: text("user_id"),
        session_id: e.get("session_id").and_then(Value::as_i64),
        event_properties: object("event_properties"),
        user_properties: object("user_properties"),
        raw: e.to_string(),
        display_name: None,
        derived: e.get("derived").and_then(Value::as_bool).unwrap_or(false),
    }
}

fn shop() -> (Vec<AnalyticsEvent>, Vec<(String, i64)>) {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/analytics/shop.json"
    );
    let shop: Value = serde_json::from_str(&std::fs::read_to_string(path).expect("shop.json"))
        .expect("shop.json is JSON");
    let events = ["events", "exposures"]
        .iter()
        .flat_map(|part| shop[part].as_array().expect("events").iter().map(event))
        .collect();
    let recorded = shop["recorded_sessions"]
        .as_array()
        .expect("sessions")
        .iter()
        .map(|s| {
            (
                s["device_id"].as_str().unwrap().to_owned(),
                s["session_id"].as_i64().unwrap(),
            )
        })
        .collect();
    (events, recorded)
}

/// Nasty names: each would end a string literal, or an identifier, if spliced as it is.
const QUOTE_KEY: &str = "it's \\ key";
const QUOTE_VALUE: &str = "O'Brien \\' OR 1=1 --\n\ttab";
const QUOTE_EVENT: &str = "Clicked 'Pay' \\ now";

/// The second data set: identify operations, merges, a device changing hands, escaping.
fn people() -> (Vec<AnalyticsEvent>, Vec<(String, i64)>) {
    let s = |n: i64| T0 + n * HOUR;
    let list = vec![
        // gina: anonymous on g1 with properties, then signs in (the device's events and its
        // properties she has not set become hers).
        json!({"event_type": "Open", "time": s(9), "device_id": "g1", "session_id": s(9),
               "insert_id": "p1", "user_properties": {"plan": "free", "visits": 1, "beta": true},
               "event_properties": {"screen": "home", "price": "42", QUOTE_KEY: QUOTE_VALUE}}),
        json!({"event_type": QUOTE_EVENT, "time": s(9) + 60_000, "device_id": "g1",
               "session_id": s(9), "insert_id": "p2",
               "event_properties": {"amount": 0.1, "tags": ["a", "b"], "ok": false}}),
        json!({"event_type": "$identify", "time": s(9) + 120_000, "device_id": "g1",
               "user_id": "gina", "session_id": s(9), "insert_id": "p3",
               "user_properties": {"$set": {"plan": "pro"}, "$setOnce": {"plan": "x", "city": "Oslo"},
                                   "$add": {"visits": 2}}}),
        json!({"event_type": "Buy", "time": s(9) + 180_000, "device_id": "g1", "user_id": "gina",
               "session_id": s(9), "insert_id": "p4",
               "event_properties": {"amount": 30, "currency": "EUR", QUOTE_KEY: "plain"}}),
        // hugo: signs in on g1 later (the device moves to him; gina keeps hers), unsets a
        // property, sets a JSON one.
        json!({"event_type": "Open", "time": s(12), "device_id": "g1", "user_id": "hugo",
               "session_id": s(12), "insert_id": "p5",
               "user_properties": {"$set": {"plan": "free", "langs": ["no", "en"], "visits": 7},
                                   "$unset": {"beta": "-"}},
               "event_properties": {"screen": "home", "price": 42}}),
        json!({"event_type": "Buy", "time": s(12) + 30_000, "device_id": "g1",
               "session_id": s(12), "insert_id": "p6",
               "event_properties": {"amount": 12.5, "currency": "NOK", QUOTE_KEY: QUOTE_VALUE}}),
        // Two events of hugo's in the same millisecond: arrival decides (funnel ties).
        json!({"event_type": "Open", "time": s(13), "device_id": "g1", "session_id": s(13),
               "insert_id": "p7", "event_properties": {"screen": "cart"}}),
        json!({"event_type": "Buy", "time": s(13), "device_id": "g1", "session_id": s(13),
               "insert_id": "p8", "event_properties": {"amount": -3, "currency": "EUR"}}),
        // ivan: no session, a derived event (its user properties are not applied), a
        // property value that is text of a number and one that is a big integer.
        json!({"event_type": "Open", "time": s(14), "device_id": "i1", "user_id": "ivan",
               "insert_id": "p9", "user_properties": {"plan": "team", "visits": 2.5},
               "event_properties": {"screen": "O'Brien", "price": "not a number", "n": 9007199254740993_i64}}),
        json!({"event_type": "Buy", "time": s(15), "device_id": "i1", "user_id": "ivan",
               "session_id": s(15), "insert_id": "p10", "derived": true,
               "user_properties": {"plan": "ignored"},
               "event_properties": {"amount": 100, "currency": "EUR"}}),
        json!({"event_type": QUOTE_EVENT, "time": s(15) + 5_000, "device_id": "i1",
               "user_id": "ivan", "session_id": s(15), "insert_id": "p11",
               "event_properties": {QUOTE_KEY: QUOTE_VALUE, "ok": true}}),
        // Day 2: gina back on another device; a $clearAll for ivan.
        json!({"event_type": "Open", "time": s(33), "device_id": "g2", "user_id": "gina",
               "session_id": s(33), "insert_id": "p12", "event_properties": {"screen": "home"}}),
        json!({"event_type": "Buy", "time": s(33) + 600_000, "device_id": "g2", "user_id": "gina",
               "session_id": s(33), "insert_id": "p13",
               "event_properties": {"amount": 30, "currency": "EUR"}}),
        json!({"event_type": "$identify", "time": s(34), "device_id": "i1", "user_id": "ivan",
               "insert_id": "p14", "user_properties": {"$clearAll": "-", "$set": {"plan": "solo"}}}),
        json!({"event_type": "Open", "time": s(35), "device_id": "i1", "user_id": "ivan",
               "session_id": s(35), "insert_id": "p15", "event_properties": {"screen": "home"}}),
        // Retries: the same insert ids again, in a later batch and within one batch; an
        // identify's `$add` applied twice would show in the user filters and group-bys.
        json!({"event_type": "$identify", "time": s(9) + 120_000, "device_id": "g1",
               "user_id": "gina", "session_id": s(9), "insert_id": "p3",
               "user_properties": {"$set": {"plan": "pro"}, "$setOnce": {"plan": "x", "city": "Oslo"},
                                   "$add": {"visits": 2}}}),
        json!({"event_type": "Buy", "time": s(9) + 180_000, "device_id": "g1", "user_id": "gina",
               "session_id": s(9), "insert_id": "p4",
               "event_properties": {"amount": 30, "currency": "EUR", QUOTE_KEY: "plain"}}),
        json!({"event_type": "Open", "time": s(36), "device_id": "i1", "user_id": "ivan",
               "session_id": s(35), "insert_id": "p16", "user_properties": {"$add": {"visits": 1}}}),
        json!({"event_type": "Open", "time": s(36), "device_id": "i1", "user_id": "ivan",
               "session_id": s(35), "insert_id": "p16", "user_properties": {"$add": {"visits": 1}}}),
    ];
    (
        list.iter().map(event).collect(),
        vec![("g1".to_owned(), s(9)), ("i1".to_owned(), s(35))],
    )
}

fn f(property: &str, op: &str, values: Value) -> Value {
    json!({"property": property, "op": op, "values": values})
}

/// The charts asked of both stores (each of every project).
pub(crate) fn charts() -> Vec<Value> {
    let range = json!({"start": DAY1, "end": DAY2});
    let with = |mut v: Value| {
        v.as_object_mut()
            .unwrap()
            .extend(range.as_object().unwrap().clone());
        v
    };
    let ev = |name: &str| json!({"event_type": name});
    let evf = |name: &str, filters: Value| json!({"event_type": name, "filters": filters});
    let mut list = Vec::new();
    for measure in ["uniques", "totals", "active_pct", "average", "frequency"] {
        for events in [
            json!([ev("View")]),
            json!([ev("Open"), ev("Buy"), ev(QUOTE_EVENT)]),
        ] {
            list.push(with(
                json!({"kind": "segmentation", "events": events, "measure": measure}),
            ));
        }
    }
    for (property, aggregate) in [
        ("price", "sum"),
        ("price", "average"),
        ("category", "distinct"),
        ("amount", "sum"),
        ("amount", "average"),
        ("currency", "distinct"),
        (QUOTE_KEY, "distinct"),
    ] {
        list.push(with(json!({"kind": "segmentation",
            "events": [ev("View"), ev("Buy"), ev(QUOTE_EVENT), ev("Open")],
            "measure": "property", "property": {"property": property, "aggregate": aggregate}})));
    }
    for (property, scope, limit) in [
        ("category", "event", 2),
        ("category", "event", 10),
        ("currency", "event", 5),
        (QUOTE_KEY, "event", 5),
        ("plan", "user", 5),
        ("visits", "user", 1),
        ("langs", "user", 5),
        ("flag", "event", 5),
    ] {
        list.push(with(json!({"kind": "segmentation",
            "events": [ev("View"), ev("Buy"), ev("Open"), ev(QUOTE_EVENT)],
            "group_by": {"property": property, "scope": scope, "limit": limit}})));
    }
    let event_filters = [
        json!([f("category", "is", json!(["tents"]))]),
        json!([f("category", "is", json!(["tents", "boots"]))]),
        json!([f("category", "is_not", json!(["tents"]))]),
        json!([f("category", "contains", json!(["TEN"]))]),
        json!([f("category", "does_not_contain", json!(["o"]))]),
        json!([f("category", "exists", json!([]))]),
        json!([f("category", "does_not_exist", json!([]))]),
        json!([f("price", "greater_than", json!([50]))]),
        json!([f("price", "less_than", json!([60]))]),
        json!([f("price", "between", json!([50, 100]))]),
        json!([f("price", "is", json!(["42"]))]),
        json!([f("price", "is", json!([42]))]),
        json!([f("price", "is_not", json!([100]))]),
        json!([f("amount", "is", json!([0.1]))]),
        json!([f("amount", "greater_than", json!([0]))]),
        json!([f("ok", "is", json!([false]))]),
        json!([f("ok", "is", json!(["true"]))]),
        json!([f("tags", "contains", json!(["A"]))]),
        json!([f("screen", "is", json!(["O'Brien"]))]),
        json!([f(QUOTE_KEY, "is", json!([QUOTE_VALUE]))]),
        json!([f(QUOTE_KEY, "is_not", json!([QUOTE_VALUE]))]),
        json!([f(QUOTE_KEY, "contains", json!(["o'b"]))]),
        json!([
            f("currency", "is", json!(["EUR"])),
            f("amount", "greater_than", json!([10]))
        ]),
    ];
    for filters in &event_filters {
        list.push(with(json!({"kind": "segmentation", "measure": "totals",
            "events": [evf("View", filters.clone()), evf("Open", filters.clone()),
                       evf("Buy", filters.clone()), evf(QUOTE_EVENT, filters.clone())]})));
    }
    let user_filters = [
        json!([f("plan", "is", json!(["pro"]))]),
        json!([f("plan", "is_not", json!(["pro"]))]),
        json!([f("visits", "greater_than", json!([2]))]),
        json!([f("city", "exists", json!([]))]),
        json!([f("beta", "does_not_exist", json!([]))]),
        json!([f("langs", "contains", json!(["EN"]))]),
    ];
    for filters in &user_filters {
        list.push(with(json!({"kind": "segmentation",
            "events": [ev("View"), ev("Open"), ev("Buy")], "user_filters": filters})));
        list.push(with(json!({"kind": "sessions", "user_filters": filters})));
    }
    let steps = [
        json!([ev("View"), ev("Add to cart"), ev("Checkout")]),
        json!([
            evf("View", json!([f("category", "is", json!(["tents"]))])),
            ev("Add to cart"),
            ev("Checkout")
        ]),
        json!([ev("Open"), ev("Buy")]),
        json!([
            ev("Open"),
            evf("Buy", json!([f("currency", "is", json!(["EUR"]))])),
            ev("Open")
        ]),
        json!([ev("Open"), ev(QUOTE_EVENT), ev("Buy")]),
    ];
    for s in &steps {
        for order in ["this", "any"] {
            for window in [86_400_000_i64, 60_000, 1_000] {
                list.push(with(json!({"kind": "funnel", "steps": s, "order": order,
                    "conversion_window_ms": window})));
            }
            list.push(with(json!({"kind": "funnel", "steps": s, "order": order,
                "group_by": {"property": "category", "scope": "event", "limit": 2}})));
            list.push(with(json!({"kind": "funnel", "steps": s, "order": order,
                "group_by": {"property": "plan", "scope": "user"}})));
        }
    }
    for interval in ["hour", "day"] {
        list.push(with(json!({"kind": "sessions", "interval": interval})));
    }
    for anchor in ["start_event", "end_event"] {
        for (event, collapse, exclude) in [
            (ev("View"), false, json!([])),
            (ev("Open"), true, json!([])),
            (ev("Open"), false, json!(["Buy"])),
            (ev("Checkout"), true, json!([])),
            (
                evf("Open", json!([f("screen", "is", json!(["home"]))])),
                true,
                json!([]),
            ),
        ] {
            for steps in [2, 3, 5] {
                list.push(with(
                    json!({"kind": "journeys", anchor: event, "steps": steps,
                    "collapse_repeats": collapse, "exclude_events": exclude}),
                ));
            }
        }
    }
    for (collapse, exclude) in [(true, json!([])), (false, json!(["Open"]))] {
        list.push(with(json!({"kind": "journeys", "view": "journey_map",
            "collapse_repeats": collapse, "exclude_events": exclude})));
    }
    for goal in [
        ev("Purchase"),
        ev("Checkout"),
        evf("Checkout", json!([f("x", "exists", json!([]))])),
    ] {
        list.push(with(
            json!({"kind": "experiment", "flag_key": "checkout-button", "goal": goal}),
        ));
        list.push(with(
            json!({"kind": "experiment", "goal": goal, "control": "treatment",
            "confidence": 0.9}),
        ));
    }
    list
}

/// Every data point of an answer the Microscope can be asked about.
pub(crate) fn points(spec: &Value, answer: &Value) -> Vec<Value> {
    let mut out = vec![];
    let array = |v: &Value| v.as_array().cloned().unwrap_or_default();
    match spec["kind"].as_str().unwrap() {
        "segmentation" => {
            let first_bucket = answer["buckets"][0]["start_ms"].clone();
            for s in array(&answer["series"]) {
                let mut p = json!({"event_index": s["event_index"]});
                for k in ["group", "bin"] {
                    if !s[k].is_null() {
                        p[k] = s[k].clone();
                    }
                }
                out.push(p.clone());
                p["bucket_ms"] = first_bucket.clone();
                out.push(p);
            }
        }
        "funnel" => {
            let groups: Vec<Value> = std::iter::once(Value::Null)
                .chain(
                    array(&answer["groups"])
                        .into_iter()
                        .map(|g| g["group"].clone()),
                )
                .collect();
            for g in groups {
                for step in 0..array(&answer["steps"]).len() {
                    for part in ["converted", "dropped"] {
                        if step == 0 && part == "dropped" {
                            continue;
                        }
                        let mut p = json!({"step": step, "part": part});
                        if !g.is_null() {
                            p["group"] = g.clone();
                        }
                        out.push(p);
                    }
                }
            }
        }
        "sessions" => {
            out.push(json!({}));
            out.push(json!({"bucket_ms": answer["buckets"][0]["start_ms"]}));
            for b in array(&answer["length_distribution"]) {
                out.push(json!({"bin": b["label"]}));
            }
        }
        "journeys" => {
            for p in array(&answer["paths"]) {
                out.push(json!({"path": p["events"]}));
            }
            for n in array(&answer["nodes"]) {
                out.push(json!({"path": [n["event_type"]]}));
            }
            for e in array(&answer["edges"]) {
                out.push(json!({"path": [e["from"], e["to"]]}));
            }
        }
        "experiment" => {
            for v in array(&answer["variants"]) {
                out.push(json!({"variant": v["variant"]}));
                for converted in [true, false] {
                    out.push(json!({"variant": v["variant"], "converted": converted}));
                }
            }
        }
        other => panic!("no points for {other}"),
    }
    out
}

/// A page with its cursor as whether there is one: cursors name each store's own rows.
pub(crate) fn comparable(mut page: Value) -> (Value, Option<String>) {
    let cursor = page["next_cursor"].as_str().map(str::to_owned);
    page["next_cursor"] = json!(cursor.is_some());
    (page, cursor)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn charts_on_clickhouse_answer_as_the_embedded_store_does() {
    let server = ClickHouseServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    // Every statement with its rows, for `scripts/clickhouse-statements.py` to run again on a
    // current ClickHouse: where REEL_CLICKHOUSE_STATEMENTS says, else beside the test's data.
    let log = std::env::var_os("REEL_CLICKHOUSE_STATEMENTS")
        .map_or_else(|| dir.path().join("statements.jsonl"), Into::into);
    let _ = std::fs::remove_file(&log);
    let url = server.url("reel_charts");
    let mut ch = ClickHouseEvents::open_logging(&url, Some(&log))
        .await
        .expect("ClickHouse opens");
    let (sqlite, first) = embedded_with_project(dir.path()).await;
    let second = sqlite
        .create_project(first.organization_id, "people", "k2", T0)
        .await
        .unwrap();
    let projects = [(first.id, shop()), (second.id, people())];
    for (project, (events, recorded)) in &projects {
        // The recordings first: the embedded store brings in only sessions it does not have.
        for (device, session) in recorded {
            let session_ref = SessionRef {
                project_id: *project,
                device_id: device.clone(),
                session_id: *session,
            };
            sqlite
                .import_sessions(
                    vec![ImportedSession {
                        session: session_ref,
                        start_ms: *session,
                        end_ms: *session + 60_000,
                        first_url: None,
                        country: None,
                        user_agent: None,
                        facts: Default::default(),
                        urls: Vec::new(),
                        viewport: None,
                        events: Vec::new(),
                        texts: Vec::new(),
                    }],
                    T0,
                )
                .await
                .unwrap();
            ch.mark_replay(*project, device, *session).await.unwrap();
        }
        // In batches, as uploads come: state carried between batches must be the same.
        let batches: Vec<&[AnalyticsEvent]> = events.chunks(5).collect();
        for (i, batch) in batches.iter().enumerate() {
            if i == batches.len() / 2 {
                // A restart half-way: the new node's cache is empty, so what it decides next
                // (merges, properties, sessions' users) comes from what ClickHouse kept.
                ch = ClickHouseEvents::open_logging(&url, Some(&log))
                    .await
                    .expect("ClickHouse opens again");
            }
            sqlite
                .add_events(*project, batch.to_vec(), T0)
                .await
                .unwrap();
            ch.record(*project, batch).await.unwrap();
        }
    }
    let cx = ChartContext {
        timezone: chrono_tz::Tz::UTC,
        now_ms: T0 + 7 * 24 * HOUR,
    };
    let unlisted = ClickHouseEvents::open(&url)
        .await
        .unwrap()
        .with_path_users_listed(0);
    let (mut compared, mut pages, mut nonempty) = (0, 0, 0);
    for (project, _) in &projects {
        for spec in charts() {
            let parsed: ChartSpec = serde_json::from_value(spec.clone()).expect("a chart spec");
            let chart = parse_chart(&parsed, &cx).unwrap_or_else(|e| panic!("{spec}: {e:?}"));
            let want =
                serde_json::to_value(sqlite.chart(*project, chart.clone()).await.unwrap()).unwrap();
            let got =
                serde_json::to_value(ch.chart(*project, chart.clone()).await.unwrap()).unwrap();
            assert_eq!(got, want, "project {project}, chart {spec}");
            compared += 1;
            if spec["kind"] == "journeys" {
                // The other way a Pathfinder reads: every event of the span, users kept in Rust.
                let got =
                    serde_json::to_value(unlisted.chart(*project, chart.clone()).await.unwrap())
                        .unwrap();
                assert_eq!(
                    got, want,
                    "project {project}, no users listed, chart {spec}"
                );
            }
            for point in points(&spec, &want) {
                let point_spec: DataPointSpec =
                    serde_json::from_value(point.clone()).expect("a point");
                let point_parsed = parse_point(&chart, &point_spec)
                    .unwrap_or_else(|e| panic!("{spec} {point}: {e:?}"));
                for with_replays in [false, true] {
                    let request = |cursor: Option<String>| MicroscopeRequest {
                        chart: parsed.clone(),
                        point: point_spec.clone(),
                        with_replays,
                        limit: Some(2),
                        cursor,
                    };
                    let (mut want_cursor, mut got_cursor) = (None, None);
                    // Every page, following each store's own cursor.
                    for page_number in 0..50 {
                        let want_page = parse_session_page(&request(want_cursor.clone())).unwrap();
                        let got_page = parse_session_page(&request(got_cursor.clone())).unwrap();
                        let (want, next_want) = comparable(
                            serde_json::to_value(
                                sqlite
                                    .chart_sessions(
                                        *project,
                                        chart.clone(),
                                        point_parsed.clone(),
                                        want_page,
                                    )
                                    .await
                                    .unwrap(),
                            )
                            .unwrap(),
                        );
                        let (got, next_got) = comparable(
                            serde_json::to_value(
                                ch.chart_sessions(
                                    *project,
                                    chart.clone(),
                                    point_parsed.clone(),
                                    got_page,
                                )
                                .await
                                .unwrap(),
                            )
                            .unwrap(),
                        );
                        assert_eq!(
                            got, want,
                            "project {project}, chart {spec}, point {point}, replays {with_replays}, page {page_number}"
                        );
                        pages += 1;
                        if want["sessions"].as_array().is_some_and(|s| !s.is_empty()) {
                            nonempty += 1;
                        }
                        (want_cursor, got_cursor) = (next_want, next_got);
                        if want_cursor.is_none() {
                            break;
                        }
                    }
                }
            }
        }
    }
    // The comparison covered something: answers and pages with sessions in them.
    assert!(compared > 100, "{compared} charts compared");
    assert!(
        nonempty > 100,
        "{nonempty} of {pages} pages listed sessions"
    );
    eprintln!("{compared} charts and {pages} Microscope pages ({nonempty} with sessions) alike");
    let logged = std::fs::read_to_string(&log).expect("the statements' log");
    assert!(
        logged.lines().count() > 1_000
            && logged
                .lines()
                .all(|l| serde_json::from_str::<Value>(l).is_ok()),
        "the statements' log holds a JSON object a line"
    );
}

#[tokio::test]
async fn quoted_text_comes_back_from_clickhouse_as_it_was() {
    let server = ClickHouseServer::start().await;
    let ch = reel_engine::store::clickhouse::ClickHouse::connect(&server.url("reel_quoting"))
        .await
        .expect("ClickHouse answers");
    let mut cases: Vec<String> = (0u8..128).map(|b| char::from(b).to_string()).collect();
    cases.extend(
        [
            "",
            "\\'",
            "'\\",
            "\\x41",
            "\\N",
            "\\",
            "\\0",
            "a'); DROP TABLE chart_events; --",
            "O'Brien \\' OR 1=1 --\n\ttab",
            "é ß 中文 🎉",
            "\u{0}\u{1f}\u{7f}",
        ]
        .map(str::to_owned),
    );
    cases.push((0u8..128).map(char::from).collect());
    for text in cases {
        assert_eq!(ch.echo(&text).await.unwrap(), text, "{text:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nodes_starting_at_once_both_find_the_tables_and_charts_keep_their_deadline() {
    let server = ClickHouseServer::start().await;
    for round in 0..5 {
        let url = server.url(&format!("reel_start_{round}"));
        let (a, b) = tokio::join!(ClickHouseEvents::open(&url), ClickHouseEvents::open(&url));
        let (a, _b) = (
            a.expect("the first node opens"),
            b.expect("the second node opens"),
        );
        a.record(1, &shop().0).await.expect("events are kept");
        let spec: ChartSpec = serde_json::from_value(json!({"kind": "segmentation",
            "events": [{"event_type": "View"}], "start": DAY1, "end": DAY2}))
        .unwrap();
        let chart = parse_chart(
            &spec,
            &ChartContext {
                timezone: chrono_tz::Tz::UTC,
                now_ms: T0,
            },
        )
        .unwrap();
        let answer = serde_json::to_value(a.chart(1, chart.clone()).await.unwrap()).unwrap();
        // The shop's hand-counted uniques (testdata/analytics/README.md).
        assert_eq!(answer["series"][0]["total"], json!(6.0), "{answer}");
        // Out of time, a chart says so, as the embedded store's does.
        let hurried = ClickHouseEvents::open(&url)
            .await
            .unwrap()
            .with_chart_limit(std::time::Duration::ZERO);
        match hurried.chart(1, chart).await {
            Err(reel_engine::store::StoreError::TimedOut(message)) => {
                assert!(message.contains("narrow the dates"), "{message}");
            }
            other => panic!("a chart with no time answered {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_clickhouse_user_with_a_password_signs_in_and_a_wrong_one_is_named() {
    use reel_engine::store::clickhouse::ClickHouse;
    let server = ClickHouseServer::start().await;
    // The password as a URL carries it: `@`, space and `:` escaped.
    let escaped = reel_bench::clickhouse_server::PASSWORD
        .replace('@', "%40")
        .replace(' ', "%20")
        .replace(':', "%3A");
    let ch = ClickHouse::connect(&server.url_as(&escaped, "reel_users"))
        .await
        .expect("the right password signs in");
    assert_eq!(ch.echo("who").await.unwrap(), "who");
    assert!(
        !ch.url().contains("w%3Ard"),
        "the password is not shown: {}",
        ch.url()
    );
    for wrong in ["wrong%20one", ""] {
        let message = ClickHouse::connect(&server.url_as(wrong, "reel_users"))
            .await
            .unwrap_err()
            .to_string();
        assert!(message.contains("events_url"), "{message}");
        assert!(message.contains("refused the user"), "{message}");
        assert!(!message.contains("wrong"), "no password in {message}");
    }
}
