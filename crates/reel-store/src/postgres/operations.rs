//! The audit log, monthly usage and ingestion counts on PostgreSQL: the control side of
//! [`crate::OperationsStore`]. `has_recording` reads recordings, which stay with the events'
//! backend, so `PgStore` does not implement that trait: these are inherent methods with the
//! trait's signatures, for the store that routes each method to its backend.

use super::PgStore;
use crate::{AuditEntry, AuditQuery, IngestCounts, IngestKey, NewAuditEntry, Result};

impl PgStore {
    pub async fn add_audit(&self, e: NewAuditEntry) -> Result<()> {
        let c = self.pool.get().await?;
        c.execute(
            "INSERT INTO audit_log (organization_id, project_id, actor_user_id, actor, action,
                                    target, detail, at_ms)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
            &[
                &e.organization_id,
                &e.project_id,
                &e.actor_user_id,
                &e.actor,
                &e.action,
                &e.target,
                &e.detail,
                &e.at_ms,
            ],
        )
        .await?;
        Ok(())
    }

    /// Lines of the audit log, newest first.
    pub async fn audit_log(&self, q: AuditQuery) -> Result<Vec<AuditEntry>> {
        let c = self.pool.get().await?;
        let limit = i64::try_from(q.limit).unwrap_or(i64::MAX);
        let rows = c
            .query(
                "SELECT id, organization_id, project_id, actor_user_id, actor, action, target,
                        detail, at_ms
                 FROM audit_log
                 WHERE organization_id = $1 AND ($2::BIGINT IS NULL OR project_id = $2)
                   AND ($3::BIGINT IS NULL OR id < $3)
                 ORDER BY id DESC LIMIT $4",
                &[&q.organization_id, &q.project_id, &q.before_id, &limit],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| AuditEntry {
                id: r.get(0),
                entry: NewAuditEntry {
                    organization_id: r.get(1),
                    project_id: r.get(2),
                    actor_user_id: r.get(3),
                    actor: r.get(4),
                    action: r.get(5),
                    target: r.get(6),
                    detail: r.get(7),
                    at_ms: r.get(8),
                },
            })
            .collect())
    }

    /// Sessions the organization captured in `month` (`YYYY-MM`, UTC).
    pub async fn sessions_captured(&self, organization_id: i64, month: &str) -> Result<i64> {
        let c = self.pool.get().await?;
        let row = c
            .query_opt(
                "SELECT sessions FROM monthly_usage WHERE organization_id = $1 AND month = $2",
                &[&organization_id, &month],
            )
            .await?;
        Ok(row.map_or(0, |r| r.get(0)))
    }

    /// Counts one newly captured session of the organization in `month` (`YYYY-MM`, UTC): what
    /// SQLite does inside the upload that first records a session, called by the store that
    /// routes uploads once the recordings' side said the session is new.
    pub async fn count_session_captured(&self, organization_id: i64, month: &str) -> Result<()> {
        let c = self.pool.get().await?;
        c.execute(
            "INSERT INTO monthly_usage (organization_id, month, sessions) VALUES ($1, $2, 1)
             ON CONFLICT (organization_id, month)
             DO UPDATE SET sessions = monthly_usage.sessions + 1",
            &[&organization_id, &month],
        )
        .await?;
        Ok(())
    }

    /// Adds counts to what is stored per project, minute, outcome and reason.
    pub async fn add_ingest_counts(
        &self,
        mut counts: Vec<(IngestKey, IngestCounts)>,
    ) -> Result<()> {
        if counts.is_empty() {
            return Ok(());
        }
        // Rows locked in one order by every node: two nodes adding the same minutes cannot
        // deadlock.
        counts.sort_by(|a, b| a.0.cmp(&b.0));
        let mut c = self.pool.get().await?;
        let tx = c.transaction().await?;
        let add = tx
            .prepare(
                "INSERT INTO ingest_minutes (project_id, minute, outcome, reason, requests, events,
                                             bytes)
                 VALUES ($1, $2, $3, $4, $5, $6, $7)
                 ON CONFLICT (project_id, minute, outcome, reason) DO UPDATE SET
                    requests = ingest_minutes.requests + excluded.requests,
                    events = ingest_minutes.events + excluded.events,
                    bytes = ingest_minutes.bytes + excluded.bytes",
            )
            .await?;
        for (k, n) in &counts {
            tx.execute(
                &add,
                &[
                    &k.project_id,
                    &k.minute,
                    &k.outcome,
                    &k.reason,
                    &n.requests,
                    &n.events,
                    &n.bytes,
                ],
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    /// The project's counts from `since_minute` on, by minute (then outcome and reason in
    /// SQLite's byte order).
    pub async fn ingest_counts(
        &self,
        project_id: i64,
        since_minute: i64,
    ) -> Result<Vec<(IngestKey, IngestCounts)>> {
        let c = self.pool.get().await?;
        let rows = c
            .query(
                "SELECT minute, outcome, reason, requests, events, bytes FROM ingest_minutes
                 WHERE project_id = $1 AND minute >= $2
                 ORDER BY minute, outcome COLLATE \"C\", reason COLLATE \"C\"",
                &[&project_id, &since_minute],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| {
                (
                    IngestKey {
                        project_id,
                        minute: r.get(0),
                        outcome: r.get(1),
                        reason: r.get(2),
                    },
                    IngestCounts {
                        requests: r.get(3),
                        events: r.get(4),
                        bytes: r.get(5),
                    },
                )
            })
            .collect())
    }

    /// Deletes counts of minutes before `before_minute`; returns how many rows went.
    pub async fn prune_ingest_counts(&self, before_minute: i64) -> Result<usize> {
        let c = self.pool.get().await?;
        Ok(c.execute(
            "DELETE FROM ingest_minutes WHERE minute < $1",
            &[&before_minute],
        )
        .await? as usize)
    }
}
