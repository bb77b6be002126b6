//! Reading a chart's events: each event name's time range in one scan of the clustered
//! `analytics_events`, its property conditions tested on the compact encoding, users kept or
//! left by the chart's user filters. Every read counts against a chart's budget of events.

use std::collections::{HashMap, HashSet};

use reel_query::chart::values::{PropRef, holds, meets};
use reel_query::chart::{EventSelector, Hit};
use reel_query::model::PropertyCondition;
use rusqlite::{Connection, params};

use super::props::{self, key_id};
use crate::{Result, StoreError};

/// The most events one chart reads: past it, the chart stops and says to narrow it.
pub(crate) const MAX_CHART_EVENTS: usize = 30_000_000;

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

/// Which users a chart looks at: those meeting every user filter.
pub(crate) struct UserFilter {
    /// Per condition: the users whose value meets it (before negation), and whether negated.
    conditions: Vec<(HashSet<i64>, bool)>,
}

impl UserFilter {
    pub(crate) fn passes(&self, user: i64) -> bool {
        self.conditions
            .iter()
            .all(|(users, negated)| users.contains(&user) != *negated)
    }
}

/// A user property's current value, owned.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum OwnedValue {
    Int(i64),
    Float(f64),
    Text(String),
}

impl OwnedValue {
    pub(crate) fn as_ref(&self) -> PropRef<'_> {
        match self {
            Self::Int(i) => PropRef::Int(*i),
            Self::Float(f) => PropRef::Float(*f),
            Self::Text(t) if t.starts_with('[') || t.starts_with('{') => PropRef::Json(t),
            Self::Text(t) => PropRef::Text(t),
        }
    }
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

    pub(crate) fn user_filter(&self, conditions: &[PropertyCondition]) -> Result<UserFilter> {
        let mut out = Vec::new();
        for c in conditions {
            let values = self.user_values(c.key.as_str())?;
            let users = values
                .into_iter()
                .filter(|(_, v)| meets(&c.condition, Some(v.as_ref())))
                .map(|(u, _)| u)
                .collect();
            out.push((users, c.negated));
        }
        Ok(UserFilter { conditions: out })
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

    /// The events of `selector` in `[from, to)` meeting its conditions, of users `users`
    /// keeps: `f(hit, encoded properties)`.
    pub(crate) fn scan(
        &mut self,
        selector: &EventSelector,
        from: i64,
        to: i64,
        users: &UserFilter,
        mut f: impl FnMut(Hit, &[u8]),
    ) -> Result<()> {
        let Some(type_id) = self.type_id(&selector.name)? else {
            return Ok(());
        };
        let conditions = self.conditions(&selector.properties)?;
        self.scan_type(type_id, from, to, |hit, props| {
            if users.passes(hit.user) && conditions.hold(props) {
                f(hit, props);
            }
        })
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
