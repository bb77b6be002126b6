//! The timeline as the server built it before it moved here (`routes/replays.rs`): these
//! cases pin that behaviour.

use super::*;

const T: i64 = 1_000_000;

fn event(at: i64, kind: u8, data: &str) -> String {
    format!(r#"{{"type":{kind},"data":{data},"timestamp":{}}}"#, T + at)
}

fn meta(at: i64, href: &str) -> String {
    event(
        at,
        4,
        &format!(r#"{{"href":"{href}","width":800,"height":600}}"#),
    )
}

/// An incremental snapshot of `source` (and more `data` fields).
fn inc(at: i64, source: &str, rest: &str) -> String {
    event(at, 3, &format!(r#"{{"source":{source}{rest}}}"#))
}

fn mouse_move(at: i64) -> String {
    inc(at, "1", r#","positions":[]"#)
}

fn console(at: i64, record: &str) -> String {
    event(
        at,
        6,
        &format!(r#"{{"plugin":"rrweb/console@1","payload":{record}}}"#),
    )
}

fn network(at: i64, requests: &str) -> String {
    event(
        at,
        6,
        &format!(r#"{{"plugin":"rrweb/network@1","payload":{{"requests":[{requests}]}}}}"#),
    )
}

fn custom(at: i64, data: &str) -> String {
    event(at, 5, data)
}

fn build(events: &[String], end_at: i64) -> Timeline {
    let mut builder = TimelineBuilder::new(T);
    for text in events {
        builder.push(&Event::parse(text).expect("test events are valid"));
    }
    builder.finish(T + end_at)
}

/// The timeline as lines: entries (times as offsets from `T`), then the lists that were cut.
fn render(t: &Timeline) -> Vec<String> {
    let at = |time_ms: i64, offset_ms: i64| {
        assert_eq!(time_ms - T, offset_ms, "the offset is from the start");
        format!("@{offset_ms}")
    };
    let mut lines = Vec::new();
    lines.extend(t.console.iter().map(|c| {
        let trace = c.trace.join(", ");
        let when = at(c.time_ms, c.offset_ms);
        format!("console {when} {} | {} | {trace}", c.level, c.message)
    }));
    lines.extend(t.network.iter().map(|n| {
        let failed = if n.failed { " failed" } else { "" };
        let (status, duration) = (n.status, n.duration_ms);
        let when = at(n.time_ms, n.offset_ms);
        let shown = format!("{} {} {status:?} {duration:?}", n.method, n.url);
        format!(
            "network {when} {shown} {:?} {:?}{failed}",
            n.initiator_type, n.error
        )
    }));
    lines.extend(t.custom.iter().map(|c| {
        let when = at(c.time_ms, c.offset_ms);
        format!("custom {when} {} {:?}", c.tag, c.payload)
    }));
    lines.extend(
        t.pages
            .iter()
            .map(|p| format!("page {} {}", at(p.time_ms, p.offset_ms), p.href)),
    );
    lines.extend(
        t.inactive
            .iter()
            .map(|s| format!("inactive {}..{}", s.start_ms - T, s.end_ms - T)),
    );
    let cut = &t.truncated;
    for (list, was_cut) in [
        ("console", cut.console),
        ("network", cut.network),
        ("custom", cut.custom),
        ("pages", cut.pages),
        ("inactive", cut.inactive),
    ] {
        if was_cut {
            lines.push(format!("truncated {list}"));
        }
    }
    lines
}

/// One case: the timeline of `events` up to `end_at` is exactly `expect`.
fn check(name: &str, events: &[String], end_at: i64, expect: &[&str]) {
    let timeline = build(events, end_at);
    assert_eq!(timeline.start_ms, T, "{name}");
    assert_eq!(timeline.end_ms, T + end_at, "{name}");
    assert_eq!(timeline.inactive_threshold_ms, INACTIVE_MS, "{name}");
    assert_eq!(render(&timeline), expect, "{name}");
}

#[test]
fn timeline_cases() {
    type Case<'a> = (&'a str, Vec<String>, i64, Vec<&'a str>);
    let cases: Vec<Case<'_>> = vec![
        (
            "console, network, pages, custom events and inactive stretches",
            vec![
                meta(0, "https://x.test/a"),
                event(1, 2, r#"{"node":{}}"#),
                mouse_move(2_000),
                console(
                    3_000,
                    r#"{"level":"warn","trace":["a.js:1:2"],"payload":["\"careful\"","42"]}"#,
                ),
                // Mutations are not activity.
                inc(20_000, "0", r#","adds":[]"#),
                network(
                    25_000,
                    r#"{"name":"https://x.test/api?k=1","method":"post","status":503,"duration":12.5},{"name":"https://x.test/ok","status":200}"#,
                ),
                // A checkout of the same page is not a page load; a new page is.
                event(26_000, 4, r#"{"href":"https://x.test/a"}"#),
                event(40_000, 4, r#"{"href":"https://x.test/b"}"#),
                custom(41_000, r#"{"tag":"checkout","payload":{"step":2}}"#),
                inc(45_000, "2", r#","type":2,"id":5"#),
            ],
            70_000,
            vec![
                "console @3000 warn | careful 42 | a.js:1:2",
                "network @25000 POST https://x.test/api?k=1 Some(503.0) Some(12.5) None None failed",
                "network @25000 GET https://x.test/ok Some(200.0) None None None",
                r#"custom @41000 checkout Some("{\"step\":2}")"#,
                "page @0 https://x.test/a",
                "page @40000 https://x.test/b",
                "inactive 2000..40000",
                "inactive 45000..70000",
            ],
        ),
        (
            "console records: level and values as recorded, stack frames as text",
            vec![
                console(
                    0,
                    r#"{"level":"WARN","payload":["\"Upper level\""],"trace":[null,5,{"f":1},"b.js:2:2"]}"#,
                ),
                console(1, r#"{"level":5,"payload":["\"numeric level\""]}"#),
                console(
                    2,
                    r#"{"level":"log","payload":["\"a\"",42,{"b":1,"a":2},null,true,[1,2.50],1e3]}"#,
                ),
                console(
                    3,
                    r#"{"payload":["\"a\" junk","  \"spaced\"  ","not json","\"\\ud800 lone\""]}"#,
                ),
                console(4, r#"{"level":"info","payload":"not a list","trace":"not a list"}"#),
                console(5, r#""not an object""#),
                console(6, r#"{"level":"log","payload":["\"tab\\there  and\\nnewline\""]}"#),
                // rrweb before 1.0: a console record in an incremental snapshot.
                inc(
                    7,
                    "11",
                    r#","level":"error","payload":["\"Uncaught Error: old\""],"trace":["old.js:1:1"]"#,
                ),
                event(8, 3, r#"{"level":"warn","payload":["\"late source\""],"source":11}"#),
            ],
            8,
            vec![
                "console @0 WARN | Upper level | , 5, {\"f\":1}, b.js:2:2",
                "console @1 log | numeric level | ",
                "console @2 log | a 42 {\"a\":2,\"b\":1} null true [1,2.5] 1000.0 | ",
                "console @3 log | \"a\" junk spaced not json \"\\ud800 lone\" | ",
                "console @4 info |  | ",
                "console @5 log |  | ",
                "console @6 log | tab\there  and\nnewline | ",
                "console @7 error | Uncaught Error: old | old.js:1:1",
                "console @8 warn | late source | ",
            ],
        ),
        (
            "network requests: what is shown and what failed",
            vec![network(
                0,
                &[
                    r#"{"url":"https://x.test/url-only","method":"GET","status":500}"#,
                    r#"{"name":"https://x.test/rs","responseStatus":404}"#,
                    r#"{"name":"https://x.test/status-first","responseStatus":500,"status":200}"#,
                    r#"{"name":"https://x.test/no-status"}"#,
                    r#"{"name":"https://x.test/status-text","status":"500"}"#,
                    r#"{"name":"https://x.test/err-null","status":200,"error":null}"#,
                    r#"{"name":"https://x.test/err-false","status":200,"error":false}"#,
                    r#"{"name":"https://x.test/err-object","status":200,"error":{"b":1,"a":"x"}}"#,
                    r#"{"name":"https://x.test/err","status":0,"error":"TypeError: Failed to fetch","initiatorType":"fetch"}"#,
                    r#"{"name":"https://x.test/s0","status":0}"#,
                    r#"{"name":"https://x.test/399","status":399.5,"duration":-5}"#,
                    r#"{"name":"https://x.test/m","method":"","status":200}"#,
                    r#"{"name":"https://x.test/m","method":null,"status":200}"#,
                    r#"{"name":"https://x.test/m","method":5,"status":200}"#,
                    r#"{"name":"https://x.test/m","method":"straße","status":200}"#,
                    r#"{"name":null,"url":"https://x.test/ignored","status":200}"#,
                    r#"{"name":5,"status":200,"initiatorType":7}"#,
                    "5",
                ]
                .join(","),
            )],
            0,
            vec![
                "network @0 GET https://x.test/url-only Some(500.0) None None None failed",
                "network @0 GET https://x.test/rs Some(404.0) None None None failed",
                "network @0 GET https://x.test/status-first Some(200.0) None None None",
                "network @0 GET https://x.test/no-status None None None None failed",
                "network @0 GET https://x.test/status-text None None None None failed",
                "network @0 GET https://x.test/err-null Some(200.0) None None Some(\"\") failed",
                "network @0 GET https://x.test/err-false Some(200.0) None None Some(\"false\") failed",
                "network @0 GET https://x.test/err-object Some(200.0) None None Some(\"{\\\"a\\\":\\\"x\\\",\\\"b\\\":1}\") failed",
                "network @0 GET https://x.test/err Some(0.0) None Some(\"fetch\") Some(\"TypeError: Failed to fetch\") failed",
                "network @0 GET https://x.test/s0 Some(0.0) None None None failed",
                "network @0 GET https://x.test/399 Some(399.5) Some(-5.0) None None",
                "network @0 GET https://x.test/m Some(200.0) None None None",
                "network @0 GET https://x.test/m Some(200.0) None None None",
                "network @0 5 https://x.test/m Some(200.0) None None None",
                "network @0 STRASSE https://x.test/m Some(200.0) None None None",
                "network @0 GET  Some(200.0) None None None",
                "network @0 GET 5 Some(200.0) None Some(\"7\") None",
                "network @0 GET  None None None None failed",
            ],
        ),
        (
            "network events without requests",
            vec![
                event(0, 6, r#"{"plugin":"rrweb/network@1","payload":{}}"#),
                event(1, 6, r#"{"plugin":"rrweb/network@1","payload":{"requests":"x"}}"#),
                event(2, 6, r#"{"plugin":"rrweb/network@1"}"#),
                event(3, 6, r#"{"plugin":"acme/other@1","payload":{"requests":[{}]}}"#),
            ],
            3,
            vec![],
        ),
        (
            "custom events: tag as text, payload as compact JSON",
            vec![
                custom(0, r#"{"tag":"checkout","payload":{"step":2,"b":[1.50,1e3],"a":"é"}}"#),
                custom(1, r#"{"tag":5,"payload":"x"}"#),
                custom(2, r#"{"tag":null}"#),
                custom(3, r#"{"payload":null}"#),
            ],
            3,
            vec![
                r#"custom @0 checkout Some("{\"a\":\"é\",\"b\":[1.5,1000.0],\"step\":2}")"#,
                r#"custom @1 5 Some("\"x\"")"#,
                "custom @2  None",
                r#"custom @3  Some("null")"#,
            ],
        ),
        (
            "pages: a new URL is a page load, a Meta without one too (once)",
            vec![
                meta(0, "https://x.test/a?q=1"),
                meta(1, "https://x.test/a?q=1"),
                meta(2, "https://x.test/b"),
                event(3, 4, "{}"),
                event(4, 4, r#"{"href":5}"#),
                meta(5, "https://x.test/a?q=1"),
            ],
            5,
            vec![
                "page @0 https://x.test/a?q=1",
                "page @2 https://x.test/b",
                "page @3 ",
                "page @5 https://x.test/a?q=1",
            ],
        ),
        (
            "activity: pointer, scroll, resize, input, touch, media and drag; nothing else",
            vec![
                mouse_move(0),
                inc(10_001, "0", r#","adds":[]"#),
                inc(10_002, "8", ""),
                inc(10_003, "9", ""),
                inc(10_004, "10", ""),
                inc(10_005, "13", ""),
                inc(10_006, "14", r#","ranges":[]"#),
                inc(10_007, "15", ""),
                inc(10_008, "16", ""),
                inc(10_009, "99", ""),
                inc(20_001, "2", r#","type":2,"id":1"#),
                inc(30_002, "3", r#","id":1,"x":0,"y":0"#),
                inc(40_003, "4", r#","width":100,"height":100"#),
                inc(50_004, "5", r#","id":1,"text":"x""#),
                inc(60_005, "6", r#","positions":[]"#),
                inc(70_006, "7", r#","type":0,"id":1"#),
                inc(80_007, "12", r#","positions":[]"#),
                // Exactly the threshold: not a stretch.
                mouse_move(90_007),
            ],
            100_007,
            vec![
                "inactive 0..20001",
                "inactive 20001..30002",
                "inactive 30002..40003",
                "inactive 40003..50004",
                "inactive 50004..60005",
                "inactive 60005..70006",
                "inactive 70006..80007",
            ],
        ),
        (
            "inactive from the first event to the first activity, and from the last one to the end",
            vec![
                event(0, 2, r#"{"node":{}}"#),
                console(5_000, r#"{"payload":["\"x\""]}"#),
                mouse_move(15_000),
            ],
            40_000,
            vec![
                "console @5000 log | x | ",
                "inactive 0..15000",
                "inactive 15000..40000",
            ],
        ),
        (
            "events out of order never move activity back",
            vec![mouse_move(30_000), mouse_move(0), mouse_move(45_000)],
            45_000,
            vec!["inactive 30000..45000"],
        ),
        ("no events: nothing, whatever the end", vec![], 60_000, vec![]),
    ];
    for (name, events, end_at, expect) in &cases {
        check(name, events, *end_at, expect);
    }
}

#[test]
fn texts_are_capped_in_characters() {
    let long = |c: &str| c.repeat(MAX_TIMELINE_TEXT + 500);
    let events = vec![
        event(
            0,
            4,
            &format!(r#"{{"href":"https://x.test/{}"}}"#, long("é")),
        ),
        console(
            1,
            &format!(
                r#"{{"level":"{}","payload":["\"{}\""],"trace":["{}"]}}"#,
                long("l"),
                long("m"),
                long("t")
            ),
        ),
        network(
            2,
            &format!(
                r#"{{"name":"https://x.test/{}","error":"{}","initiatorType":"{}"}}"#,
                long("u"),
                long("e"),
                long("i")
            ),
        ),
        custom(
            3,
            &format!(
                r#"{{"tag":"{}","payload":{{"k":"{}"}}}}"#,
                long("g"),
                long("v")
            ),
        ),
    ];
    let t = build(&events, 3);
    let is_capped =
        |text: &str| text.chars().count() == MAX_TIMELINE_TEXT + 1 && text.ends_with('…');
    assert!(is_capped(&t.pages[0].href));
    let c = &t.console[0];
    assert!(is_capped(&c.level) && is_capped(&c.message) && is_capped(&c.trace[0]));
    let n = &t.network[0];
    assert!(is_capped(&n.url) && n.error.as_deref().is_some_and(is_capped));
    // The initiator type is not capped.
    assert_eq!(
        n.initiator_type.as_ref().map(String::len),
        Some(MAX_TIMELINE_TEXT + 500)
    );
    let x = &t.custom[0];
    assert!(is_capped(&x.tag) && x.payload.as_deref().is_some_and(is_capped));
    assert!(
        x.payload
            .as_deref()
            .is_some_and(|p| p.starts_with(r#"{"k":"vvv"#))
    );
}

#[test]
fn stack_traces_keep_their_first_frames() {
    let frames: Vec<String> = (0..40).map(|i| format!("\"f{i}.js\"")).collect();
    let record = format!(r#"{{"payload":[],"trace":[{}]}}"#, frames.join(","));
    let t = build(&[console(0, &record)], 0);
    let want: Vec<String> = (0..MAX_TRACE_FRAMES).map(|i| format!("f{i}.js")).collect();
    assert_eq!(t.console[0].trace, want);
}

#[test]
fn every_list_is_capped_and_says_so() {
    let over = MAX_TIMELINE_ITEMS + 2;
    let mut events = Vec::new();
    for i in 0..over as i64 {
        // A page load and a stretch every 20 s, a console record, a custom event and a
        // request each.
        let at = i * 20_000;
        events.push(meta(at, &format!("https://x.test/{i}")));
        events.push(console(at + 1, r#"{"payload":["\"x\""]}"#));
        events.push(custom(at + 2, r#"{"tag":"t"}"#));
        events.push(network(
            at + 3,
            r#"{"name":"https://x.test/r","status":200}"#,
        ));
    }
    let t = build(&events, over as i64 * 20_000);
    assert_eq!(t.pages.len(), MAX_TIMELINE_ITEMS);
    assert_eq!(t.console.len(), MAX_TIMELINE_ITEMS);
    assert_eq!(t.custom.len(), MAX_TIMELINE_ITEMS);
    assert_eq!(t.network.len(), MAX_TIMELINE_ITEMS);
    assert_eq!(t.inactive.len(), MAX_TIMELINE_ITEMS);
    assert_eq!(
        t.truncated,
        TimelineTruncated {
            console: true,
            network: true,
            custom: true,
            pages: true,
            inactive: true,
        }
    );
    // The first entries are kept.
    assert_eq!(t.pages[0].href, "https://x.test/0");
    assert_eq!(
        t.inactive[0],
        Stretch {
            start_ms: T,
            end_ms: T + 20_000
        }
    );

    let t = build(&events[..8], 40_000);
    assert_eq!(t.truncated, TimelineTruncated::default());
}
