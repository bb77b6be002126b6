//! The monthly captured-session quota: once an organization has captured it, an upload that
//! would start a new session is refused the way the SDKs understand (`200` with
//! `X-Session-Replay-Event-Skipped: 4005`: they stop recording that session instead of
//! retrying), sessions already recording go on, the remote configuration turns capture off,
//! and Plans & Billing says so. A new month starts again.

use std::sync::Arc;

use reel_engine::ManualClock;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::*;

/// 2026-01-31 23:00 UTC.
const T0: i64 = 1_769_900_400_000;

#[tokio::test]
async fn over_quota_new_sessions_are_refused_as_sdks_understand_and_a_new_month_starts_again() {
    let clock = Arc::new(ManualClock::at(T0));
    let app = TestApp::spawn_with_clock(clock.clone(), |c| c.monthly_session_quota = Some(5)).await;
    // The organization's own quota wins over the server's.
    let (status, _) = app
        .call(
            Method::PUT,
            "/organization/quota",
            Some(&json!({"monthly_session_quota": 2})),
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    app.track_ok("a", T0, &page(T0, "https://shop.test/")).await;
    app.track_ok("b", T0 + 1, &page(T0 + 1, "https://shop.test/"))
        .await;
    let (_, usage) = app.call(Method::GET, "/usage", None).await;
    assert_eq!(
        (
            &usage["month"],
            &usage["sessions_captured"],
            &usage["monthly_session_quota"],
            &usage["over_quota"],
            &usage["quota_is_own"]
        ),
        (
            &json!("2026-01"),
            &json!(2),
            &json!(2),
            &json!(true),
            &json!(true)
        ),
        "{usage}"
    );
    assert_eq!(usage["projects"][0]["retention_days"], 30, "{usage}");

    // A third session is refused: 200, the skip code, nothing stored.
    let response = app
        .track("c", T0 + 2, &page(T0 + 2, "https://shop.test/"), true)
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert_eq!(
        response
            .headers()
            .get("x-session-replay-event-skipped")
            .and_then(|v| v.to_str().ok()),
        Some("4005")
    );
    let (_, body) = json_of(response).await;
    assert_eq!(body["events_accepted"], 0, "{body}");
    let (status, _) = app.replay(&replay_id("c", T0 + 2)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // A session that was recording goes on.
    app.track_ok("a", T0, &[mouse_move(T0 + 5_000, 3)]).await;
    // SDKs that fetch their configuration now do not start capturing.
    let (_, config) = json_of(
        app.client
            .get(app.url(&format!("/config/{KEY}")))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(
        config["configs"]["sessionReplay"]["sr_sampling_config"]["capture_enabled"], false,
        "{config}"
    );
    // Analytics events are not sessions: they go on.
    let (status, reply) = json_of(
        app.httpapi(&json!({"api_key": KEY, "events": [
            {"event_type": "x", "device_id": "c", "session_id": T0 + 2, "insert_id": "q1"}
        ]}))
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{reply}");

    // A raised quota lets the session in; so does a new month.
    app.call(
        Method::PUT,
        "/organization/quota",
        Some(&json!({"monthly_session_quota": 3})),
    )
    .await;
    app.track_ok("c", T0 + 2, &page(T0 + 2, "https://shop.test/"))
        .await;
    let refused = app
        .track("d", T0 + 3, &page(T0 + 3, "https://shop.test/"), false)
        .await;
    assert_eq!(
        refused
            .headers()
            .get("x-session-replay-event-skipped")
            .map(|v| v.as_bytes()),
        Some(&b"4005"[..])
    );
    clock.advance(2 * 3_600_000); // February
    let feb = T0 + 2 * 3_600_000;
    app.track_ok("e", feb, &page(feb, "https://shop.test/"))
        .await;
    let (_, usage) = app.call(Method::GET, "/usage", None).await;
    assert_eq!(
        (
            &usage["month"],
            &usage["sessions_captured"],
            &usage["over_quota"]
        ),
        (&json!("2026-02"), &json!(1), &json!(false)),
        "{usage}"
    );
    // Back to the server's quota of 5.
    app.call(
        Method::PUT,
        "/organization/quota",
        Some(&json!({"monthly_session_quota": null})),
    )
    .await;
    let (_, usage) = app.call(Method::GET, "/usage", None).await;
    assert_eq!(
        (&usage["monthly_session_quota"], &usage["quota_is_own"]),
        (&json!(5), &json!(false)),
        "{usage}"
    );
    // The Ingestion Monitor counted the refusals.
    let (_, monitor) = app.call(Method::GET, "/projects/1/ingestion", None).await;
    let refused = monitor["totals"]
        .as_array()
        .unwrap()
        .iter()
        .find(|t| t["reason"] == "over_quota")
        .unwrap_or_else(|| panic!("no over_quota total: {monitor}"))
        .clone();
    assert_eq!(refused["requests"], 2, "{monitor}");
}
