//! A recording's stored pieces, compaction, shared strings, objects in flight
//! ([`CompactionStore`]).

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, params};

use super::events::session_row;
use super::{SqliteStore, chunks_of};
use crate::{
    Compaction, CompactionStore, Dictionary, ObjectIntent, Result, SessionRef, StoreError,
    StoredChunk,
};

#[async_trait]
impl CompactionStore for SqliteStore {
    async fn session_chunks(&self, session: &SessionRef) -> Result<Vec<StoredChunk>> {
        let session = session.clone();
        self.read(move |c| match session_row(c, &session)? {
            Some(row) => chunks_of(c, row),
            None => Ok(Vec::new()),
        })
        .await
    }

    async fn intend_writes(&self, object_keys: Vec<String>) -> Result<()> {
        self.write(move |c| {
            let tx = c.transaction()?;
            {
                let mut insert = tx.prepare_cached(
                    "INSERT INTO object_intents (object_key, state, not_before_ms)
                     VALUES (?1, 'writing', 0)
                     ON CONFLICT (object_key) DO UPDATE SET state = 'writing', not_before_ms = 0",
                )?;
                for key in &object_keys {
                    insert.execute(params![key])?;
                }
            }
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn commit_compaction(&self, compaction: Compaction, now_ms: i64) -> Result<bool> {
        self.write(move |c| {
            let tx = c.transaction()?;
            let project_id = compaction.session.project_id;
            let Some(session_row) = session_row(&tx, &compaction.session)? else {
                return Ok(false);
            };
            // The replaced chunks must all still be there.
            let mut replaced = Vec::with_capacity(compaction.replaced.len());
            {
                let mut get = tx.prepare_cached(
                    "SELECT id, object_key, content_hash FROM chunks
                     WHERE session_row = ?1 AND content_hash = ?2",
                )?;
                for hash in &compaction.replaced {
                    match get
                        .query_row(params![session_row, hash], |r| {
                            Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?))
                        })
                        .optional()?
                    {
                        Some(row) => replaced.push(row),
                        None => return Ok(false),
                    }
                }
            }
            {
                let mut keep_hash = tx.prepare_cached(
                    "INSERT INTO compacted_hashes (session_row, content_hash) VALUES (?1, ?2)
                     ON CONFLICT DO NOTHING",
                )?;
                let replaced_ids: Vec<i64> = replaced.iter().map(|(id, _, _)| *id).collect();
                detach_pieces(&tx, &replaced_ids)?;
                let mut drop_chunk = tx.prepare_cached("DELETE FROM chunks WHERE id = ?1")?;
                let mut delete_later = tx.prepare_cached(
                    "INSERT INTO object_intents (object_key, state, not_before_ms) VALUES (?1, 'deleting', ?2)
                     ON CONFLICT (object_key) DO UPDATE SET state = 'deleting', not_before_ms = excluded.not_before_ms",
                )?;
                for (id, object_key, content_hash) in &replaced {
                    keep_hash.execute(params![session_row, content_hash])?;
                    drop_chunk.execute(params![id])?;
                    // Segments and chunks may share a key only if they are the same bytes.
                    if !compaction.segments.iter().any(|s| &s.object_key == object_key) {
                        delete_later.execute(params![object_key, compaction.delete_after_ms])?;
                    }
                }
            }
            {
                let mut piece = tx.prepare_cached(
                    "INSERT INTO pieces (project_id, hash, raw_bytes, stored) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (project_id, hash) DO NOTHING",
                )?;
                for p in &compaction.pieces {
                    piece.execute(params![project_id, &p.hash[..], p.raw_bytes, p.stored])?;
                }
                let mut segment = tx.prepare_cached(
                    "INSERT INTO chunks (session_row, start_ms, end_ms, event_count, raw_bytes, stored_bytes,
                                         self_contained, content_hash, object_key, received_ms, keyframe_ms, format)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 'segment')",
                )?;
                let mut uses = tx.prepare_cached(
                    "INSERT INTO chunk_pieces (chunk_id, piece_id)
                     SELECT ?1, id FROM pieces WHERE project_id = ?2 AND hash = ?3
                     ON CONFLICT DO NOTHING",
                )?;
                let mut written = tx.prepare_cached(
                    "DELETE FROM object_intents WHERE object_key = ?1 AND state = 'writing'",
                )?;
                for seg in &compaction.segments {
                    segment.execute(params![
                        session_row,
                        seg.start_ms,
                        seg.end_ms,
                        seg.event_count,
                        seg.raw_bytes,
                        seg.stored_bytes,
                        seg.keyframe_ms.is_some(),
                        seg.content_hash,
                        seg.object_key,
                        now_ms,
                        seg.keyframe_ms
                    ])?;
                    let id = tx.last_insert_rowid();
                    for hash in &seg.pieces {
                        let n = uses.execute(params![id, project_id, &hash[..]])?;
                        if n == 0 && !compaction.pieces.iter().any(|p| &p.hash == hash) {
                            // Neither stored before nor given: the segment could not be read.
                            let known: bool = tx.query_row(
                                "SELECT EXISTS (SELECT 1 FROM pieces WHERE project_id = ?1 AND hash = ?2)",
                                params![project_id, &hash[..]],
                                |r| r.get(0),
                            )?;
                            if !known {
                                return Err(StoreError::Invalid(
                                    "a segment refers to a piece that is not stored".into(),
                                ));
                            }
                        }
                    }
                    if written.execute(params![seg.object_key])? == 0 {
                        // Its intended write was settled meanwhile (the object deleted by a
                        // start that found it unreferenced): the segment cannot be used.
                        return Ok(false);
                    }
                }
            }
            free_detached_pieces(&tx)?;
            tx.execute(
                "UPDATE sessions SET stored_bytes = (SELECT COALESCE(SUM(stored_bytes), 0) FROM chunks
                 WHERE session_row = ?1) WHERE id = ?1",
                params![session_row],
            )?;
            tx.commit()?;
            Ok(true)
        })
        .await
    }

    async fn pieces(
        &self,
        project_id: i64,
        hashes: Vec<[u8; 16]>,
    ) -> Result<Vec<([u8; 16], Vec<u8>)>> {
        self.read(move |c| {
            let mut get =
                c.prepare_cached("SELECT stored FROM pieces WHERE project_id = ?1 AND hash = ?2")?;
            let mut found = Vec::with_capacity(hashes.len());
            for hash in hashes {
                if let Some(stored) = get
                    .query_row(params![project_id, &hash[..]], |r| r.get::<_, Vec<u8>>(0))
                    .optional()?
                {
                    found.push((hash, stored));
                }
            }
            Ok(found)
        })
        .await
    }

    async fn known_pieces(&self, project_id: i64, hashes: Vec<[u8; 16]>) -> Result<Vec<[u8; 16]>> {
        self.read(move |c| {
            let mut get = c.prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM pieces WHERE project_id = ?1 AND hash = ?2)",
            )?;
            let mut known = Vec::new();
            for hash in hashes {
                if get.query_row(params![project_id, &hash[..]], |r| r.get::<_, bool>(0))? {
                    known.push(hash);
                }
            }
            Ok(known)
        })
        .await
    }

    async fn dictionary(&self, id: i64) -> Result<Option<Dictionary>> {
        self.read(move |c| {
            Ok(c.query_row(
                "SELECT id, object_key FROM dictionaries WHERE id = ?1",
                params![id],
                |r| {
                    Ok(Dictionary {
                        id: r.get(0)?,
                        object_key: r.get(1)?,
                    })
                },
            )
            .optional()?)
        })
        .await
    }

    async fn object_intents(&self, now_ms: i64) -> Result<Vec<ObjectIntent>> {
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT object_key, state, not_before_ms FROM object_intents
                 WHERE state = 'writing' OR not_before_ms <= ?1 ORDER BY object_key",
            )?;
            let rows = stmt
                .query_map(params![now_ms], |r| {
                    let key: String = r.get(0)?;
                    Ok(if r.get::<_, String>(1)? == "writing" {
                        ObjectIntent::Writing { object_key: key }
                    } else {
                        ObjectIntent::Deleting {
                            object_key: key,
                            not_before_ms: r.get(2)?,
                        }
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    async fn object_referenced(&self, object_key: &str) -> Result<bool> {
        let key = object_key.to_owned();
        self.read(move |c| {
            Ok(c.query_row(
                "SELECT EXISTS (SELECT 1 FROM chunks WHERE object_key = ?1)
                     OR EXISTS (SELECT 1 FROM dictionaries WHERE object_key = ?1)",
                params![key],
                |r| r.get(0),
            )?)
        })
        .await
    }

    async fn forget_intent(&self, object_key: &str) -> Result<()> {
        let key = object_key.to_owned();
        self.write(move |c| {
            c.execute(
                "DELETE FROM object_intents WHERE object_key = ?1",
                params![key],
            )?;
            Ok(())
        })
        .await
    }

    async fn unreferenced_objects(&self, object_keys: Vec<String>) -> Result<Vec<String>> {
        self.read(move |c| {
            let mut referenced = c.prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM chunks WHERE object_key = ?1)
                     OR EXISTS (SELECT 1 FROM dictionaries WHERE object_key = ?1)
                     OR EXISTS (SELECT 1 FROM object_intents WHERE object_key = ?1)",
            )?;
            let mut orphans = Vec::new();
            for key in object_keys {
                if !referenced.query_row(params![key], |r| r.get::<_, bool>(0))? {
                    orphans.push(key);
                }
            }
            Ok(orphans)
        })
        .await
    }
}

/// Detaches the chunks `chunk_ids` from their pieces (before the chunk rows go), remembering
/// the pieces for [`free_detached_pieces`].
pub(super) fn detach_pieces(tx: &Connection, chunk_ids: &[i64]) -> Result<()> {
    tx.execute(
        "CREATE TEMP TABLE IF NOT EXISTS released (id INTEGER PRIMARY KEY)",
        [],
    )?;
    tx.execute("DELETE FROM released", [])?;
    let mut collect = tx.prepare_cached(
        "INSERT OR IGNORE INTO released (id) SELECT piece_id FROM chunk_pieces WHERE chunk_id = ?1",
    )?;
    let mut drop_uses = tx.prepare_cached("DELETE FROM chunk_pieces WHERE chunk_id = ?1")?;
    for id in chunk_ids {
        collect.execute(params![id])?;
        drop_uses.execute(params![id])?;
    }
    Ok(())
}

/// Deletes the pieces [`detach_pieces`] released that no segment refers to any more.
pub(super) fn free_detached_pieces(tx: &Connection) -> Result<()> {
    tx.execute(
        "DELETE FROM pieces WHERE id IN (SELECT id FROM released)
           AND NOT EXISTS (SELECT 1 FROM chunk_pieces u WHERE u.piece_id = pieces.id)",
        [],
    )?;
    tx.execute("DELETE FROM released", [])?;
    Ok(())
}
