//! A project's Session Replay settings: the remote configuration both SDKs fetch follows a
//! change at once, and what an upload brings that the settings leave out (console or network
//! records, pages on blocked URLs) is not stored, whatever SDK sent it — for uploads after the
//! change; what was stored before stays as it was.

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::*;

async fn remote_config(app: &TestApp) -> Value {
    let response = app
        .client
        .get(app.url(&format!("/config?api_key={KEY}&config_group=browser")))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response
            .headers()
            .get("cache-control")
            .and_then(|v| v.to_str().ok()),
        Some("no-store"),
        "a change reaches the next page load"
    );
    let (status, body) = json_of(response).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    body["configs"]["sessionReplay"].clone()
}

fn console(ts: i64, text: &str) -> String {
    json!({"type": 6, "timestamp": ts, "data": {"plugin": "rrweb/console@1",
        "payload": {"level": "log", "trace": [], "payload": [format!("\"{text}\"")]}}})
    .to_string()
}

fn failed_request(ts: i64) -> String {
    json!({"type": 6, "timestamp": ts, "data": {"plugin": "rrweb/network@1",
        "payload": {"requests": [{"name": "https://shop.test/pay", "status": 503, "method": "POST"}]}}})
    .to_string()
}

#[tokio::test]
async fn the_remote_configuration_follows_a_change_of_settings() {
    let app = TestApp::spawn().await;
    let before = remote_config(&app).await;
    assert_eq!(before["sr_logging_config"]["console"]["enabled"], true);
    assert_eq!(before["sr_sampling_config"]["sample_rate"], 1.0);
    assert_eq!(before["sr_privacy_config"]["defaultMaskLevel"], "medium");
    let change = json!({
        "console_logs": false,
        "network_errors": false,
        "sample_rate": 0.25,
        "privacy_level": "conservative",
        "mask_selector": ".card-number",
        "block_selector": "#chat-widget",
        "unmask_selector": ".public-price",
        "min_session_ms": 5000,
        "blocked_urls": ["https://shop.test/account*"],
    });
    let (status, settings) = app
        .call(Method::PATCH, "/projects/1/settings", Some(&change))
        .await;
    assert_eq!(status, StatusCode::OK, "{settings}");
    for (key, value) in change.as_object().unwrap() {
        assert_eq!(&settings[key], value, "{key}: {settings}");
    }
    let after = remote_config(&app).await;
    assert_eq!(after["sr_logging_config"]["console"]["enabled"], false);
    assert_eq!(after["sr_logging_config"]["network"]["enabled"], false);
    assert_eq!(after["sr_sampling_config"]["sample_rate"], 0.25);
    assert_eq!(after["sr_sampling_config"]["capture_enabled"], true);
    assert_eq!(after["sr_sampling_config"]["min_session_duration_ms"], 5000);
    let privacy = &after["sr_privacy_config"];
    assert_eq!(privacy["defaultMaskLevel"], "conservative");
    assert_eq!(privacy["maskSelector"], json!([".card-number"]));
    assert_eq!(privacy["blockSelector"], json!(["#chat-widget"]));
    assert_eq!(privacy["unmaskSelector"], json!([".public-price"]));
    assert_eq!(
        privacy["urlMaskLevels"],
        json!([{"match": "https://shop.test/account*", "maskLevel": "conservative"}])
    );
    assert_eq!(
        after["reel_blocked_urls"],
        json!(["https://shop.test/account*"])
    );
    // Out of range, unknown or malformed settings are refused, and nothing changes.
    for bad in [
        json!({"sample_rate": 1.5}),
        json!({"min_session_ms": 60001}),
        json!({"privacy_level": "paranoid"}),
        json!({"mask_selector": "a { color: red }"}),
        json!({"blocked_urls": [""]}),
        json!({"capture_everything": true}),
    ] {
        let (status, answer) = app
            .call(Method::PATCH, "/projects/1/settings", Some(&bad))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {answer}");
        assert_eq!(answer["error"]["code"], "invalid_parameter", "{answer}");
    }
    assert_eq!(remote_config(&app).await, after);
    let (_, log) = app.call(Method::GET, "/audit-log?project=1", None).await;
    assert_eq!(log["entries"][0]["action"], "settings_changed", "{log}");
}

#[tokio::test]
async fn uploads_after_a_change_leave_out_what_the_settings_exclude_and_older_ones_keep_theirs() {
    let app = TestApp::spawn().await;
    let now = now_ms() - 60_000;
    let mut older = page(now, "https://shop.test/");
    older.push(console(now + 10, "older session's log"));
    older.push(failed_request(now + 20));
    app.track_ok("older", now, &older).await;

    let change = json!({
        "console_logs": false,
        "network_errors": false,
        "blocked_urls": ["https://shop.test/account*"],
    });
    let (status, _) = app
        .call(Method::PATCH, "/projects/1/settings", Some(&change))
        .await;
    assert_eq!(status, StatusCode::OK);

    // A new session: its console and network records are left out; the page is kept.
    let mut newer = page(now + 1_000, "https://shop.test/");
    let kept = newer.clone();
    newer.push(console(now + 1_010, "newer session's log"));
    newer.push(failed_request(now + 1_020));
    // A page on a blocked URL, and the page after it.
    let account = page(now + 2_000, "https://shop.test/account/orders");
    newer.extend(account.iter().cloned());
    newer.push(mouse_move(now + 2_100, 5));
    let back = page(now + 3_000, "https://shop.test/cart");
    newer.extend(back.iter().cloned());
    let (status, reply) = json_of(app.track("newer", now + 1_000, &newer, false).await).await;
    assert_eq!(status, StatusCode::OK, "{reply}");
    assert_eq!(reply["events_left_out"], 5, "{reply}");
    let mut want = kept;
    want.extend(back);
    assert_eq!(
        app.events(&replay_id("newer", now + 1_000)).await,
        parsed(&want)
    );
    // The older session, stored before the change, still shows its own.
    assert_eq!(app.events(&replay_id("older", now)).await, parsed(&older));
    // An upload whose first events come from a blocked page (the SDK says where it is).
    let response = app
        .client
        .post(app.track_url("newer", now + 1_000))
        .bearer_auth(KEY)
        .header("x-client-url", "https://shop.test/account/settings")
        .json(&json!({"version": 1, "events": [mouse_move(now + 4_000, 7)]}))
        .send()
        .await
        .unwrap();
    let (_, reply) = json_of(response).await;
    assert_eq!(
        (&reply["events_accepted"], &reply["events_left_out"]),
        (&json!(0), &json!(1)),
        "{reply}"
    );
}
