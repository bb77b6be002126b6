//! The SQLite backend's own guarantees around search: both plans find the same, data stored
//! before migration 0007 is searchable after it, and busy search connections hold up nothing
//! else.

use std::collections::HashMap;
use std::time::Duration;

use reel_query::wire::SearchRequest;
use reel_query::{ParseContext, parse};
use serde_json::json;

use super::search::{TextPlan, search_with};
use super::*;
use crate::prelude::*;
use crate::{AnalyticsEvent, ImportedSession, NewInstallation, SessionRef, SessionText};

fn installation() -> NewInstallation {
    NewInstallation {
        organization_name: "o".into(),
        project_name: "p".into(),
        api_key: "k".into(),
        admin_email: "a@b.c".into(),
        admin_password_hash: "h".into(),
    }
}

fn event(
    device: &str,
    start: i64,
    i: usize,
    name: &str,
    props: serde_json::Value,
    tier: &str,
) -> AnalyticsEvent {
    AnalyticsEvent {
        insert_id: Some(format!("{device}-{i}")),
        event_type: name.into(),
        time_ms: start + i as i64 * 1000,
        device_id: Some(device.into()),
        user_id: Some(format!("user-{device}")),
        session_id: Some(start),
        event_properties: props.to_string(),
        user_properties: json!({"$set": {"tier": tier}}).to_string(),
        raw: "{}".into(),
        display_name: None,
        derived: false,
    }
}

fn session(n: usize, now: i64) -> ImportedSession {
    let device = format!("dev{n}");
    let start = now - 3_600_000 + n as i64 * 60_000;
    let selector = if n.is_multiple_of(3) {
        "body > div#shop > button.buy.primary"
    } else {
        "body > a.link"
    };
    let tier = if n % 3 == 1 { "gold" } else { "grey" };
    let facts = SessionFacts {
        rage_click_count: n.is_multiple_of(4) as i64,
        ..Default::default()
    };
    ImportedSession {
        session: SessionRef {
            project_id: 1,
            device_id: device.clone(),
            session_id: start,
        },
        start_ms: start,
        end_ms: start + n as i64 * 1000,
        first_url: None,
        country: Some(if n.is_multiple_of(2) { "DE" } else { "US" }.into()),
        user_agent: None,
        facts,
        urls: vec![format!("https://shop.test/p/{}", n % 5)],
        viewport: None,
        events: vec![
            event(&device, start, n % 2, "Purchase", json!({"price": n}), tier),
            event(
                &device,
                start,
                3,
                "[reel] Element Clicked",
                json!({"[reel] Element Selector": selector, "[reel] Element Text": format!("Item {}", n % 4)}),
                tier,
            ),
        ],
        texts: vec![SessionText {
            console_level: n.is_multiple_of(5).then(|| "error".to_owned()),
            ts_ms: start,
            text: format!(
                "message number {} of the shop{}",
                n % 7,
                if n % 4 == 0 {
                    " — Crème Brûlée, Ünïcode!"
                } else {
                    ""
                }
            ),
        }],
    }
}

fn request(body: serde_json::Value, now: i64) -> reel_query::Search {
    let request: SearchRequest = serde_json::from_value(body).unwrap();
    parse(
        &request,
        &ParseContext {
            timezone: chrono_tz::Tz::UTC,
            now_ms: now,
            cohorts: &HashMap::new(),
        },
    )
    .unwrap()
}

/// Driving a search from an index and probing every session in time order give the same
/// answer, page by page.
#[tokio::test]
async fn driving_and_probing_find_the_same() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("t.db")).unwrap();
    store
        .create_installation(installation(), 0)
        .await
        .unwrap()
        .unwrap();
    let now = 1_767_225_600_000;
    store
        .import_sessions((0..40).map(|n| session(n, now)).collect(), now)
        .await
        .unwrap();
    let bodies = [
        json!({"filters": [{"field": "event", "name": "Purchase", "where": [{"property": "price", "op": "greater_than", "values": [20]}]}]}),
        json!({"filters": [{"field": "clicked_element", "selector": "div#shop button.buy"}]}),
        json!({"filters": [{"field": "clicked_element", "op": "is", "values": ["Item 2"]}]}),
        json!({"filters": [{"field": "user_property", "property": "tier", "op": "is", "values": ["gold"]}, {"field": "country", "op": "is", "values": ["DE"]}]}),
        json!({"filters": [{"field": "user_id", "op": "is", "values": ["user-dev3", "user-dev8"]}]}),
        json!({"filters": [{"field": "console_message", "op": "contains", "values": ["number 5"]}]}),
        json!({"q": "message number 3"}),
        json!({"q": "MESSAGE numb"}),
        json!({"q": "creme brulee unic"}),
        json!({"q": "shop", "filters": [{"field": "rage_click_count", "op": "greater_than", "values": [0]}]}),
        json!({"q": "shop", "sort": "duration", "filters": [{"field": "url", "op": "glob", "values": ["*/p/[12]"]}]}),
    ];
    for body in bodies {
        let mut answers = Vec::new();
        let plans = [
            (0, TextPlan::Set),
            (i64::MAX, TextPlan::Set),
            (0, TextPlan::PerSession),
            (i64::MAX, TextPlan::PerSession),
        ];
        for (drive_below, text_plan) in plans {
            let mut rows = Vec::new();
            let mut search = request(body.clone(), now);
            search.limit = 3;
            loop {
                let s = search.clone();
                let page = store
                    .searchers
                    .run(move |c, watch| search_with(c, watch, 1, &s, drive_below, text_plan))
                    .await
                    .unwrap();
                rows.extend(page.replays.iter().map(|r| r.device_id.clone()));
                match page.next {
                    Some(next) => search.after = Some(next),
                    None => break,
                }
            }
            answers.push(rows);
        }
        assert!(!answers[0].is_empty(), "{body} finds something");
        for other in &answers[1..] {
            assert_eq!(&answers[0], other, "{body}");
        }
    }
}

/// Events, user properties and text stored before migration 0007 are found after it.
#[tokio::test]
async fn what_was_stored_before_the_search_migration_is_searchable() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    {
        let mut conn = Connection::open(&path).unwrap();
        migrate_to(&mut conn, SEARCH_MIGRATION - 1).unwrap();
        conn.execute_batch(
            "INSERT INTO organizations (id, name, created_ms) VALUES (1, 'o', 0);
             INSERT INTO projects (id, organization_id, name, api_key, created_ms) VALUES (1, 1, 'p', 'k', 0);
             INSERT INTO sessions (id, project_id, device_id, session_id, replay_key, start_ms, end_ms,
                                   user_id, user_id_ms)
                 VALUES (7, 1, 'old-device', 1000, 'b2xkLWRldmljZS8xMDAw', 1000, 5000, 'olga', 1000);
             INSERT INTO events (project_id, insert_id, event_type, time_ms, device_id, user_id,
                                 session_id, event_properties, user_properties, raw, received_ms,
                                 display_name, derived)
             VALUES (1, 'a', '$identify', 1000, 'old-device', 'olga', 1000, '{}',
                     '{\"$set\": {\"plan\": \"pro\"}}', '{\"kept\": true}', 0, NULL, 0),
                    (1, 'b', '[reel] Element Clicked', 2000, 'old-device', 'olga', 1000,
                     '{\"[reel] Element Selector\": \"body > button.pay\", \"[reel] Element Text\": \"Pay\"}',
                     '{}', '{\"derived\": \"copy\"}', 0, 'Clicked ''Pay'' button', 1),
                    (1, 'c', 'Signup', 3000, 'other-device', NULL, 2000, '{}', '{}', '{}', 0, NULL, 0);
             INSERT INTO session_text (session_row, kind, level, first_ms, hash, text)
                 VALUES (7, 'screen', NULL, 1000, 'h1', 'Welcome to the old shop'),
                        (7, 'console', 'error', 2000, 'h2', 'old failure');",
        )
        .unwrap();
    }
    let store = SqliteStore::open(&path).unwrap();
    let find = |body: serde_json::Value| {
        let store = store.clone();
        async move {
            let mut search = request(body, 10_000);
            search.range = reel_query::TimeRange {
                start_ms: 0,
                end_ms: 10_000,
            };
            store
                .search(1, search)
                .await
                .unwrap()
                .replays
                .iter()
                .map(|r| r.device_id.clone())
                .collect::<Vec<_>>()
        }
    };
    let old = vec!["old-device".to_owned()];
    assert_eq!(find(json!({"q": "old shop"})).await, old);
    assert_eq!(find(json!({"filters": [{"field": "console_message", "op": "contains", "values": ["failure"]}]})).await, old);
    assert_eq!(find(json!({"filters": [{"field": "console_message", "op": "contains", "values": ["old shop"]}]})).await, Vec::<String>::new());
    assert_eq!(
        find(json!({"filters": [{"field": "clicked_element", "selector": "button.pay"}]})).await,
        old
    );
    assert_eq!(find(json!({"filters": [{"field": "user_property", "property": "plan", "op": "is", "values": ["pro"]}]})).await, old);
    assert_eq!(
        find(json!({"filters": [{"field": "event", "name": "$identify"}]})).await,
        old
    );
    // The session of an event that came without a recording got its row.
    let c = store.writer.lock().unwrap();
    let rows: i64 = c
        .query_row(
            "SELECT COUNT(*) FROM sessions WHERE device_id = 'other-device'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(rows, 1);
    let raws: Vec<String> = c
        .prepare("SELECT raw FROM events ORDER BY insert_id")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        raws,
        ["{\"kept\": true}", "", "{}"],
        "derived events keep no copy"
    );
}

/// With every search connection busy, logins, token checks and uploads still get through.
#[tokio::test]
async fn busy_searches_hold_up_no_other_read_or_write() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("t.db")).unwrap();
    store
        .create_installation(installation(), 0)
        .await
        .unwrap()
        .unwrap();
    let (release, held) = std::sync::mpsc::channel::<()>();
    let held = std::sync::Arc::new(std::sync::Mutex::new(held));
    let mut busy = Vec::new();
    for _ in 0..SEARCHERS {
        let held = held.clone();
        let store = store.clone();
        busy.push(tokio::spawn(async move {
            store
                .searchers
                .run(move |_, _| {
                    let _ = held.lock().unwrap().recv();
                    Ok(())
                })
                .await
        }));
    }
    // Every search connection is taken once a further search has to wait.
    let waiting = {
        let store = store.clone();
        tokio::spawn(async move { store.search(1, request(json!({}), 0)).await })
    };
    let within = Duration::from_secs(5);
    let login = tokio::time::timeout(within, store.user_for_login("a@b.c")).await;
    assert!(
        matches!(login, Ok(Ok(Some(_)))),
        "a login read waited for searches"
    );
    let change = crate::ProjectChanges {
        timezone: Some("UTC".into()),
        ..Default::default()
    };
    let write = tokio::time::timeout(within, store.update_project(1, change)).await;
    assert!(
        matches!(write, Ok(Ok(Some(_)))),
        "a write waited for searches"
    );
    assert!(
        !waiting.is_finished(),
        "a search beyond the pool waits its turn"
    );
    for _ in 0..SEARCHERS + 1 {
        let _ = release.send(());
    }
    for b in busy {
        b.await.unwrap().unwrap();
    }
    let answer = tokio::time::timeout(within, waiting).await;
    assert!(
        matches!(answer, Ok(Ok(Ok(_)))),
        "the waiting search ran once a connection was free"
    );
}

/// Any property name a user can type names its member in SQLite's JSON functions.
#[test]
fn member_paths_name_any_key() {
    let conn = Connection::open_in_memory().unwrap();
    let keys = [
        "plain",
        "with space",
        "a.b",
        "a[0]",
        "$.x",
        "quote\"inside",
        "ends with backslash\\",
        "\\\"both\\\"",
        "\"",
        "tab\there\nnewline\u{1}",
        "ünïcödé 🎉",
        "'single'",
        "",
        "[reel] Element Text",
    ];
    for key in keys {
        let mut object = serde_json::Map::new();
        object.insert(key.to_owned(), json!("found"));
        object.insert(format!("{key}x"), json!("other"));
        let text = serde_json::to_string(&object).unwrap();
        let got: Option<String> = conn
            .query_row(
                "SELECT json_extract(?1, ?2)",
                rusqlite::params![text, super::search::member_path(key)],
                |r| r.get(0),
            )
            .unwrap_or_else(|e| panic!("{key:?}: {e}"));
        assert_eq!(got.as_deref(), Some("found"), "{key:?}");
    }
}

/// A row that SQLite's JSON functions cannot read, stored before properties were bounded, no
/// longer fails the searches that read its event's properties once the store has opened.
#[tokio::test]
async fn unreadable_properties_stored_earlier_are_cleared() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    let deep = format!("{{\"a\": {}1{}}}", "[".repeat(1100), "]".repeat(1100));
    {
        let mut conn = Connection::open(&path).unwrap();
        configure(&conn, &Default::default()).unwrap();
        // Every migration before 0008_bounded_properties.
        migrate_to(&mut conn, 7).unwrap();
        conn.execute_batch(
            "INSERT INTO organizations (id, name, created_ms) VALUES (1, 'o', 0);
             INSERT INTO projects (id, organization_id, name, api_key, created_ms) VALUES (1, 1, 'p', 'k', 0);
             INSERT INTO sessions (id, project_id, device_id, session_id, replay_key, start_ms, end_ms)
                 VALUES (7, 1, 'd', 1000, 'ZC8xMDAw', 1000, 5000);
             INSERT INTO event_types (id, project_id, name) VALUES (1, 1, 'Buy');",
        )
        .unwrap();
        let insert = "INSERT INTO events (project_id, insert_id, event_type, time_ms, device_id,
                          session_id, event_properties, user_properties, raw, received_ms, derived,
                          session_row, type_id)
                      VALUES (1, ?1, 'Buy', 2000, 'd', 1000, ?2, ?3, '{}', 0, 0, 7, 1)";
        conn.execute(insert, rusqlite::params!["deep", deep, "{}"])
            .unwrap();
        conn.execute(insert, rusqlite::params!["deep-user", "{}", deep])
            .unwrap();
        conn.execute(
            insert,
            rusqlite::params!["good", r#"{"plan": "pro"}"#, "{}"],
        )
        .unwrap();
        // What the searches below would have met.
        let failed = conn.query_row(
            "SELECT COUNT(*) FROM events WHERE json_extract(event_properties, '$.plan') = 'pro'",
            [],
            |r| r.get::<_, i64>(0),
        );
        assert!(failed.is_err(), "the planted row is unreadable: {failed:?}");
    }
    let store = SqliteStore::open(&path).unwrap();
    let mut search = request(
        json!({"filters": [{"field": "event", "name": "Buy",
                            "where": [{"property": "plan", "op": "is", "values": ["pro"]}]}]}),
        10_000,
    );
    search.range = reel_query::TimeRange {
        start_ms: 0,
        end_ms: 10_000,
    };
    let page = store.search(1, search).await.unwrap();
    assert_eq!(page.replays.len(), 1);
    let c = Connection::open(&path).unwrap();
    let kept: Vec<(String, String)> = c
        .prepare("SELECT event_properties, user_properties FROM events ORDER BY insert_id")
        .unwrap()
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(
        kept,
        [
            ("{}".to_owned(), "{}".to_owned()),
            ("{}".to_owned(), "{}".to_owned()),
            (r#"{"plan": "pro"}"#.to_owned(), "{}".to_owned())
        ]
    );
}
