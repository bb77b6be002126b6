//! Event Segmentation from matching events: a backend feeds every event of the chart (and, for
//! Active %, every active event) and gets the answer — or, for the Microscope, the events
//! behind one data point. What each measure counts is written once, here.

use std::collections::{HashMap, HashSet};

use super::buckets::Buckets;
use super::model::{DataPoint, Measure, NONE_GROUP, OTHER_GROUP, Segmentation};
use super::values::PropRef;
use super::wire::{BucketInfo, SegmentationAnswer, Series};
use super::{Hit, UserSet, shown_labels, top_groups};

/// Frequency bins: users who did the event `lo..=hi` times (`hi` none: or more).
pub const FREQUENCY_BINS: &[(u64, Option<u64>)] = &[
    (1, Some(1)),
    (2, Some(2)),
    (3, Some(3)),
    (4, Some(4)),
    (5, Some(5)),
    (6, Some(10)),
    (11, Some(20)),
    (21, Some(50)),
    (51, None),
];

pub fn bin_label(lo: u64, hi: Option<u64>) -> String {
    match hi {
        Some(h) if h == lo => lo.to_string(),
        Some(h) => format!("{lo}-{h}"),
        None => format!("{lo}+"),
    }
}

fn bin_of(count: u64) -> usize {
    FREQUENCY_BINS
        .iter()
        .position(|(lo, hi)| count >= *lo && hi.is_none_or(|h| count <= h))
        .unwrap_or(FREQUENCY_BINS.len() - 1)
}

/// One event of the chart as fed: which of the chart's events, its group's label, the measured
/// property's value.
struct Row {
    event: usize,
    bucket: usize,
    group: u32,
    hit: Hit,
    number: Option<f64>,
    distinct: Option<u32>,
}

/// Collects a chart's events, then answers.
pub struct SegmentationBuilder<'a> {
    chart: &'a Segmentation,
    rows: Vec<Row>,
    groups: HashMap<String, u32>,
    group_labels: Vec<String>,
    distinct: HashMap<String, u32>,
    active: Vec<HashSet<i64>>,
    active_total: HashSet<i64>,
}

impl<'a> SegmentationBuilder<'a> {
    pub fn new(chart: &'a Segmentation) -> Self {
        Self {
            chart,
            rows: Vec::new(),
            groups: HashMap::new(),
            group_labels: Vec::new(),
            distinct: HashMap::new(),
            active: vec![HashSet::new(); chart.scope.buckets.len()],
            active_total: HashSet::new(),
        }
    }

    /// Whether the chart needs every active event ([`Self::add_active`]).
    pub fn needs_active_users(&self) -> bool {
        self.chart.measure == Measure::ActivePct
    }

    /// Events fed so far.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// An event matching the chart's event `event`; `group` is the grouped property's value
    /// (`None`: the event or user lacks it), `measured` the measured property's.
    pub fn add(
        &mut self,
        event: usize,
        hit: Hit,
        group: Option<PropRef<'_>>,
        measured: Option<PropRef<'_>>,
    ) {
        let Some(bucket) = self.chart.scope.buckets.index(hit.time_ms) else {
            return;
        };
        let group = match (&self.chart.group_by, group) {
            (None, _) if !self.group_labels.is_empty() => 0,
            (None, _) => self.group_id(String::new()),
            (Some(_), None) => self.group_id(NONE_GROUP.to_owned()),
            (Some(_), Some(v)) => match v {
                PropRef::Text(t) if self.groups.contains_key(t) => self.groups[t],
                v => self.group_id(v.label()),
            },
        };
        let (number, distinct) = match &self.chart.measure {
            Measure::PropertySum(_) | Measure::PropertyAverage(_) => {
                (measured.and_then(|v| v.number()), None)
            }
            Measure::PropertyDistinct(_) => {
                let d = measured.map(|v| {
                    let next = self.distinct.len() as u32;
                    *self.distinct.entry(v.label()).or_insert(next)
                });
                (None, d)
            }
            _ => (None, None),
        };
        self.rows.push(Row {
            event,
            bucket,
            group,
            hit,
            number,
            distinct,
        });
    }

    fn group_id(&mut self, label: String) -> u32 {
        if let Some(id) = self.groups.get(&label) {
            return *id;
        }
        let id = self.group_labels.len() as u32;
        self.groups.insert(label.clone(), id);
        self.group_labels.push(label);
        id
    }

    /// Any active event of a user the chart looks at (for Active %).
    pub fn add_active(&mut self, user: i64, time_ms: i64) {
        if let Some(b) = self.chart.scope.buckets.index(time_ms) {
            self.active[b].insert(user);
            self.active_total.insert(user);
        }
    }

    /// Each event's group after keeping the top values: the label shown.
    fn final_groups(&self) -> Vec<Vec<String>> {
        let Some(g) = &self.chart.group_by else {
            return vec![vec![String::new(); 1]; self.chart.events.len()];
        };
        let by_users = !matches!(
            self.chart.measure,
            Measure::Totals | Measure::Average | Measure::PropertySum(_)
        );
        (0..self.chart.events.len())
            .map(|event| {
                let mut weight: HashMap<u32, (UserSet, f64)> = HashMap::new();
                for r in self.rows.iter().filter(|r| r.event == event) {
                    let w = weight.entry(r.group).or_default();
                    w.0.insert(r.hit.user);
                    w.1 += match self.chart.measure {
                        Measure::PropertySum(_) => r.number.unwrap_or(0.0),
                        _ => 1.0,
                    };
                }
                let ranked: Vec<(u32, f64)> = weight
                    .into_iter()
                    .map(|(group, (users, sum))| {
                        (group, if by_users { users.len() as f64 } else { sum })
                    })
                    .collect();
                let top = top_groups(ranked, g.limit, &self.group_labels);
                shown_labels(&self.group_labels, &top)
            })
            .collect()
    }

    pub fn finish(self) -> SegmentationAnswer {
        let buckets = &self.chart.scope.buckets;
        let groups = self.final_groups();
        // (event, label) → the rows, in the order series are shown. A row's series is looked up
        // once per (event, group id), not per row: charts feed millions of rows.
        let mut keys: Vec<(usize, String)> = Vec::new();
        let mut by_key: HashMap<(usize, String), usize> = HashMap::new();
        let mut by_group: HashMap<(usize, u32), usize> = HashMap::new();
        let mut rows: Vec<Vec<&Row>> = Vec::new();
        for r in &self.rows {
            let series = *by_group.entry((r.event, r.group)).or_insert_with(|| {
                let key = (r.event, groups[r.event][r.group as usize].clone());
                *by_key.entry(key.clone()).or_insert_with(|| {
                    keys.push(key);
                    rows.push(Vec::new());
                    rows.len() - 1
                })
            });
            rows[series].push(r);
        }
        if self.chart.group_by.is_none() {
            for event in 0..self.chart.events.len() {
                if let std::collections::hash_map::Entry::Vacant(e) =
                    by_key.entry((event, String::new()))
                {
                    e.insert(rows.len());
                    keys.push((event, String::new()));
                    rows.push(Vec::new());
                }
            }
        }
        let mut order: Vec<usize> = (0..keys.len()).collect();
        order.sort_by(|&a, &b| {
            let (a, b) = (&keys[a], &keys[b]);
            a.0.cmp(&b.0)
                .then_with(|| (a.1 == OTHER_GROUP).cmp(&(b.1 == OTHER_GROUP)))
                .then_with(|| a.1.cmp(&b.1))
        });
        let mut series = Vec::new();
        for i in order {
            let rows = &rows[i];
            let (event, label) = &keys[i];
            let event = *event;
            let name = &self.chart.events[event].name;
            let group = self.chart.group_by.as_ref().map(|_| label.clone());
            let base_label = match &group {
                Some(g) => format!("{name}: {g}"),
                None => name.clone(),
            };
            // The series' rows per interval, in the order they came (one pass, not one per
            // interval).
            let mut in_buckets: Vec<Vec<&Row>> = vec![Vec::new(); buckets.len()];
            for r in rows {
                if let Some(b) = in_buckets.get_mut(r.bucket) {
                    b.push(r);
                }
            }
            if self.chart.measure == Measure::Frequency {
                series.extend(frequency_series(
                    rows,
                    &in_buckets,
                    event,
                    &group,
                    &base_label,
                ));
                continue;
            }
            let values = in_buckets
                .iter()
                .enumerate()
                .map(|(b, in_bucket)| self.measure(in_bucket, Some(&self.active[b])))
                .collect();
            let total = self.measure(rows, Some(&self.active_total));
            series.push(Series {
                label: base_label,
                event_index: Some(event as u32),
                group,
                bin: None,
                measure: None,
                values,
                total,
            });
        }
        SegmentationAnswer {
            timezone: buckets.timezone.name().to_owned(),
            buckets: bucket_infos(buckets),
            series,
        }
    }

    fn measure(&self, rows: &[&Row], active: Option<&HashSet<i64>>) -> f64 {
        let users = || rows.iter().map(|r| r.hit.user).collect::<UserSet>().len() as f64;
        match &self.chart.measure {
            Measure::Uniques => users(),
            Measure::Totals => rows.len() as f64,
            Measure::ActivePct => {
                let active = active.map_or(0, HashSet::len) as f64;
                if active == 0.0 {
                    0.0
                } else {
                    users() / active * 100.0
                }
            }
            Measure::Average => {
                let u = users();
                if u == 0.0 { 0.0 } else { rows.len() as f64 / u }
            }
            Measure::PropertySum(_) => rows.iter().filter_map(|r| r.number).sum(),
            Measure::PropertyAverage(_) => {
                let numbers: Vec<f64> = rows.iter().filter_map(|r| r.number).collect();
                if numbers.is_empty() {
                    0.0
                } else {
                    numbers.iter().sum::<f64>() / numbers.len() as f64
                }
            }
            Measure::PropertyDistinct(_) => rows
                .iter()
                .filter_map(|r| r.distinct)
                .collect::<HashSet<_>>()
                .len() as f64,
            Measure::Frequency => 0.0,
        }
    }

    /// The events behind a data point.
    pub fn hits_behind(self, point: &DataPoint) -> Vec<Hit> {
        let DataPoint::Segmentation {
            event_index,
            group,
            bucket,
            bin,
        } = point
        else {
            return Vec::new();
        };
        let groups = self.final_groups();
        let rows: Vec<&Row> = self
            .rows
            .iter()
            .filter(|r| r.event == *event_index)
            .filter(|r| {
                group
                    .as_ref()
                    .is_none_or(|g| groups[r.event][r.group as usize] == *g)
            })
            .filter(|r| bucket.is_none_or(|b| r.bucket == b))
            .collect();
        match bin {
            None => rows.iter().map(|r| r.hit).collect(),
            Some(bin) => {
                let mut counts: HashMap<i64, u64> = HashMap::new();
                for r in &rows {
                    *counts.entry(r.hit.user).or_default() += 1;
                }
                rows.iter()
                    .filter(|r| {
                        let (lo, hi) = FREQUENCY_BINS[bin_of(counts[&r.hit.user])];
                        bin_label(lo, hi) == *bin
                    })
                    .map(|r| r.hit)
                    .collect()
            }
        }
    }
}

fn frequency_series(
    rows: &[&Row],
    in_buckets: &[Vec<&Row>],
    event: usize,
    group: &Option<String>,
    base_label: &str,
) -> Vec<Series> {
    let per_bucket = |rows: &mut dyn Iterator<Item = &&Row>| -> Vec<u64> {
        let mut counts: HashMap<i64, u64> = HashMap::new();
        for r in rows {
            *counts.entry(r.hit.user).or_default() += 1;
        }
        let mut bins = vec![0u64; FREQUENCY_BINS.len()];
        for c in counts.values() {
            bins[bin_of(*c)] += 1;
        }
        bins
    };
    let by_bucket: Vec<Vec<u64>> = in_buckets
        .iter()
        .map(|b| per_bucket(&mut b.iter()))
        .collect();
    let total = per_bucket(&mut rows.iter());
    FREQUENCY_BINS
        .iter()
        .enumerate()
        .map(|(i, (lo, hi))| {
            let bin = bin_label(*lo, *hi);
            Series {
                label: format!("{base_label} ({bin}×)"),
                event_index: Some(event as u32),
                group: group.clone(),
                bin: Some(bin),
                measure: None,
                values: by_bucket.iter().map(|b| b[i] as f64).collect(),
                total: total[i] as f64,
            }
        })
        .collect()
}

pub fn bucket_infos(buckets: &Buckets) -> Vec<BucketInfo> {
    (0..buckets.len())
        .map(|i| BucketInfo {
            start: buckets.label(i),
            start_ms: buckets.starts[i],
        })
        .collect()
}
