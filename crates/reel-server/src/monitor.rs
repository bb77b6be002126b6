//! What ingestion did: requests, events and bytes accepted, throttled and rejected (by reason),
//! per project. Two views of the same counts:
//!
//! - per project and minute, for the Ingestion Monitor: kept in memory until the flush task
//!   writes them to the store (every 15 s), read back merged with what is not written yet, and
//!   pruned after a day and an hour;
//! - totals since the process started, for `/metrics` (`reel_ingest_…`).
//!
//! Memory is bounded by projects (keys that name none count under no project) × outcomes ×
//! reasons, plus the minutes between two flushes.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::Duration;

use reel_engine::store::{IngestCounts, IngestKey};

use crate::AppState;

/// What happened to a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Outcome {
    Accepted,
    Throttled,
    Rejected,
}

impl Outcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Accepted => "accepted",
            Self::Throttled => "throttled",
            Self::Rejected => "rejected",
        }
    }
}

/// Which endpoint a request came to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Endpoint {
    /// `/sessions/v2/track`: recordings and heatmaps.
    Replay,
    /// `/2/httpapi` and `/batch`.
    Events,
    /// `/config`.
    Config,
}

impl Endpoint {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Replay => "replay",
            Self::Events => "events",
            Self::Config => "config",
        }
    }
}

/// Totals since start, per (project, endpoint, outcome, reason); project `None`: a key that
/// names no project.
type TotalKey = (Option<i64>, Endpoint, Outcome, &'static str);

#[derive(Default)]
pub struct IngestMonitor {
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    pending: HashMap<IngestKey, IngestCounts>,
    totals: HashMap<TotalKey, IngestCounts>,
}

/// Pending minutes kept at most when the store cannot take them (a long outage drops the
/// oldest view of it, never memory).
const MAX_PENDING: usize = 100_000;

impl IngestMonitor {
    /// Counts one request.
    #[allow(clippy::too_many_arguments)]
    pub fn record(
        &self,
        project_id: Option<i64>,
        endpoint: Endpoint,
        outcome: Outcome,
        reason: &'static str,
        events: usize,
        bytes: usize,
        now_ms: i64,
    ) {
        let counts = IngestCounts {
            requests: 1,
            events: events as i64,
            bytes: bytes as i64,
        };
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state
            .totals
            .entry((project_id, endpoint, outcome, reason))
            .or_default()
            .add(counts);
        if let Some(project_id) = project_id
            && endpoint != Endpoint::Config
            && state.pending.len() < MAX_PENDING
        {
            state
                .pending
                .entry(IngestKey {
                    project_id,
                    minute: now_ms.div_euclid(60_000),
                    outcome: outcome.as_str().to_owned(),
                    reason: reason.to_owned(),
                })
                .or_default()
                .add(counts);
        }
    }

    /// The counts not written yet, taken.
    fn take_pending(&self) -> Vec<(IngestKey, IngestCounts)> {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state.pending.drain().collect()
    }

    /// Puts counts back that could not be written.
    fn restore(&self, counts: Vec<(IngestKey, IngestCounts)>) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        for (key, n) in counts {
            if state.pending.len() >= MAX_PENDING {
                break;
            }
            state.pending.entry(key).or_default().add(n);
        }
    }

    /// A project's counts not written yet.
    pub fn pending_of(&self, project_id: i64) -> Vec<(IngestKey, IngestCounts)> {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state
            .pending
            .iter()
            .filter(|(k, _)| k.project_id == project_id)
            .map(|(k, n)| (k.clone(), *n))
            .collect()
    }

    /// Every total since start, sorted.
    pub fn totals(&self) -> Vec<(TotalKey, IngestCounts)> {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let mut totals: Vec<_> = state.totals.iter().map(|(k, n)| (*k, *n)).collect();
        totals.sort_by_key(|(k, _)| *k);
        totals
    }
}

/// How often pending counts are written.
const FLUSH_EVERY: Duration = Duration::from_secs(15);
/// Minutes the store keeps: a day and an hour.
const KEEP_MINUTES: i64 = 25 * 60;

/// Writes pending counts every [`FLUSH_EVERY`] (and prunes old minutes) until dropped.
pub fn spawn_flush(state: AppState) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        loop {
            tokio::time::sleep(FLUSH_EVERY).await;
            flush(&state).await;
        }
    })
}

/// Writes the pending counts and prunes minutes older than the monitor shows.
pub async fn flush(state: &AppState) {
    let pending = state.monitor.take_pending();
    if let Err(e) = state.store().add_ingest_counts(pending.clone()).await {
        tracing::warn!(error = %e, "could not store ingestion counts; will retry");
        state.monitor.restore(pending);
        return;
    }
    let oldest = state.now_ms().div_euclid(60_000) - KEEP_MINUTES;
    if let Err(e) = state.store().prune_ingest_counts(oldest).await {
        tracing::warn!(error = %e, "could not prune ingestion counts");
    }
}
