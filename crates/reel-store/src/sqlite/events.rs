//! Writing analytics events and session text, with what search reads beside them: the
//! event's session row and interned name, the latest user properties, the words of clicked
//! elements, and text ids that carry their session.

use std::collections::HashMap;

use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, OptionalExtension, params};
use serde_json::Value;

use reel_query::selector::{ClickedElement, element_tokens};

use super::analytics;
use super::functions::text_hash;
use crate::{AnalyticsEvent, EventsAdded, Result, SessionRef, SessionText, properties};

/// Text ids: `session_row << TEXT_SESSION_SHIFT | console << 23 | n`.
pub(super) const TEXT_SESSION_SHIFT: u32 = 24;
const TEXT_CONSOLE_BIT: i64 = 1 << 23;
const TEXT_N_MASK: i64 = TEXT_CONSOLE_BIT - 1;

/// The ids session text of a session (and kind) may have: `(lo, hi)`, inclusive.
pub(super) fn text_id_range(session_row: i64, console: Option<bool>) -> (i64, i64) {
    let base = session_row << TEXT_SESSION_SHIFT;
    match console {
        None => (base, base | TEXT_CONSOLE_BIT | TEXT_N_MASK),
        Some(false) => (base, base | TEXT_N_MASK),
        Some(true) => (
            base | TEXT_CONSOLE_BIT,
            base | TEXT_CONSOLE_BIT | TEXT_N_MASK,
        ),
    }
}

/// The session row of `s`, created (without a recording) if needed.
pub(super) fn ensure_session(tx: &Connection, s: &SessionRef) -> rusqlite::Result<i64> {
    if let Some(row) = session_row(tx, s)? {
        return Ok(row);
    }
    tx.execute(
        "INSERT INTO sessions (project_id, device_id, session_id, replay_key) VALUES (?1, ?2, ?3, ?4)
         ON CONFLICT (project_id, device_id, session_id) DO NOTHING",
        params![s.project_id, s.device_id, s.session_id, s.replay_id().as_str()],
    )?;
    Ok(session_row(tx, s)?.expect("row exists after insert"))
}

pub(super) fn session_row(tx: &Connection, s: &SessionRef) -> rusqlite::Result<Option<i64>> {
    tx.prepare_cached(
        "SELECT id FROM sessions WHERE project_id = ?1 AND device_id = ?2 AND session_id = ?3",
    )?
    .query_row(params![s.project_id, s.device_id, s.session_id], |r| {
        r.get(0)
    })
    .optional()
}

/// Names interned per project in a table `(id, project_id, name)`: event names
/// (`event_types`) and event property names (`analytics_keys`).
pub(super) struct Names {
    insert: &'static str,
    select: &'static str,
    ids: HashMap<(i64, String), i64>,
}

impl Names {
    pub(super) fn event_types() -> Self {
        Self {
            insert: "INSERT INTO event_types (project_id, name) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
            select: "SELECT id FROM event_types WHERE project_id = ?1 AND name = ?2",
            ids: HashMap::new(),
        }
    }

    pub(super) fn property_keys() -> Self {
        Self {
            insert: "INSERT INTO analytics_keys (project_id, name) VALUES (?1, ?2) ON CONFLICT DO NOTHING",
            select: "SELECT id FROM analytics_keys WHERE project_id = ?1 AND name = ?2",
            ids: HashMap::new(),
        }
    }

    pub(super) fn id(&mut self, tx: &Connection, project_id: i64, name: &str) -> Result<i64> {
        if let Some(id) = self.ids.get(&(project_id, name.to_owned())) {
            return Ok(*id);
        }
        tx.prepare_cached(self.insert)?
            .execute(params![project_id, name])?;
        let id: i64 = tx
            .prepare_cached(self.select)?
            .query_row(params![project_id, name], |r| r.get(0))?;
        self.ids.insert((project_id, name.to_owned()), id);
        Ok(id)
    }
}

/// Stores events; those whose insert_id was seen before are skipped. Returns how many were new.
pub(super) fn insert_events(
    tx: &Connection,
    project_id: i64,
    events: &[AnalyticsEvent],
    now_ms: i64,
) -> Result<EventsAdded> {
    let mut added = EventsAdded::default();
    let mut types = Names::event_types();
    let mut recorder = analytics::Recorder::default();
    let mut sessions: HashMap<(String, i64), i64> = HashMap::new();
    let mut insert = tx.prepare_cached(
        "INSERT INTO events (project_id, insert_id, event_type, time_ms, device_id, user_id,
                             session_id, event_properties, user_properties, raw, received_ms,
                             display_name, derived, session_row, type_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)
         ON CONFLICT (project_id, insert_id) WHERE insert_id IS NOT NULL DO NOTHING",
    )?;
    for e in events {
        let event_properties = properties::bound_event_properties(&e.event_properties);
        let user_properties = properties::bound_user_properties(&e.user_properties);
        let dropped = event_properties.dropped + user_properties.dropped;
        added.properties_dropped += dropped;
        let type_id = types.id(tx, project_id, &e.event_type)?;
        let session_row = match (&e.device_id, e.session_id.filter(|s| *s > 0)) {
            (Some(device_id), Some(session_id)) => {
                let key = (device_id.clone(), session_id);
                Some(match sessions.get(&key) {
                    Some(row) => *row,
                    None => {
                        let row = ensure_session(
                            tx,
                            &SessionRef {
                                project_id,
                                device_id: device_id.clone(),
                                session_id,
                            },
                        )?;
                        sessions.insert(key, row);
                        row
                    }
                })
            }
            _ => None,
        };
        // A derived event is its columns: reel wrote its JSON from them. An event that lost
        // properties keeps what was stored of them, not what was sent.
        let rewritten = (dropped > 0 && !e.derived)
            .then(|| {
                properties::replace_members(
                    &e.raw,
                    &[
                        ("event_properties", &event_properties.text),
                        ("user_properties", &user_properties.text),
                    ],
                )
            })
            .flatten();
        let raw = match (&rewritten, e.derived) {
            (_, true) => "",
            (Some(r), false) => r.as_str(),
            (None, false) => e.raw.as_str(),
        };
        let n = insert.execute(params![
            project_id,
            e.insert_id,
            e.event_type,
            e.time_ms,
            e.device_id,
            e.user_id,
            e.session_id,
            event_properties.text,
            user_properties.text,
            raw,
            now_ms,
            e.display_name,
            e.derived,
            session_row,
            type_id
        ])?;
        if n == 0 {
            continue;
        }
        added.new += 1;
        recorder.record(
            tx,
            analytics::Stored {
                project_id,
                event_id: tx.last_insert_rowid(),
                type_id,
                session_row,
                event: e,
                event_properties: &event_properties.text,
                user_properties: &user_properties.text,
            },
        )?;
        if let Some(row) = session_row {
            index_element(tx, type_id, row, &event_properties.text)?;
        }
        if e.derived {
            continue;
        }
        if let Some(user_key) = user_key(e.user_id.as_deref(), e.device_id.as_deref()) {
            apply_user_properties(tx, project_id, &user_key, e.time_ms, &user_properties.text)?;
        }
        if let (Some(row), Some(user_id)) = (session_row, &e.user_id) {
            // The session's user is the one set last (by event time).
            tx.prepare_cached(
                "UPDATE sessions SET user_id = ?2, user_id_ms = ?3
                 WHERE id = ?1 AND (user_id_ms IS NULL OR user_id_ms <= ?3)",
            )?
            .execute(params![row, user_id, e.time_ms])?;
        }
    }
    recorder.flush(tx)?;
    Ok(added)
}

/// Whose user properties an event sets: its user id, else its device.
fn user_key(user_id: Option<&str>, device_id: Option<&str>) -> Option<String> {
    match (user_id, device_id) {
        (Some(u), _) => Some(format!("u:{u}")),
        (None, Some(d)) => Some(format!("d:{d}")),
        (None, None) => None,
    }
}

/// Keeps the latest value of each user property an event sets: plain keys and `$set` set
/// (unless a later event set the property already), `$setOnce` sets only what is not set,
/// `$unset` removes, `$add` adds to a number, `$clearAll` removes everything. Other operations
/// (`$append`, …) are not kept.
pub(super) fn apply_user_properties(
    tx: &Connection,
    project_id: i64,
    user_key: &str,
    time_ms: i64,
    user_properties: &str,
) -> Result<()> {
    if user_properties.len() <= 2 {
        return Ok(());
    }
    let Ok(Value::Object(props)) = serde_json::from_str::<Value>(user_properties) else {
        return Ok(());
    };
    let set = |key: &str, value: &Value| -> Result<()> {
        if let Some(value) = sql_value(value) {
            tx.prepare_cached(
                "INSERT INTO user_properties (project_id, user_key, key, value, time_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5)
                 ON CONFLICT (project_id, user_key, key) DO UPDATE
                 SET value = excluded.value, time_ms = excluded.time_ms
                 WHERE excluded.time_ms >= user_properties.time_ms",
            )?
            .execute(params![project_id, user_key, key, value, time_ms])?;
        }
        Ok(())
    };
    for (key, value) in &props {
        match key.as_str() {
            "$set" => {
                for (k, v) in value.as_object().into_iter().flatten() {
                    set(k, v)?;
                }
            }
            "$setOnce" => {
                for (k, v) in value.as_object().into_iter().flatten() {
                    if let Some(v) = sql_value(v) {
                        tx.prepare_cached(
                            "INSERT INTO user_properties (project_id, user_key, key, value, time_ms)
                             VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT DO NOTHING",
                        )?
                        .execute(params![project_id, user_key, k, v, time_ms])?;
                    }
                }
            }
            "$unset" => {
                let keys: Vec<&str> = match value {
                    Value::Object(m) => m.keys().map(String::as_str).collect(),
                    Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
                    _ => Vec::new(),
                };
                for k in keys {
                    tx.prepare_cached(
                        "DELETE FROM user_properties
                         WHERE project_id = ?1 AND user_key = ?2 AND key = ?3 AND time_ms <= ?4",
                    )?
                    .execute(params![project_id, user_key, k, time_ms])?;
                }
            }
            "$add" => {
                for (k, v) in value.as_object().into_iter().flatten() {
                    if let Some(n) = v.as_f64() {
                        tx.prepare_cached(
                            "INSERT INTO user_properties (project_id, user_key, key, value, time_ms)
                             VALUES (?1, ?2, ?3, ?4, ?5)
                             ON CONFLICT (project_id, user_key, key) DO UPDATE
                             SET value = COALESCE(reel_number(value), 0) + excluded.value,
                                 time_ms = MAX(time_ms, excluded.time_ms)",
                        )?
                        .execute(params![project_id, user_key, k, n, time_ms])?;
                    }
                }
            }
            "$clearAll" => {
                tx.prepare_cached(
                    "DELETE FROM user_properties WHERE project_id = ?1 AND user_key = ?2",
                )?
                .execute(params![project_id, user_key])?;
            }
            op if op.starts_with('$') => {}
            _ => set(key, value)?,
        }
    }
    Ok(())
}

/// A JSON value as SQLite keeps it: scalars as themselves (booleans 0/1), arrays and objects
/// as JSON text; `null` is no value.
pub(super) fn sql_value(v: &Value) -> Option<SqlValue> {
    Some(match v {
        Value::Null => return None,
        Value::Bool(b) => SqlValue::Integer(i64::from(*b)),
        Value::Number(n) => match n.as_i64() {
            Some(i) => SqlValue::Integer(i),
            None => SqlValue::Real(n.as_f64()?),
        },
        Value::String(s) => SqlValue::Text(s.clone()),
        other => SqlValue::Text(other.to_string()),
    })
}

/// The most characters of an element's text kept as a word for exact text search.
const MAX_TEXT_TOKEN_CHARS: usize = 100;

/// Keeps the words of a clicked element (events with `[reel] Element Selector`).
pub(super) fn index_element(
    tx: &Connection,
    type_id: i64,
    session_row: i64,
    event_properties: &str,
) -> Result<()> {
    if !event_properties.contains(reel_query::ELEMENT_SELECTOR_PROPERTY) {
        return Ok(());
    }
    let Ok(Value::Object(props)) = serde_json::from_str::<Value>(event_properties) else {
        return Ok(());
    };
    let Some(element) = ClickedElement::from_properties(&props) else {
        return Ok(());
    };
    let mut tokens = element_tokens(&element);
    if let Some(text) = props
        .get(reel_query::ELEMENT_TEXT_PROPERTY)
        .and_then(Value::as_str)
    {
        tokens.push(text_token(text));
    }
    let mut insert = tx.prepare_cached(
        "INSERT OR IGNORE INTO element_tokens (type_id, token, session_row) VALUES (?1, ?2, ?3)",
    )?;
    for token in tokens {
        insert.execute(params![type_id, token, session_row])?;
    }
    Ok(())
}

/// The word an element's readable text is indexed under: `=` and the text in lower case
/// (its first 100 characters).
pub(crate) fn text_token(text: &str) -> String {
    let lower: String = text
        .to_lowercase()
        .chars()
        .take(MAX_TEXT_TOKEN_CHARS)
        .collect();
    format!("={lower}")
}

/// Stores a session's text, once per kind and content, numbering each kind's texts within the
/// session's id range. Returns how many were new.
pub(super) fn insert_texts(
    tx: &Connection,
    session_row: i64,
    texts: &[SessionText],
) -> Result<usize> {
    let mut next: [Option<i64>; 2] = [None, None];
    let mut new = 0;
    let mut insert = tx.prepare_cached(
        "INSERT INTO session_text (id, session_row, kind, level, first_ms, hash, text)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) ON CONFLICT (session_row, hash) DO NOTHING",
    )?;
    for t in texts {
        let console = t.console_level.is_some();
        let (lo, hi) = text_id_range(session_row, Some(console));
        let slot = &mut next[usize::from(console)];
        let id = match *slot {
            Some(id) => id,
            None => tx
                .prepare_cached(
                    "SELECT COALESCE(MAX(id) + 1, ?1 + 1) FROM session_text WHERE id BETWEEN ?1 AND ?2",
                )?
                .query_row(params![lo, hi], |r| r.get(0))?,
        };
        if id > hi {
            // A session's text is bounded far below 8 million pieces; nothing more is kept.
            continue;
        }
        let kind = if console { "console" } else { "screen" };
        let n = insert.execute(params![
            id,
            session_row,
            kind,
            t.console_level,
            t.ts_ms,
            text_hash(kind, &t.text),
            t.text
        ])?;
        new += n;
        *slot = Some(if n == 1 { id + 1 } else { id });
    }
    Ok(new)
}

/// After migration 0007: the user properties and element words of events stored before it.
pub(super) fn backfill_search_index(tx: &Connection) -> Result<()> {
    let mut rows = Vec::new();
    {
        let mut stmt = tx.prepare(
            "SELECT project_id, user_id, device_id, time_ms, user_properties FROM events
             WHERE derived = 0 AND length(user_properties) > 2 ORDER BY time_ms, id",
        )?;
        let mut q = stmt.query([])?;
        while let Some(r) = q.next()? {
            rows.push((
                r.get::<_, i64>(0)?,
                r.get::<_, Option<String>>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, i64>(3)?,
                r.get::<_, String>(4)?,
            ));
        }
    }
    for (project_id, user_id, device_id, time_ms, props) in rows {
        if let Some(key) = user_key(user_id.as_deref(), device_id.as_deref()) {
            apply_user_properties(tx, project_id, &key, time_ms, &props)?;
        }
    }
    let mut elements = Vec::new();
    {
        let mut stmt = tx.prepare(
            "SELECT type_id, session_row, event_properties FROM events
             WHERE session_row IS NOT NULL AND instr(event_properties, ?1) > 0",
        )?;
        let mut q = stmt.query(params![reel_query::ELEMENT_SELECTOR_PROPERTY])?;
        while let Some(r) = q.next()? {
            elements.push((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, String>(2)?,
            ));
        }
    }
    for (type_id, session_row, props) in elements {
        index_element(tx, type_id, session_row, &props)?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_ids_carry_their_session() {
        let (lo, hi) = text_id_range(5, Some(false));
        assert_eq!((lo >> TEXT_SESSION_SHIFT, hi >> TEXT_SESSION_SHIFT), (5, 5));
        let (clo, chi) = text_id_range(5, Some(true));
        assert!(hi < clo && chi < (6 << TEXT_SESSION_SHIFT));
        assert_eq!(text_id_range(5, None), (lo, chi));
        assert_eq!(text_token("Pay NOW"), "=pay now");
    }
}
