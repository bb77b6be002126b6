//! Shared parts of reel's measurement programs (`src/bin/*`): the recorded workload, cutting it
//! into uploads the way an SDK does, starting the release binary, reading its memory, and
//! summarising latencies.
//!
//! Every program prints its figures beside a baseline measured in the same run: machines here
//! are shared and noisy, so only ratios measured together mean something.

pub mod clickhouse_server;
pub mod postgres_server;

use std::io::Read as _;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use anyhow::{Context as _, bail};

/// One recorded session: its events' JSON texts in recorded order.
pub struct Session {
    pub name: String,
    pub events: Vec<String>,
}

impl Session {
    pub fn raw_bytes(&self) -> usize {
        self.events.iter().map(String::len).sum()
    }

    /// The first event's time: the session id an SDK would have used.
    pub fn start_ms(&self) -> i64 {
        self.events
            .iter()
            .filter_map(|e| timestamp_of(e))
            .min()
            .unwrap_or(0)
    }
}

pub fn timestamp_of(event: &str) -> Option<i64> {
    serde_json::from_str::<serde_json::Value>(event)
        .ok()?
        .get("timestamp")?
        .as_f64()
        .map(|t| t as i64)
}

/// The repository's root (two levels above this crate): found through `cargo run`'s
/// `CARGO_MANIFEST_DIR`, else where this crate was built.
pub fn repo_root() -> PathBuf {
    std::env::var_os("CARGO_MANIFEST_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")), PathBuf::from)
        .join("../..")
}

/// The recorded workload in `testdata/workload/*.json.gz`: gzip of a JSON array of events (or of
/// newline-delimited events), one file per session.
pub fn load_workload() -> anyhow::Result<Vec<Session>> {
    let dir = repo_root().join("testdata/workload");
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.to_string_lossy().ends_with(".json.gz"))
        .collect();
    files.sort();
    if files.is_empty() {
        bail!("no recordings in {}", dir.display());
    }
    files.iter().map(|f| load_session(f)).collect()
}

pub fn load_session(path: &Path) -> anyhow::Result<Session> {
    let mut text = String::new();
    flate2::read::GzDecoder::new(std::fs::File::open(path)?)
        .read_to_string(&mut text)
        .with_context(|| format!("inflating {}", path.display()))?;
    let events: Vec<String> = if text.trim_start().starts_with('[') {
        let raw: Vec<Box<serde_json::value::RawValue>> = serde_json::from_str(&text)?;
        raw.into_iter().map(|r| r.get().to_owned()).collect()
    } else {
        text.lines()
            .filter(|l| !l.trim().is_empty())
            .map(str::to_owned)
            .collect()
    };
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().trim_end_matches(".json.gz").to_owned())
        .unwrap_or_default();
    Ok(Session { name, events })
}

/// Cuts a session into uploads as an SDK flushes them: after `flush_ms` of event time or before
/// `max_bytes` would be passed, never between a Meta and the FullSnapshot after it.
pub fn uploads(session: &Session, flush_ms: i64, max_bytes: usize) -> Vec<Vec<String>> {
    let mut out: Vec<Vec<String>> = Vec::new();
    let mut current: Vec<String> = Vec::new();
    let (mut size, mut opened_at) = (0usize, None::<i64>);
    let mut previous_was_meta = false;
    for event in &session.events {
        let ts = timestamp_of(event).unwrap_or(0);
        let kind = serde_json::from_str::<serde_json::Value>(event)
            .ok()
            .and_then(|v| v["type"].as_i64());
        let due = opened_at.is_some_and(|t| ts - t >= flush_ms) || size + event.len() > max_bytes;
        if due && !current.is_empty() && !previous_was_meta {
            out.push(std::mem::take(&mut current));
            size = 0;
            opened_at = None;
        }
        opened_at.get_or_insert(ts);
        size += event.len();
        current.push(event.clone());
        previous_was_meta = kind == Some(4);
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// `{"version":1,"events":[...]}` with each event as a JSON string, as Amplitude's replay SDK
/// and reel's send it.
pub fn track_body(events: &[String]) -> Vec<u8> {
    serde_json::json!({"version": 1, "events": events})
        .to_string()
        .into_bytes()
}

pub fn gzip(data: &[u8]) -> Vec<u8> {
    use std::io::Write as _;
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::new(6));
    encoder.write_all(data).expect("gzip to memory");
    encoder.finish().expect("gzip to memory")
}

pub const KEY: &str = "bench-project-key";
pub const TOKEN: &str = "bench-admin-token";
pub const EMAIL: &str = "bench@reel.test";
pub const PASSWORD: &str = "bench-password-123";

/// The release binary, started on a free port with a throw-away data dir.
pub struct Server {
    child: Child,
    pub base_url: String,
    _dir: tempfile::TempDir,
}

impl Server {
    pub fn start(bin: &Path, env: &[(&str, &str)]) -> anyhow::Result<Self> {
        use std::io::BufRead as _;
        let dir = tempfile::tempdir()?;
        let mut command = Command::new(bin);
        command
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(dir.path())
            .env("REEL_API_KEY", KEY)
            .env("REEL_ADMIN_EMAIL", EMAIL)
            .env("REEL_ADMIN_PASSWORD", PASSWORD)
            .env("REEL_ADMIN_TOKEN", TOKEN)
            .env("REEL_LOG", "error")
            .env_remove("REEL_CONFIG")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        for (k, v) in env {
            command.env(k, v);
        }
        let mut child = command
            .spawn()
            .with_context(|| format!("starting {}", bin.display()))?;
        let stdout = child.stdout.take().expect("piped");
        let (tx, rx) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut tx = Some(tx);
            for line in std::io::BufReader::new(stdout)
                .lines()
                .map_while(Result::ok)
            {
                if let Some(url) = line.strip_prefix("reel listening on ")
                    && let Some(tx) = tx.take()
                {
                    let _ = tx.send(url.trim().to_owned());
                }
            }
        });
        let base_url = rx
            .recv_timeout(Duration::from_secs(60))
            .context("reel did not start listening")?;
        Ok(Self {
            child,
            base_url,
            _dir: dir,
        })
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    pub fn data_dir(&self) -> &Path {
        self._dir.path()
    }

    /// Peak resident memory of the process so far (`VmHWM`), in bytes.
    pub fn peak_rss(&self) -> u64 {
        proc_status_kib(self.pid(), "VmHWM:") * 1024
    }

    pub fn rss(&self) -> u64 {
        proc_status_kib(self.pid(), "VmRSS:") * 1024
    }

    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// CPU time a process has used so far (user and system), in seconds.
pub fn cpu_seconds(pid: u32) -> f64 {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).unwrap_or_default();
    // Fields after the command name (which may hold spaces) start after the last ')'.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map(|(_, rest)| rest.split_whitespace().collect())
        .unwrap_or_default();
    // utime and stime are fields 14 and 15 of the whole line: 12 and 13 after the name.
    let ticks: u64 = [11, 12]
        .iter()
        .filter_map(|i| fields.get(*i).and_then(|v| v.parse::<u64>().ok()))
        .sum();
    ticks as f64 / clock_ticks_per_second()
}

/// The kernel's clock tick rate for `/proc` times (`getconf CLK_TCK`; 100 on Linux).
fn clock_ticks_per_second() -> f64 {
    std::process::Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .and_then(|t| t.trim().parse().ok())
        .unwrap_or(100.0)
}

fn proc_status_kib(pid: u32, field: &str) -> u64 {
    std::fs::read_to_string(format!("/proc/{pid}/status"))
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with(field))
                .and_then(|l| l.split_whitespace().nth(1))
                .and_then(|n| n.parse().ok())
        })
        .unwrap_or(0)
}

/// The release binary to measure: `REEL_BIN`, else `target/release/reel` under the repository
/// (or under `CARGO_TARGET_DIR`).
pub fn reel_binary() -> anyhow::Result<PathBuf> {
    if let Ok(bin) = std::env::var("REEL_BIN") {
        return Ok(PathBuf::from(bin));
    }
    let candidates = [
        std::env::var("CARGO_TARGET_DIR")
            .ok()
            .map(|d| PathBuf::from(d).join("release/reel")),
        Some(repo_root().join("target/release/reel")),
    ];
    candidates
        .into_iter()
        .flatten()
        .find(|p| p.exists())
        .context("no release binary: run `make build` (or set REEL_BIN)")
}

/// The data directory a large-project benchmark runs on: `--data-dir` when given (reused when
/// it holds `sessions` sessions, else generated there), or a new temporary one. `reel generate`
/// makes the data (1,000,000 sessions take about 25 minutes on two cores).
pub fn generated_data_dir(
    data_dir: &str,
    temp: &Path,
    sessions: u64,
    events: u64,
    count_sessions: impl Fn(&Path) -> Option<u64>,
) -> anyhow::Result<PathBuf> {
    let dir = if data_dir.is_empty() {
        temp.to_path_buf()
    } else {
        PathBuf::from(data_dir)
    };
    let db_path = dir.join("reel.db");
    let existing = count_sessions(&db_path).unwrap_or(0);
    if existing == sessions {
        println!("reusing {} ({sessions} sessions)", dir.display());
        return Ok(dir);
    }
    if existing != 0 {
        anyhow::bail!(
            "{} holds {existing} sessions, not {sessions}: choose another --data-dir",
            dir.display()
        );
    }
    let bin = reel_binary()?;
    println!(
        "generating {sessions} sessions, {events} events into {} …",
        dir.display()
    );
    let started = std::time::Instant::now();
    let status = Command::new(&bin)
        .args(["generate", "--sessions", &sessions.to_string()])
        .args(["--events", &events.to_string(), "--days", "90"])
        .arg("--data-dir")
        .arg(&dir)
        .status()
        .context("running reel generate")?;
    if !status.success() {
        anyhow::bail!("reel generate failed: {status}");
    }
    println!(
        "generated in {:.0} s ({:.0} events/s)",
        started.elapsed().as_secs_f64(),
        events as f64 / started.elapsed().as_secs_f64()
    );
    Ok(dir)
}

/// Latency percentiles of a sample, in milliseconds.
pub fn percentile(sorted_ms: &[f64], p: f64) -> f64 {
    if sorted_ms.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * (sorted_ms.len() - 1) as f64).round() as usize;
    sorted_ms[rank.min(sorted_ms.len() - 1)]
}

pub fn mib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0)
}

/// Reads `--name value` from the arguments, with a default.
pub fn arg<T: std::str::FromStr>(name: &str, default: T) -> T {
    let args: Vec<String> = std::env::args().collect();
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(kind: i64, ts: i64, pad: usize) -> String {
        serde_json::json!({"type": kind, "timestamp": ts, "data": {"p": "x".repeat(pad)}})
            .to_string()
    }

    #[test]
    fn uploads_keep_meta_with_its_snapshot() {
        let session = Session {
            name: "s".into(),
            events: vec![
                ev(4, 0, 0),
                ev(2, 0, 10),
                ev(3, 500, 0),
                ev(3, 1_500, 0),
                ev(4, 1_600, 0),
                ev(2, 2_700, 0),
                ev(3, 2_800, 0),
            ],
        };
        let cut = uploads(&session, 1_000, 1 << 20);
        let kinds: Vec<Vec<i64>> = cut
            .iter()
            .map(|u| {
                u.iter()
                    .map(|e| {
                        serde_json::from_str::<serde_json::Value>(e).unwrap()["type"]
                            .as_i64()
                            .unwrap()
                    })
                    .collect()
            })
            .collect();
        assert_eq!(kinds, vec![vec![4, 2, 3], vec![3, 4, 2], vec![3]]);
        let cut = uploads(&session, 1_000_000, 60);
        assert!(cut.iter().all(|u| !u.is_empty()));
        assert_eq!(cut.concat(), session.events);
    }

    #[test]
    fn percentiles() {
        let sample: Vec<f64> = (1..=100).map(f64::from).collect();
        assert_eq!(percentile(&sample, 50.0), 51.0);
        assert_eq!(percentile(&sample, 99.0), 99.0);
        assert!(percentile(&[], 50.0).is_nan());
    }
}
