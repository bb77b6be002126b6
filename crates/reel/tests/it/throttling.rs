//! Ingestion limits per project (events a second, bytes a second; the server's `REEL_*`
//! defaults, a project's own settings): over a limit, 429 with `Retry-After` — on `/2/httpapi`
//! in Amplitude's 429 shape, every event of the request listed as throttled — and nothing of the
//! request is stored; once the burst is over, the same request (the SDK's retry) is taken and
//! nothing is lost. On a test clock: the second that refills a bucket is the clock's.

use std::sync::Arc;

use reel_engine::ManualClock;
use reel_engine::store::sqlite::inspect::{Inspector, Rows};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::*;

const T0: i64 = 1_767_225_600_000;

fn batch(n: usize, from: usize) -> Value {
    let events: Vec<Value> = (from..from + n)
        .map(|i| json!({"event_type": "Tick", "device_id": "d", "insert_id": format!("tick-{i}"), "time": T0 + i as i64}))
        .collect();
    json!({"api_key": KEY, "events": events})
}

#[tokio::test]
async fn a_burst_over_the_events_limit_gets_429s_and_its_retries_land() {
    let clock = Arc::new(ManualClock::at(T0));
    let app = TestApp::spawn_with_clock(clock.clone(), |c| c.ingest_events_per_second = 10).await;
    let (_, settings) = app.call(Method::GET, "/projects/1/settings", None).await;
    assert_eq!(settings["effective_events_per_second"], 10, "{settings}");
    assert_eq!(
        settings["events_per_second"],
        Value::Null,
        "the server's default"
    );
    // The bucket holds ten seconds: 100 events at once, then 10 a second.
    let (status, _) = json_of(app.httpapi(&batch(60, 0)).await).await;
    assert_eq!(status, StatusCode::OK);
    // The same instant: sixty more do not fit.
    let refused = app.httpapi(&batch(60, 60)).await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(
        refused
            .headers()
            .get("retry-after")
            .and_then(|v| v.to_str().ok()),
        Some("2"),
        "twenty more events than the bucket holds take two seconds"
    );
    let (_, body) = json_of(refused).await;
    assert_eq!(body["code"], 429, "{body}");
    assert_eq!(body["eps_threshold"], 10, "{body}");
    assert_eq!(
        body["throttled_events"],
        json!((0..60).collect::<Vec<_>>()),
        "{body}"
    );
    for key in [
        "throttled_devices",
        "throttled_users",
        "exceeded_daily_quota_devices",
        "exceeded_daily_quota_users",
    ] {
        assert_eq!(body[key], json!({}), "{key}: {body}");
    }
    // Two seconds later the retry lands; nothing was stored twice or lost.
    clock.advance(2_000);
    let (status, reply) = json_of(app.httpapi(&batch(60, 60)).await).await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    let (_, catalog) = app.call(Method::GET, "/catalog", None).await;
    assert_eq!(catalog["event_names"], json!(["Tick"]), "{catalog}");
    let count = Inspector::open(&app.data_dir().join("reel.db"))
        .unwrap()
        .count(Rows::Events)
        .unwrap();
    assert_eq!(count, 120, "every event once");

    // A project's own limit wins over the server's; null goes back to it.
    let (status, settings) = app
        .call(
            Method::PATCH,
            "/projects/1/settings",
            Some(&json!({"events_per_second": 100})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{settings}");
    assert_eq!(settings["effective_events_per_second"], 100);
    clock.advance(1_000);
    let (status, _) = json_of(app.httpapi(&batch(500, 200)).await).await;
    assert_eq!(status, StatusCode::OK);
    let (_, settings) = app
        .call(
            Method::PATCH,
            "/projects/1/settings",
            Some(&json!({"events_per_second": null})),
        )
        .await;
    assert_eq!(settings["effective_events_per_second"], 10, "{settings}");
}

#[tokio::test]
async fn a_burst_over_the_bytes_limit_gets_429s_and_its_retries_land() {
    let clock = Arc::new(ManualClock::at(T0));
    let app = TestApp::spawn_with_clock(clock.clone(), |_| {}).await;
    let (status, _) = app
        .call(
            Method::PATCH,
            "/projects/1/settings",
            Some(&json!({"bytes_per_second": 150})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let first = page(T0, "https://shop.test/");
    let more: Vec<String> = (1..=10).map(|i| mouse_move(T0 + i * 100, i)).collect();
    app.track_ok("burst", T0, &first).await;
    // Refused before its body is read: the bucket (1 500 bytes) holds less than its
    // Content-Length.
    let refused = app.track("burst", T0, &more, false).await;
    assert_eq!(refused.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(refused.headers().contains_key("retry-after"));
    let (_, body) = json_of(refused).await;
    assert_eq!(body["code"], 429, "{body}");
    clock.advance(2_000);
    app.track_ok("burst", T0, &more).await;
    let mut sent = first.clone();
    sent.extend(more);
    assert_eq!(
        app.events(&replay_id("burst", T0)).await,
        in_time_order(parsed(&sent)),
        "nothing lost, nothing twice"
    );
    // An upload larger than the bucket passes once the project has been quiet long enough.
    clock.advance(10_000);
    let large: Vec<String> = (11..=80).map(|i| mouse_move(T0 + i * 100, i)).collect();
    app.track_ok("burst", T0, &large).await;
    // The monitor saw the throttled upload.
    let (_, monitor) = app.call(Method::GET, "/projects/1/ingestion", None).await;
    let throttled: i64 = monitor["minutes"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["throttled"]["requests"].as_i64().unwrap())
        .sum();
    assert_eq!(throttled, 1, "{monitor}");
}
