//! Ingest on several nodes: N concurrent clients send the recorded workload's uploads (as
//! `load` does) for the same time to three setups started from the release binary in the same
//! run, and uploads/s are printed side by side, each against the first:
//!
//! 1. one embedded node (SQLite and local files: the baseline);
//! 2. one node on PostgreSQL (`database_url`: control data and the recordings' index);
//! 3. two nodes on that PostgreSQL, each client sending its uploads to both in turn (a load
//!    balancer without affinity: one session's uploads reach both nodes).
//!
//! Setups 2 and 3 keep objects in one shared folder (`blob_url = file://…`): what is measured
//! is the shared index, not an object store. PostgreSQL is Debian's, started on a free port
//! in a temporary folder (`postgres_server.rs`, the scale suite's). Two nodes on this machine
//! share its two cores: the figure shows what coordination through PostgreSQL costs, not what
//! a second machine adds.
//!
//! ```sh
//! make build && cargo run --release -p reel-bench --bin nodes -- [--seconds 20] [--clients 16]
//! ```

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use reel_bench::postgres_server::PgServer;
use reel_bench::*;

fn main() -> anyhow::Result<()> {
    let seconds: u64 = arg("--seconds", 20);
    let clients: usize = arg("--clients", 16);
    let bin = reel_binary()?;
    let workload = load_workload()?;
    // Each session's uploads, gzip bodies as an SDK sends them, with the session id they fit.
    let scripts: Arc<Vec<(i64, Vec<Vec<u8>>)>> = Arc::new(
        workload
            .iter()
            .map(|s| {
                let bodies = uploads(s, 5_000, 1_000_000)
                    .iter()
                    .map(|events| gzip(&track_body(events)))
                    .collect();
                (s.start_ms(), bodies)
            })
            .collect(),
    );
    println!(
        "workload: {} recorded sessions (testdata/workload) cut into {} uploads (5 s of recorded \
         time or 1 MB each), sent by {clients} clients for {seconds} s per setup",
        workload.len(),
        scripts.iter().map(|s| s.1.len()).sum::<usize>()
    );
    let runtime = tokio::runtime::Runtime::new()?;
    let pg = runtime.block_on(PgServer::start());
    let span = Duration::from_secs(seconds);

    println!(
        "\n{:<34} {:>10} {:>8} {:>8} {:>7} {:>9}",
        "setup", "uploads/s", "p50 ms", "p99 ms", "errors", "vs first"
    );
    let embedded = Server::start(&bin, &[])?;
    let first = runtime.block_on(drive(&[&embedded.base_url], &scripts, clients, span));
    first.print("1 node, SQLite + files", first.rate);
    drop(embedded);

    for nodes in [1, 2] {
        let url = runtime.block_on(pg.new_database(&format!("nodes{nodes}")));
        let objects = tempfile::tempdir()?;
        let blob_url = format!("file://{}", objects.path().display());
        let env = [
            ("REEL_DATABASE_URL", url.as_str()),
            ("REEL_BLOB_URL", blob_url.as_str()),
        ];
        // One after the other: the second joins what the first set up.
        let mut servers = Vec::new();
        for _ in 0..nodes {
            servers.push(Server::start(&bin, &env)?);
        }
        let bases: Vec<&str> = servers.iter().map(|s| s.base_url.as_str()).collect();
        let r = runtime.block_on(drive(&bases, &scripts, clients, span));
        r.print(
            &format!(
                "{nodes} node{} on PostgreSQL",
                if nodes > 1 { "s" } else { "" }
            ),
            first.rate,
        );
    }
    Ok(())
}

struct Outcome {
    rate: f64,
    p50: f64,
    p99: f64,
    errors: usize,
}

impl Outcome {
    fn print(&self, setup: &str, first: f64) {
        println!(
            "{setup:<34} {:>10.1} {:>8.1} {:>8.1} {:>7} {:>8.2}x",
            self.rate,
            self.p50,
            self.p99,
            self.errors,
            self.rate / first
        );
    }
}

/// `clients` clients send whole sessions' uploads for `span`, each upload to the next of
/// `bases` in turn.
async fn drive(
    bases: &[&str],
    scripts: &Arc<Vec<(i64, Vec<Vec<u8>>)>>,
    clients: usize,
    span: Duration,
) -> Outcome {
    let stop = Arc::new(AtomicBool::new(false));
    let client = reqwest::Client::new();
    let bases: Arc<Vec<String>> = Arc::new(bases.iter().map(|b| b.to_string()).collect());
    let started = Instant::now();
    let mut tasks = Vec::new();
    for c in 0..clients {
        let (client, bases, stop, scripts) =
            (client.clone(), bases.clone(), stop.clone(), scripts.clone());
        tasks.push(tokio::spawn(async move {
            let (mut latencies, mut errors, mut sent) = (Vec::new(), 0usize, c);
            'outer: for round in 0.. {
                let (session_id, bodies) = &scripts[(c + round) % scripts.len()];
                let device = format!("nodes-{c}-{round}");
                for body in bodies {
                    if stop.load(Ordering::Relaxed) {
                        break 'outer;
                    }
                    let base = &bases[sent % bases.len()];
                    sent += 1;
                    let t = Instant::now();
                    let response = client
                        .post(format!(
                            "{base}/sessions/v2/track?device_id={device}&session_id={session_id}"
                        ))
                        .bearer_auth(KEY)
                        .header("content-type", "application/json")
                        .header("content-encoding", "gzip")
                        .body(body.clone())
                        .send()
                        .await;
                    match response {
                        Ok(r) if r.status().is_success() => {
                            latencies.push(t.elapsed().as_secs_f64() * 1000.0)
                        }
                        _ => errors += 1,
                    }
                }
            }
            (latencies, errors)
        }));
    }
    tokio::time::sleep(span).await;
    stop.store(true, Ordering::Relaxed);
    let (mut latencies, mut errors) = (Vec::new(), 0);
    for task in tasks {
        let (l, e) = task.await.expect("a client task");
        latencies.extend(l);
        errors += e;
    }
    let elapsed = started.elapsed().as_secs_f64();
    latencies.sort_by(f64::total_cmp);
    Outcome {
        rate: latencies.len() as f64 / elapsed,
        p50: percentile(&latencies, 50.0),
        p99: percentile(&latencies, 99.0),
        errors,
    }
}
