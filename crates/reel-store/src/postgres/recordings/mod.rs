//! The recordings' index on PostgreSQL ([`RecordingIndex`], migration 0002): what every node
//! needs to play back, process and compact a recording another node stored. The embedded
//! store's rules (`sqlite/ingest.rs`, `processing.rs`, `compaction.rs`, `sessions.rs`) in
//! PostgreSQL's SQL; the shared suite (`conformance::recordings`) holds both to one behaviour.
//!
//! Concurrency: an upload locks its session's row (`FOR UPDATE`) for its transaction, so two
//! nodes storing uploads of one session at once add up as one writer would; a worker claims
//! due sessions with `FOR UPDATE SKIP LOCKED`, so two nodes never claim one session at once.

mod adopt;
mod work;

use async_trait::async_trait;
use tokio_postgres::Row;
use tokio_postgres::Transaction;

use super::PgStore;
use crate::{
    ChunkFormat, Compaction, Dictionary, Fact, NewChunk, NewUpload, ObjectIntent, RecordingIndex,
    Replay, ReplayId, Result, SessionFacts, SessionRef, SignalsUpdate, StoredChunk,
    UploadCommitted, WorkItem,
};
pub use adopt::Adopted;

/// A bare snapshot belongs to the session's latest Meta when it follows it this closely (as
/// in the embedded store).
const META_SNAPSHOT_GAP_MS: i64 = 60_000;

/// The session's key columns, compared with `$1, $2, $3`.
const KEY: &str = "project_id = $1 AND device_id = $2 AND session_id = $3";

/// What [`replay_from_row`] reads, in its order (`s` is `rec_sessions`).
fn replay_columns() -> String {
    let facts: Vec<String> = Fact::ALL
        .iter()
        .map(|f| format!("s.{}", f.name()))
        .collect();
    format!(
        "s.replay_key, s.device_id, s.session_id, s.start_ms, s.end_ms, s.event_count, \
         s.stored_bytes, s.first_url, s.country, s.urls, s.viewport_width, s.viewport_height, \
         s.browser, s.os, s.device, s.last_upload_ms, \
         (SELECT w.due_ms FROM rec_work w WHERE w.project_id = s.project_id \
            AND w.device_id = s.device_id AND w.session_id = s.session_id), {}",
        facts.join(", ")
    )
}

fn replay_from_row(r: &Row) -> Replay {
    let mut facts = SessionFacts::default();
    for (i, fact) in Fact::ALL.into_iter().enumerate() {
        facts.set(fact, r.get::<_, i64>(17 + i));
    }
    Replay {
        id: ReplayId::from_stored(r.get(0)),
        device_id: r.get(1),
        session_id: r.get(2),
        user_id: None,
        start_ms: r.get(3),
        end_ms: r.get(4),
        event_count: r.get(5),
        stored_bytes: r.get(6),
        first_url: r.get(7),
        country: r.get(8),
        facts,
        urls: serde_json::from_str(&r.get::<_, String>(9)).unwrap_or_default(),
        viewport: match (r.get(10), r.get(11)) {
            (Some(w), Some(h)) => Some((w, h)),
            _ => None,
        },
        browser: r.get(12),
        os: r.get(13),
        device: r.get(14),
        last_upload_ms: r.get(15),
        processing_due_ms: r.get(16),
    }
}

const CHUNK_COLUMNS: &str = "k.id, k.keyframe_ms, k.event_count, k.raw_bytes, k.start_ms, \
     k.end_ms, k.self_contained, k.object_key, k.stored_bytes, k.dictionary_id, k.format, \
     k.project_id, k.content_hash";

fn chunk_from_row(r: &Row) -> StoredChunk {
    StoredChunk {
        stored_seq: r.get(0),
        keyframe_ms: r.get(1),
        event_count: r.get(2),
        raw_bytes: r.get(3),
        start_ms: r.get(4),
        end_ms: r.get(5),
        self_contained: r.get(6),
        object_key: r.get(7),
        stored_bytes: r.get(8),
        dictionary_id: r.get(9),
        format: match r.get::<_, &str>(10) {
            "segment" => ChunkFormat::Segment,
            _ => ChunkFormat::Chunk,
        },
        project_id: r.get(11),
        content_hash: r.get(12),
    }
}

/// `(project, device, session)` as the three parameters of [`KEY`].
fn key(s: &SessionRef) -> [&(dyn tokio_postgres::types::ToSql + Sync); 3] {
    [&s.project_id, &s.device_id, &s.session_id]
}

#[async_trait]
impl RecordingIndex for PgStore {
    async fn index_stored_chunks(
        &self,
        session: &SessionRef,
        content_hashes: Vec<String>,
    ) -> Result<Vec<String>> {
        let c = self.pool.get().await?;
        let rows = c
            .query(
                "SELECT h FROM unnest($4::text[]) AS h
                 WHERE EXISTS (SELECT 1 FROM rec_chunks WHERE project_id = $1 AND device_id = $2
                                 AND session_id = $3 AND content_hash = h)
                    OR EXISTS (SELECT 1 FROM rec_compacted_hashes WHERE project_id = $1
                                 AND device_id = $2 AND session_id = $3 AND content_hash = h)",
                &[
                    &session.project_id,
                    &session.device_id,
                    &session.session_id,
                    &content_hashes,
                ],
            )
            .await?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    async fn index_upload(&self, upload: NewUpload, now_ms: i64) -> Result<UploadCommitted> {
        let mut committed = UploadCommitted::default();
        let Some(first) = upload.chunks.first() else {
            return Ok(committed);
        };
        let s = &upload.session;
        let mut c = self.pool.get().await?;
        let tx = c.transaction().await?;
        let made = tx
            .execute(
                "INSERT INTO rec_sessions (project_id, device_id, session_id, replay_key, start_ms, end_ms)
                 VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING",
                &[
                    &s.project_id,
                    &s.device_id,
                    &s.session_id,
                    &s.replay_id().as_str(),
                    &first.start_ms,
                    &first.end_ms,
                ],
            )
            .await?
            == 1;
        // Held to the end of the transaction: uploads of one session add up one at a time.
        let mut last_meta: Option<i64> = tx
            .query_one(
                &format!("SELECT last_meta_ms FROM rec_sessions WHERE {KEY} FOR UPDATE"),
                &key(s),
            )
            .await?
            .get(0);
        for chunk in &upload.chunks {
            if index_chunk(&tx, &upload, chunk, last_meta, now_ms).await? {
                committed.stored += 1;
                last_meta = last_meta.max(chunk.last_meta_ms);
            } else {
                committed.duplicate += 1;
            }
        }
        if committed.stored > 0 {
            committed.newly_captured = made;
            tx.execute(
                "INSERT INTO rec_work (project_id, device_id, session_id, due_ms)
                 VALUES ($1, $2, $3, $4)
                 ON CONFLICT (project_id, device_id, session_id) DO UPDATE
                 SET due_ms = LEAST(rec_work.due_ms, excluded.due_ms),
                     generation = rec_work.generation + 1",
                &[
                    &s.project_id,
                    &s.device_id,
                    &s.session_id,
                    &upload.process_at_ms,
                ],
            )
            .await?;
        }
        tx.commit().await?;
        Ok(committed)
    }

    async fn indexed_replay(&self, project_id: i64, id: &ReplayId) -> Result<Option<Replay>> {
        let c = self.pool.get().await?;
        let row = c
            .query_opt(
                &format!(
                    "SELECT {} FROM rec_sessions s WHERE s.project_id = $1 AND s.replay_key = $2",
                    replay_columns()
                ),
                &[&project_id, &id.as_str()],
            )
            .await?;
        Ok(row.as_ref().map(replay_from_row))
    }

    async fn indexed_replays(&self, project_id: i64, ids: Vec<ReplayId>) -> Result<Vec<Replay>> {
        let keys: Vec<String> = ids.into_iter().map(ReplayId::into_string).collect();
        let c = self.pool.get().await?;
        let rows = c
            .query(
                &format!(
                    "SELECT {} FROM rec_sessions s
                     WHERE s.project_id = $1 AND s.replay_key = ANY($2)",
                    replay_columns()
                ),
                &[&project_id, &keys],
            )
            .await?;
        Ok(rows.iter().map(replay_from_row).collect())
    }

    async fn indexed_chunks(&self, project_id: i64, id: &ReplayId) -> Result<Vec<StoredChunk>> {
        let c = self.pool.get().await?;
        let rows = c
            .query(
                &format!(
                    "SELECT {CHUNK_COLUMNS} FROM rec_chunks k JOIN rec_sessions s
                       ON s.project_id = k.project_id AND s.device_id = k.device_id
                      AND s.session_id = k.session_id
                     WHERE s.project_id = $1 AND s.replay_key = $2 ORDER BY k.start_ms, k.id"
                ),
                &[&project_id, &id.as_str()],
            )
            .await?;
        Ok(rows.iter().map(chunk_from_row).collect())
    }

    async fn session_chunks_of(&self, session: &SessionRef) -> Result<Vec<StoredChunk>> {
        let c = self.pool.get().await?;
        let rows = c
            .query(
                &format!(
                    "SELECT {CHUNK_COLUMNS} FROM rec_chunks k
                     WHERE k.project_id = $1 AND k.device_id = $2 AND k.session_id = $3
                     ORDER BY k.start_ms, k.id"
                ),
                &key(session),
            )
            .await?;
        Ok(rows.iter().map(chunk_from_row).collect())
    }

    async fn indexed_gaps(&self, project_id: i64, id: &ReplayId) -> Result<Vec<(i64, i64)>> {
        let c = self.pool.get().await?;
        let rows = c
            .query(
                "SELECT g.start_ms, g.end_ms FROM rec_gaps g JOIN rec_sessions s
                   ON s.project_id = g.project_id AND s.device_id = g.device_id
                  AND s.session_id = g.session_id
                 WHERE s.project_id = $1 AND s.replay_key = $2 ORDER BY g.start_ms",
                &[&project_id, &id.as_str()],
            )
            .await?;
        Ok(rows.iter().map(|r| (r.get(0), r.get(1))).collect())
    }

    async fn has_indexed_recording(&self, session: &SessionRef) -> Result<bool> {
        let c = self.pool.get().await?;
        Ok(c.query_one(
            &format!("SELECT EXISTS (SELECT 1 FROM rec_sessions WHERE {KEY})"),
            &key(session),
        )
        .await?
        .get(0))
    }

    async fn claim_indexed_work(
        &self,
        node: &str,
        now_ms: i64,
        lease_until_ms: i64,
        limit: usize,
    ) -> Result<Vec<WorkItem>> {
        work::claim(self, node, now_ms, lease_until_ms, limit).await
    }

    async fn release_indexed_work(&self, session: &SessionRef, node: &str) -> Result<()> {
        let c = self.pool.get().await?;
        c.execute(
            &format!(
                "UPDATE rec_work SET lease_owner = NULL, lease_until_ms = NULL
                 WHERE {KEY} AND lease_owner = $4"
            ),
            &[
                &session.project_id,
                &session.device_id,
                &session.session_id,
                &node,
            ],
        )
        .await?;
        Ok(())
    }

    async fn next_indexed_due_ms(&self) -> Result<Option<i64>> {
        let c = self.pool.get().await?;
        // Both by an index: the earliest unleased session, and among leased ones (few) the
        // earliest both due and out of its lease.
        let row = c
            .query_one(
                "SELECT (SELECT due_ms FROM rec_work WHERE lease_until_ms IS NULL
                         ORDER BY due_ms LIMIT 1),
                        (SELECT MIN(GREATEST(due_ms, lease_until_ms)) FROM rec_work
                         WHERE lease_until_ms IS NOT NULL)",
                &[],
            )
            .await?;
        let free: Option<i64> = row.get(0);
        let leased: Option<i64> = row.get(1);
        Ok(free.into_iter().chain(leased).min())
    }

    async fn apply_progress(&self, update: &SignalsUpdate) -> Result<bool> {
        work::apply_progress(self, update).await
    }

    async fn reschedule_indexed_work(
        &self,
        session: &SessionRef,
        generation: i64,
        due_ms: i64,
    ) -> Result<bool> {
        let c = self.pool.get().await?;
        Ok(c.execute(
            &format!("UPDATE rec_work SET due_ms = $5 WHERE {KEY} AND generation = $4"),
            &[
                &session.project_id,
                &session.device_id,
                &session.session_id,
                &generation,
                &due_ms,
            ],
        )
        .await?
            == 1)
    }

    async fn indexed_work_failed(
        &self,
        session: &SessionRef,
        due_ms: i64,
        error: &str,
    ) -> Result<()> {
        let c = self.pool.get().await?;
        c.execute(
            &format!(
                "UPDATE rec_work SET due_ms = $4, attempts = attempts + 1, last_error = $5
                 WHERE {KEY}"
            ),
            &[
                &session.project_id,
                &session.device_id,
                &session.session_id,
                &due_ms,
                &error,
            ],
        )
        .await?;
        Ok(())
    }

    async fn reset_progress(
        &self,
        project_id: Option<i64>,
        since_ms: Option<i64>,
        now_ms: i64,
    ) -> Result<usize> {
        work::reset(self, project_id, since_ms, now_ms).await
    }

    async fn intend_object_writes(&self, object_keys: Vec<String>) -> Result<()> {
        let c = self.pool.get().await?;
        c.execute(
            "INSERT INTO rec_object_intents (object_key, state, not_before_ms)
             SELECT k, 'writing', 0 FROM unnest($1::text[]) AS k
             ON CONFLICT (object_key) DO UPDATE SET state = 'writing', not_before_ms = 0",
            &[&object_keys],
        )
        .await?;
        Ok(())
    }

    async fn commit_indexed_compaction(&self, compaction: Compaction, now_ms: i64) -> Result<bool> {
        work::commit_compaction(self, compaction, now_ms).await
    }

    async fn indexed_pieces(
        &self,
        project_id: i64,
        hashes: Vec<[u8; 16]>,
    ) -> Result<Vec<([u8; 16], Vec<u8>)>> {
        let c = self.pool.get().await?;
        let wanted: Vec<Vec<u8>> = hashes.iter().map(|h| h.to_vec()).collect();
        let rows = c
            .query(
                "SELECT hash, stored FROM rec_pieces WHERE project_id = $1 AND hash = ANY($2)",
                &[&project_id, &wanted],
            )
            .await?;
        Ok(rows
            .iter()
            .filter_map(|r| {
                let hash: [u8; 16] = r.get::<_, &[u8]>(0).try_into().ok()?;
                Some((hash, r.get::<_, Vec<u8>>(1)))
            })
            .collect())
    }

    async fn indexed_known_pieces(
        &self,
        project_id: i64,
        hashes: Vec<[u8; 16]>,
    ) -> Result<Vec<[u8; 16]>> {
        let c = self.pool.get().await?;
        let wanted: Vec<Vec<u8>> = hashes.iter().map(|h| h.to_vec()).collect();
        let rows = c
            .query(
                "SELECT hash FROM rec_pieces WHERE project_id = $1 AND hash = ANY($2)",
                &[&project_id, &wanted],
            )
            .await?;
        Ok(rows
            .iter()
            .filter_map(|r| r.get::<_, &[u8]>(0).try_into().ok())
            .collect())
    }

    async fn indexed_dictionary(&self, id: i64) -> Result<Option<Dictionary>> {
        let c = self.pool.get().await?;
        let row = c
            .query_opt(
                "SELECT id, object_key FROM rec_dictionaries WHERE id = $1",
                &[&id],
            )
            .await?;
        Ok(row.map(|r| Dictionary {
            id: r.get(0),
            object_key: r.get(1),
        }))
    }

    async fn indexed_object_intents(&self, now_ms: i64) -> Result<Vec<ObjectIntent>> {
        let c = self.pool.get().await?;
        let rows = c
            .query(
                "SELECT object_key, state, not_before_ms FROM rec_object_intents
                 WHERE state = 'writing' OR not_before_ms <= $1 ORDER BY object_key",
                &[&now_ms],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| {
                let object_key: String = r.get(0);
                if r.get::<_, &str>(1) == "writing" {
                    ObjectIntent::Writing { object_key }
                } else {
                    ObjectIntent::Deleting {
                        object_key,
                        not_before_ms: r.get(2),
                    }
                }
            })
            .collect())
    }

    async fn indexed_object_referenced(&self, object_key: &str) -> Result<bool> {
        let c = self.pool.get().await?;
        Ok(c.query_one(
            "SELECT EXISTS (SELECT 1 FROM rec_chunks WHERE object_key = $1)
                 OR EXISTS (SELECT 1 FROM rec_dictionaries WHERE object_key = $1)",
            &[&object_key],
        )
        .await?
        .get(0))
    }

    async fn forget_object_intent(&self, object_key: &str) -> Result<()> {
        let c = self.pool.get().await?;
        c.execute(
            "DELETE FROM rec_object_intents WHERE object_key = $1",
            &[&object_key],
        )
        .await?;
        Ok(())
    }

    async fn indexed_unreferenced_objects(&self, object_keys: Vec<String>) -> Result<Vec<String>> {
        let c = self.pool.get().await?;
        let rows = c
            .query(
                "SELECT k FROM unnest($1::text[]) AS k
                 WHERE NOT EXISTS (SELECT 1 FROM rec_chunks WHERE object_key = k)
                   AND NOT EXISTS (SELECT 1 FROM rec_dictionaries WHERE object_key = k)
                   AND NOT EXISTS (SELECT 1 FROM rec_object_intents WHERE object_key = k)",
                &[&object_keys],
            )
            .await?;
        Ok(rows.iter().map(|r| r.get(0)).collect())
    }

    async fn expired_recordings(
        &self,
        project_id: i64,
        cutoff_ms: i64,
        limit: usize,
    ) -> Result<Vec<SessionRef>> {
        let c = self.pool.get().await?;
        let rows = c
            .query(
                "SELECT device_id, session_id FROM rec_sessions
                 WHERE project_id = $1 AND start_ms < $2 AND end_ms < $2 LIMIT $3",
                &[&project_id, &cutoff_ms, &(limit as i64)],
            )
            .await?;
        Ok(refs(project_id, &rows))
    }

    async fn recordings_of_device(
        &self,
        project_id: i64,
        device_id: &str,
        limit: usize,
    ) -> Result<Vec<SessionRef>> {
        let c = self.pool.get().await?;
        let rows = c
            .query(
                "SELECT device_id, session_id FROM rec_sessions
                 WHERE project_id = $1 AND device_id = $2 LIMIT $3",
                &[&project_id, &device_id, &(limit as i64)],
            )
            .await?;
        Ok(refs(project_id, &rows))
    }

    async fn adopt_data_dir(&self, local: &crate::SqliteStore, now_ms: i64) -> Result<()> {
        self.adopt_recordings(local, now_ms).await.map(|_| ())
    }

    async fn forget_recordings(
        &self,
        sessions: Vec<SessionRef>,
        delete_after_ms: i64,
    ) -> Result<usize> {
        let mut c = self.pool.get().await?;
        let tx = c.transaction().await?;
        let mut forgotten = 0;
        for s in &sessions {
            if forget_recording(&tx, s, delete_after_ms).await? {
                forgotten += 1;
            }
        }
        tx.commit().await?;
        Ok(forgotten)
    }
}

fn refs(project_id: i64, rows: &[Row]) -> Vec<SessionRef> {
    rows.iter()
        .map(|r| SessionRef {
            project_id,
            device_id: r.get(0),
            session_id: r.get(1),
        })
        .collect()
}

/// Indexes one chunk of an upload and folds it into its session (whose row the transaction
/// holds); false when the session has the chunk already.
async fn index_chunk(
    tx: &Transaction<'_>,
    upload: &NewUpload,
    chunk: &NewChunk,
    last_meta_ms: Option<i64>,
    now_ms: i64,
) -> Result<bool> {
    let s = &upload.session;
    // A chunk that starts with a snapshot is a keyframe; its Meta is in the chunk, or the
    // session's latest Meta when an SDK ended the previous upload with it.
    let keyframe_ms = match (chunk.starts_with_snapshot, chunk.meta_ms) {
        (true, Some(meta)) => Some(meta),
        (true, None) => Some(
            last_meta_ms
                .filter(|m| *m <= chunk.start_ms && chunk.start_ms - m <= META_SNAPSHOT_GAP_MS)
                .unwrap_or(chunk.start_ms),
        ),
        (false, _) => None,
    };
    let inserted = tx
        .execute(
            "INSERT INTO rec_chunks (project_id, device_id, session_id, format, start_ms, end_ms,
                 event_count, raw_bytes, stored_bytes, self_contained, keyframe_ms, content_hash,
                 object_key, received_ms, dictionary_id)
             VALUES ($1, $2, $3, 'chunk', $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
             ON CONFLICT (project_id, device_id, session_id, content_hash) DO NOTHING",
            &[
                &s.project_id,
                &s.device_id,
                &s.session_id,
                &chunk.start_ms,
                &chunk.end_ms,
                &chunk.event_count,
                &chunk.raw_bytes,
                &chunk.stored_bytes,
                &keyframe_ms.is_some(),
                &keyframe_ms,
                &chunk.content_hash,
                &chunk.object_key,
                &now_ms,
                &chunk.dictionary_id,
            ],
        )
        .await?;
    if inserted == 0 {
        return Ok(false);
    }
    let ua = upload.user_agent.as_ref();
    tx.execute(
        &format!(
            "UPDATE rec_sessions SET start_ms = LEAST(start_ms, $4), end_ms = GREATEST(end_ms, $5),
                event_count = event_count + $6, raw_bytes = raw_bytes + $7,
                stored_bytes = stored_bytes + $8, country = COALESCE(country, $9),
                last_upload_ms = $10, last_meta_ms = GREATEST(last_meta_ms, $11),
                user_agent = COALESCE(user_agent, $12), browser = COALESCE(browser, $13),
                os = COALESCE(os, $14), device = COALESCE(device, $15)
             WHERE {KEY}"
        ),
        &[
            &s.project_id,
            &s.device_id,
            &s.session_id,
            &chunk.start_ms,
            &chunk.end_ms,
            &chunk.event_count,
            &chunk.raw_bytes,
            &chunk.stored_bytes,
            &upload.country,
            &now_ms,
            &chunk.last_meta_ms,
            &ua.map(|u| u.header.as_str()),
            &ua.map(|u| u.browser.as_str()),
            &ua.map(|u| u.os.as_str()),
            &ua.map(|u| u.device.as_str()),
        ],
    )
    .await?;
    if let Some((href_ms, href)) = &chunk.first_href {
        tx.execute(
            &format!(
                "UPDATE rec_sessions SET first_url = $4, first_url_ms = $5
                 WHERE {KEY} AND (first_url_ms IS NULL OR first_url_ms > $5)"
            ),
            &[&s.project_id, &s.device_id, &s.session_id, href, href_ms],
        )
        .await?;
    }
    Ok(true)
}

/// Forgets one session's recording in `tx`; false when it had none.
async fn forget_recording(
    tx: &Transaction<'_>,
    s: &SessionRef,
    delete_after_ms: i64,
) -> Result<bool> {
    tx.execute(
        &format!(
            "INSERT INTO rec_object_intents (object_key, state, not_before_ms)
             SELECT object_key, 'deleting', $4 FROM rec_chunks WHERE {KEY}
             ON CONFLICT (object_key) DO UPDATE SET state = 'deleting',
                 not_before_ms = excluded.not_before_ms"
        ),
        &[&s.project_id, &s.device_id, &s.session_id, &delete_after_ms],
    )
    .await?;
    let ids: Vec<i64> = tx
        .query(&format!("SELECT id FROM rec_chunks WHERE {KEY}"), &key(s))
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    work::drop_chunks(tx, &ids).await?;
    for table in ["rec_compacted_hashes", "rec_gaps", "rec_work"] {
        tx.execute(&format!("DELETE FROM {table} WHERE {KEY}"), &key(s))
            .await?;
    }
    Ok(tx
        .execute(&format!("DELETE FROM rec_sessions WHERE {KEY}"), &key(s))
        .await?
        == 1)
}
