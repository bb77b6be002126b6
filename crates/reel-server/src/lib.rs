//! reel's HTTP server. axum lives in this crate only.
//!
//! - `routes::ingest`: the Amplitude-compatible ingestion endpoints (replay uploads, remote
//!   config, HTTP API events), with CORS for browsers on other origins.
//! - `routes::api`, `routes::search`, `routes::replays`: the query API under `/api/v1` (login,
//!   tokens, searching replays, saved searches, cohorts, one replay and its events), described
//!   by `/api/v1/openapi.json`, generated from [`api_types`] (`routes::openapi`).
//! - `routes::assets`: the embedded UI, SDK and demo shop.
//! - [`pipeline`]: parsing and storing uploads, shared with the demo seeder.
//!
//! [`Application::build`] opens storage, bootstraps the first organization and binds the
//! listener; production and tests start the server the same way.

pub mod api_types;
pub mod auth;
pub mod body;
pub mod bootstrap;
pub mod budget;
pub mod client;
pub mod compaction;
pub mod config;
pub mod country;
pub mod definitions;
pub mod dictionaries;
pub mod error;
pub mod maintenance;
pub mod pipeline;
pub mod processing;
pub mod ratelimit;
pub mod recording;
mod routes;
pub mod serve;

use std::net::SocketAddr;
use std::sync::Arc;

use reel_store::{Blobs, MetaStore, SqliteStore};
use tokio::net::TcpListener;

pub use bootstrap::BootstrapReport;
pub use config::Config;

/// Shared by every handler.
#[derive(Clone)]
pub struct AppState {
    pub meta: Arc<dyn MetaStore>,
    pub blobs: Blobs,
    pub config: Arc<Config>,
    pub dictionaries: dictionaries::DictionaryCache,
    /// Memory that request bodies and their decoding may use, across all requests.
    pub budget: budget::MemoryBudget,
    pub login: Arc<auth::LoginGuard>,
    /// Wakes the processing stage when an upload committed new data.
    pub work: Arc<tokio::sync::Notify>,
    /// Decoded pieces of segments.
    pub pieces: compaction::PieceCache,
    /// The country database, when one is configured.
    pub countries: Option<Arc<country::Countries>>,
}

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot use data directory {path}: {source}")]
    DataDir {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot open storage: {0}")]
    Store(#[from] reel_store::StoreError),
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
        let state = open_state(config)?;
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
        if let Err(e) = compaction::settle_objects(&self.state, true).await {
            tracing::warn!(error = %e, "could not settle objects left by a crash; will retry");
        }
        let housekeeping = maintenance::spawn(self.state.clone());
        let processing = processing::spawn(self.state.clone());
        let meta = self.state.meta.clone();
        let router = routes::router(self.state);
        let served = serve::serve(self.listener, router, limits, shutdown).await;
        housekeeping.abort();
        processing.abort();
        // Requests still running past the grace period: their reads and searches stop now.
        meta.close();
        served
    }
}

/// Opens storage under `config.data_dir` (creating it, applying migrations) without binding a
/// listener: for the server and for commands that work on the data directly.
pub fn open_state(config: Config) -> Result<AppState, StartError> {
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
    let meta = SqliteStore::open(&dir.join("reel.db"))?;
    let blobs = Blobs::local(&dir.join("objects"))?;
    let budget = budget::MemoryBudget::new(
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
    Ok(AppState {
        meta: Arc::new(meta),
        blobs,
        config: Arc::new(config),
        dictionaries: Default::default(),
        budget,
        login,
        work: Default::default(),
        pieces: Default::default(),
        countries,
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

pub(crate) fn now_ms() -> i64 {
    chrono::Utc::now().timestamp_millis()
}
