//! Dashboards and notebooks over HTTP: create, read, rename, change and reorder items, put in
//! order, delete; what each may hold.

use reqwest::StatusCode;
use reqwest::header::AUTHORIZATION;
use serde_json::{Value, json};

use crate::support::*;

fn funnel_item() -> Value {
    json!({"type": "chart", "title": "Checkout", "chart": {"kind": "funnel", "order": "this",
        "steps": [{"event_type": "View"}, {"event_type": "Checkout"}]}})
}

fn replay_item() -> Value {
    json!({"type": "replay", "replay_id": replay_id("a1", 1_767_607_200_000), "start_ms": 1_767_607_260_000i64})
}

async fn delete(app: &TestApp, path: &str) -> StatusCode {
    app.client
        .delete(app.url(&format!("/api/v1{path}")))
        .header(AUTHORIZATION, format!("Bearer {ADMIN_TOKEN}"))
        .send()
        .await
        .expect("sent")
        .status()
}

#[tokio::test]
async fn dashboards_keep_charts_and_replays_in_order() {
    let app = TestApp::spawn().await;
    let (status, board) = app
        .send(
            reqwest::Method::POST,
            "/dashboards",
            Some(
                &json!({"name": "Checkout", "items": [funnel_item(), replay_item()],
                    "date_range": {"last_days": 7}}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{board}");
    let id = board["id"].as_i64().unwrap();
    let (status, read) = json_of(app.api(&format!("/dashboards/{id}")).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(read["items"], json!([funnel_item(), replay_item()]));
    assert_eq!(read["date_range"], json!({"last_days": 7}));

    // Rename and reorder the items.
    let (status, changed) = app
        .send(
            reqwest::Method::PUT,
            &format!("/dashboards/{id}"),
            Some(&json!({"name": "Checkout, weekly", "items": [replay_item(), funnel_item()]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{changed}");
    assert_eq!(changed["name"], "Checkout, weekly");
    assert_eq!(changed["items"][0]["type"], "replay");

    // A second board; put it first.
    let (_, second) = app
        .send(
            reqwest::Method::POST,
            "/dashboards",
            Some(&json!({"name": "Errors"})),
        )
        .await;
    let second_id = second["id"].as_i64().unwrap();
    let (status, list) = app
        .send(
            reqwest::Method::PUT,
            "/dashboards/order",
            Some(&json!({"ids": [second_id]})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{list}");
    let names: Vec<&str> = list["boards"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Errors", "Checkout, weekly"]);
    // Dashboards and notebooks are apart.
    let (_, notebooks) = json_of(app.api("/notebooks").send().await.unwrap()).await;
    assert_eq!(notebooks["boards"], json!([]));

    assert_eq!(
        delete(&app, &format!("/dashboards/{id}")).await,
        StatusCode::NO_CONTENT
    );
    assert_eq!(
        delete(&app, &format!("/dashboards/{id}")).await,
        StatusCode::NOT_FOUND
    );
    let (status, _) = json_of(app.api(&format!("/dashboards/{id}")).send().await.unwrap()).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn notebooks_hold_text_between_items() {
    let app = TestApp::spawn().await;
    let items = json!([{"type": "text", "text": "Why do people stop at checkout?"}, funnel_item(),
                       {"type": "text", "text": "This one rage-clicked Pay now:"}, replay_item()]);
    let (status, notebook) = app
        .send(
            reqwest::Method::POST,
            "/notebooks",
            Some(&json!({"name": "Checkout study", "items": items})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{notebook}");
    assert_eq!(notebook["kind"], "notebook");
    assert_eq!(notebook["items"], items);
}

#[tokio::test]
async fn boards_refuse_what_they_cannot_hold() {
    let app = TestApp::spawn().await;
    // (path, body, words of the error)
    let cases: Vec<(&str, Value, &str)> = vec![
        ("/dashboards", json!({"name": " "}), "name must be"),
        (
            "/dashboards",
            json!({"name": "x", "items": [{"type": "text", "text": "hi"}]}),
            "text belongs in notebooks",
        ),
        (
            "/notebooks",
            json!({"name": "x", "items": [{"type": "replay", "replay_id": "???"}]}),
            "not a replay id",
        ),
        (
            "/dashboards",
            json!({"name": "x", "items": [{"type": "chart", "chart": {"kind": "funnel", "steps": []}}]}),
            "item 1: a funnel has 2 to 10 steps",
        ),
        (
            "/dashboards",
            json!({"name": "x", "date_range": {"last_days": 0}}),
            "last_days",
        ),
        ("/dashboards/order", json!({"ids": [12345]}), "ids must be"),
    ];
    for (path, body, words) in cases {
        let method = if path.ends_with("order") {
            reqwest::Method::PUT
        } else {
            reqwest::Method::POST
        };
        let (status, answer) = app.send(method, path, Some(&body)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path} {body}: {answer}");
        let message = answer["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains(words), "{message:?} should say {words:?}");
    }
}
