//! What a hostile visitor can plant with the public ingestion key, or try at sign-in, leaves
//! search and sign-in working for everyone: a selector that would backtrack for ever, events
//! nested past what the database's JSON functions read, property names that break JSON paths,
//! thousands of invented accounts — and every page of reel keeps its headers.

use reqwest::StatusCode;
use reqwest::header::{
    AUTHORIZATION, CONTENT_SECURITY_POLICY, CONTENT_TYPE, X_CONTENT_TYPE_OPTIONS,
};
use serde_json::{Value, json};

use crate::support::*;

/// A session with a recording (searches list sessions that have one), started a minute ago.
async fn recorded_session(app: &TestApp, device: &str) -> i64 {
    let session = now_ms() - 60_000;
    app.track_ok(
        device,
        session,
        &page(session, "https://shop.example/checkout"),
    )
    .await;
    session
}

/// `POST /api/v1/replays/search` over the last day: status and the devices found.
async fn search(app: &TestApp, filters: Value) -> (StatusCode, Value) {
    let body = json!({
        "start": rfc3339(now_ms() - DAY_MS),
        "end": rfc3339(now_ms() + 60_000),
        "filters": filters,
    });
    app.send(reqwest::Method::POST, "/replays/search", Some(&body))
        .await
}

fn devices(body: &Value) -> Vec<&str> {
    body["replays"]
        .as_array()
        .unwrap_or_else(|| panic!("no replays: {body}"))
        .iter()
        .map(|r| r["device_id"].as_str().unwrap())
        .collect()
}

fn nested(levels: usize) -> String {
    format!("{}1{}", "[".repeat(levels), "]".repeat(levels))
}

#[tokio::test]
async fn a_deep_path_and_a_long_selector_answer_at_once() {
    let app = TestApp::spawn().await;
    let session = recorded_session(&app, "deep-path").await;
    let path = format!("{} > button.pay", vec!["div"; 40].join(" > "));
    let (status, body) = json_of(
        app.httpapi(&json!({"api_key": KEY, "events": [{
            "event_type": "[reel] Element Clicked", "device_id": "deep-path", "session_id": session,
            "time": session + 1_000, "insert_id": "deep-click",
            "event_properties": {"[reel] Element Selector": path, "[reel] Element Tag": "button",
                                 "[reel] Element Classes": ["pay"]},
        }]}))
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");

    // Sixteen parts, no span above the divs: backtracking tried C(40, 14) placements (hours).
    let selector = format!("span {} button", vec!["div"; 14].join(" "));
    let (status, body) = search(
        &app,
        json!([{"field": "clicked_element", "selector": selector}]),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(devices(&body), Vec::<&str>::new());
    // The same depth of selector, satisfiable, finds the session.
    let selector = format!("{} > button.pay", vec!["div"; 15].join(" "));
    let (status, body) = search(
        &app,
        json!([{"field": "clicked_element", "selector": selector}]),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(devices(&body), ["deep-path"]);
}

/// Property names a user can type into a search, each with its own value.
const ODD_NAMES: &[&str] = &[
    "plan",
    "a.b",
    "a[0]",
    "$.x",
    "quote\"inside",
    "ends with backslash\\",
    "ünïcödé 🎉",
    "with space",
    "'single'",
];

#[tokio::test]
async fn planted_properties_leave_every_search_working() {
    let app = TestApp::spawn().await;
    let session = recorded_session(&app, "planted").await;
    let mut properties = serde_json::Map::new();
    for (i, name) in ODD_NAMES.iter().enumerate() {
        properties.insert((*name).into(), json!(format!("value-{i}")));
    }
    let long_name = "k".repeat(5_000);
    let huge = "x".repeat(100_000);
    let events = [
        // Over every limit at once, beside properties that fit.
        format!(
            r#"{{"event_type":"Buy","device_id":"planted","session_id":{session},"time":{},"insert_id":"buy-1",
                "event_properties":{},
                "user_properties":{{"$set":{{"tier":"gold","deep":{}}}}}}}"#,
            session + 1_000,
            serde_json::to_string(&properties).unwrap().replacen(
                '{',
                &format!(
                    r#"{{"deep":{},"{long_name}":1,"huge":"{huge}","#,
                    nested(1_100)
                ),
                1
            ),
            nested(1_100),
        ),
        // Fine on its own: it must not be lost beside the other.
        format!(
            r#"{{"event_type":"Buy","device_id":"planted","session_id":{session},"time":{},"insert_id":"buy-2",
                "event_properties":{{"plan":"second"}}}}"#,
            session + 2_000
        ),
    ];
    for (endpoint, i) in [("/2/httpapi", 0), ("/batch", 1)] {
        let response = app
            .client
            .post(app.url(endpoint))
            .header(CONTENT_TYPE, "application/json")
            .body(format!(r#"{{"api_key":"{KEY}","events":[{}]}}"#, events[i]))
            .send()
            .await
            .expect("sent");
        let (status, body) = json_of(response).await;
        assert_eq!(status, StatusCode::OK, "{endpoint}: {body}");
        assert_eq!(body["events_ingested"], 1, "{body}");
        // The deep, long-named and huge event properties and the deep user property.
        let dropped = if i == 0 { json!(4) } else { Value::Null };
        assert_eq!(body["properties_dropped"], dropped, "{endpoint}: {body}");
    }

    // Every name is searchable, and the planted values break no search.
    for (i, name) in ODD_NAMES.iter().enumerate() {
        let (status, body) = search(
            &app,
            json!([{"field": "event", "name": "Buy",
                    "where": [{"property": name, "op": "is", "values": [format!("value-{i}")]}]}]),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{name:?}: {body}");
        assert_eq!(devices(&body), ["planted"], "{name:?}");
    }
    let cases = [
        json!([{"field": "event", "name": "Buy",
                "where": [{"property": "plan", "op": "is", "values": ["second"]}]}]),
        json!([{"field": "event", "name": "Buy", "where": [{"property": "deep", "op": "exists"}]}]),
        json!([{"field": "event", "name": "Buy",
                "where": [{"property": "huge", "op": "contains", "values": ["x"]}]}]),
        json!([{"field": "user_property", "property": "tier", "op": "is", "values": ["gold"]}]),
        json!([{"field": "user_property", "property": "deep", "op": "exists"}]),
    ];
    let want: [&[&str]; 5] = [&["planted"], &[], &[], &["planted"], &[]];
    for (filters, want) in cases.into_iter().zip(want) {
        let (status, body) = search(&app, filters.clone()).await;
        assert_eq!(status, StatusCode::OK, "{filters}: {body}");
        assert_eq!(devices(&body), want, "{filters}");
    }
}

#[tokio::test]
async fn thousands_of_invented_accounts_stay_within_the_limiter() {
    let app = TestApp::spawn_with(|c| {
        c.login_limiter_entries = 50;
        c.login_attempts_per_address = 1_000;
        c.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    let login = |email: String, from: usize| {
        app.client
            .post(app.url("/api/v1/login"))
            .header(CONTENT_TYPE, "application/json")
            .header(
                "x-forwarded-for",
                format!("10.0.{}.{}", from / 250, from % 250),
            )
            .body(json!({"email": email, "password": "wrong"}).to_string())
            .send()
    };
    // An email longer than any real one is refused before a limiter remembers it.
    let long = format!("{}@example.com", "a".repeat(1_000));
    let (status, body) = json_of(login(long, 0).await.unwrap()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(
        body["error"]["message"].as_str().unwrap().contains("254"),
        "{body}"
    );
    assert_eq!(app.login.by_account.len(), 0);
    assert_eq!(app.login.by_address.len(), 0);

    for i in 0..120 {
        let response = login(format!("nobody-{i}@example.com"), i).await.unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert!(app.login.by_account.len() <= 50);
        assert!(app.login.by_address.len() <= 50);
    }
    assert_eq!(app.login.by_account.len(), 50);
    // The admin still signs in.
    let response = app
        .client
        .post(app.url("/api/v1/login"))
        .header(CONTENT_TYPE, "application/json")
        .body(json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
}

#[tokio::test]
async fn every_page_and_script_carries_its_headers() {
    let app = TestApp::spawn_with(|c| c.demo = true).await;
    let mut paths: Vec<String> = [
        "/",
        "/login",
        "/replays",
        "/cohorts",
        "/feedback",
        "/replays/abc",
        "/sdk.js",
        "/demo",
        "/demo/",
        "/demo/config.js",
        "/healthz",
        "/no/such/page",
        "/assets/no-such.js",
        "/api/v1/openapi.json",
    ]
    .iter()
    .map(|p| (*p).to_owned())
    .collect();
    paths.extend(
        reel_server::embedded_paths()
            .into_iter()
            .filter(|p| !p.starts_with("/sdk/"))
            .map(str::to_owned),
    );
    assert!(paths.iter().any(|p| p == "/assets/index.html"), "{paths:?}");
    for path in &paths {
        let response = app.client.get(app.url(path)).send().await.unwrap();
        let headers = response.headers();
        let kind = headers
            .get(CONTENT_TYPE)
            .map(|v| v.to_str().unwrap().to_owned())
            .unwrap_or_default();
        assert_eq!(
            headers
                .get(X_CONTENT_TYPE_OPTIONS)
                .map(|v| v.to_str().unwrap()),
            Some("nosniff"),
            "{path} ({kind})"
        );
        if kind.starts_with("text/html") {
            let csp = headers
                .get(CONTENT_SECURITY_POLICY)
                .unwrap_or_else(|| panic!("{path} is HTML without a policy"))
                .to_str()
                .unwrap();
            assert!(csp.contains("frame-ancestors 'none'"), "{path}: {csp}");
            assert!(csp.contains("script-src 'self'"), "{path}: {csp}");
        }
    }

    // The feedback route's errors are the API's JSON.
    let session = recorded_session(&app, "feedback").await;
    let response = app
        .client
        .post(app.url(&format!(
            "/api/v1/replays/{}/feedback",
            replay_id("feedback", session)
        )))
        .header(AUTHORIZATION, format!("Bearer {ADMIN_TOKEN}"))
        .header(CONTENT_TYPE, "application/json")
        .body("{not json")
        .send()
        .await
        .unwrap();
    let (status, body) = json_of(response).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["error"]["code"], "invalid_parameter", "{body}");
}
