//! Hostile traffic beside an honest client, against the release binary with default settings.
//!
//! ```sh
//! make build && cargo run --release -p reel-bench --bin hostile -- [--seconds 30]
//! ```
//!
//! Attackers, all at once for the whole run:
//! - 4 × gzip bombs on `/sessions/v2/track`: 96 KB bodies `{"version":1,"events":[0,0,…]}` that
//!   inflate to ~99 MB;
//! - 4 × the same shape on `/2/httpapi`;
//! - 2 × `type=interaction` uploads of 128 KB gzip that inflate to ~100 MB of click data;
//! - 32 × wrong-password logins, each from a different address (reel is told to trust
//!   127.0.0.1 as a proxy so `X-Forwarded-For` spreads them, defeating per-address limits).
//!
//! The honest client: 4 connections replaying the recorded workload's uploads. The baseline is
//! the same honest client against an idle server, measured first in the same run. Prints peak
//! RSS, the honest client's success rate and p99 in both, and what each attacker got back.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use reel_bench::*;

fn zeros(prefix: &str, count: usize) -> Vec<u8> {
    let mut body = prefix.as_bytes().to_vec();
    body.push(b'0');
    body.extend(std::iter::repeat_n(b",0".as_slice(), count - 1).flatten());
    body.extend_from_slice(b"]}");
    gzip_best(&body)
}

fn gzip_best(data: &[u8]) -> Vec<u8> {
    use std::io::Write as _;
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    e.write_all(data).unwrap();
    e.finish().unwrap()
}

/// Repetitive heatmap clicks: ~100 MB inflated.
fn interaction_bomb() -> Vec<u8> {
    let click = r#"{"x":10,"y":20,"selector":"button.buy","viewportHeight":800,"viewportWidth":1280,"pageUrl":"https://x.test/","timestamp":1,"type":"click","count":1}"#;
    let mut body = b"{\"version\":1,\"events\":[".to_vec();
    let n = 100_000_000 / (click.len() + 1);
    for i in 0..n {
        if i > 0 {
            body.push(b',');
        }
        body.extend_from_slice(click.as_bytes());
    }
    body.extend_from_slice(b"]}");
    gzip_best(&body)
}

#[derive(Default)]
struct Honest {
    ok: usize,
    failed: usize,
    latencies: Vec<f64>,
}

impl Honest {
    fn rate(&self) -> f64 {
        100.0 * self.ok as f64 / (self.ok + self.failed).max(1) as f64
    }

    fn p99(&mut self) -> f64 {
        self.latencies.sort_by(f64::total_cmp);
        percentile(&self.latencies, 99.0)
    }
}

async fn honest_client(
    base: String,
    uploads: Arc<Vec<(i64, Vec<u8>)>>,
    stop: Arc<AtomicBool>,
    id: usize,
) -> Honest {
    let client = reqwest::Client::new();
    let mut result = Honest::default();
    let mut round = 0;
    while !stop.load(Ordering::Relaxed) {
        for (k, (session_id, gz)) in uploads.iter().enumerate() {
            if stop.load(Ordering::Relaxed) {
                break;
            }
            let t = Instant::now();
            // Amplitude's SDKs retry 503/429 (twice, after a short backoff): so does this client.
            let mut ok = false;
            for attempt in 0..3 {
                let r = client
                    .post(format!(
                        "{base}/sessions/v2/track?device_id=honest-{id}-{round}-{}&session_id={session_id}",
                        k / 1000
                    ))
                    .bearer_auth(KEY)
                    .header("content-encoding", "gzip")
                    .body(gz.clone())
                    .send()
                    .await;
                match r {
                    Ok(r) if r.status().is_success() => {
                        ok = true;
                        break;
                    }
                    Ok(r) if r.status().as_u16() == 503 || r.status().as_u16() == 429 => {
                        let wait = r
                            .headers()
                            .get("retry-after")
                            .and_then(|v| v.to_str().ok()?.parse::<u64>().ok())
                            .unwrap_or(1);
                        tokio::time::sleep(Duration::from_millis(500 * wait * (attempt + 1))).await;
                    }
                    _ => break,
                }
            }
            if ok {
                result.ok += 1;
                result.latencies.push(t.elapsed().as_secs_f64() * 1000.0);
            } else {
                result.failed += 1;
            }
        }
        round += 1;
    }
    result
}

async fn honest_run(base: &str, uploads: &Arc<Vec<(i64, Vec<u8>)>>, span: Duration) -> Honest {
    let stop = Arc::new(AtomicBool::new(false));
    let tasks: Vec<_> = (0..4)
        .map(|i| {
            tokio::spawn(honest_client(
                base.to_owned(),
                uploads.clone(),
                stop.clone(),
                i,
            ))
        })
        .collect();
    tokio::time::sleep(span).await;
    stop.store(true, Ordering::Relaxed);
    let mut all = Honest::default();
    for t in tasks {
        let h = t.await.unwrap();
        all.ok += h.ok;
        all.failed += h.failed;
        all.latencies.extend(h.latencies);
    }
    all
}

type Tally = Arc<std::sync::Mutex<BTreeMap<String, BTreeMap<String, usize>>>>;

fn count(tally: &Tally, attack: &str, outcome: String) {
    *tally
        .lock()
        .unwrap()
        .entry(attack.to_owned())
        .or_default()
        .entry(outcome)
        .or_default() += 1;
}

fn outcome(r: &Result<reqwest::Response, reqwest::Error>) -> String {
    match r {
        Ok(r) => r.status().as_u16().to_string(),
        Err(e) if e.is_timeout() => "timeout".into(),
        Err(_) => "connection error".into(),
    }
}

fn main() -> anyhow::Result<()> {
    let seconds: u64 = arg("--seconds", 30);
    let span = Duration::from_secs(seconds);
    let bin = reel_binary()?;
    let workload = load_workload()?;
    let honest: Vec<(i64, Vec<u8>)> = workload
        .iter()
        .flat_map(|s| {
            let id = s.start_ms();
            uploads(s, 5_000, 1_000_000)
                .into_iter()
                .map(move |u| (id, gzip(&track_body(&u))))
        })
        .collect();
    let honest = Arc::new(honest);
    let track_bomb = zeros("{\"version\":1,\"events\":[", 49_500_000);
    let api_bomb = zeros(&format!("{{\"api_key\":\"{KEY}\",\"events\":["), 49_500_000);
    let heat_bomb = interaction_bomb();
    println!(
        "bodies: track bomb {} KB gzip (99 MB inflated), httpapi bomb {} KB, interaction bomb {} KB (100 MB inflated); \
         honest uploads: {} from the recorded workload",
        track_bomb.len() / 1000,
        api_bomb.len() / 1000,
        heat_bomb.len() / 1000,
        honest.len()
    );
    let runtime = tokio::runtime::Runtime::new()?;
    runtime.block_on(async {
        // Baseline: the honest client alone, on its own fresh server.
        let quiet = Server::start(&bin, &[])?;
        let mut alone = honest_run(&quiet.base_url, &honest, span.min(Duration::from_secs(15))).await;
        let quiet_rss = quiet.peak_rss();
        drop(quiet);

        let mut server = Server::start(&bin, &[("REEL_TRUSTED_PROXIES", "127.0.0.1")])?;
        let base = server.base_url.clone();
        let stop = Arc::new(AtomicBool::new(false));
        let tally: Tally = Default::default();
        let client = reqwest::Client::builder().timeout(Duration::from_secs(60)).build()?;
        let mut attackers = Vec::new();
        let mut spawn_loop = |name: &'static str, make: Box<dyn Fn(usize) -> reqwest::RequestBuilder + Send + Sync>, copies: usize| {
            let make: Arc<dyn Fn(usize) -> reqwest::RequestBuilder + Send + Sync> = Arc::from(make);
            for c in 0..copies {
                let (stop, tally, make) = (stop.clone(), tally.clone(), make.clone());
                attackers.push(tokio::spawn(async move {
                    let mut i = c * 1_000_000;
                    while !stop.load(Ordering::Relaxed) {
                        let r = make(i).send().await;
                        count(&tally, name, outcome(&r));
                        i += 1;
                    }
                }));
            }
        };
        {
            let (client, base, body) = (client.clone(), base.clone(), track_bomb.clone());
            spawn_loop(
                "track gzip bomb",
                Box::new(move |i| {
                    client
                        .post(format!("{base}/sessions/v2/track?device_id=bomb-{i}&session_id=1764000000000"))
                        .bearer_auth(KEY)
                        .header("content-encoding", "gzip")
                        .body(body.clone())
                }),
                4,
            );
        }
        {
            let (client, base, body) = (client.clone(), base.clone(), api_bomb.clone());
            spawn_loop(
                "httpapi gzip bomb",
                Box::new(move |_| {
                    client
                        .post(format!("{base}/2/httpapi"))
                        .header("content-encoding", "gzip")
                        .body(body.clone())
                }),
                4,
            );
        }
        {
            let (client, base, body) = (client.clone(), base.clone(), heat_bomb.clone());
            spawn_loop(
                "interaction bomb",
                Box::new(move |i| {
                    client
                        .post(format!(
                            "{base}/sessions/v2/track?device_id=heat-{i}&session_id=1764000000000&type=interaction"
                        ))
                        .bearer_auth(KEY)
                        .header("content-encoding", "gzip")
                        .body(body.clone())
                }),
                2,
            );
        }
        {
            let (client, base) = (client.clone(), base.clone());
            spawn_loop(
                "login flood (32, spread addresses)",
                Box::new(move |i| {
                    client
                        .post(format!("{base}/api/v1/login"))
                        .header("x-forwarded-for", format!("10.{}.{}.{}", (i >> 16) & 255, (i >> 8) & 255, i & 255))
                        .json(&serde_json::json!({"email": "admin@reel.local", "password": format!("guess-{i}")}))
                }),
                32,
            );
        }
        let mut under_attack = honest_run(&base, &honest, span).await;
        stop.store(true, Ordering::Relaxed);
        for a in attackers {
            a.abort();
        }
        let peak = server.peak_rss();
        let alive = server.is_running();

        println!();
        println!("{:<34} {:>10} {:>10}", "", "idle", "attacked");
        println!("{:<34} {:>7.0} MB {:>7.0} MB", "peak RSS", mib(quiet_rss), mib(peak));
        println!(
            "{:<34} {:>9.1}% {:>9.1}%",
            "honest uploads answered 200",
            alone.rate(),
            under_attack.rate()
        );
        println!(
            "{:<34} {:>10} {:>10}",
            "honest uploads (ok / failed)",
            format!("{}/{}", alone.ok, alone.failed),
            format!("{}/{}", under_attack.ok, under_attack.failed)
        );
        println!("{:<34} {:>7.0} ms {:>7.0} ms", "honest p99 (incl. retries)", alone.p99(), under_attack.p99());
        println!("server still running: {alive}");
        println!();
        println!("what the attackers got back:");
        for (attack, outcomes) in tally.lock().unwrap().iter() {
            let total: usize = outcomes.values().sum();
            let parts: Vec<String> = outcomes.iter().map(|(k, v)| format!("{k} × {v}")).collect();
            println!("  {attack:<36} {total:>6} requests: {}", parts.join(", "));
        }
        anyhow::Ok(())
    })
}
