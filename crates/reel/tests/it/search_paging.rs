//! Search results in order: sorting by each key, cursor paging that stays stable while sessions
//! arrive, days in the project's timezone, and a recording found by what happened in it.

use reel_engine::store::{ImportedSession, SessionFacts, SessionRef};
use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::*;

use super::search::*;

/// Sorting by each key, both ways, a page of one at a time.
#[tokio::test]
async fn sorted_results_page_through_in_order() {
    let app = seeded().await;
    let cases: Vec<(&str, &str, Vec<&str>)> = vec![
        ("start_time", "desc", vec!["d4", "d3", "d2", "d1"]),
        ("start_time", "asc", vec!["d1", "d2", "d3", "d4"]),
        ("duration", "desc", vec!["d4", "d1", "d2", "d3"]),
        ("duration", "asc", vec!["d3", "d2", "d1", "d4"]),
        ("active_time", "desc", vec!["d4", "d1", "d2", "d3"]),
        // Errors: d1 and d4 have 3 each, d2 and d3 none; ties come in a stable order.
        ("errors", "desc", vec!["d1", "d4", "d2", "d3"]),
    ];
    for (sort, order, want) in cases {
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        loop {
            let mut body = json!({"sort": sort, "order": order, "limit": 1});
            if let Some(c) = &cursor {
                body["cursor"] = json!(c);
            }
            let page = app.page(&body).await;
            assert_eq!(page.total, Some(4), "{sort} {order}");
            seen.extend(page.replays.iter().map(|r| r.device_id.clone()));
            match page.next_cursor {
                Some(c) => cursor = Some(c),
                None => break,
            }
            assert!(seen.len() <= 4, "{sort} {order}: {seen:?}");
        }
        if sort == "errors" {
            assert_eq!(
                set(&seen.iter().map(String::as_str).collect::<Vec<_>>()),
                set(&want)
            );
            assert_eq!(set(&[&seen[0], &seen[1]]), set(&["d1", "d4"]), "{seen:?}");
        } else {
            assert_eq!(seen, want, "{sort} {order}");
        }
    }
    let (status, answer) = app
        .search(&json!({"sort": "duration", "cursor": app.page(&json!({"limit": 1})).await.next_cursor}))
        .await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "a cursor of another sort order: {answer}"
    );
}

fn plain(device: String, start_ms: i64) -> ImportedSession {
    ImportedSession {
        session: SessionRef {
            project_id: 1,
            device_id: device,
            session_id: start_ms,
        },
        start_ms,
        end_ms: start_ms + 1_000,
        first_url: None,
        country: None,
        user_agent: None,
        facts: SessionFacts::default(),
        urls: Vec::new(),
        viewport: None,
        events: Vec::new(),
        texts: Vec::new(),
    }
}

/// Pages stay stable while sessions arrive: newer ones do not push rows into the next page,
/// rows are never repeated or skipped, and an older arrival shows up where it belongs.
#[tokio::test]
async fn cursor_paging_is_stable_while_sessions_arrive() {
    let app = TestApp::spawn().await;
    let base = now_ms() - 5 * 3_600_000;
    let first: Vec<ImportedSession> = (0..150)
        .map(|i| plain(format!("s{i:03}"), base + i * 1_000))
        .collect();
    app.meta.import_sessions(first, now_ms()).await.unwrap();

    let page1 = app.page(&json!({})).await;
    assert_eq!((page1.replays.len(), page1.total), (100, Some(150)));
    let cursor = page1.next_cursor.clone().expect("a second page");
    assert_eq!(page1.replays[0].device_id, "s149");
    assert_eq!(page1.replays[99].device_id, "s050");

    // Arrivals between the pages: ten newer sessions, and one that started before the cursor.
    let mut arrivals: Vec<ImportedSession> = (0..10)
        .map(|i| plain(format!("new{i}"), base + 200_000 + i))
        .collect();
    arrivals.push(plain("late".into(), base + 10_500));
    app.meta.import_sessions(arrivals, now_ms()).await.unwrap();

    let page2 = app.page(&json!({"cursor": cursor})).await;
    let got: Vec<String> = page2.replays.iter().map(|r| r.device_id.clone()).collect();
    let mut want: Vec<String> = (0..50).rev().map(|i| format!("s{i:03}")).collect();
    want.insert(
        want.iter().position(|d| d == "s010").unwrap(),
        "late".into(),
    );
    assert_eq!(got, want);
    assert_eq!(page2.next_cursor, None, "the last page has no cursor");
    assert_eq!(
        page2.total,
        Some(150),
        "the total counted for the first page"
    );

    // Another search from the start sees everything.
    let fresh = app.page(&json!({"limit": 5})).await;
    assert_eq!(fresh.total, Some(161));
    assert_eq!(fresh.replays[0].device_id, "new9");
}

/// A day is the project's day: a session at 23:30 local time belongs to that local day.
#[tokio::test]
async fn dates_are_days_in_the_projects_timezone() {
    let app = TestApp::spawn().await;
    let ms = |s: &str| {
        chrono::DateTime::parse_from_rfc3339(s)
            .unwrap()
            .timestamp_millis()
    };
    // 23:30 on 2026-03-10 in New York (UTC-4 after the DST change on 2026-03-08) is 03:30 UTC
    // on 2026-03-11; 00:30 on 2026-03-11 local is 04:30 UTC.
    app.meta
        .import_sessions(
            vec![
                plain("late-evening".into(), ms("2026-03-11T03:30:00Z")),
                plain("after-midnight".into(), ms("2026-03-11T04:30:00Z")),
                plain("utc-morning".into(), ms("2026-03-10T01:00:00Z")),
            ],
            now_ms(),
        )
        .await
        .unwrap();
    let on = |day: &str| json!({"start": day, "end": day});
    // UTC first: the project's default.
    assert_eq!(
        devices(&app.page(&on("2026-03-10")).await),
        set(&["utc-morning"])
    );
    assert_eq!(
        devices(&app.page(&on("2026-03-11")).await),
        set(&["late-evening", "after-midnight"])
    );

    let (status, body) = app
        .send(
            reqwest::Method::PATCH,
            "/projects/1",
            Some(&json!({"timezone": "America/New_York"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    // 01:00 UTC on the 10th is 21:00 on the 9th in New York.
    assert_eq!(
        devices(&app.page(&on("2026-03-09")).await),
        set(&["utc-morning"])
    );
    assert_eq!(
        devices(&app.page(&on("2026-03-10")).await),
        set(&["late-evening"])
    );
    assert_eq!(
        devices(&app.page(&on("2026-03-11")).await),
        set(&["after-midnight"])
    );
    // RFC 3339 instants are what they say, whatever the timezone.
    let instant = json!({"start": "2026-03-11T03:30:00Z", "end": "2026-03-11T03:30:00.001Z"});
    assert_eq!(devices(&app.page(&instant).await), set(&["late-evening"]));
}

/// The whole path: a recording uploaded, processed into derived events and text, then found by
/// what happened in it.
#[tokio::test]
async fn recordings_are_found_by_what_happened_in_them() {
    let app = TestApp::spawn_with(quick_processing).await;
    let t = now_ms() - 600_000;
    let cart = json!({"type": 2, "id": 5, "tagName": "div", "attributes": {"id": "cart"}, "childNodes": [
        {"type": 2, "id": 10, "tagName": "button", "attributes": {"class": "btn checkout"},
         "childNodes": [{"type": 3, "id": 11, "textContent": "Pay now"}]}]});
    let note = json!({"type": 2, "id": 40, "tagName": "p", "attributes": {},
        "childNodes": [{"type": 3, "id": 41, "textContent": "Order confirmed soon"}]});
    // What the SDK sends for masked text: only asterisks.
    let masked = json!({"type": 2, "id": 50, "tagName": "p", "attributes": {"class": "reel-mask"},
        "childNodes": [{"type": 3, "id": 51, "textContent": "****** ******"}]});
    let body = json!({"type": 2, "id": 4, "tagName": "body", "attributes": {}, "childNodes": [cart, note, masked]});
    let html =
        json!({"type": 2, "id": 3, "tagName": "html", "attributes": {}, "childNodes": [body]});
    let snapshot = json!({"type": 2, "timestamp": t, "data": {"initialOffset": {"top": 0, "left": 0},
        "node": {"type": 0, "id": 1, "childNodes": [html]}}});
    let click = |ts: i64, x: i64| {
        json!({"type": 3, "timestamp": ts, "data": {"source": 2, "type": 2, "id": 11, "x": x, "y": 20}})
            .to_string()
    };
    let events = vec![
        meta(t, "https://shop.test/cart"),
        snapshot.to_string(),
        click(t + 1_000, 100),
        click(t + 1_200, 101),
        click(t + 1_400, 102),
        json!({"type": 6, "timestamp": t + 1_500, "data": {"plugin": "rrweb/console@1", "payload": {
            "level": "error", "trace": [], "payload": ["\"Payment widget crashed\""]}}})
        .to_string(),
        mouse_move(t + 9_000, 5),
    ];
    app.track_ok("d-real", t, &events).await;
    let id = replay_id("d-real", t);
    app.settled(&id).await;
    let finds = |body: Value| {
        let app = &app;
        async move {
            app.page(&body)
                .await
                .replays
                .iter()
                .any(|r| r.device_id == "d-real")
        }
    };
    assert!(finds(json!({"q": "order confirmed"})).await);
    assert!(
        finds(json!({"q": "Payment widget"})).await,
        "console text is searched too"
    );
    assert!(!finds(json!({"q": "confirmed order"})).await);
    for filter in [
        json!({"field": "clicked_element", "selector": "div#cart > button.checkout"}),
        json!({"field": "clicked_element", "selector": "button.btn", "signal": "rage"}),
        json!({"field": "clicked_element", "op": "is", "values": ["Pay now"]}),
        json!({"field": "console_message", "op": "contains", "values": ["widget crashed"]}),
        json!({"field": "rage_click_count", "op": "greater_than", "values": [0]}),
        json!({"field": "url", "op": "is", "values": ["https://shop.test/cart"]}),
        json!({"field": "event", "name": "[reel] Rage Click"}),
    ] {
        assert!(
            finds(json!({"filters": [filter.clone()]})).await,
            "{filter}"
        );
    }
    assert!(
        !finds(json!({"filters": [{"field": "clicked_element", "selector": "a.checkout"}]})).await
    );
}
