//! Funnel Analysis from the events of its steps. A user enters with a first-step event in the
//! range; in "this order" each later step is the first matching event after the previous step
//! (events in between are fine), in "any order" the later steps come in any sequence after the
//! first; either way the last step reached must be within the conversion window of the first.
//! Each user counts once, with the attempt that got furthest (the earliest among equals) — its
//! times give the medians, its first event the group, its events the Microscope's sessions.

use std::collections::HashMap;

use super::model::{DataPoint, Funnel, NONE_GROUP, OTHER_GROUP};
use super::values::PropRef;
use super::wire::{FunnelAnswer, FunnelGroup, FunnelStepResult};
use super::{Hit, median, shown_labels, top_groups};

struct Event {
    hit: Hit,
    /// Bit `k`: matches step `k`.
    steps: u16,
    group: u32,
    /// Order among events of the same time, as fed.
    seq: u32,
}

/// One user's best attempt.
#[derive(Debug, Clone)]
pub struct Conversion {
    pub user: i64,
    /// Steps reached, 1 to the funnel's length.
    pub reached: usize,
    /// The event of each step reached.
    pub hits: Vec<Hit>,
    group: u32,
}

pub struct FunnelBuilder<'a> {
    chart: &'a Funnel,
    events: Vec<Event>,
    groups: HashMap<String, u32>,
    labels: Vec<String>,
}

impl<'a> FunnelBuilder<'a> {
    pub fn new(chart: &'a Funnel) -> Self {
        Self {
            chart,
            events: Vec::new(),
            groups: HashMap::new(),
            labels: Vec::new(),
        }
    }

    pub fn len(&self) -> usize {
        self.events.len()
    }

    pub fn is_empty(&self) -> bool {
        self.events.is_empty()
    }

    /// An event matching the steps in `steps` (bit `k` for step `k`); `group` is the grouped
    /// property's value on it (or its user's). Events may come in any order.
    pub fn add(&mut self, hit: Hit, steps: u16, group: Option<PropRef<'_>>) {
        if steps == 0 {
            return;
        }
        let group = self.group_of(group);
        let seq = self.events.len() as u32;
        self.events.push(Event {
            hit,
            steps,
            group,
            seq,
        });
    }

    /// The id of an event's group (all events are group 0 without a group-by).
    fn group_of(&mut self, value: Option<PropRef<'_>>) -> u32 {
        let label = match (&self.chart.group_by, value) {
            (None, _) if !self.labels.is_empty() => return 0,
            (None, _) => String::new(),
            (Some(_), None) => NONE_GROUP.to_owned(),
            (Some(_), Some(v)) => v.label(),
        };
        if let Some(id) = self.groups.get(&label) {
            return *id;
        }
        let id = self.labels.len() as u32;
        self.groups.insert(label.clone(), id);
        self.labels.push(label);
        id
    }

    /// Every entering user's best attempt.
    pub fn conversions(&mut self) -> Vec<Conversion> {
        self.events
            .sort_unstable_by_key(|e| (e.hit.user, e.hit.time_ms, e.seq));
        let mut out = Vec::new();
        let mut start = 0;
        while start < self.events.len() {
            let user = self.events[start].hit.user;
            let end = start
                + self.events[start..]
                    .iter()
                    .position(|e| e.hit.user != user)
                    .unwrap_or(self.events.len() - start);
            if let Some(c) = best_attempt(self.chart, &self.events[start..end]) {
                out.push(c);
            }
            start = end;
        }
        out
    }

    pub fn finish(mut self) -> FunnelAnswer {
        let conversions = self.conversions();
        let steps = step_results(self.chart, conversions.iter());
        let groups = match &self.chart.group_by {
            None => Vec::new(),
            Some(g) => {
                let labels = self.final_labels(&conversions, g.limit);
                let mut names: Vec<&String> = labels
                    .iter()
                    .collect::<std::collections::HashSet<_>>()
                    .into_iter()
                    .collect();
                names.sort_by(|a, b| {
                    (a.as_str() == OTHER_GROUP)
                        .cmp(&(b.as_str() == OTHER_GROUP))
                        .then_with(|| {
                            let count = |l: &str| {
                                conversions
                                    .iter()
                                    .filter(|c| labels[c.group as usize] == l)
                                    .count()
                            };
                            count(b).cmp(&count(a))
                        })
                        .then_with(|| a.cmp(b))
                });
                names
                    .into_iter()
                    .map(|name| FunnelGroup {
                        group: name.clone(),
                        steps: step_results(
                            self.chart,
                            conversions
                                .iter()
                                .filter(|c| labels[c.group as usize] == *name),
                        ),
                    })
                    .collect()
            }
        };
        FunnelAnswer { steps, groups }
    }

    /// Each group id's shown label: the top values by users entering, the rest `(other)`.
    fn final_labels(&self, conversions: &[Conversion], limit: usize) -> Vec<String> {
        let mut users: HashMap<u32, f64> = HashMap::new();
        for c in conversions {
            *users.entry(c.group).or_default() += 1.0;
        }
        let top = top_groups(users.into_iter().collect(), limit, &self.labels);
        shown_labels(&self.labels, &top)
    }

    /// The events behind a data point: the steps each user behind it reached, up to the step
    /// (converted) or the one before (dropped).
    pub fn hits_behind(mut self, point: &DataPoint) -> Vec<Hit> {
        let DataPoint::Funnel {
            step,
            dropped,
            group,
        } = point
        else {
            return Vec::new();
        };
        let conversions = self.conversions();
        let labels = self
            .chart
            .group_by
            .as_ref()
            .map(|g| self.final_labels(&conversions, g.limit));
        conversions
            .into_iter()
            .filter(|c| match (group, &labels) {
                (Some(g), Some(labels)) => labels[c.group as usize] == *g,
                _ => true,
            })
            .filter(|c| {
                if *dropped {
                    c.reached == *step
                } else {
                    c.reached > *step
                }
            })
            .flat_map(|c| c.hits.into_iter().take(step + usize::from(!dropped)))
            .collect()
    }
}

fn step_results<'c>(
    chart: &Funnel,
    conversions: impl Iterator<Item = &'c Conversion> + Clone,
) -> Vec<FunnelStepResult> {
    let n = chart.steps.len();
    let mut counts = vec![0u64; n];
    let mut from_start: Vec<Vec<i64>> = vec![Vec::new(); n];
    let mut from_previous: Vec<Vec<i64>> = vec![Vec::new(); n];
    for c in conversions {
        for k in 0..c.reached {
            counts[k] += 1;
            if k > 0 {
                from_start[k].push(c.hits[k].time_ms - c.hits[0].time_ms);
                from_previous[k].push(c.hits[k].time_ms - c.hits[k - 1].time_ms);
            }
        }
    }
    (0..n)
        .map(|k| {
            let ratio = |a: u64, b: u64| if b == 0 { 0.0 } else { a as f64 / b as f64 };
            let previous = if k == 0 { counts[0] } else { counts[k - 1] };
            FunnelStepResult {
                event_type: chart.steps[k].name.clone(),
                count: counts[k],
                conversion: ratio(counts[k], counts[0]),
                conversion_from_previous: ratio(counts[k], previous),
                drop_off: previous - counts[k],
                median_ms_to_convert: median(&mut from_start[k]),
                median_ms_from_previous: median(&mut from_previous[k]),
            }
        })
        .collect()
}

/// A user's furthest attempt (the earliest among equals), from their events in time order.
fn best_attempt(chart: &Funnel, events: &[Event]) -> Option<Conversion> {
    let n = chart.steps.len();
    let range = chart.scope.range;
    // Positions of the events matching each step.
    let mut positions: Vec<Vec<usize>> = vec![Vec::new(); n];
    for (i, e) in events.iter().enumerate() {
        for (k, p) in positions.iter_mut().enumerate() {
            if e.steps & (1 << k) != 0 {
                p.push(i);
            }
        }
    }
    let mut best: Option<(usize, Vec<usize>)> = None;
    for &entry in &positions[0] {
        let t0 = events[entry].hit.time_ms;
        if t0 < range.start_ms || t0 >= range.end_ms {
            continue;
        }
        let deadline = t0 + chart.window_ms;
        let path = if chart.any_order {
            any_order_path(&positions, events, entry, deadline)
        } else {
            this_order_path(&positions, events, entry, deadline)
        };
        if best
            .as_ref()
            .is_none_or(|(reached, _)| path.len() > *reached)
        {
            let full = path.len() == n;
            best = Some((path.len(), path));
            if full {
                break;
            }
        }
    }
    let (reached, path) = best?;
    Some(Conversion {
        user: events[0].hit.user,
        reached,
        hits: path.iter().map(|i| events[*i].hit).collect(),
        group: events[path[0]].group,
    })
}

/// From `entry`, each next step's first event after the previous step, within the window.
fn this_order_path(
    positions: &[Vec<usize>],
    events: &[Event],
    entry: usize,
    deadline: i64,
) -> Vec<usize> {
    let mut path = vec![entry];
    for p in &positions[1..] {
        let last = *path.last().expect("entry");
        let next = p.partition_point(|i| *i <= last);
        match p.get(next) {
            Some(&i) if events[i].hit.time_ms <= deadline => path.push(i),
            _ => break,
        }
    }
    path
}

/// From `entry`, steps 2, 3, … each by its first unused event after the entry, in any order,
/// within the window; the path stops at the first step without one.
fn any_order_path(
    positions: &[Vec<usize>],
    events: &[Event],
    entry: usize,
    deadline: i64,
) -> Vec<usize> {
    let mut path = vec![entry];
    for p in &positions[1..] {
        let start = p.partition_point(|i| *i <= entry);
        let found = p[start..]
            .iter()
            .take_while(|i| events[**i].hit.time_ms <= deadline)
            .find(|i| !path.contains(i));
        match found {
            Some(&i) => path.push(i),
            None => break,
        }
    }
    path
}
