//! Charts over HTTP against values worked out by hand on a small fixed data set
//! (`testdata/analytics/`, whose README shows the working): every Event Segmentation measure,
//! funnels (order, the conversion window's edge, a step whose filter excludes, any order,
//! groups), User Sessions, a Pathfinder, an experiment, and the Microscope's sessions.

use reqwest::StatusCode;
use serde_json::{Value, json};

use crate::support::*;

const DAY1: &str = "2026-01-05";
const DAY2: &str = "2026-01-06";

async fn chart(app: &TestApp, kind: &str, body: Value) -> Value {
    let (status, answer) = app
        .send(
            reqwest::Method::POST,
            &format!("/charts/{kind}"),
            Some(&body),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{kind} {body}: {answer}");
    answer
}

fn view() -> Value {
    json!({"event_type": "View"})
}

/// A series' values per day and its total.
fn values(series: &Value) -> (Vec<f64>, f64) {
    let v = series["values"]
        .as_array()
        .expect("values")
        .iter()
        .map(|x| x.as_f64().unwrap())
        .collect();
    (v, series["total"].as_f64().unwrap())
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() < 1e-3
}

#[tokio::test]
async fn every_segmentation_measure_counts_what_it_says() {
    let app = TestApp::spawn().await;
    load_shop(&app).await;
    // (measure and its options, values on day 1 and day 2, total)
    let cases: Vec<(Value, [f64; 2], f64)> = vec![
        (json!({"measure": "uniques"}), [6.0, 1.0], 6.0),
        (json!({"measure": "totals"}), [6.0, 1.0], 7.0),
        (json!({"measure": "active_pct"}), [100.0, 50.0], 100.0),
        (json!({"measure": "average"}), [1.0, 1.0], 7.0 / 6.0),
        (
            json!({"measure": "property", "property": {"property": "price", "aggregate": "sum"}}),
            [450.0, 60.0],
            510.0,
        ),
        (
            json!({"measure": "property", "property": {"property": "price", "aggregate": "average"}}),
            [75.0, 60.0],
            510.0 / 7.0,
        ),
        (
            json!({"measure": "property", "property": {"property": "category", "aggregate": "distinct"}}),
            [3.0, 1.0],
            3.0,
        ),
    ];
    for (measure, days, total) in cases {
        let mut body = json!({"events": [view()], "start": DAY1, "end": DAY2, "interval": "day"});
        body.as_object_mut()
            .unwrap()
            .extend(measure.as_object().unwrap().clone());
        let answer = chart(&app, "segmentation", body).await;
        assert_eq!(answer["buckets"].as_array().unwrap().len(), 2, "{answer}");
        let (got, got_total) = values(&answer["series"][0]);
        assert!(
            close(got[0], days[0]) && close(got[1], days[1]) && close(got_total, total),
            "{measure}: got {got:?} {got_total}, want {days:?} {total}"
        );
    }

    // Frequency: a series per bin; over the range five users once, erin twice.
    let answer = chart(
        &app,
        "segmentation",
        json!({"events": [view()], "measure": "frequency", "start": DAY1, "end": DAY2}),
    )
    .await;
    let bins: Vec<(String, f64)> = answer["series"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|s| s["total"].as_f64().unwrap() > 0.0)
        .map(|s| {
            (
                s["bin"].as_str().unwrap().to_owned(),
                s["total"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(bins, vec![("1".to_owned(), 5.0), ("2".to_owned(), 1.0)]);

    // Grouped by category, top 2 plus (other).
    let answer = chart(
        &app,
        "segmentation",
        json!({"events": [view()], "start": DAY1, "end": DAY2,
               "group_by": {"property": "category", "scope": "event", "limit": 2}}),
    )
    .await;
    let groups: Vec<(String, f64)> = answer["series"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                s["group"].as_str().unwrap().to_owned(),
                s["total"].as_f64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        groups,
        vec![
            ("boots".into(), 2.0),
            ("tents".into(), 2.0),
            ("(other)".into(), 2.0)
        ]
    );
}

/// The funnel View → Add to cart → Checkout, with `extra` merged into the request.
async fn funnel(app: &TestApp, first: Value, extra: Value) -> Value {
    let mut body = json!({"steps": [first, {"event_type": "Add to cart"}, {"event_type": "Checkout"}],
                          "start": DAY1, "end": DAY2});
    body.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    chart(app, "funnel", body).await
}

fn counts(steps: &Value) -> Vec<u64> {
    steps
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["count"].as_u64().unwrap())
        .collect()
}

#[tokio::test]
async fn funnels_follow_order_window_and_filters() {
    let app = TestApp::spawn().await;
    load_shop(&app).await;
    let tents = |op: &str| json!({"event_type": "View", "filters": [{"property": "category", "op": op, "values": ["tents"]}]});
    // (first step, options, users per step)
    let cases: Vec<(&str, Value, Value, Vec<u64>)> = vec![
        ("this order", view(), json!({}), vec![6, 4, 2]),
        (
            "the window's end is included",
            view(),
            json!({"conversion_window_ms": 86_400_000}),
            vec![6, 4, 2],
        ),
        (
            "a millisecond less leaves bob out",
            view(),
            json!({"conversion_window_ms": 86_399_999}),
            vec![6, 4, 1],
        ),
        ("any order", view(), json!({"order": "any"}), vec![6, 4, 3]),
        (
            "a step whose filter excludes",
            tents("is"),
            json!({}),
            vec![2, 2, 1],
        ),
        (
            "is not keeps the missing",
            tents("is_not"),
            json!({}),
            vec![4, 2, 1],
        ),
    ];
    for (what, first, extra, want) in cases {
        let answer = funnel(&app, first, extra).await;
        assert_eq!(counts(&answer["steps"]), want, "{what}: {answer}");
    }

    let answer = funnel(&app, view(), json!({})).await;
    let steps = &answer["steps"];
    let field = |k: &str| -> Vec<Value> {
        steps
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s[k].clone())
            .collect()
    };
    assert_eq!(field("drop_off"), vec![json!(0), json!(2), json!(2)]);
    let conversion: Vec<f64> = field("conversion")
        .iter()
        .map(|v| v.as_f64().unwrap())
        .collect();
    assert!(
        close(conversion[1], 4.0 / 6.0) && close(conversion[2], 2.0 / 6.0),
        "{conversion:?}"
    );
    assert!(close(
        steps[2]["conversion_from_previous"].as_f64().unwrap(),
        0.5
    ));
    assert_eq!(steps[1]["median_ms_to_convert"], 150_000);
    assert_eq!(steps[2]["median_ms_to_convert"], 43_350_000);
    assert_eq!(steps[2]["median_ms_from_previous"], 43_230_000);
    assert!(steps[0].get("median_ms_to_convert").is_none());

    let answer = funnel(
        &app,
        view(),
        json!({"group_by": {"property": "category", "scope": "event"}}),
    )
    .await;
    let groups: Vec<(String, Vec<u64>)> = answer["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| (g["group"].as_str().unwrap().to_owned(), counts(&g["steps"])))
        .collect();
    assert_eq!(
        groups,
        vec![
            ("boots".into(), vec![2, 1, 1]),
            ("tents".into(), vec![2, 2, 1]),
            ("(none)".into(), vec![1, 1, 0]),
            ("lanterns".into(), vec![1, 0, 0]),
        ]
    );
}

#[tokio::test]
async fn user_sessions_count_lengths_and_users() {
    let app = TestApp::spawn().await;
    load_shop(&app).await;
    let answer = chart(
        &app,
        "sessions",
        json!({"start": DAY1, "end": DAY2, "interval": "day"}),
    )
    .await;
    let by_measure = |m: &str| {
        values(
            answer["series"]
                .as_array()
                .unwrap()
                .iter()
                .find(|s| s["measure"] == m)
                .unwrap_or_else(|| panic!("no {m}: {answer}")),
        )
    };
    // (measure, day 1, day 2, total)
    let cases = [
        ("sessions", 6.0, 2.0, 8.0),
        ("average_length_ms", 230_000.0, 0.0, 172_500.0),
        ("median_length_ms", 150_000.0, 0.0, 120_000.0),
        ("sessions_per_user", 1.0, 1.0, 8.0 / 6.0),
        ("time_per_user_ms", 230_000.0, 0.0, 230_000.0),
    ];
    for (measure, d1, d2, total) in cases {
        let (got, got_total) = by_measure(measure);
        assert!(
            close(got[0], d1) && close(got[1], d2) && close(got_total, total),
            "{measure}: {got:?} {got_total}"
        );
    }
    let bins: Vec<(String, u64)> = answer["length_distribution"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["sessions"].as_u64().unwrap() > 0)
        .map(|b| {
            (
                b["label"].as_str().unwrap().to_owned(),
                b["sessions"].as_u64().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        bins,
        vec![
            ("0-3 s".into(), 3),
            ("1-3 min".into(), 2),
            ("3-10 min".into(), 2),
            ("10-30 min".into(), 1)
        ]
    );
    assert_eq!(answer["users"], 6);
}

#[tokio::test]
async fn a_pathfinder_counts_paths_from_each_users_first_event() {
    let app = TestApp::spawn().await;
    load_shop(&app).await;
    let answer = chart(
        &app,
        "journeys",
        json!({"start_event": view(), "steps": 3, "window_ms": 3_600_000, "start": DAY1, "end": DAY2}),
    )
    .await;
    let paths: Vec<(Vec<String>, u64)> = answer["paths"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                serde_json::from_value(p["events"].clone()).unwrap(),
                p["users"].as_u64().unwrap(),
            )
        })
        .collect();
    let path = |names: &[&str]| names.iter().map(|n| (*n).to_owned()).collect::<Vec<_>>();
    assert_eq!(
        paths,
        vec![
            (path(&["View", "Add to cart"]), 2),
            (path(&["View"]), 1),
            (path(&["View", "Add to cart", "Checkout"]), 1),
            (path(&["View", "Checkout"]), 1),
            (path(&["View", "Checkout", "Add to cart"]), 1),
        ]
    );
    assert_eq!(answer["users"], 6);
    let positions: Vec<Vec<(String, u64)>> = answer["positions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            p.as_array()
                .unwrap()
                .iter()
                .map(|n| {
                    (
                        n["event_type"].as_str().unwrap().to_owned(),
                        n["users"].as_u64().unwrap(),
                    )
                })
                .collect()
        })
        .collect();
    assert_eq!(
        positions,
        vec![
            vec![("View".into(), 6)],
            vec![("Add to cart".into(), 3), ("Checkout".into(), 2)],
            vec![("Add to cart".into(), 1), ("Checkout".into(), 1)],
        ]
    );
}

#[tokio::test]
async fn an_experiment_compares_variants_with_an_interval() {
    let app = TestApp::spawn().await;
    load_shop(&app).await;
    let answer = chart(
        &app,
        "experiment",
        json!({"flag_key": "checkout-button", "goal": {"event_type": "Purchase"}, "start": DAY1, "end": DAY2}),
    )
    .await;
    assert_eq!(answer["control"], "control", "{answer}");
    let control = &answer["variants"][0];
    assert_eq!(
        (control["exposed"].as_u64(), control["converted"].as_u64()),
        (Some(3), Some(0))
    );
    assert!(control.get("difference").is_none());
    let treatment = &answer["variants"][1];
    assert_eq!(treatment["variant"], "treatment");
    assert_eq!(
        (
            treatment["exposed"].as_u64(),
            treatment["converted"].as_u64()
        ),
        (Some(2), Some(1))
    );
    let f = |k: &str| treatment[k].as_f64().unwrap();
    assert!(
        close(f("difference"), 0.5) && close(f("ci_low"), -0.19295) && close(f("ci_high"), 1.19295),
        "{treatment}"
    );
    assert!(treatment.get("lift").is_none());
}

async fn microscope(
    app: &TestApp,
    kind: &str,
    chart: Value,
    point: Value,
    with_replays: bool,
) -> Value {
    let (status, page) = app
        .send(
            reqwest::Method::POST,
            &format!("/charts/{kind}/sessions"),
            Some(&json!({"chart": chart, "point": point, "with_replays": with_replays})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{page}");
    page
}

fn listed(page: &Value) -> Vec<(String, u64, bool)> {
    page["sessions"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            (
                format!("{}/{}", s["device_id"].as_str().unwrap(), s["session_id"]),
                s["events"].as_u64().unwrap(),
                s["has_replay"].as_bool().unwrap(),
            )
        })
        .collect()
}

#[tokio::test]
async fn the_microscope_lists_exactly_the_sessions_behind_a_point() {
    let app = TestApp::spawn().await;
    load_shop(&app).await;
    let day = 86_400_000i64;
    let d = 1_767_571_200_000i64;
    let h = 3_600_000i64;
    let funnel = json!({"kind": "funnel", "steps": [view(), {"event_type": "Add to cart"}, {"event_type": "Checkout"}],
                        "start": DAY1, "end": DAY2});
    // Checkout converted: alice's session and both of bob's, newest first.
    let page = microscope(&app, "funnel", funnel.clone(), json!({"step": 2}), false).await;
    assert_eq!(
        listed(&page),
        vec![
            (format!("b1/{}", d + day + 11 * h), 1, true),
            (format!("b1/{}", d + 11 * h), 2, false),
            (format!("a1/{}", d + 10 * h), 3, true),
        ]
    );
    assert_eq!(
        (page["users"].as_u64(), page["total"].as_u64()),
        (Some(2), Some(3))
    );
    assert_eq!(
        page["sessions"][0]["replay_id"],
        replay_id("b1", d + day + 11 * h)
    );
    // Each session's events behind the point, oldest first.
    let moments: Vec<&str> = page["sessions"][2]["moments"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["event_type"].as_str().unwrap())
        .collect();
    assert_eq!(moments, ["View", "Add to cart", "Checkout"]);
    // Only those with replays when asked.
    let page = microscope(&app, "funnel", funnel.clone(), json!({"step": 2}), true).await;
    assert_eq!(
        listed(&page),
        vec![
            (format!("b1/{}", d + day + 11 * h), 1, true),
            (format!("a1/{}", d + 10 * h), 3, true),
        ]
    );
    // The moment a replay starts at: the first event behind the point in that session.
    assert_eq!(page["sessions"][1]["moment_ms"], d + 10 * h);
    // Dropped at Add to cart: carol and erin, at their View.
    let page = microscope(
        &app,
        "funnel",
        funnel,
        json!({"step": 1, "part": "dropped"}),
        false,
    )
    .await;
    assert_eq!(
        listed(&page),
        vec![
            (format!("e1/{}", d + 15 * h), 1, false),
            (format!("c1/{}", d + 13 * h), 1, false),
        ]
    );
    // A segmentation bar: the Views of day 2 (erin's second device).
    let page = microscope(
        &app,
        "segmentation",
        json!({"kind": "segmentation", "events": [view()], "start": DAY1, "end": DAY2}),
        json!({"event_index": 0, "bucket_ms": d + day}),
        false,
    )
    .await;
    assert_eq!(
        listed(&page),
        vec![(format!("e2/{}", d + 33 * h), 1, false)]
    );
    // Pages: one session a page, each page continuing the last.
    let mut cursor: Option<String> = None;
    let mut seen = Vec::new();
    loop {
        let mut body = json!({"chart": {"kind": "segmentation", "events": [view()], "start": DAY1, "end": DAY2},
                              "point": {"event_index": 0}, "limit": 4});
        if let Some(c) = &cursor {
            body["cursor"] = json!(c);
        }
        let (status, page) = app
            .send(
                reqwest::Method::POST,
                "/charts/segmentation/sessions",
                Some(&body),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{page}");
        seen.extend(listed(&page));
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_owned()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 7, "{seen:?}");
}

#[tokio::test]
async fn charts_refuse_what_they_cannot_answer() {
    let app = TestApp::spawn().await;
    // (path, body, words of the error)
    let cases: Vec<(&str, Value, &str)> = vec![
        (
            "/charts/funnel",
            json!({"steps": [view()]}),
            "2 to 10 steps",
        ),
        (
            "/charts/segmentation",
            json!({"events": []}),
            "1 to 10 events",
        ),
        (
            "/charts/segmentation",
            json!({"events": [view()], "measure": "property"}),
            "needs `property`",
        ),
        (
            "/charts/segmentation",
            json!({"events": [view()], "interval": "hour", "start": "2020-01-01", "end": "2021-01-01"}),
            "intervals",
        ),
        (
            "/charts/funnel",
            json!({"steps": [view(), view()], "conversion_window_ms": 0}),
            "1 s to 366 days",
        ),
        ("/charts/journeys", json!({}), "start_event or end_event"),
        (
            "/charts/segmentation",
            json!({"events": [view()], "colour": "red"}),
            "unknown field",
        ),
        (
            "/charts/funnel/sessions",
            json!({"chart": {"kind": "segmentation", "events": [view()]}, "point": {}}),
            "the URL says",
        ),
        (
            "/charts/funnel/sessions",
            json!({"chart": {"kind": "funnel", "steps": [view(), view()]}, "point": {"step": 0, "part": "dropped"}}),
            "nobody drops off",
        ),
        (
            "/charts/segmentation/sessions",
            json!({"chart": {"kind": "segmentation", "events": [view()]}, "point": {"bucket_ms": 5}}),
            "not the start",
        ),
    ];
    for (path, body, words) in cases {
        let (status, answer) = app.send(reqwest::Method::POST, path, Some(&body)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path} {body}: {answer}");
        let message = answer["error"]["message"].as_str().unwrap_or_default();
        assert!(
            message.contains(words),
            "{path} {body}: {message:?} should say {words:?}"
        );
    }
}
