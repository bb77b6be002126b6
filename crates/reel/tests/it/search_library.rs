//! Saved searches and cohorts through the API — made, changed, deleted, and searches that
//! follow them — and the catalog of names a search offers.

use reel_server::api_types::{Cohort, SavedSearch, SavedSearchList};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::*;

use super::search::*;

#[tokio::test]
async fn cohorts_are_made_changed_and_deleted_and_searches_follow() {
    let app = seeded().await;
    let definition = json!({"conditions": [
        {"user_property": "plan", "op": "is", "values": ["pro"]},
        {"performed": "Purchase", "min_count": 2}
    ]});
    let cohort: Cohort = app
        .created(
            "/cohorts",
            &json!({"name": "Loyal pros", "definition": definition}),
        )
        .await;
    let by_cohort =
        |op: &str| json!({"filters": [{"field": "cohort", "cohort": cohort.id, "op": op}]});
    // Carol bought once in this session and once 45 days ago: the user's sessions count.
    assert_eq!(
        devices(&app.page(&by_cohort("is")).await),
        set(&["d1", "d4"])
    );
    assert_eq!(
        devices(&app.page(&by_cohort("is_not")).await),
        set(&["d2", "d3"])
    );

    let changed = json!({"name": "Very loyal pros", "definition": {"conditions": [
        {"user_property": "plan", "op": "is", "values": ["pro"]},
        {"performed": "Purchase", "min_count": 2},
        {"user_property": "age", "op": "exists", "negate": true}
    ]}});
    let (status, body) = app
        .send(
            reqwest::Method::PUT,
            &format!("/cohorts/{}", cohort.id),
            Some(&changed),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["name"], "Very loyal pros");
    assert_eq!(devices(&app.page(&by_cohort("is")).await), set(&["d4"]));

    let (status, list) = app.send(reqwest::Method::GET, "/cohorts", None).await;
    assert_eq!(
        (status, list["cohorts"].as_array().map(Vec::len)),
        (StatusCode::OK, Some(1))
    );
    let path = format!("/cohorts/{}", cohort.id);
    assert_eq!(app.delete(&path).await, StatusCode::NO_CONTENT);
    let (status, answer) = app.search(&by_cohort("is")).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
    assert_eq!(app.delete(&path).await, StatusCode::NOT_FOUND);

    let bad = json!({"name": "x", "definition": {"conditions": []}});
    let (status, answer) = app
        .send(reqwest::Method::POST, "/cohorts", Some(&bad))
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{answer}");
}

#[tokio::test]
async fn saved_searches_keep_the_whole_search_for_the_project() {
    let app = seeded().await;
    let search = json!({"range": "7d", "q": "payment", "sort": "duration", "order": "asc",
        "filters": [{"field": "country", "op": "is", "values": ["DE"]}]});
    let saved: SavedSearch = app
        .created(
            "/saved-searches",
            &json!({"name": "Payment trouble", "search": search}),
        )
        .await;
    assert_eq!(
        (saved.name.as_str(), saved.created_by.as_str()),
        ("Payment trouble", ADMIN_EMAIL)
    );
    assert_eq!(serde_json::to_value(&saved.search).unwrap(), search);

    let (_, list) = app
        .send(reqwest::Method::GET, "/saved-searches", None)
        .await;
    let list: SavedSearchList = serde_json::from_value(list).unwrap();
    assert_eq!(list.saved_searches.len(), 1);

    for (bad, want) in [
        (json!({"name": "", "search": {}}), "name must be"),
        (
            json!({"name": "x", "search": {"filters": [{"field": "url", "op": "between", "values": [1, 2]}]}}),
            "between does not apply to urls",
        ),
        (
            json!({"name": "x", "search": {"range": "7d", "start": "2026-01-01"}}),
            "either range or start",
        ),
        (
            json!({"name": "x", "search": {"range": "2w"}}),
            "unknown variant",
        ),
    ] {
        let (status, answer) = app
            .send(reqwest::Method::POST, "/saved-searches", Some(&bad))
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {answer}");
        assert!(
            answer["error"]["message"]
                .as_str()
                .unwrap_or("")
                .contains(want),
            "{answer}"
        );
    }
    let path = format!("/saved-searches/{}", saved.id);
    assert_eq!(app.delete(&path).await, StatusCode::NO_CONTENT);
    assert_eq!(app.delete(&path).await, StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_catalog_names_events_and_user_properties() {
    let app = seeded().await;
    let (status, body) = app.send(reqwest::Method::GET, "/catalog", None).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let names: Vec<&str> = body["event_names"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert_eq!(
        names.first(),
        Some(&"Purchase"),
        "most used first: {names:?}"
    );
    assert!(names.contains(&"[reel] Rage Click"), "{names:?}");
    assert_eq!(body["user_properties"], json!(["age", "plan", "ref"]));
}
