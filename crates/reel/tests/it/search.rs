//! Searching replays through the API: every filter and operator, the rule that a negated filter
//! keeps sessions lacking the value, full text, timezones, sorting, cursor paging while new
//! sessions arrive, saved searches, cohorts — and one search over data that came through real
//! ingestion and processing.
//!
//! Most sessions here are brought in with their facts, events and text the way `reel generate`
//! does (`MetaStore::import_sessions`), so each case can name exactly what a session holds.

use std::collections::BTreeSet;

use reel_engine::store::{
    AnalyticsEvent, Fact, ImportedSession, SessionFacts, SessionRef, SessionText, UserAgent,
};
use reel_server::api_types::{Cohort, ReplayPage, SavedSearch, SavedSearchList};
use reqwest::StatusCode;
use reqwest::header::AUTHORIZATION;
use serde_json::{Value, json};

use crate::support::*;

const MINUTE: i64 = 60_000;

/// A session brought in with its facts.
struct Fixture {
    device: &'static str,
    user: Option<&'static str>,
    start_ms: i64,
    duration_ms: i64,
    facts: SessionFacts,
    country: Option<&'static str>,
    agent: (&'static str, &'static str, &'static str),
    viewport: Option<(u32, u32)>,
    urls: &'static [&'static str],
    /// (event type, event properties, user properties, offset ms)
    events: Vec<(&'static str, Value, Value, i64)>,
    /// (console level, text)
    texts: &'static [(Option<&'static str>, &'static str)],
}

impl Fixture {
    fn imported(&self, project_id: i64) -> ImportedSession {
        let session = SessionRef {
            project_id,
            device_id: self.device.into(),
            session_id: self.start_ms,
        };
        ImportedSession {
            session: session.clone(),
            start_ms: self.start_ms,
            end_ms: self.start_ms + self.duration_ms,
            first_url: self.urls.first().map(|u| (*u).to_owned()),
            country: self.country.map(str::to_owned),
            user_agent: Some(UserAgent {
                header: "test".into(),
                browser: self.agent.0.into(),
                os: self.agent.1.into(),
                device: self.agent.2.into(),
            }),
            facts: self.facts,
            urls: self.urls.iter().map(|u| (*u).to_owned()).collect(),
            viewport: self.viewport,
            events: self
                .events
                .iter()
                .enumerate()
                .map(|(i, (name, props, user_props, offset))| AnalyticsEvent {
                    insert_id: Some(format!("{}-{i}", self.device)),
                    event_type: (*name).into(),
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
                    text: (*text).into(),
                })
                .collect(),
        }
    }
}

fn facts(pairs: &[(Fact, i64)]) -> SessionFacts {
    let mut f = SessionFacts::default();
    for (fact, v) in pairs {
        f.set(*fact, *v);
    }
    f
}

const ACTIVE: Fact = Fact::ActiveMs;
const CLICKS: Fact = Fact::ClickCount;
const KEYS: Fact = Fact::KeypressCount;
const VIEWS: Fact = Fact::PageViewCount;
const WARN: Fact = Fact::ConsoleWarnCount;
const CONSOLE_ERR: Fact = Fact::ConsoleErrorCount;
const NET_ERR: Fact = Fact::NetworkErrorCount;
const RUNTIME: Fact = Fact::RuntimeErrorCount;
const RAGE: Fact = Fact::RageClickCount;
const DEAD: Fact = Fact::DeadClickCount;
const ERROR_CLICK: Fact = Fact::ErrorClickCount;

fn element(selector: &str, tag: &str, text: &str, classes: &[&str]) -> Value {
    json!({
        "[reel] Element Selector": selector,
        "[reel] Element Tag": tag,
        "[reel] Element Text": text,
        "[reel] Element Classes": classes,
        "[reel] Element Type": "submit",
    })
}

fn no_props() -> Value {
    json!({})
}

/// d1 alice (DE, Chrome, checkout trouble), d2 bob (FR, Firefox), d3 anonymous (no country,
/// mobile), d4 carol (DE); carol has a second, older session outside the default range.
fn fixtures(now: i64) -> Vec<Fixture> {
    let pay = || {
        element(
            "body > div#main > button.btn.checkout",
            "button",
            "Pay now",
            &["btn", "checkout"],
        )
    };
    vec![
        Fixture {
            device: "d1",
            user: Some("alice"),
            start_ms: now - 60 * MINUTE,
            duration_ms: 120_000,
            facts: facts(&[
                (ACTIVE, 60_000),
                (CLICKS, 10),
                (KEYS, 5),
                (VIEWS, 2),
                (CONSOLE_ERR, 2),
                (NET_ERR, 1),
                (RUNTIME, 1),
                (RAGE, 1),
                (ERROR_CLICK, 1),
            ]),
            country: Some("DE"),
            agent: ("Chrome", "macOS", "desktop"),
            viewport: Some((1280, 720)),
            urls: &["https://shop.test/", "https://shop.test/checkout"],
            events: vec![
                (
                    "$identify",
                    no_props(),
                    json!({"$set": {"plan": "pro", "age": 34}}),
                    0,
                ),
                ("Add to cart", json!({"product": "tent"}), no_props(), 1_000),
                (
                    "Purchase",
                    json!({"plan": "pro", "price": 30, "gift": true}),
                    no_props(),
                    2_000,
                ),
                (
                    "Purchase",
                    json!({"plan": "pro", "price": 12}),
                    no_props(),
                    3_000,
                ),
                ("[reel] Element Clicked", pay(), no_props(), 4_000),
                ("[reel] Rage Click", pay(), no_props(), 4_100),
                ("[reel] Error Click", pay(), no_props(), 4_200),
            ],
            texts: &[
                (None, "Payment failed"),
                (Some("error"), "TypeError: x is undefined"),
            ],
        },
        Fixture {
            device: "d2",
            user: Some("bob"),
            start_ms: now - 50 * MINUTE,
            duration_ms: 30_000,
            facts: facts(&[(ACTIVE, 10_000), (CLICKS, 2), (VIEWS, 1), (DEAD, 1)]),
            country: Some("FR"),
            agent: ("Firefox", "Windows", "desktop"),
            viewport: Some((1920, 1080)),
            urls: &["https://shop.test/", "https://shop.test/product/1"],
            events: vec![
                (
                    "$identify",
                    no_props(),
                    json!({"$set": {"plan": "free", "age": 25}}),
                    0,
                ),
                (
                    "Purchase",
                    json!({"plan": "free", "price": 5, "coupon": "SAVE5"}),
                    no_props(),
                    1_000,
                ),
                ("Add to cart", json!({"product": "mug"}), no_props(), 2_000),
                (
                    "[reel] Element Clicked",
                    element("body > a.nav", "a", "Home", &["nav"]),
                    no_props(),
                    3_000,
                ),
                ("[reel] Dead Click", pay(), no_props(), 4_000),
            ],
            texts: &[(None, "Welcome back")],
        },
        Fixture {
            device: "d3",
            user: None,
            start_ms: now - 40 * MINUTE,
            duration_ms: 5_000,
            facts: facts(&[(WARN, 1)]),
            country: None,
            agent: ("Mobile Safari", "iOS", "mobile"),
            viewport: None,
            urls: &["https://blog.test/post"],
            events: vec![("Page Viewed", no_props(), json!({"ref": "ad"}), 0)],
            texts: &[(None, "Payment pending"), (Some("warn"), "slow network")],
        },
        Fixture {
            device: "d4",
            user: Some("carol"),
            start_ms: now - 30 * MINUTE,
            duration_ms: 600_000,
            facts: facts(&[(ACTIVE, 300_000), (CLICKS, 3), (VIEWS, 4), (NET_ERR, 3)]),
            country: Some("DE"),
            agent: ("Chrome", "Linux", "desktop"),
            viewport: Some((1280, 800)),
            urls: &["https://shop.test/", "https://shop.test/product/2"],
            events: vec![
                ("$identify", no_props(), json!({"plan": "pro"}), 0),
                (
                    "Add to cart",
                    json!({"product": "boots"}),
                    no_props(),
                    1_000,
                ),
                (
                    "Purchase",
                    json!({"plan": "pro", "price": 50}),
                    no_props(),
                    2_000,
                ),
            ],
            texts: &[],
        },
        // Carol's earlier session: outside the default 30 days, but her purchases count for a
        // cohort.
        Fixture {
            device: "d4-old",
            user: Some("carol"),
            start_ms: now - 45 * DAY_MS,
            duration_ms: 60_000,
            facts: facts(&[]),
            country: Some("DE"),
            agent: ("Chrome", "Linux", "desktop"),
            viewport: Some((1280, 800)),
            urls: &["https://shop.test/"],
            events: vec![(
                "Purchase",
                json!({"plan": "pro", "price": 50}),
                no_props(),
                1_000,
            )],
            texts: &[],
        },
    ]
}

async fn seeded() -> TestApp {
    let app = TestApp::spawn().await;
    let imported: Vec<ImportedSession> = fixtures(now_ms()).iter().map(|f| f.imported(1)).collect();
    let n = app
        .meta
        .import_sessions(imported, now_ms())
        .await
        .expect("imported");
    assert_eq!(n, 5);
    app
}

impl TestApp {
    /// `POST /api/v1/replays/search` with the admin's token.
    async fn search(&self, body: &Value) -> (StatusCode, Value) {
        json_of(
            self.client
                .post(self.url("/api/v1/replays/search"))
                .header(AUTHORIZATION, format!("Bearer {ADMIN_TOKEN}"))
                .json(body)
                .send()
                .await
                .expect("sent"),
        )
        .await
    }

    async fn page(&self, body: &Value) -> ReplayPage {
        let (status, answer) = self.search(body).await;
        assert_eq!(status, StatusCode::OK, "{body}: {answer}");
        serde_json::from_value(answer).expect("a ReplayPage")
    }

    async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> (StatusCode, Value) {
        self.call(method, path, body).await
    }
}

fn devices(page: &ReplayPage) -> BTreeSet<String> {
    page.replays.iter().map(|r| r.device_id.clone()).collect()
}

fn set(devices: &[&str]) -> BTreeSet<String> {
    devices.iter().map(|d| (*d).to_owned()).collect()
}

/// Every filter and every operator it takes, one search each: (filter, the sessions found).
fn filter_cases() -> Vec<(Value, Vec<&'static str>)> {
    let all = vec!["d1", "d2", "d3", "d4"];
    vec![
        // Numbers: session facts.
        (
            json!({"field": "duration_ms", "op": "greater_than", "values": [60000]}),
            vec!["d1", "d4"],
        ),
        (
            json!({"field": "duration_ms", "op": "less_than", "values": [30000]}),
            vec!["d3"],
        ),
        (
            json!({"field": "duration_ms", "op": "between", "values": [30000, 120000]}),
            vec!["d1", "d2"],
        ),
        (
            json!({"field": "duration_ms", "op": "is", "values": [5000]}),
            vec!["d3"],
        ),
        (
            json!({"field": "duration_ms", "op": "is_not", "values": [5000]}),
            vec!["d1", "d2", "d4"],
        ),
        (json!({"field": "duration_ms", "op": "exists"}), all.clone()),
        (
            json!({"field": "active_ms", "op": "greater_than", "values": [0]}),
            vec!["d1", "d2", "d4"],
        ),
        (
            json!({"field": "click_count", "op": "is", "values": [10, 2]}),
            vec!["d1", "d2"],
        ),
        (
            json!({"field": "keypress_count", "op": "greater_than", "values": [0]}),
            vec!["d1"],
        ),
        (
            json!({"field": "page_view_count", "op": "greater_than", "values": [1]}),
            vec!["d1", "d4"],
        ),
        (
            json!({"field": "console_error_count", "op": "greater_than", "values": [0]}),
            vec!["d1"],
        ),
        (
            json!({"field": "network_error_count", "op": "greater_than", "values": [0]}),
            vec!["d1", "d4"],
        ),
        (
            json!({"field": "runtime_error_count", "op": "greater_than", "values": [0]}),
            vec!["d1"],
        ),
        (
            json!({"field": "rage_click_count", "op": "greater_than", "values": [0]}),
            vec!["d1"],
        ),
        (
            json!({"field": "dead_click_count", "op": "greater_than", "values": [0]}),
            vec!["d2"],
        ),
        (
            json!({"field": "error_click_count", "op": "greater_than", "values": [0]}),
            vec!["d1"],
        ),
        (
            json!({"field": "error_count", "op": "between", "values": [3, 3]}),
            vec!["d1", "d4"],
        ),
        (
            json!({"field": "viewport_width", "op": "is", "values": [1280]}),
            vec!["d1", "d4"],
        ),
        (
            json!({"field": "viewport_width", "op": "exists"}),
            vec!["d1", "d2", "d4"],
        ),
        (
            json!({"field": "viewport_width", "op": "does_not_exist"}),
            vec!["d3"],
        ),
        // Missing viewport: "not greater than" keeps the session without one.
        (
            json!({"field": "viewport_height", "op": "greater_than", "values": [750], "negate": true}),
            vec!["d1", "d3"],
        ),
        // Text: where the session came from.
        (
            json!({"field": "browser", "op": "is", "values": ["chrome"]}),
            vec!["d1", "d4"],
        ),
        (
            json!({"field": "browser", "op": "is_not", "values": ["Chrome"]}),
            vec!["d2", "d3"],
        ),
        (
            json!({"field": "browser", "op": "contains", "values": ["FIRE"]}),
            vec!["d2"],
        ),
        (
            json!({"field": "browser", "op": "does_not_contain", "values": ["fire"]}),
            vec!["d1", "d3", "d4"],
        ),
        (
            json!({"field": "os", "op": "is", "values": ["Windows", "iOS"]}),
            vec!["d2", "d3"],
        ),
        (json!({"field": "os", "op": "exists"}), all.clone()),
        (
            json!({"field": "device", "op": "is", "values": ["mobile"]}),
            vec!["d3"],
        ),
        (
            json!({"field": "device", "op": "is_not", "values": ["mobile"]}),
            vec!["d1", "d2", "d4"],
        ),
        (
            json!({"field": "country", "op": "is", "values": ["de"]}),
            vec!["d1", "d4"],
        ),
        // The rule of the product reel follows: "is not DE" also finds sessions without a country.
        (
            json!({"field": "country", "op": "is_not", "values": ["DE"]}),
            vec!["d2", "d3"],
        ),
        (
            json!({"field": "country", "op": "contains", "values": ["f"]}),
            vec!["d2"],
        ),
        (
            json!({"field": "country", "op": "exists"}),
            vec!["d1", "d2", "d4"],
        ),
        (
            json!({"field": "country", "op": "does_not_exist"}),
            vec!["d3"],
        ),
        // Users.
        (
            json!({"field": "user_id", "op": "is", "values": ["alice", "carol"]}),
            vec!["d1", "d4"],
        ),
        (
            json!({"field": "user_id", "op": "is_not", "values": ["alice"]}),
            vec!["d2", "d3", "d4"],
        ),
        (
            json!({"field": "user_id", "op": "contains", "values": ["O"]}),
            vec!["d2", "d4"],
        ),
        (
            json!({"field": "user_id", "op": "does_not_contain", "values": ["o"]}),
            vec!["d1", "d3"],
        ),
        (
            json!({"field": "user_id", "op": "exists"}),
            vec!["d1", "d2", "d4"],
        ),
        (
            json!({"field": "user_id", "op": "does_not_exist"}),
            vec!["d3"],
        ),
        (
            json!({"field": "user_property", "property": "plan", "op": "is", "values": ["pro"]}),
            vec!["d1", "d4"],
        ),
        (
            json!({"field": "user_property", "property": "plan", "op": "is_not", "values": ["pro"]}),
            vec!["d2", "d3"],
        ),
        (
            json!({"field": "user_property", "property": "plan", "op": "contains", "values": ["FRE"]}),
            vec!["d2"],
        ),
        (
            json!({"field": "user_property", "property": "plan", "op": "does_not_contain", "values": ["fre"]}),
            vec!["d1", "d3", "d4"],
        ),
        (
            json!({"field": "user_property", "property": "plan", "op": "exists"}),
            vec!["d1", "d2", "d4"],
        ),
        (
            json!({"field": "user_property", "property": "plan", "op": "does_not_exist"}),
            vec!["d3"],
        ),
        (
            json!({"field": "user_property", "property": "age", "op": "greater_than", "values": [30]}),
            vec!["d1"],
        ),
        (
            json!({"field": "user_property", "property": "age", "op": "less_than", "values": [30]}),
            vec!["d2"],
        ),
        (
            json!({"field": "user_property", "property": "age", "op": "between", "values": [20, 40]}),
            vec!["d1", "d2"],
        ),
        (
            json!({"field": "user_property", "property": "age", "op": "is", "values": ["34"]}),
            vec!["d1"],
        ),
        // An anonymous user's properties belong to their device.
        (
            json!({"field": "user_property", "property": "ref", "op": "is", "values": ["ad"]}),
            vec!["d3"],
        ),
        // Events.
        (
            json!({"field": "event", "name": "Purchase"}),
            vec!["d1", "d2", "d4"],
        ),
        (
            json!({"field": "event", "name": "Purchase", "negate": true}),
            vec!["d3"],
        ),
        (
            json!({"field": "event", "name": "Purchase", "min_count": 2}),
            vec!["d1"],
        ),
        (
            json!({"field": "event", "name": "Purchase", "where": [{"property": "plan", "op": "is", "values": ["pro"]}]}),
            vec!["d1", "d4"],
        ),
        (
            json!({"field": "event", "name": "Purchase", "where": [{"property": "plan", "op": "is_not", "values": ["pro"]}]}),
            vec!["d2"],
        ),
        (
            json!({"field": "event", "name": "Purchase", "where": [{"property": "plan", "op": "contains", "values": ["PR"]}]}),
            vec!["d1", "d4"],
        ),
        (
            json!({"field": "event", "name": "Purchase", "where": [{"property": "plan", "op": "does_not_contain", "values": ["pr"]}]}),
            vec!["d2"],
        ),
        (
            json!({"field": "event", "name": "Purchase", "where": [{"property": "price", "op": "greater_than", "values": [10]}]}),
            vec!["d1", "d4"],
        ),
        (
            json!({"field": "event", "name": "Purchase", "where": [{"property": "price", "op": "less_than", "values": [10]}]}),
            vec!["d2"],
        ),
        (
            json!({"field": "event", "name": "Purchase", "where": [{"property": "price", "op": "between", "values": [12, 30]}], "min_count": 2}),
            vec!["d1"],
        ),
        (
            json!({"field": "event", "name": "Purchase", "where": [{"property": "coupon", "op": "exists"}]}),
            vec!["d2"],
        ),
        // Events without a coupon: all of alice's and carol's purchases.
        (
            json!({"field": "event", "name": "Purchase", "where": [{"property": "coupon", "op": "does_not_exist"}]}),
            vec!["d1", "d4"],
        ),
        (
            json!({"field": "event", "name": "Purchase", "where": [{"property": "gift", "op": "is", "values": [true]}]}),
            vec!["d1"],
        ),
        (json!({"field": "event", "name": "Never sent"}), vec![]),
        (
            json!({"field": "event", "name": "Never sent", "negate": true}),
            all.clone(),
        ),
        (
            json!({"field": "sequence", "steps": [{"name": "Add to cart"}, {"name": "Purchase"}]}),
            vec!["d1", "d4"],
        ),
        (
            json!({"field": "sequence", "steps": [{"name": "Purchase"}, {"name": "Add to cart"}]}),
            vec!["d2"],
        ),
        (
            json!({"field": "sequence", "steps": [{"name": "Add to cart"}, {"name": "Purchase", "where": [{"property": "price", "op": "greater_than", "values": [40]}]}]}),
            vec!["d4"],
        ),
        (
            json!({"field": "sequence", "steps": [{"name": "Add to cart"}, {"name": "Purchase"}], "negate": true}),
            vec!["d2", "d3"],
        ),
        // URLs.
        (
            json!({"field": "url", "op": "is", "values": ["https://shop.test/checkout"]}),
            vec!["d1"],
        ),
        (
            json!({"field": "url", "op": "is_not", "values": ["https://shop.test/checkout"]}),
            vec!["d2", "d3", "d4"],
        ),
        (
            json!({"field": "url", "op": "contains", "values": ["PRODUCT"]}),
            vec!["d2", "d4"],
        ),
        (
            json!({"field": "url", "op": "does_not_contain", "values": ["product"]}),
            vec!["d1", "d3"],
        ),
        (
            json!({"field": "url", "op": "starts_with", "values": ["https://blog.test/"]}),
            vec!["d3"],
        ),
        (
            json!({"field": "url", "op": "glob", "values": ["*/product/[12]"]}),
            vec!["d2", "d4"],
        ),
        (
            json!({"field": "url", "op": "glob", "values": ["*/product/*"], "negate": true}),
            vec!["d1", "d3"],
        ),
        (json!({"field": "url", "op": "exists"}), all.clone()),
        (json!({"field": "url", "op": "does_not_exist"}), vec![]),
        // Clicked elements.
        (
            json!({"field": "clicked_element", "selector": "button.checkout"}),
            vec!["d1"],
        ),
        (
            json!({"field": "clicked_element", "selector": "button.checkout", "signal": "dead"}),
            vec!["d2"],
        ),
        (
            json!({"field": "clicked_element", "selector": "button.checkout", "signal": "rage"}),
            vec!["d1"],
        ),
        (
            json!({"field": "clicked_element", "selector": "#main button.btn", "signal": "error"}),
            vec!["d1"],
        ),
        (
            json!({"field": "clicked_element", "selector": "div#main > button[type=submit]"}),
            vec!["d1"],
        ),
        (
            json!({"field": "clicked_element", "selector": "div#main > form button"}),
            vec![],
        ),
        (
            json!({"field": "clicked_element", "selector": "a.nav"}),
            vec!["d2"],
        ),
        (
            json!({"field": "clicked_element", "selector": "button.checkout", "negate": true}),
            vec!["d2", "d3", "d4"],
        ),
        (
            json!({"field": "clicked_element", "op": "is", "values": ["Pay now"]}),
            vec!["d1"],
        ),
        (
            json!({"field": "clicked_element", "op": "is", "values": ["pay now"]}),
            vec![],
        ),
        (
            json!({"field": "clicked_element", "op": "contains", "values": ["PAY"]}),
            vec!["d1"],
        ),
        (
            json!({"field": "clicked_element", "op": "contains", "values": ["pay"], "signal": "dead"}),
            vec!["d2"],
        ),
        (
            json!({"field": "clicked_element", "op": "is_not", "values": ["Pay now"]}),
            vec!["d2", "d3", "d4"],
        ),
        (
            json!({"field": "clicked_element", "op": "does_not_contain", "values": ["home"]}),
            vec!["d1", "d3", "d4"],
        ),
        // Console messages.
        (
            json!({"field": "console_message", "op": "contains", "values": ["x is undefined"]}),
            vec!["d1"],
        ),
        (
            json!({"field": "console_message", "op": "contains", "values": ["undef"]}),
            vec!["d1"],
        ),
        (
            json!({"field": "console_message", "op": "contains", "values": ["payment"]}),
            vec![],
        ),
        (
            json!({"field": "console_message", "op": "does_not_contain", "values": ["slow"]}),
            vec!["d1", "d2", "d4"],
        ),
        (
            json!({"field": "console_message", "op": "is", "values": ["slow network"]}),
            vec!["d3"],
        ),
        (
            json!({"field": "console_message", "op": "is_not", "values": ["slow network"]}),
            vec!["d1", "d2", "d4"],
        ),
        (
            json!({"field": "console_message", "op": "exists"}),
            vec!["d1", "d3"],
        ),
        (
            json!({"field": "console_message", "op": "does_not_exist"}),
            vec!["d2", "d4"],
        ),
    ]
}

#[tokio::test]
async fn every_filter_and_operator() {
    let app = seeded().await;
    let mut failures = Vec::new();
    for (filter, want) in filter_cases() {
        let page = app.page(&json!({"filters": [filter.clone()]})).await;
        if devices(&page) != set(&want) {
            failures.push(format!("{filter}: got {:?}, want {want:?}", devices(&page)));
        }
        assert_eq!(page.total, Some(want.len() as u64), "{filter}");
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[tokio::test]
async fn the_get_form_finds_the_same_as_the_post_form() {
    let app = seeded().await;
    for (filter, want) in filter_cases().into_iter().step_by(7) {
        let query = serde_urlencoded::to_string([("filter", filter.to_string())]).unwrap();
        let (status, body) = json_of(
            app.api(&format!("/replays?{query}"))
                .send()
                .await
                .expect("sent"),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{filter}: {body}");
        let page: ReplayPage = serde_json::from_value(body).unwrap();
        assert_eq!(devices(&page), set(&want), "{filter}");
    }
}

#[tokio::test]
async fn filters_combine_with_and_and_full_text_finds_what_was_shown() {
    let app = seeded().await;
    let cases: Vec<(Value, Vec<&str>)> = vec![
        (
            json!({"filters": [
                {"field": "country", "op": "is", "values": ["DE"]},
                {"field": "event", "name": "Purchase", "where": [{"property": "plan", "op": "is", "values": ["pro"]}]}
            ]}),
            vec!["d1", "d4"],
        ),
        (
            json!({"filters": [
                {"field": "country", "op": "is", "values": ["DE"]},
                {"field": "rage_click_count", "op": "greater_than", "values": [0]}
            ]}),
            vec!["d1"],
        ),
        (json!({"q": "payment failed"}), vec!["d1"]),
        (json!({"q": "Payment"}), vec!["d1", "d3"]),
        (json!({"q": "payment fai"}), vec!["d1"]),
        (json!({"q": "failed payment"}), vec![]),
        (json!({"q": "slow network"}), vec!["d3"]),
        (
            json!({"q": "welcome", "filters": [{"field": "country", "op": "is", "values": ["FR"]}]}),
            vec!["d2"],
        ),
        (
            json!({"q": "welcome", "filters": [{"field": "country", "op": "is_not", "values": ["FR"]}]}),
            vec![],
        ),
    ];
    for (body, want) in cases {
        assert_eq!(devices(&app.page(&body).await), set(&want), "{body}");
    }
}

#[tokio::test]
async fn searches_that_cannot_run_say_why() {
    let app = seeded().await;
    let cases: Vec<(Value, &str)> = vec![
        (
            json!({"filters": [{"field": "country", "op": "greater_than", "values": [1]}]}),
            "filter 1: greater_than does not apply to text",
        ),
        (
            json!({"filters": [{"field": "clicked_element", "selector": "a:hover"}]}),
            "the pseudo-class :hover is not supported",
        ),
        (
            json!({"filters": [{"field": "cohort", "cohort": 99}]}),
            "there is no cohort 99",
        ),
        (
            json!({"filters": [{"field": "colour", "op": "is"}]}),
            "unknown variant `colour`",
        ),
        (json!({"q": "!!"}), "q must hold a word"),
        (
            json!({"start": "2026-02-01", "end": "2026-01-01"}),
            "start must be before end",
        ),
        (json!({"cursor": "forged"}), "not one this server gave out"),
    ];
    for (body, want) in cases {
        let (status, answer) = app.search(&body).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}: {answer}");
        assert_eq!(answer["error"]["code"], "invalid_parameter", "{answer}");
        let message = answer["error"]["message"].as_str().unwrap_or_default();
        assert!(
            message.contains(want),
            "{body}: {message:?} should say {want:?}"
        );
    }
}

#[tokio::test]
async fn cohorts_are_made_changed_and_deleted_and_searches_follow() {
    let app = seeded().await;
    let definition = json!({"conditions": [
        {"user_property": "plan", "op": "is", "values": ["pro"]},
        {"performed": "Purchase", "min_count": 2}
    ]});
    let (status, created) = app
        .send(
            reqwest::Method::POST,
            "/cohorts",
            Some(&json!({"name": "Loyal pros", "definition": definition})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let cohort: Cohort = serde_json::from_value(created).unwrap();
    let by_cohort =
        |op: &str| json!({"filters": [{"field": "cohort", "cohort": cohort.id, "op": op}]});
    // Carol bought once in this session and once 45 days ago: the user's sessions count.
    assert_eq!(
        devices(&app.page(&by_cohort("is")).await),
        set(&["d1", "d4"])
    );
    assert_eq!(
        devices(&app.page(&by_cohort("is_not")).await),
        set(&["d2", "d3"])
    );

    let changed = json!({"name": "Very loyal pros", "definition": {"conditions": [
        {"user_property": "plan", "op": "is", "values": ["pro"]},
        {"performed": "Purchase", "min_count": 2},
        {"user_property": "age", "op": "exists", "negate": true}
    ]}});
    let (status, body) = app
        .send(
            reqwest::Method::PUT,
            &format!("/cohorts/{}", cohort.id),
            Some(&changed),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["name"], "Very loyal pros");
    assert_eq!(devices(&app.page(&by_cohort("is")).await), set(&["d4"]));

    let (status, list) = app.send(reqwest::Method::GET, "/cohorts", None).await;
    assert_eq!(
        (status, list["cohorts"].as_array().map(Vec::len)),
        (StatusCode::OK, Some(1))
    );
    let (status, _) = app
        .send(
            reqwest::Method::DELETE,
            &format!("/cohorts/{}", cohort.id),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, answer) = app.search(&by_cohort("is")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    let (status, _) = app
        .send(
            reqwest::Method::DELETE,
            &format!("/cohorts/{}", cohort.id),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let bad = json!({"name": "x", "definition": {"conditions": []}});
    let (status, answer) = app
        .send(reqwest::Method::POST, "/cohorts", Some(&bad))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
}

#[tokio::test]
async fn saved_searches_keep_the_whole_search_for_the_project() {
    let app = seeded().await;
    let search = json!({"range": "7d", "q": "payment", "sort": "duration", "order": "asc",
        "filters": [{"field": "country", "op": "is", "values": ["DE"]}]});
    let (status, body) = app
        .send(
            reqwest::Method::POST,
            "/saved-searches",
            Some(&json!({"name": "Payment trouble", "search": search})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    let saved: SavedSearch = serde_json::from_value(body).unwrap();
    assert_eq!(
        (saved.name.as_str(), saved.created_by.as_str()),
        ("Payment trouble", ADMIN_EMAIL)
    );
    assert_eq!(serde_json::to_value(&saved.search).unwrap(), search);

    let (_, list) = app
        .send(reqwest::Method::GET, "/saved-searches", None)
        .await;
    let list: SavedSearchList = serde_json::from_value(list).unwrap();
    assert_eq!(list.saved_searches.len(), 1);

    for (bad, want) in [
        (json!({"name": "", "search": {}}), "name must be"),
        (
            json!({"name": "x", "search": {"filters": [{"field": "url", "op": "between", "values": [1, 2]}]}}),
            "between does not apply to urls",
        ),
        (
            json!({"name": "x", "search": {"range": "7d", "start": "2026-01-01"}}),
            "either range or start",
        ),
        (
            json!({"name": "x", "search": {"range": "2w"}}),
            "unknown variant",
        ),
    ] {
        let (status, answer) = app
            .send(reqwest::Method::POST, "/saved-searches", Some(&bad))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {answer}");
        assert!(
            answer["error"]["message"]
                .as_str()
                .unwrap_or("")
                .contains(want),
            "{answer}"
        );
    }
    let (status, _) = app
        .send(
            reqwest::Method::DELETE,
            &format!("/saved-searches/{}", saved.id),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, _) = app
        .send(
            reqwest::Method::DELETE,
            &format!("/saved-searches/{}", saved.id),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_catalog_names_events_and_user_properties() {
    let app = seeded().await;
    let (status, body) = app.send(reqwest::Method::GET, "/catalog", None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let names: Vec<&str> = body["event_names"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(
        names.first(),
        Some(&"Purchase"),
        "most used first: {names:?}"
    );
    assert!(names.contains(&"[reel] Rage Click"), "{names:?}");
    assert_eq!(body["user_properties"], json!(["age", "plan", "ref"]));
}

/// Sorting by each key, both ways, a page of one at a time.
#[tokio::test]
async fn sorted_results_page_through_in_order() {
    let app = seeded().await;
    let cases: Vec<(&str, &str, Vec<&str>)> = vec![
        ("start_time", "desc", vec!["d4", "d3", "d2", "d1"]),
        ("start_time", "asc", vec!["d1", "d2", "d3", "d4"]),
        ("duration", "desc", vec!["d4", "d1", "d2", "d3"]),
        ("duration", "asc", vec!["d3", "d2", "d1", "d4"]),
        ("active_time", "desc", vec!["d4", "d1", "d2", "d3"]),
        // Errors: d1 and d4 have 3 each, d2 and d3 none; ties come in a stable order.
        ("errors", "desc", vec!["d1", "d4", "d2", "d3"]),
    ];
    for (sort, order, want) in cases {
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut body = json!({"sort": sort, "order": order, "limit": 1});
            if let Some(c) = &cursor {
                body["cursor"] = json!(c);
            }
            let page = app.page(&body).await;
            assert_eq!(page.total, Some(4), "{sort} {order}");
            seen.extend(page.replays.iter().map(|r| r.device_id.clone()));
            match page.next_cursor {
                Some(c) => cursor = Some(c),
                None => break,
            }
            assert!(seen.len() <= 4, "{sort} {order}: {seen:?}");
        }
        if sort == "errors" {
            assert_eq!(
                set(&seen.iter().map(String::as_str).collect::<Vec<_>>()),
                set(&want)
            );
            assert_eq!(set(&[&seen[0], &seen[1]]), set(&["d1", "d4"]), "{seen:?}");
        } else {
            assert_eq!(seen, want, "{sort} {order}");
        }
    }
    let (status, answer) = app
        .search(&json!({"sort": "duration", "cursor": app.page(&json!({"limit": 1})).await.next_cursor}))
        .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "a cursor of another sort order: {answer}"
    );
}

fn plain(device: String, start_ms: i64) -> ImportedSession {
    ImportedSession {
        session: SessionRef {
            project_id: 1,
            device_id: device,
            session_id: start_ms,
        },
        start_ms,
        end_ms: start_ms + 1_000,
        first_url: None,
        country: None,
        user_agent: None,
        facts: SessionFacts::default(),
        urls: Vec::new(),
        viewport: None,
        events: Vec::new(),
        texts: Vec::new(),
    }
}

/// Pages stay stable while sessions arrive: newer ones do not push rows into the next page,
/// rows are never repeated or skipped, and an older arrival shows up where it belongs.
#[tokio::test]
async fn cursor_paging_is_stable_while_sessions_arrive() {
    let app = TestApp::spawn().await;
    let base = now_ms() - 5 * 3_600_000;
    let first: Vec<ImportedSession> = (0..150)
        .map(|i| plain(format!("s{i:03}"), base + i * 1_000))
        .collect();
    app.meta.import_sessions(first, now_ms()).await.unwrap();

    let page1 = app.page(&json!({})).await;
    assert_eq!((page1.replays.len(), page1.total), (100, Some(150)));
    let cursor = page1.next_cursor.clone().expect("a second page");
    assert_eq!(page1.replays[0].device_id, "s149");
    assert_eq!(page1.replays[99].device_id, "s050");

    // Arrivals between the pages: ten newer sessions, and one that started before the cursor.
    let mut arrivals: Vec<ImportedSession> = (0..10)
        .map(|i| plain(format!("new{i}"), base + 200_000 + i))
        .collect();
    arrivals.push(plain("late".into(), base + 10_500));
    app.meta.import_sessions(arrivals, now_ms()).await.unwrap();

    let page2 = app.page(&json!({"cursor": cursor})).await;
    let got: Vec<String> = page2.replays.iter().map(|r| r.device_id.clone()).collect();
    let mut want: Vec<String> = (0..50).rev().map(|i| format!("s{i:03}")).collect();
    want.insert(
        want.iter().position(|d| d == "s010").unwrap(),
        "late".into(),
    );
    assert_eq!(got, want);
    assert_eq!(page2.next_cursor, None, "the last page has no cursor");
    assert_eq!(
        page2.total,
        Some(150),
        "the total counted for the first page"
    );

    // Another search from the start sees everything.
    let fresh = app.page(&json!({"limit": 5})).await;
    assert_eq!(fresh.total, Some(161));
    assert_eq!(fresh.replays[0].device_id, "new9");
}

/// A day is the project's day: a session at 23:30 local time belongs to that local day.
#[tokio::test]
async fn dates_are_days_in_the_projects_timezone() {
    let app = TestApp::spawn().await;
    let ms = |s: &str| {
        chrono::DateTime::parse_from_rfc3339(s)
            .unwrap()
            .timestamp_millis()
    };
    // 23:30 on 2026-03-10 in New York (UTC-4 after the DST change on 2026-03-08) is 03:30 UTC
    // on 2026-03-11; 00:30 on 2026-03-11 local is 04:30 UTC.
    app.meta
        .import_sessions(
            vec![
                plain("late-evening".into(), ms("2026-03-11T03:30:00Z")),
                plain("after-midnight".into(), ms("2026-03-11T04:30:00Z")),
                plain("utc-morning".into(), ms("2026-03-10T01:00:00Z")),
            ],
            now_ms(),
        )
        .await
        .unwrap();
    let on = |day: &str| json!({"start": day, "end": day});
    // UTC first: the project's default.
    assert_eq!(
        devices(&app.page(&on("2026-03-10")).await),
        set(&["utc-morning"])
    );
    assert_eq!(
        devices(&app.page(&on("2026-03-11")).await),
        set(&["late-evening", "after-midnight"])
    );

    let (status, body) = app
        .send(
            reqwest::Method::PATCH,
            "/projects/1",
            Some(&json!({"timezone": "America/New_York"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // 01:00 UTC on the 10th is 21:00 on the 9th in New York.
    assert_eq!(
        devices(&app.page(&on("2026-03-09")).await),
        set(&["utc-morning"])
    );
    assert_eq!(
        devices(&app.page(&on("2026-03-10")).await),
        set(&["late-evening"])
    );
    assert_eq!(
        devices(&app.page(&on("2026-03-11")).await),
        set(&["after-midnight"])
    );
    // RFC 3339 instants are what they say, whatever the timezone.
    let instant = json!({"start": "2026-03-11T03:30:00Z", "end": "2026-03-11T03:30:00.001Z"});
    assert_eq!(devices(&app.page(&instant).await), set(&["late-evening"]));
}

/// The whole path: a recording uploaded, processed into derived events and text, then found by
/// what happened in it.
#[tokio::test]
async fn recordings_are_found_by_what_happened_in_them() {
    let app = TestApp::spawn_with(|c| {
        c.processing_delay_ms = 0;
        c.compaction_idle_seconds = 0;
        c.processing_cpu_share = 1.0;
    })
    .await;
    let t = now_ms() - 600_000;
    let cart = json!({"type": 2, "id": 5, "tagName": "div", "attributes": {"id": "cart"}, "childNodes": [
        {"type": 2, "id": 10, "tagName": "button", "attributes": {"class": "btn checkout"},
         "childNodes": [{"type": 3, "id": 11, "textContent": "Pay now"}]}]});
    let note = json!({"type": 2, "id": 40, "tagName": "p", "attributes": {},
        "childNodes": [{"type": 3, "id": 41, "textContent": "Order confirmed soon"}]});
    // What the SDK sends for masked text: only asterisks.
    let masked = json!({"type": 2, "id": 50, "tagName": "p", "attributes": {"class": "reel-mask"},
        "childNodes": [{"type": 3, "id": 51, "textContent": "****** ******"}]});
    let body = json!({"type": 2, "id": 4, "tagName": "body", "attributes": {}, "childNodes": [cart, note, masked]});
    let html =
        json!({"type": 2, "id": 3, "tagName": "html", "attributes": {}, "childNodes": [body]});
    let snapshot = json!({"type": 2, "timestamp": t, "data": {"initialOffset": {"top": 0, "left": 0},
        "node": {"type": 0, "id": 1, "childNodes": [html]}}});
    let click = |ts: i64, x: i64| {
        json!({"type": 3, "timestamp": ts, "data": {"source": 2, "type": 2, "id": 11, "x": x, "y": 20}})
            .to_string()
    };
    let events = vec![
        meta(t, "https://shop.test/cart"),
        snapshot.to_string(),
        click(t + 1_000, 100),
        click(t + 1_200, 101),
        click(t + 1_400, 102),
        json!({"type": 6, "timestamp": t + 1_500, "data": {"plugin": "rrweb/console@1", "payload": {
            "level": "error", "trace": [], "payload": ["\"Payment widget crashed\""]}}})
        .to_string(),
        mouse_move(t + 9_000, 5),
    ];
    app.track_ok("d-real", t, &events).await;
    let id = replay_id("d-real", t);
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    loop {
        let (_, replay) = app.replay(&id).await;
        if replay["processing_pending"] == false {
            break;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "processing did not settle: {replay}"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let finds = |body: Value| {
        let app = &app;
        async move {
            app.page(&body)
                .await
                .replays
                .iter()
                .any(|r| r.device_id == "d-real")
        }
    };
    assert!(finds(json!({"q": "order confirmed"})).await);
    assert!(
        finds(json!({"q": "Payment widget"})).await,
        "console text is searched too"
    );
    assert!(!finds(json!({"q": "confirmed order"})).await);
    for filter in [
        json!({"field": "clicked_element", "selector": "div#cart > button.checkout"}),
        json!({"field": "clicked_element", "selector": "button.btn", "signal": "rage"}),
        json!({"field": "clicked_element", "op": "is", "values": ["Pay now"]}),
        json!({"field": "console_message", "op": "contains", "values": ["widget crashed"]}),
        json!({"field": "rage_click_count", "op": "greater_than", "values": [0]}),
        json!({"field": "url", "op": "is", "values": ["https://shop.test/cart"]}),
        json!({"field": "event", "name": "[reel] Rage Click"}),
    ] {
        assert!(
            finds(json!({"filters": [filter.clone()]})).await,
            "{filter}"
        );
    }
    assert!(
        !finds(json!({"filters": [{"field": "clicked_element", "selector": "a.checkout"}]})).await
    );
}
