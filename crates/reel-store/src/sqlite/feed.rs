//! The embedded store as the queue in front of a shared events store ([`FeedStore`]).

use async_trait::async_trait;
use rusqlite::{OptionalExtension, params};

use super::SqliteStore;
use crate::{AnalyticsEvent, Fed, FedItem, FeedStore, Result, SessionRef};

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
            tx.execute(
                "INSERT INTO feed_queue (event_id) SELECT id FROM events ORDER BY id",
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
            let mut stmt = c.prepare_cached(
                "SELECT f.seq, e.id, e.project_id, e.insert_id, e.event_type, e.time_ms,
                        e.device_id, e.user_id, e.session_id, e.event_properties,
                        e.user_properties, e.raw, e.display_name, e.derived,
                        s.project_id, s.device_id, s.session_id
                 FROM feed_queue f
                 LEFT JOIN events e ON e.id = f.event_id
                 LEFT JOIN sessions s ON s.id = f.session_row
                 WHERE f.seq > ?1 ORDER BY f.seq LIMIT ?2",
            )?;
            let mut rows = stmt.query(params![position, limit as i64])?;
            let mut fed = Vec::new();
            while let Some(r) = rows.next()? {
                let seq: i64 = r.get(0)?;
                if let Some(id) = r.get::<_, Option<i64>>(1)? {
                    let insert_id: Option<String> = r.get(3)?;
                    fed.push(Fed {
                        position: seq,
                        project_id: r.get(2)?,
                        item: FedItem::Event(AnalyticsEvent {
                            // Never one an SDK sends: theirs are kept as sent.
                            insert_id: Some(
                                insert_id.unwrap_or_else(|| format!("reel:{origin}:{seq}:{id}")),
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
                        }),
                    });
                } else if let Some(project_id) = r.get::<_, Option<i64>>(14)? {
                    fed.push(Fed {
                        position: seq,
                        project_id,
                        item: FedItem::Replay(SessionRef {
                            project_id,
                            device_id: r.get(15)?,
                            session_id: r.get(16)?,
                        }),
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
