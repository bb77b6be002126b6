use super::*;

/// Events written as `M` (Meta), `S` (FullSnapshot) or `I` (incremental) and a timestamp:
/// `"M0 S0 I5"`.
fn events(spec: &str) -> Vec<Event> {
    spec.split_whitespace()
        .map(|e| {
            let kind = match &e[..1] {
                "M" => 4,
                "S" => 2,
                "I" => 3,
                other => panic!("unknown event kind {other}"),
            };
            let text = format!(r#"{{"type":{kind},"data":{{}},"timestamp":{}}}"#, &e[1..]);
            Event::parse(&text).expect("test events are valid")
        })
        .collect()
}

fn spec(events: &VecDeque<Event>) -> String {
    let names: Vec<String> = events
        .iter()
        .map(|e| {
            let kind = match e.kind {
                EventType::Meta => "M",
                EventType::FullSnapshot => "S",
                _ => "I",
            };
            format!("{kind}{}", e.timestamp)
        })
        .collect();
    names.join(" ")
}

/// Feeds `input` until the window says it is complete; `done_after` is how many events that
/// took (`None`: the input ran out first).
fn check(input: &str, from: i64, expect: &str, done_after: Option<usize>) {
    let mut window = KeyframeWindow::new(from);
    let mut taken = None;
    for (i, event) in events(input).into_iter().enumerate() {
        if window.push(event) {
            taken = Some(i + 1);
            break;
        }
    }
    assert_eq!(taken, done_after, "{input} from {from}: completed after");
    assert_eq!(spec(&window.into_events()), expect, "{input} from {from}");
}

#[test]
fn window_starts_at_the_latest_keyframe() {
    let cases: &[(&str, i64, &str, Option<usize>)] = &[
        ("M0 S0 I5 I12 I20", 10, "M0 S0 I5 I12", Some(4)),
        ("M0 S0 I5 M8 S8 I9 I12", 10, "M8 S8 I9 I12", Some(7)),
        // A Meta at `from` starts a keyframe; its snapshot may be later.
        ("M0 S0 M10 S11 I12 I13", 10, "M10 S11 I12", Some(5)),
        // A Meta after `from` ends the window like any event.
        ("M0 S0 I5 M12 S12", 10, "M0 S0 I5 M12", Some(4)),
        // Only a Meta directly followed by a FullSnapshot is a keyframe.
        ("M0 S0 M5 I6 S7 I12", 10, "M0 S0 M5 I6 S7 I12", Some(6)),
        ("M0 S0 I5 S7 I12", 10, "M0 S0 I5 S7 I12", Some(5)),
        // Nothing after `from`: everything from the latest keyframe.
        ("M0 S0 I5 M6 S6 I7", 10, "M6 S6 I7", None),
        ("I1 I2", 10, "I1 I2", None),
        // `from` before the first event: the first event completes it.
        ("M5 S5 I6", 0, "M5", Some(1)),
        ("", 10, "", None),
    ];
    for &(input, from, expect, done_after) in cases {
        check(input, from, expect, done_after);
    }
}

#[test]
fn events_after_completion_are_ignored() {
    let mut window = KeyframeWindow::new(10);
    let mut results = Vec::new();
    for event in events("M0 S0 I12 M20 S20 I21") {
        results.push(window.push(event));
    }
    assert_eq!(results, [false, false, true, true, true, true]);
    assert_eq!(spec(&window.into_events()), "M0 S0 I12");
}

#[test]
fn holds_at_most_one_keyframe_run() {
    let mut window = KeyframeWindow::new(i64::MAX - 1);
    let mut most = 0;
    for run in 0..100 {
        let at = run * 10;
        for event in events(&format!("M{at} S{at} I{} I{}", at + 1, at + 2)) {
            assert!(!window.push(event));
            most = most.max(window.held.len());
        }
    }
    // A run of four, and the next Meta until its snapshot shows it starts a keyframe.
    assert_eq!(most, 5);
    assert_eq!(spec(&window.into_events()), "M990 S990 I991 I992");
}
