//! Replay search on ClickHouse gives the embedded store's answers: the same sessions (brought
//! in with their facts, events, user properties and text, as `reel generate` does) written into
//! a `SqliteStore` and into `ClickHouseSearch` on a real ClickHouse 18.16, then a table of
//! searches — every filter kind and operator, negations, combinations, full text, every sort
//! both ways, paging by cursors to the end, empty answers, and names and values made to break
//! out of SQL — asked of both and compared whole (replays, totals, and each cursor's sort,
//! value and total; a cursor's row is each store's own session number).

use std::collections::HashMap;

use reel_engine::store::clickhouse::ClickHouseSearch;
use reel_engine::store::prelude::*;
use reel_engine::store::{
    AnalyticsEvent, Fact, ImportedSession, NewChunk, NewUpload, SearchPage, SessionFacts,
    SessionRef, SessionText, SignalsUpdate, UserAgent,
};
use reel_query::wire::{CohortDefinition, SearchRequest};
use reel_query::{ParseContext, Search};
use serde_json::{Value, json};

use crate::clickhouse_server::{ClickHouseServer, embedded_with_project};

mod data;

use data::*;

fn parse(request: &Value, sort: &str, order: &str, limit: u32) -> Option<Search> {
    let mut request = request.clone();
    request["start"] = json!("2026-01-05T00:00:00Z");
    request["end"] = json!("2026-01-06T00:00:00Z");
    request["sort"] = json!(sort);
    request["order"] = json!(order);
    request["limit"] = json!(limit);
    let request: SearchRequest = serde_json::from_value(request).expect("a request");
    let cohorts = cohorts();
    let cx = ParseContext {
        timezone: chrono_tz::UTC,
        now_ms: T0 + 2 * 24 * 60 * MINUTE,
        cohorts: &cohorts,
    };
    // A case the request rules refuse is left out (the table's hostile strings are all
    // allowed: this is a slip in the table, reported by the check below).
    reel_query::parse(&request, &cx).ok()
}

/// A page as compared: the cursor without its row (each store numbers its sessions).
/// A page's replays (as text, for readable differences), total, and next cursor's sort value
/// and total.
type Comparable = (Vec<String>, Option<u64>, Option<(i64, Option<u64>)>);

fn comparable(page: &SearchPage) -> Comparable {
    (
        page.replays.iter().map(|r| format!("{r:?}")).collect(),
        page.total,
        page.next.as_ref().map(|c| (c.value, c.total)),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn replay_search_on_clickhouse_answers_as_the_embedded_store_does() {
    let server = ClickHouseServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let log = std::env::var_os("REEL_CLICKHOUSE_STATEMENTS")
        .map_or_else(|| dir.path().join("statements.jsonl"), Into::into);
    // Two candidates at a time: every search that Rust decides part of goes through several
    // batches.
    let ch = ClickHouseSearch::open_logging(&server.url("reel_search"), Some(&log))
        .await
        .expect("ClickHouse opens")
        .with_search_batch(2)
        // Counts compared with the embedded store's: not cut short by a loaded machine.
        .with_count_budget(std::time::Duration::from_secs(60));
    let (sqlite, project) = embedded_with_project(dir.path()).await;
    let project = project.id;
    let imported: Vec<ImportedSession> = sessions().iter().map(|s| s.imported(project)).collect();
    // One at a time: the embedded store numbers sessions in the order it sees them, and so
    // does ClickHouse's first sighting.
    for session in &imported {
        let a = sqlite
            .import_sessions(vec![session.clone()], T0)
            .await
            .unwrap();
        let b = ch
            .import_sessions(std::slice::from_ref(session))
            .await
            .unwrap();
        assert_eq!((a, b), (1, 1), "{:?}", session.session);
    }
    // Imported again: both leave them as they are.
    assert_eq!(
        sqlite.import_sessions(imported.clone(), T0).await.unwrap(),
        0
    );
    assert_eq!(ch.import_sessions(&imported).await.unwrap(), 0);
    let loose = loose_events();
    sqlite.add_events(project, loose.clone(), T0).await.unwrap();
    assert_eq!(
        ch.add_events(project, &loose).await.unwrap(),
        3,
        "the retry is skipped"
    );

    // The catalog.
    assert_eq!(
        ch.event_names(project, 100).await.unwrap(),
        sqlite.event_names(project, 100).await.unwrap()
    );
    assert_eq!(
        ch.event_names(project, 2).await.unwrap(),
        sqlite.event_names(project, 2).await.unwrap()
    );
    assert_eq!(
        ch.user_property_keys(project, 100).await.unwrap(),
        sqlite.user_property_keys(project, 100).await.unwrap()
    );
    assert_eq!(
        ch.event_names(project + 1, 10).await.unwrap(),
        Vec::<String>::new()
    );

    let mut failures = Vec::new();
    let mut asked = 0;
    let mut found_any = 0;
    for case in cases() {
        for (sort, order, limit) in [
            ("start_time", "desc", 100),
            ("start_time", "asc", 2),
            ("duration", "desc", 2),
            ("active_time", "asc", 3),
            ("errors", "desc", 1),
        ] {
            let Some(search) = parse(&case, sort, order, limit) else {
                failures.push(format!("{case}: the request is refused"));
                continue;
            };
            asked += 1;
            // Every page, by each store's own cursors.
            let (mut a, mut b) = (search.clone(), search.clone());
            for page_number in 0.. {
                let want = sqlite.search(project, a.clone()).await.unwrap();
                let got = match ch.search(project, b.clone()).await {
                    Ok(got) => got,
                    Err(e) => {
                        failures.push(format!("{case} {sort} {order} page {page_number}: {e}"));
                        break;
                    }
                };
                if page_number == 0 && !want.replays.is_empty() {
                    found_any += 1;
                }
                if comparable(&got) != comparable(&want) {
                    failures.push(format!(
                        "{case} {sort} {order} {limit} page {page_number}:\n  sqlite     {:?}\n  clickhouse {:?}",
                        comparable(&want),
                        comparable(&got)
                    ));
                    break;
                }
                match (want.next, got.next) {
                    (Some(x), Some(y)) => {
                        a.after = Some(x);
                        b.after = Some(y);
                    }
                    _ => break,
                }
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {asked} differ:\n{}",
        failures.len(),
        failures.join("\n")
    );
    // The table is no table of empty answers.
    assert!(
        found_any > asked / 3,
        "{found_any} of {asked} found something"
    );
    eprintln!("{asked} searches (every page), {found_any} finding something: answered alike");
}

/// A recording's chunk as the ingest stage hands it over.
fn chunk(start_ms: i64, end_ms: i64, events: i64, href: Option<(i64, &str)>) -> NewChunk {
    NewChunk {
        start_ms,
        end_ms,
        event_count: events,
        raw_bytes: events * 100,
        stored_bytes: events * 10,
        starts_with_snapshot: true,
        meta_ms: Some(start_ms),
        last_meta_ms: Some(start_ms),
        content_hash: format!("h{start_ms}-{end_ms}"),
        object_key: format!("o{start_ms}-{end_ms}"),
        first_href: href.map(|(ms, url)| (ms, url.to_owned())),
        dictionary_id: None,
    }
}

/// Recorded sessions — uploads, then processing runs — leave both stores listing and finding
/// the same replays: the session rows the embedded store's ingest and processing write, and
/// the ClickHouse versions `record_upload` and `apply_signals` write from the same input.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn uploads_and_processing_runs_leave_the_replays_the_embedded_store_has() {
    let server = ClickHouseServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let log = std::env::var_os("REEL_CLICKHOUSE_STATEMENTS")
        .map_or_else(|| dir.path().join("statements.jsonl"), Into::into);
    let ch = ClickHouseSearch::open_logging(&server.url("reel_recorded"), Some(&log))
        .await
        .expect("ClickHouse opens")
        .with_count_budget(std::time::Duration::from_secs(60));
    let (sqlite, project) = embedded_with_project(dir.path()).await;
    let project = project.id;
    let session = |device: &str, id: i64| SessionRef {
        project_id: project,
        device_id: device.into(),
        session_id: id,
    };
    let ua = |browser: &str| UserAgent {
        header: "test".into(),
        browser: browser.into(),
        os: "Linux".into(),
        device: "Desktop".into(),
    };
    let (s1, s2) = (session("r1", T0 + MINUTE), session("r2", T0 + 2 * MINUTE));
    // r1: two uploads, the second with an earlier first URL and another country and agent
    // (the first ones stay); r2: one upload without a country.
    let uploads = [
        NewUpload {
            session: s1.clone(),
            chunks: vec![chunk(
                T0 + MINUTE + 5000,
                T0 + MINUTE + 9000,
                40,
                Some((T0 + MINUTE + 5000, "https://shop.test/b")),
            )],
            country: Some("DE".into()),
            user_agent: Some(ua("Chrome")),
            process_at_ms: T0 + 10 * MINUTE,
        },
        NewUpload {
            session: s1.clone(),
            chunks: vec![
                chunk(
                    T0 + MINUTE,
                    T0 + MINUTE + 4000,
                    30,
                    Some((T0 + MINUTE, "https://shop.test/a")),
                ),
                chunk(T0 + MINUTE + 9000, T0 + MINUTE + 20_000, 5, None),
            ],
            country: Some("FR".into()),
            user_agent: Some(ua("Firefox")),
            process_at_ms: T0 + 11 * MINUTE,
        },
        NewUpload {
            session: s2.clone(),
            chunks: vec![chunk(T0 + 2 * MINUTE, T0 + 3 * MINUTE, 7, None)],
            country: None,
            user_agent: None,
            process_at_ms: T0 + 12 * MINUTE,
        },
    ];
    let due_of = async |s: &SessionRef| {
        sqlite
            .replay(project, &s.replay_id())
            .await
            .unwrap()
            .expect("a replay")
            .processing_due_ms
    };
    for (i, upload) in uploads.iter().enumerate() {
        let now = T0 + 5 * MINUTE + i as i64;
        let committed = sqlite.commit_upload(upload.clone(), now).unwrap();
        assert_eq!(committed.stored, upload.chunks.len());
        let due = due_of(&upload.session).await;
        ch.record_upload(upload, &upload.chunks, now, due)
            .await
            .unwrap();
    }
    // Two processing runs per session, as the work queue hands them out.
    let click = |s: &SessionRef, offset: i64, text: &str| AnalyticsEvent {
        insert_id: Some(format!("{}-{offset}", s.device_id)),
        event_type: "[reel] Element Clicked".into(),
        time_ms: s.session_id + offset,
        device_id: Some(s.device_id.clone()),
        user_id: None,
        session_id: Some(s.session_id),
        event_properties: element("body > button.buy", "button", text, &["buy"]).to_string(),
        user_properties: "{}".into(),
        raw: String::new(),
        display_name: Some(format!("Clicked {text}")),
        derived: true,
    };
    for run in 0..2 {
        let now = T0 + 20 * MINUTE + run;
        // Claimed with a lease already over: the next run claims the same sessions again.
        let work = sqlite
            .claim_work("scale", i64::MAX - 1, i64::MAX - 1, 10)
            .await
            .unwrap();
        assert_eq!(work.len(), 2, "run {run}: {work:?}");
        for item in work {
            let s = &item.session;
            let mut facts = SessionFacts::default();
            facts.set(Fact::ClickCount, 3 + run);
            facts.set(Fact::ActiveMs, 1000 * (run + 1));
            if s.device_id == "r1" {
                facts.set(Fact::ConsoleErrorCount, run);
            }
            let update = SignalsUpdate {
                session: s.clone(),
                facts,
                urls: vec![
                    format!("https://shop.test/{}", run),
                    "https://shop.test/a".into(),
                ],
                viewport: Some((1000 + run as u32, 700)),
                events: vec![click(
                    s,
                    100 + run,
                    if run == 0 { "Buy" } else { "Buy again" },
                )],
                texts: vec![SessionText {
                    console_level: None,
                    ts_ms: s.session_id + run,
                    text: format!("run {run} of {}", s.device_id),
                }],
                gaps: Vec::new(),
                signals_until_ms: s.session_id + 10_000 * (run + 1),
                expected_until_ms: item.signals_until_ms,
                finished: run == 1,
                next_due_ms: now + 60_000,
                taken_generation: item.generation,
            };
            assert!(sqlite.apply_signals(update.clone(), now).await.unwrap());
            let due = due_of(s).await;
            assert!(ch.apply_signals(&update, due).await.unwrap());
        }
    }
    // A session ClickHouse has no replay row for is refused, as the embedded store refuses.
    let mut stray = SignalsUpdate {
        session: session("nobody", 1),
        facts: SessionFacts::default(),
        urls: Vec::new(),
        viewport: None,
        events: Vec::new(),
        texts: Vec::new(),
        gaps: Vec::new(),
        signals_until_ms: 1,
        expected_until_ms: None,
        finished: true,
        next_due_ms: 0,
        taken_generation: 0,
    };
    assert!(!sqlite.apply_signals(stray.clone(), T0).await.unwrap());
    stray.finished = false;
    assert!(!ch.apply_signals(&stray, None).await.unwrap());

    let cases = [
        json!({}),
        json!({"q": "run 1"}),
        json!({"filters": [{"field": "click_count", "op": "is", "values": [7]}]}),
        json!({"filters": [{"field": "country", "op": "does_not_exist"}]}),
        json!({"filters": [{"field": "browser", "op": "is", "values": ["chrome"]}]}),
        json!({"filters": [{"field": "url", "op": "is", "values": ["https://shop.test/1"]}]}),
        json!({"filters": [{"field": "viewport_width", "op": "is", "values": [1000]}]}),
        json!({"filters": [{"field": "clicked_element", "op": "is", "values": ["Buy again"]}]}),
        json!({"filters": [{"field": "clicked_element", "selector": "button.buy"}]}),
        json!({"filters": [{"field": "error_count", "op": "exists"}]}),
    ];
    let compare = async |when: &str| {
        let mut compared = 0;
        for case in &cases {
            for (sort, order) in [
                ("start_time", "desc"),
                ("duration", "asc"),
                ("errors", "desc"),
            ] {
                let search = parse(case, sort, order, 1).expect("a request");
                let (mut a, mut b) = (search.clone(), search);
                loop {
                    let want = sqlite.search(project, a.clone()).await.unwrap();
                    let got = ch.search(project, b.clone()).await.unwrap();
                    assert_eq!(
                        comparable(&got),
                        comparable(&want),
                        "{when}: {case} {sort} {order}"
                    );
                    compared += want.replays.len();
                    match (want.next, got.next) {
                        (Some(x), Some(y)) => (a.after, b.after) = (Some(x), Some(y)),
                        _ => break,
                    }
                }
            }
        }
        assert_eq!(
            ch.event_names(project, 10).await.unwrap(),
            sqlite.event_names(project, 10).await.unwrap(),
            "{when}"
        );
        compared
    };
    let compared = compare("processed").await;
    assert!(compared > 20, "{compared} replays compared");

    // r2's replay deleted in both: the session stays, no longer a replay, its derived events
    // and text gone; deleting again finds nothing.
    assert!(
        sqlite
            .delete_replay(project, &s2.replay_id(), T0)
            .await
            .unwrap()
    );
    assert!(ch.delete_replay(&s2).await.unwrap());
    assert!(
        !sqlite
            .delete_replay(project, &s2.replay_id(), T0)
            .await
            .unwrap()
    );
    assert!(!ch.delete_replay(&s2).await.unwrap());
    compare("r2 deleted").await;
    // A processing run of the deleted replay is refused by both.
    stray.session = s2.clone();
    assert!(!ch.apply_signals(&stray, None).await.unwrap());

    // r2 recorded again: a new upload and a processing run; what the deletion removed stays
    // removed, the new run's derived events and text count.
    let again = NewUpload {
        session: s2.clone(),
        chunks: vec![chunk(
            T0 + 2 * MINUTE + 500,
            T0 + 4 * MINUTE,
            3,
            Some((T0 + 2 * MINUTE + 500, "https://shop.test/again")),
        )],
        country: Some("NL".into()),
        user_agent: Some(ua("Safari")),
        process_at_ms: T0 + 30 * MINUTE,
    };
    let now = T0 + 40 * MINUTE;
    sqlite.commit_upload(again.clone(), now).unwrap();
    let due = due_of(&s2).await;
    ch.record_upload(&again, &again.chunks, now, due)
        .await
        .unwrap();
    compare("r2 uploaded again").await;
    let work = sqlite
        .claim_work("scale", i64::MAX - 1, i64::MAX - 1, 10)
        .await
        .unwrap();
    let item = work
        .iter()
        .find(|w| w.session == s2)
        .expect("r2 is due again");
    let mut facts = SessionFacts::default();
    facts.set(Fact::ClickCount, 1);
    let update = SignalsUpdate {
        session: s2.clone(),
        facts,
        urls: vec!["https://shop.test/again".into()],
        viewport: Some((500, 500)),
        events: vec![click(&s2, 200, "Buy")],
        texts: vec![SessionText {
            console_level: None,
            ts_ms: s2.session_id + 5,
            text: "run 2 of r2".into(),
        }],
        gaps: Vec::new(),
        signals_until_ms: s2.session_id + 60_000,
        expected_until_ms: item.signals_until_ms,
        finished: true,
        next_due_ms: now + 60_000,
        taken_generation: item.generation,
    };
    assert!(sqlite.apply_signals(update.clone(), now).await.unwrap());
    let due = due_of(&s2).await;
    assert!(ch.apply_signals(&update, due).await.unwrap());
    compare("r2 processed again").await;
}
