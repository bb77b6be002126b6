//! Keeping events for charts in ClickHouse, with the embedded recorder's rules
//! (`sqlite/analytics/record.rs`): whose an event is (a device's anonymous events join the user
//! whose id later appears on it), its user's properties after identify operations
//! (`reel_model::identify`, the same function), its properties with the same types.
//!
//! The state those rules read — each device's user, each user's id, merge and properties, each
//! session's user id — is kept in ClickHouse (`chart_users`, `chart_devices`,
//! `chart_user_properties`, `chart_sessions`: rows are versions, the newest wins) and read by
//! the writing node for each batch (the devices, users and sessions the batch names, in a few
//! statements, `record/prefetch.rs`), so a batch decides from what every node wrote before it. A merge writes one row (`merged_into`) instead of rewriting the anonymous user's
//! events: ClickHouse rewrites rows only by asynchronous mutations, so charts map merged users
//! when they read (`scan.rs`). User and session numbers are hashes of their ids, the same on
//! every node, so two nodes never number one user twice.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::{Map, Value, json};

use super::client::{ClickHouse, quote};

mod prefetch;
use crate::charts::OwnedValue;
use crate::{AnalyticsEvent, Result, SessionRef, properties};

/// An event property's kind in `prop_kinds` (0 is "no such key": an array's default).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[repr(u8)]
pub(crate) enum Kind {
    False = 1,
    True = 2,
    Int = 3,
    Float = 4,
    Text = 5,
    Json = 6,
}

/// A user property's kind in `chart_user_properties`.
const USER_INT: u8 = 2;
const USER_FLOAT: u8 = 3;
const USER_TEXT: u8 = 4;

/// Orders what one node writes: event arrival (`seq`) and state versions. Microseconds of the
/// clock, or one more than the last number, whichever is larger: increasing on a node, and
/// about in arrival order across nodes.
#[derive(Debug, Default)]
pub(crate) struct Sequence(AtomicU64);

impl Sequence {
    pub(crate) fn starting_after(last: u64) -> Self {
        Self(AtomicU64::new(last))
    }

    pub(crate) fn next(&self) -> u64 {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_micros() as u64);
        let previous = self
            .0
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |last| {
                Some(now.max(last + 1))
            })
            .unwrap_or(0);
        now.max(previous + 1)
    }
}

/// A stable 63-bit number for an id (FNV-1a), never 0 (0 is "none" in the tables).
pub(crate) fn number(tag: &str, project_id: i64, parts: &[&[u8]]) -> i64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    let mut eat = |bytes: &[u8]| {
        for b in bytes {
            h ^= u64::from(*b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    };
    eat(tag.as_bytes());
    eat(&project_id.to_le_bytes());
    for p in parts {
        // The length first, so ("ab", "c") and ("a", "bc") differ.
        eat(&(p.len() as u64).to_le_bytes());
        eat(p);
    }
    let n = (h & (i64::MAX as u64)) as i64;
    if n == 0 { 1 } else { n }
}

/// An identified user's number.
pub(crate) fn user_number(project_id: i64, user_id: &str) -> i64 {
    number("user", project_id, &[user_id.as_bytes()])
}

/// The number of the anonymous user a device starts with.
pub(crate) fn device_user_number(project_id: i64, device_id: &str) -> i64 {
    number("device", project_id, &[device_id.as_bytes()])
}

/// A session's number.
pub(crate) fn session_number(project_id: i64, device_id: &str, session_id: i64) -> i64 {
    number(
        "session",
        project_id,
        &[device_id.as_bytes(), &session_id.to_le_bytes()],
    )
}

/// An event's properties as the three arrays (`null`s left out, as the embedded encoding
/// does).
pub(crate) fn encode_properties(text: &str) -> (Vec<String>, Vec<u8>, Vec<String>) {
    let mut keys = Vec::new();
    let mut kinds = Vec::new();
    let mut values = Vec::new();
    if text.len() <= 2 {
        return (keys, kinds, values);
    }
    let Ok(Value::Object(map)) = serde_json::from_str::<Value>(text) else {
        return (keys, kinds, values);
    };
    for (name, value) in map {
        let (kind, text) = match value {
            Value::Null => continue,
            Value::Bool(false) => (Kind::False, String::new()),
            Value::Bool(true) => (Kind::True, String::new()),
            Value::Number(n) => match n.as_i64() {
                Some(i) => (Kind::Int, i.to_string()),
                // Rust writes the shortest text that reads back as the same f64.
                None => (Kind::Float, n.as_f64().unwrap_or(0.0).to_string()),
            },
            Value::String(s) => (Kind::Text, s),
            other => (Kind::Json, other.to_string()),
        };
        keys.push(name);
        kinds.push(kind as u8);
        values.push(text);
    }
    (keys, kinds, values)
}

fn user_kind(v: &OwnedValue) -> (u8, String) {
    match v {
        OwnedValue::Int(i) => (USER_INT, i.to_string()),
        OwnedValue::Float(f) => (USER_FLOAT, f.to_string()),
        OwnedValue::Text(t) => (USER_TEXT, t.clone()),
    }
}

/// A user property read back from its kind and text.
pub(crate) fn user_value(kind: u8, text: &str) -> Option<OwnedValue> {
    match kind {
        USER_INT => text.parse().ok().map(OwnedValue::Int),
        USER_FLOAT => text.parse().ok().map(OwnedValue::Float),
        USER_TEXT => Some(OwnedValue::Text(text.to_owned())),
        _ => None,
    }
}

#[derive(Debug, Clone)]
pub(super) struct UserState {
    pub(super) anonymous: bool,
    pub(super) user_id: String,
    pub(super) merged_into: i64,
    /// First and last seen (see `schema.rs`).
    pub(super) first_ms: i64,
    pub(super) last_ms: i64,
    /// The version that made the user.
    pub(super) created: u64,
    /// Loaded the first time an event sets or merges them.
    props: Option<BTreeMap<String, OwnedValue>>,
}

#[derive(Debug, Clone)]
struct SessionState {
    device_id: String,
    session_id: i64,
    user_id: Option<String>,
    user_id_ms: Option<i64>,
    has_replay: bool,
}

/// Rows of one batch, a JSON object a line, per table.
#[derive(Default)]
struct Rows {
    events: String,
    users: String,
    devices: String,
    properties: String,
    sessions: String,
}

fn push(out: &mut String, row: Value) {
    out.push_str(&row.to_string());
    out.push('\n');
}

/// A node's writer: its cache of the state (see the module's docs).
#[derive(Default)]
pub(crate) struct Writer {
    devices: HashMap<(i64, String), i64>,
    /// When each device in `devices` was first seen.
    device_first: HashMap<(i64, String), i64>,
    /// Users whose first/last seen the batch changed: their rows are written at its end.
    touched: HashSet<(i64, i64)>,
    users: HashMap<(i64, i64), UserState>,
    sessions: HashMap<(i64, i64), SessionState>,
    /// What the batch being recorded looked up and ClickHouse did not have (devices, users,
    /// sessions), so they are not asked for again event by event; forgotten after the batch.
    absent: Absent,
}

#[derive(Default)]
struct Absent {
    devices: HashSet<(i64, String)>,
    users: HashSet<(i64, i64)>,
    sessions: HashSet<(i64, i64)>,
}

/// An event to keep, with its session's generation and the id it is kept once by.
struct Kept<'a> {
    event: &'a AnalyticsEvent,
    generation: u32,
    id: Option<String>,
}

impl Writer {
    /// Keeps a batch of a project's events for charts: the state's rows first, then the
    /// events, so a failure between them leaves state that a retry of the batch recomputes
    /// the same way.
    ///
    /// `generations` are the events' sessions' generations (missing: 0). A derived event is
    /// kept once per generation: a deleted replay's (or reprocessed session's) derived events
    /// come again, with the same insert ids, in the next one.
    pub(crate) async fn record(
        &mut self,
        ch: &ClickHouse,
        seq: &Sequence,
        project_id: i64,
        events: &[AnalyticsEvent],
        generations: &[u32],
    ) -> Result<()> {
        // The state is read afresh for every batch: another node may have changed it since
        // (a merge, a property, a session's user), and a failed batch's cache may hold what
        // never reached ClickHouse.
        *self = Self::default();
        let mut rows = Rows::default();
        let kept: Vec<Kept> = events
            .iter()
            .enumerate()
            .map(|(i, e)| {
                let generation = generations.get(i).copied().unwrap_or(0);
                Kept {
                    event: e,
                    generation,
                    id: e
                        .insert_id
                        .as_ref()
                        .map(|id| match (e.derived, generation) {
                            (true, g) if g > 0 => format!("{id}#{g}"),
                            _ => id.clone(),
                        }),
                }
            })
            .collect();
        let mut seen = seen_insert_ids(ch, project_id, &kept).await?;
        let result = self
            .record_batch(ch, seq, project_id, &kept, &mut rows, &mut seen)
            .await;
        *self = Self::default();
        result
    }

    async fn record_batch(
        &mut self,
        ch: &ClickHouse,
        seq: &Sequence,
        project_id: i64,
        events: &[Kept<'_>],
        rows: &mut Rows,
        seen: &mut HashSet<String>,
    ) -> Result<()> {
        let fresh: Vec<&AnalyticsEvent> = events
            .iter()
            .filter(|k| k.id.as_ref().is_none_or(|id| !seen.contains(id)))
            .map(|k| k.event)
            .collect();
        self.prefetch(ch, project_id, &fresh).await?;
        let mut inserted = String::new();
        for k in events {
            if let Some(id) = &k.id {
                if !seen.insert(id.clone()) {
                    continue;
                }
                push(
                    &mut inserted,
                    json!({"project": project_id, "insert_id": id, "version": seq.next()}),
                );
            }
            self.record_one(ch, seq, project_id, k, rows).await?;
        }
        for key in std::mem::take(&mut self.touched) {
            if let Some(state) = self.users.get(&key) {
                push(&mut rows.users, user_row(key.0, key.1, state, seq.next()));
            }
        }
        let rows = std::mem::take(rows);
        ch.insert("chart_users", rows.users).await?;
        ch.insert("chart_devices", rows.devices).await?;
        ch.insert("chart_user_properties", rows.properties).await?;
        ch.insert("chart_sessions", rows.sessions).await?;
        ch.insert("chart_events", rows.events).await?;
        // Last: a batch cut short before this is recorded again when retried (an event may
        // count twice) rather than skipped (an event lost).
        ch.insert("chart_inserted", inserted).await?;
        Ok(())
    }

    /// Marks sessions (device, session id) as having a recording (the Microscope's "with
    /// replays"), their state read in a few statements and written in one.
    pub(crate) async fn mark_replays(
        &mut self,
        ch: &ClickHouse,
        seq: &Sequence,
        project_id: i64,
        sessions: &[(&str, i64)],
    ) -> Result<()> {
        *self = Self::default();
        let mut rows = Rows::default();
        let result = async {
            self.prefetch_sessions(ch, project_id, sessions).await?;
            for (device_id, session_id) in sessions {
                let session = self
                    .session(ch, seq, project_id, device_id, *session_id, &mut rows)
                    .await?;
                let state = self
                    .sessions
                    .get_mut(&(project_id, session))
                    .expect("loaded");
                if !state.has_replay {
                    state.has_replay = true;
                    let row = session_row(project_id, session, state, seq.next());
                    push(&mut rows.sessions, row);
                }
            }
            ch.insert("chart_sessions", std::mem::take(&mut rows.sessions))
                .await
        }
        .await;
        *self = Self::default();
        result
    }

    /// Marks a session as no longer having a recording (its replay was deleted).
    pub(crate) async fn unmark_replay(
        &mut self,
        ch: &ClickHouse,
        seq: &Sequence,
        session: &SessionRef,
    ) -> Result<()> {
        *self = Self::default();
        let mut rows = Rows::default();
        let p = session.project_id;
        let n = self
            .session(
                ch,
                seq,
                p,
                &session.device_id,
                session.session_id,
                &mut rows,
            )
            .await?;
        let state = self.sessions.get_mut(&(p, n)).expect("loaded");
        if state.has_replay {
            state.has_replay = false;
            let row = session_row(p, n, state, seq.next());
            push(&mut rows.sessions, row);
        }
        ch.insert("chart_sessions", rows.sessions).await
    }

    async fn record_one(
        &mut self,
        ch: &ClickHouse,
        seq: &Sequence,
        project_id: i64,
        kept: &Kept<'_>,
        rows: &mut Rows,
    ) -> Result<()> {
        let e = kept.event;
        let event_properties = properties::bound_event_properties(&e.event_properties);
        let user_properties = properties::bound_user_properties(&e.user_properties);
        let session = match (&e.device_id, e.session_id.filter(|s| *s > 0)) {
            (Some(device_id), Some(session_id)) => Some(
                self.session(ch, seq, project_id, device_id, session_id, rows)
                    .await?,
            ),
            _ => None,
        };
        let user = self
            .user_of(
                ch,
                seq,
                project_id,
                e.user_id.as_deref(),
                e.device_id.as_deref(),
                e.time_ms,
                rows,
            )
            .await?;
        if let Some(user) = user {
            if !e.derived && user_properties.text.len() > 2 {
                self.apply_user_properties(ch, seq, project_id, user, &user_properties.text, rows)
                    .await?;
            }
            if !crate::analytics::is_identify(&e.event_type) {
                let (keys, kinds, values) = encode_properties(&event_properties.text);
                push(
                    &mut rows.events,
                    json!({
                        "project": project_id,
                        "event_type": e.event_type,
                        "time_ms": e.time_ms,
                        "seq": seq.next(),
                        "user": user,
                        "session": session.unwrap_or(0),
                        "prop_keys": keys,
                        "prop_kinds": kinds,
                        "prop_values": values,
                        "device_id": e.device_id.clone().unwrap_or_default(),
                        "display_name": e.display_name.clone().unwrap_or_default(),
                        "has_display_name": u8::from(e.display_name.is_some()),
                        "props_json": &*event_properties.text,
                        "derived": u8::from(e.derived),
                        "generation": kept.generation,
                    }),
                );
                if let Some(state) = self.users.get_mut(&(project_id, user)) {
                    state.first_ms = state.first_ms.min(e.time_ms);
                    state.last_ms = state.last_ms.max(e.time_ms);
                    self.touched.insert((project_id, user));
                }
            }
        }
        if let (false, Some(session), Some(user_id)) = (e.derived, session, &e.user_id) {
            // The session's user is the one set last (by event time).
            let state = self
                .sessions
                .get_mut(&(project_id, session))
                .expect("loaded");
            if state.user_id_ms.is_none_or(|ms| ms <= e.time_ms) {
                state.user_id = Some(user_id.clone());
                state.user_id_ms = Some(e.time_ms);
                let row = session_row(project_id, session, state, seq.next());
                push(&mut rows.sessions, row);
            }
        }
        Ok(())
    }

    /// The session's number, its state loaded (or made: a new session without a recording).
    async fn session(
        &mut self,
        ch: &ClickHouse,
        seq: &Sequence,
        project_id: i64,
        device_id: &str,
        session_id: i64,
        rows: &mut Rows,
    ) -> Result<i64> {
        let n = session_number(project_id, device_id, session_id);
        if self.sessions.contains_key(&(project_id, n)) {
            return Ok(n);
        }
        let found = if self.absent.sessions.contains(&(project_id, n)) {
            Vec::new()
        } else {
            ch.rows(&format!(
                "SELECT argMax(user_id, version), argMax(user_id_ms, version),
                        argMax(has_replay, version)
                 FROM chart_sessions WHERE project = {project_id} AND session = {n}
                 GROUP BY session"
            ))
            .await?
        };
        let state = match found.first() {
            Some(r) if r.len() == 3 => session_state(device_id, session_id, r),
            _ => {
                let state = SessionState {
                    device_id: device_id.to_owned(),
                    session_id,
                    user_id: None,
                    user_id_ms: None,
                    has_replay: false,
                };
                push(
                    &mut rows.sessions,
                    session_row(project_id, n, &state, seq.next()),
                );
                state
            }
        };
        self.sessions.insert((project_id, n), state);
        Ok(n)
    }

    async fn load_user(&mut self, ch: &ClickHouse, project_id: i64, user: i64) -> Result<bool> {
        if self.users.contains_key(&(project_id, user)) {
            return Ok(true);
        }
        if self.absent.users.contains(&(project_id, user)) {
            return Ok(false);
        }
        let found = ch
            .rows(&format!(
                "SELECT user, {USER_COLUMNS}
                 FROM chart_users WHERE project = {project_id} AND user = {user} GROUP BY user"
            ))
            .await?;
        let Some((_, state)) = found.first().and_then(|r| user_state(r)) else {
            return Ok(false);
        };
        self.users.insert((project_id, user), state);
        Ok(true)
    }

    #[allow(clippy::too_many_arguments)]
    async fn new_user(
        &mut self,
        ch: &ClickHouse,
        seq: &Sequence,
        project_id: i64,
        user: i64,
        user_id: Option<&str>,
        time_ms: i64,
        rows: &mut Rows,
    ) -> Result<()> {
        if self.load_user(ch, project_id, user).await? {
            return Ok(());
        }
        let created = seq.next();
        let state = UserState {
            anonymous: user_id.is_none(),
            user_id: user_id.unwrap_or_default().to_owned(),
            merged_into: 0,
            first_ms: time_ms,
            last_ms: time_ms,
            created,
            props: Some(BTreeMap::new()),
        };
        push(&mut rows.users, user_row(project_id, user, &state, created));
        self.users.insert((project_id, user), state);
        Ok(())
    }

    async fn device(
        &mut self,
        ch: &ClickHouse,
        project_id: i64,
        device_id: &str,
    ) -> Result<Option<i64>> {
        let key = (project_id, device_id.to_owned());
        if let Some(user) = self.devices.get(&key) {
            return Ok(Some(*user));
        }
        if self.absent.devices.contains(&key) {
            return Ok(None);
        }
        let found = ch
            .rows(&format!(
                "SELECT argMax(user, version), argMax(first_ms, version) FROM chart_devices
                 WHERE project = {project_id} AND device_id = {} GROUP BY device_id",
                quote(device_id)
            ))
            .await?;
        let Some((user, first_ms)) = found.first().and_then(|r| device_state(r)) else {
            return Ok(None);
        };
        self.devices.insert(key.clone(), user);
        self.device_first.insert(key, first_ms);
        Ok(Some(user))
    }

    /// The user an event belongs to, as the embedded recorder's `user_row` decides: its user
    /// id's, else its device's (a new anonymous user for a new device). A user id seen on a
    /// device whose events so far were anonymous takes them over; a device seen with another
    /// user id moves to that user from then on.
    #[allow(clippy::too_many_arguments)]
    async fn user_of(
        &mut self,
        ch: &ClickHouse,
        seq: &Sequence,
        project_id: i64,
        user_id: Option<&str>,
        device_id: Option<&str>,
        time_ms: i64,
        rows: &mut Rows,
    ) -> Result<Option<i64>> {
        let device = match device_id {
            Some(d) => self.device(ch, project_id, d).await?,
            None => None,
        };
        let Some(user_id) = user_id else {
            if let Some(user) = device {
                return Ok(Some(user));
            }
            let Some(device_id) = device_id else {
                return Ok(None);
            };
            let user = device_user_number(project_id, device_id);
            self.new_user(ch, seq, project_id, user, None, time_ms, rows)
                .await?;
            self.bind_device(ch, seq, project_id, device_id, user, None, time_ms, rows)
                .await?;
            return Ok(Some(user));
        };
        let user = user_number(project_id, user_id);
        self.new_user(ch, seq, project_id, user, Some(user_id), time_ms, rows)
            .await?;
        if let Some(device_id) = device_id
            && device != Some(user)
        {
            self.bind_device(ch, seq, project_id, device_id, user, device, time_ms, rows)
                .await?;
        }
        Ok(Some(user))
    }

    /// Points a device at `user`; an anonymous user it pointed at is merged into `user`.
    #[allow(clippy::too_many_arguments)]
    async fn bind_device(
        &mut self,
        ch: &ClickHouse,
        seq: &Sequence,
        project_id: i64,
        device_id: &str,
        user: i64,
        previous: Option<i64>,
        time_ms: i64,
        rows: &mut Rows,
    ) -> Result<()> {
        // A device keeps when it was first seen when it changes hands.
        let key = (project_id, device_id.to_owned());
        let first_ms = *self.device_first.entry(key.clone()).or_insert(time_ms);
        push(
            &mut rows.devices,
            json!({"project": project_id, "device_id": device_id, "user": user,
                   "version": seq.next(), "first_ms": first_ms}),
        );
        self.devices.insert(key, user);
        let Some(old) = previous else {
            return Ok(());
        };
        if !self.load_user(ch, project_id, old).await? {
            return Ok(());
        }
        if !self.users[&(project_id, old)].anonymous {
            return Ok(());
        }
        // The anonymous user's properties that `user` has not set become `user`'s.
        let from = self.props(ch, project_id, old).await?.clone();
        let into = self.props(ch, project_id, user).await?;
        let mut added = Vec::new();
        for (key, value) in &from {
            if !into.contains_key(key) {
                into.insert(key.clone(), value.clone());
                added.push((key.clone(), value.clone()));
            }
        }
        for (key, value) in added {
            push(
                &mut rows.properties,
                property_row(project_id, user, &key, Some(&value), seq.next()),
            );
        }
        for key in from.keys() {
            push(
                &mut rows.properties,
                property_row(project_id, old, key, None, seq.next()),
            );
        }
        let state = self.users.get_mut(&(project_id, old)).expect("loaded");
        state.merged_into = user;
        state.props = Some(BTreeMap::new());
        push(
            &mut rows.users,
            user_row(project_id, old, state, seq.next()),
        );
        // First and last seen are the earliest and latest of both (the embedded `merge`).
        let (first, last) = (state.first_ms, state.last_ms);
        self.touched.remove(&(project_id, old));
        if let Some(into) = self.users.get_mut(&(project_id, user)) {
            into.first_ms = into.first_ms.min(first);
            into.last_ms = into.last_ms.max(last);
            self.touched.insert((project_id, user));
        }
        for v in self.devices.values_mut() {
            if *v == old {
                *v = user;
            }
        }
        Ok(())
    }

    /// A user's current properties, loaded on first use.
    async fn props(
        &mut self,
        ch: &ClickHouse,
        project_id: i64,
        user: i64,
    ) -> Result<&mut BTreeMap<String, OwnedValue>> {
        let loaded = self
            .users
            .get(&(project_id, user))
            .is_some_and(|u| u.props.is_some());
        if !loaded {
            let found = ch
                .rows(&format!(
                    "SELECT key, argMax(kind, version), argMax(value, version),
                            argMax(deleted, version)
                     FROM chart_user_properties WHERE project = {project_id} AND user = {user}
                     GROUP BY key"
                ))
                .await?;
            let props: BTreeMap<String, OwnedValue> = found
                .iter()
                .filter(|r| r.len() == 4 && r[3] != "1")
                .filter_map(|r| Some((r[0].clone(), user_value(r[1].parse().ok()?, &r[2])?)))
                .collect();
            let state = self
                .users
                .entry((project_id, user))
                .or_insert_with(|| UserState {
                    anonymous: false,
                    user_id: String::new(),
                    merged_into: 0,
                    first_ms: 0,
                    last_ms: 0,
                    created: 0,
                    props: None,
                });
            state.props = Some(props);
        }
        Ok(self
            .users
            .get_mut(&(project_id, user))
            .and_then(|u| u.props.as_mut())
            .expect("loaded"))
    }

    /// The user's properties after an event's `user_properties` (identify operations
    /// included), as the embedded recorder's `apply_user_properties`: the profile as stored,
    /// the operations applied, what changed written (a `null` is not stored).
    async fn apply_user_properties(
        &mut self,
        ch: &ClickHouse,
        seq: &Sequence,
        project_id: i64,
        user: i64,
        user_properties: &str,
        rows: &mut Rows,
    ) -> Result<()> {
        let Ok(Value::Object(update)) = serde_json::from_str::<Value>(user_properties) else {
            return Ok(());
        };
        let stored = self.props(ch, project_id, user).await?;
        let mut profile: Map<String, Value> = stored
            .iter()
            .map(|(k, v)| (k.clone(), v.to_json()))
            .collect();
        let before = profile.clone();
        if !reel_model::identify::apply(&mut profile, &update) {
            return Ok(());
        }
        let removed: Vec<String> = before
            .keys()
            .filter(|k| !profile.contains_key(*k))
            .cloned()
            .collect();
        for key in removed {
            stored.remove(&key);
            push(
                &mut rows.properties,
                property_row(project_id, user, &key, None, seq.next()),
            );
        }
        for (key, value) in profile.iter().filter(|(k, v)| before.get(*k) != Some(*v)) {
            let Some(value) = OwnedValue::from_json(value) else {
                continue;
            };
            push(
                &mut rows.properties,
                property_row(project_id, user, key, Some(&value), seq.next()),
            );
            stored.insert(key.clone(), value);
        }
        Ok(())
    }
}

/// Insert ids per statement, at most.
pub(super) const IDS_PER_LOOKUP: usize = 1_000;

/// Which of a batch's insert ids the project has recorded.
async fn seen_insert_ids(
    ch: &ClickHouse,
    project_id: i64,
    events: &[Kept<'_>],
) -> Result<std::collections::HashSet<String>> {
    let ids: Vec<&str> = events.iter().filter_map(|k| k.id.as_deref()).collect();
    let mut seen = std::collections::HashSet::new();
    for chunk in ids.chunks(IDS_PER_LOOKUP) {
        let list = chunk
            .iter()
            .map(|id| quote(id))
            .collect::<Vec<_>>()
            .join(", ");
        for row in ch
            .rows(&format!(
                "SELECT DISTINCT insert_id FROM chart_inserted
                 WHERE project = {project_id} AND insert_id IN ({list})"
            ))
            .await?
        {
            seen.extend(row.into_iter().next());
        }
    }
    Ok(seen)
}

/// A session's state from its `user_id`, `user_id_ms` and `has_replay` as read.
fn session_state(device_id: &str, session_id: i64, r: &[String]) -> SessionState {
    SessionState {
        device_id: device_id.to_owned(),
        session_id,
        user_id: Some(r[0].clone()).filter(|u| !u.is_empty()),
        user_id_ms: r[1].parse().ok().filter(|_| !r[0].is_empty()),
        has_replay: r[2] == "1",
    }
}

fn user_row(project_id: i64, user: i64, s: &UserState, version: u64) -> Value {
    json!({"project": project_id, "user": user, "user_id": s.user_id,
           "anonymous": u8::from(s.anonymous), "merged_into": s.merged_into,
           "version": version, "first_ms": s.first_ms, "last_ms": s.last_ms,
           "created": s.created, "erased": 0})
}

/// A user's state as read, after `user`: [`USER_COLUMNS`]' fields. `None` for a user that
/// was erased (as one never seen).
pub(super) fn user_state(r: &[String]) -> Option<(i64, UserState)> {
    let [
        user,
        anonymous,
        user_id,
        merged_into,
        first,
        last,
        created,
        erased,
    ] = r
    else {
        return None;
    };
    if erased == "1" {
        return None;
    }
    Some((
        user.parse().ok()?,
        UserState {
            anonymous: anonymous == "1",
            user_id: user_id.clone(),
            merged_into: merged_into.parse().unwrap_or(0),
            first_ms: first.parse().unwrap_or(0),
            last_ms: last.parse().unwrap_or(0),
            created: created.parse().unwrap_or(0),
            props: None,
        },
    ))
}

/// A user's state's columns, latest version's (read by [`user_state`]).
pub(super) const USER_COLUMNS: &str = "argMax(anonymous, version), argMax(user_id, version),
     argMax(merged_into, version), argMax(first_ms, version), argMax(last_ms, version),
     argMax(created, version), argMax(erased, version)";

/// A device's user and first seen as read; `None` once forgotten (user 0).
pub(super) fn device_state(r: &[String]) -> Option<(i64, i64)> {
    let user: i64 = r.first()?.parse().ok()?;
    (user != 0).then(|| (user, r.get(1).and_then(|f| f.parse().ok()).unwrap_or(0)))
}

fn session_row(project_id: i64, session: i64, s: &SessionState, version: u64) -> Value {
    json!({"project": project_id, "session": session, "device_id": s.device_id,
           "session_id": s.session_id, "user_id": s.user_id.clone().unwrap_or_default(),
           "user_id_ms": s.user_id_ms.unwrap_or(0), "has_replay": u8::from(s.has_replay),
           "version": version})
}

/// A property's row; `None`: deleted.
fn property_row(
    project_id: i64,
    user: i64,
    key: &str,
    value: Option<&OwnedValue>,
    version: u64,
) -> Value {
    let (kind, text) = value.map_or((0, String::new()), user_kind);
    json!({"project": project_id, "user": user, "key": key, "kind": kind, "value": text,
           "deleted": u8::from(value.is_none()), "version": version})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_are_stable_and_tell_ids_apart() {
        assert_eq!(user_number(1, "u1"), user_number(1, "u1"));
        assert_ne!(user_number(1, "u1"), user_number(2, "u1"));
        assert_ne!(user_number(1, "u1"), device_user_number(1, "u1"));
        assert_ne!(
            session_number(1, "ab", 1),
            session_number(1, "a", i64::from_le_bytes(*b"b\0\0\0\0\0\0\0"))
        );
        assert!(user_number(1, "x") > 0);
    }

    #[test]
    fn properties_keep_their_types() {
        let (keys, kinds, values) = encode_properties(
            r#"{"a":true,"b":-5,"c":2.5,"d":"Pay now","e":[1,"x"],"f":null,"g":0.1}"#,
        );
        assert_eq!(keys, ["a", "b", "c", "d", "e", "g"]);
        assert_eq!(kinds, [2, 3, 4, 5, 6, 4]);
        assert_eq!(values, ["", "-5", "2.5", "Pay now", "[1,\"x\"]", "0.1"]);
        assert!(encode_properties("[1]").0.is_empty());
    }
}
