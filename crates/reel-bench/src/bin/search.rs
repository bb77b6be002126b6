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
//! ```
//!
//! With `--data-dir`, an existing generated directory is reused when it holds the asked number
//! of sessions (generation takes a while); otherwise it is generated there (or in a temporary
//! directory, removed afterwards).
//!
//! Searches go through `MetaStore::search` (what `POST /api/v1/replays/search` runs, without
//! the HTTP hop and JSON of the answer). The baselines answer the same question with one pass
//! over the tables and no index of ours (`NOT INDEXED`): the cost of search without the search
//! index.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use anyhow::{Context as _, bail};
use reel_bench::*;
use reel_query::wire::SearchRequest;
use reel_query::{ParseContext, parse};
use reel_store::{MetaStore, SqliteStore};
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
    let temp = tempfile::tempdir()?;
    let dir = if data_dir.is_empty() {
        temp.path().to_path_buf()
    } else {
        PathBuf::from(data_dir)
    };
    let db_path = dir.join("reel.db");
    let existing = count_sessions(&db_path).unwrap_or(0);
    if existing != sessions {
        if existing != 0 {
            bail!(
                "{} holds {existing} sessions, not {sessions}: choose another --data-dir",
                dir.display()
            );
        }
        let bin = reel_binary()?;
        println!(
            "generating {sessions} sessions, {events} events into {} …",
            dir.display()
        );
        let started = Instant::now();
        let status = std::process::Command::new(&bin)
            .args(["generate", "--sessions", &sessions.to_string()])
            .args(["--events", &events.to_string(), "--days", "90"])
            .arg("--data-dir")
            .arg(&dir)
            .status()
            .context("running reel generate")?;
        if !status.success() {
            bail!("reel generate failed: {status}");
        }
        println!(
            "generated in {:.0} s ({:.0} events/s)",
            started.elapsed().as_secs_f64(),
            events as f64 / started.elapsed().as_secs_f64()
        );
    } else {
        println!("reusing {} ({sessions} sessions)", dir.display());
    }

    let runtime = tokio::runtime::Runtime::new()?;
    let store = SqliteStore::open(&db_path)?;
    let raw = rusqlite::Connection::open(&db_path)?;
    let now_ms: i64 = raw.query_row("SELECT MAX(start_ms) FROM sessions", [], |r| r.get(0))?;

    // The three searches, each with parameters that vary from run to run.
    type Variant = Box<dyn Fn(usize) -> (serde_json::Value, Baseline)>;
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
                    Baseline::EventAndPlan {
                        start,
                        end,
                        event,
                        plan,
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
                    Baseline::Selector { start, end, needle },
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
                    Baseline::Text { start, end, phrase },
                )
            }),
        ),
    ];

    println!();
    println!(
        "{:<44} {:>9} {:>9} {:>11} {:>11} {:>9} {:>12}",
        "search (p50 / p95 ms)", "p50", "p95", "base p50", "base p95", "ratio", "with total"
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
            let n = baseline.run(&raw)?;
            base.push(started.elapsed().as_secs_f64() * 1000.0);
            assert!(n <= 100);
        }
        for v in [&mut times, &mut with_total, &mut base] {
            v.sort_by(f64::total_cmp);
        }
        println!(
            "{:<44} {:>9.1} {:>9.1} {:>11.0} {:>11.0} {:>8.0}x {:>12.1}",
            name,
            percentile(&times, 50.0),
            percentile(&times, 95.0),
            percentile(&base, 50.0),
            percentile(&base, 95.0),
            percentile(&base, 50.0) / percentile(&times, 50.0),
            percentile(&with_total, 95.0),
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
    let (db_bytes, raw_bytes, parts) = sizes(&raw, &db_path)?;
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

fn rfc(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(chrono::SecondsFormat::Millis, true)
}

fn count_sessions(db: &Path) -> Option<u64> {
    if !db.exists() {
        return None;
    }
    let c = rusqlite::Connection::open(db).ok()?;
    c.query_row(
        "SELECT COUNT(*) FROM sessions WHERE start_ms IS NOT NULL",
        [],
        |r| r.get::<_, i64>(0),
    )
    .ok()
    .map(|n| n as u64)
}

/// The same question as a search, answered by one pass over the tables without reel's search
/// index: what search would cost without it.
enum Baseline {
    /// Sessions with the event whose user was ever set to the plan.
    EventAndPlan {
        start: i64,
        end: i64,
        event: &'static str,
        plan: &'static str,
    },
    /// Sessions with a click whose recorded element path holds the selector's words.
    Selector {
        start: i64,
        end: i64,
        needle: &'static str,
    },
    /// Sessions whose text holds the phrase.
    Text {
        start: i64,
        end: i64,
        phrase: &'static str,
    },
}

impl Baseline {
    fn run(&self, c: &rusqlite::Connection) -> anyhow::Result<usize> {
        let page = "ORDER BY s.start_ms DESC LIMIT 100";
        let (sql, params): (String, Vec<rusqlite::types::Value>) = match self {
            Self::EventAndPlan {
                start,
                end,
                event,
                plan,
            } => (
                format!(
                    "WITH did AS (SELECT DISTINCT device_id, session_id FROM events NOT INDEXED
                                  WHERE project_id = 1 AND event_type = ?3),
                          users AS (SELECT DISTINCT user_id FROM events NOT INDEXED
                                  WHERE project_id = 1 AND user_id IS NOT NULL
                                    AND json_extract(user_properties, '$.\"$set\".plan') = ?4)
                     SELECT s.id FROM sessions s NOT INDEXED
                     JOIN did d ON d.device_id = s.device_id AND d.session_id = s.session_id
                     WHERE s.project_id = 1 AND s.start_ms >= ?1 AND s.start_ms < ?2
                       AND s.user_id IN (SELECT user_id FROM users) {page}"
                ),
                vec![
                    (*start).into(),
                    (*end).into(),
                    (*event).to_owned().into(),
                    (*plan).to_owned().into(),
                ],
            ),
            Self::Selector { start, end, needle } => (
                format!(
                    "WITH clicked AS (SELECT DISTINCT device_id, session_id FROM events NOT INDEXED
                                      WHERE project_id = 1 AND event_type = '[reel] Element Clicked'
                                        AND instr(event_properties, ?3) > 0)
                     SELECT s.id FROM sessions s NOT INDEXED
                     JOIN clicked k ON k.device_id = s.device_id AND k.session_id = s.session_id
                     WHERE s.project_id = 1 AND s.start_ms >= ?1 AND s.start_ms < ?2 {page}"
                ),
                vec![(*start).into(), (*end).into(), (*needle).to_owned().into()],
            ),
            Self::Text { start, end, phrase } => (
                format!(
                    "WITH shown AS (SELECT DISTINCT session_row FROM session_text NOT INDEXED
                                    WHERE text LIKE '%' || ?3 || '%')
                     SELECT s.id FROM sessions s NOT INDEXED JOIN shown t ON t.session_row = s.id
                     WHERE s.project_id = 1 AND s.start_ms >= ?1 AND s.start_ms < ?2 {page}"
                ),
                vec![(*start).into(), (*end).into(), (*phrase).to_owned().into()],
            ),
        };
        let mut stmt = c.prepare(&sql)?;
        let rows = stmt
            .query_map(rusqlite::params_from_iter(params), |r| r.get::<_, i64>(0))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows.len())
    }
}

/// (database bytes, raw bytes, (events, facts, text)).
fn sizes(c: &rusqlite::Connection, db: &Path) -> anyhow::Result<(u64, u64, (u64, u64, u64))> {
    let file = std::fs::metadata(db)?.len();
    let wal = std::fs::metadata(db.with_extension("db-wal"))
        .map(|m| m.len())
        .unwrap_or(0);
    // Events as JSON: SDK events as sent (`raw`); derived events as reel writes them (their
    // columns: name, time, device, session, user, properties, readable name, in JSON).
    let events: i64 = c.query_row(
        "SELECT SUM(CASE WHEN derived = 0 THEN length(raw) ELSE
             length(json_object('event_type', event_type, 'time', time_ms, 'device_id', device_id,
                 'session_id', session_id, 'user_id', user_id,
                 'event_properties', json(event_properties), 'display_name', display_name)) END)
         FROM events",
        [],
        |r| r.get(0),
    )?;
    // Facts: each session as the API lists it (the columns a replay's JSON carries).
    let facts: i64 = c.query_row(
        "SELECT SUM(length(json_object('id', replay_key, 'device_id', device_id,
             'session_id', session_id, 'user_id', user_id, 'start_ms', start_ms, 'end_ms', end_ms,
             'first_url', first_url, 'urls', json(urls), 'country', country, 'browser', browser,
             'os', os, 'device', device, 'viewport_width', viewport_width,
             'viewport_height', viewport_height, 'active_ms', active_ms,
             'click_count', click_count, 'keypress_count', keypress_count,
             'mouse_activity_count', mouse_activity_count, 'page_view_count', page_view_count,
             'console_log_count', console_log_count, 'console_warn_count', console_warn_count,
             'console_error_count', console_error_count, 'network_error_count', network_error_count,
             'runtime_error_count', runtime_error_count, 'rage_click_count', rage_click_count,
             'dead_click_count', dead_click_count, 'error_click_count', error_click_count)))
         FROM sessions",
        [],
        |r| r.get(0),
    )?;
    let text: i64 = c.query_row(
        "SELECT COALESCE(SUM(length(text)), 0) FROM session_text",
        [],
        |r| r.get(0),
    )?;
    let raw = (events + facts + text) as u64;
    Ok((file + wal, raw, (events as u64, facts as u64, text as u64)))
}
