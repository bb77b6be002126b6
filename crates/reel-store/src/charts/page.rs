//! The Microscope's page: the sessions of the events behind a data point, newest first, from
//! whatever backend found the events ([`SessionDetails`] says what it knows of its sessions).

use std::collections::{HashMap, HashSet};

use reel_model::ReplayId;
use reel_query::chart::wire::{EventMoment, MicroscopePage, MicroscopeSession};
use reel_query::chart::{Hit, SessionCursor, SessionPageRequest, encode_session_cursor};

use crate::Result;

/// The events behind a point listed per session at most.
pub(crate) const MAX_MOMENTS: usize = 20;

/// A session as the Microscope shows it.
pub(crate) struct SessionInfo {
    pub device_id: String,
    pub session_id: i64,
    /// The user id set last (by event time).
    pub user_id: Option<String>,
    pub has_replay: bool,
}

/// What a backend tells of the sessions (its numbers) behind a page.
pub(crate) trait SessionDetails {
    /// Which of these sessions have a recording.
    fn recorded(&mut self, rows: &[i64]) -> Result<HashSet<i64>>;
    /// Each listed session as shown.
    fn sessions(&mut self, rows: &[i64]) -> Result<HashMap<i64, SessionInfo>>;
    /// The name of an event of `(user, time, session)`, per moment asked.
    fn event_names(
        &mut self,
        moments: &[(i64, i64, i64)],
    ) -> Result<HashMap<(i64, i64, i64), String>>;
}

/// The sessions of the events behind a data point, a page of them.
pub(crate) fn sessions_page(
    d: &mut impl SessionDetails,
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
        let recorded = d.recorded(&rows)?;
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
    let moments: Vec<(i64, Vec<i64>)> = shown
        .iter()
        .map(|(_, row, _, _)| {
            let mut at = times.remove(row).unwrap_or_default();
            at.sort_unstable();
            at.dedup();
            at.truncate(MAX_MOMENTS);
            (*row, at)
        })
        .collect();
    let asked: Vec<(i64, i64, i64)> = shown
        .iter()
        .zip(&moments)
        .flat_map(|((_, row, _, user), (_, at))| at.iter().map(move |t| (*user, *t, *row)))
        .collect();
    let mut names = d.event_names(&asked)?;
    let rows: Vec<i64> = shown.iter().map(|s| s.1).collect();
    let mut infos = d.sessions(&rows)?;
    let sessions = shown
        .iter()
        .zip(moments)
        .map(|((moment, row, n, user), (_, at))| {
            let moments = at
                .into_iter()
                .map(|time_ms| EventMoment {
                    time_ms,
                    event_type: names.remove(&(*user, time_ms, *row)).unwrap_or_default(),
                })
                .collect();
            let info = infos
                .remove(row)
                .ok_or_else(|| crate::StoreError::Task(format!("session {row} is not stored")))?;
            Ok(MicroscopeSession {
                replay_id: ReplayId::of(&info.device_id, info.session_id)
                    .as_str()
                    .to_owned(),
                device_id: info.device_id,
                session_id: info.session_id,
                user_id: info.user_id,
                moment: reel_query::chart::buckets::rfc3339(*moment),
                moment_ms: *moment,
                events: *n,
                moments,
                has_replay: info.has_replay,
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
