//! The recordings' index of this data dir as it is, read for a shared index to adopt
//! (`postgres/recordings/adopt.rs`): sessions with recordings in row order, in batches, with
//! their chunks, compacted hashes, holes and queue place; pieces; dictionaries.

use rusqlite::params;

use super::{REPLAY_COLUMNS, SqliteStore, chunks_of, replay_from_row};
use crate::recordings::{HeldPiece, HeldRecording, HeldWork};
use crate::{Result, SessionRef};

impl SqliteStore {
    /// The name of this data dir (the feed's origin): a shared index adopts a data dir once.
    pub async fn origin(&self) -> Result<String> {
        self.read(|c| Ok(c.query_row("SELECT origin FROM feed_origin", [], |r| r.get(0))?))
            .await
    }

    /// Up to `limit` recordings after row `after` (0 to start); the last row read.
    pub async fn held_recordings(
        &self,
        after: i64,
        limit: usize,
    ) -> Result<(Vec<HeldRecording>, Option<i64>)> {
        self.read(move |c| {
            let mut stmt = c.prepare(&format!(
                "SELECT {REPLAY_COLUMNS}, s.id, s.project_id, s.raw_bytes, s.first_url_ms,
                        s.last_meta_ms, s.user_agent
                 FROM sessions s WHERE s.id > ?1 AND s.start_ms IS NOT NULL
                 ORDER BY s.id LIMIT ?2"
            ))?;
            let base = REPLAY_COLUMNS.split(',').count();
            let rows = stmt
                .query_map(params![after, limit as i64], |r| {
                    Ok((
                        replay_from_row(r)?,
                        r.get::<_, i64>(base)?,
                        r.get::<_, i64>(base + 1)?,
                        r.get::<_, i64>(base + 2)?,
                        r.get::<_, Option<i64>>(base + 3)?,
                        r.get::<_, Option<i64>>(base + 4)?,
                        r.get::<_, Option<String>>(base + 5)?,
                    ))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            let last = rows.last().map(|r| r.1);
            let mut held = Vec::with_capacity(rows.len());
            let mut pieces_of = c.prepare_cached(
                "SELECT p.hash FROM chunk_pieces u JOIN pieces p ON p.id = u.piece_id
                 WHERE u.chunk_id = ?1",
            )?;
            let mut hashes = c.prepare_cached(
                "SELECT content_hash FROM compacted_hashes WHERE session_row = ?1",
            )?;
            let mut gaps = c.prepare_cached(
                "SELECT start_ms, end_ms FROM session_gaps WHERE session_row = ?1 ORDER BY start_ms",
            )?;
            let mut work = c.prepare_cached(
                "SELECT due_ms, signals_until_ms, signals_finished, attempts, generation
                 FROM session_work WHERE session_row = ?1",
            )?;
            for (replay, row, project_id, raw_bytes, first_url_ms, last_meta_ms, user_agent) in
                rows
            {
                let mut chunks = Vec::new();
                for chunk in chunks_of(c, row)? {
                    let used = pieces_of
                        .query_map(params![chunk.stored_seq], |r| r.get::<_, Vec<u8>>(0))?
                        .filter_map(|h| h.ok().and_then(|h| <[u8; 16]>::try_from(h).ok()))
                        .collect();
                    chunks.push((chunk, used));
                }
                held.push(HeldRecording {
                    session: SessionRef {
                        project_id,
                        device_id: replay.device_id.clone(),
                        session_id: replay.session_id,
                    },
                    raw_bytes,
                    first_url_ms,
                    last_meta_ms,
                    user_agent,
                    chunks,
                    compacted_hashes: hashes
                        .query_map(params![row], |r| r.get(0))?
                        .collect::<Result<_, _>>()?,
                    gaps: gaps
                        .query_map(params![row], |r| Ok((r.get(0)?, r.get(1)?)))?
                        .collect::<Result<_, _>>()?,
                    work: work
                        .query_map(params![row], |r| {
                            Ok(HeldWork {
                                due_ms: r.get(0)?,
                                signals_until_ms: r.get(1)?,
                                signals_finished: r.get(2)?,
                                attempts: r.get(3)?,
                                generation: r.get(4)?,
                            })
                        })?
                        .next()
                        .transpose()?,
                    replay,
                });
            }
            Ok((held, last))
        })
        .await
    }

    /// Up to `limit` pieces after row `after`; the last row read.
    pub async fn held_pieces(
        &self,
        after: i64,
        limit: usize,
    ) -> Result<(Vec<HeldPiece>, Option<i64>)> {
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT id, project_id, hash, raw_bytes, stored FROM pieces WHERE id > ?1
                 ORDER BY id LIMIT ?2",
            )?;
            let rows = stmt
                .query_map(params![after, limit as i64], |r| {
                    Ok((
                        r.get::<_, i64>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, Vec<u8>>(2)?,
                        r.get::<_, i64>(3)?,
                        r.get::<_, Vec<u8>>(4)?,
                    ))
                })?
                .collect::<Result<Vec<_>, _>>()?;
            let last = rows.last().map(|r| r.0);
            let pieces = rows
                .into_iter()
                .filter_map(|(_, project_id, hash, raw_bytes, stored)| {
                    Some(HeldPiece {
                        project_id,
                        hash: hash.try_into().ok()?,
                        raw_bytes,
                        stored,
                    })
                })
                .collect();
            Ok((pieces, last))
        })
        .await
    }

    /// Every dictionary: its id here and its object.
    pub async fn held_dictionaries(&self) -> Result<Vec<(i64, String)>> {
        self.read(|c| {
            let mut stmt = c.prepare("SELECT id, object_key FROM dictionaries ORDER BY id")?;
            let rows = stmt
                .query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }
}
