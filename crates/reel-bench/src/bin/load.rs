//! Load: N concurrent clients replay the recorded workload's uploads against the release
//! binary while the replay list is polled, and the same bodies are only inflated and parsed in
//! this process as the baseline (what any server must do with them, without storage).
//!
//! ```sh
//! make build && cargo run --release -p reel-bench --bin load -- [--seconds 20] [--clients 8,32] \
//!     [--compare /path/to/an/older/reel]
//! ```
//!
//! Prints uploads/s, MB/s (gzip as sent, and inflated), latency p50/p99, errors, peak RSS and
//! the server's CPU time per upload per N, and two ratios to the baseline: of throughput, and
//! of CPU time per upload (the baseline's over reel's) — the second holds on a shared, noisy
//! machine, where throughput follows whatever else runs. With `--compare`, an older binary
//! runs each N right before this one, on the same machine in the same run.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use reel_bench::*;
use reel_rrweb::inflate::Unmetered;
use reel_rrweb::upload::{Limits, decode_track_body};

/// One prepared upload: its gzip body and the size it inflates to.
struct Upload {
    gz: Vec<u8>,
    inflated: usize,
}

/// A session's uploads in order, with the session id its events fit.
struct Script {
    session_id: i64,
    uploads: Vec<Upload>,
}

fn main() -> anyhow::Result<()> {
    let seconds: u64 = arg("--seconds", 20);
    let clients: String = arg("--clients", "8,32".to_owned());
    let clients: Vec<usize> = clients.split(',').filter_map(|n| n.parse().ok()).collect();
    let bin = reel_binary()?;
    let compare: Option<std::path::PathBuf> = arg::<String>("--compare", String::new())
        .parse()
        .ok()
        .filter(|p: &std::path::PathBuf| !p.as_os_str().is_empty());
    let workload = load_workload()?;
    let scripts: Vec<Script> = workload
        .iter()
        .map(|s| Script {
            session_id: s.start_ms(),
            uploads: uploads(s, 5_000, 1_000_000)
                .iter()
                .map(|events| {
                    let body = track_body(events);
                    Upload {
                        inflated: body.len(),
                        gz: gzip(&body),
                    }
                })
                .collect(),
        })
        .collect();
    let total_uploads: usize = scripts.iter().map(|s| s.uploads.len()).sum();
    let raw: usize = workload.iter().map(Session::raw_bytes).sum();
    println!(
        "workload: {} recorded sessions (testdata/workload), {:.1} MB of rrweb JSON, cut into {} uploads \
         (flush every 5 s of recorded time or at 1 MB, Meta kept with its snapshot), gzip level 6",
        workload.len(),
        raw as f64 / 1e6,
        total_uploads
    );
    let scripts = Arc::new(scripts);

    let (base_rate, base_mb, base_cpu_ms) =
        baseline(&scripts, Duration::from_secs(seconds.min(10)));
    println!(
        "baseline (inflate + parse only, 2 threads, no storage): {base_rate:.0} uploads/s, {base_mb:.1} MB/s inflated, {base_cpu_ms:.2} CPU ms an upload"
    );
    println!();
    println!(
        "{:>8}  {:>3}  {:>10}  {:>9}  {:>9}  {:>8}  {:>8}  {:>6}  {:>9}  {:>9}  {:>8}  {:>7}  {:>8}",
        "binary",
        "N",
        "uploads/s",
        "gzip MB/s",
        "infl MB/s",
        "p50 ms",
        "p99 ms",
        "errors",
        "list p99",
        "peak RSS",
        "vs base",
        "CPU ms",
        "CPU vs"
    );
    let runtime = tokio::runtime::Runtime::new()?;
    let mut binaries: Vec<(&str, &std::path::Path)> = Vec::new();
    if let Some(old) = &compare {
        binaries.push(("compared", old));
    }
    binaries.push(("this", &bin));
    for n in clients {
        for (name, bin) in &binaries {
            let r = runtime.block_on(run(bin, scripts.clone(), n, Duration::from_secs(seconds)))?;
            println!(
                "{name:>8}  {n:>3}  {:>10.1}  {:>9.2}  {:>9.2}  {:>8.1}  {:>8.1}  {:>6}  {:>9.1}  {:>6.0} MB  {:>8.2}  {:>7.2}  {:>8.2}",
                r.uploads_per_s,
                r.gz_mb_per_s,
                r.inflated_mb_per_s,
                r.p50,
                r.p99,
                r.errors,
                r.list_p99,
                mib(r.peak_rss),
                r.uploads_per_s / base_rate,
                r.cpu_ms_per_upload,
                base_cpu_ms / r.cpu_ms_per_upload
            );
        }
    }
    if let Some(old) = &compare {
        println!("compared: {}", old.display());
    }
    Ok(())
}

/// Inflating and parsing the same bodies, on two threads (this machine's cores), for `span`:
/// uploads/s, inflated MB/s, CPU ms an upload.
fn baseline(scripts: &[Script], span: Duration) -> (f64, f64, f64) {
    let cpu_before = cpu_seconds(std::process::id());
    let limits = Limits {
        max_decompressed: 32_000_000,
        max_events: 20_000,
        max_depth: Limits::DEFAULT_MAX_DEPTH,
    };
    let all: Vec<&Upload> = scripts.iter().flat_map(|s| s.uploads.iter()).collect();
    let done = AtomicU64::new(0);
    let bytes = AtomicU64::new(0);
    let started = Instant::now();
    std::thread::scope(|scope| {
        for t in 0..2 {
            let (all, done, bytes) = (&all, &done, &bytes);
            scope.spawn(move || {
                let mut i = t;
                while started.elapsed() < span {
                    let upload = all[i % all.len()];
                    let decoded = decode_track_body(&upload.gz, true, &limits, &mut Unmetered)
                        .expect("the workload decodes");
                    std::hint::black_box(decoded);
                    done.fetch_add(1, Ordering::Relaxed);
                    bytes.fetch_add(upload.inflated as u64, Ordering::Relaxed);
                    i += 2;
                }
            });
        }
    });
    let secs = started.elapsed().as_secs_f64();
    let done = done.load(Ordering::Relaxed) as f64;
    let cpu = cpu_seconds(std::process::id()) - cpu_before;
    (
        done / secs,
        bytes.load(Ordering::Relaxed) as f64 / 1e6 / secs,
        cpu * 1000.0 / done.max(1.0),
    )
}

struct RunResult {
    uploads_per_s: f64,
    gz_mb_per_s: f64,
    inflated_mb_per_s: f64,
    p50: f64,
    p99: f64,
    errors: usize,
    list_p99: f64,
    peak_rss: u64,
    /// The server's CPU time over the run, per upload answered.
    cpu_ms_per_upload: f64,
}

async fn run(
    bin: &std::path::Path,
    scripts: Arc<Vec<Script>>,
    clients: usize,
    span: Duration,
) -> anyhow::Result<RunResult> {
    let server = Server::start(bin, &[])?;
    let cpu_before = cpu_seconds(server.pid());
    let base = server.base_url.clone();
    let stop = Arc::new(AtomicBool::new(false));
    let client = reqwest::Client::new();
    let started = Instant::now();

    let poller = {
        let (client, base, stop) = (client.clone(), base.clone(), stop.clone());
        tokio::spawn(async move {
            let mut latencies = Vec::new();
            while !stop.load(Ordering::Relaxed) {
                let t = Instant::now();
                let ok = client
                    .get(format!("{base}/api/v1/replays?limit=100"))
                    .bearer_auth(TOKEN)
                    .send()
                    .await
                    .is_ok_and(|r| r.status().is_success());
                if ok {
                    latencies.push(t.elapsed().as_secs_f64() * 1000.0);
                }
                tokio::time::sleep(Duration::from_millis(250)).await;
            }
            latencies
        })
    };

    let mut tasks = Vec::new();
    for c in 0..clients {
        let (client, base, stop, scripts) =
            (client.clone(), base.clone(), stop.clone(), scripts.clone());
        tasks.push(tokio::spawn(async move {
            let mut latencies = Vec::new();
            let (mut errors, mut gz, mut inflated) = (0usize, 0u64, 0u64);
            let mut round = 0usize;
            'outer: loop {
                let script = &scripts[(c + round) % scripts.len()];
                let device = format!("bench-{c}-{round}");
                for upload in &script.uploads {
                    if stop.load(Ordering::Relaxed) {
                        break 'outer;
                    }
                    let t = Instant::now();
                    let response = client
                        .post(format!(
                            "{base}/sessions/v2/track?device_id={device}&session_id={}",
                            script.session_id
                        ))
                        .bearer_auth(KEY)
                        .header("content-type", "application/json")
                        .header("content-encoding", "gzip")
                        .body(upload.gz.clone())
                        .send()
                        .await;
                    match response {
                        Ok(r) if r.status().is_success() => {
                            latencies.push(t.elapsed().as_secs_f64() * 1000.0);
                            gz += upload.gz.len() as u64;
                            inflated += upload.inflated as u64;
                        }
                        _ => errors += 1,
                    }
                }
                round += 1;
            }
            (latencies, errors, gz, inflated)
        }));
    }
    tokio::time::sleep(span).await;
    stop.store(true, Ordering::Relaxed);
    let (mut latencies, mut errors, mut gz, mut inflated) = (Vec::new(), 0, 0u64, 0u64);
    for task in tasks {
        let (l, e, g, i) = task.await?;
        latencies.extend(l);
        errors += e;
        gz += g;
        inflated += i;
    }
    let elapsed = started.elapsed().as_secs_f64();
    let cpu = cpu_seconds(server.pid()) - cpu_before;
    let mut list = poller.await?;
    latencies.sort_by(f64::total_cmp);
    list.sort_by(f64::total_cmp);
    Ok(RunResult {
        uploads_per_s: latencies.len() as f64 / elapsed,
        gz_mb_per_s: gz as f64 / 1e6 / elapsed,
        inflated_mb_per_s: inflated as f64 / 1e6 / elapsed,
        p50: percentile(&latencies, 50.0),
        p99: percentile(&latencies, 99.0),
        errors,
        list_p99: percentile(&list, 99.0),
        peak_rss: server.peak_rss(),
        cpu_ms_per_upload: cpu * 1000.0 / (latencies.len().max(1) as f64),
    })
}
