//! `/metrics` in Prometheus' text format: ingestion counters (`reel_ingest_…`, from
//! [`crate::monitor`]), HTTP requests by route and status with their durations
//! (`reel_http_…`), open connections, and the usual `process_…` metrics read from `/proc`.
//!
//! Labels are bounded: routes are the route table's templates (`/api/v1/replays/{id}`), any
//! path the table does not know is `unmatched`, methods outside the usual ones are `OTHER`.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Instant;

use axum::extract::{MatchedPath, Request, State};
use axum::middleware::Next;
use axum::response::Response;

use crate::AppState;

/// Upper bounds of the request-duration histogram, in seconds.
const BUCKETS: [f64; 11] = [
    0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0,
];

#[derive(Default)]
pub struct HttpMetrics {
    requests: Mutex<HashMap<RouteKey, RouteStats>>,
    /// Connections open now, and refused for being over the cap.
    pub connections_open: AtomicUsize,
    pub connections_refused: AtomicU64,
}

type RouteKey = (&'static str, String);

#[derive(Default)]
struct RouteStats {
    by_status: HashMap<u16, u64>,
    /// Requests at or under each of [`BUCKETS`].
    buckets: [u64; BUCKETS.len()],
    count: u64,
    seconds: f64,
}

impl HttpMetrics {
    fn observe(&self, method: &'static str, route: String, status: u16, seconds: f64) {
        let mut requests = self.requests.lock().unwrap_or_else(|e| e.into_inner());
        let stats = requests.entry((method, route)).or_default();
        *stats.by_status.entry(status).or_default() += 1;
        for (bound, n) in BUCKETS.iter().zip(stats.buckets.iter_mut()) {
            if seconds <= *bound {
                *n += 1;
            }
        }
        stats.count += 1;
        stats.seconds += seconds;
    }
}

/// Counts every request by method, route and status, and times it (to its head: a streamed
/// body goes on after).
pub async fn track(State(state): State<AppState>, request: Request, next: Next) -> Response {
    let method = method_label(request.method());
    let route = request
        .extensions()
        .get::<MatchedPath>()
        .map_or_else(|| "unmatched".to_owned(), |p| p.as_str().to_owned());
    let started = Instant::now();
    let response = next.run(request).await;
    state.metrics.observe(
        method,
        route,
        response.status().as_u16(),
        started.elapsed().as_secs_f64(),
    );
    response
}

fn method_label(method: &axum::http::Method) -> &'static str {
    use axum::http::Method;
    match *method {
        Method::GET => "GET",
        Method::POST => "POST",
        Method::PUT => "PUT",
        Method::PATCH => "PATCH",
        Method::DELETE => "DELETE",
        Method::HEAD => "HEAD",
        Method::OPTIONS => "OPTIONS",
        _ => "OTHER",
    }
}

/// The whole `/metrics` text.
pub fn render(state: &AppState) -> String {
    let mut out = String::new();
    render_ingest(state, &mut out);
    render_http(&state.metrics, &mut out);
    render_process(state, &mut out);
    out
}

fn render_ingest(state: &AppState, out: &mut String) {
    let totals = state.monitor.totals();
    for (name, help, pick) in [
        (
            "reel_ingest_requests_total",
            "Ingestion requests by project, endpoint, outcome and reason.",
            (|n: &reel_engine::store::IngestCounts| n.requests) as fn(&_) -> i64,
        ),
        (
            "reel_ingest_events_total",
            "Events in ingestion requests by project, endpoint, outcome and reason.",
            |n| n.events,
        ),
        (
            "reel_ingest_bytes_total",
            "Bytes of ingestion request bodies as sent, by project, endpoint, outcome and reason.",
            |n| n.bytes,
        ),
    ] {
        header(out, name, help, "counter");
        for ((project, endpoint, outcome, reason), counts) in &totals {
            let project = project.map_or_else(|| "none".to_owned(), |p| p.to_string());
            let _ = writeln!(
                out,
                "{name}{{project=\"{project}\",endpoint=\"{}\",outcome=\"{}\",reason=\"{}\"}} {}",
                endpoint.as_str(),
                outcome.as_str(),
                escape(reason),
                pick(counts)
            );
        }
    }
}

fn render_http(metrics: &HttpMetrics, out: &mut String) {
    let requests = metrics.requests.lock().unwrap_or_else(|e| e.into_inner());
    let mut routes: Vec<_> = requests.iter().collect();
    routes.sort_by(|a, b| a.0.cmp(b.0));
    header(
        out,
        "reel_http_requests_total",
        "HTTP requests by method, route and status.",
        "counter",
    );
    for ((method, route), stats) in &routes {
        let mut statuses: Vec<_> = stats.by_status.iter().collect();
        statuses.sort();
        for (status, n) in statuses {
            let _ = writeln!(
                out,
                "reel_http_requests_total{{method=\"{method}\",route=\"{}\",status=\"{status}\"}} {n}",
                escape(route)
            );
        }
    }
    header(
        out,
        "reel_http_request_duration_seconds",
        "Time to answer an HTTP request (to the response's head).",
        "histogram",
    );
    for ((method, route), stats) in &routes {
        let labels = format!("method=\"{method}\",route=\"{}\"", escape(route));
        for (bound, n) in BUCKETS.iter().zip(stats.buckets.iter()) {
            let _ = writeln!(
                out,
                "reel_http_request_duration_seconds_bucket{{{labels},le=\"{bound}\"}} {n}"
            );
        }
        let _ = writeln!(
            out,
            "reel_http_request_duration_seconds_bucket{{{labels},le=\"+Inf\"}} {}",
            stats.count
        );
        let _ = writeln!(
            out,
            "reel_http_request_duration_seconds_sum{{{labels}}} {}",
            stats.seconds
        );
        let _ = writeln!(
            out,
            "reel_http_request_duration_seconds_count{{{labels}}} {}",
            stats.count
        );
    }
    drop(requests);
    header(
        out,
        "reel_http_connections_open",
        "Connections open now.",
        "gauge",
    );
    let _ = writeln!(
        out,
        "reel_http_connections_open {}",
        metrics.connections_open.load(Ordering::Relaxed)
    );
    header(
        out,
        "reel_http_connections_refused_total",
        "Connections refused for being over max_connections.",
        "counter",
    );
    let _ = writeln!(
        out,
        "reel_http_connections_refused_total {}",
        metrics.connections_refused.load(Ordering::Relaxed)
    );
}

fn render_process(state: &AppState, out: &mut String) {
    let process = ProcessStats::read();
    header(
        out,
        "process_start_time_seconds",
        "Start time of the process since the Unix epoch, in seconds.",
        "gauge",
    );
    let _ = writeln!(out, "process_start_time_seconds {}", state.started_unix_s);
    if let Some(cpu) = process.cpu_seconds {
        header(
            out,
            "process_cpu_seconds_total",
            "User and system CPU time spent, in seconds.",
            "counter",
        );
        let _ = writeln!(out, "process_cpu_seconds_total {cpu}");
    }
    for (name, help, value) in [
        (
            "process_resident_memory_bytes",
            "Resident memory size in bytes.",
            process.resident_bytes,
        ),
        (
            "process_virtual_memory_bytes",
            "Virtual memory size in bytes.",
            process.virtual_bytes,
        ),
        (
            "process_open_fds",
            "Open file descriptors.",
            process.open_fds,
        ),
        (
            "process_max_fds",
            "The most open file descriptors allowed.",
            process.max_fds,
        ),
        ("process_threads", "OS threads.", process.threads),
    ] {
        if let Some(value) = value {
            header(out, name, help, "gauge");
            let _ = writeln!(out, "{name} {value}");
        }
    }
}

fn header(out: &mut String, name: &str, help: &str, kind: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

/// A label value as the text format wants it.
fn escape(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

/// What `/proc` says of this process (Linux; elsewhere each is none).
#[derive(Debug, Default)]
struct ProcessStats {
    cpu_seconds: Option<f64>,
    resident_bytes: Option<u64>,
    virtual_bytes: Option<u64>,
    open_fds: Option<u64>,
    max_fds: Option<u64>,
    threads: Option<u64>,
}

/// Clock ticks a second in `/proc/self/stat` (Linux's `USER_HZ`, fixed for user space).
const USER_HZ: f64 = 100.0;

impl ProcessStats {
    fn read() -> Self {
        let mut stats = Self::default();
        if let Ok(stat) = std::fs::read_to_string("/proc/self/stat") {
            // Fields after the command name (which may hold spaces) start at its closing ')'.
            if let Some(rest) = stat.rsplit_once(')').map(|(_, rest)| rest) {
                let fields: Vec<&str> = rest.split_whitespace().collect();
                // utime and stime are fields 14 and 15 of the line: 11 and 12 after the name.
                let ticks = |i: usize| fields.get(i).and_then(|v| v.parse::<f64>().ok());
                if let (Some(user), Some(system)) = (ticks(11), ticks(12)) {
                    stats.cpu_seconds = Some((user + system) / USER_HZ);
                }
            }
        }
        if let Ok(status) = std::fs::read_to_string("/proc/self/status") {
            let field = |name: &str| {
                status
                    .lines()
                    .find_map(|l| l.strip_prefix(name))
                    .and_then(|v| v.split_whitespace().next())
                    .and_then(|v| v.parse::<u64>().ok())
            };
            stats.resident_bytes = field("VmRSS:").map(|kib| kib * 1024);
            stats.virtual_bytes = field("VmSize:").map(|kib| kib * 1024);
            stats.threads = field("Threads:");
        }
        stats.open_fds = std::fs::read_dir("/proc/self/fd")
            .ok()
            .map(|d| d.count() as u64);
        stats.max_fds = rlimit::getrlimit(rlimit::Resource::NOFILE)
            .ok()
            .map(|(soft, _)| soft);
        stats
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn label_values_are_escaped() {
        let cases = [
            ("plain", "plain"),
            ("a\"b", "a\\\"b"),
            ("a\\b", "a\\\\b"),
            ("a\nb", "a\\nb"),
        ];
        for (raw, want) in cases {
            assert_eq!(escape(raw), want);
        }
    }

    #[test]
    fn the_histogram_counts_each_request_in_every_bucket_at_or_above_it() {
        let metrics = HttpMetrics::default();
        metrics.observe("GET", "/a".into(), 200, 0.003);
        metrics.observe("GET", "/a".into(), 404, 0.3);
        metrics.observe("GET", "/a".into(), 200, 20.0);
        let requests = metrics.requests.lock().unwrap();
        let stats = &requests[&("GET", "/a".to_owned())];
        assert_eq!(stats.count, 3);
        assert_eq!(stats.by_status[&200], 2);
        assert_eq!(stats.buckets[0], 1); // ≤ 5 ms
        assert_eq!(stats.buckets[6], 2); // ≤ 0.5 s
        assert_eq!(stats.buckets[10], 2); // ≤ 10 s; the 20 s one only in +Inf
    }

    #[test]
    fn this_process_is_read_on_linux() {
        let stats = ProcessStats::read();
        if cfg!(target_os = "linux") {
            assert!(stats.resident_bytes.is_some_and(|b| b > 0), "{stats:?}");
            assert!(stats.open_fds.is_some_and(|n| n > 0), "{stats:?}");
            assert!(stats.cpu_seconds.is_some(), "{stats:?}");
        }
    }
}
