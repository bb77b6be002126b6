//! User Look-Up and deletion on ClickHouse give the embedded store's answers: thirty people
//! (anonymous then signing in, signed in on two devices, anonymous only; a device changing
//! hands; a user id made to break out of SQL) written into a `SqliteStore`, into
//! `ClickHouseEvents` and into `ClickHouseSearch` on a real ClickHouse 18.16. Then every
//! user's and device's look-up, paged to the end, `find_users` of every kind, every chart of
//! the chart comparison with the Microscope's first page behind its first data points, and replay
//! searches paged to the end are asked of both and compared whole — before any deletion and
//! after each of: a session, a user id, a named device, an anonymous device, retention at a
//! cutoff (each applied to the three stores as the erasure and retention jobs apply them),
//! and after the deleted user and device come back.

use reel_engine::store::clickhouse::{ClickHouseEvents, ClickHouseSearch};
use reel_engine::store::prelude::*;
use reel_engine::store::{Erased, SessionRef, SqliteStore, Subject, UserLookup, UserQuery};
use reel_query::chart::wire::{ChartSpec, DataPointSpec, MicroscopeRequest};
use reel_query::chart::{ChartContext, parse_chart, parse_point, parse_session_page};
use reel_query::wire::SearchRequest;
use reel_query::{ParseContext, Search};
use serde_json::{Value, json};

use crate::charts;
use crate::clickhouse_server::{ClickHouseServer, embedded_with_project};

mod data;

use data::*;

struct Stores {
    sqlite: SqliteStore,
    events: ClickHouseEvents,
    search: ClickHouseSearch,
    project: i64,
}

/// Every device the people used.
fn devices() -> Vec<String> {
    let mut out: Vec<String> = (0..PEOPLE).map(|i| format!("d{i:02}")).collect();
    out.extend(
        (0..PEOPLE)
            .filter(|i| i % 3 == 1)
            .map(|i| format!("d{i:02}b")),
    );
    out.push("nobody".into());
    out
}

fn search(request: &Value) -> Search {
    let mut request = request.clone();
    request["start"] = json!("2026-01-05T00:00:00Z");
    request["end"] = json!("2026-01-06T00:00:00Z");
    request["limit"] = json!(4);
    let request: SearchRequest = serde_json::from_value(request).expect("a request");
    let cohorts = std::collections::HashMap::new();
    let cx = ParseContext {
        timezone: chrono_tz::UTC,
        now_ms: T0 + 2 * 24 * 60 * MINUTE,
        cohorts: &cohorts,
    };
    reel_query::parse(&request, &cx).expect("a search")
}

impl Stores {
    /// Look-ups, found users, charts and searches of both, compared whole. Returns how many
    /// answers were compared.
    async fn compare(&self, when: &str) -> usize {
        let (p, s, e) = (self.project, &self.sqlite, &self.events);
        let mut compared = 0;
        let mut lookups: Vec<UserLookup> =
            (0..PEOPLE).map(|i| UserLookup::UserId(user(i))).collect();
        lookups.push(UserLookup::UserId("nobody".into()));
        lookups.extend(devices().into_iter().map(UserLookup::DeviceId));
        let mut found = 0;
        for lookup in lookups {
            let mut before = None;
            for page in 0.. {
                let want = s.user_profile(p, lookup.clone(), before, 2).await.unwrap();
                let got = e.user_profile(p, lookup.clone(), before, 2).await.unwrap();
                assert_eq!(got, want, "{when}: {lookup:?} page {page}");
                compared += 1;
                found += usize::from(page == 0 && want.is_some());
                match want {
                    Some(w) if w.more => before = w.events.last().map(|e| e.time_ms),
                    _ => break,
                }
            }
        }
        assert!(found > 10, "{when}: {found} users found");
        let mut queries: Vec<UserQuery> = ["", "u", "u0", "u1", "O'", "zz"]
            .into_iter()
            .map(|prefix| UserQuery::UserIdPrefix(prefix.into()))
            .collect();
        queries.extend(devices().into_iter().map(UserQuery::DeviceId));
        for (key, value) in [
            ("plan", "pro"),
            ("plan", "free"),
            ("plan", "team"),
            ("visits", "3"),
            ("visits", "3.0"),
            ("visits", "10"),
            ("city", "Oslo"),
            ("city", "Bergen"),
            ("beta", "1"),
            ("plan", "none"),
        ] {
            queries.push(UserQuery::Property {
                key: key.into(),
                value: value.into(),
            });
        }
        queries.push(UserQuery::Recent);
        for query in queries {
            for limit in [1, 3, 100] {
                let want = s.find_users(p, query.clone(), limit).await.unwrap();
                let got = e.find_users(p, query.clone(), limit).await.unwrap();
                assert_eq!(got, want, "{when}: {query:?} limit {limit}");
                compared += 1;
            }
        }
        compared + self.compare_charts(when).await + self.compare_searches(when).await
    }

    async fn compare_charts(&self, when: &str) -> usize {
        let (p, s, e) = (self.project, &self.sqlite, &self.events);
        let cx = ChartContext {
            timezone: chrono_tz::Tz::UTC,
            now_ms: T0 + 7 * 24 * 60 * MINUTE,
        };
        let mut compared = 0;
        for spec in charts::charts() {
            let parsed: ChartSpec = serde_json::from_value(spec.clone()).expect("a chart spec");
            let chart = parse_chart(&parsed, &cx).unwrap();
            let want = serde_json::to_value(s.chart(p, chart.clone()).await.unwrap()).unwrap();
            let got = serde_json::to_value(e.chart(p, chart.clone()).await.unwrap()).unwrap();
            assert_eq!(got, want, "{when}: chart {spec}");
            compared += 1;
            // The Microscope's first page behind the first points of each answer.
            for point in charts::points(&spec, &want).into_iter().take(3) {
                let point_spec: DataPointSpec = serde_json::from_value(point.clone()).unwrap();
                let point_parsed = parse_point(&chart, &point_spec).unwrap();
                let page = parse_session_page(&MicroscopeRequest {
                    chart: parsed.clone(),
                    point: point_spec,
                    with_replays: false,
                    limit: Some(3),
                    cursor: None,
                })
                .unwrap();
                let ask = async |with_events: bool| {
                    let answer = if with_events {
                        e.chart_sessions(p, chart.clone(), point_parsed.clone(), page.clone())
                            .await
                    } else {
                        s.chart_sessions(p, chart.clone(), point_parsed.clone(), page.clone())
                            .await
                    };
                    charts::comparable(serde_json::to_value(answer.unwrap()).unwrap()).0
                };
                assert_eq!(ask(true).await, ask(false).await, "{when}: {spec} {point}");
                compared += 1;
            }
        }
        compared
    }

    async fn compare_searches(&self, when: &str) -> usize {
        let (p, s, c) = (self.project, &self.sqlite, &self.search);
        let mut compared = 0;
        let cases = [
            json!({}),
            json!({"q": "order placed"}),
            json!({"filters": [{"field": "event", "name": "Buy"}]}),
            json!({"filters": [{"field": "event", "name": "View", "negate": true}]}),
            json!({"filters": [{"field": "user_id", "op": "exists"}]}),
            json!({"filters": [{"field": "user_property", "property": "plan", "op": "is",
                                "values": ["pro"]}]}),
            json!({"filters": [{"field": "user_property", "property": "city", "op": "exists"}]}),
        ];
        for case in &cases {
            let (mut a, mut b) = (search(case), search(case));
            for page in 0.. {
                let want = s.search(p, a.clone()).await.unwrap();
                let got = c.search(p, b.clone()).await.unwrap();
                let view = |page: &reel_engine::store::SearchPage| {
                    (
                        page.replays
                            .iter()
                            .map(|r| format!("{r:?}"))
                            .collect::<Vec<_>>(),
                        page.total,
                        page.next.as_ref().map(|c| (c.value, c.total)),
                    )
                };
                assert_eq!(view(&got), view(&want), "{when}: {case} page {page}");
                compared += 1;
                match (want.next, got.next) {
                    (Some(x), Some(y)) => (a.after, b.after) = (Some(x), Some(y)),
                    _ => break,
                }
            }
        }
        assert_eq!(
            c.event_names(p, 100).await.unwrap(),
            s.event_names(p, 100).await.unwrap(),
            "{when}: event names"
        );
        assert_eq!(
            c.user_property_keys(p, 100).await.unwrap(),
            s.user_property_keys(p, 100).await.unwrap(),
            "{when}: user property keys"
        );
        compared + 2
    }

    /// Deletes sessions from the three stores; the search store finds what the embedded one
    /// does (sessions, replays, events).
    async fn delete_sessions(&self, sessions: Vec<SessionRef>) {
        let want = self
            .sqlite
            .delete_sessions(sessions.clone(), T0)
            .await
            .unwrap();
        self.events.delete_sessions(&sessions).await.unwrap();
        let got = self.search.delete_sessions(&sessions).await.unwrap();
        assert_eq!(got, want, "sessions {sessions:?}");
    }

    /// Erases a subject as the erasure job does: its sessions, then the rest. The properties
    /// the two ClickHouse stores delete add up to the embedded store's.
    async fn erase(&self, subject: Subject) {
        let p = self.project;
        let sessions = self.sqlite.sessions_of(p, &subject, 1000).await.unwrap();
        self.delete_sessions(sessions).await;
        let want = self.sqlite.delete_subject_rest(p, &subject).await.unwrap();
        let charts = self.events.delete_subject_rest(p, &subject).await.unwrap();
        let search = self.search.delete_subject_rest(p, &subject).await.unwrap();
        assert_eq!(
            charts.user_properties + search.user_properties,
            want.user_properties,
            "{subject:?}: {want:?} {charts:?} {search:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn user_lookup_and_deletion_on_clickhouse_answer_as_the_embedded_store_does() {
    let server = ClickHouseServer::start().await;
    let dir = tempfile::tempdir().unwrap();
    let log = std::env::var_os("REEL_CLICKHOUSE_STATEMENTS")
        .map_or_else(|| dir.path().join("statements.jsonl"), Into::into);
    let url = server.url("reel_lookup");
    let events = ClickHouseEvents::open_logging(&url, Some(&log))
        .await
        .expect("ClickHouse opens");
    let search = ClickHouseSearch::open_logging(&url, Some(&log))
        .await
        .expect("ClickHouse opens")
        .with_search_batch(2)
        // Counts compared with the embedded store's: not cut short by a loaded machine.
        .with_count_budget(std::time::Duration::from_secs(60));
    let (sqlite, project) = embedded_with_project(dir.path()).await;
    let stores = Stores {
        sqlite,
        events,
        search,
        project: project.id,
    };
    let p = stores.project;
    let (recorded, list) = people();
    for r in &recorded {
        let imported = r.imported(p);
        stores
            .sqlite
            .import_sessions(vec![imported.clone()], T0)
            .await
            .unwrap();
        stores
            .search
            .import_sessions(std::slice::from_ref(&imported))
            .await
            .unwrap();
        stores
            .events
            .mark_replay(p, &r.device, r.start_ms)
            .await
            .unwrap();
    }
    let write = async |batch: &[reel_engine::store::AnalyticsEvent]| {
        stores
            .sqlite
            .add_events(p, batch.to_vec(), T0)
            .await
            .unwrap();
        stores.events.record(p, batch).await.unwrap();
        stores.search.add_events(p, batch).await.unwrap();
    };
    for batch in list.chunks(7) {
        write(batch).await;
    }
    let mut compared = stores.compare("written").await;

    let session = |device: &str, id: i64| SessionRef {
        project_id: p,
        device_id: device.into(),
        session_id: id,
    };
    // Person 0's recorded session, where they signed in.
    stores
        .delete_sessions(vec![session("d00", T0 + 10 * MINUTE)])
        .await;
    compared += stores.compare("a session deleted").await;
    // Person 6: their anonymous session before signing in is not one of their sessions, but
    // its events were counted as theirs.
    stores.erase(Subject::UserId("u06".into())).await;
    compared += stores.compare("a user erased").await;
    stores.erase(Subject::UserId(HOSTILE_USER.into())).await;
    compared += stores.compare("a user with a hostile id erased").await;
    stores.erase(Subject::DeviceId("d04b".into())).await;
    compared += stores.compare("a named user's device erased").await;
    stores.erase(Subject::DeviceId("d05".into())).await;
    compared += stores.compare("an anonymous device erased").await;

    // Retention at 06:00 of the first day, as the retention job runs it.
    let cutoff = T0 + 6 * 60 * MINUTE;
    let expired = stores
        .sqlite
        .expired_sessions(p, cutoff, 10_000)
        .await
        .unwrap();
    assert!(expired.len() > 3, "{expired:?}");
    stores.delete_sessions(expired).await;
    let want = stores
        .sqlite
        .delete_expired_rest(p, cutoff, 10_000)
        .await
        .unwrap();
    let charts = stores
        .events
        .delete_expired_rest(p, cutoff, 10_000)
        .await
        .unwrap();
    let searched = stores
        .search
        .delete_expired_rest(p, cutoff, 10_000)
        .await
        .unwrap();
    assert_eq!(
        charts.user_properties + searched.user_properties,
        want.user_properties,
        "retention: {want:?} {charts:?} {searched:?}"
    );
    assert!(want != Erased::default());
    compared += stores.compare("retention").await;

    // The erased user and device come back: they start afresh in both.
    write(&afterwards()).await;
    compared += stores.compare("the erased seen again").await;
    eprintln!("{compared} answers alike before and after deletions");
}
