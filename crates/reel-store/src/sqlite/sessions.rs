//! Replays: the list, one replay, its chunks, events and holes, deletion, imported sessions
//! ([`SessionStore`]).

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, params};

use super::analytics;
use super::compaction::{detach_pieces, free_detached_pieces};
use super::events::{ensure_session, insert_events, insert_texts, session_row};
use super::{REPLAY_COLUMNS, SqliteStore, chunks_of, fact_column, replay_from_row, zero_facts};
use crate::{
    ImportedSession, Replay, ReplayId, Result, SessionRef, SessionStore, StoredChunk, StoredEvent,
    TimeRange,
};

#[async_trait]
impl SessionStore for SqliteStore {
    async fn list_replays(
        &self,
        project_id: i64,
        range: TimeRange,
        limit: usize,
    ) -> Result<Vec<Replay>> {
        self.read(move |c| {
            let mut stmt = c.prepare(&format!(
                "SELECT {REPLAY_COLUMNS} FROM sessions s
                 WHERE s.project_id = ?1 AND s.start_ms IS NOT NULL AND s.start_ms >= ?2
                   AND s.start_ms < ?3
                 ORDER BY s.start_ms DESC, s.id ASC LIMIT ?4"
            ))?;
            let rows = stmt
                .query_map(
                    params![project_id, range.start_ms, range.end_ms, limit as i64],
                    replay_from_row,
                )?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    async fn replay(&self, project_id: i64, id: &ReplayId) -> Result<Option<Replay>> {
        let key = id.as_str().to_owned();
        self.read(move |c| {
            Ok(c.query_row(
                &format!(
                    "SELECT {REPLAY_COLUMNS} FROM sessions s
                     WHERE s.project_id = ?1 AND s.replay_key = ?2 AND s.start_ms IS NOT NULL"
                ),
                params![project_id, key],
                replay_from_row,
            )
            .optional()?)
        })
        .await
    }

    async fn replays(&self, project_id: i64, ids: Vec<ReplayId>) -> Result<Vec<Replay>> {
        self.read(move |c| {
            let mut stmt = c.prepare_cached(&format!(
                "SELECT {REPLAY_COLUMNS} FROM sessions s
                 WHERE s.project_id = ?1 AND s.replay_key = ?2 AND s.start_ms IS NOT NULL"
            ))?;
            let mut found = Vec::with_capacity(ids.len());
            for id in &ids {
                if let Some(r) = stmt
                    .query_row(params![project_id, id.as_str()], replay_from_row)
                    .optional()?
                {
                    found.push(r);
                }
            }
            Ok(found)
        })
        .await
    }

    async fn replay_chunks(&self, project_id: i64, id: &ReplayId) -> Result<Vec<StoredChunk>> {
        let key = id.as_str().to_owned();
        self.read(move |c| {
            let row: Option<i64> = c
                .query_row(
                    "SELECT id FROM sessions WHERE project_id = ?1 AND replay_key = ?2",
                    params![project_id, key],
                    |r| r.get(0),
                )
                .optional()?;
            match row {
                Some(row) => chunks_of(c, row),
                None => Ok(Vec::new()),
            }
        })
        .await
    }

    async fn session_events(&self, session: &SessionRef, limit: usize) -> Result<Vec<StoredEvent>> {
        let session = session.clone();
        self.read(move |c| {
            let Some(row) = session_row(c, &session)? else {
                return Ok(Vec::new());
            };
            let mut stmt = c.prepare_cached(
                "SELECT event_type, time_ms, user_id, event_properties, display_name, derived
                 FROM events WHERE session_row = ?1 ORDER BY time_ms, id LIMIT ?2",
            )?;
            let rows = stmt
                .query_map(params![row, limit as i64], |r| {
                    Ok(StoredEvent {
                        event_type: r.get(0)?,
                        time_ms: r.get(1)?,
                        user_id: r.get(2)?,
                        event_properties: r.get(3)?,
                        display_name: r.get(4)?,
                        derived: r.get(5)?,
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    async fn session_gaps(&self, project_id: i64, id: &ReplayId) -> Result<Vec<(i64, i64)>> {
        let key = id.as_str().to_owned();
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT g.start_ms, g.end_ms FROM session_gaps g JOIN sessions s ON s.id = g.session_row
                 WHERE s.project_id = ?1 AND s.replay_key = ?2 ORDER BY g.start_ms",
            )?;
            let rows = stmt
                .query_map(params![project_id, key], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    async fn delete_replay(
        &self,
        project_id: i64,
        id: &ReplayId,
        delete_after_ms: i64,
    ) -> Result<bool> {
        let key = id.as_str().to_owned();
        self.write(move |c| {
            let tx = c.transaction()?;
            let Some((row, device_id, session_id)) = tx
                .query_row(
                    "SELECT id, device_id, session_id FROM sessions
                     WHERE project_id = ?1 AND replay_key = ?2 AND start_ms IS NOT NULL",
                    params![project_id, key],
                    |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, i64>(2)?)),
                )
                .optional()?
            else {
                return Ok(false);
            };
            release_recording(&tx, row, delete_after_ms)?;
            // Clicked elements' words index the derived click events that go next.
            tx.execute(
                "DELETE FROM element_tokens WHERE session_row = ?1 AND type_id IN
                     (SELECT type_id FROM events WHERE session_row = ?1 AND derived = 1)",
                params![row],
            )?;
            let touched = analytics::forget_events(
                &tx,
                "SELECT id FROM events WHERE session_row = ?1 AND derived = 1",
                params![row],
            )?;
            tx.execute(
                "DELETE FROM events WHERE session_row = ?1 AND derived = 1",
                params![row],
            )?;
            analytics::recount_sessions(&tx, &touched)?;
            delete_interactions(&tx, &SessionRef { project_id, device_id, session_id })?;
            // The session row stays (its analytics events and user may still refer to it), with
            // no recording: it is no longer a replay.
            tx.execute(
                &format!(
                    "UPDATE sessions SET start_ms = NULL, end_ms = NULL, event_count = 0, raw_bytes = 0,
                        stored_bytes = 0, first_url = NULL, first_url_ms = NULL, urls = '[]',
                        viewport_width = NULL, viewport_height = NULL, last_meta_ms = NULL,
                        last_upload_ms = NULL, search_generation = search_generation + 1, {}
                     WHERE id = ?1",
                    zero_facts()
                ),
                params![row],
            )?;
            tx.commit()?;
            Ok(true)
        })
        .await
    }

    async fn import_sessions(&self, sessions: Vec<ImportedSession>, now: i64) -> Result<usize> {
        self.write(move |c| {
            let tx = c.transaction()?;
            let mut new = 0;
            for imported in &sessions {
                if session_row(&tx, &imported.session)?.is_some() {
                    continue;
                }
                let row = ensure_session(&tx, &imported.session)?;
                let ua = imported.user_agent.as_ref();
                let facts: Vec<String> = imported
                    .facts
                    .iter()
                    .map(|(fact, n)| format!("{} = {n}", fact_column(fact)))
                    .collect();
                tx.execute(
                    &format!(
                        "UPDATE sessions SET start_ms = ?2, end_ms = ?3, first_url = ?4,
                            first_url_ms = ?2, country = ?5, user_agent = ?6, browser = ?7, os = ?8,
                            device = ?9, urls = ?10, viewport_width = ?11, viewport_height = ?12,
                            last_upload_ms = ?3, {} WHERE id = ?1",
                        facts.join(", ")
                    ),
                    params![
                        row,
                        imported.start_ms,
                        imported.end_ms,
                        imported.first_url,
                        imported.country,
                        ua.map(|u| &u.header),
                        ua.map(|u| &u.browser),
                        ua.map(|u| &u.os),
                        ua.map(|u| &u.device),
                        serde_json::to_string(&imported.urls).expect("strings"),
                        imported.viewport.map(|v| v.0),
                        imported.viewport.map(|v| v.1)
                    ],
                )?;
                insert_events(&tx, imported.session.project_id, &imported.events, now)?;
                insert_texts(&tx, row, &imported.texts)?;
                new += 1;
            }
            tx.commit()?;
            Ok(new)
        })
        .await
    }
}

/// Deletes a session's recording and what was made of it — its chunks and segments (their
/// objects marked for deletion after `delete_after_ms`), the pieces no other segment uses, its
/// text, holes, processing state and feedback — leaving its row and analytics events.
pub(super) fn release_recording(tx: &Connection, row: i64, delete_after_ms: i64) -> Result<()> {
    tx.execute(
        "INSERT INTO object_intents (object_key, state, not_before_ms)
         SELECT object_key, 'deleting', ?2 FROM chunks WHERE session_row = ?1
         ON CONFLICT (object_key) DO UPDATE SET state = 'deleting', not_before_ms = excluded.not_before_ms",
        params![row, delete_after_ms],
    )?;
    let chunk_ids: Vec<i64> = tx
        .prepare_cached("SELECT id FROM chunks WHERE session_row = ?1")?
        .query_map(params![row], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    detach_pieces(tx, &chunk_ids)?;
    tx.execute("DELETE FROM chunks WHERE session_row = ?1", params![row])?;
    free_detached_pieces(tx)?;
    for table in [
        "compacted_hashes",
        "session_text",
        "session_gaps",
        "session_work",
        "replay_feedback",
    ] {
        tx.execute(
            &format!("DELETE FROM {table} WHERE session_row = ?1"),
            params![row],
        )?;
    }
    Ok(())
}

/// Deletes a session's heatmap uploads.
pub(super) fn delete_interactions(tx: &Connection, session: &SessionRef) -> Result<()> {
    tx.execute(
        "DELETE FROM interactions WHERE project_id = ?1 AND device_id = ?2 AND session_id = ?3",
        params![session.project_id, session.device_id, session.session_id],
    )?;
    Ok(())
}
