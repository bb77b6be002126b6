//! The embedded analytics store: events kept for charts as they are stored (`record.rs`),
//! their properties in a compact encoding (`props.rs`), charts read in one scan per event name
//! (`scan.rs`, `charts.rs`) on a pool of connections of their own, users and their streams
//! (`users.rs`).

mod props;
mod record;
mod scan;
#[cfg(test)]
mod tests;
mod users;

use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use reel_query::chart::wire::{ChartAnswer, MicroscopePage};
use reel_query::chart::{Chart, DataPoint, SessionPageRequest};
use rusqlite::{Connection, OptionalExtension, params};

pub(super) use record::{Recorder, Stored, forget_events, recount_sessions};

use super::SqliteStore;
use crate::charts::page::{SessionDetails, SessionInfo};
use crate::{AnalyticsStore, Result, StoreError, UserLookup, UserProfile, UserQuery, UserSummary};

#[async_trait]
impl AnalyticsStore for SqliteStore {
    async fn chart(&self, project_id: i64, chart: Chart) -> Result<ChartAnswer> {
        self.charts
            .run(move |c, _| {
                // One read transaction for the whole chart: one snapshot, and no locking of the
                // database file per statement (a Pathfinder runs one per user).
                let tx = c.transaction()?;
                let mut scanner = scan::Scanner::new(&tx, project_id);
                match crate::charts::run(&mut scanner, &chart, crate::charts::Want::Answer)? {
                    crate::charts::Output::Answer(a) => Ok(a),
                    crate::charts::Output::Hits(_) => {
                        Err(StoreError::Task("a chart gave events".into()))
                    }
                }
            })
            .await
    }

    async fn chart_sessions(
        &self,
        project_id: i64,
        chart: Chart,
        point: DataPoint,
        page: SessionPageRequest,
    ) -> Result<MicroscopePage> {
        self.charts
            .run(move |c, _| {
                let tx = c.transaction()?;
                let mut scanner = scan::Scanner::new(&tx, project_id);
                match crate::charts::run(&mut scanner, &chart, crate::charts::Want::Hits(&point))? {
                    crate::charts::Output::Hits(hits) => {
                        crate::charts::page::sessions_page(&mut Details(&tx), hits, page)
                    }
                    crate::charts::Output::Answer(_) => {
                        Err(StoreError::Task("a point gave an answer".into()))
                    }
                }
            })
            .await
    }

    async fn user_profile(
        &self,
        project_id: i64,
        lookup: UserLookup,
        before_ms: Option<i64>,
        limit: usize,
    ) -> Result<Option<UserProfile>> {
        self.read(move |c| users::profile(c, project_id, &lookup, before_ms, limit))
            .await
    }

    async fn find_users(
        &self,
        project_id: i64,
        query: UserQuery,
        limit: usize,
    ) -> Result<Vec<UserSummary>> {
        self.read(move |c| users::find(c, project_id, &query, limit))
            .await
    }
}

/// Sessions whose `has_replay` is looked up per statement.
const ROWS_PER_LOOKUP: usize = 500;

/// What the embedded store knows of its sessions, for the Microscope's page.
struct Details<'c>(&'c Connection);

impl SessionDetails for Details<'_> {
    fn recorded(&mut self, rows: &[i64]) -> Result<HashSet<i64>> {
        let mut recorded = HashSet::new();
        for chunk in rows.chunks(ROWS_PER_LOOKUP) {
            let list = chunk
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(",");
            let mut stmt = self.0.prepare(&format!(
                "SELECT id FROM sessions WHERE id IN ({list}) AND start_ms IS NOT NULL"
            ))?;
            for row in stmt.query_map([], |r| r.get::<_, i64>(0))? {
                recorded.insert(row?);
            }
        }
        Ok(recorded)
    }

    fn sessions(&mut self, rows: &[i64]) -> Result<HashMap<i64, SessionInfo>> {
        let mut stmt = self.0.prepare_cached(
            "SELECT device_id, session_id, user_id, start_ms IS NOT NULL FROM sessions WHERE id = ?1",
        )?;
        rows.iter()
            .map(|row| {
                let info = stmt.query_row(params![row], |r| {
                    Ok(SessionInfo {
                        device_id: r.get(0)?,
                        session_id: r.get(1)?,
                        user_id: r.get(2)?,
                        has_replay: r.get(3)?,
                    })
                })?;
                Ok((*row, info))
            })
            .collect()
    }

    fn event_names(
        &mut self,
        moments: &[(i64, i64, i64)],
    ) -> Result<HashMap<(i64, i64, i64), String>> {
        let mut name_of = self.0.prepare_cached(
            "SELECT t.name FROM analytics_events e JOIN event_types t ON t.id = e.type_id
             WHERE e.user_row = ?1 AND e.time_ms = ?2 AND e.session_row = ?3 LIMIT 1",
        )?;
        let mut out = HashMap::new();
        for m in moments {
            if let Some(name) = name_of
                .query_row(params![m.0, m.1, m.2], |r| r.get(0))
                .optional()?
            {
                out.insert(*m, name);
            }
        }
        Ok(out)
    }
}

/// After migration 0010: every event stored before it, kept for charts in the order it came.
pub(super) fn backfill(tx: &Connection) -> Result<()> {
    let mut recorder = Recorder::default();
    let mut stmt = tx.prepare(
        "SELECT id, project_id, type_id, session_row, event_type, time_ms, device_id, user_id,
                session_id, event_properties, user_properties, derived
         FROM events ORDER BY id",
    )?;
    let mut rows = stmt.query([])?;
    let mut n = 0u64;
    while let Some(r) = rows.next()? {
        let event = crate::AnalyticsEvent {
            insert_id: None,
            event_type: r.get(4)?,
            time_ms: r.get(5)?,
            device_id: r.get(6)?,
            user_id: r.get(7)?,
            session_id: r.get(8)?,
            event_properties: r.get(9)?,
            user_properties: r.get(10)?,
            raw: String::new(),
            display_name: None,
            derived: r.get(11)?,
        };
        recorder.record(
            tx,
            Stored {
                project_id: r.get(1)?,
                event_id: r.get(0)?,
                type_id: r.get(2)?,
                session_row: r.get(3)?,
                event: &event,
                event_properties: &event.event_properties,
                user_properties: &event.user_properties,
            },
        )?;
        n += 1;
        if n.is_multiple_of(100_000) {
            recorder.flush(tx)?;
        }
        if n.is_multiple_of(1_000_000) {
            tracing::info!(events = n, "keeping stored events for charts");
        }
    }
    recorder.flush(tx)?;
    Ok(())
}
