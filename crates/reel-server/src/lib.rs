//! reel's HTTP server. axum lives in this crate only.
//!
//! - `routes::ingest`: the Amplitude-compatible ingestion endpoints (replay uploads, remote
//!   config, HTTP API events), with CORS for browsers on other origins.
//! - `routes::api`, `routes::search`, `routes::replays`: the query API under `/api/v1` (login,
//!   tokens, searching replays, saved searches, cohorts, one replay and its events), described
//!   by `/api/v1/openapi.json`, generated from [`api_types`] (`routes::openapi`).
//! - `routes::projects`, `routes::people`, `routes::operations`: projects (keys, settings,
//!   deletion on request, the portfolio), people (accounts, roles, invitations), and what
//!   operators watch (audit log, Plans & Billing, Ingestion Monitor); `/metrics` (`metrics.rs`,
//!   fed by `monitor.rs`). Every permission is `permissions.rs`'s; ingestion limits are
//!   `throttle.rs`'s.
//! - `routes::assets`: the embedded UI, SDK and demo shop.
//!
//! What happens to recordings — ingest, analysis, compaction, reading back — is
//! [`reel_engine`]'s; this crate maps its errors to HTTP (`error.rs`, the one table).
//!
//! [`Application::build`] opens storage, bootstraps the first organization and binds the
//! listener; production and tests start the server the same way.

pub mod analytics_types;
pub mod api_types;
pub mod audit;
pub mod auth;
pub mod body;
pub mod bootstrap;
pub mod client;
pub mod config;
pub mod country;
pub mod error;
pub mod metrics;
pub mod monitor;
pub mod permissions;
pub mod ratelimit;
mod routes;
pub mod serve;
pub mod throttle;

use std::net::SocketAddr;
use std::sync::Arc;

use reel_engine::budget::MemoryBudget;
use reel_engine::store::{MetaStore, StoreError};
use reel_engine::{Clock, Engine};
use tokio::net::TcpListener;

pub use bootstrap::BootstrapReport;
pub use config::Config;
pub use reel_engine::store::S3Settings;

/// Shared by every handler.
#[derive(Clone)]
pub struct AppState {
    pub engine: Engine,
    pub config: Arc<Config>,
    /// Memory that request bodies and their decoding may use, across all requests.
    pub budget: MemoryBudget,
    pub login: Arc<auth::LoginGuard>,
    /// The country database, when one is configured.
    pub countries: Option<Arc<country::Countries>>,
    /// Ingestion limits per project.
    pub throttle: Arc<throttle::Throttle>,
    /// What ingestion accepted, throttled and rejected.
    pub monitor: Arc<monitor::IngestMonitor>,
    /// HTTP requests and connections, for `/metrics`.
    pub metrics: Arc<metrics::HttpMetrics>,
    /// When the process started (Unix seconds), for `/metrics`.
    pub started_unix_s: u64,
}

impl AppState {
    pub fn store(&self) -> &Arc<dyn MetaStore> {
        self.engine.store()
    }

    pub fn now_ms(&self) -> i64 {
        self.engine.now_ms()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot use data directory {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot open storage: {0}")]
    Store(#[from] StoreError),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: String,
        source: std::io::Error,
    },
    #[error("{0}")]
    Config(String),
}

pub struct Application {
    listener: TcpListener,
    state: AppState,
    bootstrap: BootstrapReport,
}

impl Application {
    /// Opens storage under `config.data_dir`, applies migrations, creates the first
    /// organization if there is none, and binds the listener (port 0 picks a free port).
    pub async fn build(config: Config) -> Result<Self, StartError> {
        Self::build_with_clock(config, Arc::new(reel_engine::SystemClock)).await
    }

    /// [`Application::build`] with a clock of the caller's (tests move time with a
    /// [`reel_engine::ManualClock`]).
    pub async fn build_with_clock(
        config: Config,
        clock: Arc<dyn Clock>,
    ) -> Result<Self, StartError> {
        let state = open_state(config, clock).await?;
        let bootstrap = bootstrap::run(&state).await?;
        let addr = state.config.listen.clone();
        let listener = TcpListener::bind(&addr)
            .await
            .map_err(|source| StartError::Listen { addr, source })?;
        Ok(Self {
            listener,
            state,
            bootstrap,
        })
    }

    pub fn local_addr(&self) -> SocketAddr {
        self.listener
            .local_addr()
            .expect("a bound listener has an address")
    }

    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// What the first start created, for printing.
    pub fn bootstrap(&self) -> &BootstrapReport {
        &self.bootstrap
    }

    /// Serves until `shutdown` resolves, then lets in-flight requests finish for up to
    /// [`serve::SHUTDOWN_GRACE`] and stops the reads and searches still running after it.
    pub async fn run_until(
        self,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> std::io::Result<()> {
        let config = self.state.config.clone();
        let (max_connections, open_files) = serve::connection_capacity(config.max_connections);
        tracing::info!(max_connections, open_files, "accepting connections");
        let limits = serve::ConnectionLimits {
            max_connections,
            header_timeout: std::time::Duration::from_secs(config.header_timeout_seconds.max(1)),
        };
        // What a crash left half-done: intended objects never committed, due deletions.
        let engine = self.state.engine.clone();
        if let Err(e) = engine.settle_objects(true).await {
            tracing::warn!(error = %e, "could not settle objects left by a crash; will retry");
        }
        let housekeeping = engine.spawn_housekeeping();
        let processing = engine.spawn_processing();
        let feed = engine.spawn_feed();
        let monitor_flush = monitor::spawn_flush(self.state.clone());
        let meta = engine.store().clone();
        let gauges = self.state.metrics.clone();
        let router = routes::router(self.state.clone());
        let served = serve::serve(self.listener, router, limits, gauges, shutdown).await;
        housekeeping.abort();
        processing.abort();
        feed.abort();
        monitor_flush.abort();
        // What the monitor counted since the last flush is kept.
        monitor::flush(&self.state).await;
        // Requests still running past the grace period: their reads and searches stop now.
        meta.close();
        served
    }
}

/// Opens storage under `config.data_dir` (creating it, applying migrations) and the objects at
/// `config.blob_url` (checking an S3 store answers) without binding a listener: for the server
/// and for commands that work on the data directly.
pub async fn open_state(config: Config, clock: Arc<dyn Clock>) -> Result<AppState, StartError> {
    let dir = &config.data_dir;
    if dir.exists() && !dir.is_dir() {
        return Err(StartError::Config(format!(
            "the data directory {} is a file, not a directory: choose another path with --data-dir",
            dir.display()
        )));
    }
    std::fs::create_dir_all(dir).map_err(|source| StartError::DataDir {
        path: dir.display().to_string(),
        source,
    })?;
    let blob_url = match &config.blob_url {
        Some(url) => url.clone(),
        None => format!("file://{}", dir.join("objects").display()),
    };
    let blobs = reel_engine::store::Blobs::open(&blob_url, &config.s3)
        .await
        .map_err(StartError::Config)?;
    let engine = Engine::open(
        dir,
        config.database_url.as_deref(),
        config.events_url.as_deref(),
        blobs,
        clock,
        config.engine_settings(),
    )
    .await?;
    let budget = MemoryBudget::new(
        config.memory_budget_bytes,
        std::time::Duration::from_millis(config.memory_wait_ms),
    );
    let login = Arc::new(auth::LoginGuard::new(&config));
    let countries = match &config.country_database {
        Some(path) => Some(Arc::new(
            country::Countries::open(path).map_err(StartError::Config)?,
        )),
        None => None,
    };
    let started_unix_s = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    Ok(AppState {
        engine,
        config: Arc::new(config),
        budget,
        login,
        countries,
        throttle: Default::default(),
        monitor: Default::default(),
        metrics: Default::default(),
        started_unix_s,
    })
}

/// The path of every file embedded in the binary (`/assets/…` for the UI, `/sdk/reel.js`
/// served at `/sdk.js`, `/demo/…` in demo mode).
pub fn embedded_paths() -> Vec<&'static str> {
    routes::assets::embedded_paths().collect()
}

/// The query API's OpenAPI document (what `/api/v1/openapi.json` serves).
pub fn openapi_json() -> &'static str {
    routes::openapi::document_json()
}
