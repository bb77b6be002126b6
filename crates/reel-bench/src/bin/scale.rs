//! Charts on ClickHouse beside the embedded store, in the same run: the same synthetic events
//! written into both (USERS users with 10 events each over 30 days, 5 event names, an event
//! property with 5 values and a number, a user property; a third of users anonymous for their
//! first events and then merged), then each chart asked ITERATIONS times of each store, the
//! answers compared whole (a difference stops the run), and p50 / p95 printed side by side.
//! ClickHouse is Debian's clickhouse-server (18.16), started on a free port in a temporary
//! folder (`clickhouse_server.rs`, the scale suite's).
//!
//! ```sh
//! cargo run --release -p reel-bench --bin scale -- [--users 100000] [--iterations 10] [--chart-seconds 120]
//! cargo run --release -p reel-bench --bin scale -- --users 2000000 --iterations 5   # 20M events
//! ```
//!
//! What it shows today: ClickHouse filters a chart's rows and Rust counts them with the
//! embedded store's code, so every row crosses HTTP as text; counting inside ClickHouse is the
//! way to the speed a column store allows.

use std::time::Instant;

use anyhow::{Context as _, bail};
use reel_bench::clickhouse_server::ClickHouseServer;
use reel_bench::{arg, percentile};
use reel_query::chart::wire::ChartSpec;
use reel_query::chart::{ChartContext, parse_chart};
use reel_store::clickhouse::ClickHouseEvents;
use reel_store::prelude::*;
use reel_store::{AnalyticsEvent, NewInstallation, SqliteStore};
use serde_json::json;

const T0: i64 = 1_767_571_200_000;
const DAY: i64 = 86_400_000;

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() -> anyhow::Result<()> {
    let users: i64 = arg("--users", 100_000);
    let iterations: usize = arg("--iterations", 10);
    // A chart stops being asked again once it has taken this long on both stores together
    // (at least once each), so one slow chart at 20,000,000 events cannot hold the run.
    let chart_seconds: f64 = arg("--chart-seconds", 120.0);
    let server = ClickHouseServer::start().await;
    let ch = ClickHouseEvents::open(&server.url("reel_bench"))
        .await
        .context("ClickHouse")?;
    let dir = tempfile::tempdir()?;
    let sqlite = SqliteStore::open(&dir.path().join("reel.db"))?;
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
        .await?
        .context("a new store")?;
    let names = ["View", "Search", "Add to cart", "Checkout", "Purchase"];
    let cats = ["tents", "boots", "lanterns", "stoves", "maps"];
    let mut rng: u64 = 42;
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    // Made and written a thousand users at a time, so 2,000,000 users (20,000,000 events)
    // need no more memory than 100.
    let mut n = 0;
    let (mut sqlite_s, mut ch_s) = (0.0, 0.0);
    let mut written = 0usize;
    for first in (0..users).step_by(1_000) {
        let mut events = Vec::with_capacity(10_000);
        for u in first..(first + 1_000).min(users) {
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
                    event_properties: json!({"category": cats[(next() % 5) as usize], "price": (next() % 300) as i64})
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
        // Both stores are written at once, each timed on its own (they share the machine's
        // two cores, so neither figure is what that store does alone).
        let (a, b) = tokio::join!(
            async {
                let t = Instant::now();
                for b in events.chunks(1_000) {
                    sqlite.add_events(p.id, b.to_vec(), T0).await?;
                }
                anyhow::Ok(t.elapsed().as_secs_f64())
            },
            async {
                let t = Instant::now();
                for b in events.chunks(1_000) {
                    ch.record(p.id, b).await?;
                }
                anyhow::Ok(t.elapsed().as_secs_f64())
            }
        );
        sqlite_s += a?;
        ch_s += b?;
        written += events.len();
        if first % 100_000 == 0 && first > 0 {
            eprintln!("{written} events written");
        }
    }
    println!(
        "{written} events of {users} users written in batches of 1,000: SQLite {:.0} events/s, \
         ClickHouse {:.0} events/s",
        written as f64 / sqlite_s,
        written as f64 / ch_s
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
    println!(
        "{:<30} {:>4} {:>10} {:>10} {:>10} {:>10} {:>8}",
        "chart (ms)", "n", "SQLite p50", "p95", "CH p50", "p95", "CH/SQL"
    );
    for (label, mut spec) in specs {
        if let Some(fields) = spec.as_object_mut() {
            fields.extend(
                range
                    .as_object()
                    .into_iter()
                    .flatten()
                    .map(|(k, v)| (k.clone(), v.clone())),
            );
        }
        let parsed: ChartSpec = serde_json::from_value(spec)?;
        let chart = parse_chart(&parsed, &cx).map_err(|e| anyhow::anyhow!("{label}: {e:?}"))?;
        let (mut a_ms, mut b_ms) = (Vec::new(), Vec::new());
        let started = Instant::now();
        for _ in 0..iterations {
            if !a_ms.is_empty() && started.elapsed().as_secs_f64() > chart_seconds {
                break;
            }
            // A chart past a store's time limit (20 s) is what a user would be told: it is
            // printed, and the run goes on with the next chart.
            let t = Instant::now();
            let a = sqlite.chart(p.id, chart.clone()).await;
            let a_took = t.elapsed().as_secs_f64() * 1e3;
            let t = Instant::now();
            let b = ch.chart(p.id, chart.clone()).await;
            let b_took = t.elapsed().as_secs_f64() * 1e3;
            match (a, b) {
                (Ok(a), Ok(b)) => {
                    a_ms.push(a_took);
                    b_ms.push(b_took);
                    if serde_json::to_value(a)? != serde_json::to_value(b)? {
                        bail!("{label}: the stores answered differently");
                    }
                }
                (a, b) => {
                    let said = |r: &Result<_, reel_store::StoreError>, took: f64| match r {
                        Ok(_) => format!("answered in {took:.0} ms"),
                        Err(e) => format!("{e} (after {took:.0} ms)"),
                    };
                    println!(
                        "{label:<30} SQLite {}; ClickHouse {}",
                        said(&a.map(|_| ()), a_took),
                        said(&b.map(|_| ()), b_took)
                    );
                    break;
                }
            }
        }
        if a_ms.is_empty() {
            continue;
        }
        a_ms.sort_by(f64::total_cmp);
        b_ms.sort_by(f64::total_cmp);
        let (a50, a95, b50, b95) = (
            percentile(&a_ms, 50.0),
            percentile(&a_ms, 95.0),
            percentile(&b_ms, 50.0),
            percentile(&b_ms, 95.0),
        );
        println!(
            "{label:<30} {:>4} {a50:>10.1} {a95:>10.1} {b50:>10.1} {b95:>10.1} {:>7.1}x",
            a_ms.len(),
            b50 / a50
        );
    }
    Ok(())
}
