//! Deleting events for charts and User Look-Up ([`ClickHouseEvents`]), as retention and erasure
//! do on the embedded store (`sqlite/erasure.rs`): a deleted session's events, events without a
//! session past the cutoff, users seen last before it with no events left, and everything of a
//! user id or a device id.
//!
//! **Two steps.** A deletion names every event it removes in `chart_gone` at once (an
//! `INSERT … SELECT`, done when the call returns), and every read leaves the events named there
//! out: a chart, a Microscope page or a look-up right after a deletion no longer sees them.
//! Users, devices, properties and sessions are versioned rows already: a deletion writes their
//! next version (a user `erased`, a device's user 0, a property `deleted`, a session without a
//! recording or user). Then it asks ClickHouse to remove the events themselves
//! (`ALTER TABLE chart_events DELETE`, a mutation ClickHouse runs in the background, one per
//! call); older versions of the other rows go when ClickHouse merges their parts. The
//! tombstones stay (an event's time and arrival number, nothing of what it said).
//!
//! The counts returned are this store's own (chart events, not the embedded store's `events`
//! rows, which also hold identify calls): zero where nothing of the kind is kept here.

use std::collections::{BTreeMap, HashMap};

use serde_json::json;

use super::ClickHouseEvents;
use super::client::quote;
use super::record::{self, device_user_number, user_number};
use crate::{Erased, Result, SessionRef, Subject};

/// A condition on `chart_events` rows: not deleted.
pub(super) fn live(project_id: i64) -> String {
    format!(
        "(time_ms, seq) NOT IN (SELECT time_ms, seq FROM chart_gone WHERE project = {project_id})"
    )
}

/// [`live`] for rows of a time range (`from <= time_ms < to`): only that range's tombstones
/// are read.
pub(super) fn live_in(project_id: i64, from: i64, to: i64) -> String {
    format!(
        "(time_ms, seq) NOT IN (SELECT time_ms, seq FROM chart_gone WHERE project = {project_id} \
         AND time_ms >= {from} AND time_ms < {to})"
    )
}

/// A comma-separated list of numbers.
pub(super) fn numbers(list: impl IntoIterator<Item = i64>) -> String {
    list.into_iter()
        .map(|n| n.to_string())
        .collect::<Vec<_>>()
        .join(",")
}

impl ClickHouseEvents {
    /// Deletes the chart events of the project's rows `condition` keeps (at most `limit`, the
    /// first to arrive): tombstones now, the rows later (see the module). Returns how many.
    async fn forget_events(
        &self,
        project_id: i64,
        condition: &str,
        limit: Option<usize>,
    ) -> Result<usize> {
        let batch = self.seq.next();
        let p = project_id;
        let limit = limit
            .map(|n| format!(" ORDER BY seq LIMIT {n}"))
            .unwrap_or_default();
        self.ch
            .execute(&format!(
                "INSERT INTO chart_gone SELECT project, time_ms, seq, {batch} AS batch
                 FROM chart_events WHERE project = {p} AND ({condition}) AND {}{limit}",
                live(p)
            ))
            .await?;
        let n = self
            .ch
            .largest(&[&format!(
                "SELECT count() FROM chart_gone WHERE project = {p} AND batch = {batch}"
            )])
            .await? as usize;
        if n > 0 {
            self.ch
                .execute(&format!(
                    "ALTER TABLE chart_events DELETE WHERE project = {p} AND (time_ms, seq) IN
                     (SELECT time_ms, seq FROM chart_gone WHERE project = {p} AND batch = {batch})"
                ))
                .await?;
        }
        Ok(n)
    }

    /// Forgets what the writer cached: a deletion changed the state it decides from.
    async fn forget_cache(&self) {
        *self.writer.lock().await = record::Writer::default();
    }

    /// A replay deleted (`deleted`) or its session reprocessed, `generation` being the
    /// session's generation now: its derived events of earlier generations are deleted from
    /// charts, as the embedded store deletes them, and a deleted replay's session no longer
    /// has a recording. Derived events handed on before charts kept generations (schema
    /// version 4) are not told apart and stay.
    pub async fn forget_derived(
        &self,
        session: &SessionRef,
        generation: u32,
        deleted: bool,
    ) -> Result<usize> {
        let p = session.project_id;
        let n = record::session_number(p, &session.device_id, session.session_id);
        let forgotten = self
            .forget_events(
                p,
                &format!("session = {n} AND derived = 1 AND generation < {generation}"),
                None,
            )
            .await?;
        if deleted {
            self.writer
                .lock()
                .await
                .unmark_replay(&self.ch, &self.seq, session)
                .await?;
        }
        Ok(forgotten)
    }

    /// Deletes sessions' events for charts and look-up, as the embedded store's
    /// `delete_sessions` does (the session's recording and user are forgotten too: events
    /// that come later start it afresh). Users keep their first and last seen, as there.
    pub async fn delete_sessions(&self, sessions: &[SessionRef]) -> Result<Erased> {
        let mut by_project: BTreeMap<i64, Vec<&SessionRef>> = BTreeMap::new();
        for s in sessions {
            by_project.entry(s.project_id).or_default().push(s);
        }
        let mut erased = Erased::default();
        for (p, list) in by_project {
            for chunk in list.chunks(record::IDS_PER_LOOKUP) {
                let numbered: HashMap<i64, &SessionRef> = chunk
                    .iter()
                    .map(|s| (record::session_number(p, &s.device_id, s.session_id), *s))
                    .collect();
                let list = numbers(numbered.keys().copied());
                let known = self
                    .ch
                    .rows(&format!(
                        "SELECT session, argMax(has_replay, version) FROM chart_sessions
                         WHERE project = {p} AND session IN ({list}) GROUP BY session"
                    ))
                    .await?;
                erased.events += self
                    .forget_events(p, &format!("session IN ({list})"), None)
                    .await?;
                let mut rows = String::new();
                for r in &known {
                    let Some(s) = r.first().and_then(|n| n.parse().ok()) else {
                        continue;
                    };
                    let Some(session) = numbered.get(&s) else {
                        continue;
                    };
                    erased.sessions += 1;
                    erased.recordings += usize::from(r.get(1).is_some_and(|h| h == "1"));
                    rows.push_str(&format!(
                        "{}\n",
                        json!({"project": p, "session": s, "device_id": session.device_id,
                               "session_id": session.session_id, "user_id": "",
                               "user_id_ms": 0, "has_replay": 0, "version": self.seq.next()})
                    ));
                }
                self.ch.insert("chart_sessions", rows).await?;
            }
        }
        self.forget_cache().await;
        Ok(erased)
    }

    /// Deletes up to `limit` events without a session that happened before `cutoff_ms` (the
    /// first to arrive), and up to `limit` users seen last before it with no events left, with
    /// their devices and properties — the embedded store's `delete_expired_rest` for charts
    /// and look-up. Which users go first when more than `limit` are due may differ from the
    /// embedded store's (it names no order); calls until nothing is left end alike.
    pub async fn delete_expired_rest(
        &self,
        project_id: i64,
        cutoff_ms: i64,
        limit: usize,
    ) -> Result<Erased> {
        let p = project_id;
        let events = self
            .forget_events(
                p,
                &format!("session = 0 AND time_ms < {cutoff_ms}"),
                Some(limit),
            )
            .await?;
        let candidates: Vec<i64> = self
            .ch
            .rows(&format!(
                "SELECT user FROM (
                     SELECT user, argMax(last_ms, version) AS l, argMax(erased, version) AS e,
                            argMax(merged_into, version) AS m, argMax(created, version) AS c
                     FROM chart_users WHERE project = {p} GROUP BY user)
                 WHERE e = 0 AND m = 0 AND l < {cutoff_ms} ORDER BY c, user"
            ))
            .await?
            .iter()
            .filter_map(|r| r.first()?.parse().ok())
            .collect();
        let mut user_properties = 0;
        let mut forgotten = 0;
        for chunk in candidates.chunks(record::IDS_PER_LOOKUP) {
            let counts = self.live_counts(p, chunk).await?;
            for user in chunk {
                if forgotten == limit {
                    break;
                }
                if counts.get(user).copied().unwrap_or(0) == 0 {
                    user_properties += self.forget_user(p, *user).await?;
                    forgotten += 1;
                }
            }
        }
        self.forget_cache().await;
        Ok(Erased {
            events,
            user_properties,
            ..Erased::default()
        })
    }

    /// Deletes a user id's or a device id's events for charts and look-up, as the embedded
    /// store's `delete_subject_rest` does there: for a user id, every event of the user (the
    /// anonymous ones merged into them too) and the user with their devices and properties;
    /// for a device id, its events, and its user when that user is anonymous (only this
    /// device). Returns the events and user properties deleted.
    pub async fn delete_subject_rest(&self, project_id: i64, subject: &Subject) -> Result<Erased> {
        let p = project_id;
        let mut erased = Erased::default();
        match subject {
            Subject::UserId(user_id) => {
                let user = user_number(p, user_id);
                let states = self.user_states(p, &[user]).await?;
                if states.get(&user).is_some_and(|s| !s.anonymous) {
                    let mut raw = vec![user];
                    raw.extend(self.merged_into(p, &[user]).await?.into_keys());
                    erased.events = self
                        .forget_events(p, &format!("user IN ({})", numbers(raw)), None)
                        .await?;
                    erased.user_properties = self.forget_user(p, user).await?;
                }
            }
            Subject::DeviceId(device_id) => {
                erased.events = self
                    .forget_events(p, &format!("device_id = {}", quote(device_id)), None)
                    .await?;
                if let Some(user) = self.device_user(p, device_id).await? {
                    self.forget_devices(p, &[device_id.clone()]).await?;
                    let states = self.user_states(p, &[user]).await?;
                    // A named user keeps their profile; an anonymous one was only this device.
                    if states.get(&user).is_some_and(|s| s.anonymous)
                        && user == device_user_number(p, device_id)
                    {
                        erased.user_properties = self.forget_user(p, user).await?;
                    }
                }
            }
        }
        self.forget_cache().await;
        Ok(erased)
    }

    /// Writes devices' next version: forgotten (user 0).
    async fn forget_devices(&self, project_id: i64, devices: &[String]) -> Result<()> {
        let mut rows = String::new();
        for d in devices {
            rows.push_str(&format!(
                "{}\n",
                json!({"project": project_id, "device_id": d, "user": 0, "first_ms": 0,
                       "version": self.seq.next()})
            ));
        }
        self.ch.insert("chart_devices", rows).await
    }

    /// Deletes a user (not their events): the anonymous users merged into them, their devices
    /// and properties. Returns how many properties they had.
    async fn forget_user(&self, project_id: i64, user: i64) -> Result<usize> {
        let p = project_id;
        let mut users = vec![user];
        users.extend(self.merged_into(p, &[user]).await?.into_keys());
        let devices: Vec<String> = self
            .devices_of(p, &users)
            .await?
            .into_iter()
            .map(|(d, _, _)| d)
            .collect();
        self.forget_devices(p, &devices).await?;
        let properties = self.properties_of(p, user).await?;
        let mut rows = String::new();
        for key in properties.keys() {
            rows.push_str(&format!(
                "{}\n",
                json!({"project": p, "user": user, "key": key, "kind": 0, "value": "",
                       "deleted": 1, "version": self.seq.next()})
            ));
        }
        self.ch.insert("chart_user_properties", rows).await?;
        let mut rows = String::new();
        for u in users {
            rows.push_str(&format!(
                "{}\n",
                json!({"project": p, "user": u, "user_id": "", "anonymous": 0, "merged_into": 0,
                       "first_ms": 0, "last_ms": 0, "created": 0, "erased": 1,
                       "version": self.seq.next()})
            ));
        }
        self.ch.insert("chart_users", rows).await?;
        Ok(properties.len())
    }
}
