//! User Look-Up over HTTP: identify operations one by one, a user merged across devices (and
//! an anonymous device joining the user who logs in on it), the event stream grouped by
//! session with the sessions that have replays, and finding users.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::*;

async fn user(app: &TestApp, path: &str) -> (StatusCode, Value) {
    json_of(app.api(path).send().await.expect("sent")).await
}

#[tokio::test]
async fn identify_operations_change_the_profile_one_by_one() {
    let app = TestApp::spawn().await;
    // (user_properties sent on an $identify call, properties after it)
    let cases: Vec<(Value, Value)> = vec![
        (
            json!({"$set": {"plan": "free", "n": 1}}),
            json!({"plan": "free", "n": 1}),
        ),
        (
            json!({"$setOnce": {"plan": "pro", "ref": "ad"}}),
            json!({"plan": "free", "n": 1, "ref": "ad"}),
        ),
        (
            json!({"$add": {"n": 2}}),
            json!({"plan": "free", "n": 3, "ref": "ad"}),
        ),
        (
            json!({"$append": {"tags": "a"}}),
            json!({"plan": "free", "n": 3, "ref": "ad", "tags": ["a"]}),
        ),
        (
            json!({"$prepend": {"tags": "z"}}),
            json!({"plan": "free", "n": 3, "ref": "ad", "tags": ["z", "a"]}),
        ),
        (
            json!({"$remove": {"tags": "z"}}),
            json!({"plan": "free", "n": 3, "ref": "ad", "tags": ["a"]}),
        ),
        (
            json!({"$unset": {"ref": "-"}}),
            json!({"plan": "free", "n": 3, "tags": ["a"]}),
        ),
        (
            json!({"plan": "pro"}),
            json!({"plan": "pro", "n": 3, "tags": ["a"]}),
        ),
        (json!({"$clearAll": "-"}), json!({})),
    ];
    for (i, (update, want)) in cases.into_iter().enumerate() {
        let (status, body) = json_of(
            app.httpapi(&json!({"api_key": KEY, "events": [
                {"event_type": "$identify", "user_id": "ada", "device_id": "ada-phone",
                 "time": 1_767_571_200_000i64 + i as i64, "user_properties": update}
            ]}))
            .await,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let (status, profile) = user(&app, "/users/ada").await;
        assert_eq!(status, StatusCode::OK, "{profile}");
        assert_eq!(profile["properties"], want, "after {update}");
        // An identify call is no event of the stream.
        assert_eq!(profile["sessions"], json!([]), "{profile}");
    }
}

#[tokio::test]
async fn a_user_is_one_person_across_devices() {
    let app = TestApp::spawn().await;
    load_shop(&app).await;
    let (status, erin) = user(&app, "/users/erin").await;
    assert_eq!(status, StatusCode::OK, "{erin}");
    assert_eq!(erin["user"]["device_ids"], json!(["e1", "e2"]));
    assert_eq!(erin["user"]["first_seen"], "2026-01-05T09:00:00.000Z");
    assert_eq!(erin["user"]["last_seen"], "2026-01-06T09:00:00.000Z");
    // dave's anonymous View (device d1, before he logged in) is his.
    let (_, dave) = user(&app, "/users/dave").await;
    let names: Vec<&str> = dave["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .flat_map(|s| s["events"].as_array().unwrap())
        .map(|e| e["event_type"].as_str().unwrap())
        .collect();
    assert_eq!(
        names,
        ["Add to cart", "Checkout", "View", "[Experiment] Exposure"]
    );
    // Looked up by his device, he is the same user.
    let (status, by_device) = user(&app, "/users/d1?by=device_id").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(by_device["user"]["user_id"], "dave");
    // frank never had a user id: found by device, anonymous.
    let (status, frank) = user(&app, "/users/f1?by=device_id").await;
    assert_eq!(status, StatusCode::OK);
    assert!(frank["user"].get("user_id").is_none(), "{frank}");
    let (status, _) = user(&app, "/users/nobody").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_stream_is_grouped_by_session_newest_first() {
    let app = TestApp::spawn().await;
    load_shop(&app).await;
    let (_, bob) = user(&app, "/users/bob").await;
    let sessions: Vec<(Value, bool, Vec<&str>)> = bob["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["session_id"].clone(),
                s["has_replay"].as_bool().unwrap(),
                s["events"]
                    .as_array()
                    .unwrap()
                    .iter()
                    .map(|e| e["event_type"].as_str().unwrap())
                    .collect(),
            )
        })
        .collect();
    let d = 1_767_571_200_000i64;
    let h = 3_600_000i64;
    assert_eq!(
        sessions,
        vec![
            (json!(d + 35 * h), true, vec!["Checkout"]),
            (json!(d + 11 * h), false, vec!["Add to cart", "View"]),
            (Value::Null, false, vec!["[Experiment] Exposure"]),
        ]
    );
    assert_eq!(bob["sessions"][0]["replay_id"], replay_id("b1", d + 35 * h));
    assert_eq!(
        bob["sessions"][1]["events"][1]["properties"]["category"],
        "boots"
    );
}

#[tokio::test]
async fn users_are_found_by_id_device_or_property() {
    let app = TestApp::spawn().await;
    load_shop(&app).await;
    let (status, body) = json_of(
        app.httpapi(&json!({"api_key": KEY, "events": [
            {"event_type": "$identify", "user_id": "carol", "user_properties": {"$set": {"plan": "pro"}}}
        ]}))
        .await,
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // (query, user ids found)
    let cases: Vec<(&str, Vec<&str>)> = vec![
        ("user_id=da", vec!["dave"]),
        ("device_id=e2", vec!["erin"]),
        ("property=plan&value=pro", vec!["carol"]),
        ("user_id=zz", vec![]),
    ];
    for (query, want) in cases {
        let (status, found) = user(&app, &format!("/users?{query}")).await;
        assert_eq!(status, StatusCode::OK, "{found}");
        let ids: Vec<&str> = found["users"]
            .as_array()
            .unwrap()
            .iter()
            .map(|u| u["user_id"].as_str().unwrap())
            .collect();
        assert_eq!(ids, want, "{query}");
    }
    let (status, _) = user(&app, "/users?user_id=a&device_id=b").await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    // Asked nothing: the users of the newest sessions, last seen first, each once.
    let (status, recent) = user(&app, "/users").await;
    assert_eq!(status, StatusCode::OK, "{recent}");
    let listed: Vec<String> = recent["users"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| match u["user_id"].as_str() {
            Some(id) => id.to_owned(),
            None => format!("device {}", u["device_ids"][0].as_str().unwrap()),
        })
        .collect();
    // By the last event of each in testdata/analytics/shop.json (carol's identify is no event).
    assert_eq!(
        listed,
        ["bob", "erin", "device f1", "dave", "carol", "alice"],
        "{recent}"
    );
}

#[tokio::test]
async fn a_device_seen_before_login_joins_the_user_across_uploads() {
    let app = TestApp::spawn().await;
    let t = 1_767_571_200_000i64;
    // (events of one upload)
    let uploads = [
        json!([{"event_type": "Landing", "device_id": "phone", "session_id": t, "time": t, "insert_id": "m1"}]),
        json!([{"event_type": "Landing", "device_id": "phone", "session_id": t, "time": t + 1_000, "insert_id": "m2"}]),
        json!([{"event_type": "Login", "device_id": "phone", "user_id": "mia", "session_id": t, "time": t + 2_000, "insert_id": "m3",
                "user_properties": {"$set": {"plan": "pro"}}}]),
        // After logging out the device's events stay hers (its last user).
        json!([{"event_type": "Browse", "device_id": "phone", "session_id": t, "time": t + 3_000, "insert_id": "m4"}]),
    ];
    for events in uploads {
        let (status, body) = json_of(
            app.httpapi(&json!({"api_key": KEY, "events": events}))
                .await,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    let (status, mia) = user(&app, "/users/mia").await;
    assert_eq!(status, StatusCode::OK, "{mia}");
    assert_eq!(mia["user"]["event_count"], 4);
    assert_eq!(mia["user"]["first_seen"], "2026-01-05T00:00:00.000Z");
    assert_eq!(mia["properties"], json!({"plan": "pro"}));
    let names: Vec<&str> = mia["sessions"][0]["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event_type"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Browse", "Login", "Landing", "Landing"]);
    // One user in the charts: the session's Landing counts her once.
    let (status, answer) = app
        .send(reqwest::Method::POST, "/charts/segmentation", Some(&json!({"events": [{"event_type": "Landing"}, {"event_type": "Browse"}], "start": "2026-01-05", "end": "2026-01-05"})))
        .await;
    assert_eq!(status, StatusCode::OK, "{answer}");
    assert_eq!(answer["series"][0]["total"], 1.0);
    assert_eq!(answer["series"][1]["total"], 1.0);
}

#[tokio::test]
async fn deleting_a_replay_takes_its_derived_events_out_of_charts_and_streams() {
    let app = TestApp::spawn_with(|c| {
        c.processing_delay_ms = 0;
        c.processing_cpu_share = 1.0;
    })
    .await;
    load_shop(&app).await;
    let a = 1_767_607_200_000i64;
    let id = replay_id("a1", a);
    let page_views = || async {
        let (status, answer) = app
            .send(
                reqwest::Method::POST,
                "/charts/segmentation",
                Some(
                    &json!({"events": [{"event_type": "[reel] Page Viewed"}], "measure": "totals",
                        "start": "2026-01-05", "end": "2026-01-06"}),
                ),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        answer["series"][0]["total"].as_f64().unwrap()
    };
    // The processing stage derives a page view from each recording.
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(20);
    while page_views().await < 2.0 {
        assert!(
            tokio::time::Instant::now() < deadline,
            "no page views were derived"
        );
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let (_, alice) = user(&app, "/users/alice").await;
    assert_eq!(alice["user"]["event_count"], 6, "{alice}");

    let response = app
        .client
        .delete(app.url(&format!("/api/v1/replays/{id}")))
        .header(
            reqwest::header::AUTHORIZATION,
            format!("Bearer {ADMIN_TOKEN}"),
        )
        .send()
        .await
        .expect("sent");
    assert!(response.status().is_success(), "{}", response.status());
    assert_eq!(
        page_views().await,
        1.0,
        "bob's recording still has its page view"
    );
    let (_, alice) = user(&app, "/users/alice").await;
    assert_eq!(alice["user"]["event_count"], 5, "{alice}");
    let names: Vec<&str> = alice["sessions"][0]["events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["event_type"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Purchase", "Checkout", "Add to cart", "View"]);
    // Her session's span is still her events': 6 minutes.
    let (_, sessions) = app
        .send(
            reqwest::Method::POST,
            "/charts/sessions",
            Some(&json!({"start": "2026-01-05", "end": "2026-01-05"})),
        )
        .await;
    let total = |m: &str| {
        sessions["series"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["measure"] == m)
            .unwrap()["total"]
            .as_f64()
            .unwrap()
    };
    assert_eq!(
        (total("sessions"), total("average_length_ms")),
        (6.0, 230_000.0)
    );
}
