//! The processing stage's queue and what its runs settle ([`ProcessingStore`]).

use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};

use super::analytics;
use super::events::{ensure_session, insert_events, insert_texts, session_row};
use super::{SqliteStore, fact_column, zero_facts};
use crate::{ProcessingStore, ReplayId, Result, SessionRef, SignalsUpdate, WorkItem};

/// Most distinct URLs kept per session.
pub(crate) const MAX_SESSION_URLS: usize = 1_000;

#[async_trait]
impl ProcessingStore for SqliteStore {
    async fn claim_work(
        &self,
        node: &str,
        now_ms: i64,
        lease_until_ms: i64,
        limit: usize,
    ) -> Result<Vec<WorkItem>> {
        let node = node.to_owned();
        self.write(move |c| {
            let tx = c.transaction()?;
            let claimed = {
                let mut stmt = tx.prepare_cached(
                    "SELECT s.project_id, s.device_id, s.session_id, s.replay_key, s.user_id,
                            w.due_ms, w.signals_until_ms, w.signals_finished, s.last_upload_ms,
                            w.attempts, w.generation, w.session_row
                     FROM session_work w JOIN sessions s ON s.id = w.session_row
                     WHERE w.due_ms <= ?1 AND (w.lease_until_ms IS NULL OR w.lease_until_ms <= ?1)
                     ORDER BY w.due_ms LIMIT ?2",
                )?;
                stmt.query_map(params![now_ms, limit as i64], |r| {
                    let item = WorkItem {
                        session: SessionRef {
                            project_id: r.get(0)?,
                            device_id: r.get(1)?,
                            session_id: r.get(2)?,
                        },
                        replay_id: ReplayId::from_stored(r.get(3)?),
                        user_id: r.get(4)?,
                        due_ms: r.get(5)?,
                        signals_until_ms: r.get(6)?,
                        signals_finished: r.get(7)?,
                        last_upload_ms: r.get(8)?,
                        attempts: r.get(9)?,
                        generation: r.get(10)?,
                    };
                    Ok((r.get::<_, i64>(11)?, item))
                })?
                .collect::<Result<Vec<_>, _>>()?
            };
            {
                let mut lease = tx.prepare_cached(
                    "UPDATE session_work SET lease_owner = ?2, lease_until_ms = ?3
                     WHERE session_row = ?1",
                )?;
                for (row, _) in &claimed {
                    lease.execute(params![row, node, lease_until_ms])?;
                }
            }
            tx.commit()?;
            Ok(claimed.into_iter().map(|(_, item)| item).collect())
        })
        .await
    }

    async fn release_work(&self, session: &SessionRef, node: &str) -> Result<()> {
        let (session, node) = (session.clone(), node.to_owned());
        self.write(move |c| {
            c.execute(
                "UPDATE session_work SET lease_owner = NULL, lease_until_ms = NULL
                 WHERE lease_owner = ?1 AND session_row = (SELECT id FROM sessions
                     WHERE project_id = ?2 AND device_id = ?3 AND session_id = ?4)",
                params![
                    node,
                    session.project_id,
                    session.device_id,
                    session.session_id
                ],
            )?;
            Ok(())
        })
        .await
    }

    async fn next_due_ms(&self) -> Result<Option<i64>> {
        self.read(|c| {
            // Both by an index: the earliest unleased session, and among leased ones (few)
            // the earliest both due and out of its lease.
            let free: Option<i64> = c
                .query_row(
                    "SELECT due_ms FROM session_work WHERE lease_until_ms IS NULL
                     ORDER BY due_ms LIMIT 1",
                    [],
                    |r| r.get(0),
                )
                .optional()?;
            let leased: Option<i64> = c.query_row(
                "SELECT MIN(MAX(due_ms, lease_until_ms)) FROM session_work
                 WHERE lease_until_ms IS NOT NULL",
                [],
                |r| r.get(0),
            )?;
            Ok(free.into_iter().chain(leased).min())
        })
        .await
    }

    async fn apply_signals(&self, u: SignalsUpdate, now_ms: i64) -> Result<bool> {
        self.write(move |c| {
            let tx = c.transaction()?;
            let Some(row) = session_row(&tx, &u.session)? else {
                return Ok(false);
            };
            if !settle(&tx, row, &u, now_ms, true)? {
                return Ok(false);
            }
            tx.commit()?;
            Ok(true)
        })
        .await
    }

    async fn reschedule_work(
        &self,
        session: &SessionRef,
        generation: i64,
        due_ms: i64,
    ) -> Result<bool> {
        let session = session.clone();
        self.write(move |c| {
            let Some(row) = session_row(c, &session)? else {
                return Ok(false);
            };
            Ok(c.execute(
                "UPDATE session_work SET due_ms = ?3 WHERE session_row = ?1 AND generation = ?2",
                params![row, generation, due_ms],
            )? == 1)
        })
        .await
    }

    async fn work_failed(&self, session: &SessionRef, due_ms: i64, error: &str) -> Result<()> {
        let (session, error) = (session.clone(), error.to_owned());
        self.write(move |c| {
            c.execute(
                "UPDATE session_work SET due_ms = ?1, attempts = attempts + 1, last_error = ?2
                 WHERE session_row = (SELECT id FROM sessions
                                      WHERE project_id = ?3 AND device_id = ?4 AND session_id = ?5)",
                params![
                    due_ms,
                    error,
                    session.project_id,
                    session.device_id,
                    session.session_id
                ],
            )?;
            Ok(())
        })
        .await
    }

    async fn sdk_event_types(&self, session: &SessionRef) -> Result<Vec<String>> {
        let session = session.clone();
        self.read(move |c| {
            let Some(row) = session_row(c, &session)? else {
                return Ok(Vec::new());
            };
            let mut stmt = c.prepare_cached(
                "SELECT DISTINCT event_type FROM events WHERE session_row = ?1 AND derived = 0",
            )?;
            let rows = stmt
                .query_map(params![row], |r| r.get(0))?
                .collect::<Result<Vec<String>, _>>()?;
            Ok(rows)
        })
        .await
    }

    async fn reset_signals(
        &self,
        project_id: Option<i64>,
        since_ms: Option<i64>,
        now_ms: i64,
    ) -> Result<usize> {
        self.write(move |c| {
            let tx = c.transaction()?;
            tx.execute(
                "CREATE TEMP TABLE IF NOT EXISTS reset_rows (id INTEGER PRIMARY KEY)",
                [],
            )?;
            tx.execute("DELETE FROM reset_rows", [])?;
            tx.execute(
                "INSERT INTO reset_rows (id) SELECT id FROM sessions
                 WHERE start_ms IS NOT NULL AND (?1 IS NULL OR project_id = ?1)
                   AND (?2 IS NULL OR start_ms >= ?2)",
                params![project_id, since_ms],
            )?;
            tx.execute(
                &format!(
                    "UPDATE sessions SET {}, urls = '[]', viewport_width = NULL, viewport_height = NULL,
                        search_generation = search_generation + 1
                     WHERE id IN (SELECT id FROM reset_rows)",
                    zero_facts()
                ),
                [],
            )?;
            let derived = "SELECT id FROM events WHERE derived = 1 AND session_row IN (SELECT id FROM reset_rows) AND ?1";
            let touched = analytics::forget_events(&tx, derived, params![1])?;
            tx.execute(
                "DELETE FROM events WHERE derived = 1 AND session_row IN (SELECT id FROM reset_rows)",
                [],
            )?;
            analytics::recount_sessions(&tx, &touched)?;
            tx.execute(
                "DELETE FROM session_text WHERE session_row IN (SELECT id FROM reset_rows)",
                [],
            )?;
            tx.execute(
                "DELETE FROM session_gaps WHERE session_row IN (SELECT id FROM reset_rows)",
                [],
            )?;
            let n = tx.execute(
                "INSERT INTO session_work (session_row, due_ms) SELECT id, ?1 FROM reset_rows WHERE true
                 ON CONFLICT (session_row) DO UPDATE SET due_ms = excluded.due_ms,
                    signals_until_ms = NULL, signals_finished = 0, attempts = 0, last_error = NULL",
                params![now_ms],
            )?;
            tx.execute("DELETE FROM reset_rows", [])?;
            tx.commit()?;
            Ok(n)
        })
        .await
    }
}

impl SqliteStore {
    /// A processing run's results that a shared recordings' index has already accepted
    /// (`split/recordings.rs`): kept here too — facts, URLs and viewport on this node's copy
    /// of the session, derived events, text and holes for its search and events — without
    /// this store's own progress check, whose queue does not decide in a cluster.
    pub async fn copy_signals(&self, u: SignalsUpdate, now_ms: i64) -> Result<()> {
        self.write(move |c| {
            let tx = c.transaction()?;
            let row = ensure_session(&tx, &u.session)?;
            settle(&tx, row, &u, now_ms, false)?;
            // A session whose uploads went through another node is no replay here, so no
            // trigger hands its changed fields on to a shared search (`events_url`): the
            // feed is asked to, and reads them from the shared index when it does.
            tx.execute(
                "INSERT INTO feed_queue (snapshot_row)
                 SELECT id FROM sessions WHERE id = ?1 AND start_ms IS NULL
                   AND EXISTS (SELECT 1 FROM feeds)",
                params![row],
            )?;
            tx.commit()?;
            Ok(())
        })
        .await
    }
}

/// Applies a run's results to session `row` in `tx`; with `checked`, only if the progress is
/// still the one the run started from (false, and nothing changed, otherwise).
fn settle(
    tx: &rusqlite::Transaction<'_>,
    row: i64,
    u: &SignalsUpdate,
    now_ms: i64,
    checked: bool,
) -> Result<bool> {
    // First the progress: if another run moved it, this one changes nothing.
    let moved = tx.execute(
        "UPDATE session_work SET signals_until_ms = ?2, signals_finished = ?3,
            due_ms = CASE WHEN generation = ?6 THEN ?4 ELSE MIN(due_ms, ?4) END,
            attempts = 0, last_error = NULL
         WHERE session_row = ?1 AND (NOT ?7 OR signals_until_ms IS ?5)",
        params![
            row,
            u.signals_until_ms,
            u.finished,
            u.next_due_ms,
            u.expected_until_ms,
            u.taken_generation,
            checked
        ],
    )?;
    if moved == 0 && checked {
        return Ok(false);
    }
    for (fact, n) in u.facts.iter().filter(|(_, n)| *n != 0) {
        let column = fact_column(fact);
        tx.execute(
            &format!("UPDATE sessions SET {column} = {column} + ?2 WHERE id = ?1"),
            params![row, n],
        )?;
    }
    if !u.urls.is_empty() {
        let known: String = tx.query_row(
            "SELECT urls FROM sessions WHERE id = ?1",
            params![row],
            |r| r.get(0),
        )?;
        let mut urls: Vec<String> = serde_json::from_str(&known).unwrap_or_default();
        for url in &u.urls {
            if urls.len() < MAX_SESSION_URLS && !urls.contains(url) {
                urls.push(url.clone());
            }
        }
        tx.execute(
            "UPDATE sessions SET urls = ?2 WHERE id = ?1",
            params![row, serde_json::to_string(&urls).expect("strings")],
        )?;
    }
    if let Some((w, h)) = u.viewport {
        tx.execute(
            "UPDATE sessions SET viewport_width = ?2, viewport_height = ?3
             WHERE id = ?1 AND viewport_width IS NULL",
            params![row, w, h],
        )?;
    }
    insert_events(tx, u.session.project_id, &u.events, now_ms)?;
    insert_texts(tx, row, &u.texts)?;
    {
        let mut gap = tx.prepare_cached(
            "INSERT INTO session_gaps (session_row, start_ms, end_ms) VALUES (?1, ?2, ?3)
             ON CONFLICT DO NOTHING",
        )?;
        for (start, end) in &u.gaps {
            gap.execute(params![row, start, end])?;
        }
    }
    Ok(true)
}
