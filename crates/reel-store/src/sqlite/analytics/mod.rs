//! The embedded analytics store: events kept for charts as they are stored (`record.rs`),
//! their properties in a compact encoding (`props.rs`), charts read in one scan per event name
//! (`scan.rs`, `charts.rs`) on a pool of connections of their own, users and their streams
//! (`users.rs`).

mod charts;
mod props;
mod record;
mod scan;
#[cfg(test)]
mod tests;
mod users;

use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use reel_model::ReplayId;
use reel_query::chart::wire::{ChartAnswer, EventMoment, MicroscopePage, MicroscopeSession};
use reel_query::chart::{
    Chart, DataPoint, Hit, SessionCursor, SessionPageRequest, encode_session_cursor,
};
use rusqlite::{Connection, OptionalExtension, params};

pub(super) use record::{Recorder, Stored, forget_events, recount_sessions};

use super::SqliteStore;
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
                match charts::run(&mut scanner, &chart, charts::Want::Answer)? {
                    charts::Output::Answer(a) => Ok(a),
                    charts::Output::Hits(_) => Err(StoreError::Task("a chart gave events".into())),
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
                match charts::run(&mut scanner, &chart, charts::Want::Hits(&point))? {
                    charts::Output::Hits(hits) => sessions_page(&tx, hits, page),
                    charts::Output::Answer(_) => {
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

/// The events behind a point listed per session at most.
const MAX_MOMENTS: usize = 20;
/// Sessions whose `has_replay` is looked up per statement.
const ROWS_PER_LOOKUP: usize = 500;

/// The sessions of the events behind a data point, a page of them.
fn sessions_page(
    c: &Connection,
    hits: Vec<Hit>,
    page: SessionPageRequest,
) -> Result<MicroscopePage> {
    // Per session: its first event behind the point, how many, whose.
    let mut sessions: HashMap<i64, (i64, u64, i64)> = HashMap::new();
    let mut times: HashMap<i64, Vec<i64>> = HashMap::new();
    let mut users_without_session: HashSet<i64> = HashSet::new();
    for h in &hits {
        match h.session {
            Some(row) => {
                let s = sessions.entry(row).or_insert((h.time_ms, 0, h.user));
                s.0 = s.0.min(h.time_ms);
                s.1 += 1;
                times.entry(row).or_default().push(h.time_ms);
            }
            None => {
                users_without_session.insert(h.user);
            }
        }
    }
    if page.with_replays {
        let rows: Vec<i64> = sessions.keys().copied().collect();
        let mut recorded = HashSet::new();
        for chunk in rows.chunks(ROWS_PER_LOOKUP) {
            let list = chunk
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(",");
            let mut stmt = c.prepare(&format!(
                "SELECT id FROM sessions WHERE id IN ({list}) AND start_ms IS NOT NULL"
            ))?;
            for row in stmt.query_map([], |r| r.get::<_, i64>(0))? {
                recorded.insert(row?);
            }
        }
        sessions.retain(|row, _| recorded.contains(row));
        users_without_session.clear();
    }
    let mut listed: Vec<(i64, i64, u64, i64)> = sessions
        .into_iter()
        .map(|(row, (moment, n, user))| (moment, row, n, user))
        .collect();
    let users: HashSet<i64> = listed
        .iter()
        .map(|s| s.3)
        .chain(users_without_session)
        .collect();
    listed.sort_by(|a, b| b.0.cmp(&a.0).then(b.1.cmp(&a.1)));
    let start = match page.after {
        None => 0,
        Some(after) => listed.partition_point(|s| (s.0, s.1) >= (after.moment_ms, after.row)),
    };
    let shown = &listed[start..(start + page.limit).min(listed.len())];
    let next_cursor = (start + shown.len() < listed.len())
        .then(|| shown.last())
        .flatten()
        .map(|s| {
            encode_session_cursor(&SessionCursor {
                moment_ms: s.0,
                row: s.1,
            })
        });
    let mut stmt = c.prepare_cached(
        "SELECT device_id, session_id, user_id, start_ms IS NOT NULL FROM sessions WHERE id = ?1",
    )?;
    let mut name_of = c.prepare_cached(
        "SELECT t.name FROM analytics_events e JOIN event_types t ON t.id = e.type_id
         WHERE e.user_row = ?1 AND e.time_ms = ?2 AND e.session_row = ?3 LIMIT 1",
    )?;
    let sessions = shown
        .iter()
        .map(|(moment, row, n, user)| {
            let mut at = times.remove(row).unwrap_or_default();
            at.sort_unstable();
            at.dedup();
            at.truncate(MAX_MOMENTS);
            let moments = at
                .into_iter()
                .map(|time_ms| {
                    Ok(EventMoment {
                        time_ms,
                        event_type: name_of
                            .query_row(params![user, time_ms, row], |r| r.get(0))
                            .optional()?
                            .unwrap_or_default(),
                    })
                })
                .collect::<Result<_>>()?;
            let (device_id, session_id, user_id, has_replay): (String, i64, Option<String>, bool) =
                stmt.query_row(params![row], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
                })?;
            Ok(MicroscopeSession {
                replay_id: ReplayId::of(&device_id, session_id).as_str().to_owned(),
                device_id,
                session_id,
                user_id,
                moment: reel_query::chart::buckets::rfc3339(*moment),
                moment_ms: *moment,
                events: *n,
                moments,
                has_replay,
            })
        })
        .collect::<Result<_>>()?;
    Ok(MicroscopePage {
        users: users.len() as u64,
        total: listed.len() as u64,
        sessions,
        next_cursor,
    })
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
