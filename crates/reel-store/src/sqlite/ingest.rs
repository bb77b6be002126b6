//! An upload's chunks, analytics events, heatmap uploads ([`IngestStore`]).

use async_trait::async_trait;
use rusqlite::{Connection, params};

use super::SqliteStore;
use super::events::{ensure_session, insert_events, session_row};
use crate::{
    AnalyticsEvent, EventsAdded, IngestStore, Interactions, NewChunk, NewUpload, Result,
    SessionRef, UploadCommitted,
};

/// A bare snapshot belongs to the session's latest Meta when it follows it this closely.
const META_SNAPSHOT_GAP_MS: i64 = 60_000;

#[async_trait]
impl IngestStore for SqliteStore {
    fn stored_chunks(
        &self,
        session: &SessionRef,
        content_hashes: &[String],
    ) -> Result<Vec<String>> {
        self.write_here(|c| {
            let Some(row) = session_row(c, session)? else {
                return Ok(Vec::new());
            };
            let mut stored = c.prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM chunks WHERE session_row = ?1 AND content_hash = ?2)
                     OR EXISTS (SELECT 1 FROM compacted_hashes WHERE session_row = ?1 AND content_hash = ?2)",
            )?;
            let mut known = Vec::new();
            for hash in content_hashes {
                if stored.query_row(params![row, hash], |r| r.get::<_, bool>(0))? {
                    known.push(hash.clone());
                }
            }
            Ok(known)
        })
    }

    fn commit_upload(&self, upload: NewUpload, now_ms: i64) -> Result<UploadCommitted> {
        self.write_here(|c| {
            let tx = c.transaction()?;
            let row = ensure_session(&tx, &upload.session)?;
            let recorded_before: bool = tx.query_row(
                "SELECT start_ms IS NOT NULL FROM sessions WHERE id = ?1",
                params![row],
                |r| r.get(0),
            )?;
            let mut committed = UploadCommitted::default();
            for chunk in &upload.chunks {
                if index_chunk(&tx, row, &upload, chunk, now_ms)? {
                    committed.stored += 1;
                } else {
                    committed.duplicate += 1;
                }
            }
            if committed.stored > 0 && !recorded_before {
                // A newly captured session counts against its organization's monthly quota.
                tx.execute(
                    "INSERT INTO monthly_usage (organization_id, month, sessions)
                     SELECT organization_id, strftime('%Y-%m', ?2 / 1000, 'unixepoch'), 1
                     FROM projects WHERE id = ?1
                     ON CONFLICT (organization_id, month) DO UPDATE SET sessions = sessions + 1",
                    params![upload.session.project_id, now_ms],
                )?;
            }
            if committed.stored > 0 {
                // The processing stage will look at this session (no later than asked).
                tx.execute(
                    "INSERT INTO session_work (session_row, due_ms) VALUES (?1, ?2)
                     ON CONFLICT (session_row) DO UPDATE SET due_ms = MIN(due_ms, excluded.due_ms),
                        generation = generation + 1",
                    params![row, upload.process_at_ms],
                )?;
            }
            tx.commit()?;
            Ok(committed)
        })
    }

    async fn add_events(
        &self,
        project_id: i64,
        events: Vec<AnalyticsEvent>,
        now_ms: i64,
    ) -> Result<EventsAdded> {
        self.write(move |c| {
            let tx = c.transaction()?;
            let added = insert_events(&tx, project_id, &events, now_ms)?;
            tx.commit()?;
            Ok(added)
        })
        .await
    }

    async fn add_interactions(&self, i: Interactions, now_ms: i64) -> Result<bool> {
        self.write(move |c| {
            let tx = c.transaction()?;
            ensure_session(&tx, &i.session)?;
            let n = tx.execute(
                "INSERT INTO interactions (project_id, device_id, session_id, payload, payload_zst, content_hash, received_ms)
                 VALUES (?1, ?2, ?3, '', ?4, ?5, ?6) ON CONFLICT DO NOTHING",
                params![i.session.project_id, i.session.device_id, i.session.session_id, i.payload_zst, i.content_hash, now_ms],
            )?;
            tx.commit()?;
            Ok(n == 1)
        })
        .await
    }
}

/// Indexes one chunk of an upload and folds it into its session; false when the session has
/// the chunk already.
fn index_chunk(
    tx: &Connection,
    row: i64,
    upload: &NewUpload,
    chunk: &NewChunk,
    now_ms: i64,
) -> Result<bool> {
    // A chunk that starts with a snapshot is a keyframe; its Meta is in the chunk, or the
    // session's latest Meta when an SDK ended the previous upload with it.
    let keyframe_ms = match (chunk.starts_with_snapshot, chunk.meta_ms) {
        (true, Some(meta)) => Some(meta),
        (true, None) => {
            let last_meta: Option<i64> = tx.query_row(
                "SELECT last_meta_ms FROM sessions WHERE id = ?1",
                params![row],
                |r| r.get(0),
            )?;
            Some(
                last_meta
                    .filter(|m| *m <= chunk.start_ms && chunk.start_ms - m <= META_SNAPSHOT_GAP_MS)
                    .unwrap_or(chunk.start_ms),
            )
        }
        (false, _) => None,
    };
    let inserted = tx.execute(
        "INSERT INTO chunks (session_row, start_ms, end_ms, event_count, raw_bytes, stored_bytes,
                             self_contained, content_hash, object_key, received_ms, dictionary_id,
                             keyframe_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
         ON CONFLICT (session_row, content_hash) DO NOTHING",
        params![
            row,
            chunk.start_ms,
            chunk.end_ms,
            chunk.event_count,
            chunk.raw_bytes,
            chunk.stored_bytes,
            keyframe_ms.is_some(),
            chunk.content_hash,
            chunk.object_key,
            now_ms,
            chunk.dictionary_id,
            keyframe_ms
        ],
    )?;
    if inserted == 0 {
        return Ok(false);
    }
    let ua = upload.user_agent.as_ref();
    tx.execute(
        "UPDATE sessions SET
            start_ms = MIN(COALESCE(start_ms, ?2), ?2),
            end_ms = MAX(COALESCE(end_ms, ?3), ?3),
            event_count = event_count + ?4,
            raw_bytes = raw_bytes + ?5,
            stored_bytes = stored_bytes + ?6,
            country = COALESCE(country, ?7),
            last_upload_ms = ?8,
            last_meta_ms = MAX(COALESCE(last_meta_ms, ?9), COALESCE(?9, last_meta_ms)),
            user_agent = COALESCE(user_agent, ?10),
            browser = COALESCE(browser, ?11),
            os = COALESCE(os, ?12),
            device = COALESCE(device, ?13)
         WHERE id = ?1",
        params![
            row,
            chunk.start_ms,
            chunk.end_ms,
            chunk.event_count,
            chunk.raw_bytes,
            chunk.stored_bytes,
            upload.country,
            now_ms,
            chunk.last_meta_ms,
            ua.map(|u| &u.header),
            ua.map(|u| &u.browser),
            ua.map(|u| &u.os),
            ua.map(|u| &u.device)
        ],
    )?;
    if let Some((href_ms, href)) = &chunk.first_href {
        tx.execute(
            "UPDATE sessions SET first_url = ?2, first_url_ms = ?3
             WHERE id = ?1 AND (first_url_ms IS NULL OR first_url_ms > ?3)",
            params![row, href, href_ms],
        )?;
    }
    Ok(true)
}
