//! An upload's chunks, analytics events, heatmap uploads ([`IngestStore`]).

use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use rusqlite::{Connection, params};

use super::SqliteStore;
use super::events::{ensure_session, insert_events, session_row};
use crate::{
    AnalyticsEvent, EventsAdded, IngestStore, Interactions, NewChunk, NewUpload, Result,
    SessionRef, StoreError, UploadCommitted,
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

    /// Uploads that arrive while another commits wait for the writer together; the first to
    /// get it commits all of them in one transaction (each in a savepoint of its own, so one
    /// failing changes nothing of the others), and each answer goes out after that commit: one
    /// fsync of the write-ahead log for many uploads (see [`GroupCommit`]).
    fn commit_upload(&self, upload: NewUpload, now_ms: i64) -> Result<UploadCommitted> {
        let slot = self.uploads.enqueue(upload, now_ms);
        let mut conn = self
            .writer
            .lock()
            .map_err(|_| StoreError::Task("writer poisoned".into()))?;
        if let Some(done) = slot.take() {
            // An earlier holder of the writer committed this upload with its own.
            return done;
        }
        let batch = self.uploads.drain();
        let results = commit_batch(&mut conn, &batch);
        // Filled while the writer is held: whoever gets it next finds its answer.
        for (job, result) in batch.into_iter().zip(results) {
            job.slot.fill(result);
        }
        drop(conn);
        slot.take().unwrap_or_else(|| {
            Err(StoreError::Task(
                "an upload was left out of its commit".into(),
            ))
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

/// Uploads waiting for the writer, committed together by whichever gets it first.
#[derive(Default)]
pub(super) struct GroupCommit(Mutex<Vec<Job>>);

struct Job {
    upload: NewUpload,
    now_ms: i64,
    slot: Arc<Slot>,
}

/// Where a job's result is left for its caller.
#[derive(Default)]
struct Slot(Mutex<Option<Result<UploadCommitted>>>);

impl Slot {
    fn fill(&self, result: Result<UploadCommitted>) {
        *self.0.lock().unwrap_or_else(|e| e.into_inner()) = Some(result);
    }

    fn take(&self) -> Option<Result<UploadCommitted>> {
        self.0.lock().unwrap_or_else(|e| e.into_inner()).take()
    }
}

impl GroupCommit {
    fn enqueue(&self, upload: NewUpload, now_ms: i64) -> Arc<Slot> {
        let slot = Arc::new(Slot::default());
        self.0.lock().unwrap_or_else(|e| e.into_inner()).push(Job {
            upload,
            now_ms,
            slot: slot.clone(),
        });
        slot
    }

    fn drain(&self) -> Vec<Job> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|e| e.into_inner()))
    }
}

/// Commits uploads in one transaction, each in a savepoint; the result of each, in order. When
/// the commit itself fails, every upload gets that error (none of them is stored).
fn commit_batch(conn: &mut Connection, batch: &[Job]) -> Vec<Result<UploadCommitted>> {
    let mut results = Vec::with_capacity(batch.len());
    let outcome = (|| -> Result<()> {
        let mut tx = conn.transaction()?;
        for job in batch {
            let sp = tx.savepoint()?;
            let result = index_upload(&sp, &job.upload, job.now_ms);
            if result.is_ok() {
                sp.commit()?;
            }
            // Dropping a savepoint not committed rolls it back.
            results.push(result);
        }
        tx.commit()?;
        Ok(())
    })();
    match outcome {
        Ok(()) => results,
        Err(e) => {
            let message = e.to_string();
            batch
                .iter()
                .map(|_| {
                    Err(StoreError::Task(format!(
                        "the upload's commit failed: {message}"
                    )))
                })
                .collect()
        }
    }
}

/// Indexes an upload's chunks and schedules its session's processing.
fn index_upload(tx: &Connection, upload: &NewUpload, now_ms: i64) -> Result<UploadCommitted> {
    let row = ensure_session(tx, &upload.session)?;
    let recorded_before: bool = tx.query_row(
        "SELECT start_ms IS NOT NULL FROM sessions WHERE id = ?1",
        params![row],
        |r| r.get(0),
    )?;
    let mut committed = UploadCommitted::default();
    for chunk in &upload.chunks {
        if index_chunk(tx, row, upload, chunk, now_ms)? {
            committed.stored += 1;
        } else {
            committed.duplicate += 1;
        }
    }
    if committed.stored > 0 && !recorded_before {
        // A newly captured session counts against its organization's monthly quota.
        committed.newly_captured = true;
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
    Ok(committed)
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
    // The session's extent and totals grow by the chunk row just written.
    let ua = upload.user_agent.as_ref();
    tx.execute(
        "UPDATE sessions SET
            start_ms = MIN(COALESCE(sessions.start_ms, c.start_ms), c.start_ms),
            end_ms = MAX(COALESCE(sessions.end_ms, c.end_ms), c.end_ms),
            event_count = sessions.event_count + c.event_count,
            raw_bytes = sessions.raw_bytes + c.raw_bytes,
            stored_bytes = sessions.stored_bytes + c.stored_bytes,
            country = COALESCE(sessions.country, ?3),
            last_upload_ms = ?4,
            last_meta_ms = MAX(COALESCE(sessions.last_meta_ms, ?5), COALESCE(?5, sessions.last_meta_ms)),
            user_agent = COALESCE(sessions.user_agent, ?6),
            browser = COALESCE(sessions.browser, ?7),
            os = COALESCE(sessions.os, ?8),
            device = COALESCE(sessions.device, ?9)
         FROM chunks c WHERE sessions.id = ?1 AND c.id = ?2",
        params![
            row,
            tx.last_insert_rowid(),
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
