//! Recording storage, measured on the recorded workload (`testdata/workload`: a Bootstrap admin
//! app, a Primer docs site and a Bulma shop, three sessions each, recorded in headless Chromium
//! with reel's own recorder — see its README) and on a generated 2-hour session
//! (`bench/workload/long.ts`, built from those recordings).
//!
//! ```sh
//! make build && cargo run --release -p reel-bench --bin storage -- [--seconds 20]
//! ```
//!
//! 1. Bytes stored after compaction — segment objects plus the database pages that hold
//!    recordings (chunk and segment rows, pieces, their links, content hashes, dictionaries,
//!    with their indexes) — against `gzip -6` of each session's JSON and against
//!    `zstd -19 --long` of all sessions in one stream, both computed in this run.
//! 2. Ingest throughput with compaction running against without it (N = 8 clients replaying
//!    the workload's uploads; the same server build, two fresh data dirs).
//! 3. For the 2-hour session: bytes transferred to show its last minute (a windowed read from
//!    the keyframe before it) against transferring the whole recording, same server, same
//!    compression (zstd and gzip as the browser asks).

use std::io::Write as _;
use std::path::Path;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::Context as _;
use reel_bench::*;
use reel_model::ReplayId;
use reel_store::sqlite::inspect::{Inspector, Rows};

fn main() -> anyhow::Result<()> {
    let seconds: u64 = arg("--seconds", 20);
    let bin = reel_binary()?;
    let workload = load_workload()?;
    let runtime = tokio::runtime::Runtime::new()?;

    // 1. Bytes stored.
    let raw: usize = workload.iter().map(Session::raw_bytes).sum();
    let gzip6: usize = workload
        .iter()
        .map(|s| gzip_level(&joined(s), 6).len())
        .sum();
    let all: Vec<u8> = workload.iter().flat_map(joined).collect();
    let zstd_long = zstd_long(&all)?.len();
    let compacting = [
        ("REEL_COMPACTION_IDLE_SECONDS", "0"),
        ("REEL_PROCESSING_DELAY_MS", "0"),
        ("REEL_REPLACED_OBJECT_GRACE_SECONDS", "0"),
        ("REEL_PROCESSING_CPU_SHARE", "1"),
    ];
    let server = Server::start(&bin, &compacting)?;
    runtime.block_on(upload_all(&server.base_url, &workload))?;
    wait_compacted(server.data_dir())?;
    let stored = stored_bytes(server.data_dir())?;
    drop(server);
    println!(
        "workload: {} sessions, {:.1} MB of rrweb JSON (testdata/workload)",
        workload.len(),
        raw as f64 / 1e6
    );
    println!(
        "  gzip -6 per session: {:>9} bytes\n  zstd -19 --long, one stream: {:>9} bytes",
        gzip6, zstd_long
    );
    println!(
        "  reel after compaction: {:>9} bytes (segments {} + pieces {} + rows {})",
        stored.total(),
        stored.segments,
        stored.pieces,
        stored.rows
    );
    println!(
        "  ratio to gzip -6: {:.3}   ratio to zstd -19 --long: {:.3}",
        stored.total() as f64 / gzip6 as f64,
        stored.total() as f64 / zstd_long as f64
    );

    // 2. Ingest with compaction running against without.
    println!();
    let without = runtime.block_on(ingest_rate(
        &bin,
        &workload,
        &[("REEL_COMPACTION_IDLE_SECONDS", "86400")],
        false,
        Duration::from_secs(seconds),
    ))?;
    // With a backlog: the whole workload uploaded once more just before the clients start, due
    // for compaction at once (default CPU share), so the stage compacts throughout the run.
    let with = runtime.block_on(ingest_rate(
        &bin,
        &workload,
        &[
            ("REEL_COMPACTION_IDLE_SECONDS", "0"),
            ("REEL_PROCESSING_DELAY_MS", "0"),
        ],
        true,
        Duration::from_secs(seconds),
    ))?;
    println!(
        "ingest, 8 clients, {seconds} s each: without compaction {:.1} uploads/s; with compaction running \
         (a backlog of {} sessions, {} segments written during the run) {:.1} uploads/s: ratio {:.2}",
        without.0,
        workload.len(),
        with.1,
        with.0,
        with.0 / without.0
    );

    // 3. The last minute of a 2-hour session.
    println!();
    let long = generate_long_session()?;
    let server = Server::start(&bin, &compacting)?;
    runtime.block_on(upload_all(&server.base_url, std::slice::from_ref(&long)))?;
    wait_compacted(server.data_dir())?;
    let id = ReplayId::of(&device_of(0), long.start_ms()).into_string();
    let end = long
        .events
        .iter()
        .filter_map(|e| timestamp_of(e))
        .max()
        .unwrap_or(0);
    println!(
        "2-hour session: {:.1} MB of rrweb JSON, {} events, {:.0} minutes",
        long.raw_bytes() as f64 / 1e6,
        long.events.len(),
        (end - long.start_ms()) as f64 / 60_000.0
    );
    for encoding in ["zstd", "gzip"] {
        let whole = runtime.block_on(transfer(&server.base_url, &id, "", encoding))?;
        let last = runtime.block_on(transfer(
            &server.base_url,
            &id,
            &format!("from={}&to={end}", end - 60_000),
            encoding,
        ))?;
        println!(
            "  {encoding}: whole recording {whole} bytes, last minute {last} bytes: {:.1} %",
            100.0 * last as f64 / whole as f64
        );
    }
    Ok(())
}

fn joined(s: &Session) -> Vec<u8> {
    let mut out = Vec::with_capacity(s.raw_bytes() + s.events.len() + 2);
    out.push(b'[');
    for (i, e) in s.events.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(e.as_bytes());
    }
    out.push(b']');
    out
}

fn gzip_level(data: &[u8], level: u32) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(level));
    e.write_all(data).expect("to memory");
    e.finish().expect("to memory")
}

/// `zstd -19 --long` (window 2^27).
fn zstd_long(data: &[u8]) -> anyhow::Result<Vec<u8>> {
    let mut c = zstd::bulk::Compressor::new(19)?;
    c.set_parameter(zstd::zstd_safe::CParameter::EnableLongDistanceMatching(
        true,
    ))?;
    c.set_parameter(zstd::zstd_safe::CParameter::WindowLog(27))?;
    Ok(c.compress(data)?)
}

fn device_of(i: usize) -> String {
    format!("bench-storage-{i}")
}

async fn upload_all(base: &str, sessions: &[Session]) -> anyhow::Result<()> {
    let client = reqwest::Client::new();
    for (i, s) in sessions.iter().enumerate() {
        let session_id = s.start_ms();
        for upload in uploads(s, 5_000, 1_000_000) {
            let r = client
                .post(format!(
                    "{base}/sessions/v2/track?device_id={}&session_id={session_id}",
                    device_of(i)
                ))
                .bearer_auth(KEY)
                .header("content-encoding", "gzip")
                .body(gzip(&track_body(&upload)))
                .send()
                .await?;
            anyhow::ensure!(r.status().is_success(), "upload answered {}", r.status());
        }
    }
    Ok(())
}

fn wait_compacted(data_dir: &Path) -> anyhow::Result<()> {
    let deadline = Instant::now() + Duration::from_secs(1800);
    loop {
        let db = Inspector::open(&data_dir.join("reel.db"))?;
        let (open, intents) = (db.count(Rows::OpenChunks)?, db.count(Rows::ObjectIntents)?);
        if open == 0 && intents == 0 {
            return Ok(());
        }
        anyhow::ensure!(Instant::now() < deadline, "compaction did not finish");
        std::thread::sleep(Duration::from_millis(200));
    }
}

struct Stored {
    segments: u64,
    pieces: u64,
    rows: u64,
}

impl Stored {
    fn total(&self) -> u64 {
        self.segments + self.pieces + self.rows
    }
}

/// Segment objects' sizes, and the database pages of the tables that hold recordings.
fn stored_bytes(data_dir: &Path) -> anyhow::Result<Stored> {
    let mut segments = 0;
    let mut pending = vec![data_dir.join("objects")];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir)? {
            let entry = entry?;
            if entry.file_type()?.is_dir() {
                pending.push(entry.path());
            } else {
                segments += entry.metadata()?.len();
            }
        }
    }
    let (pieces, rows) = Inspector::open(&data_dir.join("reel.db"))?.recording_table_bytes()?;
    Ok(Stored {
        segments,
        pieces,
        rows,
    })
}

/// Uploads/s of 8 clients replaying the workload for `span` (fresh sessions each round), and
/// how many segments the server wrote meanwhile.
async fn ingest_rate(
    bin: &Path,
    workload: &[Session],
    env: &[(&str, &str)],
    backlog: bool,
    span: Duration,
) -> anyhow::Result<(f64, i64)> {
    let server = Server::start(bin, env)?;
    if backlog {
        upload_all(&server.base_url, workload).await?;
    }
    let scripts: Arc<Vec<(i64, Vec<Vec<u8>>)>> = Arc::new(
        workload
            .iter()
            .map(|s| {
                (
                    s.start_ms(),
                    uploads(s, 5_000, 1_000_000)
                        .iter()
                        .map(|u| gzip(&track_body(u)))
                        .collect(),
                )
            })
            .collect(),
    );
    let stop = Arc::new(AtomicBool::new(false));
    let done = Arc::new(AtomicU64::new(0));
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..8 {
        let (base, stop, done, scripts) = (
            server.base_url.clone(),
            stop.clone(),
            done.clone(),
            scripts.clone(),
        );
        tasks.push(tokio::spawn(async move {
            let client = reqwest::Client::new();
            let mut round = 0;
            'outer: loop {
                let (session_id, bodies) = &scripts[(c + round) % scripts.len()];
                for body in bodies {
                    if stop.load(Ordering::Relaxed) {
                        break 'outer;
                    }
                    let ok = client
                        .post(format!(
                            "{base}/sessions/v2/track?device_id=ingest-{c}-{round}&session_id={session_id}"
                        ))
                        .bearer_auth(KEY)
                        .header("content-encoding", "gzip")
                        .body(body.clone())
                        .send()
                        .await
                        .is_ok_and(|r| r.status().is_success());
                    if ok {
                        done.fetch_add(1, Ordering::Relaxed);
                    }
                }
                round += 1;
            }
        }));
    }
    tokio::time::sleep(span).await;
    stop.store(true, Ordering::Relaxed);
    for t in tasks {
        t.await?;
    }
    let rate = done.load(Ordering::Relaxed) as f64 / started.elapsed().as_secs_f64();
    let segments = Inspector::open(&server.data_dir().join("reel.db"))?.count(Rows::Segments)?;
    Ok((rate, segments))
}

/// `bench/workload/long.ts`: a deterministic 2-hour session from the recordings.
fn generate_long_session() -> anyhow::Result<Session> {
    let out = tempfile::Builder::new().suffix(".json.gz").tempfile()?;
    let status = std::process::Command::new("node")
        .args(["--import", "tsx", "bench/workload/long.ts"])
        .arg(out.path())
        .current_dir(repo_root())
        .stdout(std::process::Stdio::null())
        .status()
        .context("running node bench/workload/long.ts")?;
    anyhow::ensure!(status.success(), "bench/workload/long.ts failed");
    load_session(out.path())
}

/// Bytes on the wire for a read of the replay's events.
async fn transfer(base: &str, id: &str, query: &str, encoding: &str) -> anyhow::Result<usize> {
    let client = reqwest::Client::builder().no_gzip().build()?;
    let r = client
        .get(format!("{base}/api/v1/replays/{id}/events?{query}"))
        .bearer_auth(TOKEN)
        .header("accept-encoding", encoding)
        .send()
        .await?;
    anyhow::ensure!(r.status().is_success(), "events answered {}", r.status());
    anyhow::ensure!(
        r.headers()
            .get("content-encoding")
            .is_some_and(|v| v == encoding),
        "not {encoding}-encoded"
    );
    Ok(r.bytes().await?.len())
}
