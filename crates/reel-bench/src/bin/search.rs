//! Search on a large project, in the embedded store: 1,000,000 sessions and 20,000,000 events
//! made by `reel generate`, then three searches the issue names — a 30-day search with a
//! performed-event filter and a user-property filter, a search by clicked-element selector, a
//! full-text search — each run many times with varied parameters (event, plan, selector,
//! phrase, which 30 days), p50 and p95, beside the same questions answered by full scans of the
//! tables in the same run. Then the database's size against the raw facts, events and text it
//! holds.
//!
//! ```sh
//! make build
//! cargo run --release -p reel-bench --bin search -- [--sessions 1000000] [--events 20000000]
//!     [--iterations 40] [--baseline-iterations 3] [--data-dir DIR] [--only NAME] [--verbose 1]
//!     [--clickhouse 1]
//! ```
//!
//! With `--data-dir`, an existing generated directory is reused when it holds the asked number
//! of sessions (generation takes a while); otherwise it is generated there (or in a temporary
//! directory, removed afterwards).
//!
//! With `--clickhouse 1`, Debian's clickhouse-server (18.16) is started on a free port and the
//! data dir is handed on to it the way a node with `events_url` does (`Engine::feed_once`, every
//! event, replay and piece of text); then every search is also asked of ClickHouse
//! (`Engine::search`: ClickHouse's answer shown as the store has the replays), its p50 / p95
//! printed beside the embedded store's, and the two answers compared (a difference stops the
//! run). The feed adds to the data dir's queue: use a temporary or throwaway `--data-dir`.
//!
//! Searches go through `MetaStore::search` (what `POST /api/v1/replays/search` runs, without
//! the HTTP hop and JSON of the answer). The baselines answer the same question with one pass
//! over the tables and no index of ours (`NOT INDEXED`): the cost of search without the search
//! index.

use std::collections::HashMap;
use std::path::Path;
use std::time::Instant;

use std::sync::Arc;

use reel_bench::*;
use reel_engine::{Engine, Settings, SystemClock};
use reel_query::wire::SearchRequest;
use reel_query::{ParseContext, parse};
use reel_store::Blobs;
use reel_store::SqliteStore;
use reel_store::prelude::*;
use reel_store::sqlite::inspect::{Inspector, Rows, ScanQuestion};
use serde_json::json;

const DAY_MS: i64 = 86_400_000;

fn main() -> anyhow::Result<()> {
    let sessions: u64 = arg("--sessions", 1_000_000);
    let events: u64 = arg("--events", 20_000_000);
    let iterations: usize = arg("--iterations", 40);
    let baseline_iterations: usize = arg("--baseline-iterations", 3);
    let data_dir: String = arg("--data-dir", String::new());
    // Only the searches whose name contains this; `--verbose 1` prints every run.
    let only: String = arg("--only", String::new());
    let verbose: u8 = arg("--verbose", 0);
    let with_clickhouse: u8 = arg("--clickhouse", 0);
    let temp = tempfile::tempdir()?;
    let dir = generated_data_dir(&data_dir, temp.path(), sessions, events, count_sessions)?;
    let db_path = dir.join("reel.db");

    let runtime = tokio::runtime::Runtime::new()?;
    let store = SqliteStore::open(&db_path)?;
    let raw = Inspector::open(&db_path)?;
    let now_ms: i64 = raw.latest_start_ms()?.unwrap_or(0);
    let clickhouse = match with_clickhouse {
        0 => None,
        _ => Some(runtime.block_on(fed_clickhouse(&dir))?),
    };

    // The three searches, each with parameters that vary from run to run.
    type Variant = Box<dyn Fn(usize) -> (serde_json::Value, ScanQuestion)>;
    let window = move |i: usize| {
        let end = now_ms - (i % 6) as i64 * 10 * DAY_MS;
        (end - 30 * DAY_MS, end)
    };
    let searches: Vec<(&str, Variant)> = vec![
        (
            "30 days, performed event + user property",
            Box::new(move |i| {
                let (start, end) = window(i);
                let event = ["Purchase", "Add to cart", "Checkout Started"][i % 3];
                let plan = ["pro", "enterprise", "free"][i / 3 % 3];
                (
                    json!({"start": rfc(start), "end": rfc(end), "count": false, "filters": [
                        {"field": "event", "name": event},
                        {"field": "user_property", "property": "plan", "op": "is", "values": [plan]}
                    ]}),
                    ScanQuestion::EventAndPlan {
                        project_id: 1,
                        start_ms: start,
                        end_ms: end,
                        event: event.into(),
                        plan: plan.into(),
                    },
                )
            }),
        ),
        (
            "clicked-element selector",
            Box::new(move |i| {
                let (start, end) = window(i);
                let selector = [
                    "button.pay",
                    "div#cart > a.checkout",
                    "div.promo-banner",
                    "form.buy button.add-to-cart",
                ][i % 4];
                let needle = [
                    "btn-primary.pay",
                    "a.btn.checkout",
                    "div.promo-banner",
                    "button.btn.add-to-cart",
                ][i % 4];
                (
                    json!({"start": rfc(start), "end": rfc(end), "count": false, "filters": [
                        {"field": "clicked_element", "selector": selector}
                    ]}),
                    ScanQuestion::ClickedElementWord {
                        project_id: 1,
                        start_ms: start,
                        end_ms: end,
                        word: needle.into(),
                    },
                )
            }),
        ),
        (
            "full text",
            Box::new(move |i| {
                let (start, end) = window(i);
                let phrase = [
                    "Payment failed",
                    "Promo code service",
                    "Thank you for your order",
                    "analytics is not defined",
                ][i % 4];
                (
                    json!({"start": rfc(start), "end": rfc(end), "count": false, "q": phrase}),
                    ScanQuestion::Text {
                        project_id: 1,
                        start_ms: start,
                        end_ms: end,
                        phrase: phrase.into(),
                    },
                )
            }),
        ),
    ];

    println!();
    println!(
        "{:<44} {:>9} {:>9} {:>11} {:>11} {:>9} {:>12} {:>9} {:>9}",
        "search (p50 / p95 ms)",
        "p50",
        "p95",
        "base p50",
        "base p95",
        "ratio",
        "with total",
        "CH p50",
        "CH p95"
    );
    let cohorts = HashMap::new();
    let cx = ParseContext {
        timezone: chrono_tz::Tz::UTC,
        now_ms,
        cohorts: &cohorts,
    };
    for (name, variant) in searches.iter().filter(|(n, _)| n.contains(only.as_str())) {
        let mut times = Vec::new();
        let mut with_total = Vec::new();
        let mut found = 0usize;
        let mut on_clickhouse = Vec::new();
        for i in 0..iterations {
            let (body, _) = variant(i);
            let request: SearchRequest = serde_json::from_value(body)?;
            let search = parse(&request, &cx).map_err(|e| anyhow::anyhow!("{e}"))?;
            let started = Instant::now();
            let page = runtime.block_on(store.search(1, search.clone()))?;
            times.push(started.elapsed().as_secs_f64() * 1000.0);
            found += page.replays.len();
            if verbose > 0 {
                println!(
                    "  {:>8.1} ms {:>3} found  {}",
                    times.last().unwrap(),
                    page.replays.len(),
                    serde_json::to_string(&request)?
                );
            }
            if let Some((_, engine)) = &clickhouse {
                let started = Instant::now();
                let there = runtime.block_on(engine.search(1, search.clone()))?;
                on_clickhouse.push(started.elapsed().as_secs_f64() * 1000.0);
                let ids = |p: &reel_store::SearchPage| -> Vec<String> {
                    p.replays.iter().map(|r| r.id.to_string()).collect()
                };
                anyhow::ensure!(
                    ids(&there) == ids(&page),
                    "{name}: ClickHouse answered differently from the embedded store for {}",
                    serde_json::to_string(&request)?
                );
            }
            let mut counted = search;
            counted.count_total = true;
            let started = Instant::now();
            runtime.block_on(store.search(1, counted))?;
            with_total.push(started.elapsed().as_secs_f64() * 1000.0);
        }
        let mut base = Vec::new();
        for i in 0..baseline_iterations {
            let (_, baseline) = variant(i);
            let started = Instant::now();
            let n = raw.scan(&baseline)?;
            base.push(started.elapsed().as_secs_f64() * 1000.0);
            assert!(n <= 100);
        }
        for v in [&mut times, &mut with_total, &mut base, &mut on_clickhouse] {
            v.sort_by(f64::total_cmp);
        }
        println!(
            "{:<44} {:>9.1} {:>9.1} {:>11.0} {:>11.0} {:>8.0}x {:>12.1} {:>9.1} {:>9.1}",
            name,
            percentile(&times, 50.0),
            percentile(&times, 95.0),
            percentile(&base, 50.0),
            percentile(&base, 95.0),
            percentile(&base, 50.0) / percentile(&times, 50.0),
            percentile(&with_total, 95.0),
            percentile(&on_clickhouse, 50.0),
            percentile(&on_clickhouse, 95.0),
        );
        println!(
            "{:<44} {} runs, {:.0} replays a page on average; baseline {} runs; \"with total\": p95 with the match count",
            "",
            iterations,
            found as f64 / iterations as f64,
            baseline_iterations
        );
    }

    // Size: the database against the raw facts, events and text it holds.
    let db_bytes = std::fs::metadata(&db_path)?.len()
        + std::fs::metadata(db_path.with_extension("db-wal"))
            .map(|m| m.len())
            .unwrap_or(0);
    let parts = raw.raw_data_bytes()?;
    let raw_bytes = parts.0 + parts.1 + parts.2;
    println!();
    println!(
        "database {:.0} MiB (file and write-ahead log)",
        mib(db_bytes)
    );
    println!(
        "raw      {:.0} MiB: events as JSON {:.0} MiB (as sent; derived ones as reel writes them), session facts as JSON {:.0} MiB, text {:.0} MiB",
        mib(raw_bytes),
        mib(parts.0),
        mib(parts.1),
        mib(parts.2)
    );
    println!(
        "ratio    {:.2}x (goal: under 2x)",
        db_bytes as f64 / raw_bytes as f64
    );
    Ok(())
}

/// Starts ClickHouse and hands the data dir on to it as a node with `events_url` does; the
/// server (stopped when dropped) and an engine whose searches ClickHouse answers.
async fn fed_clickhouse(
    dir: &Path,
) -> anyhow::Result<(reel_bench::clickhouse_server::ClickHouseServer, Engine)> {
    let server = reel_bench::clickhouse_server::ClickHouseServer::start().await;
    let engine = Engine::open(
        dir,
        None,
        Some(&server.url("reel_search_bench")),
        Blobs::local(&dir.join("objects"))?,
        Arc::new(SystemClock),
        Settings::default(),
    )
    .await?;
    let started = Instant::now();
    let mut position = engine.store().start_feed().await?;
    let mut batches = 0u64;
    while let Some(next) = engine.feed_once(position).await? {
        position = next;
        batches += 1;
        if batches % 200 == 0 {
            eprintln!("handed on to ClickHouse up to position {position}");
        }
    }
    println!(
        "handed on to ClickHouse (positions up to {position}) in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    Ok((server, engine))
}

fn rfc(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn count_sessions(db: &Path) -> Option<u64> {
    if !db.exists() {
        return None;
    }
    let n = Inspector::open(db).ok()?.count(Rows::Replays).ok()?;
    Some(n as u64)
}
