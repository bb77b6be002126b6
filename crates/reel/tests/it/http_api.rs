//! `POST /2/httpapi` and `POST /batch`: analytics events, answered in Amplitude's body shape
//! (the SDK reads the body's `code`, not the HTTP status).

use reqwest::StatusCode;
use reqwest::header::{CONTENT_ENCODING, CONTENT_TYPE};
use serde_json::{Value, json};

use crate::support::*;

#[tokio::test]
async fn valid_batches_are_acknowledged_in_amplitudes_shape() {
    let app = TestApp::spawn().await;
    // (path, content type, gzip)
    let cases = [
        ("/2/httpapi", "application/json", false),
        ("/2/httpapi", "text/plain", false),
        ("/2/httpapi", "application/json", true),
        ("/batch", "application/json", false),
        ("/batch", "text/plain;charset=UTF-8", false),
    ];
    for (i, (path, content_type, gzip)) in cases.into_iter().enumerate() {
        let body = json!({"api_key": KEY, "client_upload_time": "2026-01-01T00:00:00.000Z", "events": [
            {"event_type": "session_start", "device_id": "d", "session_id": 1, "insert_id": format!("a{i}")},
            {"event_type": "[Amplitude] Page Viewed", "user_id": "u", "time": 5, "insert_id": format!("b{i}"),
             "event_properties": {"[Amplitude] Page URL": "https://shop.test/"}},
            {"event_type": "purchase", "device_id": "d", "library": "amplitude-ts/2.48.1", "ip": "$remote"},
        ], "options": {"min_id_length": 1}})
        .to_string()
        .into_bytes();
        let sent = if gzip { gzip_bytes(&body) } else { body };
        let request = app
            .client
            .post(app.url(path))
            .header(CONTENT_TYPE, content_type);
        let request = if gzip {
            request.header(CONTENT_ENCODING, "gzip")
        } else {
            request
        };
        let before = now_ms();
        let response = request.body(sent.clone()).send().await.expect("sent");
        let after = now_ms();
        let (status, reply) = json_of(response).await;
        let case = format!("{path} {content_type} gzip={gzip}");
        assert_eq!(status, StatusCode::OK, "{case}: {reply}");
        let keys: Vec<&str> = reply
            .as_object()
            .expect("object")
            .keys()
            .map(String::as_str)
            .collect();
        assert_eq!(
            keys.iter()
                .copied()
                .collect::<std::collections::BTreeSet<_>>(),
            [
                "code",
                "events_ingested",
                "payload_size_bytes",
                "server_upload_time"
            ]
            .into(),
            "{case}: {reply}"
        );
        assert_eq!(reply["code"], 200, "{case}");
        assert_eq!(reply["events_ingested"], 3, "{case}");
        assert_eq!(
            reply["payload_size_bytes"],
            sent.len(),
            "{case}: the size as sent"
        );
        let upload_time = reply["server_upload_time"].as_i64().expect("epoch ms");
        assert!(
            (before..=after).contains(&upload_time),
            "{case}: {upload_time} not in {before}..={after}"
        );
    }
}

/// What a rejected batch's body must say.
type BodyCheck = fn(&Value) -> bool;

fn says_invalid_api_key(body: &Value) -> bool {
    body["error"]
        .as_str()
        .is_some_and(|e| e.starts_with("Invalid API key"))
}

#[tokio::test]
async fn bad_batches_are_rejected_and_nothing_is_stored() {
    let (app, session) = TestApp::spawn_with_replay("d-bad").await;
    // Every rejected batch carries an event that would set the session's user if stored.
    let sets_user = json!({"event_type": "$identify", "device_id": "d-bad", "session_id": session,
                           "user_id": "must-not-be-stored", "time": session + 1, "insert_id": "x"});
    let with_events = |key: Option<&str>, extra: Value| {
        let mut body = json!({"events": [sets_user.clone(), extra]});
        if let Some(key) = key {
            body["api_key"] = json!(key);
        }
        body.to_string()
    };
    let ok_event = json!({"event_type": "a", "device_id": "d-bad"});
    // (name, path, body, HTTP status, what the body must say)
    let cases: Vec<(&str, &str, String, StatusCode, BodyCheck)> = vec![
        (
            "missing api_key",
            "/2/httpapi",
            with_events(None, ok_event.clone()),
            StatusCode::UNAUTHORIZED,
            says_invalid_api_key,
        ),
        (
            "empty api_key",
            "/batch",
            with_events(Some(""), ok_event.clone()),
            StatusCode::UNAUTHORIZED,
            says_invalid_api_key,
        ),
        (
            "unknown api_key",
            "/2/httpapi",
            with_events(Some("nope"), ok_event.clone()),
            StatusCode::UNAUTHORIZED,
            says_invalid_api_key,
        ),
        (
            "unknown api_key on /batch",
            "/batch",
            with_events(Some("nope"), ok_event.clone()),
            StatusCode::UNAUTHORIZED,
            says_invalid_api_key,
        ),
        (
            "malformed JSON",
            "/2/httpapi",
            format!("{{\"api_key\":\"{KEY}\",\"events\":["),
            StatusCode::BAD_REQUEST,
            |b| b["code"] == 400,
        ),
        (
            "no events",
            "/2/httpapi",
            json!({"api_key": KEY}).to_string(),
            StatusCode::BAD_REQUEST,
            |b| b["code"] == 400 && b["missing_field"] == "events",
        ),
        (
            "event without event_type",
            "/2/httpapi",
            with_events(Some(KEY), json!({"device_id": "d-bad", "time": 5})),
            StatusCode::BAD_REQUEST,
            |b| b["code"] == 400 && b["events_with_missing_fields"]["event_type"] == json!([1]),
        ),
        (
            "event without user_id or device_id",
            "/batch",
            with_events(Some(KEY), json!({"event_type": "a"})),
            StatusCode::BAD_REQUEST,
            |b| {
                b["code"] == 400
                    && b["events_with_missing_fields"]
                        .as_object()
                        .is_some_and(|m| !m.is_empty())
            },
        ),
        (
            "event with a text time",
            "/2/httpapi",
            with_events(
                Some(KEY),
                json!({"event_type": "a", "device_id": "d", "time": "soon"}),
            ),
            StatusCode::BAD_REQUEST,
            |b| b["code"] == 400 && b["events_with_invalid_fields"]["time"] == json!([1]),
        ),
    ];
    for (name, path, body, want_status, says) in cases {
        let response = app
            .client
            .post(app.url(path))
            .header(CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await
            .expect("sent");
        let (status, reply) = json_of(response).await;
        assert_eq!(status, want_status, "{name}: {reply}");
        assert!(says(&reply), "{name}: unexpected body {reply}");
        assert_eq!(
            app.listed("d-bad", session).await["user_id"],
            Value::Null,
            "{name}: stored something"
        );
    }
}
