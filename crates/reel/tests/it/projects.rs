//! Several projects per organization: each its own ingestion key and data; a key rotated with
//! an overlap keeps working until the overlap ends, then answers 401; the portfolio lists
//! replays of every project a person may watch, never stitching one person's sessions across
//! projects.

use std::sync::Arc;

use reel_engine::ManualClock;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::support::*;

const T0: i64 = 1_767_225_600_000;

#[tokio::test]
async fn projects_keep_their_data_apart() {
    let app = TestApp::spawn().await;
    let (docs, docs_key) = app.project("Docs").await;
    assert_ne!(docs_key, KEY);
    let now = now_ms() - 60_000;
    // The same device and session id in both projects: two sessions, one in each.
    assert_eq!(
        app.track_with_key(KEY, "shared-device", now).await,
        StatusCode::OK
    );
    assert_eq!(
        app.track_with_key(&docs_key, "shared-device", now).await,
        StatusCode::OK
    );
    assert_eq!(
        app.track_with_key(&docs_key, "docs-device", now).await,
        StatusCode::OK
    );
    let ids = |replays: &serde_json::Value| -> Vec<String> {
        let mut ids: Vec<String> = replays["replays"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["device_id"].as_str().unwrap().to_owned())
            .collect();
        ids.sort();
        ids
    };
    let (_, shop) = app.call(Method::GET, "/replays?project=1", None).await;
    assert_eq!(ids(&shop), ["shared-device"]);
    let (_, docs_list) = app
        .call(Method::GET, &format!("/replays?project={docs}"), None)
        .await;
    assert_eq!(ids(&docs_list), ["docs-device", "shared-device"]);
    // A replay of one project is not found through the other.
    let docs_replay = replay_id("docs-device", now);
    let (status, _) = app
        .call(
            Method::GET,
            &format!("/replays/{docs_replay}?project=1"),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    // Each project has its own settings and timezone.
    app.call(
        Method::PATCH,
        &format!("/projects/{docs}/settings"),
        Some(&json!({"console_logs": false})),
    )
    .await;
    app.call(
        Method::PATCH,
        &format!("/projects/{docs}"),
        Some(&json!({"timezone": "Asia/Tokyo", "name": "Docs site"})),
    )
    .await;
    let (_, shop_settings) = app.call(Method::GET, "/projects/1/settings", None).await;
    assert_eq!(shop_settings["console_logs"], true);
    let (_, me) = app.call(Method::GET, "/me", None).await;
    assert_eq!(me["projects"][0]["timezone"], "UTC", "{me}");
    assert_eq!(me["projects"][1]["timezone"], "Asia/Tokyo", "{me}");
    assert_eq!(me["projects"][1]["name"], "Docs site", "{me}");
    // Someone with a role on the docs site alone sees nothing of the shop.
    let (_, token) = app.person("docs-writer@it.test", "member", docs).await;
    let (status, refusal) = app
        .call_as(&token, Method::GET, "/replays?project=1", None)
        .await;
    assert_eq!(status, StatusCode::NOT_FOUND, "{refusal}");
    let (_, their_me) = app.call_as(&token, Method::GET, "/me", None).await;
    assert_eq!(
        their_me["projects"].as_array().unwrap().len(),
        1,
        "{their_me}"
    );
    // Without a project named, their first (and only) project is meant.
    let (_, theirs) = app.call_as(&token, Method::GET, "/replays", None).await;
    assert_eq!(ids(&theirs), ["docs-device", "shared-device"]);

    // The portfolio: every project's replays, each naming its project; the shared device's
    // two sessions stay two.
    let (status, portfolio) = app.call(Method::GET, "/portfolio/replays", None).await;
    assert_eq!(status, StatusCode::OK, "{portfolio}");
    let mut rows: Vec<(i64, String)> = portfolio["replays"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| {
            (
                r["project_id"].as_i64().unwrap(),
                r["device_id"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    rows.sort();
    assert_eq!(
        rows,
        [
            (1, "shared-device".to_owned()),
            (docs, "docs-device".to_owned()),
            (docs, "shared-device".to_owned())
        ]
    );
    let (_, their_portfolio) = app
        .call_as(&token, Method::GET, "/portfolio/replays", None)
        .await;
    assert!(
        their_portfolio["replays"]
            .as_array()
            .unwrap()
            .iter()
            .all(|r| r["project_id"] == docs),
        "{their_portfolio}"
    );
    let (status, _) = app
        .call(Method::GET, "/portfolio/replays?days=0", None)
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_rotated_key_works_until_its_overlap_ends_then_answers_401() {
    let clock = Arc::new(ManualClock::at(T0));
    let app = TestApp::spawn_with_clock(clock.clone(), |_| {}).await;
    let (status, rotated) = app
        .call(
            Method::POST,
            "/projects/1/keys/rotate",
            Some(&json!({"overlap_hours": 2})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{rotated}");
    let new_key = rotated["api_key"].as_str().unwrap().to_owned();
    assert_ne!(new_key, KEY);
    assert_eq!(rotated["retired"][0]["api_key"], KEY, "{rotated}");
    assert_eq!(
        rotated["retired"][0]["valid_until"],
        rfc3339(T0 + 2 * 3_600_000)
    );
    let config = |key: &str| {
        app.client
            .get(app.url(&format!("/config/{key}?config_group=browser")))
            .send()
    };
    let events = |key: &str, insert_id: &str| {
        app.client.post(app.url("/2/httpapi")).json(&json!({
            "api_key": key,
            "events": [{"event_type": "x", "device_id": "d", "insert_id": insert_id, "time": T0}]
        }))
        .send()
    };
    // During the overlap both keys work, everywhere a key is taken.
    for (key, n) in [(KEY, 1), (new_key.as_str(), 2)] {
        assert_eq!(
            app.track_with_key(key, "during", T0 + n).await,
            StatusCode::OK
        );
        assert_eq!(config(key).await.unwrap().status(), StatusCode::OK);
        assert_eq!(
            events(key, &format!("during-{n}")).await.unwrap().status(),
            StatusCode::OK
        );
    }
    // One millisecond before its end, the old key still works; at its end it stops.
    clock.advance(2 * 3_600_000 - 1);
    assert_eq!(
        app.track_with_key(KEY, "late", T0 + 10).await,
        StatusCode::OK
    );
    clock.advance(1);
    assert_eq!(
        app.track_with_key(KEY, "after", T0 + 11).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        config(KEY).await.unwrap().status(),
        StatusCode::UNAUTHORIZED
    );
    let refused = events(KEY, "after").await.unwrap();
    assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
    let (_, body) = json_of(refused).await;
    assert!(
        body["error"]
            .as_str()
            .unwrap()
            .starts_with("Invalid API key"),
        "the SDKs drop the batch instead of retrying: {body}"
    );
    assert_eq!(
        app.track_with_key(&new_key, "after", T0 + 12).await,
        StatusCode::OK
    );
    let (_, keys) = app.call(Method::GET, "/projects/1/keys", None).await;
    assert_eq!(keys["retired"], json!([]), "{keys}");

    // Without an overlap the old key stops at once.
    let (_, rotated) = app
        .call(
            Method::POST,
            "/projects/1/keys/rotate",
            Some(&json!({"overlap_hours": 0})),
        )
        .await;
    let newest = rotated["api_key"].as_str().unwrap().to_owned();
    assert_eq!(
        app.track_with_key(&new_key, "now", T0 + 20).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.track_with_key(&newest, "now", T0 + 21).await,
        StatusCode::OK
    );
    let (status, _) = app
        .call(
            Method::POST,
            "/projects/1/keys/rotate",
            Some(&json!({"overlap_hours": 721})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let (_, log) = app.call(Method::GET, "/audit-log?project=1", None).await;
    let rotations = log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| e["action"] == "key_rotated")
        .count();
    assert_eq!(rotations, 2, "{log}");
    assert!(
        !log.to_string().contains(&newest),
        "keys are not in the log"
    );
}

#[tokio::test]
async fn only_organization_admins_make_projects_and_names_are_checked() {
    let app = TestApp::spawn().await;
    for (name, want) in [
        ("", StatusCode::BAD_REQUEST),
        ("   ", StatusCode::BAD_REQUEST),
        (&"x".repeat(201), StatusCode::BAD_REQUEST),
        ("Checkout app", StatusCode::CREATED),
    ] {
        let (status, answer) = app
            .call(Method::POST, "/projects", Some(&json!({"name": name})))
            .await;
        assert_eq!(status, want, "{name:?}: {answer}");
        if status == StatusCode::CREATED {
            assert_eq!(answer["role"], "admin", "{answer}");
            assert_eq!(answer["api_key"].as_str().unwrap().len(), 32, "{answer}");
        }
    }
    let (_, settings) = app.call(Method::GET, "/projects/2/settings", None).await;
    assert_eq!(
        settings["retention_days"], 30,
        "a new project keeps 30 days"
    );
}
