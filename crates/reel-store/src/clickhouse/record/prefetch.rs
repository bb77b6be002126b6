//! The writer's reads ahead of a batch: the devices, users and sessions its events name, in
//! a few statements instead of one per event.

use std::collections::{BTreeMap, HashMap};

use super::super::client::{ClickHouse, quote};
use super::{
    IDS_PER_LOOKUP, USER_COLUMNS, Writer, device_state, device_user_number, session_number,
    session_state, user_number, user_state, user_value,
};
use crate::{AnalyticsEvent, Result};

impl Writer {
    /// Reads what a batch's events will ask of the state in a few statements, instead of one
    /// per device, user and session met: the devices, the users their ids and devices name,
    /// those users' properties, the sessions.
    pub(super) async fn prefetch(
        &mut self,
        ch: &ClickHouse,
        project_id: i64,
        events: &[&AnalyticsEvent],
    ) -> Result<()> {
        let p = project_id;
        let devices: Vec<String> = events
            .iter()
            .filter_map(|e| e.device_id.clone())
            .filter(|d| !self.devices.contains_key(&(p, d.clone())))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        for chunk in devices.chunks(IDS_PER_LOOKUP) {
            let list = chunk
                .iter()
                .map(|d| quote(d))
                .collect::<Vec<_>>()
                .join(", ");
            let found = ch
                .rows(&format!(
                    "SELECT device_id, argMax(user, version), argMax(first_ms, version)
                     FROM chart_devices
                     WHERE project = {p} AND device_id IN ({list}) GROUP BY device_id"
                ))
                .await?;
            for r in found {
                if let (Some(d), Some((user, first_ms))) = (r.first(), device_state(&r[1..])) {
                    self.devices.insert((p, d.clone()), user);
                    self.device_first.insert((p, d.clone()), first_ms);
                }
            }
            for d in chunk {
                if !self.devices.contains_key(&(p, d.clone())) {
                    self.absent.devices.insert((p, d.clone()));
                }
            }
        }
        let mut users: std::collections::BTreeSet<i64> = std::collections::BTreeSet::new();
        for e in events {
            if let Some(u) = &e.user_id {
                users.insert(user_number(p, u));
            }
            if let Some(d) = &e.device_id {
                users.insert(device_user_number(p, d));
                users.extend(self.devices.get(&(p, d.clone())));
            }
        }
        let users: Vec<i64> = users
            .into_iter()
            .filter(|u| !self.users.contains_key(&(p, *u)))
            .collect();
        for chunk in users.chunks(IDS_PER_LOOKUP) {
            let list = chunk
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(",");
            let found = ch
                .rows(&format!(
                    "SELECT user, {USER_COLUMNS}
                     FROM chart_users WHERE project = {p} AND user IN ({list}) GROUP BY user"
                ))
                .await?;
            let mut loaded = Vec::new();
            for (user, mut state) in found.iter().filter_map(|r| user_state(r)) {
                state.props = Some(BTreeMap::new());
                self.users.insert((p, user), state);
                loaded.push(user);
            }
            for u in chunk {
                if !self.users.contains_key(&(p, *u)) {
                    self.absent.users.insert((p, *u));
                }
            }
            if loaded.is_empty() {
                continue;
            }
            // Their properties, all at once: what a merge or an identify reads.
            let list = loaded
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(",");
            let props = ch
                .rows(&format!(
                    "SELECT user, key, argMax(kind, version), argMax(value, version),
                            argMax(deleted, version)
                     FROM chart_user_properties WHERE project = {p} AND user IN ({list})
                     GROUP BY user, key"
                ))
                .await?;
            for r in props.iter().filter(|r| r.len() == 5 && r[4] != "1") {
                let (Ok(user), Ok(kind)) = (r[0].parse::<i64>(), r[2].parse::<u8>()) else {
                    continue;
                };
                if let (Some(value), Some(state)) =
                    (user_value(kind, &r[3]), self.users.get_mut(&(p, user)))
                {
                    state
                        .props
                        .get_or_insert_with(BTreeMap::new)
                        .insert(r[1].clone(), value);
                }
            }
        }
        let sessions: Vec<(&str, i64)> = events
            .iter()
            .filter_map(|e| match (&e.device_id, e.session_id.filter(|s| *s > 0)) {
                (Some(d), Some(s)) => Some((d.as_str(), s)),
                _ => None,
            })
            .collect();
        self.prefetch_sessions(ch, p, &sessions).await
    }

    /// Reads these sessions' state (device, session id) in a few statements.
    pub(super) async fn prefetch_sessions(
        &mut self,
        ch: &ClickHouse,
        project_id: i64,
        sessions: &[(&str, i64)],
    ) -> Result<()> {
        let p = project_id;
        let sessions: Vec<(i64, &str, i64)> = sessions
            .iter()
            .map(|(d, s)| (session_number(p, d, *s), *d, *s))
            .filter(|(n, _, _)| !self.sessions.contains_key(&(p, *n)))
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect();
        for chunk in sessions.chunks(IDS_PER_LOOKUP) {
            let list = chunk
                .iter()
                .map(|(n, _, _)| n.to_string())
                .collect::<Vec<_>>()
                .join(",");
            let found = ch
                .rows(&format!(
                    "SELECT session, argMax(user_id, version), argMax(user_id_ms, version),
                            argMax(has_replay, version)
                     FROM chart_sessions WHERE project = {p} AND session IN ({list})
                     GROUP BY session"
                ))
                .await?;
            let found: HashMap<i64, &Vec<String>> = found
                .iter()
                .filter(|r| r.len() == 4)
                .filter_map(|r| Some((r[0].parse().ok()?, r)))
                .collect();
            for (n, device_id, session_id) in chunk {
                match found.get(n) {
                    Some(r) => {
                        self.sessions
                            .insert((p, *n), session_state(device_id, *session_id, &r[1..]));
                    }
                    None => {
                        self.absent.sessions.insert((p, *n));
                    }
                }
            }
        }
        Ok(())
    }
}
