//! A data dir joining a shared recordings' index: the recordings its embedded store indexed
//! before (a node that ran with `database_url = postgres://…` when recordings' index was still
//! per node, or a data dir `reel migrate` moved) are copied here once, so every node finds
//! them. Safe to run again after a crash: sessions already here are left as they are, and the
//! data dir is marked adopted (by its origin) only at the end.

use std::collections::HashMap;

use crate::postgres::PgStore;
use crate::recordings::HeldRecording;
use crate::{ChunkFormat, Fact, Result, SqliteStore};

/// Recordings read and written per transaction.
const BATCH: usize = 200;

/// What an adoption copied.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Adopted {
    pub sessions: usize,
    pub chunks: usize,
    pub pieces: usize,
}

impl PgStore {
    /// Copies `local`'s recordings' index here unless this data dir was adopted before
    /// (`None` then).
    pub async fn adopt_recordings(
        &self,
        local: &SqliteStore,
        now_ms: i64,
    ) -> Result<Option<Adopted>> {
        let origin = local.origin().await?;
        let mut adopted = Adopted::default();
        {
            let c = self.pool.get().await?;
            if c.query_opt("SELECT 1 FROM rec_adopted WHERE origin = $1", &[&origin])
                .await?
                .is_some()
            {
                return Ok(None);
            }
        }
        let mut dictionaries = HashMap::new();
        for (id, object_key) in local.held_dictionaries().await? {
            let c = self.pool.get().await?;
            let new: i64 = c
                .query_one(
                    "INSERT INTO rec_dictionaries (object_key) VALUES ($1)
                     ON CONFLICT (object_key) DO UPDATE SET object_key = excluded.object_key
                     RETURNING id",
                    &[&object_key],
                )
                .await?
                .get(0);
            dictionaries.insert(id, new);
        }
        let mut after = 0;
        loop {
            let (pieces, last) = local.held_pieces(after, BATCH).await?;
            let Some(last) = last else { break };
            after = last;
            let mut c = self.pool.get().await?;
            let tx = c.transaction().await?;
            for p in &pieces {
                adopted.pieces += tx
                    .execute(
                        "INSERT INTO rec_pieces (project_id, hash, raw_bytes, stored)
                         VALUES ($1, $2, $3, $4) ON CONFLICT (project_id, hash) DO NOTHING",
                        &[&p.project_id, &&p.hash[..], &p.raw_bytes, &p.stored],
                    )
                    .await? as usize;
            }
            tx.commit().await?;
        }
        let mut after = 0;
        loop {
            let (held, last) = local.held_recordings(after, BATCH).await?;
            let Some(last) = last else { break };
            after = last;
            let mut c = self.pool.get().await?;
            let tx = c.transaction().await?;
            for h in &held {
                if let Some(chunks) = adopt_one(&tx, h, &dictionaries).await? {
                    adopted.sessions += 1;
                    adopted.chunks += chunks;
                }
            }
            tx.commit().await?;
        }
        let c = self.pool.get().await?;
        c.execute(
            "INSERT INTO rec_adopted (origin, adopted_ms) VALUES ($1, $2) ON CONFLICT DO NOTHING",
            &[&origin, &now_ms],
        )
        .await?;
        if adopted != Adopted::default() {
            tracing::info!(
                sessions = adopted.sessions,
                chunks = adopted.chunks,
                pieces = adopted.pieces,
                "copied this data dir's recordings' index into PostgreSQL"
            );
        }
        Ok(Some(adopted))
    }
}

/// Copies one recording; `None` when the session is here already, else its chunks copied.
async fn adopt_one(
    tx: &tokio_postgres::Transaction<'_>,
    h: &HeldRecording,
    dictionaries: &HashMap<i64, i64>,
) -> Result<Option<usize>> {
    let (s, r) = (&h.session, &h.replay);
    let facts: Vec<&str> = Fact::ALL.iter().map(|f| f.name()).collect();
    let fact_values: Vec<String> = Fact::ALL
        .iter()
        .map(|f| r.facts.get(*f).to_string())
        .collect();
    let made = tx
        .execute(
            &format!(
                "INSERT INTO rec_sessions (project_id, device_id, session_id, replay_key, start_ms,
                     end_ms, event_count, raw_bytes, stored_bytes, first_url, first_url_ms,
                     country, last_upload_ms, last_meta_ms, user_agent, browser, os, device, urls,
                     viewport_width, viewport_height, {})
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16,
                     $17, $18, $19, $20, $21, {})
                 ON CONFLICT DO NOTHING",
                facts.join(", "),
                fact_values.join(", ")
            ),
            &[
                &s.project_id,
                &s.device_id,
                &s.session_id,
                &r.id.as_str(),
                &r.start_ms,
                &r.end_ms,
                &r.event_count,
                &h.raw_bytes,
                &r.stored_bytes,
                &r.first_url,
                &h.first_url_ms,
                &r.country,
                &r.last_upload_ms,
                &h.last_meta_ms,
                &h.user_agent,
                &r.browser,
                &r.os,
                &r.device,
                &serde_json::to_string(&r.urls).expect("strings"),
                &r.viewport.map(|v| v.0),
                &r.viewport.map(|v| v.1),
            ],
        )
        .await?;
    if made == 0 {
        return Ok(None);
    }
    for (chunk, pieces) in &h.chunks {
        let format = match chunk.format {
            ChunkFormat::Chunk => "chunk",
            ChunkFormat::Segment => "segment",
        };
        let dictionary = chunk
            .dictionary_id
            .map(|d| dictionaries.get(&d).copied().unwrap_or(d));
        let id: i64 = tx
            .query_one(
                "INSERT INTO rec_chunks (project_id, device_id, session_id, format, start_ms,
                     end_ms, event_count, raw_bytes, stored_bytes, self_contained, keyframe_ms,
                     content_hash, object_key, received_ms, dictionary_id)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)
                 RETURNING id",
                &[
                    &s.project_id,
                    &s.device_id,
                    &s.session_id,
                    &format,
                    &chunk.start_ms,
                    &chunk.end_ms,
                    &chunk.event_count,
                    &chunk.raw_bytes,
                    &chunk.stored_bytes,
                    &chunk.self_contained,
                    &chunk.keyframe_ms,
                    &chunk.content_hash,
                    &chunk.object_key,
                    &r.last_upload_ms.unwrap_or(r.end_ms),
                    &dictionary,
                ],
            )
            .await?
            .get(0);
        let hashes: Vec<Vec<u8>> = pieces.iter().map(|p| p.to_vec()).collect();
        tx.execute(
            "INSERT INTO rec_chunk_pieces (chunk_id, piece_id)
             SELECT $1, id FROM rec_pieces WHERE project_id = $2 AND hash = ANY($3)
             ON CONFLICT DO NOTHING",
            &[&id, &s.project_id, &hashes],
        )
        .await?;
    }
    for hash in &h.compacted_hashes {
        tx.execute(
            "INSERT INTO rec_compacted_hashes (project_id, device_id, session_id, content_hash)
             VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING",
            &[&s.project_id, &s.device_id, &s.session_id, hash],
        )
        .await?;
    }
    for (start, end) in &h.gaps {
        tx.execute(
            "INSERT INTO rec_gaps (project_id, device_id, session_id, start_ms, end_ms)
             VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING",
            &[&s.project_id, &s.device_id, &s.session_id, start, end],
        )
        .await?;
    }
    if let Some(w) = &h.work {
        tx.execute(
            "INSERT INTO rec_work (project_id, device_id, session_id, due_ms, signals_until_ms,
                 signals_finished, attempts, generation)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8) ON CONFLICT DO NOTHING",
            &[
                &s.project_id,
                &s.device_id,
                &s.session_id,
                &w.due_ms,
                &w.signals_until_ms,
                &w.signals_finished,
                &w.attempts,
                &w.generation,
            ],
        )
        .await?;
    }
    Ok(Some(h.chunks.len()))
}
