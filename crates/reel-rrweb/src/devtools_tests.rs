use super::*;
use crate::model::{Data, Incremental, Plugin, parse_event};

/// Everything a console record gives its readers, on one line.
fn console_line(record: &ConsoleRecord<'_>) -> String {
    let trace: Vec<String> = record.trace.iter().map(Recorded::text).collect();
    format!(
        "{} | {} {:?} | {} | {} | {} | {}",
        record.level(),
        record.level_key(),
        record.severity(),
        record.message(),
        record.message_prefix(24),
        trace.join(", "),
        if record.is_runtime_error() {
            "runtime error"
        } else {
            "-"
        }
    )
}

/// One console record object (the plugin's payload) and what is read from it.
fn check_console(payload: &str, expect: &str) {
    let record = parse_console(&mut Parser::new(payload)).expect("valid JSON");
    assert_eq!(console_line(&record), expect, "{payload}");
}

#[test]
fn console_records() {
    let cases = [
        (
            r#"{"level":"log","payload":["\"hello\"","42"],"trace":["a.js:1:2"]}"#,
            "log | log Log | hello 42 | hello 42 | a.js:1:2 | -",
        ),
        (
            r#"{"level":"WARN","payload":["\"careful\""]}"#,
            "WARN | warn Warning | careful | careful |  | -",
        ),
        ("{}", "log | log Log |  |  |  | -"),
        (
            r#"{"level":5,"payload":"no list","trace":"no list"}"#,
            "log | log Log |  |  |  | -",
        ),
        (
            r#"{"level":"assert","payload":["\"x\""]}"#,
            "assert | assert Error | x | x |  | -",
        ),
        (
            r#"{"level":"error","payload":["\"Uncaught TypeError: x is undefined\""]}"#,
            "error | error Error | Uncaught TypeError: x is undefined | Uncaught TypeError: x is |  | runtime error",
        ),
        (
            r#"{"level":"error","payload":["\"Uncaught (in promise)\"","\"nope\""]}"#,
            "error | error Error | Uncaught (in promise) nope | Uncaught (in promise) no |  | runtime error",
        ),
        (
            r#"{"level":"error","payload":["\"Script error.\""]}"#,
            "error | error Error | Script error. | Script error. |  | runtime error",
        ),
        (
            r#"{"level":"warn","payload":["\"Uncaught Error: only a warning\""]}"#,
            "warn | warn Warning | Uncaught Error: only a warning | Uncaught Error: only a w |  | -",
        ),
        (
            r#"{"level":"error","payload":["\"Uncaught-looking text\""]}"#,
            "error | error Error | Uncaught-looking text | Uncaught-looking text |  | -",
        ),
        // Values that are not strings: compact JSON (keys sorted) for the timeline, as
        // written for the analyzer.
        (
            r#"{"payload":[{"b":1, "a":2}, null, 1.50]}"#,
            r#"log | log Log | {"a":2,"b":1} null 1.5 | {"b":1, "a":2} null 1.50 |  | -"#,
        ),
        // A string that is not one JSON string is shown as recorded (the analyzer reads only
        // the JSON string at its start).
        (
            r#"{"payload":["\"a\" b","plain","\"\\ud800\""]}"#,
            "log | log Log | \"a\" b plain \"\\ud800\" | a plain \u{fffd} |  | -",
        ),
        // Whitespace is collapsed for the analyzer only.
        (
            r#"{"payload":["\"two\\n  lines\""]}"#,
            "log | log Log | two\n  lines | two lines |  | -",
        ),
        // An argument much longer than the analyzer's budget is read in part, so it keeps
        // its quote and escapes there.
        (
            r#"{"payload":["\"a long line\\nthat goes on and on, on and on, on and on, on and on\""]}"#,
            "log | log Log | a long line\nthat goes on and on, on and on, on and on, on and on | \"a long line\\nthat goes |  | -",
        ),
        (
            r#"{"trace":["a.js:1:2",null,7,{"f":1}]}"#,
            r#"log | log Log |  |  | a.js:1:2, , 7, {"f":1} | -"#,
        ),
    ];
    for (payload, expect) in cases {
        check_console(payload, expect);
    }
}

#[test]
fn console_lists_are_capped() {
    let args: Vec<String> = (0..100).map(|i| format!("\"\\\"{i}\\\"\"")).collect();
    let payload = format!(
        r#"{{"payload":[{}],"trace":[{}]}}"#,
        args.join(","),
        args.join(",")
    );
    let record = parse_console(&mut Parser::new(&payload)).unwrap();
    assert_eq!(record.args.len(), MAX_CONSOLE_ARGS);
    assert_eq!(record.trace.len(), MAX_STACK_FRAMES);
    assert!(record.message().ends_with(" 62 63"));
}

/// Everything a network request gives its readers, on one line.
fn request_line(r: &NetworkRequest<'_>) -> String {
    let text = |v: Option<Recorded<'_>>| v.map_or("-".to_owned(), |v| v.text());
    format!(
        "{} {} {:?} {:?} {} {} | error: {}{}",
        text(r.method),
        text(r.address()),
        r.status,
        r.duration,
        text(r.initiator_type),
        text(r.name),
        text(r.error),
        match (r.has_error(), r.is_error()) {
            (true, _) => " (recorded)",
            (false, true) => " (status)",
            (false, false) => "",
        }
    )
}

/// One network plugin payload and its requests.
fn check_network(payload: &str, expect: &[&str]) {
    let requests = parse_network(&mut Parser::new(payload)).expect("valid JSON");
    let lines: Vec<String> = requests.iter().map(request_line).collect();
    assert_eq!(lines, expect, "{payload}");
}

#[test]
fn network_requests() {
    let cases: &[(&str, &[&str])] = &[
        (
            // reel's SDK
            r#"{"requests":[{"name":"https://a.test/pay","method":"POST","status":503,"startTime":1,"endTime":181,"duration":180,"initiatorType":"fetch"}]}"#,
            &[
                "POST https://a.test/pay Some(503.0) Some(180.0) fetch https://a.test/pay | error: - (status)",
            ],
        ),
        (
            r#"{"requests":[{"name":"https://a.test/x","method":"GET","status":0,"error":"TypeError: Failed to fetch"}]}"#,
            &[
                "GET https://a.test/x Some(0.0) None - https://a.test/x | error: TypeError: Failed to fetch (recorded)",
            ],
        ),
        (
            // rrweb's plugin writes `url`; Resource Timing writes `responseStatus`.
            r#"{"requests":[{"url":"https://a.test/u","status":200},{"name":"https://a.test/r","responseStatus":404}]}"#,
            &[
                "- https://a.test/u Some(200.0) None - - | error: -",
                "- https://a.test/r Some(404.0) None - https://a.test/r | error: - (status)",
            ],
        ),
        (
            // `status` counts over `responseStatus`, whichever comes first.
            r#"{"requests":[{"responseStatus":500,"status":200},{"status":"500"}]}"#,
            &[
                "- - Some(200.0) None - - | error: -",
                "- - None None - - | error: -",
            ],
        ),
        (
            // `null` and `false` are no error; any other value is one.
            r#"{"requests":[{"status":200,"error":null},{"status":200,"error":false},{"status":200,"error":true},{"status":200,"error":{"b":1,"a":2}}]}"#,
            &[
                "- - Some(200.0) None - - | error: ",
                "- - Some(200.0) None - - | error: false",
                "- - Some(200.0) None - - | error: true (recorded)",
                r#"- - Some(200.0) None - - | error: {"a":2,"b":1} (recorded)"#,
            ],
        ),
        (
            r#"{"requests":[5,{"name":null,"url":"https://a.test/u","method":7}]}"#,
            // A `name` of `null` is an empty address, not a missing one.
            &["- - None None - - | error: -", "7  None None -  | error: -"],
        ),
        (r#"{"requests":"none","other":1}"#, &[]),
        ("[]", &[]),
    ];
    for (payload, expect) in cases {
        check_network(payload, expect);
    }
}

#[test]
fn events_carry_records_to_the_model() {
    let console = r#"{"type":6,"timestamp":1,"data":{"plugin":"rrweb/console@1","payload":{"level":"info","payload":["\"hi\""]}}}"#;
    let Some(Data::Plugin(Plugin::Console(record))) = parse_event(console, None, 0).map(|e| e.data)
    else {
        panic!("a console record");
    };
    assert_eq!(console_line(&record), "info | info Log | hi | hi |  | -");

    let log = r#"{"type":3,"timestamp":1,"data":{"payload":["\"old\""],"source":11,"level":"warn","trace":["x.js:1:1"]}}"#;
    let Some(Data::Incremental(Incremental::Log(record))) =
        parse_event(log, None, 0).map(|e| e.data)
    else {
        panic!("a log record");
    };
    assert_eq!(
        console_line(&record),
        "warn | warn Warning | old | old | x.js:1:1 | -"
    );

    let network = r#"{"type":6,"timestamp":1,"data":{"payload":{"requests":[{"name":"https://a.test/"}]},"plugin":"rrweb/network@1"}}"#;
    let Some(Data::Plugin(Plugin::Network(requests))) =
        parse_event(network, None, 0).map(|e| e.data)
    else {
        panic!("network requests");
    };
    assert_eq!(requests.len(), 1);

    let unnamed = r#"{"type":6,"timestamp":1,"data":{"plugin":"rrweb/console@1"}}"#;
    assert!(matches!(
        parse_event(unnamed, None, 0).map(|e| e.data),
        Some(Data::Plugin(Plugin::Other { .. }))
    ));
}
