use super::*;
use crate::Event;

const T: i64 = 1_700_000_000_000;

fn el(id: i64, tag: &str, attrs: &str, children: &str) -> String {
    format!(
        r#"{{"type":2,"tagName":"{tag}","id":{id},"attributes":{{{attrs}}},"childNodes":[{children}]}}"#
    )
}

fn txt(id: i64, text: &str) -> String {
    format!(r#"{{"type":3,"id":{id},"textContent":"{text}"}}"#)
}

fn meta(ts: i64, href: &str) -> String {
    format!(
        r#"{{"type":4,"data":{{"href":"{href}","width":1280,"height":800}},"timestamp":{}}}"#,
        T + ts
    )
}

/// The test shop page: `body` (4) holding the elements the cases click on.
fn page() -> String {
    [
        el(
            10,
            "button",
            r#""id":"pay","data-testid":"pay""#,
            &el(11, "span", "", &txt(12, "Pay now")),
        ),
        el(20, "p", "", &txt(21, "Welcome to the shop")),
        el(
            30,
            "a",
            r#""href":"/report.pdf?token=1","download":"""#,
            &txt(31, "Report"),
        ),
        el(
            32,
            "a",
            r#""href":"https://docs.test/","target":"_blank""#,
            &txt(33, "Docs"),
        ),
        el(41, "label", r#""for":"email""#, &txt(42, "Email")),
        el(
            40,
            "input",
            r#""type":"text","id":"email","name":"email""#,
            "",
        ),
        el(50, "button", r#""class":"btn""#, &txt(51, "Apply")),
        el(60, "span", r#""class":"reel-mask""#, &txt(61, "*** ****")),
        el(
            70,
            "style",
            "",
            r#"{"type":3,"id":71,"textContent":"b { color: red }","isStyle":true}"#,
        ),
        el(80, "textarea", "", &txt(81, "typed secret")),
        el(
            90,
            "a",
            r#""href":"mailto:help@shop.test""#,
            &txt(91, "Mail us"),
        ),
        el(
            92,
            "div",
            r#""role":"button","aria-label":"Close dialog""#,
            &txt(93, "****"),
        ),
    ]
    .join(",")
}

fn snap(ts: i64) -> String {
    format!(
        r#"{{"type":2,"data":{{"node":{{"type":0,"id":1,"childNodes":[{{"type":2,"tagName":"html","id":2,"attributes":{{}},"childNodes":[{{"type":2,"tagName":"head","id":3,"attributes":{{}},"childNodes":[{}]}},{{"type":2,"tagName":"body","id":4,"attributes":{{}},"childNodes":[{}]}}]}}]}},"initialOffset":{{"top":0,"left":0}}}},"timestamp":{}}}"#,
        el(5, "title", "", &txt(6, "Shop")),
        page(),
        T + ts
    )
}

/// Meta + FullSnapshot of the test page at `ts`.
fn load(ts: i64, href: &str) -> Vec<String> {
    vec![meta(ts, href), snap(ts)]
}

fn inc(ts: i64, data: &str) -> String {
    format!(r#"{{"type":3,"data":{{{data}}},"timestamp":{}}}"#, T + ts)
}

fn click(ts: i64, id: i64, x: i64, y: i64) -> String {
    inc(
        ts,
        &format!(r#""source":2,"type":2,"id":{id},"x":{x},"y":{y}"#),
    )
}

fn mouse_move(ts: i64) -> String {
    inc(
        ts,
        r#""source":1,"positions":[{"x":1,"y":2,"id":4,"timeOffset":0}]"#,
    )
}

fn mutate(ts: i64) -> String {
    inc(
        ts,
        r#""source":0,"texts":[],"attributes":[{"id":20,"attributes":{"class":"open"}}],"removes":[],"adds":[]"#,
    )
}

fn add_text(ts: i64, id: i64, text: &str) -> String {
    inc(
        ts,
        &format!(
            r#""source":0,"texts":[],"attributes":[],"removes":[],"adds":[{{"parentId":20,"nextId":null,"node":{}}}]"#,
            txt(id, text)
        ),
    )
}

fn scroll(ts: i64) -> String {
    inc(ts, r#""source":3,"id":1,"x":0,"y":300"#)
}

fn input(ts: i64, id: i64, user_triggered: &str) -> String {
    inc(
        ts,
        &format!(r#""source":5,"id":{id},"text":"hunter2","isChecked":false{user_triggered}"#),
    )
}

fn blur(ts: i64, id: i64) -> String {
    inc(ts, &format!(r#""source":2,"type":6,"id":{id}"#))
}

/// A console record of string arguments, encoded as rrweb's console plugin does: each
/// argument JSON-stringified (so a string arrives with its quotes).
fn console(ts: i64, level: &str, args: &[&str]) -> String {
    let args: Vec<String> = args
        .iter()
        .map(|a| serde_json::to_string(&serde_json::to_string(a).unwrap()).unwrap())
        .collect();
    format!(
        r#"{{"type":6,"data":{{"plugin":"rrweb/console@1","payload":{{"level":"{level}","trace":["shop.js:1:1"],"payload":[{}]}}}},"timestamp":{}}}"#,
        args.join(","),
        T + ts
    )
}

fn request(ts: i64, method: &str, url: &str, status: i64, error: Option<&str>) -> String {
    let error = error.map_or(String::new(), |e| format!(r#","error":"{e}""#));
    format!(
        r#"{{"type":6,"data":{{"plugin":"rrweb/network@1","payload":{{"requests":[{{"name":"{url}","method":"{method}","status":{status},"startTime":1,"endTime":2,"duration":312.4,"initiatorType":"fetch"{error}}}]}}}},"timestamp":{}}}"#,
        T + ts
    )
}

fn run(events: &[String]) -> Vec<Output> {
    let mut a = Analyzer::new(Settings::default());
    for e in events {
        a.push(&Event::parse(e).expect("test events are valid"));
    }
    a.finish();
    a.drain()
}

/// Outputs as lines: facts as totals, then each other output.
fn render(outputs: &[Output]) -> Vec<String> {
    let mut facts = SessionSummary::default();
    let mut lines = Vec::new();
    for o in outputs {
        facts.add(o);
        let at = o.ts - T;
        match &o.item {
            Item::Count { .. } => {}
            Item::Url(u) => lines.push(format!("url {u}")),
            Item::Viewport { width, height } => lines.push(format!("viewport {width}x{height}")),
            Item::Event(e) => lines.push(format!(
                "@{at} {} | {}",
                e.kind.event_type(),
                e.display_name
            )),
            Item::ScreenText(t) => lines.push(format!("text {t}")),
            Item::ConsoleText { level, text } => lines.push(format!("console {level} {text}")),
        }
    }
    for (fact, n) in facts.facts.iter().filter(|(_, n)| *n > 0) {
        lines.push(format!("{}={n}", fact.name()));
    }
    lines
}

/// One signal case: every `expect` line is among the rendered outputs, no `forbid` line
/// is, and a `forbid` ending in `*` forbids every line starting with it.
fn check(name: &str, events: &[String], expect: &[&str], forbid: &[&str]) {
    let lines = render(&run(events));
    for want in expect {
        assert!(
            lines.iter().any(|l| l == want),
            "{name}: missing {want:?} in {lines:#?}"
        );
    }
    for bad in forbid {
        let hit = match bad.strip_suffix('*') {
            Some(prefix) => lines.iter().any(|l| l.starts_with(prefix)),
            None => lines.iter().any(|l| l == bad),
        };
        assert!(!hit, "{name}: unexpected {bad:?} in {lines:#?}");
    }
}

fn stream(parts: &[Vec<String>]) -> Vec<String> {
    parts.concat()
}

#[test]
fn signal_cases() {
    let home = || load(0, "https://shop.test/checkout?step=2#pay");
    /// (name, events, lines expected, lines forbidden)
    type Case<'a> = (&'a str, Vec<String>, Vec<&'a str>, Vec<&'a str>);
    let cases: Vec<Case<'_>> = vec![
        (
            "three quick clicks 40 px apart are not rage",
            stream(&[
                home(),
                vec![
                    click(100, 20, 100, 100),
                    click(300, 20, 140, 100),
                    click(500, 20, 180, 100),
                ],
            ]),
            vec!["click_count=3"],
            vec!["rage_click_count*", "@100 [reel] Rage Click*"],
        ),
        (
            "three clicks within 30 px and 1 s are one rage click",
            stream(&[
                home(),
                vec![
                    click(100, 12, 100, 100),
                    click(600, 12, 110, 100),
                    click(1500, 12, 110, 120),
                    mutate(1600),
                ],
            ]),
            vec![
                "rage_click_count=1",
                "@100 [reel] Rage Click | Rage clicked 'Pay now' button",
                "click_count=3",
            ],
            vec!["dead_click_count*"],
        ),
        (
            "a slow third click ends the burst",
            stream(&[
                home(),
                vec![
                    click(100, 20, 100, 100),
                    click(600, 20, 100, 100),
                    click(1700, 20, 100, 100),
                ],
            ]),
            vec!["click_count=3"],
            vec!["rage_click_count*"],
        ),
        (
            "five clicks are still one rage click",
            stream(&[
                home(),
                (0..5)
                    .map(|i| click(100 + i * 200, 20, 100 + i, 100))
                    .collect(),
            ]),
            vec!["rage_click_count=1"],
            vec![],
        ),
        (
            "a click followed by a mutation after 2 s is not dead",
            stream(&[
                home(),
                vec![click(100, 11, 5, 5), mutate(2100), mouse_move(9000)],
            ]),
            vec!["@100 [reel] Element Clicked | Clicked 'Pay now' button"],
            vec!["dead_click_count*", "@100 [reel] Dead Click*"],
        ),
        (
            "after 3 s with nothing it is dead",
            stream(&[home(), vec![click(100, 11, 5, 5), mouse_move(3100)]]),
            vec![
                "dead_click_count=1",
                "@100 [reel] Dead Click | Dead click on 'Pay now' button",
            ],
            vec![],
        ),
        (
            "the data ending inside the window is not dead",
            stream(&[home(), vec![click(100, 11, 5, 5), mouse_move(1000)]]),
            vec![],
            vec!["dead_click_count*"],
        ),
        (
            "a mutation at the window's end keeps it alive",
            stream(&[
                home(),
                vec![click(100, 11, 5, 5), mutate(2600), mouse_move(5000)],
            ]),
            vec![],
            vec!["dead_click_count*"],
        ),
        (
            "a mutation just after the window does not",
            stream(&[home(), vec![click(100, 11, 5, 5), mutate(2601)]]),
            vec!["dead_click_count=1"],
            vec![],
        ),
        (
            "a click on plain text is never dead",
            stream(&[home(), vec![click(100, 21, 5, 5), mouse_move(5000)]]),
            vec!["@100 [reel] Element Clicked | Clicked 'Welcome to the shop' p"],
            vec!["dead_click_count*"],
        ),
        (
            "download links, new-tab links and mailto are not dead",
            stream(&[
                home(),
                vec![
                    click(100, 31, 5, 5),
                    click(5000, 33, 50, 5),
                    click(10_000, 91, 90, 5),
                    mouse_move(20_000),
                ],
            ]),
            vec!["@100 [reel] Element Clicked | Clicked 'Report' link"],
            vec!["dead_click_count*"],
        ),
        (
            "clicking a field or its label is not dead",
            stream(&[
                home(),
                vec![
                    click(100, 40, 5, 5),
                    click(5000, 42, 50, 5),
                    mouse_move(20_000),
                ],
            ]),
            vec![
                "@100 [reel] Element Clicked | Clicked 'Email' field",
                "@5000 [reel] Element Clicked | Clicked 'Email' label",
            ],
            vec!["dead_click_count*"],
        ),
        (
            "a scroll within 100 ms keeps it alive, a later one does not",
            stream(&[
                home(),
                vec![
                    click(100, 51, 5, 5),
                    scroll(200),
                    click(5000, 51, 5, 5),
                    scroll(5101),
                    mouse_move(9000),
                ],
            ]),
            vec![
                "dead_click_count=1",
                "@5000 [reel] Dead Click | Dead click on 'Apply' button",
            ],
            vec!["@100 [reel] Dead Click*"],
        ),
        (
            "a navigation within the window keeps it alive",
            stream(&[
                home(),
                vec![click(100, 11, 5, 5)],
                load(900, "https://shop.test/done"),
                vec![mouse_move(9000)],
            ]),
            vec![
                "page_view_count=2",
                "@900 [reel] Page Viewed | Viewed /done",
            ],
            vec!["dead_click_count*"],
        ),
        (
            "a rage burst on a dead button is one rage and one dead click",
            stream(&[
                home(),
                vec![
                    click(100, 12, 100, 100),
                    click(300, 12, 100, 100),
                    click(500, 12, 100, 100),
                    mouse_move(9000),
                ],
            ]),
            vec![
                "rage_click_count=1",
                "dead_click_count=1",
                "@100 [reel] Dead Click | Dead click on 'Pay now' button",
            ],
            vec![],
        ),
        (
            "a click whose handler throws is an error click",
            stream(&[
                home(),
                vec![
                    click(100, 51, 5, 5),
                    console(
                        150,
                        "error",
                        &["promo code service returned an invalid response"],
                    ),
                    console(300, "error", &["Uncaught Error: Cannot apply promo code"]),
                    mutate(400),
                ],
            ]),
            vec![
                "error_click_count=1",
                "runtime_error_count=1",
                "console_error_count=2",
                "@100 [reel] Error Click | Error after clicking 'Apply' button",
                "@300 [reel] Runtime Error | Runtime error: Uncaught Error: Cannot apply promo code",
                "@150 [reel] Console Error | Console error: promo code service returned an invalid response",
            ],
            vec!["dead_click_count*"],
        ),
        (
            "an error 1.5 s after the click is not an error click",
            stream(&[
                home(),
                vec![
                    click(100, 51, 5, 5),
                    mutate(200),
                    console(1600, "error", &["Uncaught TypeError: x is undefined"]),
                ],
            ]),
            vec!["runtime_error_count=1"],
            vec!["error_click_count*"],
        ),
        (
            "a console.error is not a runtime error",
            stream(&[
                home(),
                vec![
                    click(100, 51, 5, 5),
                    mutate(150),
                    console(200, "error", &["Error: failed to load", "{\"code\":7}"]),
                ],
            ]),
            vec![
                "console_error_count=1",
                "@200 [reel] Console Error | Console error: Error: failed to load {\"code\":7}",
            ],
            vec!["runtime_error_count*", "error_click_count*"],
        ),
        (
            "unhandled rejections and opaque errors are runtime errors",
            stream(&[
                home(),
                vec![
                    console(
                        100,
                        "error",
                        &["Uncaught (in promise) TypeError: Failed to fetch"],
                    ),
                    console(200, "error", &["Uncaught (in promise)", "nope"]),
                    console(300, "error", &["Script error."]),
                ],
            ]),
            vec!["runtime_error_count=3", "console_error_count=3"],
            vec!["[reel] Console Error*"],
        ),
        (
            "an error is attributed to the latest click only",
            stream(&[
                home(),
                vec![
                    click(100, 51, 5, 5),
                    click(2000, 12, 300, 300),
                    console(2100, "error", &["Uncaught Error: x"]),
                    console(2200, "error", &["Uncaught Error: y"]),
                    mutate(2300),
                ],
            ]),
            vec![
                "error_click_count=1",
                "@2000 [reel] Error Click | Error after clicking 'Pay now' button",
            ],
            vec!["@100 [reel] Error Click*"],
        ),
        (
            "console levels",
            stream(&[
                home(),
                vec![
                    console(100, "log", &["hello"]),
                    console(110, "info", &["fyi"]),
                    console(120, "warn", &["careful"]),
                    console(130, "debug", &["dbg"]),
                    console(140, "log", &["hello"]),
                ],
            ]),
            vec![
                "console_log_count=4",
                "console_warn_count=1",
                "console log hello",
                "console warn careful",
            ],
            vec!["console_error_count*"],
        ),
        (
            "network errors: 5xx, 4xx, status 0 with an error; not 2xx",
            stream(&[
                home(),
                vec![
                    request(
                        100,
                        "post",
                        "https://shop.test/api/checkout?card=4242",
                        502,
                        None,
                    ),
                    request(200, "GET", "https://shop.test/api/cart", 200, None),
                    request(
                        300,
                        "GET",
                        "https://cdn.test/x.js?v=1#a",
                        0,
                        Some("TypeError: Failed to fetch"),
                    ),
                    request(400, "GET", "https://shop.test/missing", 404, None),
                ],
            ]),
            vec![
                "network_error_count=3",
                "@100 [reel] Network Error | Request failed: POST /api/checkout (502)",
                "@300 [reel] Network Error | Request failed: GET /x.js",
            ],
            vec!["@200 [reel] Network Error*"],
        ),
        (
            "URLs lose their query string and fragment",
            stream(&[
                home(),
                load(5000, "https://shop.test/checkout?step=3"),
                load(9000, "https://shop.test/cart#top"),
            ]),
            vec![
                "url https://shop.test/checkout",
                "url https://shop.test/cart",
                "page_view_count=3",
                "viewport 1280x800",
            ],
            vec!["url https://shop.test/checkout?step=2#pay"],
        ),
        (
            "a Meta repeating the URL (a checkout) is not a page view",
            stream(&[
                load(0, "https://shop.test/a"),
                load(300_000, "https://shop.test/a"),
            ]),
            vec!["page_view_count=1"],
            vec!["@300000 [reel] Page Viewed*"],
        ),
        (
            "active time counts gaps up to the idle threshold",
            stream(&[vec![
                mouse_move(0),
                mouse_move(1000),
                scroll(2000),
                mouse_move(7001),
                mouse_move(8001),
                mouse_move(8001),
            ]]),
            vec!["active_ms=3000", "mouse_activity_count=5"],
            vec![],
        ),
        (
            "a gap of exactly the threshold is active",
            stream(&[vec![mouse_move(0), mouse_move(5000)]]),
            vec!["active_ms=5000"],
            vec![],
        ),
        (
            "typing is one Element Changed per run, never the value",
            stream(&[
                home(),
                vec![
                    input(100, 40, ""),
                    input(200, 40, ""),
                    input(300, 40, r#","userTriggered":true"#),
                    input(350, 40, r#","userTriggered":false"#),
                    blur(400, 40),
                    input(500, 80, ""),
                ],
            ]),
            vec![
                "keypress_count=4",
                "@300 [reel] Element Changed | Changed 'Email' field",
                "@500 [reel] Element Changed | Changed field",
            ],
            vec!["*hunter2*"],
        ),
        (
            "on-screen text: visible, masked, hidden, typed",
            stream(&[
                home(),
                vec![
                    add_text(100, 200, "Free shipping today"),
                    add_text(200, 201, "Welcome to the shop"),
                    add_text(300, 202, "** ***"),
                ],
            ]),
            vec![
                "text Pay now",
                "text Welcome to the shop",
                "text Report",
                "text Free shipping today",
            ],
            vec![
                "text Shop",
                "text b { color: red }",
                "text typed secret",
                "text *** ****",
                "text ** ***",
                "text ****",
            ],
        ),
        (
            "masked text never labels an element",
            stream(&[
                home(),
                vec![click(100, 61, 5, 5), click(5000, 93, 50, 50), mutate(5100)],
            ]),
            vec![
                "@100 [reel] Element Clicked | Clicked span",
                "@5000 [reel] Element Clicked | Clicked 'Close dialog' button",
            ],
            vec!["@100 [reel] Element Clicked | Clicked '*"],
        ),
    ];
    for (name, events, expect, forbid) in &cases {
        check(name, events, expect, forbid);
    }
}

/// Console records as @rrweb/rrweb-plugin-console-record 2.1.1 emitted them in Chromium
/// for: `console.error("...")`, `console.error(new Error(...))`, `console.error` of text
/// starting with "Uncaught-", an uncaught throw, an unhandled rejection with an `Error`,
/// and one with a plain value.
#[test]
fn real_console_plugin_records() {
    let payloads = [
        r#"{"level":"error","trace":["file:///tmp/uncaught/rec.html:7:34"],"payload":["\"promo code service returned an invalid response for code \\\"X\\\"\""]}"#,
        r#"{"level":"error","trace":["file:///tmp/uncaught/rec.html:8:34"],"payload":["\"Error: caught and logged\\n    at file:///tmp/uncaught/rec.html:8:40\\nEnd of stack for Error object\""]}"#,
        r#"{"level":"error","trace":["file:///tmp/uncaught/rec.html:9:34"],"payload":["\"Uncaught-looking text from the app\""]}"#,
        r#"{"level":"error","trace":["file:///tmp/uncaught/rec.html:10:32"],"payload":["\"Uncaught Error: Cannot apply promo code\""]}"#,
        r#"{"level":"error","trace":["file:///tmp/uncaught/rec.html:11:41"],"payload":["\"Uncaught (in promise) TypeError: Failed to fetch\""]}"#,
        r#"{"level":"error","trace":["unhandledrejectionHandler (file:///tmp/uncaught/plugin.js:420:17)"],"payload":["\"Uncaught (in promise)\"","\"plain reason\""]}"#,
    ];
    let events: Vec<String> = payloads
        .iter()
        .enumerate()
        .map(|(i, p)| {
            format!(
                r#"{{"type":6,"data":{{"plugin":"rrweb/console@1","payload":{p}}},"timestamp":{}}}"#,
                T + i as i64
            )
        })
        .collect();
    check(
        "real console plugin records",
        &events,
        &[
            "console_error_count=6",
            "runtime_error_count=3",
            "@0 [reel] Console Error | Console error: promo code service returned an invalid response for code \"X\"",
            "@1 [reel] Console Error | Console error: Error: caught and logged at file:///tmp/uncaught/rec.html:8:40 End of stack for…",
            "console error Error: caught and logged at file:///tmp/uncaught/rec.html:8:40 End of stack for Error object",
            "@2 [reel] Console Error | Console error: Uncaught-looking text from the app",
            "@3 [reel] Runtime Error | Runtime error: Uncaught Error: Cannot apply promo code",
            "@4 [reel] Runtime Error | Runtime error: Uncaught (in promise) TypeError: Failed to fetch",
            "@5 [reel] Runtime Error | Runtime error: Uncaught (in promise) plain reason",
            "console error Uncaught (in promise) plain reason",
        ],
        &[],
    );
}

#[test]
fn element_properties() {
    let events = stream(&[
        load(0, "https://shop.test/checkout?x=1"),
        vec![click(100, 11, 12, 34), mutate(200)],
    ]);
    let outputs = run(&events);
    let clicked = outputs
        .iter()
        .find_map(|o| match &o.item {
            Item::Event(e) if e.kind == DerivedKind::ElementClicked => Some(e.clone()),
            _ => None,
        })
        .expect("a click");
    let props = serde_json::to_value(&clicked.properties).unwrap();
    assert_eq!(
        props,
        serde_json::json!({
            "[reel] Element Tag": "button",
            "[reel] Element Text": "Pay now",
            "[reel] Element ID": "pay",
            "[reel] Element Selector": "button#pay",
            "[reel] Element Test ID": "pay",
            "[reel] Element Label": "Pay now",
            "[reel] Element Interactive": true,
            "[reel] Page URL": "https://shop.test/checkout",
            "[reel] X": 12,
            "[reel] Y": 34,
        })
    );
    assert_eq!(clicked.id, format!("element-clicked:{}:10:0", T + 100));
    assert_eq!(clicked.node_id, Some(10));
}

#[test]
fn rage_click_properties() {
    let events = stream(&[
        load(0, "https://shop.test/"),
        vec![
            click(100, 12, 100, 100),
            click(300, 12, 101, 100),
            click(700, 12, 102, 100),
            mutate(800),
        ],
    ]);
    let rage = run(&events)
        .into_iter()
        .find_map(|o| match o.item {
            Item::Event(e) if e.kind == DerivedKind::RageClick => Some((o.ts, e)),
            _ => None,
        })
        .expect("a rage click");
    assert_eq!(rage.0, T + 100);
    let p = &rage.1.properties;
    assert_eq!(p["[reel] Click Count"], 3);
    assert_eq!(p["[reel] Begin Time"], T + 100);
    assert_eq!(p["[reel] End Time"], T + 700);
    assert_eq!(p["[reel] Duration"], 600);
    assert_eq!(p["[reel] Element Tag"], "button");
}

/// A longer session touching every signal, for the contract tests.
fn session() -> Vec<String> {
    stream(&[
        load(0, "https://shop.test/?a=1"),
        vec![
            mouse_move(50),
            click(100, 12, 100, 100),
            click(300, 12, 100, 100),
            click(500, 12, 100, 100),
            input(700, 40, ""),
            input(800, 40, ""),
            console(900, "error", &["Uncaught Error: x"]),
            add_text(1000, 300, "Thanks"),
            request(1100, "GET", "https://shop.test/api", 500, None),
            mouse_move(4000),
            click(4100, 51, 5, 5),
            scroll(4150),
            mouse_move(12_000),
        ],
        load(12_500, "https://shop.test/cart"),
        vec![
            click(13_000, 11, 5, 5),
            click(13_000, 51, 50, 50),
            console(13_000, "warn", &["w"]),
            mouse_move(16_000),
            click(17_000, 21, 5, 5),
            mutate(17_100),
        ],
        load(20_000, "https://shop.test/cart"),
        vec![click(20_500, 12, 9, 9), mouse_move(21_000)],
    ])
}

fn parsed(events: &[String]) -> Vec<Event> {
    events.iter().map(|e| Event::parse(e).unwrap()).collect()
}

#[test]
fn drains_are_final_ordered_and_do_not_change_the_result() {
    let events = parsed(&session());
    let mut whole = Analyzer::new(Settings::default());
    for e in &events {
        whole.push(e);
    }
    whole.finish();
    let all_at_once = whole.drain();
    assert!(all_at_once.windows(2).all(|w| w[0].ts <= w[1].ts));

    for split in 0..=events.len() {
        let mut a = Analyzer::new(Settings::default());
        let mut got = Vec::new();
        let mut settled = i64::MIN;
        for (i, e) in events.iter().enumerate() {
            a.push(e);
            if i + 1 == split || i % 3 == 0 {
                let s = a.settled_until();
                assert!(s >= settled, "settled_until went back");
                let batch = a.drain();
                assert!(batch.iter().all(|o| o.ts >= settled && o.ts < s));
                settled = s;
                got.extend(batch);
            }
        }
        a.finish();
        assert_eq!(a.settled_until(), i64::MAX);
        let rest = a.drain();
        assert!(rest.iter().all(|o| o.ts >= settled));
        got.extend(rest);
        assert_eq!(got, all_at_once, "split at {split}");
    }
}

#[test]
fn resuming_from_a_meta_gives_the_same_later_outputs() {
    let events = parsed(&session());
    let mut whole = Analyzer::new(Settings::default());
    let mut saved_points = Vec::new();
    let mut outputs = Vec::new();
    for e in &events {
        whole.push(e);
        saved_points.push(whole.settled_until());
        outputs.extend(whole.drain());
    }
    whole.finish();
    outputs.extend(whole.drain());
    let metas: Vec<usize> = events
        .iter()
        .enumerate()
        .filter(|(_, e)| e.kind == crate::EventType::Meta)
        .map(|(i, _)| i)
        .collect();
    let mut checked = 0;
    for &saved in &saved_points {
        // The server feeds from the last Meta strictly before the saved point.
        let Some(&start) = metas.iter().rev().find(|&&i| events[i].timestamp < saved) else {
            continue;
        };
        let mut resumed = Analyzer::new(Settings::default());
        for e in &events[start..] {
            resumed.push(e);
        }
        resumed.finish();
        let again: Vec<Output> = resumed
            .drain()
            .into_iter()
            .filter(|o| o.ts >= saved)
            .collect();
        let want: Vec<Output> = outputs.iter().filter(|o| o.ts >= saved).cloned().collect();
        assert_eq!(again, want, "resumed from event {start} with saved {saved}");
        checked += 1;
    }
    assert!(checked > 5);
}

#[test]
fn json_texts_entry_matches_events() {
    let texts = session();
    let via_texts = analyze_json_texts(texts.iter().map(String::as_str), Settings::default());
    assert_eq!(via_texts, run(&texts));
    let mut facts = SessionSummary::default();
    via_texts.iter().for_each(|o| facts.add(o));
    assert_eq!(facts.first_url.as_deref(), Some("https://shop.test/"));
    assert_eq!(facts.urls, ["https://shop.test/", "https://shop.test/cart"]);
    assert_eq!(facts.viewport, Some((1280, 800)));
    assert_eq!(facts.get(Fact::PageViewCount), 2);
    assert_eq!(facts.get(Fact::RageClickCount), 1);
    assert_eq!(facts.get(Fact::ErrorClickCount), 1);
    assert_eq!(facts.get(Fact::NetworkErrorCount), 1);
    // Not events: skipped.
    assert!(analyze_json_texts(["nope", "{}", "[]"], Settings::default()).is_empty());
}

#[test]
fn derived_event_ids_are_unique_and_stable() {
    let outputs = run(&session());
    let ids: Vec<&str> = outputs
        .iter()
        .filter_map(|o| match &o.item {
            Item::Event(e) => Some(e.id.as_str()),
            _ => None,
        })
        .collect();
    let mut unique = ids.clone();
    unique.sort_unstable();
    unique.dedup();
    assert_eq!(unique.len(), ids.len(), "{ids:#?}");
    assert!(ids.contains(&format!("element-clicked:{}:50:0", T + 13_000).as_str()));
}
