//! Each chart kind as any backend runs it: which events it reads, through a [`ChartSource`]
//! the backend implements (the embedded store's `sqlite/analytics/scan.rs`, ClickHouse's
//! `clickhouse/scan.rs`), and which of `reel_query::chart`'s computations counts them. The
//! Microscope runs the same reads and asks the computation for the events behind one data
//! point; [`page`] lists their sessions. One copy of this code is what makes two backends give
//! the same answers: a backend only finds rows, it never counts.

pub(crate) mod page;

use std::collections::{HashMap, HashSet};
use std::hash::BuildHasherDefault;

use reel_query::chart::experiment::ExperimentBuilder;
use reel_query::chart::funnel::FunnelBuilder;
use reel_query::chart::paths::PathsBuilder;
use reel_query::chart::segmentation::SegmentationBuilder;
use reel_query::chart::sessions::{self, SessionSpan};
use reel_query::chart::values::{PropRef, meets};
use reel_query::chart::wire::ChartAnswer;
use reel_query::chart::{
    Anchor, Chart, DataPoint, Experiment, Funnel, GroupBy, Hit, Journeys, Measure, Segmentation,
    UserHasher, UserSessions,
};
use reel_query::model::PropertyCondition;
use serde_json::Value;

use crate::Result;

/// The most events one chart reads: past it, the chart stops and says to narrow it.
pub(crate) const MAX_CHART_EVENTS: usize = 30_000_000;

/// The most property values a scan hands over per event (a group-by and a measured property).
pub(crate) const MAX_KEYS: usize = 2;

/// Events of one user read for a path, at most.
pub(crate) const MAX_PATH_EVENTS: usize = 200;

/// One scan of a chart: the events of one name in `[from, to)`, of users `users` keeps, that
/// meet at least one of `conditions`' lists.
pub(crate) struct Scan<'q> {
    pub name: &'q str,
    pub from: i64,
    pub to: i64,
    pub users: &'q UserFilter,
    /// `(bit, list)`: an event gets `bit` in its mask when it meets every condition of `list`;
    /// events with an empty mask are not handed over.
    pub conditions: Vec<(u16, &'q [PropertyCondition])>,
    /// The event properties whose values are handed over, in this order (at most
    /// [`MAX_KEYS`]; `None`: a slot with no property, always `None`).
    pub keys: Vec<Option<&'q str>>,
}

/// Where a backend's rows come from. Every method hands rows in one order, the embedded store's:
/// a scan's events by time, then by arrival; users are numbers the backend assigns (after
/// merging devices), sessions too.
pub(crate) trait ChartSource {
    /// Every user's current value of a user property.
    fn user_values(&mut self, key: &str) -> Result<HashMap<i64, OwnedValue>>;

    /// The project's event names, each with the number [`Self::scan_all`] and
    /// [`Self::follow`] tag its events with (small numbers: charts index tables with them).
    fn event_names(&mut self) -> Result<Vec<(i64, String)>>;

    /// `f(hit, mask, values of scan.keys)` for each event of the scan.
    fn scan<F>(&mut self, scan: &Scan<'_>, f: F) -> Result<()>
    where
        F: FnMut(Hit, u16, &[Option<PropRef<'_>>]);

    /// `f(name number, hit)` for every event of every name in `[from, to)` of users `users`
    /// keeps, in no particular order between names.
    fn scan_all<F>(&mut self, from: i64, to: i64, users: &UserFilter, f: F) -> Result<()>
    where
        F: FnMut(i64, Hit);

    /// Sessions that started in `[from, to)`, of users `users` keeps: each session's latest
    /// user and its first and last event.
    fn session_spans(&mut self, from: i64, to: i64, users: &UserFilter)
    -> Result<Vec<SessionSpan>>;

    /// For each anchor (by index, in order): its user's events after it (`forward`) up to
    /// `window_ms` later, in time order, or before it down to `window_ms` earlier, nearest
    /// first; at most [`MAX_PATH_EVENTS`]. `f(anchor index, name number, hit)` returns false
    /// when that anchor needs no more.
    fn follow<F>(&mut self, anchors: &[Hit], forward: bool, window_ms: i64, f: F) -> Result<()>
    where
        F: FnMut(usize, i64, Hit) -> bool;
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

    pub(crate) fn new(s: &mut impl ChartSource, conditions: &[PropertyCondition]) -> Result<Self> {
        let mut out = Vec::new();
        for c in conditions {
            let values = s.user_values(c.key.as_str())?;
            let users = values
                .into_iter()
                .filter(|(_, v)| meets(&c.condition, Some(v.as_ref())))
                .map(|(u, _)| u)
                .collect();
            out.push((users, c.negated));
        }
        Ok(Self { conditions: out })
    }
}

/// A user property's current value, owned: what a store keeps of a JSON value (the embedded
/// store's SQLite types: booleans as 0 and 1, arrays and objects as JSON text).
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

    /// What is kept of a JSON value; `null` is nothing. The same as the embedded store's
    /// `sql_value`, so a user's properties read back the same from either store.
    pub(crate) fn from_json(v: &Value) -> Option<Self> {
        Some(match v {
            Value::Null => return None,
            Value::Bool(b) => Self::Int(i64::from(*b)),
            Value::Number(n) => match n.as_i64() {
                Some(i) => Self::Int(i),
                None => Self::Float(n.as_f64()?),
            },
            Value::String(s) => Self::Text(s.clone()),
            other => Self::Text(other.to_string()),
        })
    }

    /// The value as JSON again, as the embedded store's `value_json` reads it back.
    pub(crate) fn to_json(&self) -> Value {
        match self {
            Self::Int(i) => Value::from(*i),
            Self::Float(f) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
            Self::Text(t) => match t.as_bytes().first() {
                Some(b'[' | b'{') => serde_json::from_str(t).unwrap_or(Value::String(t.clone())),
                _ => Value::String(t.clone()),
            },
        }
    }
}

/// Where a chart's answer goes: the answer, or the events behind a data point.
pub(crate) enum Want<'p> {
    Answer,
    Hits(&'p DataPoint),
}

pub(crate) enum Output {
    Answer(ChartAnswer),
    Hits(Vec<Hit>),
}

pub(crate) fn run(s: &mut impl ChartSource, chart: &Chart, want: Want<'_>) -> Result<Output> {
    let users = UserFilter::new(s, &chart.scope().user_filters)?;
    match chart {
        Chart::Segmentation(c) => segmentation(s, c, &users, want),
        Chart::Funnel(c) => funnel(s, c, &users, want),
        Chart::Sessions(c) => user_sessions(s, c, &users, want),
        Chart::Journeys(c) => journeys(s, c, &users, want),
        Chart::Experiment(c) => experiment(s, c, &users, want),
    }
}

/// How a chart finds a grouped property's value on an event: the scan's first value, or the
/// user's.
enum Grouping {
    None,
    Event,
    User(HashMap<i64, OwnedValue>),
}

impl Grouping {
    fn new<'g>(
        s: &mut impl ChartSource,
        g: &'g Option<GroupBy>,
    ) -> Result<(Self, Option<&'g str>)> {
        Ok(match g {
            None => (Self::None, None),
            Some(g) if g.user => (Self::User(s.user_values(g.key.as_str())?), None),
            Some(g) => (Self::Event, Some(g.key.as_str())),
        })
    }

    fn value<'a>(&'a self, hit: &Hit, first: Option<PropRef<'a>>) -> Option<PropRef<'a>> {
        match self {
            Self::None => None,
            Self::Event => first,
            Self::User(values) => values.get(&hit.user).map(OwnedValue::as_ref),
        }
    }
}

fn segmentation(
    s: &mut impl ChartSource,
    chart: &Segmentation,
    users: &UserFilter,
    want: Want<'_>,
) -> Result<Output> {
    let range = chart.scope.range;
    let mut builder = SegmentationBuilder::new(chart);
    let (grouping, group_key) = Grouping::new(s, &chart.group_by)?;
    let measured = match &chart.measure {
        Measure::PropertySum(k) | Measure::PropertyAverage(k) | Measure::PropertyDistinct(k) => {
            Some(k.as_str())
        }
        _ => None,
    };
    for (i, selector) in chart.events.iter().enumerate() {
        if let Want::Hits(DataPoint::Segmentation { event_index, .. }) = want
            && *event_index != i
        {
            continue;
        }
        let scan = Scan {
            name: &selector.name,
            from: range.start_ms,
            to: range.end_ms,
            users,
            conditions: vec![(1, &selector.properties)],
            keys: vec![group_key, measured],
        };
        s.scan(&scan, |hit, _, values| {
            builder.add(i, hit, grouping.value(&hit, values[0]), values[1]);
        })?;
    }
    if builder.needs_active_users() && matches!(want, Want::Answer) {
        s.scan_all(range.start_ms, range.end_ms, users, |_, hit| {
            builder.add_active(hit.user, hit.time_ms);
        })?;
    }
    Ok(match want {
        Want::Answer => Output::Answer(ChartAnswer::Segmentation(builder.finish())),
        Want::Hits(point) => Output::Hits(builder.hits_behind(point)),
    })
}

fn funnel(
    s: &mut impl ChartSource,
    chart: &Funnel,
    users: &UserFilter,
    want: Want<'_>,
) -> Result<Output> {
    let range = chart.scope.range;
    let mut builder = FunnelBuilder::new(chart);
    let (grouping, group_key) = Grouping::new(s, &chart.group_by)?;
    // One scan per event name: an event matching several steps is one event with several.
    let mut names: Vec<&str> = chart.steps.iter().map(|st| st.name.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    for name in names {
        let scan = Scan {
            name,
            // Later steps may happen after the range's end, within the window.
            from: range.start_ms,
            to: range.end_ms + chart.window_ms,
            users,
            conditions: chart
                .steps
                .iter()
                .enumerate()
                .filter(|(_, st)| st.name == name)
                .map(|(k, st)| (1u16 << k, st.properties.as_slice()))
                .collect(),
            keys: vec![group_key],
        };
        s.scan(&scan, |hit, mask, values| {
            builder.add(hit, mask, grouping.value(&hit, values[0]));
        })?;
    }
    Ok(match want {
        Want::Answer => Output::Answer(ChartAnswer::Funnel(builder.finish())),
        Want::Hits(point) => Output::Hits(builder.hits_behind(point)),
    })
}

fn user_sessions(
    s: &mut impl ChartSource,
    chart: &UserSessions,
    users: &UserFilter,
    want: Want<'_>,
) -> Result<Output> {
    let range = chart.scope.range;
    let spans = s.session_spans(range.start_ms, range.end_ms, users)?;
    Ok(match want {
        Want::Answer => Output::Answer(ChartAnswer::Sessions(sessions::answer(chart, &spans))),
        Want::Hits(point) => Output::Hits(sessions::hits_behind(chart, &spans, point)),
    })
}

fn journeys(
    s: &mut impl ChartSource,
    chart: &Journeys,
    users: &UserFilter,
    want: Want<'_>,
) -> Result<Output> {
    let range = chart.scope.range;
    let names = s.event_names()?;
    let mut builder = PathsBuilder::new(chart);
    // Name numbers are small: a path's names are looked up in a table, not a map.
    let by_number: Vec<Option<u32>> = {
        let max = names
            .iter()
            .map(|(n, _)| *n)
            .max()
            .unwrap_or(0)
            .clamp(0, 1 << 20) as usize;
        let mut table = vec![None; max + 1];
        for (number, name) in &names {
            if chart.excluded.contains(name) {
                continue;
            }
            if let Some(slot) = usize::try_from(*number).ok().and_then(|i| table.get_mut(i)) {
                *slot = Some(builder.name_id(name));
            }
        }
        table
    };
    let name_of = |number: i64| {
        usize::try_from(number)
            .ok()
            .and_then(|i| by_number.get(i).copied().flatten())
    };
    match &chart.anchor {
        Anchor::Map => {
            let mut per_user: HashMap<i64, Vec<(u32, Hit)>> = HashMap::new();
            s.scan_all(range.start_ms, range.end_ms, users, |number, hit| {
                if let Some(name) = name_of(number) {
                    per_user.entry(hit.user).or_default().push((name, hit));
                }
            })?;
            // Events of the same millisecond in name order: a backend's order of names (the
            // embedded store's came from a hash map) must not decide a flow.
            let mut name_of_id: HashMap<u32, &str> = HashMap::new();
            for (_, name) in &names {
                if let Some(id) = builder.known_name(name) {
                    name_of_id.insert(id, name.as_str());
                }
            }
            for (_, mut events) in per_user {
                events.sort_by(|a, b| {
                    a.1.time_ms
                        .cmp(&b.1.time_ms)
                        .then_with(|| name_of_id.get(&a.0).cmp(&name_of_id.get(&b.0)))
                });
                builder.add_user(events);
            }
        }
        Anchor::From(selector) | Anchor::To(selector) => {
            let forward = matches!(chart.anchor, Anchor::From(_));
            let anchor_id = builder.name_id(&selector.name);
            // Each user's first (or last) anchor event in the range.
            let mut anchors: HashMap<i64, Hit, BuildHasherDefault<UserHasher>> = HashMap::default();
            let scan = Scan {
                name: &selector.name,
                from: range.start_ms,
                to: range.end_ms,
                users,
                conditions: vec![(1, &selector.properties)],
                keys: Vec::new(),
            };
            s.scan(&scan, |hit, _, _| {
                let keep = anchors.get(&hit.user).is_none_or(|a| {
                    if forward {
                        hit.time_ms < a.time_ms
                    } else {
                        hit.time_ms > a.time_ms
                    }
                });
                if keep {
                    anchors.insert(hit.user, hit);
                }
            })?;
            let mut anchors: Vec<Hit> = anchors.into_values().collect();
            anchors.sort_by_key(|h| (h.user, h.time_ms));
            let mut paths: Vec<(Vec<(u32, Hit)>, usize)> =
                anchors.iter().map(|a| (vec![(anchor_id, *a)], 1)).collect();
            // Read only as far as the path goes: `steps` events, repeats counted as the
            // builder counts them.
            s.follow(&anchors, forward, chart.window_ms, |i, number, hit| {
                let Some(name) = name_of(number) else {
                    return true;
                };
                let (events, length) = &mut paths[i];
                let repeat = events.last().is_some_and(|(last, _)| *last == name);
                if !(chart.collapse_repeats && repeat) {
                    if *length == chart.steps {
                        return false;
                    }
                    *length += 1;
                }
                events.push((name, hit));
                true
            })?;
            for (events, _) in paths {
                builder.add_user(events);
            }
        }
    }
    Ok(match want {
        Want::Answer => Output::Answer(ChartAnswer::Journeys(builder.finish())),
        Want::Hits(point) => Output::Hits(builder.hits_behind(point)),
    })
}

fn experiment(
    s: &mut impl ChartSource,
    chart: &Experiment,
    users: &UserFilter,
    want: Want<'_>,
) -> Result<Output> {
    let range = chart.scope.range;
    let mut builder = ExperimentBuilder::new();
    let exposures = Scan {
        name: &chart.exposure.name,
        from: range.start_ms,
        to: range.end_ms,
        users,
        conditions: vec![(1, &chart.exposure.properties)],
        keys: vec![Some(chart.variant_key.as_str())],
    };
    s.scan(&exposures, |hit, _, values| {
        builder.add_exposure(hit, values[0]);
    })?;
    let goals = Scan {
        name: &chart.goal.name,
        from: range.start_ms,
        to: range.end_ms,
        users,
        conditions: vec![(1, &chart.goal.properties)],
        keys: Vec::new(),
    };
    s.scan(&goals, |hit, _, _| {
        builder.add_goal(hit);
    })?;
    Ok(match want {
        Want::Answer => Output::Answer(ChartAnswer::Experiment(builder.finish(chart))),
        Want::Hits(point) => Output::Hits(builder.hits_behind(point)),
    })
}
