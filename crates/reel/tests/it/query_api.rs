//! The query API under `/api/v1`: the replay list (order, limit, time range), one replay,
//! errors with stable codes, and the OpenAPI description.

use reqwest::StatusCode;
use reqwest::header::{AUTHORIZATION, CONTENT_TYPE};
use serde_json::Value;
use tokio::task::JoinSet;

use crate::support::*;

fn devices(replays: &[Value]) -> Vec<String> {
    replays
        .iter()
        .map(|r| r["device_id"].as_str().expect("device_id").to_owned())
        .collect()
}

/// Uploads one tiny session per (device, start) concurrently.
async fn upload_sessions(app: &TestApp, sessions: &[(String, i64)]) {
    let mut uploads = JoinSet::new();
    for (device, start) in sessions {
        let request = app
            .client
            .post(app.track_url(device, *start))
            .header(AUTHORIZATION, format!("Bearer {KEY}"))
            .body(
                serde_json::json!({"version": 1, "events": [meta(*start, "https://shop.test/")]})
                    .to_string(),
            );
        let device = device.clone();
        uploads.spawn(async move { (device, request.send().await.map(|r| r.status())) });
    }
    while let Some(done) = uploads.join_next().await {
        let (device, status) = done.expect("upload task");
        assert_eq!(status.expect("sent"), StatusCode::OK, "{device}");
    }
}

#[tokio::test]
async fn the_list_is_newest_first_and_at_most_100_long() {
    let app = TestApp::spawn().await;
    let base = now_ms() - 3_600_000;
    let sessions: Vec<(String, i64)> = (0..105)
        .map(|i| (format!("d{i:03}"), base + i * 1_000))
        .collect();
    upload_sessions(&app, &sessions).await;
    let newest_first: Vec<String> = sessions.iter().rev().map(|(d, _)| d.clone()).collect();
    // (query, how many of the newest sessions come back)
    let cases = [
        ("", 100),
        ("limit=2", 2),
        ("limit=1", 1),
        ("limit=99", 99),
        ("limit=100", 100),
        ("limit=101", 100),
        ("limit=100000", 100),
    ];
    for (query, want) in cases {
        let replays = app.replays_with(query).await;
        assert_eq!(devices(&replays), newest_first[..want], "{query}");
    }
}

#[tokio::test]
async fn time_ranges_select_sessions_by_start() {
    let app = TestApp::spawn().await;
    let now = now_ms();
    let recent = now - 3_600_000;
    let old = now - 40 * DAY_MS;
    let older = now - 45 * DAY_MS;
    upload_sessions(
        &app,
        &[
            ("recent".into(), recent),
            ("old".into(), old),
            ("older".into(), older),
        ],
    )
    .await;
    let day = |ms: i64| rfc3339(ms)[..10].to_owned();
    let with_offset = |ms: i64| rfc3339(ms + 2 * 3_600_000).replace('Z', "%2B02:00");
    // (query, devices newest first)
    let cases: Vec<(String, Vec<&str>)> = vec![
        ("".into(), vec!["recent"]),
        (format!("start={}&end={}", day(old), day(old)), vec!["old"]),
        (
            format!(
                "start={}&end={}",
                rfc3339(old - 1_000),
                rfc3339(old + 1_000)
            ),
            vec!["old"],
        ),
        (
            format!("start={}&end={}", rfc3339(old), rfc3339(old + 1)),
            vec!["old"],
        ),
        (
            format!("start={}&end={}", rfc3339(old + 1), rfc3339(now)),
            vec!["recent"],
        ),
        (
            format!("start={}&end={}", rfc3339(older - 1), rfc3339(old)),
            vec!["older"],
        ),
        (
            format!(
                "start={}&end={}",
                with_offset(old - 1_000),
                with_offset(old + 1_000)
            ),
            vec!["old"],
        ),
        (
            format!("start={}", day(older)),
            vec!["recent", "old", "older"],
        ),
        (
            format!("start={}&end={}", day(older), day(now)),
            vec!["recent", "old", "older"],
        ),
        (format!("end={}", day(old)), vec!["old", "older"]),
        (
            format!(
                "start={}&end={}",
                day(now - 10 * DAY_MS),
                day(now - 9 * DAY_MS)
            ),
            vec![],
        ),
    ];
    for (query, want) in cases {
        assert_eq!(devices(&app.replays_with(&query).await), want, "{query}");
    }
}

#[tokio::test]
async fn bad_parameters_and_unknown_ids_get_stable_error_codes() {
    let (app, session) = TestApp::spawn_with_replay("d-q").await;
    let id = replay_id("d-q", session);
    let missing = replay_id("d-q", session + 1);
    // (path under /api/v1, status, code)
    let cases = [
        (
            "/replays?start=yesterday".to_owned(),
            StatusCode::BAD_REQUEST,
            "invalid_parameter",
        ),
        (
            "/replays?end=2026-13-01".to_owned(),
            StatusCode::BAD_REQUEST,
            "invalid_parameter",
        ),
        (
            "/replays?start=2026-01-02&end=2026-01-01".to_owned(),
            StatusCode::BAD_REQUEST,
            "invalid_parameter",
        ),
        (
            "/replays?limit=abc".to_owned(),
            StatusCode::BAD_REQUEST,
            "invalid_parameter",
        ),
        (
            "/replays?limit=-1".to_owned(),
            StatusCode::BAD_REQUEST,
            "invalid_parameter",
        ),
        (
            "/replays?project=abc".to_owned(),
            StatusCode::BAD_REQUEST,
            "invalid_parameter",
        ),
        (
            "/replays?project=999".to_owned(),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            format!("/replays/{missing}"),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            format!("/replays/{missing}/events"),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            "/replays/not-an-id".to_owned(),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            "/replays/not-an-id/events".to_owned(),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            format!("/replays/{id}/events?project=999"),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
        (
            "/no-such-endpoint".to_owned(),
            StatusCode::NOT_FOUND,
            "not_found",
        ),
    ];
    for (path, want_status, want_code) in cases {
        let (status, body) = json_of(app.api(&path).send().await.expect("sent")).await;
        assert_eq!(status, want_status, "{path}: {body}");
        assert_eq!(body["error"]["code"], want_code, "{path}: {body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| !m.is_empty()),
            "{path}: {body}"
        );
    }
    // The good requests next to them still work.
    let (status, _) = app.replay(&id).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(app.events(&id).await.len(), 2);
}

#[tokio::test]
async fn the_api_is_described_and_health_is_reported() {
    let app = TestApp::spawn().await;
    let response = app
        .client
        .get(app.url("/api/v1/openapi.json"))
        .send()
        .await
        .expect("sent");
    let content_type = response
        .headers()
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_owned();
    let (status, spec) = json_of(response).await;
    assert_eq!(status, StatusCode::OK);
    assert!(
        content_type.starts_with("application/json"),
        "{content_type}"
    );
    assert!(
        spec["openapi"].as_str().is_some_and(|v| v.starts_with('3')),
        "{}",
        spec["openapi"]
    );
    for path in [
        "/replays",
        "/replays/{id}",
        "/replays/{id}/events",
        "/login",
        "/logout",
        "/me",
        "/tokens",
        "/tokens/{id}",
    ] {
        assert!(spec["paths"][path].is_object(), "openapi.json lacks {path}");
    }

    let response = app
        .client
        .get(app.url("/healthz"))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(response.text().await.expect("body").trim(), "ok");
}
