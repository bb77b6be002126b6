//! Housekeeping that runs beside the server, never between an upload and its answer: the
//! orphan sweep and the retention job every hour, deletions of replaced objects every 15 s.
//!
//! The orphan sweep: objects are written before the rows that name them, so a crash in between
//! leaves an object no row names (harmless, but it takes disk). The sweep deletes such objects
//! once they are older than the grace period — far longer than any upload takes between its
//! object write and its commit, so an upload in flight never loses its object.

use std::time::Duration;

use reel_store::StoreError;

use crate::Engine;

/// Where recordings and their dictionaries live; anything there should be named by a row.
const SWEPT_PREFIXES: &[&str] = &["recordings", "dictionaries"];
/// Keys asked about per database round trip.
const BATCH: usize = 500;
const SWEEP_EVERY: Duration = Duration::from_secs(3600);
/// The retention job runs this long after start (a restart loop does not run it over and over;
/// an operator who just raised a retention has time to restart with it), then every hour.
const RETENTION_FIRST_AFTER: Duration = Duration::from_secs(300);
const RETENTION_EVERY: Duration = Duration::from_secs(3600);

#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct SweepReport {
    /// Objects old enough to be judged.
    pub examined: usize,
    pub removed: usize,
    /// Half-written files a crash left behind.
    pub staging_removed: usize,
}

impl Engine {
    /// Deletes objects no row names that are older than the configured grace period.
    pub async fn sweep_orphans(&self) -> Result<SweepReport, StoreError> {
        let grace_ms = i64::try_from(self.settings().orphan_grace_seconds.saturating_mul(1000))
            .unwrap_or(i64::MAX);
        let cutoff = self.now_ms().saturating_sub(grace_ms);
        let blobs = self.blobs();
        let mut report = SweepReport::default();
        for prefix in SWEPT_PREFIXES {
            let keys = blobs.keys_older_than(prefix, cutoff).await?;
            report.examined += keys.len();
            for batch in keys.chunks(BATCH) {
                for orphan in self.store().unreferenced_objects(batch.to_vec()).await? {
                    blobs.delete(&orphan).await?;
                    tracing::info!(object = %orphan, "removed an object no row names");
                    report.removed += 1;
                }
            }
        }
        report.staging_removed = blobs.remove_stale_staging(cutoff).await?;
        Ok(report)
    }

    /// Runs the sweep at start and every hour, the retention job five minutes after start and
    /// every hour, and deletes objects that compaction or a deleted replay left for deletion,
    /// until the task is dropped.
    pub fn spawn_housekeeping(&self) -> tokio::task::JoinHandle<()> {
        let engine = self.clone();
        tokio::spawn(async move {
            let mut next_sweep = tokio::time::Instant::now();
            let mut next_retention = tokio::time::Instant::now() + RETENTION_FIRST_AFTER;
            loop {
                if tokio::time::Instant::now() >= next_sweep {
                    match engine.sweep_orphans().await {
                        Ok(report) if report.removed + report.staging_removed > 0 => {
                            tracing::info!(?report, "orphan sweep done");
                        }
                        Ok(_) => {}
                        Err(e) => {
                            tracing::warn!(error = %e, "orphan sweep failed; next try in an hour")
                        }
                    }
                    next_sweep += SWEEP_EVERY;
                }
                if tokio::time::Instant::now() >= next_retention {
                    match engine.apply_retention().await {
                        Ok(report) if !report.erased.is_empty() => {
                            tracing::info!(?report, "deleted data past its retention");
                        }
                        Ok(_) => {}
                        Err(e) => {
                            tracing::warn!(error = %e, "retention job failed; next try in an hour")
                        }
                    }
                    next_retention += RETENTION_EVERY;
                }
                if let Err(e) = engine.settle_objects(false).await {
                    tracing::warn!(error = %e, "deleting replaced objects failed; will retry");
                }
                tokio::time::sleep(SETTLE_EVERY).await;
            }
        })
    }

    /// Resolves objects a crash left on their way in or out (see
    /// [`crate::compaction::settle_objects`]).
    pub async fn settle_objects(&self, at_start: bool) -> Result<usize, String> {
        crate::compaction::settle_objects(self, at_start).await
    }
}

/// Deletes replaced objects whose time has come, this often.
const SETTLE_EVERY: Duration = Duration::from_secs(15);
