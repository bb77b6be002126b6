//! The audit log, monthly usage and ingestion counts ([`OperationsStore`]).

use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};

use super::SqliteStore;
use super::events::session_row;
use crate::{
    AuditEntry, AuditQuery, IngestCounts, IngestKey, NewAuditEntry, OperationsStore, Result,
    SessionRef,
};

#[async_trait]
impl OperationsStore for SqliteStore {
    async fn add_audit(&self, e: NewAuditEntry) -> Result<()> {
        self.write(move |c| {
            c.execute(
                "INSERT INTO audit_log (organization_id, project_id, actor_user_id, actor, action,
                                        target, detail, at_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
                params![
                    e.organization_id,
                    e.project_id,
                    e.actor_user_id,
                    e.actor,
                    e.action,
                    e.target,
                    e.detail,
                    e.at_ms
                ],
            )?;
            Ok(())
        })
        .await
    }

    async fn audit_log(&self, q: AuditQuery) -> Result<Vec<AuditEntry>> {
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT id, organization_id, project_id, actor_user_id, actor, action, target,
                        detail, at_ms
                 FROM audit_log
                 WHERE organization_id = ?1 AND (?2 IS NULL OR project_id = ?2)
                   AND (?3 IS NULL OR id < ?3)
                 ORDER BY id DESC LIMIT ?4",
            )?;
            let rows = stmt
                .query_map(
                    params![q.organization_id, q.project_id, q.before_id, q.limit as i64],
                    |r| {
                        Ok(AuditEntry {
                            id: r.get(0)?,
                            entry: NewAuditEntry {
                                organization_id: r.get(1)?,
                                project_id: r.get(2)?,
                                actor_user_id: r.get(3)?,
                                actor: r.get(4)?,
                                action: r.get(5)?,
                                target: r.get(6)?,
                                detail: r.get(7)?,
                                at_ms: r.get(8)?,
                            },
                        })
                    },
                )?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    async fn sessions_captured(&self, organization_id: i64, month: &str) -> Result<i64> {
        let month = month.to_owned();
        self.read(move |c| {
            Ok(c.query_row(
                "SELECT sessions FROM monthly_usage WHERE organization_id = ?1 AND month = ?2",
                params![organization_id, month],
                |r| r.get(0),
            )
            .optional()?
            .unwrap_or(0))
        })
        .await
    }

    async fn has_recording(&self, session: &SessionRef) -> Result<bool> {
        let session = session.clone();
        self.read(move |c| {
            let Some(row) = session_row(c, &session)? else {
                return Ok(false);
            };
            Ok(c.query_row(
                "SELECT start_ms IS NOT NULL FROM sessions WHERE id = ?1",
                params![row],
                |r| r.get(0),
            )?)
        })
        .await
    }

    async fn add_ingest_counts(&self, counts: Vec<(IngestKey, IngestCounts)>) -> Result<()> {
        if counts.is_empty() {
            return Ok(());
        }
        self.write(move |c| {
            let tx = c.transaction()?;
            {
                let mut add = tx.prepare_cached(
                    "INSERT INTO ingest_minutes (project_id, minute, outcome, reason, requests, events, bytes)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                     ON CONFLICT (project_id, minute, outcome, reason) DO UPDATE SET
                        requests = requests + excluded.requests,
                        events = events + excluded.events,
                        bytes = bytes + excluded.bytes",
                )?;
                for (k, n) in &counts {
                    add.execute(params![
                        k.project_id,
                        k.minute,
                        k.outcome,
                        k.reason,
                        n.requests,
                        n.events,
                        n.bytes
                    ])?;
                }
            }
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn ingest_counts(
        &self,
        project_id: i64,
        since_minute: i64,
    ) -> Result<Vec<(IngestKey, IngestCounts)>> {
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT minute, outcome, reason, requests, events, bytes FROM ingest_minutes
                 WHERE project_id = ?1 AND minute >= ?2 ORDER BY minute, outcome, reason",
            )?;
            let rows = stmt
                .query_map(params![project_id, since_minute], |r| {
                    Ok((
                        IngestKey {
                            project_id,
                            minute: r.get(0)?,
                            outcome: r.get(1)?,
                            reason: r.get(2)?,
                        },
                        IngestCounts {
                            requests: r.get(3)?,
                            events: r.get(4)?,
                            bytes: r.get(5)?,
                        },
                    ))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    async fn prune_ingest_counts(&self, before_minute: i64) -> Result<usize> {
        self.write(move |c| {
            Ok(c.execute(
                "DELETE FROM ingest_minutes WHERE minute < ?1",
                params![before_minute],
            )?)
        })
        .await
    }
}

impl SqliteStore {
    /// Counts one newly captured session of the organization in `month`: what an upload that
    /// records a session for the first time does in its own transaction (for callers that
    /// count elsewhere, as [`crate::split::ControlOperations`] does).
    pub async fn count_session_captured(&self, organization_id: i64, month: &str) -> Result<()> {
        let month = month.to_owned();
        self.write(move |c| {
            c.execute(
                "INSERT INTO monthly_usage (organization_id, month, sessions) VALUES (?1, ?2, 1)
                 ON CONFLICT (organization_id, month) DO UPDATE SET sessions = sessions + 1",
                params![organization_id, month],
            )?;
            Ok(())
        })
        .await
    }
}
