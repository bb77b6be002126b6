//! Reading a chart's events: each event name's time range in one scan of the clustered
//! `analytics_events`, its property conditions tested on the compact encoding, users kept or
//! left by the chart's user filters. Every read counts against a chart's budget of events.

use std::collections::HashMap;

use reel_query::chart::Hit;
use reel_query::chart::sessions::SessionSpan;
use reel_query::chart::values::{PropRef, holds};
use reel_query::model::PropertyCondition;
use rusqlite::{Connection, params};

use super::props::{self, key_id};
use crate::charts::{
    ChartSource, MAX_CHART_EVENTS, MAX_KEYS, MAX_PATH_EVENTS, OwnedValue, Scan, UserFilter,
};
use crate::{Result, StoreError};

/// Rows read between two looks at the budget.
const COUNT_EVERY: usize = 4_096;

/// A chart's reads of one project.
pub(crate) struct Scanner<'c> {
    pub(crate) c: &'c Connection,
    pub(crate) project_id: i64,
    read: usize,
    /// Events this chart may still read ([`MAX_CHART_EVENTS`]).
    budget: usize,
}

/// An event's property conditions with their keys' ids.
pub(crate) struct Conditions<'s> {
    list: Vec<(&'s PropertyCondition, Option<i64>)>,
}

impl Conditions<'_> {
    pub(crate) fn hold(&self, props: &[u8]) -> bool {
        self.list
            .iter()
            .all(|(c, key)| holds(c, props::find(props, *key)))
    }
}

impl<'c> Scanner<'c> {
    pub(crate) fn new(c: &'c Connection, project_id: i64) -> Self {
        Self::with_budget(c, project_id, MAX_CHART_EVENTS)
    }

    pub(crate) fn with_budget(c: &'c Connection, project_id: i64, budget: usize) -> Self {
        Self {
            c,
            project_id,
            read: 0,
            budget,
        }
    }

    fn count(&mut self, n: usize) -> Result<()> {
        self.read += n;
        if self.read > self.budget {
            return Err(StoreError::TimedOut(format!(
                "the chart reads more than {} events: narrow the dates or add a filter",
                self.budget
            )));
        }
        Ok(())
    }

    pub(crate) fn type_id(&self, name: &str) -> Result<Option<i64>> {
        use rusqlite::OptionalExtension as _;
        Ok(self
            .c
            .prepare_cached("SELECT id FROM event_types WHERE project_id = ?1 AND name = ?2")?
            .query_row(params![self.project_id, name], |r| r.get(0))
            .optional()?)
    }

    /// Every event name of the project, by id.
    pub(crate) fn type_names(&self) -> Result<HashMap<i64, String>> {
        Ok(self
            .c
            .prepare_cached("SELECT id, name FROM event_types WHERE project_id = ?1")?
            .query_map(params![self.project_id], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<rusqlite::Result<_>>()?)
    }

    pub(crate) fn key(&self, name: &str) -> Result<Option<i64>> {
        key_id(self.c, self.project_id, name)
    }

    pub(crate) fn conditions<'s>(&self, list: &'s [PropertyCondition]) -> Result<Conditions<'s>> {
        Ok(Conditions {
            list: list
                .iter()
                .map(|c| Ok((c, self.key(c.key.as_str())?)))
                .collect::<Result<_>>()?,
        })
    }

    /// Every user's current value of a property.
    pub(crate) fn user_values(&self, key: &str) -> Result<HashMap<i64, OwnedValue>> {
        use rusqlite::types::ValueRef;
        let mut stmt = self.c.prepare_cached(
            "SELECT user_row, value FROM analytics_user_properties WHERE project_id = ?1 AND key = ?2",
        )?;
        let mut rows = stmt.query(params![self.project_id, key])?;
        let mut out = HashMap::new();
        while let Some(r) = rows.next()? {
            let v = match r.get_ref(1)? {
                ValueRef::Integer(i) => OwnedValue::Int(i),
                ValueRef::Real(f) => OwnedValue::Float(f),
                ValueRef::Text(t) => OwnedValue::Text(String::from_utf8_lossy(t).into_owned()),
                _ => continue,
            };
            out.insert(r.get(0)?, v);
        }
        Ok(out)
    }

    /// Every event of a type in `[from, to)`.
    pub(crate) fn scan_type(
        &mut self,
        type_id: i64,
        from: i64,
        to: i64,
        mut f: impl FnMut(Hit, &[u8]),
    ) -> Result<()> {
        let mut stmt = self.c.prepare_cached(
            "SELECT time_ms, user_row, session_row, props FROM analytics_events
             WHERE project_id = ?1 AND type_id = ?2 AND time_ms >= ?3 AND time_ms < ?4",
        )?;
        let mut rows = stmt.query(params![self.project_id, type_id, from, to])?;
        let mut n: usize = 0;
        while let Some(r) = rows.next()? {
            let hit = Hit {
                time_ms: r.get(0)?,
                user: r.get(1)?,
                session: r.get(2)?,
            };
            let props = match r.get_ref(3)? {
                rusqlite::types::ValueRef::Blob(b) => b,
                _ => &[],
            };
            f(hit, props);
            n += 1;
            if n.is_multiple_of(COUNT_EVERY) {
                self.count(COUNT_EVERY)?;
            }
        }
        self.count(n % COUNT_EVERY)
    }
}

impl ChartSource for Scanner<'_> {
    fn user_values(&mut self, key: &str) -> Result<HashMap<i64, OwnedValue>> {
        Scanner::user_values(self, key)
    }

    fn event_names(&mut self) -> Result<Vec<(i64, String)>> {
        Ok(self.type_names()?.into_iter().collect())
    }

    fn scan<F>(&mut self, scan: &Scan<'_>, mut f: F) -> Result<()>
    where
        F: FnMut(Hit, u16, &[Option<PropRef<'_>>]),
    {
        let Some(type_id) = self.type_id(scan.name)? else {
            return Ok(());
        };
        let conditions: Vec<(u16, Conditions<'_>)> = scan
            .conditions
            .iter()
            .map(|(bit, list)| Ok((*bit, self.conditions(list)?)))
            .collect::<Result<_>>()?;
        let keys: Vec<Option<i64>> = scan
            .keys
            .iter()
            .take(MAX_KEYS)
            .map(|k| match k {
                Some(k) => self.key(k),
                None => Ok(None),
            })
            .collect::<Result<_>>()?;
        let users = scan.users;
        self.scan_type(type_id, scan.from, scan.to, |hit, props| {
            // The user first: a set lookup is cheaper than decoding properties.
            if !users.passes(hit.user) {
                return;
            }
            let mask = conditions
                .iter()
                .filter(|(_, c)| c.hold(props))
                .fold(0u16, |m, (bit, _)| m | bit);
            if mask == 0 {
                return;
            }
            let mut values = [None; MAX_KEYS];
            for (slot, key) in values.iter_mut().zip(&keys) {
                *slot = props::find(props, *key);
            }
            f(hit, mask, &values[..keys.len()]);
        })
    }

    fn scan_all<F>(&mut self, from: i64, to: i64, users: &UserFilter, mut f: F) -> Result<()>
    where
        F: FnMut(i64, Hit),
    {
        for type_id in self.type_names()?.into_keys() {
            self.scan_type(type_id, from, to, |hit, _| {
                if users.passes(hit.user) {
                    f(type_id, hit);
                }
            })?;
        }
        Ok(())
    }

    fn session_spans(
        &mut self,
        from: i64,
        to: i64,
        users: &UserFilter,
    ) -> Result<Vec<SessionSpan>> {
        Ok(self
            .c
            .prepare_cached(
                "SELECT user_row, session_row, first_ms, last_ms FROM analytics_sessions
                 WHERE project_id = ?1 AND first_ms >= ?2 AND first_ms < ?3",
            )?
            .query_map(params![self.project_id, from, to], |r| {
                Ok(SessionSpan {
                    user: r.get(0)?,
                    session: r.get(1)?,
                    first_ms: r.get(2)?,
                    last_ms: r.get(3)?,
                })
            })?
            .filter(|span| span.as_ref().map_or(true, |sp| users.passes(sp.user)))
            .collect::<rusqlite::Result<_>>()?)
    }

    fn follow<F>(&mut self, anchors: &[Hit], forward: bool, window_ms: i64, mut f: F) -> Result<()>
    where
        F: FnMut(usize, i64, Hit) -> bool,
    {
        // The limit is written in the statement, not bound: SQLite prepares a statement again
        // whenever a bound LIMIT is bound anew, which was half of this loop's time.
        let sql = if forward {
            format!(
                "SELECT type_id, time_ms, session_row FROM analytics_events
                 WHERE user_row = ?1 AND time_ms > ?2 AND time_ms <= ?3
                 ORDER BY time_ms LIMIT {MAX_PATH_EVENTS}"
            )
        } else {
            format!(
                "SELECT type_id, time_ms, session_row FROM analytics_events
                 WHERE user_row = ?1 AND time_ms < ?2 AND time_ms >= ?3
                 ORDER BY time_ms DESC LIMIT {MAX_PATH_EVENTS}"
            )
        };
        let mut stmt = self.c.prepare_cached(&sql)?;
        for (i, anchor) in anchors.iter().enumerate() {
            let bound = if forward {
                anchor.time_ms + window_ms
            } else {
                anchor.time_ms - window_ms
            };
            let mut rows = stmt.query(params![anchor.user, anchor.time_ms, bound])?;
            while let Some(r) = rows.next()? {
                let hit = Hit {
                    user: anchor.user,
                    session: r.get(2)?,
                    time_ms: r.get(1)?,
                };
                if !f(i, r.get(0)?, hit) {
                    break;
                }
            }
        }
        Ok(())
    }
}
