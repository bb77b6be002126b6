//! Keeping every new event for charts, in the transaction that stores it: whose it is (users
//! merged across devices), its user's properties after identify operations, its properties in
//! the compact encoding, its session's span. Called from the store's one insert path, so no
//! way in (HTTP API, reel's SDK, derived events, imports) can miss it.

use std::collections::HashMap;

use rusqlite::{Connection, OptionalExtension, params};
use serde_json::{Map, Value};

use super::props;
use crate::analytics::is_identify;
use crate::sqlite::events::Names;
use crate::{AnalyticsEvent, Result};

/// What one batch of inserts remembers between its events.
pub(crate) struct Recorder {
    keys: Names,
    /// (project, device) → user row.
    devices: HashMap<(i64, String), i64>,
    /// (project, user id) → user row.
    users: HashMap<(i64, String), i64>,
    /// What this batch's events add to their users' first/last seen and counts, written by
    /// [`Recorder::flush`] (once per user, not once per event).
    user_spans: HashMap<i64, Span>,
    /// What they add to their sessions' spans: (project, latest user, span).
    session_spans: HashMap<i64, (i64, i64, Span)>,
}

/// First and last event, and how many.
#[derive(Debug, Clone, Copy)]
struct Span {
    first: i64,
    last: i64,
    count: i64,
}

impl Span {
    fn of(time_ms: i64) -> Self {
        Self {
            first: time_ms,
            last: time_ms,
            count: 1,
        }
    }

    fn add(&mut self, other: Span) {
        self.first = self.first.min(other.first);
        self.last = self.last.max(other.last);
        self.count += other.count;
    }
}

/// One stored event, as [`Recorder::record`] takes it.
pub(crate) struct Stored<'a> {
    pub project_id: i64,
    pub event_id: i64,
    pub type_id: i64,
    pub session_row: Option<i64>,
    pub event: &'a AnalyticsEvent,
    /// The properties as stored (within the limits).
    pub event_properties: &'a str,
    pub user_properties: &'a str,
}

impl Default for Recorder {
    fn default() -> Self {
        Self {
            keys: Names::property_keys(),
            devices: HashMap::new(),
            users: HashMap::new(),
            user_spans: HashMap::new(),
            session_spans: HashMap::new(),
        }
    }
}

impl Recorder {
    pub(crate) fn record(&mut self, tx: &Connection, s: Stored<'_>) -> Result<()> {
        let e = s.event;
        let Some(user_row) = self.user_row(
            tx,
            s.project_id,
            e.user_id.as_deref(),
            e.device_id.as_deref(),
            e.time_ms,
        )?
        else {
            return Ok(());
        };
        if !e.derived && s.user_properties.len() > 2 {
            apply_user_properties(tx, s.project_id, user_row, s.user_properties)?;
        }
        if is_identify(&e.event_type) {
            return Ok(());
        }
        let encoded = props::encode(tx, s.project_id, &mut self.keys, s.event_properties)?;
        tx.prepare_cached(
            "INSERT OR IGNORE INTO analytics_events
                 (project_id, type_id, time_ms, event_id, user_row, session_row, props)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?
        .execute(params![
            s.project_id,
            s.type_id,
            e.time_ms,
            s.event_id,
            user_row,
            s.session_row,
            encoded
        ])?;
        self.user_spans
            .entry(user_row)
            .and_modify(|span| span.add(Span::of(e.time_ms)))
            .or_insert(Span::of(e.time_ms));
        if let Some(session_row) = s.session_row {
            let span = Span::of(e.time_ms);
            self.session_spans
                .entry(session_row)
                .and_modify(|(_, user, sp)| {
                    *user = user_row;
                    sp.add(span);
                })
                .or_insert((s.project_id, user_row, span));
        }
        Ok(())
    }

    /// Writes what the events recorded so far add to their users and sessions. Called once a
    /// batch is recorded, in its transaction.
    pub(crate) fn flush(&mut self, tx: &Connection) -> Result<()> {
        for (user_row, span) in self.user_spans.drain() {
            tx.prepare_cached(
                "UPDATE analytics_users SET first_ms = MIN(first_ms, ?2), last_ms = MAX(last_ms, ?3),
                     event_count = event_count + ?4 WHERE id = ?1",
            )?
            .execute(params![user_row, span.first, span.last, span.count])?;
        }
        for (session_row, (project_id, user_row, span)) in self.session_spans.drain() {
            tx.prepare_cached(
                "INSERT INTO analytics_sessions (session_row, project_id, user_row, first_ms, last_ms, events)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                 ON CONFLICT (session_row) DO UPDATE SET
                     first_ms = MIN(first_ms, excluded.first_ms),
                     last_ms = MAX(last_ms, excluded.last_ms),
                     events = events + excluded.events,
                     user_row = excluded.user_row",
            )?
            .execute(params![
                session_row,
                project_id,
                user_row,
                span.first,
                span.last,
                span.count
            ])?;
        }
        Ok(())
    }

    /// The user an event belongs to: its user id's, else its device's (a new anonymous user
    /// for a new device). A user id seen on a device whose events so far were anonymous takes
    /// them over; a device seen with another user id moves to that user from then on.
    fn user_row(
        &mut self,
        tx: &Connection,
        project_id: i64,
        user_id: Option<&str>,
        device_id: Option<&str>,
        time_ms: i64,
    ) -> Result<Option<i64>> {
        let device = match device_id {
            Some(d) => self.device(tx, project_id, d)?,
            None => None,
        };
        let Some(user_id) = user_id else {
            if let Some(row) = device {
                return Ok(Some(row));
            }
            let Some(device_id) = device_id else {
                return Ok(None);
            };
            let row = new_user(tx, project_id, None, time_ms)?;
            self.bind_device(tx, project_id, device_id, row, time_ms, None)?;
            return Ok(Some(row));
        };
        let row = match self.users.get(&(project_id, user_id.to_owned())) {
            Some(row) => *row,
            None => {
                let found: Option<i64> = tx
                    .prepare_cached(
                        "SELECT id FROM analytics_users WHERE project_id = ?1 AND user_id = ?2",
                    )?
                    .query_row(params![project_id, user_id], |r| r.get(0))
                    .optional()?;
                let row = match found {
                    Some(row) => row,
                    None => new_user(tx, project_id, Some(user_id), time_ms)?,
                };
                self.users.insert((project_id, user_id.to_owned()), row);
                row
            }
        };
        if let Some(device_id) = device_id
            && device != Some(row)
        {
            self.bind_device(tx, project_id, device_id, row, time_ms, device)?;
        }
        Ok(Some(row))
    }

    fn device(&mut self, tx: &Connection, project_id: i64, device_id: &str) -> Result<Option<i64>> {
        if let Some(row) = self.devices.get(&(project_id, device_id.to_owned())) {
            return Ok(Some(*row));
        }
        let row: Option<i64> = tx
            .prepare_cached(
                "SELECT user_row FROM analytics_devices WHERE project_id = ?1 AND device_id = ?2",
            )?
            .query_row(params![project_id, device_id], |r| r.get(0))
            .optional()?;
        if let Some(row) = row {
            self.devices.insert((project_id, device_id.to_owned()), row);
        }
        Ok(row)
    }

    /// Points a device at `row`; an anonymous user it pointed at is merged into `row`.
    fn bind_device(
        &mut self,
        tx: &Connection,
        project_id: i64,
        device_id: &str,
        row: i64,
        time_ms: i64,
        previous: Option<i64>,
    ) -> Result<()> {
        tx.prepare_cached(
            "INSERT INTO analytics_devices (project_id, device_id, user_row, first_ms)
             VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (project_id, device_id) DO UPDATE SET user_row = excluded.user_row",
        )?
        .execute(params![project_id, device_id, row, time_ms])?;
        self.devices.insert((project_id, device_id.to_owned()), row);
        if let Some(old) = previous {
            let anonymous: bool = tx
                .prepare_cached("SELECT user_id IS NULL FROM analytics_users WHERE id = ?1")?
                .query_row(params![old], |r| r.get(0))
                .optional()?
                .unwrap_or(false);
            if anonymous {
                merge(tx, old, row)?;
                for v in self.devices.values_mut() {
                    if *v == old {
                        *v = row;
                    }
                }
                // What this batch recorded for the anonymous user is the user's now.
                if let Some(span) = self.user_spans.remove(&old) {
                    self.user_spans
                        .entry(row)
                        .and_modify(|s| s.add(span))
                        .or_insert(span);
                }
                for entry in self.session_spans.values_mut() {
                    if entry.1 == old {
                        entry.1 = row;
                    }
                }
            }
        }
        Ok(())
    }
}

fn new_user(tx: &Connection, project_id: i64, user_id: Option<&str>, time_ms: i64) -> Result<i64> {
    tx.prepare_cached(
        "INSERT INTO analytics_users (project_id, user_id, first_ms, last_ms) VALUES (?1, ?2, ?3, ?3)",
    )?
    .execute(params![project_id, user_id, time_ms])?;
    Ok(tx.last_insert_rowid())
}

/// Moves an anonymous user's events, sessions, devices and properties (those the user has
/// not set) to `into`, and forgets it.
fn merge(tx: &Connection, from: i64, into: i64) -> Result<()> {
    tx.execute(
        "UPDATE analytics_events SET user_row = ?2 WHERE user_row = ?1",
        params![from, into],
    )?;
    tx.execute(
        "UPDATE analytics_sessions SET user_row = ?2 WHERE user_row = ?1",
        params![from, into],
    )?;
    tx.execute(
        "UPDATE analytics_devices SET user_row = ?2 WHERE user_row = ?1",
        params![from, into],
    )?;
    tx.execute(
        "INSERT OR IGNORE INTO analytics_user_properties (user_row, key, value, project_id)
         SELECT ?2, key, value, project_id FROM analytics_user_properties WHERE user_row = ?1",
        params![from, into],
    )?;
    tx.execute(
        "DELETE FROM analytics_user_properties WHERE user_row = ?1",
        params![from],
    )?;
    tx.execute(
        "UPDATE analytics_users SET
             first_ms = MIN(first_ms, (SELECT first_ms FROM analytics_users WHERE id = ?1)),
             last_ms = MAX(last_ms, (SELECT last_ms FROM analytics_users WHERE id = ?1)),
             event_count = event_count + (SELECT event_count FROM analytics_users WHERE id = ?1)
         WHERE id = ?2",
        params![from, into],
    )?;
    tx.execute("DELETE FROM analytics_users WHERE id = ?1", params![from])?;
    Ok(())
}

/// A stored user property value as JSON.
pub(crate) fn value_json(v: rusqlite::types::ValueRef<'_>) -> Value {
    use rusqlite::types::ValueRef as V;
    match v {
        V::Null => Value::Null,
        V::Integer(i) => Value::from(i),
        V::Real(f) => serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number),
        V::Text(t) => {
            let t = String::from_utf8_lossy(t);
            match t.as_bytes().first() {
                Some(b'[' | b'{') => serde_json::from_str(&t).unwrap_or(Value::String(t.into())),
                _ => Value::String(t.into_owned()),
            }
        }
        V::Blob(_) => Value::Null,
    }
}

/// The user's properties after an event's `user_properties` (identify operations included).
fn apply_user_properties(
    tx: &Connection,
    project_id: i64,
    user_row: i64,
    user_properties: &str,
) -> Result<()> {
    let Ok(Value::Object(update)) = serde_json::from_str::<Value>(user_properties) else {
        return Ok(());
    };
    let mut profile = Map::new();
    {
        let mut stmt = tx.prepare_cached(
            "SELECT key, value FROM analytics_user_properties WHERE user_row = ?1",
        )?;
        let mut rows = stmt.query(params![user_row])?;
        while let Some(r) = rows.next()? {
            profile.insert(r.get(0)?, value_json(r.get_ref(1)?));
        }
    }
    let before = profile.clone();
    if !reel_model::identify::apply(&mut profile, &update) {
        return Ok(());
    }
    for key in before.keys().filter(|k| !profile.contains_key(*k)) {
        tx.prepare_cached(
            "DELETE FROM analytics_user_properties WHERE user_row = ?1 AND key = ?2",
        )?
        .execute(params![user_row, key])?;
    }
    for (key, value) in profile.iter().filter(|(k, v)| before.get(*k) != Some(*v)) {
        let Some(value) = super::super::events::sql_value(value) else {
            continue;
        };
        tx.prepare_cached(
            "INSERT INTO analytics_user_properties (user_row, key, value, project_id)
             VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (user_row, key) DO UPDATE SET value = excluded.value",
        )?
        .execute(params![user_row, key, value, project_id])?;
    }
    Ok(())
}

/// Forgets the chart rows of events about to be deleted (`events_sql` selects their
/// `events` rows' ids, with the parameters `bind`): returns the sessions they were in, for
/// [`recount_sessions`] once the events are gone.
pub(crate) fn forget_events(
    tx: &Connection,
    events_sql: &str,
    bind: &[&dyn rusqlite::ToSql],
) -> Result<Vec<i64>> {
    let per_user: Vec<(i64, i64)> = tx
        .prepare(&format!(
            "SELECT e.user_row, COUNT(*) FROM analytics_events e
             WHERE (e.project_id, e.type_id, e.time_ms, e.event_id) IN
                 (SELECT project_id, type_id, time_ms, id FROM events WHERE id IN ({events_sql}))
             GROUP BY e.user_row"
        ))?
        .query_map(bind, |r| Ok((r.get(0)?, r.get(1)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (user_row, n) in per_user {
        tx.prepare_cached(
            "UPDATE analytics_users SET event_count = MAX(0, event_count - ?2) WHERE id = ?1",
        )?
        .execute(params![user_row, n])?;
    }
    tx.execute(
        &format!(
            "DELETE FROM analytics_events WHERE (project_id, type_id, time_ms, event_id) IN
             (SELECT project_id, type_id, time_ms, id FROM events WHERE id IN ({events_sql}))"
        ),
        bind,
    )?;
    let sessions = tx
        .prepare(&format!(
            "SELECT DISTINCT session_row FROM events
             WHERE id IN ({events_sql}) AND session_row IS NOT NULL"
        ))?
        .query_map(bind, |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(sessions)
}

/// Recounts the spans of sessions from the events they have left.
pub(crate) fn recount_sessions(tx: &Connection, sessions: &[i64]) -> Result<()> {
    for row in sessions {
        let span: (Option<i64>, Option<i64>, i64) = tx
            .prepare_cached(
                "SELECT MIN(e.time_ms), MAX(e.time_ms), COUNT(*) FROM analytics_sessions s
                 JOIN analytics_events e ON e.user_row = s.user_row AND e.session_row = s.session_row
                 WHERE s.session_row = ?1",
            )?
            .query_row(params![row], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        match span {
            (Some(first), Some(last), n) if n > 0 => tx.execute(
                "UPDATE analytics_sessions SET first_ms = ?2, last_ms = ?3, events = ?4
                 WHERE session_row = ?1",
                params![row, first, last, n],
            )?,
            _ => tx.execute(
                "DELETE FROM analytics_sessions WHERE session_row = ?1",
                params![row],
            )?,
        };
    }
    Ok(())
}
