//! Table-driven tests of the chart computations on small data sets worked out by hand.

use chrono_tz::Tz;

use super::buckets::Buckets;
use super::experiment::normal_quantile;
use super::funnel::FunnelBuilder;
use super::paths::PathsBuilder;
use super::*;
use crate::model::TimeRange;

const MIN: i64 = 60_000;

fn scope(end_ms: i64) -> Scope {
    Scope {
        range: TimeRange {
            start_ms: 0,
            end_ms,
        },
        buckets: Buckets::whole(Tz::UTC, 0, end_ms),
        user_filters: Vec::new(),
    }
}

fn step(name: &str) -> EventSelector {
    EventSelector {
        name: name.into(),
        properties: Vec::new(),
    }
}

fn hit(user: i64, time_ms: i64) -> Hit {
    Hit {
        user,
        session: Some(user),
        time_ms,
    }
}

/// One user's events `(step mask, minute)` through a funnel of `n` steps: the steps reached.
fn reached(n: usize, any_order: bool, window_min: i64, events: &[(u16, i64)]) -> usize {
    let chart = Funnel {
        scope: scope(60 * MIN),
        steps: (0..n).map(|k| step(&format!("s{k}"))).collect(),
        window_ms: window_min * MIN,
        any_order,
        group_by: None,
    };
    let mut b = FunnelBuilder::new(&chart);
    for (mask, minute) in events {
        b.add(hit(1, minute * MIN), *mask, None);
    }
    b.conversions().first().map_or(0, |c| c.reached)
}

/// (what, steps, any order, window in minutes, events (mask, minute), steps reached)
type FunnelCase = (&'static str, usize, bool, i64, Vec<(u16, i64)>, usize);
/// (collapse, steps, window (min), events (name, minute) from the anchor on, path)
type PathCase = (bool, usize, i64, Vec<(usize, i64)>, Vec<&'static str>);

#[test]
fn funnel_attempts() {
    // (what, steps, any order, window in minutes, events (mask, minute), steps reached)
    let cases: Vec<FunnelCase> = vec![
        ("in order", 3, false, 10, vec![(1, 0), (2, 1), (4, 2)], 3),
        (
            "others between",
            3,
            false,
            10,
            vec![(1, 0), (0b1000, 1), (2, 2), (4, 3)],
            3,
        ),
        (
            "out of order",
            3,
            false,
            10,
            vec![(2, 0), (1, 1), (4, 2)],
            1,
        ),
        (
            "any order takes it",
            3,
            true,
            10,
            vec![(1, 0), (4, 1), (2, 2)],
            3,
        ),
        (
            "any order still needs the first step first",
            3,
            true,
            10,
            vec![(2, 0), (1, 1), (4, 2)],
            1,
        ),
        (
            "the window's end is in",
            2,
            false,
            5,
            vec![(1, 0), (2, 5)],
            2,
        ),
        ("past the window", 2, false, 5, vec![(1, 0), (2, 6)], 1),
        (
            "a later entry converts",
            2,
            false,
            5,
            vec![(1, 0), (1, 10), (2, 12)],
            2,
        ),
        ("no entry", 2, false, 5, vec![(2, 0)], 0),
        ("one event is one step", 2, false, 5, vec![(3, 0)], 1),
        ("repeated step", 2, false, 5, vec![(3, 0), (3, 1)], 2),
        (
            "entry after the range",
            2,
            false,
            5,
            vec![(1, 61), (2, 62)],
            0,
        ),
    ];
    for (what, n, any, window, events, want) in cases {
        assert_eq!(reached(n, any, window, &events), want, "{what}");
    }
}

#[test]
fn paths_collapse_repeats_and_stop_at_the_window() {
    let names = ["A", "B", "C"];
    // (collapse, steps, window (min), events (name, minute) from the anchor on, path)
    let cases: Vec<PathCase> = vec![
        (
            true,
            4,
            60,
            vec![(0, 0), (1, 1), (1, 2), (2, 3)],
            vec!["A", "B", "C"],
        ),
        (
            false,
            4,
            60,
            vec![(0, 0), (1, 1), (1, 2), (2, 3)],
            vec!["A", "B", "B", "C"],
        ),
        (true, 2, 60, vec![(0, 0), (1, 1), (2, 2)], vec!["A", "B"]),
        (true, 4, 5, vec![(0, 0), (1, 5), (2, 6)], vec!["A", "B"]),
    ];
    for (collapse, steps, window, events, want) in cases {
        let chart = Journeys {
            scope: scope(60 * MIN),
            anchor: Anchor::From(step("A")),
            steps,
            window_ms: window * MIN,
            collapse_repeats: collapse,
            excluded: Vec::new(),
        };
        let mut b = PathsBuilder::new(&chart);
        let ids: Vec<u32> = names.iter().map(|n| b.name_id(n)).collect();
        b.add_user(
            events
                .iter()
                .map(|(n, m)| (ids[*n], hit(1, m * MIN)))
                .collect(),
        );
        let answer = b.finish();
        assert_eq!(answer.paths[0].events, want, "{collapse} {steps} {window}");
    }
}

#[test]
fn medians_and_quantiles() {
    // (values, median)
    let cases: Vec<(Vec<i64>, Option<i64>)> = vec![
        (vec![], None),
        (vec![5], Some(5)),
        (vec![4, 1], Some(2)),
        (vec![10, 1, 3, 2], Some(2)),
        (vec![3, 1, 2], Some(2)),
    ];
    for (mut values, want) in cases {
        assert_eq!(median(&mut values), want);
    }
    for (p, z) in [
        (0.975, 1.959_964),
        (0.5, 0.0),
        (0.95, 1.644_854),
        (0.005, -2.575_829),
    ] {
        assert!((normal_quantile(p) - z).abs() < 1e-5, "{p}");
    }
}

#[test]
fn charts_parse_with_their_defaults_and_limits() {
    use super::wire::ChartSpec;
    let cx = ChartContext {
        timezone: Tz::UTC,
        now_ms: 1_767_225_600_000,
    };
    // (chart, error words or None)
    let cases: Vec<(serde_json::Value, Option<&str>)> = vec![
        (
            serde_json::json!({"kind": "funnel", "steps": [{"event_type": "a"}, {"event_type": "b"}]}),
            None,
        ),
        (
            serde_json::json!({"kind": "funnel", "steps": [{"event_type": " "}, {"event_type": "b"}]}),
            Some("event name is empty"),
        ),
        (
            serde_json::json!({"kind": "segmentation", "events": [{"event_type": "a"}], "group_by": {"property": "p", "scope": "user", "limit": 99}}),
            Some("group_by.limit"),
        ),
        (
            serde_json::json!({"kind": "segmentation", "events": [{"event_type": "a"}], "start": "2026-02-01", "end": "2026-01-01"}),
            Some("start must be before end"),
        ),
        (
            serde_json::json!({"kind": "journeys", "view": "journey_map", "start_event": {"event_type": "a"}}),
            Some("takes no start_event"),
        ),
        (
            serde_json::json!({"kind": "experiment", "goal": {"event_type": "a"}, "confidence": 2.0}),
            Some("confidence"),
        ),
        (
            serde_json::json!({"kind": "sessions", "interval": "month", "start": "2020-01-01", "end": "2022-12-31"}),
            None,
        ),
        (
            serde_json::json!({"kind": "sessions", "start": "2020-01-01", "end": "2026-01-01"}),
            Some("at most 1098 days"),
        ),
    ];
    for (chart, want) in cases {
        let spec: ChartSpec = serde_json::from_value(chart.clone()).expect("wire form");
        match (parse_chart(&spec, &cx), want) {
            (Ok(_), None) => {}
            (Err(e), Some(w)) => assert!(e.0.contains(w), "{chart}: {e}"),
            (got, want) => panic!("{chart}: got {got:?}, want {want:?}"),
        }
    }
    // Defaults: a funnel's window is a day, the range the last 30 days.
    let spec: ChartSpec = serde_json::from_value(serde_json::json!(
        {"kind": "funnel", "steps": [{"event_type": "a"}, {"event_type": "b"}]}
    ))
    .unwrap();
    let Chart::Funnel(f) = parse_chart(&spec, &cx).unwrap() else {
        panic!("a funnel")
    };
    assert_eq!(f.window_ms, 86_400_000);
    assert_eq!(
        f.scope.range.end_ms - f.scope.range.start_ms,
        30 * 86_400_000
    );
}
