//! User Look-Up on ClickHouse ([`ClickHouseEvents::user_profile`],
//! [`ClickHouseEvents::find_users`]): the embedded store's answers (`sqlite/analytics/users.rs`)
//! from the tables charts are kept in.
//!
//! A user is an identified user, or an anonymous one (a device not yet tied to a user id);
//! anonymous users merged into an identified one are theirs (`merged_into`, followed when
//! reading, as charts do). First and last seen are kept in the user's rows as the embedded
//! store keeps them (deleting events leaves them); the events counted are the live ones of the
//! user and those merged into them; devices are those whose latest user is one of these, by
//! when each was first seen (then by id: the embedded store names no order for ties).

use std::collections::{BTreeMap, HashMap};

use serde_json::{Map, Value};

use super::ClickHouseEvents;
use super::client::quote;
use super::erase::{live, numbers};
use super::record::{
    self, USER_COLUMNS, UserState, device_state, user_number, user_state, user_value,
};
use crate::charts::OwnedValue;
use crate::{Result, StreamEvent, UserLookup, UserProfile, UserQuery, UserSummary};

/// Devices listed per user at most (the embedded store's).
const MAX_DEVICES: usize = 100;

impl ClickHouseEvents {
    /// The latest state of these users (erased ones left out).
    pub(super) async fn user_states(
        &self,
        project_id: i64,
        users: &[i64],
    ) -> Result<HashMap<i64, UserState>> {
        let mut out = HashMap::new();
        for chunk in users.chunks(record::IDS_PER_LOOKUP) {
            let rows = self
                .ch
                .rows(&format!(
                    "SELECT user, {USER_COLUMNS} FROM chart_users
                     WHERE project = {project_id} AND user IN ({}) GROUP BY user",
                    numbers(chunk.iter().copied())
                ))
                .await?;
            out.extend(rows.iter().filter_map(|r| user_state(r)));
        }
        Ok(out)
    }

    /// The anonymous users merged into these (and not erased since): merged → into.
    pub(super) async fn merged_into(
        &self,
        project_id: i64,
        users: &[i64],
    ) -> Result<HashMap<i64, i64>> {
        let p = project_id;
        let mut out = HashMap::new();
        for chunk in users.chunks(record::IDS_PER_LOOKUP) {
            let list = numbers(chunk.iter().copied());
            for r in self
                .ch
                .rows(&format!(
                    "SELECT user, m FROM (
                         SELECT user, argMax(merged_into, version) AS m,
                                argMax(erased, version) AS e
                         FROM chart_users WHERE project = {p} AND user IN (
                             SELECT user FROM chart_users
                             WHERE project = {p} AND merged_into IN ({list}))
                         GROUP BY user)
                     WHERE e = 0 AND m IN ({list})"
                ))
                .await?
            {
                if let [from, into] = r.as_slice()
                    && let (Ok(from), Ok(into)) = (from.parse(), into.parse())
                {
                    out.insert(from, into);
                }
            }
        }
        Ok(out)
    }

    /// Live events per user of these (raw, as written: merges not followed).
    pub(super) async fn live_counts(
        &self,
        project_id: i64,
        users: &[i64],
    ) -> Result<HashMap<i64, i64>> {
        let mut raw = users.to_vec();
        let merged = self.merged_into(project_id, users).await?;
        raw.extend(merged.keys());
        let mut out: HashMap<i64, i64> = HashMap::new();
        for chunk in raw.chunks(record::IDS_PER_LOOKUP) {
            for r in self
                .ch
                .rows(&format!(
                    "SELECT user, count() FROM chart_events
                     WHERE project = {project_id} AND user IN ({}) AND {} GROUP BY user",
                    numbers(chunk.iter().copied()),
                    live(project_id)
                ))
                .await?
            {
                if let [user, n] = r.as_slice()
                    && let (Ok(user), Ok(n)) = (user.parse::<i64>(), n.parse::<i64>())
                {
                    let into = merged.get(&user).copied().unwrap_or(user);
                    *out.entry(into).or_default() += n;
                }
            }
        }
        Ok(out)
    }

    /// The devices whose latest user is one of `users` (raw numbers): (device, that user,
    /// first seen), by first seen, then id.
    pub(super) async fn devices_of(
        &self,
        project_id: i64,
        users: &[i64],
    ) -> Result<Vec<(String, i64, i64)>> {
        let p = project_id;
        let mut out = Vec::new();
        for chunk in users.chunks(record::IDS_PER_LOOKUP) {
            let list = numbers(chunk.iter().copied());
            for r in self
                .ch
                .rows(&format!(
                    "SELECT device_id, u, f FROM (
                         SELECT device_id, argMax(user, version) AS u,
                                argMax(first_ms, version) AS f
                         FROM chart_devices WHERE project = {p} AND device_id IN (
                             SELECT device_id FROM chart_devices
                             WHERE project = {p} AND user IN ({list}))
                         GROUP BY device_id)
                     WHERE u IN ({list}) ORDER BY f, device_id"
                ))
                .await?
            {
                if let [d, u, f] = r.as_slice()
                    && let (Ok(u), Ok(f)) = (u.parse(), f.parse())
                {
                    out.push((d.clone(), u, f));
                }
            }
        }
        out.sort_by(|a, b| (a.2, &a.0).cmp(&(b.2, &b.0)));
        Ok(out)
    }

    /// A device's user now (merges followed); `None` for a device not known (or forgotten).
    pub(super) async fn device_user(
        &self,
        project_id: i64,
        device_id: &str,
    ) -> Result<Option<i64>> {
        let rows = self
            .ch
            .rows(&format!(
                "SELECT argMax(user, version), argMax(first_ms, version) FROM chart_devices
                 WHERE project = {project_id} AND device_id = {} GROUP BY device_id",
                quote(device_id)
            ))
            .await?;
        let Some((raw, _)) = rows.first().and_then(|r| device_state(r)) else {
            return Ok(None);
        };
        let states = self.user_states(project_id, &[raw]).await?;
        Ok(match states.get(&raw) {
            Some(s) if s.merged_into != 0 => Some(s.merged_into),
            Some(_) => Some(raw),
            None => None,
        })
    }

    /// A user's current properties.
    pub(super) async fn properties_of(
        &self,
        project_id: i64,
        user: i64,
    ) -> Result<BTreeMap<String, OwnedValue>> {
        Ok(self
            .ch
            .rows(&format!(
                "SELECT key, argMax(kind, version), argMax(value, version),
                        argMax(deleted, version)
                 FROM chart_user_properties WHERE project = {project_id} AND user = {user}
                 GROUP BY key"
            ))
            .await?
            .iter()
            .filter(|r| r.len() == 4 && r[3] != "1")
            .filter_map(|r| Some((r[0].clone(), user_value(r[1].parse().ok()?, &r[2])?)))
            .collect())
    }

    /// The user a look-up names: an identified user by id, or a device's user now.
    async fn looked_up(&self, project_id: i64, lookup: &UserLookup) -> Result<Option<i64>> {
        match lookup {
            UserLookup::UserId(u) => {
                let user = user_number(project_id, u);
                let states = self.user_states(project_id, &[user]).await?;
                Ok(states
                    .get(&user)
                    .filter(|s| !s.anonymous && s.user_id == *u)
                    .map(|_| user))
            }
            UserLookup::DeviceId(d) => self.device_user(project_id, d).await,
        }
    }

    /// These users as listed, in this order (users not found left out).
    async fn summaries(&self, project_id: i64, users: &[i64]) -> Result<Vec<UserSummary>> {
        let states = self.user_states(project_id, users).await?;
        let users: Vec<i64> = users
            .iter()
            .copied()
            .filter(|u| states.get(u).is_some_and(|s| s.merged_into == 0))
            .collect();
        let counts = self.live_counts(project_id, &users).await?;
        let merged = self.merged_into(project_id, &users).await?;
        let mut raw = users.clone();
        raw.extend(merged.keys());
        let mut devices: HashMap<i64, Vec<String>> = HashMap::new();
        for (d, u, _) in self.devices_of(project_id, &raw).await? {
            let list = devices
                .entry(merged.get(&u).copied().unwrap_or(u))
                .or_default();
            if list.len() < MAX_DEVICES {
                list.push(d);
            }
        }
        Ok(users
            .iter()
            .map(|u| {
                let s = &states[u];
                UserSummary {
                    user_id: (!s.anonymous).then(|| s.user_id.clone()),
                    device_ids: devices.remove(u).unwrap_or_default(),
                    first_ms: s.first_ms,
                    last_ms: s.last_ms,
                    event_count: counts.get(u).copied().unwrap_or(0),
                }
            })
            .collect())
    }

    /// A user with properties and up to `limit` events before `before_ms`, newest first: the
    /// embedded store's [`crate::AnalyticsStore::user_profile`].
    pub async fn user_profile(
        &self,
        project_id: i64,
        lookup: UserLookup,
        before_ms: Option<i64>,
        limit: usize,
    ) -> Result<Option<UserProfile>> {
        let p = project_id;
        let Some(user) = self.looked_up(p, &lookup).await? else {
            return Ok(None);
        };
        let Some(summary) = self.summaries(p, &[user]).await?.pop() else {
            return Ok(None);
        };
        let properties: Map<String, Value> = self
            .properties_of(p, user)
            .await?
            .iter()
            .map(|(k, v)| (k.clone(), v.to_json()))
            .collect();
        let mut raw = vec![user];
        raw.extend(self.merged_into(p, &[user]).await?.into_keys());
        let rows = self
            .ch
            .rows(&format!(
                "SELECT event_type, display_name, has_display_name, time_ms, props_json,
                        device_id, session
                 FROM chart_events
                 WHERE project = {p} AND user IN ({}) AND time_ms < {} AND {}
                 ORDER BY time_ms DESC, seq DESC LIMIT {}",
                numbers(raw),
                before_ms.unwrap_or(i64::MAX),
                live(p),
                limit + 1
            ))
            .await?;
        let sessions: Vec<i64> = rows
            .iter()
            .filter_map(|r| r.get(6)?.parse().ok())
            .filter(|s| *s != 0)
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        let mut known: HashMap<i64, (String, i64, bool)> = HashMap::new();
        for chunk in sessions.chunks(record::IDS_PER_LOOKUP) {
            for r in self
                .ch
                .rows(&format!(
                    "SELECT session, argMax(device_id, version), argMax(session_id, version),
                            argMax(has_replay, version)
                     FROM chart_sessions WHERE project = {p} AND session IN ({}) GROUP BY session",
                    numbers(chunk.iter().copied())
                ))
                .await?
            {
                if let [s, d, id, replay] = r.as_slice()
                    && let (Ok(s), Ok(id)) = (s.parse(), id.parse())
                {
                    known.insert(s, (d.clone(), id, replay == "1"));
                }
            }
        }
        let mut events: Vec<StreamEvent> = rows
            .into_iter()
            .filter_map(|r| {
                let [name, display, has_display, time, props, device, session] =
                    <[String; 7]>::try_from(r).ok()?;
                Some(StreamEvent {
                    event_type: name,
                    display_name: (has_display == "1").then_some(display),
                    time_ms: time.parse().ok()?,
                    event_properties: props,
                    device_id: (!device.is_empty()).then_some(device),
                    session: session
                        .parse::<i64>()
                        .ok()
                        .and_then(|s| known.get(&s).cloned()),
                })
            })
            .collect();
        let more = events.len() > limit;
        events.truncate(limit);
        Ok(Some(UserProfile {
            summary,
            properties: Value::Object(properties).to_string(),
            events,
            more,
        }))
    }

    /// Users matching a query, most recently seen first (at most `limit`): the embedded
    /// store's [`crate::AnalyticsStore::find_users`]. A property query's users beyond `limit`
    /// are left out by value, then by when the user was made, as the embedded store's index
    /// orders them.
    pub async fn find_users(
        &self,
        project_id: i64,
        query: UserQuery,
        limit: usize,
    ) -> Result<Vec<UserSummary>> {
        let p = project_id;
        let users: Vec<i64> = match &query {
            UserQuery::UserIdPrefix(prefix) => {
                let prefix = quote(prefix);
                self.ch
                    .rows(&format!(
                        "SELECT user FROM (
                             SELECT user, argMax(user_id, version) AS id,
                                    argMax(anonymous, version) AS a, argMax(erased, version) AS e
                             FROM chart_users WHERE project = {p} AND user IN (
                                 SELECT user FROM chart_users WHERE project = {p}
                                   AND substring(user_id, 1, length({prefix})) = {prefix})
                             GROUP BY user)
                         WHERE a = 0 AND e = 0 ORDER BY id LIMIT {limit}"
                    ))
                    .await?
                    .iter()
                    .filter_map(|r| r.first()?.parse().ok())
                    .collect()
            }
            UserQuery::DeviceId(d) => self.device_user(p, d).await?.into_iter().collect(),
            UserQuery::Property { key, value } => {
                let number = value.trim().parse::<f64>().ok().filter(|n| n.is_finite());
                let mut found: Vec<(i64, OwnedValue)> = self
                    .ch
                    .rows(&format!(
                        "SELECT user, argMax(kind, version), argMax(value, version),
                                argMax(deleted, version)
                         FROM chart_user_properties WHERE project = {p} AND key = {}
                         GROUP BY user",
                        quote(key)
                    ))
                    .await?
                    .iter()
                    .filter(|r| r.len() == 4 && r[3] != "1")
                    .filter_map(|r| {
                        Some((r[0].parse().ok()?, user_value(r[1].parse().ok()?, &r[2])?))
                    })
                    .filter(|(_, v)| match v {
                        OwnedValue::Text(t) => t == value,
                        OwnedValue::Int(i) => number == Some(*i as f64),
                        OwnedValue::Float(f) => number == Some(*f),
                    })
                    .collect();
                let users: Vec<i64> = found.iter().map(|(u, _)| *u).collect();
                let states = self.user_states(p, &users).await?;
                // SQLite's order of values: numbers before text; equal values by user row.
                found.retain(|(u, _)| states.contains_key(u));
                found.sort_by_key(|(u, v)| (matches!(v, OwnedValue::Text(_)), states[u].created));
                found.into_iter().take(limit).map(|(u, _)| u).collect()
            }
            UserQuery::Recent => self.recent_users(p, limit).await?,
        };
        let mut found = self.summaries(p, &users).await?;
        found.sort_by_key(|u| std::cmp::Reverse(u.last_ms));
        Ok(found)
    }

    /// The users of the project's newest sessions (by their first event), each once, at most
    /// `limit`; of sessions starting at the same time, the later made first (the embedded
    /// store's index order).
    async fn recent_users(&self, project_id: i64, limit: usize) -> Result<Vec<i64>> {
        let p = project_id;
        let sessions = self
            .ch
            .rows(&format!(
                "SELECT session, f, u FROM (
                     SELECT session, min(time_ms) AS f, argMax(user, seq) AS u FROM chart_events
                     WHERE project = {p} AND session != 0 AND {} GROUP BY session) AS spans
                 ANY LEFT JOIN (
                     SELECT session, min(version) AS made FROM chart_sessions
                     WHERE project = {p} GROUP BY session) AS sightings USING (session)
                 ORDER BY f DESC, made DESC, session LIMIT {}",
                live(p),
                limit * 20
            ))
            .await?;
        let raw: Vec<i64> = sessions
            .iter()
            .filter_map(|r| r.get(2)?.parse().ok())
            .collect();
        let mut distinct = raw.clone();
        distinct.sort_unstable();
        distinct.dedup();
        let states = self.user_states(p, &distinct).await?;
        let mut users = Vec::new();
        for u in raw {
            let Some(s) = states.get(&u) else { continue };
            let u = if s.merged_into != 0 { s.merged_into } else { u };
            if !users.contains(&u) {
                users.push(u);
                if users.len() == limit {
                    break;
                }
            }
        }
        Ok(users)
    }
}
