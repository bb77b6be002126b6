//! A chart's reads from ClickHouse: the rows `charts::run` asks for, filtered there by project,
//! event name, time range and what of the property conditions ClickHouse can decide exactly,
//! streamed back in the embedded store's order. Rust then maps merged users, applies the user
//! filters and tests every condition again with `reel_query::chart::values` — the one meaning
//! of a condition — so no difference between ClickHouse's and Rust's text or number handling
//! (case folding, number parsing, float literals across versions) can change an answer: the
//! server-side part only ever leaves out rows Rust would leave out too.

use std::collections::{HashMap, HashSet, VecDeque};

use reel_query::chart::Hit;
use reel_query::chart::sessions::SessionSpan;
use reel_query::chart::values::{PropRef, holds};
use reel_query::model::{PropertyCondition, Scalar, ValueCondition};

use super::client::{ClickHouse, quote, unescape};
use super::erase::{live, live_in};
use super::record::{Kind, user_value};
use crate::charts::page::{SessionDetails, SessionInfo};
use crate::charts::{
    ChartSource, MAX_CHART_EVENTS, MAX_KEYS, MAX_PATH_EVENTS, OwnedValue, Scan, UserFilter,
};
use crate::{Result, StoreError};

/// The most users a Pathfinder names in its statement (ClickHouse refuses statements over
/// 256 KiB by default, in 18.16 and current versions).
pub(crate) const MAX_LISTED_USERS: usize = 5_000;

/// Sessions named per statement.
const ROWS_PER_LOOKUP: usize = 1_000;

/// A chart's reads of one project, on a thread that may block (HTTP calls wait on `rt`).
pub(crate) struct Source<'a> {
    ch: &'a ClickHouse,
    rt: tokio::runtime::Handle,
    project_id: i64,
    /// Anonymous users merged into identified ones: read once per chart.
    merged: Option<HashMap<i64, i64>>,
    /// Event names by the number [`ChartSource::event_names`] gave them.
    names: HashMap<String, i64>,
    read: usize,
    budget: usize,
    /// When the chart is out of time ([`crate::sqlite::CHART_LIMIT`], as on the embedded store).
    deadline: tokio::time::Instant,
    /// Set when the caller went away.
    stopped: std::sync::Arc<std::sync::atomic::AtomicBool>,
    /// The most anchored users a Pathfinder names in its statement.
    pub(crate) listed_users: usize,
}

/// A property's value as it came in a row: its kind and (escaped) text.
fn prop_ref<'t>(kind: &str, text: &'t str) -> Option<PropRef<'t>> {
    let kind: u8 = kind.parse().ok()?;
    Some(match kind {
        k if k == Kind::False as u8 => PropRef::Bool(false),
        k if k == Kind::True as u8 => PropRef::Bool(true),
        k if k == Kind::Int as u8 => PropRef::Int(text.parse().ok()?),
        k if k == Kind::Float as u8 => PropRef::Float(text.parse().ok()?),
        k if k == Kind::Text as u8 => PropRef::Text(text),
        k if k == Kind::Json as u8 => PropRef::Json(text),
        _ => return None,
    })
}

/// The kind and value of an event property, as columns.
fn prop_columns(key: &str) -> (String, String) {
    let at = format!("indexOf(prop_keys, {})", quote(key));
    (format!("prop_kinds[{at}]"), format!("prop_values[{at}]"))
}

/// What ClickHouse can decide of a condition exactly: SQL true for every event the condition
/// holds for (and false for some it does not). Text equality is exact in both; numbers,
/// `contains` and negations other than "is not" are left to Rust.
fn prefilter(c: &PropertyCondition) -> Option<String> {
    let (kind, value) = prop_columns(c.key.as_str());
    let texts = || match &c.condition {
        ValueCondition::Is(wanted) => wanted
            .iter()
            .filter_map(|w| match w {
                Scalar::Text(t) => Some(quote(t)),
                _ => None,
            })
            .collect::<Vec<_>>(),
        _ => Vec::new(),
    };
    let text = Kind::Text as u8;
    match (&c.condition, c.negated) {
        // A text value equals only a wanted text, exactly; other kinds compare as numbers.
        (ValueCondition::Is(_), false) => {
            let texts = texts();
            Some(if texts.is_empty() {
                format!("({kind} != 0 AND {kind} != {text})")
            } else {
                format!(
                    "({kind} != 0 AND ({kind} != {text} OR {value} IN ({})))",
                    texts.join(", ")
                )
            })
        }
        (ValueCondition::Is(_), true) => {
            let texts = texts();
            (!texts.is_empty()).then(|| {
                format!(
                    "NOT ({kind} = {text} AND {value} IN ({}))",
                    texts.join(", ")
                )
            })
        }
        (_, false) => Some(format!("{kind} != 0")),
        (_, true) => None,
    }
}

impl<'a> Source<'a> {
    pub(crate) fn new(
        ch: &'a ClickHouse,
        rt: tokio::runtime::Handle,
        project_id: i64,
        deadline: tokio::time::Instant,
        stopped: std::sync::Arc<std::sync::atomic::AtomicBool>,
    ) -> Self {
        Self {
            ch,
            rt,
            project_id,
            merged: None,
            names: HashMap::new(),
            read: 0,
            budget: MAX_CHART_EVENTS,
            deadline,
            stopped,
            listed_users: MAX_LISTED_USERS,
        }
    }

    fn rows(&self, sql: &str) -> Result<Vec<Vec<String>>> {
        let mut out = Vec::new();
        self.stream(sql, |fields| {
            out.push(fields.iter().map(|f| unescape(f).into_owned()).collect());
            Ok(())
        })?;
        Ok(out)
    }

    /// A query's rows as they come, within the chart's deadline and while its caller waits.
    fn stream(&self, sql: &str, mut f: impl FnMut(&[&str]) -> Result<()>) -> Result<()> {
        let out_of_time = || {
            StoreError::TimedOut(format!(
                "the chart took longer than {} s: narrow the dates or add a filter",
                crate::sqlite::CHART_LIMIT.as_secs()
            ))
        };
        let stopped = &self.stopped;
        let left = self
            .deadline
            .saturating_duration_since(tokio::time::Instant::now());
        let query = self
            .ch
            .stream_within(sql, Some(left.as_secs() + 1), |fields| {
                if stopped.load(std::sync::atomic::Ordering::Relaxed) {
                    return Err(StoreError::Stopped("the chart's caller went away"));
                }
                f(fields)
            });
        self.rt
            .block_on(tokio::time::timeout_at(self.deadline, query))
            .map_err(|_| out_of_time())?
    }

    fn count(read: &mut usize, budget: usize) -> Result<()> {
        *read += 1;
        if *read > budget {
            return Err(StoreError::TimedOut(format!(
                "the chart reads more than {budget} events: narrow the dates or add a filter"
            )));
        }
        Ok(())
    }

    /// Merged users: anonymous user → the identified user it became.
    fn merged(&mut self) -> Result<HashMap<i64, i64>> {
        if let Some(m) = &self.merged {
            return Ok(m.clone());
        }
        let p = self.project_id;
        let mut merged = HashMap::new();
        self.stream(
            &format!(
                "SELECT user, target FROM (
                     SELECT user, argMax(merged_into, version) AS target FROM chart_users
                     WHERE project = {p} GROUP BY user)
                 WHERE target != 0"
            ),
            |r| {
                if let (Ok(from), Ok(into)) = (r[0].parse(), r[1].parse()) {
                    merged.insert(from, into);
                }
                Ok(())
            },
        )?;
        self.merged = Some(merged.clone());
        Ok(merged)
    }

    /// A row's user, its merge followed.
    fn user(merged: &HashMap<i64, i64>, field: &str) -> Option<i64> {
        let raw: i64 = field.parse().ok()?;
        Some(merged.get(&raw).copied().unwrap_or(raw))
    }

    fn hit(merged: &HashMap<i64, i64>, user: &str, session: &str, time: &str) -> Option<Hit> {
        Some(Hit {
            user: Self::user(merged, user)?,
            session: session.parse().ok().filter(|s: &i64| *s != 0),
            time_ms: time.parse().ok()?,
        })
    }
}

impl ChartSource for Source<'_> {
    fn user_values(&mut self, key: &str) -> Result<HashMap<i64, OwnedValue>> {
        let p = self.project_id;
        let mut out = HashMap::new();
        self.stream(
            &format!(
                "SELECT user, argMax(kind, version), argMax(value, version),
                        argMax(deleted, version)
                 FROM chart_user_properties WHERE project = {p} AND key = {}
                 GROUP BY user",
                quote(key)
            ),
            |r| {
                if r[3] == "1" {
                    return Ok(());
                }
                let value = r[1]
                    .parse()
                    .ok()
                    .and_then(|kind| user_value(kind, &unescape(r[2])));
                if let (Ok(user), Some(value)) = (r[0].parse(), value) {
                    out.insert(user, value);
                }
                Ok(())
            },
        )?;
        Ok(out)
    }

    fn event_names(&mut self) -> Result<Vec<(i64, String)>> {
        let rows = self.rows(&format!(
            "SELECT DISTINCT event_type FROM chart_events WHERE project = {}
             ORDER BY event_type",
            self.project_id
        ))?;
        self.names = rows
            .into_iter()
            .enumerate()
            .filter_map(|(i, mut r)| Some((r.pop()?, i as i64)))
            .collect();
        Ok(self.names.iter().map(|(n, i)| (*i, n.clone())).collect())
    }

    fn scan<F>(&mut self, scan: &Scan<'_>, mut f: F) -> Result<()>
    where
        F: FnMut(Hit, u16, &[Option<PropRef<'_>>]),
    {
        let merged = self.merged()?;
        // Every key read: the conditions' and the handed-over ones, each once.
        let mut keys: Vec<&str> = Vec::new();
        fn slot<'k>(k: &'k str, keys: &mut Vec<&'k str>) -> usize {
            match keys.iter().position(|x| *x == k) {
                Some(i) => i,
                None => {
                    keys.push(k);
                    keys.len() - 1
                }
            }
        }
        let conditions: Vec<(u16, Vec<(&PropertyCondition, usize)>)> = scan
            .conditions
            .iter()
            .map(|(bit, list)| {
                let list = list
                    .iter()
                    .map(|c| (c, slot(c.key.as_str(), &mut keys)))
                    .collect();
                (*bit, list)
            })
            .collect();
        let handed: Vec<Option<usize>> = scan
            .keys
            .iter()
            .take(MAX_KEYS)
            .map(|k| k.map(|k| slot(k, &mut keys)))
            .collect();
        let any: Vec<String> = scan
            .conditions
            .iter()
            .map(|(_, list)| {
                let all: Vec<String> = list.iter().filter_map(prefilter).collect();
                if all.is_empty() {
                    "1".to_owned()
                } else {
                    format!("({})", all.join(" AND "))
                }
            })
            .collect();
        let filter = if any.is_empty() || any.iter().any(|a| a == "1") {
            "1".to_owned()
        } else {
            any.join(" OR ")
        };
        let columns: String = keys
            .iter()
            .map(|k| {
                let (kind, value) = prop_columns(k);
                format!(", {kind}, {value}")
            })
            .collect();
        let sql = format!(
            "SELECT user, session, time_ms{columns} FROM chart_events
             WHERE project = {p} AND event_type = {name} AND time_ms >= {from} AND time_ms < {to}
               AND ({filter}) AND {live}
             ORDER BY time_ms, seq",
            p = self.project_id,
            name = quote(scan.name),
            from = scan.from,
            to = scan.to,
            live = live_in(self.project_id, scan.from, scan.to),
        );
        let (mut read, budget) = (self.read, self.budget);
        let result = self.stream(&sql, |r| {
            Self::count(&mut read, budget)?;
            let Some(hit) = Self::hit(&merged, r[0], r[1], r[2]) else {
                return Ok(());
            };
            if !scan.users.passes(hit.user) {
                return Ok(());
            }
            let texts: Vec<std::borrow::Cow<'_, str>> =
                (0..keys.len()).map(|i| unescape(r[4 + 2 * i])).collect();
            let values: Vec<Option<PropRef<'_>>> = (0..keys.len())
                .map(|i| prop_ref(r[3 + 2 * i], &texts[i]))
                .collect();
            let mask = conditions
                .iter()
                .filter(|(_, list)| list.iter().all(|(c, i)| holds(c, values[*i])))
                .fold(0u16, |m, (bit, _)| m | bit);
            if mask == 0 {
                return Ok(());
            }
            let mut out = [None; MAX_KEYS];
            for (o, h) in out.iter_mut().zip(&handed) {
                *o = h.and_then(|i| values[i]);
            }
            f(hit, mask, &out[..handed.len()]);
            Ok(())
        });
        self.read = read;
        result
    }

    fn scan_all<F>(&mut self, from: i64, to: i64, users: &UserFilter, mut f: F) -> Result<()>
    where
        F: FnMut(i64, Hit),
    {
        let merged = self.merged()?;
        let sql = format!(
            "SELECT user, session, time_ms, event_type FROM chart_events
             WHERE project = {p} AND time_ms >= {from} AND time_ms < {to} AND {live}
             ORDER BY time_ms, seq",
            p = self.project_id,
            live = live_in(self.project_id, from, to),
        );
        let (mut read, budget) = (self.read, self.budget);
        let names = &self.names;
        let result = self.stream(&sql, |r| {
            Self::count(&mut read, budget)?;
            let Some(hit) = Self::hit(&merged, r[0], r[1], r[2]) else {
                return Ok(());
            };
            if users.passes(hit.user) {
                let number = names.get(unescape(r[3]).as_ref()).copied().unwrap_or(-1);
                f(number, hit);
            }
            Ok(())
        });
        self.read = read;
        result
    }

    fn session_spans(
        &mut self,
        from: i64,
        to: i64,
        users: &UserFilter,
    ) -> Result<Vec<SessionSpan>> {
        let merged = self.merged()?;
        // A session's span is over all its events, wherever they fall: the range only picks
        // where sessions start, so only sessions with an event in the range are read, whole.
        let sql = format!(
            "SELECT session, argMax(user, seq), min(time_ms), max(time_ms) FROM chart_events
             WHERE project = {p} AND session IN (
                 SELECT session FROM chart_events
                 WHERE project = {p} AND time_ms >= {from} AND time_ms < {to} AND session != 0
                   AND {live_in})
               AND {live}
             GROUP BY session
             HAVING min(time_ms) >= {from} AND min(time_ms) < {to}",
            p = self.project_id,
            live_in = live_in(self.project_id, from, to),
            live = live(self.project_id),
        );
        let mut spans = Vec::new();
        self.stream(&sql, |r| {
            let (Ok(session), Some(user), Ok(first_ms), Ok(last_ms)) = (
                r[0].parse(),
                Self::user(&merged, r[1]),
                r[2].parse(),
                r[3].parse(),
            ) else {
                return Ok(());
            };
            if users.passes(user) {
                spans.push(SessionSpan {
                    user,
                    session,
                    first_ms,
                    last_ms,
                });
            }
            Ok(())
        })?;
        Ok(spans)
    }

    fn follow<F>(&mut self, anchors: &[Hit], forward: bool, window_ms: i64, mut f: F) -> Result<()>
    where
        F: FnMut(usize, i64, Hit) -> bool,
    {
        if anchors.is_empty() {
            return Ok(());
        }
        let merged = self.merged()?;
        let first = anchors.iter().map(|a| a.time_ms).min().unwrap_or(0);
        let last = anchors.iter().map(|a| a.time_ms).max().unwrap_or(0);
        let (lo, hi) = if forward {
            (first, last.saturating_add(window_ms))
        } else {
            (first.saturating_sub(window_ms), last)
        };
        let by_user: HashMap<i64, usize> = anchors
            .iter()
            .enumerate()
            .map(|(i, a)| (a.user, i))
            .collect();
        // Few anchored users: ClickHouse reads only theirs (as written: with the anonymous
        // users merged into them). Many: the span's events are read and Rust keeps theirs, as a
        // list that long would pass ClickHouse's limit on a statement's size.
        let only = if anchors.len() <= self.listed_users {
            let mut raw: Vec<i64> = anchors.iter().map(|a| a.user).collect();
            raw.extend(
                merged
                    .iter()
                    .filter(|(_, into)| by_user.contains_key(into))
                    .map(|(from, _)| *from),
            );
            let list = raw.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
            format!(" AND user IN ({list})")
        } else {
            String::new()
        };
        // Forward: each anchor's events as they come, until it has enough. Backward: the
        // nearest ones before it, kept as they come and handed over last first.
        let mut taken = vec![0usize; anchors.len()];
        let mut done = vec![false; anchors.len()];
        let mut before: Vec<VecDeque<(i64, Hit)>> = vec![VecDeque::new(); anchors.len()];
        let sql = format!(
            "SELECT user, session, time_ms, event_type FROM chart_events
             WHERE project = {p} AND time_ms >= {lo} AND time_ms <= {hi}{only} AND {live}
             ORDER BY time_ms, session, seq",
            p = self.project_id,
            live = live_in(self.project_id, lo, hi.saturating_add(1)),
        );
        let (mut read, budget) = (self.read, self.budget);
        let names = &self.names;
        let result = self.stream(&sql, |r| {
            Self::count(&mut read, budget)?;
            let Some(hit) = Self::hit(&merged, r[0], r[1], r[2]) else {
                return Ok(());
            };
            let Some(&i) = by_user.get(&hit.user) else {
                return Ok(());
            };
            let anchor = anchors[i].time_ms;
            let number = names.get(unescape(r[3]).as_ref()).copied().unwrap_or(-1);
            if forward {
                if done[i] || hit.time_ms <= anchor || hit.time_ms > anchor + window_ms {
                    return Ok(());
                }
                taken[i] += 1;
                done[i] = !f(i, number, hit) || taken[i] == MAX_PATH_EVENTS;
            } else if hit.time_ms < anchor && hit.time_ms >= anchor - window_ms {
                let kept = &mut before[i];
                if kept.len() == MAX_PATH_EVENTS {
                    kept.pop_front();
                }
                kept.push_back((number, hit));
            }
            Ok(())
        });
        self.read = read;
        result?;
        if !forward {
            for (i, kept) in before.into_iter().enumerate() {
                for (number, hit) in kept.into_iter().rev() {
                    if !f(i, number, hit) {
                        break;
                    }
                }
            }
        }
        Ok(())
    }
}

impl SessionDetails for Source<'_> {
    fn recorded(&mut self, rows: &[i64]) -> Result<HashSet<i64>> {
        let mut out = HashSet::new();
        for chunk in rows.chunks(ROWS_PER_LOOKUP) {
            let list = chunk
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(",");
            let sql = format!(
                "SELECT session FROM (
                     SELECT session, argMax(has_replay, version) AS recorded FROM chart_sessions
                     WHERE project = {p} AND session IN ({list}) GROUP BY session)
                 WHERE recorded = 1",
                p = self.project_id
            );
            for r in self.rows(&sql)? {
                if let Some(Ok(s)) = r.first().map(|s| s.parse()) {
                    out.insert(s);
                }
            }
        }
        Ok(out)
    }

    fn sessions(&mut self, rows: &[i64]) -> Result<HashMap<i64, SessionInfo>> {
        let mut out = HashMap::new();
        for chunk in rows.chunks(ROWS_PER_LOOKUP) {
            let list = chunk
                .iter()
                .map(i64::to_string)
                .collect::<Vec<_>>()
                .join(",");
            let sql = format!(
                "SELECT session, argMax(device_id, version), argMax(session_id, version),
                        argMax(user_id, version), argMax(has_replay, version)
                 FROM chart_sessions WHERE project = {p} AND session IN ({list})
                 GROUP BY session",
                p = self.project_id
            );
            for r in self.rows(&sql)? {
                let (Ok(session), Ok(session_id)) = (r[0].parse(), r[2].parse()) else {
                    continue;
                };
                out.insert(
                    session,
                    SessionInfo {
                        device_id: r[1].clone(),
                        session_id,
                        user_id: Some(r[3].clone()).filter(|u| !u.is_empty()),
                        has_replay: r[4] == "1",
                    },
                );
            }
        }
        Ok(out)
    }

    fn event_names(
        &mut self,
        moments: &[(i64, i64, i64)],
    ) -> Result<HashMap<(i64, i64, i64), String>> {
        let mut out = HashMap::new();
        if moments.is_empty() {
            return Ok(out);
        }
        let sessions: HashSet<i64> = moments.iter().map(|m| m.2).collect();
        let times: HashSet<i64> = moments.iter().map(|m| m.1).collect();
        let list =
            |set: &HashSet<i64>| set.iter().map(i64::to_string).collect::<Vec<_>>().join(",");
        // The first event to arrive at each (session, time).
        let sql = format!(
            "SELECT session, time_ms, event_type FROM chart_events
             WHERE project = {p} AND session IN ({s}) AND time_ms IN ({t}) AND {live}
             ORDER BY seq",
            p = self.project_id,
            live = live(self.project_id),
            s = list(&sessions),
            t = list(&times),
        );
        let mut first: HashMap<(i64, i64), String> = HashMap::new();
        for r in self.rows(&sql)? {
            if let (Ok(s), Ok(t)) = (r[0].parse(), r[1].parse()) {
                first.entry((s, t)).or_insert_with(|| r[2].clone());
            }
        }
        for m in moments {
            if let Some(name) = first.get(&(m.2, m.1)) {
                out.insert(*m, name.clone());
            }
        }
        Ok(out)
    }
}
