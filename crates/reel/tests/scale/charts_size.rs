//! The same charts on both stores at size (50,000 users, 500,000 events over 30 days by
//! default; `PROBE_USERS` changes it), answers compared and times printed: a measurement run by
//! hand, ignored otherwise (`cargo test --release -p reel --test scale charts_at_size --
//! --ignored --nocapture`). On 2026-12-07 (2 cores shared with another build, ClickHouse 18.16):
//! every chart 2 to 5 times slower on ClickHouse than on SQLite — every row a chart reads
//! crosses HTTP as text to be counted in Rust; counting in ClickHouse is the way on.

use std::time::Instant;

use reel_engine::store::clickhouse::ClickHouseEvents;
use reel_engine::store::prelude::*;
use reel_engine::store::{AnalyticsEvent, NewInstallation, SqliteStore};
use reel_query::chart::wire::ChartSpec;
use reel_query::chart::{ChartContext, parse_chart};
use serde_json::json;

use crate::clickhouse_server::ClickHouseServer;

const T0: i64 = 1_767_571_200_000;
const DAY: i64 = 86_400_000;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore]
async fn charts_at_size() {
    let users: i64 = std::env::var("PROBE_USERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50_000);
    let server = ClickHouseServer::start().await;
    let ch = ClickHouseEvents::open(&server.url("reel_size"))
        .await
        .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let sqlite = SqliteStore::open(&dir.path().join("reel.db")).unwrap();
    let (p, _) = sqlite
        .create_installation(
            NewInstallation {
                organization_name: "o".into(),
                project_name: "p".into(),
                api_key: "k".into(),
                admin_email: "a@b.test".into(),
                admin_password_hash: "x".into(),
            },
            T0,
        )
        .await
        .unwrap();
    let names = ["View", "Search", "Add to cart", "Checkout", "Purchase"];
    let cats = ["tents", "boots", "lanterns", "stoves", "maps"];
    let mut rng: u64 = 42;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let mut events = Vec::new();
    let mut n = 0;
    for u in 0..users {
        let day = (next() % 30) as i64;
        let start = T0 + day * DAY + (next() % DAY as u64) as i64;
        for k in 0..10 {
            let name = names[(next() % 5) as usize];
            n += 1;
            events.push(AnalyticsEvent {
                insert_id: Some(format!("e{n}")),
                event_type: name.into(),
                time_ms: start + k * 30_000,
                device_id: Some(format!("d{u}")),
                user_id: (u % 3 != 0 || k > 3).then(|| format!("u{u}")),
                session_id: Some(start),
                event_properties:
                    json!({"category": cats[(next() % 5) as usize], "price": (next() % 300) as i64})
                        .to_string(),
                user_properties: if k == 0 {
                    json!({"plan": if u % 2 == 0 { "free" } else { "pro" }}).to_string()
                } else {
                    "{}".into()
                },
                raw: "{}".into(),
                display_name: None,
                derived: false,
            });
        }
    }
    let t = Instant::now();
    for b in events.chunks(1_000) {
        sqlite.add_events(p.id, b.to_vec(), T0).await.unwrap();
    }
    let sqlite_ms = t.elapsed().as_millis();
    let t = Instant::now();
    for b in events.chunks(1_000) {
        ch.record(p.id, b).await.unwrap();
    }
    let ch_ms = t.elapsed().as_millis();
    eprintln!(
        "{} events written: SQLite {sqlite_ms} ms, ClickHouse {ch_ms} ms",
        events.len()
    );
    let cx = ChartContext {
        timezone: chrono_tz::Tz::UTC,
        now_ms: T0 + 40 * DAY,
    };
    let range = json!({"start": "2026-01-05", "end": "2026-02-03"});
    let specs = [
        (
            "segmentation uniques by day",
            json!({"kind": "segmentation", "events": [{"event_type": "View"}]}),
        ),
        (
            "segmentation by category",
            json!({"kind": "segmentation", "events": [{"event_type": "View"}], "group_by": {"property": "category", "scope": "event"}}),
        ),
        (
            "segmentation filtered",
            json!({"kind": "segmentation", "events": [{"event_type": "View", "filters": [{"property": "category", "op": "is", "values": ["tents"]}]}]}),
        ),
        (
            "active %",
            json!({"kind": "segmentation", "events": [{"event_type": "View"}], "measure": "active_pct"}),
        ),
        (
            "3-step funnel",
            json!({"kind": "funnel", "steps": [{"event_type": "View"}, {"event_type": "Add to cart"}, {"event_type": "Checkout"}]}),
        ),
        ("user sessions", json!({"kind": "sessions"})),
        (
            "pathfinder 5 steps",
            json!({"kind": "journeys", "start_event": {"event_type": "View"}, "steps": 5}),
        ),
        (
            "user filter plan=pro",
            json!({"kind": "segmentation", "events": [{"event_type": "View"}], "user_filters": [{"property": "plan", "op": "is", "values": ["pro"]}]}),
        ),
    ];
    for (label, mut spec) in specs {
        spec.as_object_mut()
            .unwrap()
            .extend(range.as_object().unwrap().clone());
        let parsed: ChartSpec = serde_json::from_value(spec).unwrap();
        let chart = parse_chart(&parsed, &cx).unwrap();
        let mut times = (Vec::new(), Vec::new());
        for _ in 0..3 {
            let t = Instant::now();
            let a = serde_json::to_value(sqlite.chart(p.id, chart.clone()).await.unwrap()).unwrap();
            times.0.push(t.elapsed().as_millis());
            let t = Instant::now();
            let b = serde_json::to_value(ch.chart(p.id, chart.clone()).await.unwrap()).unwrap();
            times.1.push(t.elapsed().as_millis());
            assert_eq!(a, b, "{label}");
        }
        eprintln!(
            "{label}: SQLite {:?} ms, ClickHouse {:?} ms",
            times.0, times.1
        );
    }
}
