//! What operators watch: the Ingestion Monitor (a project's requests, events and bytes
//! accepted, throttled and rejected by reason, per minute), the same counters at `/metrics` in
//! Prometheus' text format with HTTP and process metrics, and the audit log of sign-ins.

use std::sync::Arc;

use reel_engine::ManualClock;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::*;

const T0: i64 = 1_767_225_600_000;

fn total<'a>(monitor: &'a Value, outcome: &str, reason: &str) -> &'a Value {
    monitor["totals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["outcome"] == outcome && t["reason"] == reason)
        .unwrap_or_else(|| panic!("no {outcome}/{reason} total: {monitor}"))
}

#[tokio::test]
async fn the_ingestion_monitor_counts_every_outcome_per_minute_and_metrics_agree() {
    let clock = Arc::new(ManualClock::at(T0));
    let app = TestApp::spawn_with_clock(clock.clone(), |c| c.ingest_events_per_second = 3).await;
    // Minute one: an upload accepted, one malformed, analytics throttled.
    let events = page(T0, "https://shop.test/");
    app.track_ok("m", T0, &events).await;
    let malformed = app
        .client
        .post(app.track_url("m", T0))
        .bearer_auth(KEY)
        .body("not json")
        .send()
        .await
        .unwrap();
    assert_eq!(malformed.status(), StatusCode::BAD_REQUEST);
    // The bucket holds 30 events; two went to the upload.
    let forty: Vec<Value> = (0..40)
        .map(|i| json!({"event_type": "x", "device_id": "m", "insert_id": format!("m{i}")}))
        .collect();
    let throttled = app.httpapi(&json!({"api_key": KEY, "events": forty})).await;
    assert_eq!(throttled.status(), StatusCode::TOO_MANY_REQUESTS);
    // Counts written by the flush and counts not written yet are both shown, once.
    reel_server::monitor::flush(&app.state).await;
    // Minute two: another accepted upload; a request with an unknown key counts for no project.
    clock.advance(60_000);
    app.track_ok("m", T0, &[mouse_move(T0 + 60_000, 1)]).await;
    let unknown = app
        .client
        .post(app.track_url("m", T0))
        .bearer_auth("not-a-key")
        .json(&json!({"version": 1, "events": []}))
        .send()
        .await
        .unwrap();
    assert_eq!(unknown.status(), StatusCode::UNAUTHORIZED);

    let (status, monitor) = app.call(Method::GET, "/projects/1/ingestion", None).await;
    assert_eq!(status, StatusCode::OK, "{monitor}");
    let minutes = monitor["minutes"].as_array().unwrap();
    assert_eq!(minutes.len(), 2, "{monitor}");
    assert_eq!(minutes[0]["minute"], rfc3339(T0));
    assert_eq!(minutes[0]["accepted"]["requests"], 1);
    assert_eq!(minutes[0]["accepted"]["events"], 2);
    assert!(minutes[0]["accepted"]["bytes"].as_i64().unwrap() > 100);
    assert_eq!(minutes[0]["rejected"]["requests"], 1);
    assert_eq!(minutes[0]["throttled"]["requests"], 1);
    assert_eq!(minutes[0]["throttled"]["events"], 40);
    assert_eq!(minutes[1]["minute"], rfc3339(T0 + 60_000));
    assert_eq!(minutes[1]["accepted"]["requests"], 1);
    assert_eq!(
        total(&monitor, "rejected", "invalid_request")["requests"],
        1
    );
    assert_eq!(total(&monitor, "accepted", "")["requests"], 2);
    // A day later the first minutes are out of the window.
    clock.advance(24 * 3_600_000);
    let (_, later) = app.call(Method::GET, "/projects/1/ingestion", None).await;
    assert_eq!(later["minutes"], json!([]), "{later}");

    // /metrics: the same counters since start, HTTP requests by route, the process.
    let response = app
        .client
        .get(app.url("/metrics"))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()["content-type"]
            .to_str()
            .unwrap()
            .starts_with("text/plain; version=0.0.4")
    );
    let text = response.text().await.unwrap();
    for line in [
        "reel_ingest_requests_total{project=\"1\",endpoint=\"replay\",outcome=\"accepted\",reason=\"\"} 2",
        "reel_ingest_requests_total{project=\"1\",endpoint=\"replay\",outcome=\"rejected\",reason=\"invalid_request\"} 1",
        "reel_ingest_requests_total{project=\"1\",endpoint=\"events\",outcome=\"throttled\",reason=\"\"} 1",
        "reel_ingest_events_total{project=\"1\",endpoint=\"events\",outcome=\"throttled\",reason=\"\"} 40",
        "reel_ingest_requests_total{project=\"none\",endpoint=\"replay\",outcome=\"rejected\",reason=\"invalid_api_key\"} 1",
        "reel_http_requests_total{method=\"POST\",route=\"/sessions/v2/track\",status=\"200\"} 2",
        "reel_http_requests_total{method=\"GET\",route=\"/api/v1/projects/{id}/ingestion\",status=\"200\"} 2",
        "# TYPE reel_http_request_duration_seconds histogram",
        "# TYPE process_resident_memory_bytes gauge",
        "# TYPE process_cpu_seconds_total counter",
        "# TYPE reel_http_connections_open gauge",
    ] {
        assert!(text.contains(line), "/metrics lacks {line:?}:\n{text}");
    }
    // The same text under /api/v1, where the OpenAPI document describes it.
    let api = app.call(Method::GET, "/metrics", None).await;
    assert_eq!(api.0, StatusCode::OK);
    assert!(
        api.1
            .as_str()
            .unwrap()
            .contains("# TYPE reel_ingest_requests_total counter")
    );
    // Every sample line is `name{labels} value` with a number.
    for line in text.lines().filter(|l| !l.starts_with('#')) {
        let value = line.rsplit(' ').next().unwrap();
        assert!(value.parse::<f64>().is_ok(), "{line}");
    }
}

#[tokio::test]
async fn sign_ins_are_in_the_audit_log_for_organization_admins() {
    let app = TestApp::spawn().await;
    let (_, token) = app.person("erin@it.test", "admin", 1).await;
    let wrong = app
        .client
        .post(app.url("/api/v1/login"))
        .json(&json!({"email": "erin@it.test", "password": "not-hers"}))
        .send()
        .await
        .unwrap();
    assert_eq!(wrong.status(), StatusCode::UNAUTHORIZED);
    // The whole organization's log: sign-ins included.
    let (_, log) = app.call(Method::GET, "/audit-log", None).await;
    let actions: Vec<(&str, &str)> = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| (e["action"].as_str().unwrap(), e["actor"].as_str().unwrap()))
        .collect();
    assert!(actions.contains(&("login", "erin@it.test")), "{log}");
    assert!(actions.contains(&("login_failed", "erin@it.test")), "{log}");
    assert!(actions.contains(&("user_created", ADMIN_EMAIL)), "{log}");
    // A project admin reads their project's log, which has no sign-ins.
    let (status, theirs) = app.call_as(&token, Method::GET, "/audit-log", None).await;
    assert_eq!(status, StatusCode::OK, "{theirs}");
    assert!(
        theirs["entries"]
            .as_array()
            .unwrap()
            .iter()
            .all(|e| e["project_id"] == 1),
        "{theirs}"
    );
    // Pages: `before` continues where a page ended.
    let (_, first) = app.call(Method::GET, "/audit-log?limit=1", None).await;
    let before = first["next_before"].as_i64().expect("more lines");
    let (_, second) = app
        .call(
            Method::GET,
            &format!("/audit-log?limit=1&before={before}"),
            None,
        )
        .await;
    assert!(
        second["entries"][0]["id"].as_i64().unwrap() < before,
        "{second}"
    );
}
