//! The embedded store as the queue in front of a shared events store ([`FeedStore`]).

use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};

use super::SqliteStore;
use crate::{AnalyticsEvent, Fed, FedItem, FeedStore, Result, SessionRef, SessionText};

/// The one feed there is: events to `events_url`.
const FEED: &str = "events";

#[async_trait]
impl FeedStore for SqliteStore {
    async fn start_feed(&self) -> Result<i64> {
        self.write(|c| {
            let tx = c.transaction()?;
            let known: Option<i64> = tx
                .query_row(
                    "SELECT position FROM feeds WHERE name = ?1",
                    params![FEED],
                    |r| r.get(0),
                )
                .optional()?;
            if let Some(position) = known {
                return Ok(position);
            }
            tx.execute(
                "INSERT INTO feed_queue (session_row)
                 SELECT id FROM sessions WHERE start_ms IS NOT NULL ORDER BY id",
                [],
            )?;
            // Replays before events: they are first seen there in the order they were here.
            tx.execute(
                "INSERT INTO feed_queue (snapshot_row)
                 SELECT id FROM sessions WHERE start_ms IS NOT NULL ORDER BY id",
                [],
            )?;
            tx.execute(
                "INSERT INTO feed_queue (event_id) SELECT id FROM events ORDER BY id",
                [],
            )?;
            tx.execute(
                "INSERT INTO feed_queue (text_id) SELECT id FROM session_text ORDER BY id",
                [],
            )?;
            tx.execute(
                "INSERT INTO feeds (name, position) VALUES (?1, 0)",
                params![FEED],
            )?;
            tx.commit()?;
            Ok(0)
        })
        .await
    }

    async fn fed_after(&self, position: i64, limit: usize) -> Result<Vec<Fed>> {
        self.read(move |c| {
            let origin: String = c.query_row("SELECT origin FROM feed_origin", [], |r| r.get(0))?;
            // One statement: what it reads is one snapshot of the store, so a derived event
            // or text read here belongs to the generation read with it.
            let mut stmt = c.prepare_cached(
                "SELECT f.seq, e.id, e.project_id, e.insert_id, e.event_type, e.time_ms,
                        e.device_id, e.user_id, e.session_id, e.event_properties,
                        e.user_properties, e.raw, e.display_name, e.derived,
                        s.project_id, s.device_id, s.session_id,
                        es.search_generation, f.search_only,
                        ss.project_id, ss.device_id, ss.session_id, ss.search_generation,
                        ts.project_id, ts.device_id, ts.session_id, ts.search_generation,
                        t.kind, t.level, t.first_ms, t.text,
                        f.gone_project, f.gone_device, f.gone_session
                 FROM feed_queue f
                 LEFT JOIN events e ON e.id = f.event_id
                 LEFT JOIN sessions es ON es.id = e.session_row
                 LEFT JOIN sessions s ON s.id = f.session_row
                 LEFT JOIN sessions ss ON ss.id = f.snapshot_row
                 LEFT JOIN session_text t ON t.id = f.text_id
                 LEFT JOIN sessions ts ON ts.id = t.session_row
                 WHERE f.seq > ?1 ORDER BY f.seq LIMIT ?2",
            )?;
            let mut rows = stmt.query(params![position, limit as i64])?;
            let mut fed = Vec::new();
            let generation = |r: &rusqlite::Row<'_>, i: usize| -> rusqlite::Result<u32> {
                let g: Option<i64> = r.get(i)?;
                Ok(u32::try_from(g.unwrap_or(0)).unwrap_or(u32::MAX))
            };
            let session = |r: &rusqlite::Row<'_>, i: usize| -> rusqlite::Result<SessionRef> {
                Ok(SessionRef {
                    project_id: r.get(i)?,
                    device_id: r.get(i + 1)?,
                    session_id: r.get(i + 2)?,
                })
            };
            while let Some(r) = rows.next()? {
                let seq: i64 = r.get(0)?;
                if let Some(id) = r.get::<_, Option<i64>>(1)? {
                    let insert_id: Option<String> = r.get(3)?;
                    fed.push(Fed {
                        position: seq,
                        project_id: r.get(2)?,
                        item: FedItem::Event {
                            event: AnalyticsEvent {
                                // Never one an SDK sends: theirs are kept as sent.
                                insert_id: Some(
                                    insert_id
                                        .unwrap_or_else(|| format!("reel:{origin}:{seq}:{id}")),
                                ),
                                event_type: r.get(4)?,
                                time_ms: r.get(5)?,
                                device_id: r.get(6)?,
                                user_id: r.get(7)?,
                                session_id: r.get(8)?,
                                event_properties: r.get(9)?,
                                user_properties: r.get(10)?,
                                raw: r.get(11)?,
                                display_name: r.get(12)?,
                                derived: r.get(13)?,
                            },
                            generation: generation(r, 17)?,
                            search_only: r.get(18)?,
                        },
                    });
                } else if let Some(project_id) = r.get::<_, Option<i64>>(14)? {
                    fed.push(Fed {
                        position: seq,
                        project_id,
                        item: FedItem::Replay(session(r, 14)?),
                    });
                } else if let Some(project_id) = r.get::<_, Option<i64>>(19)? {
                    fed.push(Fed {
                        position: seq,
                        project_id,
                        item: FedItem::Session {
                            session: session(r, 19)?,
                            generation: generation(r, 22)?,
                        },
                    });
                } else if let Some(project_id) = r.get::<_, Option<i64>>(23)? {
                    let console = r.get::<_, String>(27)? == "console";
                    let level: Option<String> = r.get(28)?;
                    fed.push(Fed {
                        position: seq,
                        project_id,
                        item: FedItem::Text {
                            session: session(r, 23)?,
                            text: SessionText {
                                console_level: console.then(|| level.unwrap_or_default()),
                                ts_ms: r.get(29)?,
                                text: r.get(30)?,
                            },
                            generation: generation(r, 26)?,
                        },
                    });
                } else if let Some(project_id) = r.get::<_, Option<i64>>(31)? {
                    fed.push(Fed {
                        position: seq,
                        project_id,
                        item: FedItem::Gone(session(r, 31)?),
                    });
                }
            }
            Ok(fed)
        })
        .await
    }

    async fn feed_handed_on(&self, position: i64) -> Result<()> {
        self.write(move |c| {
            let tx = c.transaction()?;
            tx.execute(
                "UPDATE feeds SET position = ?2 WHERE name = ?1 AND position < ?2",
                params![FEED, position],
            )?;
            tx.execute("DELETE FROM feed_queue WHERE seq <= ?1", params![position])?;
            tx.commit()?;
            Ok(())
        })
        .await
    }
}
