//! The processing queue with its leases, what a run settles, and compaction's commit on
//! PostgreSQL (the embedded store's `sqlite/processing.rs` and `sqlite/compaction.rs`).

use tokio_postgres::Transaction;

use super::{KEY, key};
use crate::postgres::PgStore;
use crate::sqlite::MAX_SESSION_URLS;
use crate::{Compaction, Fact, ReplayId, Result, SessionRef, SignalsUpdate, StoreError, WorkItem};

/// Claims up to `limit` due sessions whose lease is free or over, for `node` until
/// `lease_until_ms`. Rows another node is claiming at this moment are skipped, not waited for.
pub(super) async fn claim(
    store: &PgStore,
    node: &str,
    now_ms: i64,
    lease_until_ms: i64,
    limit: usize,
) -> Result<Vec<WorkItem>> {
    let c = store.pool.get().await?;
    let rows = c
        .query(
            "WITH due AS (
                 SELECT project_id, device_id, session_id FROM rec_work
                 WHERE due_ms <= $1 AND (lease_until_ms IS NULL OR lease_until_ms <= $1)
                 ORDER BY due_ms LIMIT $2 FOR UPDATE SKIP LOCKED)
             UPDATE rec_work w SET lease_owner = $3, lease_until_ms = $4
             FROM due, rec_sessions s
             WHERE w.project_id = due.project_id AND w.device_id = due.device_id
               AND w.session_id = due.session_id
               AND s.project_id = w.project_id AND s.device_id = w.device_id
               AND s.session_id = w.session_id
             RETURNING w.project_id, w.device_id, w.session_id, s.replay_key, w.due_ms,
                       w.signals_until_ms, w.signals_finished, s.last_upload_ms, w.attempts,
                       w.generation",
            &[&now_ms, &(limit as i64), &node, &lease_until_ms],
        )
        .await?;
    let mut items: Vec<WorkItem> = rows
        .iter()
        .map(|r| WorkItem {
            session: SessionRef {
                project_id: r.get(0),
                device_id: r.get(1),
                session_id: r.get(2),
            },
            replay_id: ReplayId::from_stored(r.get(3)),
            user_id: None,
            due_ms: r.get(4),
            signals_until_ms: r.get(5),
            signals_finished: r.get(6),
            last_upload_ms: r.get(7),
            attempts: r.get(8),
            generation: r.get(9),
        })
        .collect();
    items.sort_by_key(|w| w.due_ms);
    Ok(items)
}

/// The index's part of a run's results, if the progress is still the one the run started
/// from (see [`crate::RecordingIndex::apply_progress`]).
pub(super) async fn apply_progress(store: &PgStore, u: &SignalsUpdate) -> Result<bool> {
    let s = &u.session;
    let mut c = store.pool.get().await?;
    let tx = c.transaction().await?;
    let moved = tx
        .execute(
            &format!(
                "UPDATE rec_work SET signals_until_ms = $4, signals_finished = $5,
                    due_ms = CASE WHEN generation = $7 THEN $6 ELSE LEAST(due_ms, $6) END,
                    attempts = 0, last_error = NULL
                 WHERE {KEY} AND signals_until_ms IS NOT DISTINCT FROM $8"
            ),
            &[
                &s.project_id,
                &s.device_id,
                &s.session_id,
                &u.signals_until_ms,
                &u.finished,
                &u.next_due_ms,
                &u.taken_generation,
                &u.expected_until_ms,
            ],
        )
        .await?;
    if moved == 0 {
        return Ok(false);
    }
    let added: Vec<String> = u
        .facts
        .iter()
        .filter(|(_, n)| *n != 0)
        .map(|(fact, n)| format!("{0} = {0} + {n}", fact.name()))
        .collect();
    if !added.is_empty() {
        tx.execute(
            &format!("UPDATE rec_sessions SET {} WHERE {KEY}", added.join(", ")),
            &key(s),
        )
        .await?;
    }
    if !u.urls.is_empty() {
        let known: String = tx
            .query_one(
                &format!("SELECT urls FROM rec_sessions WHERE {KEY} FOR UPDATE"),
                &key(s),
            )
            .await?
            .get(0);
        let mut urls: Vec<String> = serde_json::from_str(&known).unwrap_or_default();
        for url in &u.urls {
            if urls.len() < MAX_SESSION_URLS && !urls.contains(url) {
                urls.push(url.clone());
            }
        }
        tx.execute(
            &format!("UPDATE rec_sessions SET urls = $4 WHERE {KEY}"),
            &[
                &s.project_id,
                &s.device_id,
                &s.session_id,
                &serde_json::to_string(&urls).expect("strings"),
            ],
        )
        .await?;
    }
    if let Some((w, h)) = u.viewport {
        tx.execute(
            &format!(
                "UPDATE rec_sessions SET viewport_width = $4, viewport_height = $5
                 WHERE {KEY} AND viewport_width IS NULL"
            ),
            &[
                &s.project_id,
                &s.device_id,
                &s.session_id,
                &i64::from(w),
                &i64::from(h),
            ],
        )
        .await?;
    }
    for (start, end) in &u.gaps {
        tx.execute(
            "INSERT INTO rec_gaps (project_id, device_id, session_id, start_ms, end_ms)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            &[&s.project_id, &s.device_id, &s.session_id, start, end],
        )
        .await?;
    }
    tx.commit().await?;
    Ok(true)
}

/// Clears what processing derived for the chosen recordings and makes them due.
pub(super) async fn reset(
    store: &PgStore,
    project_id: Option<i64>,
    since_ms: Option<i64>,
    now_ms: i64,
) -> Result<usize> {
    let mut c = store.pool.get().await?;
    let tx = c.transaction().await?;
    let chosen =
        "($1::bigint IS NULL OR project_id = $1) AND ($2::bigint IS NULL OR start_ms >= $2)";
    let zero: Vec<String> = Fact::ALL
        .iter()
        .map(|f| format!("{} = 0", f.name()))
        .collect();
    tx.execute(
        &format!(
            "UPDATE rec_sessions SET {}, urls = '[]', viewport_width = NULL,
                 viewport_height = NULL WHERE {chosen}",
            zero.join(", ")
        ),
        &[&project_id, &since_ms],
    )
    .await?;
    tx.execute(
        "DELETE FROM rec_gaps g USING rec_sessions s
         WHERE s.project_id = g.project_id AND s.device_id = g.device_id
           AND s.session_id = g.session_id
           AND ($1::bigint IS NULL OR s.project_id = $1)
           AND ($2::bigint IS NULL OR s.start_ms >= $2)",
        &[&project_id, &since_ms],
    )
    .await?;
    let n = tx
        .execute(
            &format!(
                "INSERT INTO rec_work (project_id, device_id, session_id, due_ms)
                 SELECT project_id, device_id, session_id, $3 FROM rec_sessions WHERE {chosen}
                 ON CONFLICT (project_id, device_id, session_id) DO UPDATE
                 SET due_ms = excluded.due_ms, signals_until_ms = NULL,
                     signals_finished = false, attempts = 0, last_error = NULL"
            ),
            &[&project_id, &since_ms, &now_ms],
        )
        .await?;
    tx.commit().await?;
    Ok(n as usize)
}

/// Replaces a session's chunks by segments in one transaction (the embedded store's rules:
/// every replaced chunk must still be there, their objects are deleted after
/// `delete_after_ms`, their hashes stay known, pieces no segment uses any more go).
pub(super) async fn commit_compaction(
    store: &PgStore,
    compaction: Compaction,
    now_ms: i64,
) -> Result<bool> {
    let s = &compaction.session;
    let project_id = s.project_id;
    let mut c = store.pool.get().await?;
    let tx = c.transaction().await?;
    let exists = tx
        .query_opt(
            &format!("SELECT 1 FROM rec_sessions WHERE {KEY} FOR UPDATE"),
            &key(s),
        )
        .await?;
    if exists.is_none() {
        return Ok(false);
    }
    let rows = tx
        .query(
            &format!(
                "SELECT id, object_key, content_hash FROM rec_chunks
                 WHERE {KEY} AND content_hash = ANY($4)"
            ),
            &[
                &s.project_id,
                &s.device_id,
                &s.session_id,
                &compaction.replaced,
            ],
        )
        .await?;
    let mut found: Vec<&str> = rows.iter().map(|r| r.get::<_, &str>(2)).collect();
    found.sort_unstable();
    found.dedup();
    let mut wanted: Vec<&str> = compaction.replaced.iter().map(String::as_str).collect();
    wanted.sort_unstable();
    wanted.dedup();
    if found != wanted {
        // A replaced chunk is gone: another run compacted, or the replay was deleted.
        return Ok(false);
    }
    let ids: Vec<i64> = rows.iter().map(|r| r.get(0)).collect();
    for r in &rows {
        let (object_key, content_hash): (&str, &str) = (r.get(1), r.get(2));
        tx.execute(
            "INSERT INTO rec_compacted_hashes (project_id, device_id, session_id, content_hash)
             VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            &[&s.project_id, &s.device_id, &s.session_id, &content_hash],
        )
        .await?;
        // Segments and chunks may share a key only if they are the same bytes.
        if !compaction
            .segments
            .iter()
            .any(|seg| seg.object_key == object_key)
        {
            tx.execute(
                "INSERT INTO rec_object_intents (object_key, state, not_before_ms)
                 VALUES ($1, 'deleting', $2)
                 ON CONFLICT (object_key) DO UPDATE SET state = 'deleting',
                     not_before_ms = excluded.not_before_ms",
                &[&object_key, &compaction.delete_after_ms],
            )
            .await?;
        }
    }
    let released = detach(&tx, &ids).await?;
    tx.execute("DELETE FROM rec_chunks WHERE id = ANY($1)", &[&ids])
        .await?;
    for p in &compaction.pieces {
        tx.execute(
            "INSERT INTO rec_pieces (project_id, hash, raw_bytes, stored) VALUES ($1, $2, $3, $4)
             ON CONFLICT (project_id, hash) DO NOTHING",
            &[&project_id, &&p.hash[..], &p.raw_bytes, &p.stored],
        )
        .await?;
    }
    for seg in &compaction.segments {
        let id: i64 = tx
            .query_one(
                "INSERT INTO rec_chunks (project_id, device_id, session_id, format, start_ms,
                     end_ms, event_count, raw_bytes, stored_bytes, self_contained, keyframe_ms,
                     content_hash, object_key, received_ms)
                 VALUES ($1, $2, $3, 'segment', $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
                 RETURNING id",
                &[
                    &s.project_id,
                    &s.device_id,
                    &s.session_id,
                    &seg.start_ms,
                    &seg.end_ms,
                    &seg.event_count,
                    &seg.raw_bytes,
                    &seg.stored_bytes,
                    &seg.keyframe_ms.is_some(),
                    &seg.keyframe_ms,
                    &seg.content_hash,
                    &seg.object_key,
                    &now_ms,
                ],
            )
            .await?
            .get(0);
        let hashes: Vec<Vec<u8>> = seg.pieces.iter().map(|h| h.to_vec()).collect();
        let linked = tx
            .execute(
                "INSERT INTO rec_chunk_pieces (chunk_id, piece_id)
                 SELECT $1, id FROM rec_pieces WHERE project_id = $2 AND hash = ANY($3)
                 ON CONFLICT DO NOTHING",
                &[&id, &project_id, &hashes],
            )
            .await?;
        let mut distinct = seg.pieces.clone();
        distinct.sort_unstable();
        distinct.dedup();
        if linked as usize != distinct.len() {
            // A piece neither stored before nor given: the segment could not be read.
            return Err(StoreError::Invalid(
                "a segment refers to a piece that is not stored".into(),
            ));
        }
        let written = tx
            .execute(
                "DELETE FROM rec_object_intents WHERE object_key = $1 AND state = 'writing'",
                &[&seg.object_key],
            )
            .await?;
        if written == 0 {
            // Its intended write was settled meanwhile (another node's start found the object
            // unreferenced and deleted it): the segment cannot be used.
            return Ok(false);
        }
    }
    free(&tx, &released).await?;
    tx.execute(
        &format!(
            "UPDATE rec_sessions SET stored_bytes = (SELECT COALESCE(SUM(stored_bytes), 0)::bigint
                 FROM rec_chunks WHERE {KEY}) WHERE {KEY}"
        ),
        &key(s),
    )
    .await?;
    tx.commit().await?;
    Ok(true)
}

/// Deletes the chunks `ids` and the pieces only they used.
pub(super) async fn drop_chunks(tx: &Transaction<'_>, ids: &[i64]) -> Result<()> {
    let released = detach(tx, ids).await?;
    tx.execute("DELETE FROM rec_chunks WHERE id = ANY($1)", &[&ids])
        .await?;
    free(tx, &released).await
}

/// Detaches chunks from their pieces; the pieces they used.
async fn detach(tx: &Transaction<'_>, ids: &[i64]) -> Result<Vec<i64>> {
    let released = tx
        .query(
            "DELETE FROM rec_chunk_pieces WHERE chunk_id = ANY($1) RETURNING piece_id",
            &[&ids],
        )
        .await?
        .iter()
        .map(|r| r.get(0))
        .collect();
    Ok(released)
}

/// Deletes the pieces among `released` that no segment refers to any more.
async fn free(tx: &Transaction<'_>, released: &[i64]) -> Result<()> {
    if released.is_empty() {
        return Ok(());
    }
    tx.execute(
        "DELETE FROM rec_pieces p WHERE p.id = ANY($1)
           AND NOT EXISTS (SELECT 1 FROM rec_chunk_pieces u WHERE u.piece_id = p.id)",
        &[&released],
    )
    .await?;
    Ok(())
}
