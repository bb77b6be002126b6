//! Signals throughput: what the processing stage does to every recorded event — parse, DOM
//! mirror, facts, frustration signals, derived events, on-screen text — in MB/s of rrweb JSON on
//! one core, beside `serde_json::from_slice::<serde_json::Value>` of the same bytes, measured in
//! the same run, on the recorded workload (`testdata/workload`).
//!
//! ```sh
//! cargo run --release -p reel-bench --bin signals -- [--rounds 3]
//! ```
//!
//! Goal: at least 0.5× the baseline, so signals keep up with ingestion on the same machine.

use std::time::{Duration, Instant};

use reel_bench::*;
use reel_rrweb::signals::{Analyzer, Settings};

fn main() -> anyhow::Result<()> {
    let rounds: usize = arg("--rounds", 3);
    let workload = load_workload()?;
    let bytes: usize = workload.iter().map(Session::raw_bytes).sum();
    println!(
        "workload: {} sessions, {:.1} MB of rrweb JSON (testdata/workload); best of {rounds} rounds, one thread",
        workload.len(),
        bytes as f64 / 1e6
    );
    let mut best_signals = Duration::MAX;
    let mut best_value = Duration::MAX;
    let mut outputs = 0usize;
    for _ in 0..rounds {
        let started = Instant::now();
        let mut n = 0;
        for session in &workload {
            let mut analyzer = Analyzer::new(Settings::default());
            for (i, event) in session.events.iter().enumerate() {
                analyzer.push_json(event);
                // Drained as the processing stage does: every 256 events.
                if i % 256 == 255 {
                    n += analyzer.drain().len();
                }
            }
            analyzer.finish();
            n += analyzer.drain().len();
        }
        best_signals = best_signals.min(started.elapsed());
        outputs = n;

        let started = Instant::now();
        for session in &workload {
            for event in &session.events {
                let value: serde_json::Value = serde_json::from_slice(event.as_bytes())?;
                std::hint::black_box(value);
            }
        }
        best_value = best_value.min(started.elapsed());
    }
    let rate = |d: Duration| bytes as f64 / 1e6 / d.as_secs_f64();
    println!(
        "signals (parse + mirror + signals + text): {:.0} MB/s ({outputs} outputs)",
        rate(best_signals)
    );
    println!(
        "baseline serde_json::Value:                {:.0} MB/s",
        rate(best_value)
    );
    println!("ratio: {:.2}", rate(best_signals) / rate(best_value));
    Ok(())
}
