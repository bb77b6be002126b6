//! Searching replays through the API: every filter and operator, the rule that a negated filter
//! keeps sessions lacking the value, full text, combined filters, and searches that cannot run.
//! The sessions and helpers here serve `search_library.rs` (saved searches, cohorts, the
//! catalog) and `search_paging.rs` (sorting, cursors, timezones, a processed recording) too.
//!
//! Most sessions here are brought in with their facts, events and text the way `reel generate`
//! does (`MetaStore::import_sessions`), so each case can name exactly what a session holds.

use std::collections::BTreeSet;

use reel_engine::store::{
    AnalyticsEvent, Fact, ImportedSession, SessionFacts, SessionRef, SessionText, UserAgent,
};
use reel_server::api_types::ReplayPage;
use reqwest::StatusCode;
use reqwest::header::AUTHORIZATION;
use serde_json::{Value, json};

use crate::support::*;

pub(crate) const MINUTE: i64 = 60_000;

/// A session brought in with its facts.
pub(crate) struct Fixture {
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

pub(crate) fn facts(pairs: &[(Fact, i64)]) -> SessionFacts {
    let mut f = SessionFacts::default();
    for (fact, v) in pairs {
        f.set(*fact, *v);
    }
    f
}

pub(crate) const ACTIVE: Fact = Fact::ActiveMs;
pub(crate) const CLICKS: Fact = Fact::ClickCount;
pub(crate) const KEYS: Fact = Fact::KeypressCount;
pub(crate) const VIEWS: Fact = Fact::PageViewCount;
pub(crate) const WARN: Fact = Fact::ConsoleWarnCount;
pub(crate) const CONSOLE_ERR: Fact = Fact::ConsoleErrorCount;
pub(crate) const NET_ERR: Fact = Fact::NetworkErrorCount;
pub(crate) const RUNTIME: Fact = Fact::RuntimeErrorCount;
pub(crate) const RAGE: Fact = Fact::RageClickCount;
pub(crate) const DEAD: Fact = Fact::DeadClickCount;
pub(crate) const ERROR_CLICK: Fact = Fact::ErrorClickCount;

pub(crate) fn element(selector: &str, tag: &str, text: &str, classes: &[&str]) -> Value {
    json!({
        "[reel] Element Selector": selector,
        "[reel] Element Tag": tag,
        "[reel] Element Text": text,
        "[reel] Element Classes": classes,
        "[reel] Element Type": "submit",
    })
}

pub(crate) fn no_props() -> Value {
    json!({})
}

/// d1 alice (DE, Chrome, checkout trouble), d2 bob (FR, Firefox), d3 anonymous (no country,
/// mobile), d4 carol (DE); carol has a second, older session outside the default range.
pub(crate) fn fixtures(now: i64) -> Vec<Fixture> {
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

pub(crate) async fn seeded() -> TestApp {
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
    pub(crate) async fn search(&self, body: &Value) -> (StatusCode, Value) {
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

    pub(crate) async fn page(&self, body: &Value) -> ReplayPage {
        let (status, answer) = self.search(body).await;
        assert_eq!(status, StatusCode::OK, "{body}: {answer}");
        serde_json::from_value(answer).expect("a ReplayPage")
    }
}

pub(crate) fn devices(page: &ReplayPage) -> BTreeSet<String> {
    page.replays.iter().map(|r| r.device_id.clone()).collect()
}

pub(crate) fn set(devices: &[&str]) -> BTreeSet<String> {
    devices.iter().map(|d| (*d).to_owned()).collect()
}

/// Every filter and every operator it takes, one search each: (filter, the sessions found).
pub(crate) fn filter_cases() -> Vec<(Value, Vec<&'static str>)> {
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
        let (status, body) = app.get(&format!("/replays?{query}")).await;
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
