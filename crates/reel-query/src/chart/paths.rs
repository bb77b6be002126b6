//! Journeys from users' event sequences. Pathfinder: each user's path from their first anchor
//! event in the range (or to their last), the events within the window after (before) it,
//! repeats collapsed if asked, cut at the chart's number of steps; paths counted by users.
//! Journey Map: the most common events and the direct flows between them (the next event
//! within the window).

use std::collections::{HashMap, HashSet};

use super::Hit;
use super::model::{Anchor, DataPoint, Journeys, OTHER_GROUP};
use super::wire::{JourneyEdge, JourneysAnswer, PathNode, PathResult};

/// Paths listed at most.
pub const MAX_PATHS: usize = 20;
/// Events per position listed before `(other)`.
pub const TOP_PER_POSITION: usize = 5;
/// Events of a Journey Map.
pub const MAP_NODES: usize = 10;

/// A direct flow between two events of a user: (from, to).
type Flow<'e> = (&'e (u32, Hit), &'e (u32, Hit));

pub struct PathsBuilder<'a> {
    chart: &'a Journeys,
    names: Vec<String>,
    ids: HashMap<String, u32>,
    /// Per user: from the anchor outwards (Pathfinder), or in time order (map).
    users: Vec<Vec<(u32, Hit)>>,
}

impl<'a> PathsBuilder<'a> {
    pub fn new(chart: &'a Journeys) -> Self {
        Self {
            chart,
            names: Vec::new(),
            ids: HashMap::new(),
            users: Vec::new(),
        }
    }

    /// The number standing for an event name in [`Self::add_user`].
    pub fn name_id(&mut self, name: &str) -> u32 {
        if let Some(id) = self.ids.get(name) {
            return *id;
        }
        let id = self.names.len() as u32;
        self.names.push(name.to_owned());
        self.ids.insert(name.to_owned(), id);
        id
    }

    /// The number of a name already numbered by [`Self::name_id`].
    pub fn known_name(&self, name: &str) -> Option<u32> {
        self.ids.get(name).copied()
    }

    /// Users fed so far.
    pub fn len(&self) -> usize {
        self.users.len()
    }

    pub fn is_empty(&self) -> bool {
        self.users.is_empty()
    }

    /// One user's events. Pathfinder: the anchor event first, then the events after it in time
    /// order (from an event) or before it, nearest first (to an event), excluded events left
    /// out; the builder applies the window, the collapsing and the length. Journey Map: the
    /// user's events in the range in time order.
    pub fn add_user(&mut self, events: Vec<(u32, Hit)>) {
        if !events.is_empty() {
            self.users.push(events);
        }
    }

    /// A user's path as counted: within the window, repeats collapsed, at most `steps` long.
    fn path(&self, events: &[(u32, Hit)]) -> Vec<(u32, Hit)> {
        let anchor = events[0].1.time_ms;
        let mut path: Vec<(u32, Hit)> = Vec::with_capacity(self.chart.steps);
        for &(name, hit) in events {
            if (hit.time_ms - anchor).abs() > self.chart.window_ms {
                break;
            }
            if self.chart.collapse_repeats && path.last().is_some_and(|(n, _)| *n == name) {
                continue;
            }
            path.push((name, hit));
            if path.len() == self.chart.steps {
                break;
            }
        }
        path
    }

    /// A path in reading order: anchor first from an event, anchor last to one.
    fn shown(&self, ids: impl Iterator<Item = u32>) -> Vec<String> {
        let mut names: Vec<String> = ids.map(|n| self.names[n as usize].clone()).collect();
        if matches!(self.chart.anchor, Anchor::To(_)) {
            names.reverse();
        }
        names
    }

    pub fn finish(self) -> JourneysAnswer {
        if matches!(self.chart.anchor, Anchor::Map) {
            return self.map();
        }
        let users = self.users.len() as u64;
        let mut counts: HashMap<Vec<u32>, u64> = HashMap::new();
        let mut positions: Vec<HashMap<u32, u64>> = vec![HashMap::new(); self.chart.steps];
        for events in &self.users {
            let path = self.path(events);
            for (i, (name, _)) in path.iter().enumerate() {
                *positions[i].entry(*name).or_default() += 1;
            }
            *counts
                .entry(path.iter().map(|(n, _)| *n).collect())
                .or_default() += 1;
        }
        let share = |n: u64| {
            if users == 0 {
                0.0
            } else {
                n as f64 / users as f64
            }
        };
        let mut paths: Vec<PathResult> = counts
            .into_iter()
            .map(|(ids, n)| PathResult {
                events: self.shown(ids.into_iter()),
                users: n,
                share: share(n),
            })
            .collect();
        paths.sort_by(|a, b| b.users.cmp(&a.users).then_with(|| a.events.cmp(&b.events)));
        paths.truncate(MAX_PATHS);
        let positions = positions
            .into_iter()
            .filter(|p| !p.is_empty())
            .map(|p| {
                let mut nodes: Vec<PathNode> = p
                    .into_iter()
                    .map(|(name, users)| PathNode {
                        event_type: self.names[name as usize].clone(),
                        users,
                    })
                    .collect();
                nodes.sort_by(|a, b| {
                    b.users
                        .cmp(&a.users)
                        .then_with(|| a.event_type.cmp(&b.event_type))
                });
                if nodes.len() > TOP_PER_POSITION {
                    let other: u64 = nodes[TOP_PER_POSITION..].iter().map(|n| n.users).sum();
                    nodes.truncate(TOP_PER_POSITION);
                    nodes.push(PathNode {
                        event_type: OTHER_GROUP.to_owned(),
                        users: other,
                    });
                }
                nodes
            })
            .collect();
        JourneysAnswer {
            users,
            paths,
            positions,
            nodes: Vec::new(),
            edges: Vec::new(),
        }
    }

    /// The most common events (by users) of the map.
    fn map_nodes(&self) -> Vec<(u32, u64)> {
        let mut users: HashMap<u32, u64> = HashMap::new();
        for events in &self.users {
            let names: HashSet<u32> = events.iter().map(|(n, _)| *n).collect();
            for n in names {
                *users.entry(n).or_default() += 1;
            }
        }
        let mut nodes: Vec<(u32, u64)> = users.into_iter().collect();
        nodes.sort_by(|a, b| {
            b.1.cmp(&a.1)
                .then_with(|| self.names[a.0 as usize].cmp(&self.names[b.0 as usize]))
        });
        nodes.truncate(MAP_NODES);
        nodes
    }

    /// A user's direct flows between map events: (from, to, the two events).
    fn flows<'e>(&self, events: &'e [(u32, Hit)], nodes: &HashSet<u32>) -> Vec<Flow<'e>> {
        let mut collapsed: Vec<&(u32, Hit)> = Vec::with_capacity(events.len());
        for e in events {
            if self.chart.collapse_repeats && collapsed.last().is_some_and(|l| l.0 == e.0) {
                continue;
            }
            collapsed.push(e);
        }
        collapsed
            .windows(2)
            .filter(|w| {
                nodes.contains(&w[0].0)
                    && nodes.contains(&w[1].0)
                    && w[1].1.time_ms - w[0].1.time_ms <= self.chart.window_ms
            })
            .map(|w| (w[0], w[1]))
            .collect()
    }

    fn map(self) -> JourneysAnswer {
        let nodes = self.map_nodes();
        let in_map: HashSet<u32> = nodes.iter().map(|(n, _)| *n).collect();
        let mut edges: HashMap<(u32, u32), (HashSet<i64>, u64)> = HashMap::new();
        for events in &self.users {
            for (a, b) in self.flows(events, &in_map) {
                let e = edges.entry((a.0, b.0)).or_default();
                e.0.insert(a.1.user);
                e.1 += 1;
            }
        }
        let mut edges: Vec<JourneyEdge> = edges
            .into_iter()
            .map(|((a, b), (users, transitions))| JourneyEdge {
                from: self.names[a as usize].clone(),
                to: self.names[b as usize].clone(),
                users: users.len() as u64,
                transitions,
            })
            .collect();
        edges.sort_by(|a, b| {
            b.users
                .cmp(&a.users)
                .then_with(|| (&a.from, &a.to).cmp(&(&b.from, &b.to)))
        });
        JourneysAnswer {
            users: self.users.len() as u64,
            paths: Vec::new(),
            positions: Vec::new(),
            nodes: nodes
                .into_iter()
                .map(|(n, users)| PathNode {
                    event_type: self.names[n as usize].clone(),
                    users,
                })
                .collect(),
            edges,
        }
    }

    /// The events behind a path (Pathfinder: users whose path begins — to an event: ends — with
    /// `path`, their events along it) or a flow (map: `[from, to]`, or one event `[name]`).
    pub fn hits_behind(self, point: &DataPoint) -> Vec<Hit> {
        let DataPoint::Journeys { path: wanted } = point else {
            return Vec::new();
        };
        if matches!(self.chart.anchor, Anchor::Map) {
            let nodes: HashSet<u32> = self.map_nodes().into_iter().map(|(n, _)| n).collect();
            let id = |name: &String| self.ids.get(name).copied();
            return match wanted.as_slice() {
                [one] => {
                    let Some(one) = id(one) else {
                        return Vec::new();
                    };
                    self.users
                        .iter()
                        .flatten()
                        .filter(|(n, _)| *n == one)
                        .map(|(_, h)| *h)
                        .collect()
                }
                [from, to] => {
                    let (Some(from), Some(to)) = (id(from), id(to)) else {
                        return Vec::new();
                    };
                    self.users
                        .iter()
                        .flat_map(|events| self.flows(events, &nodes))
                        .filter(|(a, b)| a.0 == from && b.0 == to)
                        .flat_map(|(a, b)| [a.1, b.1])
                        .collect()
                }
                _ => Vec::new(),
            };
        }
        let mut hits = Vec::new();
        for events in &self.users {
            let path = self.path(events);
            let shown = self.shown(path.iter().map(|(n, _)| *n));
            let matches = match self.chart.anchor {
                Anchor::To(_) => shown.ends_with(wanted),
                _ => shown.starts_with(wanted),
            };
            if matches {
                hits.extend(path.iter().take(wanted.len()).map(|(_, h)| *h));
            }
        }
        hits
    }
}
