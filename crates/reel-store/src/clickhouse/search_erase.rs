//! Deleting replay search's data ([`ClickHouseSearch`]) as retention and erasure do on the
//! embedded store (`sqlite/erasure.rs`): deleted sessions' rows, events and text; events
//! without a session and user properties past the cutoff; a user id's or device id's events
//! and user properties.
//!
//! As for charts (`erase.rs`): every row a deletion removes is named in `search_gone` when the
//! call returns and every read leaves it out, then `ALTER TABLE … DELETE` (a mutation
//! ClickHouse runs in the background) removes the rows themselves. A session deleted and seen
//! again later starts afresh (a new first sighting, no replay). User properties past the
//! cutoff: the user's operations are replaced by a snapshot of what is left (a `$clearAll`,
//! then each property kept `$set` at the time it was set), and the operations before it
//! deleted.
//!
//! Which events a user id's erasure takes follows the embedded store: those with the user id,
//! and the anonymous events charts counted as the user's — a device's events before its first
//! user id, when that id is this one, and its events without a user id while it was theirs —
//! read here from the arrival order of the events and of the user ids seen on each device
//! (`search_bindings`, kept when sessions are deleted, forgotten with the user or device).

use std::collections::{BTreeMap, HashMap};

use rusqlite::types::Value as SqlValue;
use serde_json::{Value, json};

use super::client::quote;
use super::sessions::{ClickHouseSearch, session_tuples};
use crate::{Erased, Result, SessionRef, StoreError, Subject};

/// `search_gone.tbl` of each table.
const SESSIONS: u8 = 1;
const EVENTS: u8 = 2;
const TEXTS: u8 = 3;
const OPS: u8 = 4;
const BINDINGS: u8 = 5;

/// A table's name, and its rows' key and arrival number as `search_gone` names them.
fn table(tbl: u8) -> (&'static str, &'static str, &'static str) {
    match tbl {
        SESSIONS => (
            "search_sessions",
            "device_id",
            "if(kind = 0, seen_row, version)",
        ),
        EVENTS => ("search_events", "device_id", "seq"),
        TEXTS => ("search_texts", "device_id", "seq"),
        BINDINGS => ("search_bindings", "device", "seq"),
        _ => ("search_user_ops", "user_key", "seq"),
    }
}

fn live(project_id: i64, tbl: u8) -> String {
    let (_, key, seq) = table(tbl);
    format!(
        "({key}, {seq}) NOT IN (SELECT key, seq FROM search_gone \
         WHERE project = {project_id} AND tbl = {tbl})"
    )
}

/// A condition on `search_sessions` rows: not deleted.
pub(super) fn live_sessions(project_id: i64) -> String {
    live(project_id, SESSIONS)
}

/// A condition on `search_events` rows: not deleted.
pub(super) fn live_events(project_id: i64) -> String {
    live(project_id, EVENTS)
}

/// A condition on `search_texts` rows: not deleted.
pub(super) fn live_texts(project_id: i64) -> String {
    live(project_id, TEXTS)
}

/// A condition on `search_user_ops` rows: not deleted.
pub(super) fn live_ops(project_id: i64) -> String {
    live(project_id, OPS)
}

/// A user property's value as an operation sets it again.
fn json_of(v: &SqlValue) -> Value {
    match v {
        SqlValue::Integer(i) => json!(i),
        SqlValue::Real(f) => json!(f),
        SqlValue::Text(t) => json!(t),
        SqlValue::Null | SqlValue::Blob(_) => Value::Null,
    }
}

impl ClickHouseSearch {
    /// Deletes the rows of a table that `select` names (`key`, `seq` columns, live rows of the
    /// project's): tombstones now, the rows later. Returns how many.
    async fn forget_rows(&self, project_id: i64, tbl: u8, select: &str) -> Result<usize> {
        let p = project_id;
        let batch = self.seq.next();
        self.ch
            .execute(&format!(
                "INSERT INTO search_gone SELECT {p} AS project, {tbl} AS tbl, key, seq, \
                 {batch} AS batch FROM ({select})"
            ))
            .await?;
        let n = self
            .ch
            .largest(&[&format!(
                "SELECT count() FROM search_gone WHERE project = {p} AND tbl = {tbl} \
                 AND batch = {batch}"
            )])
            .await? as usize;
        if n > 0 {
            let (name, key, seq) = table(tbl);
            self.ch
                .execute(&format!(
                    "ALTER TABLE {name} DELETE WHERE project = {p} AND ({key}, {seq}) IN \
                     (SELECT key, seq FROM search_gone WHERE project = {p} AND tbl = {tbl} \
                     AND batch = {batch})"
                ))
                .await?;
        }
        Ok(n)
    }

    /// Deletes live events of the project that `condition` keeps.
    async fn forget_events(&self, project_id: i64, condition: &str) -> Result<usize> {
        self.forget_rows(
            project_id,
            EVENTS,
            &format!(
                "SELECT device_id AS key, seq FROM search_events WHERE project = {project_id} \
                 AND ({condition}) AND {}",
                live_events(project_id)
            ),
        )
        .await
    }

    /// Deletes sessions as the embedded store's `delete_sessions` does for search: their rows
    /// (a later event or upload starts the session afresh), events and text. Returns the
    /// sessions found, of them the replays, and their events.
    pub async fn delete_sessions(&self, sessions: &[SessionRef]) -> Result<Erased> {
        let mut by_project: BTreeMap<i64, Vec<(&str, i64)>> = BTreeMap::new();
        for s in sessions {
            by_project
                .entry(s.project_id)
                .or_default()
                .push((s.device_id.as_str(), s.session_id));
        }
        let mut erased = Erased::default();
        for (p, list) in by_project {
            for chunk in list.chunks(500) {
                let keys = session_tuples(chunk.iter().copied());
                let only = format!("(device_id, session_id) IN ({keys})");
                for r in self
                    .ch
                    .rows(&format!(
                        "SELECT device_id, session_id, argMaxIf(is_replay, version, kind = 1) \
                         FROM search_sessions WHERE project = {p} AND {only} AND {} \
                         GROUP BY device_id, session_id HAVING countIf(kind = 0) > 0",
                        live_sessions(p)
                    ))
                    .await?
                {
                    erased.sessions += 1;
                    erased.recordings += usize::from(r.get(2).is_some_and(|v| v == "1"));
                }
                self.forget_rows(
                    p,
                    SESSIONS,
                    &format!(
                        "SELECT device_id AS key, if(kind = 0, seen_row, version) AS seq \
                         FROM search_sessions WHERE project = {p} AND {only} AND {}",
                        live_sessions(p)
                    ),
                )
                .await?;
                erased.events += self.forget_events(p, &only).await?;
                self.forget_rows(
                    p,
                    TEXTS,
                    &format!(
                        "SELECT device_id AS key, seq FROM search_texts WHERE project = {p} \
                         AND {only} AND {}",
                        live_texts(p)
                    ),
                )
                .await?;
            }
        }
        Ok(erased)
    }

    /// Deletes up to `limit` events without a session that happened before `cutoff_ms` (the
    /// first to arrive) and up to `limit` user properties set before it, as the embedded
    /// store's `delete_expired_rest` does for search. Which properties go first when more
    /// than `limit` are due may differ (by user key and name here; the embedded store names
    /// no order).
    pub async fn delete_expired_rest(
        &self,
        project_id: i64,
        cutoff_ms: i64,
        limit: usize,
    ) -> Result<Erased> {
        let p = project_id;
        let events = self
            .forget_rows(
                p,
                EVENTS,
                &format!(
                    "SELECT device_id AS key, seq FROM search_events WHERE project = {p} \
                     AND session_id = 0 AND time_ms < {cutoff_ms} AND {} ORDER BY seq \
                     LIMIT {limit}",
                    live_events(p)
                ),
            )
            .await?;
        let folded = self.folded_properties(p, None).await?;
        let mut due: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
        let mut user_properties = 0;
        for (user_key, key, _, time_ms) in &folded {
            if *time_ms < cutoff_ms && user_properties < limit {
                due.entry(user_key.as_str()).or_default().push(key.as_str());
                user_properties += 1;
            }
        }
        for (user_key, keys) in due {
            let kept: Vec<(&str, &SqlValue, i64)> = folded
                .iter()
                .filter(|(u, k, _, _)| u == user_key && !keys.contains(&k.as_str()))
                .map(|(_, k, v, t)| (k.as_str(), v, *t))
                .collect();
            self.replace_properties(p, user_key, &kept).await?;
        }
        Ok(Erased {
            events,
            user_properties,
            ..Erased::default()
        })
    }

    /// Replaces a user key's operations by `kept` (key, value, time set): a `$clearAll`, one
    /// `$set` per property at its time, then the operations before them deleted.
    async fn replace_properties(
        &self,
        project_id: i64,
        user_key: &str,
        kept: &[(&str, &SqlValue, i64)],
    ) -> Result<()> {
        let first = self.seq.next();
        let mut rows = json!({"project": project_id, "user_key": user_key, "seq": first,
                              "time_ms": 0, "props": json!({"$clearAll": "-"}).to_string()})
        .to_string();
        rows.push('\n');
        for (key, value, time_ms) in kept {
            let props = json!({"$set": {*key: json_of(value)}}).to_string();
            rows.push_str(
                &json!({"project": project_id, "user_key": user_key, "seq": self.seq.next(),
                        "time_ms": time_ms, "props": props})
                .to_string(),
            );
            rows.push('\n');
        }
        self.ch.insert("search_user_ops", rows).await?;
        self.forget_rows(
            project_id,
            OPS,
            &format!(
                "SELECT user_key AS key, seq FROM search_user_ops WHERE project = {project_id} \
                 AND user_key = {} AND seq < {first} AND {}",
                quote(user_key),
                live_ops(project_id)
            ),
        )
        .await?;
        Ok(())
    }

    /// The project's current user properties with the time each was set, folded from the
    /// live operations: (user key, key, value, time), by user key and key.
    async fn folded_properties(
        &self,
        project_id: i64,
        user_key: Option<&str>,
    ) -> Result<Vec<(String, String, SqlValue, i64)>> {
        let only = user_key
            .map(|k| format!(" AND user_key = {}", quote(k)))
            .unwrap_or_default();
        let ops = self.live_user_ops(project_id, &only).await?;
        tokio::task::spawn_blocking(move || {
            crate::sqlite::Conditions::new()?.fold_user_properties_timed(&ops)
        })
        .await
        .map_err(|e| StoreError::Task(e.to_string()))?
    }

    /// Deletes what is left of a user id or device id outside its sessions, as the embedded
    /// store's `delete_subject_rest` does for search: for a user id, the events with it and
    /// the anonymous events charts counted as theirs (see the module); for a device id, its
    /// events without a session, and all its events when no user id was ever seen on it (its
    /// user was anonymous); and the subject's user properties. Returns the events and the
    /// user properties deleted.
    pub async fn delete_subject_rest(&self, project_id: i64, subject: &Subject) -> Result<Erased> {
        let p = project_id;
        let (events, user_key) = match subject {
            Subject::UserId(user_id) => {
                let theirs = self.anonymous_events_of(p, user_id).await?;
                self.forget_rows(
                    p,
                    BINDINGS,
                    &format!(
                        "SELECT device AS key, seq FROM search_bindings WHERE project = {p} \
                         AND user_id = {} AND {}",
                        quote(user_id),
                        live(p, BINDINGS)
                    ),
                )
                .await?;
                let mut events = self
                    .forget_events(p, &format!("user_id = {}", quote(user_id)))
                    .await?;
                for chunk in theirs.chunks(500) {
                    let list: Vec<String> = chunk
                        .iter()
                        .map(|(d, seq)| format!("({}, {seq})", quote(d)))
                        .collect();
                    events += self
                        .forget_events(p, &format!("(device_id, seq) IN ({})", session_list(&list)))
                        .await?;
                }
                (events, format!("u:{user_id}"))
            }
            Subject::DeviceId(device) => {
                let d = quote(device);
                // A device some user id was seen on belongs to a named user.
                let named = self
                    .ch
                    .largest(&[&format!(
                        "SELECT count() FROM search_bindings WHERE project = {p} AND device = {d} \
                         AND {}",
                        live(p, BINDINGS)
                    )])
                    .await?
                    > 0;
                self.forget_rows(
                    p,
                    BINDINGS,
                    &format!(
                        "SELECT device AS key, seq FROM search_bindings WHERE project = {p} \
                         AND device = {d} AND {}",
                        live(p, BINDINGS)
                    ),
                )
                .await?;
                let events = if named {
                    self.forget_events(p, &format!("device = {d} AND session_id = 0"))
                        .await?
                } else {
                    // Its anonymous user's events go with the user, identify calls excepted
                    // (charts never held them).
                    self.forget_events(
                        p,
                        &format!(
                            "device = {d} AND (session_id = 0 OR event_type NOT IN \
                             ('$identify', '$groupidentify'))"
                        ),
                    )
                    .await?
                };
                (events, format!("d:{device}"))
            }
        };
        let user_properties = self.folded_properties(p, Some(&user_key)).await?.len();
        self.forget_rows(
            p,
            OPS,
            &format!(
                "SELECT user_key AS key, seq FROM search_user_ops WHERE project = {p} \
                 AND user_key = {} AND {}",
                quote(&user_key),
                live_ops(p)
            ),
        )
        .await?;
        Ok(Erased {
            events,
            user_properties,
            ..Erased::default()
        })
    }

    /// The live events without a user id that charts counted as `user_id`'s: on each device
    /// the user id was seen on, those before the device's first user id when that id is this
    /// one, and those while the device was theirs (from the last time their id was seen on it
    /// to the next other id). Identify calls are left out (charts never held them).
    async fn anonymous_events_of(
        &self,
        project_id: i64,
        user_id: &str,
    ) -> Result<Vec<(String, u64)>> {
        let p = project_id;
        let u = quote(user_id);
        let devices = format!(
            "device IN (SELECT device FROM search_bindings WHERE project = {p} \
             AND user_id = {u} AND {})",
            live(p, BINDINGS)
        );
        // The user ids seen on those devices, then their anonymous events: (device, seq, user
        // id or '', event type, row key), merged by arrival.
        let mut rows: Vec<(String, u64, String, String, String)> = Vec::new();
        for r in self
            .ch
            .rows(&format!(
                "SELECT device, seq, user_id FROM search_bindings WHERE project = {p} \
                 AND {devices} AND {}",
                live(p, BINDINGS)
            ))
            .await?
        {
            if let Ok([device, seq, user]) = <[String; 3]>::try_from(r)
                && let Ok(seq) = seq.parse()
            {
                rows.push((device, seq, user, String::new(), String::new()));
            }
        }
        for r in self
            .ch
            .rows(&format!(
                "SELECT device, seq, event_type, device_id FROM search_events \
                 WHERE project = {p} AND {devices} AND user_id = '' AND {}",
                live_events(p)
            ))
            .await?
        {
            if let Ok([device, seq, event_type, key]) = <[String; 4]>::try_from(r)
                && let Ok(seq) = seq.parse()
            {
                rows.push((device, seq, String::new(), event_type, key));
            }
        }
        rows.sort_by(|a, b| (&a.0, a.1).cmp(&(&b.0, b.1)));
        let mut out = Vec::new();
        // Per device: the user id it points at now (none: anonymous so far), the anonymous
        // events waiting for one.
        let mut now: HashMap<String, Option<String>> = HashMap::new();
        let mut waiting: HashMap<String, Vec<(String, u64)>> = HashMap::new();
        for (device, seq, user, event_type, key) in rows {
            let current = now.entry(device.clone()).or_default();
            if !user.is_empty() {
                let pending = waiting.remove(&device).unwrap_or_default();
                if current.is_none() && user == user_id {
                    out.extend(pending);
                }
                *current = Some(user);
                continue;
            }
            if crate::analytics::is_identify(&event_type) {
                continue;
            }
            match current {
                Some(owner) if owner == user_id => out.push((key, seq)),
                Some(_) => {}
                None => waiting.entry(device).or_default().push((key, seq)),
            }
        }
        Ok(out)
    }
}

/// A tuple list for `IN` that stays a list of tuples with one element (see
/// [`session_tuples`]).
fn session_list(list: &[String]) -> String {
    if list.len() == 1 {
        format!("{0}, {0}", list[0])
    } else {
        list.join(", ")
    }
}
