//! Read-only views of the raw tables, for tests and benchmarks that check what is stored (how
//! many pieces, which objects rows name, how large each kind of data is) and for the search
//! and analytics benchmarks' baselines: the same questions answered by plain SQL without reel's
//! indexes and analytics tables. SQL
//! stays in this crate; nothing here is used by the server.

use std::collections::BTreeSet;
use std::path::Path;

use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, params_from_iter};

use crate::Result;

/// A connection of its own to a data directory's database.
pub struct Inspector(Connection);

/// Rows a test or benchmark counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rows {
    /// Shared strings of segments.
    Pieces,
    /// Links from segments to the pieces they use.
    PieceUses,
    /// Chunks as uploaded, not yet compacted.
    OpenChunks,
    Segments,
    /// Objects on their way in or out.
    ObjectIntents,
    /// Sessions with a recording.
    Replays,
    /// Heatmap uploads.
    Interactions,
    /// Analytics events, sent and derived.
    Events,
    /// Latest values of user properties.
    UserProperties,
    /// Text sessions showed and logged.
    SessionTexts,
    /// Sessions, with a recording or not.
    Sessions,
}

impl Inspector {
    /// Opens the database at `path` (a data directory's `reel.db`).
    pub fn open(path: &Path) -> Result<Self> {
        Ok(Self(Connection::open(path)?))
    }

    pub fn count(&self, rows: Rows) -> Result<i64> {
        let sql = match rows {
            Rows::Pieces => "SELECT COUNT(*) FROM pieces",
            Rows::PieceUses => "SELECT COUNT(*) FROM chunk_pieces",
            Rows::OpenChunks => "SELECT COUNT(*) FROM chunks WHERE format = 'chunk'",
            Rows::Segments => "SELECT COUNT(*) FROM chunks WHERE format = 'segment'",
            Rows::ObjectIntents => "SELECT COUNT(*) FROM object_intents",
            Rows::Replays => "SELECT COUNT(*) FROM sessions WHERE start_ms IS NOT NULL",
            Rows::Interactions => "SELECT COUNT(*) FROM interactions",
            Rows::Events => "SELECT COUNT(*) FROM events",
            Rows::UserProperties => "SELECT COUNT(*) FROM user_properties",
            Rows::SessionTexts => "SELECT COUNT(*) FROM session_text",
            Rows::Sessions => "SELECT COUNT(*) FROM sessions",
        };
        Ok(self.0.query_row(sql, [], |r| r.get(0))?)
    }

    /// Rows whose references point at nothing (SQLite's foreign key check over every table),
    /// as `table → referenced table`.
    pub fn dangling_references(&self) -> Result<Vec<String>> {
        let mut stmt = self.0.prepare("PRAGMA foreign_key_check")?;
        let rows = stmt
            .query_map([], |r| {
                Ok(format!(
                    "{} → {}",
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(2)?
                ))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// Every `table.column` holding `needle` anywhere in its text (or blob as text), over every
    /// table but the full-text index's own (whose terms are asked through a search instead).
    pub fn places_holding(&self, needle: &str) -> Result<Vec<String>> {
        let tables: Vec<String> = self.strings(
            "SELECT name FROM sqlite_master WHERE type = 'table'
             AND name NOT LIKE 'sqlite_%' AND name NOT LIKE 'session_text_fts%' ORDER BY name",
        )?;
        let mut found = Vec::new();
        for table in tables {
            let columns: Vec<String> = {
                let mut stmt = self.0.prepare(&format!("PRAGMA table_info(\"{table}\")"))?;
                stmt.query_map([], |r| r.get::<_, String>(1))?
                    .collect::<Result<Vec<_>, _>>()?
            };
            for column in columns {
                let n: i64 = self.0.query_row(
                    &format!(
                        "SELECT COUNT(*) FROM \"{table}\" WHERE instr(CAST(\"{column}\" AS TEXT), ?1) > 0"
                    ),
                    [needle],
                    |r| r.get(0),
                )?;
                if n > 0 {
                    found.push(format!("{table}.{column}"));
                }
            }
        }
        Ok(found)
    }

    /// The stored form of every chunk and segment (`chunk`, `segment`), by start time.
    pub fn chunk_formats(&self) -> Result<Vec<String>> {
        self.strings("SELECT format FROM chunks ORDER BY start_ms")
    }

    /// Every object key a row names (chunks, segments, dictionaries).
    pub fn named_objects(&self) -> Result<BTreeSet<String>> {
        Ok(self
            .strings("SELECT object_key FROM chunks UNION SELECT object_key FROM dictionaries")?
            .into_iter()
            .collect())
    }

    /// The stored (compressed) size of each piece.
    pub fn piece_sizes(&self) -> Result<Vec<i64>> {
        let mut stmt = self.0.prepare("SELECT LENGTH(stored) FROM pieces")?;
        let sizes = stmt
            .query_map([], |r| r.get(0))?
            .collect::<Result<Vec<i64>, _>>()?;
        Ok(sizes)
    }

    /// Bytes the heatmap uploads take as stored.
    pub fn interaction_bytes(&self) -> Result<i64> {
        Ok(self.0.query_row(
            "SELECT COALESCE(SUM(LENGTH(payload_zst)) + SUM(LENGTH(payload)), 0) FROM interactions",
            [],
            |r| r.get(0),
        )?)
    }

    /// When the latest recorded session started.
    pub fn latest_start_ms(&self) -> Result<Option<i64>> {
        Ok(self
            .0
            .query_row("SELECT MAX(start_ms) FROM sessions", [], |r| r.get(0))?)
    }

    /// Database pages (bytes) of the tables that hold recordings, after a checkpoint and a
    /// vacuum: (pieces, the rest of the recording index).
    pub fn recording_table_bytes(&self) -> Result<(u64, u64)> {
        self.0
            .execute_batch("PRAGMA wal_checkpoint(TRUNCATE); VACUUM;")?;
        let pages = |names: &str| -> Result<u64> {
            let sql =
                format!("SELECT COALESCE(SUM(pgsize), 0) FROM dbstat WHERE name IN ({names})");
            Ok(self.0.query_row(&sql, [], |r| r.get::<_, i64>(0))? as u64)
        };
        let pieces = pages("'pieces', 'sqlite_autoindex_pieces_1'")?;
        let rows = pages(
            "'chunks', 'chunks_by_time', 'chunks_by_object', 'sqlite_autoindex_chunks_1', \
             'chunk_pieces', 'chunk_pieces_by_piece', 'compacted_hashes', 'dictionaries', \
             'dictionaries_by_project', 'dictionaries_by_object'",
        )?;
        Ok((pieces, rows))
    }

    /// What the search index holds, as the raw data it was made from would take as JSON:
    /// (events, facts, text) bytes. Events as sent (`raw`), derived events as reel writes them,
    /// each session as the API lists it, text as shown.
    pub fn raw_data_bytes(&self) -> Result<(u64, u64, u64)> {
        let events: i64 = self.0.query_row(
            "SELECT COALESCE(SUM(CASE WHEN derived = 0 THEN length(raw) ELSE
                 length(json_object('event_type', event_type, 'time', time_ms, 'device_id', device_id,
                     'session_id', session_id, 'user_id', user_id,
                     'event_properties', json(event_properties), 'display_name', display_name)) END), 0)
             FROM events",
            [],
            |r| r.get(0),
        )?;
        let facts: i64 = self.0.query_row(
            "SELECT COALESCE(SUM(length(json_object('id', replay_key, 'device_id', device_id,
                 'session_id', session_id, 'user_id', user_id, 'start_ms', start_ms, 'end_ms', end_ms,
                 'first_url', first_url, 'urls', json(urls), 'country', country, 'browser', browser,
                 'os', os, 'device', device, 'viewport_width', viewport_width,
                 'viewport_height', viewport_height, 'active_ms', active_ms,
                 'click_count', click_count, 'keypress_count', keypress_count,
                 'mouse_activity_count', mouse_activity_count, 'page_view_count', page_view_count,
                 'console_log_count', console_log_count, 'console_warn_count', console_warn_count,
                 'console_error_count', console_error_count, 'network_error_count', network_error_count,
                 'runtime_error_count', runtime_error_count, 'rage_click_count', rage_click_count,
                 'dead_click_count', dead_click_count, 'error_click_count', error_click_count))), 0)
             FROM sessions",
            [],
            |r| r.get(0),
        )?;
        let text: i64 = self.0.query_row(
            "SELECT COALESCE(SUM(length(text)), 0) FROM session_text",
            [],
            |r| r.get(0),
        )?;
        Ok((events as u64, facts as u64, text as u64))
    }

    /// A search answered by one pass over the tables, without reel's search indexes: what the
    /// search would cost without them. Returns how many sessions it found (at most 100).
    pub fn scan(&self, question: &ScanQuestion) -> Result<usize> {
        let page = "ORDER BY s.start_ms DESC LIMIT 100";
        let (sql, params): (String, Vec<SqlValue>) = match question {
            ScanQuestion::EventAndPlan {
                project_id,
                start_ms,
                end_ms,
                event,
                plan,
            } => (
                format!(
                    "WITH did AS (SELECT DISTINCT device_id, session_id FROM events NOT INDEXED
                                  WHERE project_id = ?5 AND event_type = ?3),
                          users AS (SELECT DISTINCT user_id FROM events NOT INDEXED
                                  WHERE project_id = ?5 AND user_id IS NOT NULL
                                    AND json_extract(user_properties, '$.\"$set\".plan') = ?4)
                     SELECT s.id FROM sessions s NOT INDEXED
                     JOIN did d ON d.device_id = s.device_id AND d.session_id = s.session_id
                     WHERE s.project_id = ?5 AND s.start_ms >= ?1 AND s.start_ms < ?2
                       AND s.user_id IN (SELECT user_id FROM users) {page}"
                ),
                vec![
                    (*start_ms).into(),
                    (*end_ms).into(),
                    event.clone().into(),
                    plan.clone().into(),
                    (*project_id).into(),
                ],
            ),
            ScanQuestion::ClickedElementWord {
                project_id,
                start_ms,
                end_ms,
                word,
            } => (
                format!(
                    "WITH clicked AS (SELECT DISTINCT device_id, session_id FROM events NOT INDEXED
                                      WHERE project_id = ?4 AND event_type = '[reel] Element Clicked'
                                        AND instr(event_properties, ?3) > 0)
                     SELECT s.id FROM sessions s NOT INDEXED
                     JOIN clicked k ON k.device_id = s.device_id AND k.session_id = s.session_id
                     WHERE s.project_id = ?4 AND s.start_ms >= ?1 AND s.start_ms < ?2 {page}"
                ),
                vec![
                    (*start_ms).into(),
                    (*end_ms).into(),
                    word.clone().into(),
                    (*project_id).into(),
                ],
            ),
            ScanQuestion::Text {
                project_id,
                start_ms,
                end_ms,
                phrase,
            } => (
                format!(
                    "WITH shown AS (SELECT DISTINCT session_row FROM session_text NOT INDEXED
                                    WHERE text LIKE '%' || ?3 || '%')
                     SELECT s.id FROM sessions s NOT INDEXED JOIN shown t ON t.session_row = s.id
                     WHERE s.project_id = ?4 AND s.start_ms >= ?1 AND s.start_ms < ?2 {page}"
                ),
                vec![
                    (*start_ms).into(),
                    (*end_ms).into(),
                    phrase.clone().into(),
                    (*project_id).into(),
                ],
            ),
        };
        let mut stmt = self.0.prepare(&sql)?;
        let rows = stmt
            .query_map(params_from_iter(params), |r| r.get::<_, i64>(0))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows.len())
    }

    /// Bytes of database pages a set of tables and their indexes take (no vacuum).
    pub fn table_bytes(&self, tables: &[&str]) -> Result<u64> {
        let names = tables
            .iter()
            .map(|t| format!("'{t}'"))
            .collect::<Vec<_>>()
            .join(", ");
        let sql = format!(
            "SELECT COALESCE(SUM(d.pgsize), 0) FROM dbstat d JOIN sqlite_schema m ON m.name = d.name
             WHERE m.tbl_name IN ({names})"
        );
        Ok(self.0.query_row(&sql, [], |r| r.get::<_, i64>(0))? as u64)
    }

    /// Analytics events stored.
    pub fn count_events(&self) -> Result<i64> {
        Ok(self
            .0
            .query_row("SELECT COUNT(*) FROM events", [], |r| r.get(0))?)
    }

    /// Users with the most events (user id, events), from the events table.
    pub fn heaviest_users(&self, project_id: i64, n: usize) -> Result<Vec<(String, i64)>> {
        let mut stmt = self.0.prepare(
            "SELECT user_id, event_count FROM analytics_users
             WHERE project_id = ?1 AND user_id IS NOT NULL ORDER BY event_count DESC LIMIT ?2",
        )?;
        let rows = stmt
            .query_map(rusqlite::params![project_id, n as i64], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }

    /// A chart's question answered by plain SQL over the events table as it was before the
    /// analytics tables (JSON properties, no index by user): the analytics benchmark's
    /// baseline. Returns how many rows the answer has.
    pub fn chart_by_sql(&self, question: &ChartQuestion) -> Result<usize> {
        let user = "COALESCE(user_id, device_id)";
        let (sql, params): (String, Vec<SqlValue>) = match question {
            ChartQuestion::Funnel {
                project_id,
                start_ms,
                end_ms,
                steps,
                window_ms,
            } => (
                // Each user's first entry, then the first of each next step after the one
                // before, within the window of the entry.
                format!(
                    "WITH ev AS MATERIALIZED (
                         SELECT {user} u, event_type t, time_ms ts FROM events
                         WHERE project_id = ?1 AND event_type IN (?4, ?5, ?6)
                           AND time_ms >= ?2 AND time_ms < ?3 + ?7),
                     a AS MATERIALIZED (SELECT u, MIN(ts) ts FROM ev WHERE t = ?4 AND ts < ?3 GROUP BY u),
                     b AS MATERIALIZED (SELECT a.u, MIN(ev.ts) ts FROM a JOIN ev ON ev.u = a.u
                         AND ev.t = ?5 AND ev.ts > a.ts AND ev.ts <= a.ts + ?7 GROUP BY a.u),
                     c AS (SELECT b.u FROM b JOIN a ON a.u = b.u JOIN ev ON ev.u = b.u
                         AND ev.t = ?6 AND ev.ts > b.ts AND ev.ts <= a.ts + ?7 GROUP BY b.u)
                     SELECT (SELECT COUNT(*) FROM a), (SELECT COUNT(*) FROM b), (SELECT COUNT(*) FROM c)"
                ),
                vec![
                    (*project_id).into(),
                    (*start_ms).into(),
                    (*end_ms).into(),
                    steps[0].clone().into(),
                    steps[1].clone().into(),
                    steps[2].clone().into(),
                    (*window_ms).into(),
                ],
            ),
            ChartQuestion::Segmentation {
                project_id,
                start_ms,
                end_ms,
                event,
                property,
            } => (
                format!(
                    "SELECT (time_ms - ?2) / 86400000 AS day, json_extract(event_properties, ?5) AS g,
                            COUNT(DISTINCT {user}) FROM events
                     WHERE project_id = ?1 AND event_type = ?4 AND time_ms >= ?2 AND time_ms < ?3
                     GROUP BY day, g"
                ),
                vec![
                    (*project_id).into(),
                    (*start_ms).into(),
                    (*end_ms).into(),
                    event.clone().into(),
                    format!("$.\"{property}\"").into(),
                ],
            ),
            ChartQuestion::Pathfinder {
                project_id,
                start_ms,
                end_ms,
                event,
                steps,
                window_ms,
            } => (
                // Each user's first anchor, the next `steps - 1` events within the window, the
                // paths counted.
                format!(
                    "WITH anchor AS MATERIALIZED (
                         SELECT {user} u, MIN(time_ms) t FROM events
                         WHERE project_id = ?1 AND event_type = ?4 AND time_ms >= ?2 AND time_ms < ?3
                         GROUP BY u),
                     next AS (SELECT a.u, e.event_type t,
                                     ROW_NUMBER() OVER (PARTITION BY a.u ORDER BY e.time_ms) n
                              FROM events e JOIN anchor a ON a.u = COALESCE(e.user_id, e.device_id)
                              WHERE e.project_id = ?1 AND e.time_ms > a.t AND e.time_ms <= a.t + ?6)
                     SELECT p, COUNT(*) FROM (
                         SELECT u, ?4 || ' > ' || group_concat(t, ' > ') p
                         FROM (SELECT * FROM next WHERE n < ?5 ORDER BY u, n) GROUP BY u)
                     GROUP BY p ORDER BY 2 DESC LIMIT 20"
                ),
                vec![
                    (*project_id).into(),
                    (*start_ms).into(),
                    (*end_ms).into(),
                    event.clone().into(),
                    (*steps as i64).into(),
                    (*window_ms).into(),
                ],
            ),
            ChartQuestion::UserStream {
                project_id,
                user_id,
                limit,
            } => (
                "SELECT event_type, time_ms, event_properties, session_id FROM events
                 WHERE project_id = ?1 AND (user_id = ?2 OR device_id IN
                     (SELECT DISTINCT device_id FROM events WHERE project_id = ?1 AND user_id = ?2))
                 ORDER BY time_ms DESC LIMIT ?3"
                    .to_owned(),
                vec![
                    (*project_id).into(),
                    user_id.clone().into(),
                    (*limit as i64).into(),
                ],
            ),
        };
        let mut stmt = self.0.prepare(&sql)?;
        let n = stmt
            .query_map(params_from_iter(params), |_| Ok(()))?
            .count();
        Ok(n)
    }

    fn strings(&self, sql: &str) -> Result<Vec<String>> {
        let mut stmt = self.0.prepare(sql)?;
        let rows = stmt
            .query_map([], |r| r.get(0))?
            .collect::<Result<Vec<String>, _>>()?;
        Ok(rows)
    }
}

/// The analytics benchmark's questions, for [`Inspector::chart_by_sql`].
#[derive(Debug, Clone)]
pub enum ChartQuestion {
    /// Users through three steps within a window of the first.
    Funnel {
        project_id: i64,
        start_ms: i64,
        end_ms: i64,
        steps: [String; 3],
        window_ms: i64,
    },
    /// Uniques of an event per day, grouped by an event property.
    Segmentation {
        project_id: i64,
        start_ms: i64,
        end_ms: i64,
        event: String,
        property: String,
    },
    /// The most common paths of `steps` events from each user's first `event`.
    Pathfinder {
        project_id: i64,
        start_ms: i64,
        end_ms: i64,
        event: String,
        steps: usize,
        window_ms: i64,
    },
    /// A user's latest events (their devices' included).
    UserStream {
        project_id: i64,
        user_id: String,
        limit: usize,
    },
}

/// The search benchmark's questions, for [`Inspector::scan`].
#[derive(Debug, Clone)]
pub enum ScanQuestion {
    /// Sessions with the event whose user was ever set (`$set`) to the plan.
    EventAndPlan {
        project_id: i64,
        start_ms: i64,
        end_ms: i64,
        event: String,
        plan: String,
    },
    /// Sessions with a click whose recorded element holds the word.
    ClickedElementWord {
        project_id: i64,
        start_ms: i64,
        end_ms: i64,
        word: String,
    },
    /// Sessions whose text holds the phrase.
    Text {
        project_id: i64,
        start_ms: i64,
        end_ms: i64,
        phrase: String,
    },
}
