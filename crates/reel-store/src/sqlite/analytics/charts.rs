//! Each chart kind on the embedded store: which events it reads (`scan.rs`) and which of
//! `reel_query::chart`'s computations counts them. The Microscope runs the same reads and asks
//! the computation for the events behind one data point instead of the answer.

use std::collections::HashMap;
use std::hash::BuildHasherDefault;

use reel_query::chart::experiment::ExperimentBuilder;
use reel_query::chart::funnel::FunnelBuilder;
use reel_query::chart::paths::PathsBuilder;
use reel_query::chart::segmentation::SegmentationBuilder;
use reel_query::chart::sessions::{self, SessionSpan};
use reel_query::chart::values::PropRef;
use reel_query::chart::wire::ChartAnswer;
use reel_query::chart::{
    Anchor, Chart, DataPoint, Experiment, Funnel, GroupBy, Hit, Journeys, Measure, Segmentation,
    UserHasher, UserSessions,
};
use rusqlite::params;

use super::props;
use super::scan::{OwnedValue, Scanner, UserFilter};
use crate::Result;

/// Where a chart's answer goes: the answer, or the events behind a data point.
pub(crate) enum Want<'p> {
    Answer,
    Hits(&'p DataPoint),
}

pub(crate) enum Output {
    Answer(ChartAnswer),
    Hits(Vec<Hit>),
}

pub(crate) fn run(s: &mut Scanner<'_>, chart: &Chart, want: Want<'_>) -> Result<Output> {
    let users = s.user_filter(&chart.scope().user_filters)?;
    match chart {
        Chart::Segmentation(c) => segmentation(s, c, &users, want),
        Chart::Funnel(c) => funnel(s, c, &users, want),
        Chart::Sessions(c) => user_sessions(s, c, &users, want),
        Chart::Journeys(c) => journeys(s, c, &users, want),
        Chart::Experiment(c) => experiment(s, c, &users, want),
    }
}

/// How a chart finds a grouped property's value on an event.
enum Grouping {
    None,
    Event(Option<i64>),
    User(HashMap<i64, OwnedValue>),
}

impl Grouping {
    fn new(s: &Scanner<'_>, g: &Option<GroupBy>) -> Result<Self> {
        Ok(match g {
            None => Self::None,
            Some(g) if g.user => Self::User(s.user_values(g.key.as_str())?),
            Some(g) => Self::Event(s.key(g.key.as_str())?),
        })
    }

    fn value<'a>(&'a self, hit: &Hit, props: &'a [u8]) -> Option<PropRef<'a>> {
        match self {
            Self::None => None,
            Self::Event(key) => props::find(props, *key),
            Self::User(values) => values.get(&hit.user).map(OwnedValue::as_ref),
        }
    }
}

fn segmentation(
    s: &mut Scanner<'_>,
    chart: &Segmentation,
    users: &UserFilter,
    want: Want<'_>,
) -> Result<Output> {
    let range = chart.scope.range;
    let mut builder = SegmentationBuilder::new(chart);
    let grouping = Grouping::new(s, &chart.group_by)?;
    let measured = match &chart.measure {
        Measure::PropertySum(k) | Measure::PropertyAverage(k) | Measure::PropertyDistinct(k) => {
            s.key(k.as_str())?
        }
        _ => None,
    };
    for (i, selector) in chart.events.iter().enumerate() {
        if let Want::Hits(DataPoint::Segmentation { event_index, .. }) = want
            && *event_index != i
        {
            continue;
        }
        s.scan(selector, range.start_ms, range.end_ms, users, |hit, p| {
            builder.add(i, hit, grouping.value(&hit, p), props::find(p, measured));
        })?;
    }
    if builder.needs_active_users() && matches!(want, Want::Answer) {
        for type_id in s.type_names()?.into_keys() {
            s.scan_type(type_id, range.start_ms, range.end_ms, |hit, _| {
                if users.passes(hit.user) {
                    builder.add_active(hit.user, hit.time_ms);
                }
            })?;
        }
    }
    Ok(match want {
        Want::Answer => Output::Answer(ChartAnswer::Segmentation(builder.finish())),
        Want::Hits(point) => Output::Hits(builder.hits_behind(point)),
    })
}

fn funnel(
    s: &mut Scanner<'_>,
    chart: &Funnel,
    users: &UserFilter,
    want: Want<'_>,
) -> Result<Output> {
    let range = chart.scope.range;
    let mut builder = FunnelBuilder::new(chart);
    let grouping = Grouping::new(s, &chart.group_by)?;
    // One scan per event name: an event matching several steps is one event with several.
    let mut names: Vec<&str> = chart.steps.iter().map(|st| st.name.as_str()).collect();
    names.sort_unstable();
    names.dedup();
    for name in names {
        let Some(type_id) = s.type_id(name)? else {
            continue;
        };
        let steps: Vec<(usize, _)> = chart
            .steps
            .iter()
            .enumerate()
            .filter(|(_, st)| st.name == name)
            .map(|(k, st)| Ok((k, s.conditions(&st.properties)?)))
            .collect::<Result<_>>()?;
        // Later steps may happen after the range's end, within the window.
        s.scan_type(
            type_id,
            range.start_ms,
            range.end_ms + chart.window_ms,
            |hit, p| {
                if !users.passes(hit.user) {
                    return;
                }
                let mask = steps
                    .iter()
                    .filter(|(_, c)| c.hold(p))
                    .fold(0u16, |m, (k, _)| m | (1 << k));
                builder.add(hit, mask, grouping.value(&hit, p));
            },
        )?;
    }
    Ok(match want {
        Want::Answer => Output::Answer(ChartAnswer::Funnel(builder.finish())),
        Want::Hits(point) => Output::Hits(builder.hits_behind(point)),
    })
}

fn user_sessions(
    s: &mut Scanner<'_>,
    chart: &UserSessions,
    users: &UserFilter,
    want: Want<'_>,
) -> Result<Output> {
    let range = chart.scope.range;
    let spans: Vec<SessionSpan> =
        s.c.prepare_cached(
            "SELECT user_row, session_row, first_ms, last_ms FROM analytics_sessions
             WHERE project_id = ?1 AND first_ms >= ?2 AND first_ms < ?3",
        )?
        .query_map(params![s.project_id, range.start_ms, range.end_ms], |r| {
            Ok(SessionSpan {
                user: r.get(0)?,
                session: r.get(1)?,
                first_ms: r.get(2)?,
                last_ms: r.get(3)?,
            })
        })?
        .filter(|span| span.as_ref().map_or(true, |sp| users.passes(sp.user)))
        .collect::<rusqlite::Result<_>>()?;
    Ok(match want {
        Want::Answer => Output::Answer(ChartAnswer::Sessions(sessions::answer(chart, &spans))),
        Want::Hits(point) => Output::Hits(sessions::hits_behind(chart, &spans, point)),
    })
}

/// Events of one user read for a path, at most.
const MAX_PATH_EVENTS: usize = 200;

fn journeys(
    s: &mut Scanner<'_>,
    chart: &Journeys,
    users: &UserFilter,
    want: Want<'_>,
) -> Result<Output> {
    let range = chart.scope.range;
    let names = s.type_names()?;
    let mut builder = PathsBuilder::new(chart);
    let ids: HashMap<i64, u32> = names
        .iter()
        .filter(|(_, n)| !chart.excluded.contains(n))
        .map(|(id, n)| (*id, builder.name_id(n)))
        .collect();
    // Event type ids are small numbers: a path's names are looked up in a table, not a map.
    let by_type: Vec<Option<u32>> = {
        let max = ids.keys().copied().max().unwrap_or(0).clamp(0, 1 << 20) as usize;
        let mut table = vec![None; max + 1];
        for (id, name) in &ids {
            if let Some(slot) = usize::try_from(*id).ok().and_then(|i| table.get_mut(i)) {
                *slot = Some(*name);
            }
        }
        table
    };
    match &chart.anchor {
        Anchor::Map => {
            let mut per_user: HashMap<i64, Vec<(u32, Hit)>> = HashMap::new();
            for (type_id, name_id) in &ids {
                s.scan_type(*type_id, range.start_ms, range.end_ms, |hit, _| {
                    if users.passes(hit.user) {
                        per_user.entry(hit.user).or_default().push((*name_id, hit));
                    }
                })?;
            }
            for (_, mut events) in per_user {
                events.sort_by_key(|(_, h)| h.time_ms);
                builder.add_user(events);
            }
        }
        Anchor::From(selector) | Anchor::To(selector) => {
            let forward = matches!(chart.anchor, Anchor::From(_));
            if s.type_id(&selector.name)?.is_none() {
                return finish_paths(builder, want);
            }
            let anchor_id = builder.name_id(&selector.name);
            // Each user's first (or last) anchor event in the range.
            let mut anchors: HashMap<i64, Hit, BuildHasherDefault<UserHasher>> = HashMap::default();
            s.scan(selector, range.start_ms, range.end_ms, users, |hit, _| {
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
            let mut stmt = s.c.prepare_cached(&sql)?;
            for anchor in anchors {
                let bound = if forward {
                    anchor.time_ms + chart.window_ms
                } else {
                    anchor.time_ms - chart.window_ms
                };
                let mut events = vec![(anchor_id, anchor)];
                let mut rows = stmt.query(params![anchor.user, anchor.time_ms, bound])?;
                // Read only as far as the path goes: `steps` events, repeats counted as the
                // builder counts them.
                let mut length = 1;
                while let Some(r) = rows.next()? {
                    let type_id: i64 = r.get(0)?;
                    let Some(name) = usize::try_from(type_id)
                        .ok()
                        .and_then(|i| by_type.get(i).copied().flatten())
                    else {
                        continue;
                    };
                    let repeat = events.last().is_some_and(|(last, _)| *last == name);
                    if !(chart.collapse_repeats && repeat) {
                        if length == chart.steps {
                            break;
                        }
                        length += 1;
                    }
                    events.push((
                        name,
                        Hit {
                            user: anchor.user,
                            session: r.get(2)?,
                            time_ms: r.get(1)?,
                        },
                    ));
                }
                builder.add_user(events);
            }
        }
    }
    finish_paths(builder, want)
}

fn finish_paths(builder: PathsBuilder<'_>, want: Want<'_>) -> Result<Output> {
    Ok(match want {
        Want::Answer => Output::Answer(ChartAnswer::Journeys(builder.finish())),
        Want::Hits(point) => Output::Hits(builder.hits_behind(point)),
    })
}

fn experiment(
    s: &mut Scanner<'_>,
    chart: &Experiment,
    users: &UserFilter,
    want: Want<'_>,
) -> Result<Output> {
    let range = chart.scope.range;
    let variant = s.key(chart.variant_key.as_str())?;
    let mut builder = ExperimentBuilder::new();
    s.scan(
        &chart.exposure,
        range.start_ms,
        range.end_ms,
        users,
        |hit, p| {
            builder.add_exposure(hit, props::find(p, variant));
        },
    )?;
    s.scan(
        &chart.goal,
        range.start_ms,
        range.end_ms,
        users,
        |hit, _| {
            builder.add_goal(hit);
        },
    )?;
    Ok(match want {
        Want::Answer => Output::Answer(ChartAnswer::Experiment(builder.finish(chart))),
        Want::Hits(point) => Output::Hits(builder.hits_behind(point)),
    })
}
