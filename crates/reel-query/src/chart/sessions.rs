//! User Sessions from sessions' spans. A session (a device's session id) lasts from its first
//! to its last event, belongs to the interval it started in, and counts only when it started in
//! the range and lasted at most a day.

use std::collections::HashSet;

use super::Hit;
use super::median;
use super::model::{DataPoint, UserSessions};
use super::segmentation::bucket_infos;
use super::wire::{LengthBin, Series, SessionsAnswer};

/// Length bins `[min, max)`, in ms: Amplitude's defaults.
pub const LENGTH_BINS: &[(i64, Option<i64>, &str)] = &[
    (0, Some(3_000), "0-3 s"),
    (3_000, Some(10_000), "3-10 s"),
    (10_000, Some(30_000), "10-30 s"),
    (30_000, Some(60_000), "30-60 s"),
    (60_000, Some(180_000), "1-3 min"),
    (180_000, Some(600_000), "3-10 min"),
    (600_000, Some(1_800_000), "10-30 min"),
    (1_800_000, Some(3_600_000), "30-60 min"),
    (3_600_000, None, "1 h+"),
];

const DAY_MS: i64 = 86_400_000;

/// A session as fed: its user, its row, its first and last event.
#[derive(Debug, Clone, Copy)]
pub struct SessionSpan {
    pub user: i64,
    pub session: i64,
    pub first_ms: i64,
    pub last_ms: i64,
}

impl SessionSpan {
    fn length(&self) -> i64 {
        self.last_ms - self.first_ms
    }
}

fn bin_of(length: i64) -> usize {
    LENGTH_BINS
        .iter()
        .position(|(lo, hi, _)| length >= *lo && hi.is_none_or(|h| length < h))
        .unwrap_or(LENGTH_BINS.len() - 1)
}

/// The sessions that count, with their interval.
fn counted<'s>(
    chart: &'s UserSessions,
    spans: &'s [SessionSpan],
) -> impl Iterator<Item = (usize, &'s SessionSpan)> {
    spans.iter().filter_map(|s| {
        if s.length() > DAY_MS {
            return None;
        }
        chart.scope.buckets.index(s.first_ms).map(|b| (b, s))
    })
}

pub fn answer(chart: &UserSessions, spans: &[SessionSpan]) -> SessionsAnswer {
    let buckets = &chart.scope.buckets;
    let n = buckets.len();
    let mut lengths: Vec<Vec<i64>> = vec![Vec::new(); n];
    let mut users: Vec<HashSet<i64>> = vec![HashSet::new(); n];
    let mut all_users = HashSet::new();
    let mut all_lengths = Vec::new();
    let mut distribution = vec![0u64; LENGTH_BINS.len()];
    for (b, s) in counted(chart, spans) {
        lengths[b].push(s.length());
        users[b].insert(s.user);
        all_users.insert(s.user);
        all_lengths.push(s.length());
        distribution[bin_of(s.length())] += 1;
    }
    let stats = |lengths: &mut Vec<i64>, users: usize| -> [f64; 5] {
        let count = lengths.len() as f64;
        let sum: i64 = lengths.iter().sum();
        let per = |x: f64| if users == 0 { 0.0 } else { x / users as f64 };
        [
            count,
            if count == 0.0 {
                0.0
            } else {
                (sum as f64 / count).floor()
            },
            median(lengths).unwrap_or(0) as f64,
            per(count),
            per(sum as f64).floor(),
        ]
    };
    let per_bucket: Vec<[f64; 5]> = (0..n)
        .map(|b| stats(&mut lengths[b], users[b].len()))
        .collect();
    let total = stats(&mut all_lengths, all_users.len());
    let names = [
        ("sessions", "Sessions"),
        ("average_length_ms", "Average length"),
        ("median_length_ms", "Median length"),
        ("sessions_per_user", "Sessions per user"),
        ("time_per_user_ms", "Time per user"),
    ];
    SessionsAnswer {
        timezone: buckets.timezone.name().to_owned(),
        buckets: bucket_infos(buckets),
        series: names
            .iter()
            .enumerate()
            .map(|(i, (measure, label))| Series {
                label: (*label).to_owned(),
                event_index: None,
                group: None,
                bin: None,
                measure: Some((*measure).to_owned()),
                values: per_bucket.iter().map(|v| v[i]).collect(),
                total: total[i],
            })
            .collect(),
        length_distribution: LENGTH_BINS
            .iter()
            .zip(distribution)
            .map(|((min_ms, max_ms, label), sessions)| LengthBin {
                label: (*label).to_owned(),
                min_ms: *min_ms,
                max_ms: *max_ms,
                sessions,
            })
            .collect(),
        users: all_users.len() as u64,
    }
}

/// The sessions behind a data point, each as its first event.
pub fn hits_behind(chart: &UserSessions, spans: &[SessionSpan], point: &DataPoint) -> Vec<Hit> {
    let DataPoint::Sessions { bucket, bin } = point else {
        return Vec::new();
    };
    counted(chart, spans)
        .filter(|(b, _)| bucket.is_none_or(|want| *b == want))
        .filter(|(_, s)| {
            bin.as_ref()
                .is_none_or(|want| LENGTH_BINS[bin_of(s.length())].2 == want)
        })
        .map(|(_, s)| Hit {
            user: s.user,
            session: Some(s.session),
            time_ms: s.first_ms,
        })
        .collect()
}
