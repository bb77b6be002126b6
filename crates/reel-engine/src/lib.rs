//! reel's engine: what happens to a recording between the wire and the screen, with no HTTP.
//!
//! - [`ingest`]: an upload decoded, cut into chunks at keyframes, compressed, written and
//!   committed in one hop to a blocking thread; analytics events ([`analytics`]) and heatmap
//!   uploads; the memory budget they are decoded within ([`budget`]).
//! - [`analysis`]: the processing stage after an upload's answer — facts, frustration
//!   signals, derived events and on-screen text from the signals analyzer — and `reprocess`.
//! - [`compaction`]: idle sessions' chunks rewritten into segments with shared pieces.
//! - [`reader`]: a recording read back in time order, whole or from a keyframe, with the caches
//!   of decoded pieces and old dictionaries; [`encoding`]: answers compressed off the async
//!   threads.
//! - [`sweep`]: objects no row names, and objects due for deletion; the housekeeping task that
//!   also runs [`retention`] (sessions past a project's retention; a person's data on request).
//! - [`signal_settings`]: a project's definitions of frustration signals;
//!   [`replay_settings`]: what its SDKs capture, and the remote configuration that says so.
//! - [`quota`]: the monthly captured-session quota of an organization.
//!
//! The engine takes store handles and a [`Clock`] ([`Engine::new`]); the server maps its
//! errors ([`IngestError`], [`ReadError`]) to HTTP in its one error table.

pub mod analysis;
pub mod analytics;
pub mod budget;
pub mod compaction;
mod dictionaries;
pub mod encoding;
mod error;
pub mod feed;
pub mod ingest;
pub mod quota;
pub mod reader;
pub mod replay_settings;
pub mod retention;
pub mod signal_settings;
pub mod sweep;

use std::path::Path;
use std::sync::Arc;

pub use error::{IngestError, ReadError};
pub use reel_model::{Clock, ManualClock, ReplayId, SessionFacts, SystemClock};
/// The player's timeline, as the analyzer's parser reads it.
pub use reel_rrweb::timeline;
/// The store's traits and types, as the engine's callers see them.
pub use reel_store as store;

use reel_store::{Blobs, MetaStore, SqliteStore, StoreError};

/// What the engine may do, from the server's configuration.
#[derive(Debug, Clone)]
pub struct Settings {
    /// Largest upload after decompression, packed events included (bytes).
    pub max_decompressed_bytes: usize,
    /// Most events in one upload.
    pub max_events_per_upload: usize,
    /// JSON nesting depth of one recorded event; deeper events are skipped.
    pub max_event_depth: usize,
    /// How soon after an upload the processing stage looks at its session.
    pub processing_delay_ms: u64,
    /// A session with no upload for this long is finished: settled and compacted.
    pub compaction_idle_seconds: u64,
    /// A recording still receiving data is compacted up to its latest keyframe past this many
    /// bytes of uncompacted event JSON.
    pub compaction_open_bytes: usize,
    /// Replaced objects are deleted this long after the switch.
    pub replaced_object_grace_seconds: u64,
    /// No data for longer than this inside a session is a hole in its recording.
    pub gap_threshold_seconds: u64,
    /// The share of one core the processing stage may use.
    pub processing_cpu_share: f64,
    /// How long a node's claim on a session's processing lasts: another node takes the
    /// session over once it has passed (the first died, or its run outlived the lease).
    pub processing_lease_seconds: u64,
    /// An object no row names, older than this, is deleted by the sweep.
    pub orphan_grace_seconds: u64,
    /// Sessions an organization may capture a month unless it sets its own quota (none: no
    /// limit).
    pub monthly_session_quota: Option<i64>,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            max_decompressed_bytes: 32_000_000,
            max_events_per_upload: 20_000,
            max_event_depth: 1_000,
            processing_delay_ms: 2_000,
            compaction_idle_seconds: 1_800,
            compaction_open_bytes: 32 << 20,
            replaced_object_grace_seconds: 300,
            gap_threshold_seconds: 300,
            processing_cpu_share: 0.5,
            processing_lease_seconds: 120,
            orphan_grace_seconds: 3_600,
            monthly_session_quota: None,
        }
    }
}

/// The engine, cheap to clone: every clone shares the store, the caches and the queue signal.
#[derive(Clone)]
pub struct Engine(Arc<Inner>);

struct Inner {
    store: Arc<dyn MetaStore>,
    blobs: Blobs,
    clock: Arc<dyn Clock>,
    settings: Settings,
    /// Wakes the processing stage when an upload committed new data.
    work: tokio::sync::Notify,
    /// This process's name in the processing queue's leases.
    node: String,
    /// Where charts are answered and this node's events handed on (`events_url`).
    clickhouse: Option<Arc<reel_store::clickhouse::ClickHouseEvents>>,
    /// Where replay search is answered and this node's replays handed on (`events_url`).
    clickhouse_search: Option<Arc<reel_store::clickhouse::ClickHouseSearch>>,
    pieces: reader::PieceCache,
    dictionaries: dictionaries::DictionaryCache,
}

/// A name for this process that no other running node has: the host, the process id and the
/// start time in nanoseconds.
fn node_name() -> String {
    let host = std::fs::read_to_string("/proc/sys/kernel/hostname")
        .ok()
        .map(|h| h.trim().to_owned())
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| "node".to_owned());
    let started = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_nanos())
        .unwrap_or_default();
    format!("{host}:{}:{started:x}", std::process::id())
}

impl Engine {
    pub fn new(
        store: Arc<dyn MetaStore>,
        blobs: Blobs,
        clock: Arc<dyn Clock>,
        settings: Settings,
    ) -> Self {
        Self(Arc::new(Inner {
            store,
            blobs,
            clock,
            settings,
            work: tokio::sync::Notify::new(),
            node: node_name(),
            clickhouse: None,
            clickhouse_search: None,
            pieces: Default::default(),
            dictionaries: Default::default(),
        }))
    }

    /// The store `database_url` names, with the objects in `blobs`: without one (or with
    /// `sqlite://DIR`) the embedded SQLite at `data_dir/reel.db`, created if missing, migrations applied; with
    /// `postgres://…` the control data in PostgreSQL and recordings, events, search and charts
    /// in `data_dir`'s SQLite ([`reel_store::SplitStore`]). With `events_url`
    /// (`clickhouse://…`), charts and replay search are answered by ClickHouse, which this
    /// node's events and replays are handed on to ([`feed`]).
    pub async fn open(
        data_dir: &Path,
        database_url: Option<&str>,
        events_url: Option<&str>,
        blobs: Blobs,
        clock: Arc<dyn Clock>,
        settings: Settings,
    ) -> Result<Self, StoreError> {
        let url = database_url.map(str::trim).unwrap_or("");
        let store: Arc<dyn MetaStore> = if url.is_empty() {
            Arc::new(SqliteStore::open(&data_dir.join("reel.db"))?)
        } else if let Some(dir) = url.strip_prefix("sqlite://") {
            let dir = if dir.is_empty() {
                data_dir
            } else {
                Path::new(dir)
            };
            Arc::new(SqliteStore::open(&dir.join("reel.db"))?)
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            let control = reel_store::PgStore::connect(url).await?;
            let events = SqliteStore::open(&data_dir.join("reel.db"))?;
            Arc::new(reel_store::SplitStore::new(control, events).await?)
        } else {
            return Err(StoreError::Invalid(
                "database_url must be sqlite://DIR or postgres://USER:PASSWORD@HOST:PORT/DB".into(),
            ));
        };
        let (clickhouse, clickhouse_search) = match events_url.map(str::trim).unwrap_or("") {
            "" => (None, None),
            url if url.starts_with("clickhouse://") => (
                Some(Arc::new(
                    reel_store::clickhouse::ClickHouseEvents::open(url).await?,
                )),
                Some(Arc::new(
                    reel_store::clickhouse::ClickHouseSearch::open(url).await?,
                )),
            ),
            _ => {
                return Err(StoreError::Invalid(
                    "events_url must be clickhouse://HOST:PORT/DATABASE (ClickHouse's HTTP interface)"
                        .into(),
                ));
            }
        };
        let mut engine = Self::new(store, blobs, clock, settings);
        let inner = Arc::get_mut(&mut engine.0).expect("a new engine is not shared yet");
        inner.clickhouse = clickhouse;
        inner.clickhouse_search = clickhouse_search;
        Ok(engine)
    }

    pub fn store(&self) -> &Arc<dyn MetaStore> {
        &self.0.store
    }

    pub fn blobs(&self) -> &Blobs {
        &self.0.blobs
    }

    pub fn settings(&self) -> &Settings {
        &self.0.settings
    }

    /// This process's name in the processing queue's leases.
    pub fn node(&self) -> &str {
        &self.0.node
    }

    pub fn now_ms(&self) -> i64 {
        self.0.clock.now_ms()
    }

    fn wake_processing(&self) {
        self.0.work.notify_one();
    }
}
