//! Keeping data only as long as a project says, and deleting one person's data on request.
//!
//! The retention job ([`Engine::apply_retention`], run by the housekeeping task five minutes
//! after start and every hour) deletes, per project, every session whose last data is older than the project's
//! retention — its recording's objects (after the grace period reads in flight need), the
//! pieces no other segment uses, its events, facts, text — and events and user properties that
//! belong to no session and are as old. [`Engine::erase`] deletes everything of one user id or
//! device id. Both work in batches, each a short transaction of its own, so uploads are never
//! held up for long; a deletion stopped half way (a restart) is finished by running it again.
//! With `events_url`, each batch is deleted from ClickHouse first (charts' tables and replay
//! search's), so a failure there leaves it here for the next run.

use reel_store::{Erased, StoreError, Subject};

use crate::Engine;

/// Retention in days: the default for new projects, and the bounds a project may choose.
pub const DEFAULT_RETENTION_DAYS: i64 = 30;
pub const MIN_RETENTION_DAYS: i64 = 1;
pub const MAX_RETENTION_DAYS: i64 = 730;

const DAY_MS: i64 = 86_400_000;
/// Sessions deleted per transaction.
const SESSION_BATCH: usize = 100;
/// Events and user properties deleted per transaction.
const ROW_BATCH: usize = 5_000;

/// What one run of the retention job deleted.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct RetentionReport {
    pub projects: usize,
    pub erased: Erased,
}

impl Engine {
    /// Deletes what every project keeps past its retention (see the module).
    pub async fn apply_retention(&self) -> Result<RetentionReport, StoreError> {
        let mut report = RetentionReport::default();
        for project in self.store().projects().await? {
            let days = project
                .retention_days
                .clamp(MIN_RETENTION_DAYS, MAX_RETENTION_DAYS);
            let cutoff = self.now_ms().saturating_sub(days * DAY_MS);
            loop {
                let expired = self
                    .store()
                    .expired_sessions(project.id, cutoff, SESSION_BATCH)
                    .await?;
                if expired.is_empty() {
                    break;
                }
                // ClickHouse first: a failure there leaves the sessions here for the next run.
                if let Some(ch) = self.clickhouse() {
                    ch.delete_sessions(&expired).await?;
                }
                if let Some(search) = self.clickhouse_search() {
                    search.delete_sessions(&expired).await?;
                }
                let erased = self
                    .store()
                    .delete_sessions(expired, self.object_deletion_time())
                    .await?;
                report.erased.add(erased);
            }
            if let Some(ch) = self.clickhouse() {
                loop {
                    let rest = ch
                        .delete_expired_rest(project.id, cutoff, ROW_BATCH)
                        .await?;
                    if rest.is_empty() {
                        break;
                    }
                }
            }
            if let Some(search) = self.clickhouse_search() {
                loop {
                    let rest = search
                        .delete_expired_rest(project.id, cutoff, ROW_BATCH)
                        .await?;
                    if rest.is_empty() {
                        break;
                    }
                }
            }
            loop {
                let rest = self
                    .store()
                    .delete_expired_rest(project.id, cutoff, ROW_BATCH)
                    .await?;
                if rest.is_empty() {
                    break;
                }
                report.erased.add(rest);
            }
            report.projects += 1;
        }
        Ok(report)
    }

    /// Deletes everything of `subject` in the project: its sessions with their recordings,
    /// events and text, its other events, its user properties.
    pub async fn erase(&self, project_id: i64, subject: &Subject) -> Result<Erased, StoreError> {
        let mut erased = Erased::default();
        loop {
            let sessions = self
                .store()
                .sessions_of(project_id, subject, SESSION_BATCH)
                .await?;
            if sessions.is_empty() {
                break;
            }
            if let Some(ch) = self.clickhouse() {
                ch.delete_sessions(&sessions).await?;
            }
            if let Some(search) = self.clickhouse_search() {
                search.delete_sessions(&sessions).await?;
            }
            let deleted = self
                .store()
                .delete_sessions(sessions, self.object_deletion_time())
                .await?;
            if deleted.sessions == 0 {
                // Found but gone already (a concurrent deletion): nothing more to do here.
                break;
            }
            erased.add(deleted);
        }
        if let Some(ch) = self.clickhouse() {
            ch.delete_subject_rest(project_id, subject).await?;
        }
        if let Some(search) = self.clickhouse_search() {
            search.delete_subject_rest(project_id, subject).await?;
        }
        erased.add(
            self.store()
                .delete_subject_rest(project_id, subject)
                .await?,
        );
        Ok(erased)
    }

    /// When objects of sessions deleted now may go: after the grace reads in flight need.
    fn object_deletion_time(&self) -> i64 {
        let grace_ms = i64::try_from(
            self.settings()
                .replaced_object_grace_seconds
                .saturating_mul(1000),
        )
        .unwrap_or(i64::MAX);
        self.now_ms().saturating_add(grace_ms)
    }
}
