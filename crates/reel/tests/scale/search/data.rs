//! The sessions, loose events, searches and cohorts both stores are given and asked: every
//! filter kind and hostile strings.

use super::*;

/// 2026-01-05 00:00 UTC.
pub(super) const T0: i64 = 1_767_571_200_000;
pub(super) const MINUTE: i64 = 60_000;

/// Texts that end a string literal, or a LIKE pattern's meaning, when spliced as they are.
pub(super) const HOSTILE: &str = "O'Brien \\' OR 1=1 -- %_\u{0}\n\ttab";
pub(super) const HOSTILE_KEY: &str = "it's \\ key%_";

pub(super) struct Session {
    pub(super) device: &'static str,
    pub(super) user: Option<&'static str>,
    pub(super) start_ms: i64,
    pub(super) duration_ms: i64,
    pub(super) facts: &'static [(Fact, i64)],
    pub(super) country: Option<&'static str>,
    pub(super) agent: Option<(&'static str, &'static str, &'static str)>,
    pub(super) viewport: Option<(u32, u32)>,
    pub(super) urls: Vec<String>,
    /// (event type, event properties, user properties, offset ms)
    pub(super) events: Vec<(String, Value, Value, i64)>,
    /// (console level, text)
    pub(super) texts: Vec<(Option<&'static str>, String)>,
}

pub(super) fn element(selector: &str, tag: &str, text: &str, classes: &[&str]) -> Value {
    json!({
        "[reel] Element Selector": selector,
        "[reel] Element Tag": tag,
        "[reel] Element Text": text,
        "[reel] Element Classes": classes,
        "[reel] Element Type": "submit",
    })
}

pub(super) fn ev(
    name: &str,
    props: Value,
    user_props: Value,
    offset: i64,
) -> (String, Value, Value, i64) {
    (name.to_owned(), props, user_props, offset)
}

pub(super) fn sessions() -> Vec<Session> {
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
    pub(super) fn imported(&self, project_id: i64) -> ImportedSession {
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
pub(super) fn loose_events() -> Vec<AnalyticsEvent> {
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
pub(super) fn cases() -> Vec<Value> {
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
pub(super) fn cohorts() -> HashMap<i64, CohortDefinition> {
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
