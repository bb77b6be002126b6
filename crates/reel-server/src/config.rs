//! The server's configuration: one typed struct. Loading it (file < env < flags) is the
//! binary's job; this crate only consumes it.

use std::net::IpAddr;
use std::path::PathBuf;

use serde::Deserialize;

#[derive(Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address to listen on, e.g. `127.0.0.1:8080`; port 0 picks a free port.
    pub listen: String,
    /// Where the database lives, and the recordings unless `blob_url` puts them elsewhere.
    pub data_dir: PathBuf,
    /// Where the control data lives (organizations, projects, people, tokens, saved searches,
    /// dashboards, the audit log): `sqlite://DIR` (the default: `data_dir`'s reel.db) or
    /// `postgres://USER:PASSWORD@HOST:PORT/DB`, shared by every node. Recordings, events,
    /// search and charts stay in `data_dir`'s SQLite.
    pub database_url: Option<String>,
    /// Where charts are answered: `clickhouse://HOST:PORT/DATABASE` (ClickHouse's HTTP
    /// interface), shared by every node; each node hands the events it stores on to it. None:
    /// charts on `data_dir`'s SQLite.
    pub events_url: Option<String>,
    /// Where recordings' objects live: `file:///path` or `s3://bucket/prefix` (any
    /// S3-compatible store, reached with `s3`). None: `data_dir/objects`.
    pub blob_url: Option<String>,
    /// The S3 endpoint, region and credentials, from the standard `AWS_*` environment variables
    /// (never from the config file).
    #[serde(skip)]
    pub s3: reel_engine::store::S3Settings,
    /// The URL people and SDKs reach reel at, e.g. `https://reel.example.com`. With `https`,
    /// the login cookie is `Secure`.
    pub public_url: Option<String>,
    /// Proxies whose `X-Forwarded-For` / `X-Forwarded-Proto` headers are believed. Requests
    /// from any other address are taken at face value (their address is the peer's).
    pub trusted_proxies: Vec<IpAddr>,
    /// Largest request body accepted on ingestion routes, as sent (bytes).
    pub max_body_bytes: usize,
    /// Largest body after decompression, including packed events inside it (bytes).
    pub max_decompressed_bytes: usize,
    /// Most events one upload may carry (recordings, analytics, heatmaps); above it the SDK is
    /// told to halve its batch (413).
    pub max_events_per_upload: usize,
    /// JSON nesting depth of one recorded event; deeper events are skipped at ingest (players
    /// crash on DOMs nested tens of thousands deep). rrweb nests two levels per DOM level.
    pub max_event_depth: usize,
    /// Memory that request bodies being read and decoded may use together (bytes). A request
    /// that does not fit waits up to `memory_wait_ms`, then gets 503 with `Retry-After`.
    pub memory_budget_bytes: usize,
    pub memory_wait_ms: u64,
    /// Password checks (argon2, ~19 MiB and tens of ms each) running at once.
    pub max_concurrent_password_checks: usize,
    /// Failed logins allowed per client address and per account within
    /// `login_window_seconds` before 429.
    pub login_attempts_per_address: u32,
    pub login_attempts_per_account: u32,
    pub login_window_seconds: u64,
    /// Accounts and addresses each login limiter remembers at most (~120 bytes each); a new
    /// one evicts the one whose window started longest ago.
    pub login_limiter_entries: usize,
    /// Open connections at most; more are answered 503 and closed. Also kept below the
    /// process's file-descriptor limit.
    pub max_connections: usize,
    /// A client must send a request's headers within this many seconds of starting it, and an
    /// idle keep-alive connection is closed after it.
    pub header_timeout_seconds: u64,
    /// A request body must arrive within this many seconds.
    pub body_timeout_seconds: u64,
    /// How soon after an upload the processing stage looks at its session (signals).
    pub processing_delay_ms: u64,
    /// A session with no upload for this long is finished: its signals are settled to the end
    /// and its chunks are compacted into segments.
    pub compaction_idle_seconds: u64,
    /// A recording still receiving data is compacted up to its latest keyframe once its
    /// uncompacted part holds this many bytes of event JSON.
    pub compaction_open_bytes: usize,
    /// Objects replaced by compaction (or of a deleted replay) are deleted this long after the
    /// switch, so reads that started before it finish.
    pub replaced_object_grace_seconds: u64,
    /// No data for longer than this inside a session is a hole in its recording ("parts of this
    /// session weren't captured").
    pub gap_threshold_seconds: u64,
    /// The share of one core the processing stage may use; it pauses between sessions to keep
    /// to it, so ingestion keeps priority.
    pub processing_cpu_share: f64,
    /// How long this node's claim on a session's processing lasts (a lease in the shared work
    /// queue): when a node dies mid-run, another takes its sessions over after this long.
    pub processing_lease_seconds: u64,
    /// An object no database row names, older than this, is deleted by the orphan sweep.
    pub orphan_grace_seconds: u64,
    /// A MaxMind-format country database (GeoLite2-Country, GeoIP2-Country or -City `.mmdb`):
    /// the visitor's country is looked up from the client address. Takes precedence over
    /// `country_header`.
    pub country_database: Option<PathBuf>,
    /// A request header set by a trusted proxy that carries the client's ISO country code
    /// (e.g. `CF-IPCountry`), believed only on requests from `trusted_proxies`. Used when no
    /// `country_database` is set; with neither, country stays unknown.
    pub country_header: Option<String>,
    /// How long a browser login lasts (hours).
    pub session_ttl_hours: u64,
    /// Forces the first project's ingestion key.
    pub api_key: Option<String>,
    /// With `admin_password`: makes sure this admin exists with this password.
    pub admin_email: Option<String>,
    pub admin_password: Option<String>,
    /// A bearer token for the query API, owned by the admin. Changing it revokes the old one.
    pub admin_token: Option<String>,
    /// A project's ingestion limits unless it sets its own: events a second and bytes (as
    /// sent) a second; 0: no limit. Over a limit, uploads get 429 with `Retry-After`.
    pub ingest_events_per_second: u64,
    pub ingest_bytes_per_second: u64,
    /// Sessions an organization may capture a month unless it sets its own quota (none: no
    /// limit).
    pub monthly_session_quota: Option<i64>,
    /// Serve the demo shop at /demo.
    pub demo: bool,
}

impl Default for Config {
    fn default() -> Self {
        // What the engine does by default is the engine's to say; the server's own limits are here.
        let engine = reel_engine::Settings::default();
        Self {
            listen: "127.0.0.1:8080".into(),
            data_dir: PathBuf::from("reel-data"),
            database_url: None,
            events_url: None,
            blob_url: None,
            s3: Default::default(),
            public_url: None,
            trusted_proxies: Vec::new(),
            max_body_bytes: 10 * 1000 * 1000,
            max_decompressed_bytes: engine.max_decompressed_bytes,
            max_events_per_upload: engine.max_events_per_upload,
            max_event_depth: engine.max_event_depth,
            memory_budget_bytes: 384 * 1024 * 1024,
            memory_wait_ms: 3_000,
            max_concurrent_password_checks: 2,
            login_attempts_per_address: 20,
            login_attempts_per_account: 10,
            login_window_seconds: 300,
            login_limiter_entries: crate::ratelimit::MAX_ENTRIES,
            max_connections: 4_096,
            header_timeout_seconds: 30,
            body_timeout_seconds: 60,
            processing_delay_ms: engine.processing_delay_ms,
            compaction_idle_seconds: engine.compaction_idle_seconds,
            processing_cpu_share: engine.processing_cpu_share,
            processing_lease_seconds: engine.processing_lease_seconds,
            compaction_open_bytes: engine.compaction_open_bytes,
            gap_threshold_seconds: engine.gap_threshold_seconds,
            replaced_object_grace_seconds: engine.replaced_object_grace_seconds,
            orphan_grace_seconds: engine.orphan_grace_seconds,
            country_database: None,
            country_header: None,
            session_ttl_hours: 24 * 14,
            api_key: None,
            admin_email: None,
            admin_password: None,
            admin_token: None,
            ingest_events_per_second: 0,
            ingest_bytes_per_second: 0,
            monthly_session_quota: engine.monthly_session_quota,
            demo: false,
        }
    }
}

impl Config {
    /// Whether the public URL says reel is reached over TLS.
    pub fn public_url_is_https(&self) -> bool {
        self.public_url
            .as_deref()
            .is_some_and(|u| u.trim().to_ascii_lowercase().starts_with("https://"))
    }
}

/// Secrets never reach logs: `{:?}` of a configuration shows whether each is set, not its value.
impl Config {
    /// What the engine may do, from this configuration.
    pub fn engine_settings(&self) -> reel_engine::Settings {
        reel_engine::Settings {
            max_decompressed_bytes: self.max_decompressed_bytes,
            max_events_per_upload: self.max_events_per_upload,
            max_event_depth: self.max_event_depth,
            processing_delay_ms: self.processing_delay_ms,
            compaction_idle_seconds: self.compaction_idle_seconds,
            compaction_open_bytes: self.compaction_open_bytes,
            replaced_object_grace_seconds: self.replaced_object_grace_seconds,
            gap_threshold_seconds: self.gap_threshold_seconds,
            processing_cpu_share: self.processing_cpu_share,
            processing_lease_seconds: self.processing_lease_seconds,
            orphan_grace_seconds: self.orphan_grace_seconds,
            monthly_session_quota: self.monthly_session_quota,
        }
    }
}

impl std::fmt::Debug for Config {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let secret = |v: &Option<String>| if v.is_some() { "<set>" } else { "<unset>" };
        f.debug_struct("Config")
            .field("listen", &self.listen)
            .field("data_dir", &self.data_dir)
            .field(
                "database_url",
                &self.database_url.as_deref().map(redact_url),
            )
            .field("events_url", &self.events_url.as_deref().map(redact_url))
            .field("blob_url", &self.blob_url)
            .field("s3", &self.s3)
            .field("public_url", &self.public_url)
            .field("trusted_proxies", &self.trusted_proxies)
            .field("max_body_bytes", &self.max_body_bytes)
            .field("max_decompressed_bytes", &self.max_decompressed_bytes)
            .field("max_events_per_upload", &self.max_events_per_upload)
            .field("max_event_depth", &self.max_event_depth)
            .field("memory_budget_bytes", &self.memory_budget_bytes)
            .field("memory_wait_ms", &self.memory_wait_ms)
            .field(
                "max_concurrent_password_checks",
                &self.max_concurrent_password_checks,
            )
            .field(
                "login_attempts_per_address",
                &self.login_attempts_per_address,
            )
            .field(
                "login_attempts_per_account",
                &self.login_attempts_per_account,
            )
            .field("login_window_seconds", &self.login_window_seconds)
            .field("login_limiter_entries", &self.login_limiter_entries)
            .field("max_connections", &self.max_connections)
            .field("header_timeout_seconds", &self.header_timeout_seconds)
            .field("body_timeout_seconds", &self.body_timeout_seconds)
            .field("processing_delay_ms", &self.processing_delay_ms)
            .field("compaction_idle_seconds", &self.compaction_idle_seconds)
            .field("processing_cpu_share", &self.processing_cpu_share)
            .field("processing_lease_seconds", &self.processing_lease_seconds)
            .field("compaction_open_bytes", &self.compaction_open_bytes)
            .field("gap_threshold_seconds", &self.gap_threshold_seconds)
            .field(
                "replaced_object_grace_seconds",
                &self.replaced_object_grace_seconds,
            )
            .field("orphan_grace_seconds", &self.orphan_grace_seconds)
            .field("country_database", &self.country_database)
            .field("country_header", &self.country_header)
            .field("session_ttl_hours", &self.session_ttl_hours)
            .field("api_key", &secret(&self.api_key))
            .field("admin_email", &self.admin_email)
            .field("admin_password", &secret(&self.admin_password))
            .field("admin_token", &secret(&self.admin_token))
            .field("ingest_events_per_second", &self.ingest_events_per_second)
            .field("ingest_bytes_per_second", &self.ingest_bytes_per_second)
            .field("monthly_session_quota", &self.monthly_session_quota)
            .field("demo", &self.demo)
            .finish()
    }
}

/// A URL without the password it may carry (`postgres://user:secret@host/db` →
/// `postgres://user:<password>@host/db`), for logs and debug output.
pub fn redact_url(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let Some((credentials, host)) = rest.rsplit_once('@') else {
        return url.to_owned();
    };
    match credentials.split_once(':') {
        Some((user, _)) => format!("{scheme}://{user}:<password>@{host}"),
        None => url.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_hides_secrets() {
        let config = Config {
            api_key: Some("key-5ecret".into()),
            admin_password: Some("pass-5ecret".into()),
            admin_token: Some("token-5ecret".into()),
            admin_email: Some("a@b.c".into()),
            database_url: Some("postgres://reel:db-5ecret@db:5432/reel".into()),
            s3: reel_engine::store::S3Settings {
                access_key_id: Some("AKID".into()),
                secret_access_key: Some("s3-5ecret".into()),
                session_token: Some("tok-5ecret".into()),
                ..Default::default()
            },
            ..Default::default()
        };
        let shown = format!("{config:?} {config:#?}");
        assert!(!shown.contains("5ecret"), "{shown}");
        assert!(
            shown.contains("a@b.c") && shown.contains("<set>"),
            "{shown}"
        );
    }

    #[test]
    fn urls_lose_their_password() {
        for (url, shown) in [
            (
                "postgres://reel:s3cret@db:5432/reel",
                "postgres://reel:<password>@db:5432/reel",
            ),
            (
                "postgres://reel:p@ss@db/reel",
                "postgres://reel:<password>@db/reel",
            ),
            ("postgres://reel@db/reel", "postgres://reel@db/reel"),
            ("sqlite:///var/lib/reel", "sqlite:///var/lib/reel"),
            ("not a url", "not a url"),
        ] {
            assert_eq!(redact_url(url), shown, "{url}");
        }
    }
}
