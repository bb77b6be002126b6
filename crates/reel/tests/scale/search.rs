//! Replay search on ClickHouse gives the embedded store's answers: the same sessions (brought
//! in with their facts, events, user properties and text, as `reel generate` does) written into
//! a `SqliteStore` and into `ClickHouseSearch` on a real ClickHouse 18.16, then a table of
//! searches — every filter kind and operator, negations, combinations, full text, every sort
//! both ways, paging by cursors to the end, empty answers, and names and values made to break
//! out of SQL — asked of both and compared whole (replays, totals, and each cursor's sort,
//! value and total; a cursor's row is each store's own session number).

use std::collections::HashMap;

use reel_engine::store::clickhouse::ClickHouseSearch;
use reel_engine::store::prelude::*;
use reel_engine::store::{
    AnalyticsEvent, Fact, ImportedSession, NewChunk, NewUpload, SearchPage, SessionFacts,
    SessionRef, SessionText, SignalsUpdate, UserAgent,
};
use reel_query::wire::{CohortDefinition, SearchRequest};
use reel_query::{ParseContext, Search};
use serde_json::{Value, json};

use crate::clickhouse_server::{ClickHouseServer, embedded_with_project};

/// 2026-01-05 00:00 UTC.
const T0: i64 = 1_767_571_200_000;
const MINUTE: i64 = 60_000;

/// Texts that end a string literal, or a LIKE pattern's meaning, when spliced as they are.
const HOSTILE: &str = "O'Brien \\' OR 1=1 -- %_\u{0}\n\ttab";
const HOSTILE_KEY: &str = "it's \\ key%_";

struct Session {
    device: &'static str,
    user: Option<&'static str>,
    start_ms: i64,
    duration_ms: i64,
    facts: &'static [(Fact, i64)],
    country: Option<&'static str>,
    agent: Option<(&'static str, &'static str, &'static str)>,
    viewport: Option<(u32, u32)>,
    urls: Vec<String>,
    /// (event type, event properties, user properties, offset ms)
    events: Vec<(String, Value, Value, i64)>,
    /// (console level, text)
    texts: Vec<(Option<&'static str>, String)>,
}

fn element(selector: &str, tag: &str, text: &str, classes: &[&str]) -> Value {
    json!({
        "[reel] Element Selector": selector,
        "[reel] Element Tag": tag,
        "[reel] Element Text": text,
        "[reel] Element Classes": classes,
        "[reel] Element Type": "submit",
    })
}

fn ev(name: &str, props: Value, user_props: Value, offset: i64) -> (String, Value, Value, i64) {
    (name.to_owned(), props, user_props, offset)
}

fn sessions() -> Vec<Session> {
    use Fact::*;
    let pay = || {
        element(
            "body > div#main > button.btn.checkout",
            "button",
            "Pay now",
            &["btn", "checkout"],
        )
    };
    let long = "x".repeat(5000);
    vec![
        Session {
            device: "d1",
            user: Some("alice"),
            start_ms: T0 + 10 * MINUTE,
            duration_ms: 5 * MINUTE,
            facts: &[
                (ActiveMs, 200_000),
                (ClickCount, 12),
                (ConsoleErrorCount, 2),
                (NetworkErrorCount, 1),
                (RageClickCount, 1),
                (PageViewCount, 3),
            ],
            country: Some("DE"),
            agent: Some(("Chrome", "Windows", "Desktop")),
            viewport: Some((1440, 900)),
            urls: vec![
                "https://shop.test/".into(),
                "https://shop.test/checkout".into(),
            ],
            events: vec![
                ev(
                    "Viewed Product",
                    json!({"sku": "A-1", "price": 42, "tags": ["x"]}),
                    json!({"$set": {"plan": "pro", "age": 31}}),
                    1000,
                ),
                ev(
                    "Added To Cart",
                    json!({"sku": "A-1", "qty": 2}),
                    json!({}),
                    2000,
                ),
                ev("Checkout Started", json!({"total": 84.5}), json!({}), 3000),
                ev("[reel] Element Clicked", pay(), json!({}), 3500),
                ev("[reel] Rage Click", pay(), json!({}), 3600),
                ev(
                    "Viewed Product",
                    json!({"sku": "B-2", "price": "17"}),
                    json!({}),
                    4000,
                ),
            ],
            texts: vec![
                (None, "Thank you for your order".into()),
                (
                    Some("error"),
                    "Payment failed: payment service unavailable (503)".into(),
                ),
            ],
        },
        Session {
            device: "d2",
            user: Some("bob"),
            start_ms: T0 + 20 * MINUTE,
            duration_ms: MINUTE,
            facts: &[(ActiveMs, 30_000), (ClickCount, 3), (PageViewCount, 1)],
            country: Some("fr"),
            agent: Some(("Firefox", "Linux", "Desktop")),
            viewport: Some((1280, 720)),
            urls: vec!["https://shop.test/products?x=1".into()],
            events: vec![
                ev(
                    "Viewed Product",
                    json!({"sku": "B-2", "price": 17.5, "flag": true}),
                    json!({"$set": {"plan": "free"}, "$add": {"visits": 2}}),
                    500,
                ),
                ev("Checkout Started", json!({"total": 17.5}), json!({}), 900),
                ev(
                    "Viewed Product",
                    json!({"sku": "C-3", "price": null}),
                    json!({}),
                    1500,
                ),
                ev(
                    "[reel] Element Clicked",
                    element("body > a.nav", "a", "Home", &["nav"]),
                    json!({}),
                    2000,
                ),
            ],
            texts: vec![(None, "Thank-you: for YOUR order #42".into())],
        },
        Session {
            device: "d3",
            user: None,
            start_ms: T0 + 30 * MINUTE,
            duration_ms: 20_000,
            facts: &[(ClickCount, 1), (DeadClickCount, 2), (ConsoleWarnCount, 1)],
            country: None,
            agent: Some(("Safari", "iOS", "Mobile")),
            viewport: None,
            urls: vec![],
            events: vec![
                ev(
                    "[reel] Dead Click",
                    element("body > div.card > span", "span", "Ünïcode", &["card"]),
                    json!({}),
                    100,
                ),
                ev(
                    "Searched",
                    json!({"query": HOSTILE, (HOSTILE_KEY): "yes"}),
                    json!({"plan": "trial", (HOSTILE_KEY): HOSTILE}),
                    200,
                ),
            ],
            texts: vec![
                (Some("warn"), "Déjà vu: caché".into()),
                (None, HOSTILE.into()),
            ],
        },
        Session {
            device: "d4",
            user: Some("carol"),
            start_ms: T0 + 40 * MINUTE,
            duration_ms: 5 * MINUTE,
            facts: &[
                (ActiveMs, 200_000),
                (ClickCount, 12),
                (ConsoleErrorCount, 1),
                (NetworkErrorCount, 2),
                (ErrorClickCount, 1),
            ],
            country: Some("DE"),
            agent: Some(("Chrome", "macOS", "Desktop")),
            viewport: Some((1440, 900)),
            urls: vec![
                "https://shop.test/".into(),
                format!("https://shop.test/{HOSTILE}"),
            ],
            events: vec![
                ev(
                    "Checkout Started",
                    json!({"total": 10}),
                    json!({"$setOnce": {"plan": "x"}}),
                    10,
                ),
                ev(
                    "Added To Cart",
                    json!({"sku": "A-1", "qty": 1}),
                    json!({}),
                    20,
                ),
                ev(
                    "Viewed Product",
                    json!({"sku": "A-1", "price": 42}),
                    json!({}),
                    30,
                ),
                ev("[reel] Error Click", pay(), json!({}), 40),
                ev(
                    HOSTILE,
                    json!({(HOSTILE_KEY): long}),
                    json!({"$unset": ["age"]}),
                    50,
                ),
            ],
            texts: vec![(Some("log"), "order #42 shipped".into())],
        },
        // carol again, older: a cohort counts her events over both sessions.
        Session {
            device: "d4",
            user: Some("carol"),
            start_ms: T0 + 5 * MINUTE,
            duration_ms: 5 * MINUTE,
            facts: &[(ActiveMs, 1000), (ClickCount, 12)],
            country: Some("DE"),
            agent: None,
            viewport: Some((800, 600)),
            urls: vec!["https://shop.test/".into()],
            events: vec![
                ev(
                    "Checkout Started",
                    json!({"total": 20}),
                    json!({"$set": {"age": 40}}),
                    10,
                ),
                ev("Checkout Started", json!({"total": 30}), json!({}), 20),
            ],
            texts: vec![],
        },
        // An anonymous device with the same start and duration as d1: ties in every sort.
        Session {
            device: "d5",
            user: None,
            start_ms: T0 + 10 * MINUTE,
            duration_ms: 5 * MINUTE,
            facts: &[(ActiveMs, 200_000)],
            country: Some("US"),
            agent: Some(("Chrome", "Android", "Mobile")),
            viewport: Some((390, 844)),
            urls: vec!["https://shop.test/checkout".into()],
            events: vec![
                ev(
                    "Viewed Product",
                    json!({"sku": "A-1", "price": "42"}),
                    json!({"$set": {"plan": "pro"}}),
                    100,
                ),
                ev(
                    "Checkout Started",
                    json!({"total": "84.5"}),
                    json!({"$clearAll": true}),
                    200,
                ),
            ],
            texts: vec![(None, "Your order".into())],
        },
        // Outside the range of most searches (a day later).
        Session {
            device: "d6",
            user: Some(HOSTILE),
            start_ms: T0 + 24 * 60 * MINUTE,
            duration_ms: MINUTE,
            facts: &[(ClickCount, 1)],
            country: Some(HOSTILE),
            agent: Some((HOSTILE, "Linux", "Desktop")),
            viewport: None,
            urls: vec![HOSTILE.into()],
            events: vec![ev("Viewed Product", json!({"sku": HOSTILE}), json!({}), 10)],
            texts: vec![(None, "order later".into())],
        },
    ]
}

impl Session {
    fn imported(&self, project_id: i64) -> ImportedSession {
        ImportedSession {
            session: SessionRef {
                project_id,
                device_id: self.device.into(),
                session_id: self.start_ms,
            },
            start_ms: self.start_ms,
            end_ms: self.start_ms + self.duration_ms,
            first_url: self.urls.first().cloned(),
            country: self.country.map(str::to_owned),
            user_agent: self.agent.map(|(browser, os, device)| UserAgent {
                header: "test".into(),
                browser: browser.into(),
                os: os.into(),
                device: device.into(),
            }),
            facts: {
                let mut f = SessionFacts::default();
                for (fact, n) in self.facts {
                    f.set(*fact, *n);
                }
                f
            },
            urls: self.urls.clone(),
            viewport: self.viewport,
            events: self
                .events
                .iter()
                .enumerate()
                .map(|(i, (name, props, user_props, offset))| AnalyticsEvent {
                    insert_id: Some(format!("{}-{}-{i}", self.device, self.start_ms)),
                    event_type: name.clone(),
                    time_ms: self.start_ms + offset,
                    device_id: Some(self.device.into()),
                    user_id: self.user.map(str::to_owned),
                    session_id: Some(self.start_ms),
                    event_properties: props.to_string(),
                    user_properties: user_props.to_string(),
                    raw: json!({"event_type": name}).to_string(),
                    display_name: None,
                    derived: name.starts_with("[reel]"),
                })
                .collect(),
            texts: self
                .texts
                .iter()
                .enumerate()
                .map(|(i, (level, text))| SessionText {
                    console_level: level.map(str::to_owned),
                    ts_ms: self.start_ms + i as i64,
                    text: text.clone(),
                })
                .collect(),
        }
    }
}

/// Events without a recording of their own: an anonymous session of carol's device (for
/// cohorts), an event with no session, and a retried event (same insert id).
fn loose_events() -> Vec<AnalyticsEvent> {
    let e = |insert: &str,
             name: &str,
             device: Option<&str>,
             user: Option<&str>,
             session: Option<i64>| AnalyticsEvent {
        insert_id: Some(insert.into()),
        event_type: name.into(),
        time_ms: T0 + 50 * MINUTE,
        device_id: device.map(str::to_owned),
        user_id: user.map(str::to_owned),
        session_id: session,
        event_properties: "{}".into(),
        user_properties: json!({"$set": {"late": 1}}).to_string(),
        raw: "{}".into(),
        display_name: None,
        derived: false,
    };
    vec![
        e(
            "l1",
            "Checkout Started",
            Some("d4"),
            Some("carol"),
            Some(T0 + 50 * MINUTE),
        ),
        e("l2", "Checkout Started", Some("d9"), None, None),
        e(
            "l1",
            "Checkout Started",
            Some("d4"),
            Some("carol"),
            Some(T0 + 50 * MINUTE),
        ),
        // bob's session gets a later user id: its user becomes "robert".
        e(
            "l3",
            "Signed In",
            Some("d2"),
            Some("robert"),
            Some(T0 + 20 * MINUTE),
        ),
    ]
}

/// The searches: each a request's fields besides the range (added here).
fn cases() -> Vec<Value> {
    let f = |filter: Value| json!({"filters": [filter]});
    let mut cases = vec![
        json!({}),
        json!({"q": "order"}),
        json!({"q": "thank you for"}),
        json!({"q": "deja vu"}),
        json!({"q": "nothing like this"}),
        json!({"q": HOSTILE}),
        json!({"q": "order", "filters": [{"field": "country", "op": "is", "values": ["de"]}]}),
    ];
    let mut filters = vec![
        json!({"field": "duration_ms", "op": "greater_than", "values": [60000]}),
        json!({"field": "duration_ms", "op": "between", "values": [20000, 60000]}),
        json!({"field": "active_ms", "op": "is", "values": [200000, 1000]}),
        json!({"field": "click_count", "op": "less_than", "values": [3.5]}),
        json!({"field": "error_count", "op": "greater_than", "values": [2]}),
        json!({"field": "rage_click_count", "op": "exists"}),
        json!({"field": "viewport_width", "op": "is", "values": [1440]}),
        json!({"field": "viewport_height", "op": "exists"}),
        json!({"field": "viewport_height", "op": "does_not_exist"}),
        json!({"field": "browser", "op": "is", "values": ["chrome"]}),
        json!({"field": "os", "op": "contains", "values": ["IN"]}),
        json!({"field": "device", "op": "is_not", "values": ["Desktop"]}),
        json!({"field": "country", "op": "exists"}),
        json!({"field": "country", "op": "does_not_exist"}),
        json!({"field": "country", "op": "is", "values": [HOSTILE]}),
        json!({"field": "user_id", "op": "is", "values": ["alice", "robert"]}),
        json!({"field": "user_id", "op": "contains", "values": ["O"]}),
        json!({"field": "user_id", "op": "does_not_exist"}),
        json!({"field": "user_id", "op": "is", "values": [HOSTILE]}),
        json!({"field": "url", "op": "is", "values": ["https://shop.test/checkout"]}),
        json!({"field": "url", "op": "contains", "values": ["PRODUCTS"]}),
        json!({"field": "url", "op": "starts_with", "values": ["https://shop.test/c"]}),
        json!({"field": "url", "op": "glob", "values": ["*/checkout"]}),
        json!({"field": "url", "op": "glob", "values": ["https://shop.test/[a-p]*"]}),
        json!({"field": "url", "op": "exists"}),
        json!({"field": "url", "op": "contains", "values": [HOSTILE]}),
        json!({"field": "url", "op": "starts_with", "values": ["%"]}),
        json!({"field": "event", "name": "Viewed Product"}),
        json!({"field": "event", "name": "Viewed Product", "min_count": 2}),
        json!({"field": "event", "name": "Never Seen"}),
        json!({"field": "event", "name": "Viewed Product", "negate": true}),
        json!({"field": "event", "name": "Viewed Product",
               "where": [{"property": "price", "op": "is", "values": ["42"]}]}),
        json!({"field": "event", "name": "Viewed Product",
               "where": [{"property": "price", "op": "greater_than", "values": [17]}]}),
        json!({"field": "event", "name": "Viewed Product",
               "where": [{"property": "price", "op": "exists"}]}),
        json!({"field": "event", "name": "Viewed Product",
               "where": [{"property": "price", "op": "does_not_exist"}]}),
        json!({"field": "event", "name": "Viewed Product",
               "where": [{"property": "flag", "op": "is", "values": [true]}]}),
        json!({"field": "event", "name": "Viewed Product",
               "where": [{"property": "tags", "op": "contains", "values": ["X"]}]}),
        json!({"field": "event", "name": "Viewed Product",
               "where": [{"property": "sku", "op": "is_not", "values": ["A-1"]}]}),
        json!({"field": "event", "name": "Checkout Started",
               "where": [{"property": "total", "op": "between", "values": [15, 85]}]}),
        json!({"field": "event", "name": "Checkout Started",
               "where": [{"property": "total", "op": "contains", "values": ["4.5"]}]}),
        json!({"field": "event", "name": "Searched",
               "where": [{"property": HOSTILE_KEY, "op": "is", "values": ["yes"]},
                         {"property": "query", "op": "is", "values": [HOSTILE]}]}),
        json!({"field": "event", "name": HOSTILE,
               "where": [{"property": HOSTILE_KEY, "op": "contains", "values": ["xxx"]}]}),
        json!({"field": "sequence", "steps": [{"name": "Viewed Product"}, {"name": "Added To Cart"}]}),
        json!({"field": "sequence", "steps": [{"name": "Added To Cart"}, {"name": "Viewed Product",
               "where": [{"property": "sku", "op": "is", "values": ["B-2"]}]}]}),
        json!({"field": "sequence", "steps": [{"name": "Checkout Started"}, {"name": "Added To Cart"}]}),
        json!({"field": "user_property", "property": "plan", "op": "is", "values": ["pro"]}),
        json!({"field": "user_property", "property": "plan", "op": "exists"}),
        json!({"field": "user_property", "property": "plan", "op": "does_not_exist"}),
        json!({"field": "user_property", "property": "age", "op": "greater_than", "values": [30]}),
        json!({"field": "user_property", "property": "visits", "op": "is", "values": [2]}),
        json!({"field": "user_property", "property": "visits", "op": "contains", "values": ["2.0"]}),
        json!({"field": "user_property", "property": HOSTILE_KEY, "op": "is", "values": [HOSTILE]}),
        json!({"field": "user_property", "property": "late", "op": "exists"}),
        json!({"field": "cohort", "cohort": 1}),
        json!({"field": "cohort", "cohort": 2}),
        json!({"field": "cohort", "cohort": 2, "negate": true}),
        json!({"field": "clicked_element", "selector": "button.checkout"}),
        json!({"field": "clicked_element", "selector": "div#main > button", "signal": "rage"}),
        json!({"field": "clicked_element", "selector": "#main .btn", "signal": "error"}),
        json!({"field": "clicked_element", "selector": "span", "signal": "dead"}),
        json!({"field": "clicked_element", "selector": "a.nav", "negate": true}),
        json!({"field": "clicked_element", "op": "is", "values": ["Pay now"]}),
        json!({"field": "clicked_element", "op": "is", "values": ["pay now"]}),
        json!({"field": "clicked_element", "op": "contains", "values": ["ÜNÏ"], "signal": "dead"}),
        json!({"field": "clicked_element", "op": "contains", "values": ["ome"]}),
        json!({"field": "console_message", "op": "exists"}),
        json!({"field": "console_message", "op": "is", "values": ["order #42 shipped"]}),
        json!({"field": "console_message", "op": "contains", "values": ["payment serv"]}),
        json!({"field": "console_message", "op": "contains", "values": ["deja"]}),
        json!({"field": "console_message", "op": "contains", "values": ["order"], "negate": true}),
    ];
    // The longest texts a request takes, and selectors whose words would end a literal.
    let long = "x".repeat(1000);
    filters.extend([
        json!({"field": "event", "name": HOSTILE,
               "where": [{"property": HOSTILE_KEY, "op": "contains", "values": [long]}]}),
        json!({"field": "url", "op": "contains", "values": [long]}),
        json!({"field": "console_message", "op": "contains", "values": [long]}),
        json!({"field": "user_id", "op": "is", "values": [long]}),
        json!({"field": "clicked_element", "selector": "button[title=\"it's \\\\ %_\"]"}),
        json!({"field": "clicked_element", "selector": "div#main button[type=submit]"}),
    ]);
    cases.push(json!({ "q": long }));
    // Every filter negated too (where the request allows it).
    let negated: Vec<Value> = filters
        .iter()
        .filter(|f| f.get("negate").is_none())
        .map(|f| {
            let mut f = f.clone();
            f["negate"] = json!(true);
            f
        })
        .collect();
    filters.extend(negated);
    cases.extend(filters.into_iter().map(f));
    cases.push(json!({"filters": [
        {"field": "country", "op": "is", "values": ["DE"]},
        {"field": "event", "name": "Checkout Started"},
        {"field": "console_message", "op": "exists", "negate": true}]}));
    cases.push(json!({"q": "order", "filters": [
        {"field": "user_property", "property": "plan", "op": "exists"},
        {"field": "clicked_element", "selector": "button"}]}));
    cases
}

/// The cohorts the cases name.
fn cohorts() -> HashMap<i64, CohortDefinition> {
    let def = |v: Value| serde_json::from_value::<CohortDefinition>(v).expect("a cohort");
    HashMap::from([
        (
            1,
            def(json!({"conditions": [
                {"performed": "Checkout Started", "min_count": 3},
            ]})),
        ),
        (
            2,
            def(json!({"conditions": [
                {"user_property": "plan", "op": "is", "values": ["pro"]},
                {"performed": "Added To Cart", "negate": true},
            ]})),
        ),
    ])
}

fn parse(request: &Value, sort: &str, order: &str, limit: u32) -> Option<Search> {
    let mut request = request.clone();
    request["start"] = json!("2026-01-05T00:00:00Z");
    request["end"] = json!("2026-01-06T00:00:00Z");
    request["sort"] = json!(sort);
    request["order"] = json!(order);
    request["limit"] = json!(limit);
    let request: SearchRequest = serde_json::from_value(request).expect("a request");
    let cohorts = cohorts();
    let cx = ParseContext {
        timezone: chrono_tz::UTC,
        now_ms: T0 + 2 * 24 * 60 * MINUTE,
        cohorts: &cohorts,
    };
    // A case the request rules refuse is left out (the table's hostile strings are all
    // allowed: this is a slip in the table, reported by the check below).
    reel_query::parse(&request, &cx).ok()
}

/// A page as compared: the cursor without its row (each store numbers its sessions).
/// A page's replays (as text, for readable differences), total, and next cursor's sort value
/// and total.
type Comparable = (Vec<String>, Option<u64>, Option<(i64, Option<u64>)>);

fn comparable(page: &SearchPage) -> Comparable {
    (
        page.replays.iter().map(|r| format!("{r:?}")).collect(),
        page.total,
        page.next.as_ref().map(|c| (c.value, c.total)),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_search_on_clickhouse_answers_as_the_embedded_store_does() {
    let server = ClickHouseServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let log = std::env::var_os("REEL_CLICKHOUSE_STATEMENTS")
        .map_or_else(|| dir.path().join("statements.jsonl"), Into::into);
    // Two candidates at a time: every search that Rust decides part of goes through several
    // batches.
    let ch = ClickHouseSearch::open_logging(&server.url("reel_search"), Some(&log))
        .await
        .expect("ClickHouse opens")
        .with_search_batch(2);
    let (sqlite, project) = embedded_with_project(dir.path()).await;
    let project = project.id;
    let imported: Vec<ImportedSession> = sessions().iter().map(|s| s.imported(project)).collect();
    // One at a time: the embedded store numbers sessions in the order it sees them, and so
    // does ClickHouse's first sighting.
    for session in &imported {
        let a = sqlite
            .import_sessions(vec![session.clone()], T0)
            .await
            .unwrap();
        let b = ch
            .import_sessions(std::slice::from_ref(session))
            .await
            .unwrap();
        assert_eq!((a, b), (1, 1), "{:?}", session.session);
    }
    // Imported again: both leave them as they are.
    assert_eq!(
        sqlite.import_sessions(imported.clone(), T0).await.unwrap(),
        0
    );
    assert_eq!(ch.import_sessions(&imported).await.unwrap(), 0);
    let loose = loose_events();
    sqlite.add_events(project, loose.clone(), T0).await.unwrap();
    assert_eq!(
        ch.add_events(project, &loose).await.unwrap(),
        3,
        "the retry is skipped"
    );

    // The catalog.
    assert_eq!(
        ch.event_names(project, 100).await.unwrap(),
        sqlite.event_names(project, 100).await.unwrap()
    );
    assert_eq!(
        ch.event_names(project, 2).await.unwrap(),
        sqlite.event_names(project, 2).await.unwrap()
    );
    assert_eq!(
        ch.user_property_keys(project, 100).await.unwrap(),
        sqlite.user_property_keys(project, 100).await.unwrap()
    );
    assert_eq!(
        ch.event_names(project + 1, 10).await.unwrap(),
        Vec::<String>::new()
    );

    let mut failures = Vec::new();
    let mut asked = 0;
    let mut found_any = 0;
    for case in cases() {
        for (sort, order, limit) in [
            ("start_time", "desc", 100),
            ("start_time", "asc", 2),
            ("duration", "desc", 2),
            ("active_time", "asc", 3),
            ("errors", "desc", 1),
        ] {
            let Some(search) = parse(&case, sort, order, limit) else {
                failures.push(format!("{case}: the request is refused"));
                continue;
            };
            asked += 1;
            // Every page, by each store's own cursors.
            let (mut a, mut b) = (search.clone(), search.clone());
            for page_number in 0.. {
                let want = sqlite.search(project, a.clone()).await.unwrap();
                let got = match ch.search(project, b.clone()).await {
                    Ok(got) => got,
                    Err(e) => {
                        failures.push(format!("{case} {sort} {order} page {page_number}: {e}"));
                        break;
                    }
                };
                if page_number == 0 && !want.replays.is_empty() {
                    found_any += 1;
                }
                if comparable(&got) != comparable(&want) {
                    failures.push(format!(
                        "{case} {sort} {order} {limit} page {page_number}:\n  sqlite     {:?}\n  clickhouse {:?}",
                        comparable(&want),
                        comparable(&got)
                    ));
                    break;
                }
                match (want.next, got.next) {
                    (Some(x), Some(y)) => {
                        a.after = Some(x);
                        b.after = Some(y);
                    }
                    _ => break,
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {asked} differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // The table is no table of empty answers.
    assert!(
        found_any > asked / 3,
        "{found_any} of {asked} found something"
    );
    eprintln!("{asked} searches (every page), {found_any} finding something: answered alike");
}

/// A recording's chunk as the ingest stage hands it over.
fn chunk(start_ms: i64, end_ms: i64, events: i64, href: Option<(i64, &str)>) -> NewChunk {
    NewChunk {
        start_ms,
        end_ms,
        event_count: events,
        raw_bytes: events * 100,
        stored_bytes: events * 10,
        starts_with_snapshot: true,
        meta_ms: Some(start_ms),
        last_meta_ms: Some(start_ms),
        content_hash: format!("h{start_ms}-{end_ms}"),
        object_key: format!("o{start_ms}-{end_ms}"),
        first_href: href.map(|(ms, url)| (ms, url.to_owned())),
        dictionary_id: None,
    }
}

/// Recorded sessions — uploads, then processing runs — leave both stores listing and finding
/// the same replays: the session rows the embedded store's ingest and processing write, and
/// the ClickHouse versions `record_upload` and `apply_signals` write from the same input.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_and_processing_runs_leave_the_replays_the_embedded_store_has() {
    let server = ClickHouseServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let log = std::env::var_os("REEL_CLICKHOUSE_STATEMENTS")
        .map_or_else(|| dir.path().join("statements.jsonl"), Into::into);
    let ch = ClickHouseSearch::open_logging(&server.url("reel_recorded"), Some(&log))
        .await
        .expect("ClickHouse opens");
    let (sqlite, project) = embedded_with_project(dir.path()).await;
    let project = project.id;
    let session = |device: &str, id: i64| SessionRef {
        project_id: project,
        device_id: device.into(),
        session_id: id,
    };
    let ua = |browser: &str| UserAgent {
        header: "test".into(),
        browser: browser.into(),
        os: "Linux".into(),
        device: "Desktop".into(),
    };
    let (s1, s2) = (session("r1", T0 + MINUTE), session("r2", T0 + 2 * MINUTE));
    // r1: two uploads, the second with an earlier first URL and another country and agent
    // (the first ones stay); r2: one upload without a country.
    let uploads = [
        NewUpload {
            session: s1.clone(),
            chunks: vec![chunk(
                T0 + MINUTE + 5000,
                T0 + MINUTE + 9000,
                40,
                Some((T0 + MINUTE + 5000, "https://shop.test/b")),
            )],
            country: Some("DE".into()),
            user_agent: Some(ua("Chrome")),
            process_at_ms: T0 + 10 * MINUTE,
        },
        NewUpload {
            session: s1.clone(),
            chunks: vec![
                chunk(
                    T0 + MINUTE,
                    T0 + MINUTE + 4000,
                    30,
                    Some((T0 + MINUTE, "https://shop.test/a")),
                ),
                chunk(T0 + MINUTE + 9000, T0 + MINUTE + 20_000, 5, None),
            ],
            country: Some("FR".into()),
            user_agent: Some(ua("Firefox")),
            process_at_ms: T0 + 11 * MINUTE,
        },
        NewUpload {
            session: s2.clone(),
            chunks: vec![chunk(T0 + 2 * MINUTE, T0 + 3 * MINUTE, 7, None)],
            country: None,
            user_agent: None,
            process_at_ms: T0 + 12 * MINUTE,
        },
    ];
    let due_of = async |s: &SessionRef| {
        sqlite
            .replay(project, &s.replay_id())
            .await
            .unwrap()
            .expect("a replay")
            .processing_due_ms
    };
    for (i, upload) in uploads.iter().enumerate() {
        let now = T0 + 5 * MINUTE + i as i64;
        let committed = sqlite.commit_upload(upload.clone(), now).unwrap();
        assert_eq!(committed.stored, upload.chunks.len());
        let due = due_of(&upload.session).await;
        ch.record_upload(upload, &upload.chunks, now, due)
            .await
            .unwrap();
    }
    // Two processing runs per session, as the work queue hands them out.
    let click = |s: &SessionRef, offset: i64, text: &str| AnalyticsEvent {
        insert_id: Some(format!("{}-{offset}", s.device_id)),
        event_type: "[reel] Element Clicked".into(),
        time_ms: s.session_id + offset,
        device_id: Some(s.device_id.clone()),
        user_id: None,
        session_id: Some(s.session_id),
        event_properties: element("body > button.buy", "button", text, &["buy"]).to_string(),
        user_properties: "{}".into(),
        raw: String::new(),
        display_name: Some(format!("Clicked {text}")),
        derived: true,
    };
    for run in 0..2 {
        let now = T0 + 20 * MINUTE + run;
        let work = sqlite.due_work(i64::MAX, 10).await.unwrap();
        assert_eq!(work.len(), 2, "run {run}: {work:?}");
        for item in work {
            let s = &item.session;
            let mut facts = SessionFacts::default();
            facts.set(Fact::ClickCount, 3 + run);
            facts.set(Fact::ActiveMs, 1000 * (run + 1));
            if s.device_id == "r1" {
                facts.set(Fact::ConsoleErrorCount, run);
            }
            let update = SignalsUpdate {
                session: s.clone(),
                facts,
                urls: vec![
                    format!("https://shop.test/{}", run),
                    "https://shop.test/a".into(),
                ],
                viewport: Some((1000 + run as u32, 700)),
                events: vec![click(
                    s,
                    100 + run,
                    if run == 0 { "Buy" } else { "Buy again" },
                )],
                texts: vec![SessionText {
                    console_level: None,
                    ts_ms: s.session_id + run,
                    text: format!("run {run} of {}", s.device_id),
                }],
                gaps: Vec::new(),
                signals_until_ms: s.session_id + 10_000 * (run + 1),
                expected_until_ms: item.signals_until_ms,
                finished: run == 1,
                next_due_ms: now + 60_000,
                taken_generation: item.generation,
            };
            assert!(sqlite.apply_signals(update.clone(), now).await.unwrap());
            let due = due_of(s).await;
            assert!(ch.apply_signals(&update, due).await.unwrap());
        }
    }
    // A session ClickHouse has no replay row for is refused, as the embedded store refuses.
    let mut stray = SignalsUpdate {
        session: session("nobody", 1),
        facts: SessionFacts::default(),
        urls: Vec::new(),
        viewport: None,
        events: Vec::new(),
        texts: Vec::new(),
        gaps: Vec::new(),
        signals_until_ms: 1,
        expected_until_ms: None,
        finished: true,
        next_due_ms: 0,
        taken_generation: 0,
    };
    assert!(!sqlite.apply_signals(stray.clone(), T0).await.unwrap());
    stray.finished = false;
    assert!(!ch.apply_signals(&stray, None).await.unwrap());

    let cases = [
        json!({}),
        json!({"q": "run 1"}),
        json!({"filters": [{"field": "click_count", "op": "is", "values": [7]}]}),
        json!({"filters": [{"field": "country", "op": "does_not_exist"}]}),
        json!({"filters": [{"field": "browser", "op": "is", "values": ["chrome"]}]}),
        json!({"filters": [{"field": "url", "op": "is", "values": ["https://shop.test/1"]}]}),
        json!({"filters": [{"field": "viewport_width", "op": "is", "values": [1000]}]}),
        json!({"filters": [{"field": "clicked_element", "op": "is", "values": ["Buy again"]}]}),
        json!({"filters": [{"field": "clicked_element", "selector": "button.buy"}]}),
        json!({"filters": [{"field": "error_count", "op": "exists"}]}),
    ];
    let compare = async |when: &str| {
        let mut compared = 0;
        for case in &cases {
            for (sort, order) in [
                ("start_time", "desc"),
                ("duration", "asc"),
                ("errors", "desc"),
            ] {
                let search = parse(case, sort, order, 1).expect("a request");
                let (mut a, mut b) = (search.clone(), search);
                loop {
                    let want = sqlite.search(project, a.clone()).await.unwrap();
                    let got = ch.search(project, b.clone()).await.unwrap();
                    assert_eq!(
                        comparable(&got),
                        comparable(&want),
                        "{when}: {case} {sort} {order}"
                    );
                    compared += want.replays.len();
                    match (want.next, got.next) {
                        (Some(x), Some(y)) => (a.after, b.after) = (Some(x), Some(y)),
                        _ => break,
                    }
                }
            }
        }
        assert_eq!(
            ch.event_names(project, 10).await.unwrap(),
            sqlite.event_names(project, 10).await.unwrap(),
            "{when}"
        );
        compared
    };
    let compared = compare("processed").await;
    assert!(compared > 20, "{compared} replays compared");

    // r2's replay deleted in both: the session stays, no longer a replay, its derived events
    // and text gone; deleting again finds nothing.
    assert!(
        sqlite
            .delete_replay(project, &s2.replay_id(), T0)
            .await
            .unwrap()
    );
    assert!(ch.delete_replay(&s2).await.unwrap());
    assert!(
        !sqlite
            .delete_replay(project, &s2.replay_id(), T0)
            .await
            .unwrap()
    );
    assert!(!ch.delete_replay(&s2).await.unwrap());
    compare("r2 deleted").await;
    // A processing run of the deleted replay is refused by both.
    stray.session = s2.clone();
    assert!(!ch.apply_signals(&stray, None).await.unwrap());

    // r2 recorded again: a new upload and a processing run; what the deletion removed stays
    // removed, the new run's derived events and text count.
    let again = NewUpload {
        session: s2.clone(),
        chunks: vec![chunk(
            T0 + 2 * MINUTE + 500,
            T0 + 4 * MINUTE,
            3,
            Some((T0 + 2 * MINUTE + 500, "https://shop.test/again")),
        )],
        country: Some("NL".into()),
        user_agent: Some(ua("Safari")),
        process_at_ms: T0 + 30 * MINUTE,
    };
    let now = T0 + 40 * MINUTE;
    sqlite.commit_upload(again.clone(), now).unwrap();
    let due = due_of(&s2).await;
    ch.record_upload(&again, &again.chunks, now, due)
        .await
        .unwrap();
    compare("r2 uploaded again").await;
    let work = sqlite.due_work(i64::MAX, 10).await.unwrap();
    let item = work
        .iter()
        .find(|w| w.session == s2)
        .expect("r2 is due again");
    let mut facts = SessionFacts::default();
    facts.set(Fact::ClickCount, 1);
    let update = SignalsUpdate {
        session: s2.clone(),
        facts,
        urls: vec!["https://shop.test/again".into()],
        viewport: Some((500, 500)),
        events: vec![click(&s2, 200, "Buy")],
        texts: vec![SessionText {
            console_level: None,
            ts_ms: s2.session_id + 5,
            text: "run 2 of r2".into(),
        }],
        gaps: Vec::new(),
        signals_until_ms: s2.session_id + 60_000,
        expected_until_ms: item.signals_until_ms,
        finished: true,
        next_due_ms: now + 60_000,
        taken_generation: item.generation,
    };
    assert!(sqlite.apply_signals(update.clone(), now).await.unwrap());
    let due = due_of(&s2).await;
    assert!(ch.apply_signals(&update, due).await.unwrap());
    compare("r2 processed again").await;
}
