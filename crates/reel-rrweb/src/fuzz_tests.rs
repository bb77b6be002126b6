//! A bounded fuzz / property test: random and mutated rrweb streams (fixed-seed PRNG, a few
//! seconds under `cargo test`) through model, mirror and analyzer.
//!
//! Properties: no panic; the mirror never exceeds its node cap and stays a well-linked forest;
//! `settled_until` never goes back; drained outputs are in timestamp order and never below an
//! earlier `settled_until`; feeding the same stream twice (with different drain points) gives
//! the same outputs.

use crate::Event;
use crate::signals::{Analyzer, Output, Settings};
use crate::test_support::{Rng, deep_snapshot};

/// A node id: mostly from a small pool, sometimes hostile.
fn id(r: &mut Rng) -> String {
    match r.below(20) {
        0 => "-7".into(),
        1 => "9223372036854775807".into(),
        2 => "1e300".into(),
        3 => "\"12\"".into(),
        4 => "null".into(),
        5 => "3.5".into(),
        6 => (2_000_000 + r.below(5)).to_string(),
        _ => (1 + r.below(40)).to_string(),
    }
}

fn text(r: &mut Rng) -> String {
    r.pick(&[
        "Pay now",
        "**** ****",
        "",
        "  \\n ",
        "caf\\u00e9 \\ud83d\\ude00",
        "\\ud800 lone",
        "Uncaught Error: boom",
        "<b>x</b>",
        "a\\\"quote",
    ])
    .to_string()
}

fn attrs(r: &mut Rng) -> String {
    let mut parts = Vec::new();
    for _ in 0..r.below(4) {
        let name = *r.pick(&[
            "id",
            "class",
            "role",
            "href",
            "download",
            "target",
            "type",
            "tabindex",
            "onclick",
            "aria-label",
            "for",
            "style",
            "_cssText",
            "value",
            "data-testid",
        ]);
        let value = match r.below(6) {
            0 => "null".to_owned(),
            1 => "true".to_owned(),
            2 => "{\"color\":\"red\"}".to_owned(),
            3 => "12".to_owned(),
            _ => format!("\"{}\"", text(r)),
        };
        parts.push(format!("\"{name}\":{value}"));
    }
    format!("{{{}}}", parts.join(","))
}

/// A random serialized node with up to `budget` descendants.
fn node(r: &mut Rng, budget: &mut u32, depth: u32) -> String {
    *budget = budget.saturating_sub(1);
    let kind = if depth == 0 { 0 } else { r.below(7) };
    let tag = *r.pick(&[
        "div", "button", "a", "span", "input", "style", "script", "iframe", "textarea", "label",
        "HTML", "",
    ]);
    let mut children = Vec::new();
    if (kind == 0 || kind == 2) && *budget > 0 && depth < 12 {
        for _ in 0..r.below(4) {
            if *budget == 0 {
                break;
            }
            children.push(node(r, budget, depth + 1));
        }
    }
    let node_id = id(r);
    match kind {
        0 => format!(
            r#"{{"type":0,"id":{node_id},"childNodes":[{}]}}"#,
            children.join(",")
        ),
        1 => format!(r#"{{"type":1,"id":{node_id},"name":"html"}}"#),
        3 | 4 => format!(
            r#"{{"type":3,"id":{node_id},"textContent":"{}","isStyle":{}}}"#,
            text(r),
            r.chance(10)
        ),
        5 => format!(r#"{{"type":5,"id":{node_id},"textContent":"c"}}"#),
        6 => format!(r#"{{"type":{},"id":{node_id}}}"#, r.below(9)),
        _ => format!(
            r#"{{"type":2,"tagName":"{tag}","id":{node_id},"attributes":{},"childNodes":[{}],"isShadow":{}}}"#,
            attrs(r),
            children.join(","),
            r.chance(10)
        ),
    }
}

fn event(r: &mut Rng, ts: i64) -> String {
    let ts_text = match r.below(100) {
        0..=2 => format!("{ts}.75"),
        3 => r
            .pick(&[
                "-9223372036854775808",
                "9223372036854775807",
                "1e300",
                "-1e300",
                "0",
                "-1",
            ])
            .to_string(),
        _ => ts.to_string(),
    };
    let data = match r.below(16) {
        0 => {
            let href = *r.pick(&[
                "https://a.test/x?q=1#f",
                "https://a.test/y",
                "",
                "about:blank",
                "\\u0000",
            ]);
            let w = *r.pick(&["1280", "-1", "1e9", "\"wide\"", "0"]);
            return format!(
                r#"{{"type":4,"data":{{"href":"{href}","width":{w},"height":800}},"timestamp":{ts_text}}}"#
            );
        }
        1 => {
            let mut budget = 60;
            let root = node(r, &mut budget, 0);
            return format!(
                r#"{{"type":2,"data":{{"node":{root},"initialOffset":{{"top":0,"left":0}}}},"timestamp":{ts_text}}}"#
            );
        }
        2..=4 => {
            let mut adds = Vec::new();
            for _ in 0..r.below(6) {
                let mut budget = 5;
                let n = node(r, &mut budget, 1);
                adds.push(format!(
                    r#"{{"parentId":{},"nextId":{},"previousId":{},"node":{n}}}"#,
                    id(r),
                    if r.chance(50) {
                        "null".to_owned()
                    } else {
                        id(r)
                    },
                    id(r)
                ));
            }
            let removes: Vec<String> = (0..r.below(3))
                .map(|_| format!(r#"{{"parentId":{},"id":{}}}"#, id(r), id(r)))
                .collect();
            let texts: Vec<String> = (0..r.below(3))
                .map(|_| format!(r#"{{"id":{},"value":"{}"}}"#, id(r), text(r)))
                .collect();
            let attrs_changes: Vec<String> = (0..r.below(3))
                .map(|_| format!(r#"{{"id":{},"attributes":{}}}"#, id(r), attrs(r)))
                .collect();
            format!(
                r#""source":0,"adds":[{}],"removes":[{}],"texts":[{}],"attributes":[{}]"#,
                adds.join(","),
                removes.join(","),
                texts.join(","),
                attrs_changes.join(",")
            )
        }
        5..=7 => {
            let kind = *r.pick(&["2", "2", "2", "0", "1", "5", "6", "99", "\"2\""]);
            let x = *r.pick(&["100", "101.5", "130", "-5", "\"x\"", "null", "1e308"]);
            format!(r#""source":2,"type":{kind},"id":{},"x":{x},"y":100"#, id(r))
        }
        8 => format!(
            r#""source":1,"positions":[{{"x":1,"y":2,"id":{},"timeOffset":-10}}]"#,
            id(r)
        ),
        9 => format!(
            r#""source":5,"id":{},"text":"{}","isChecked":{},"userTriggered":{}"#,
            id(r),
            text(r),
            r.chance(50),
            r.chance(80)
        ),
        10 => format!(r#""source":3,"id":{},"x":0,"y":{}"#, id(r), r.below(1000)),
        11 => format!(r#""source":{}"#, r.below(20)),
        12 => {
            let level = *r.pick(&["error", "warn", "log", "info", "assert", "", "ERROR"]);
            let arg = serde_json::to_string(&text(r)).unwrap();
            return format!(
                r#"{{"type":6,"data":{{"plugin":"rrweb/console@1","payload":{{"level":"{level}","trace":[],"payload":[{arg},{{"x":[1,2]}}]}}}},"timestamp":{ts_text}}}"#
            );
        }
        13 => {
            let status = *r.pick(&["0", "200", "404", "503", "\"500\"", "null", "-1"]);
            return format!(
                r#"{{"type":6,"data":{{"plugin":"rrweb/network@1","payload":{{"requests":[{{"name":"https://a.test/api?x=1","method":"post","status":{status},"error":{}}}]}}}},"timestamp":{ts_text}}}"#,
                if r.chance(30) { "\"failed\"" } else { "null" }
            );
        }
        14 => {
            return format!(
                r#"{{"type":{},"data":{{"tag":"t","payload":[]}},"timestamp":{ts_text}}}"#,
                r.below(12)
            );
        }
        _ => format!(r#""source":14,"ranges":[{{"start":{},"end":1}}]"#, id(r)),
    };
    format!(r#"{{"type":3,"data":{{{data}}},"timestamp":{ts_text}}}"#)
}

/// Damages a text the way transport or a hostile client might, keeping it valid UTF-8.
fn mutate(r: &mut Rng, text: &str) -> String {
    let bytes = text.as_bytes();
    match r.below(6) {
        0 => {
            // Truncate at a character boundary.
            let mut cut = r.below(bytes.len() as u64 + 1) as usize;
            while !text.is_char_boundary(cut) {
                cut -= 1;
            }
            text[..cut].to_owned()
        }
        1 => {
            // Replace an ASCII byte with another ASCII byte.
            let mut b = bytes.to_vec();
            if !b.is_empty() {
                let i = r.below(b.len() as u64) as usize;
                if b[i].is_ascii() {
                    b[i] = *r.pick(b"{}[]\",:0-9ae\\ ");
                }
            }
            String::from_utf8(b).unwrap_or_else(|_| text.to_owned())
        }
        2 => text.replacen("\"id\":", "\"id\":\"", 1),
        3 => text.replacen("{", "[", 1),
        4 => text.replace("\"source\":0", "\"source\":\"0\""),
        _ => format!("{text}{text}"),
    }
}

fn deep_add(ts: i64, depth: usize) -> String {
    let mut s = format!(
        r#"{{"type":3,"timestamp":{ts},"data":{{"source":0,"adds":[{{"parentId":1,"nextId":null,"node":"#
    );
    for i in 0..depth {
        s.push_str(&format!(
            r#"{{"type":2,"tagName":"p","id":{},"attributes":{{}},"childNodes":["#,
            500_000 + i
        ));
    }
    s.push_str(&"]}".repeat(depth));
    s.push_str("}],\"removes\":[],\"texts\":[],\"attributes\":[]}}");
    s
}

/// Feeds a stream, draining at pseudo-random points, checking the properties on the way.
fn feed(stream: &[String], settings: &Settings, drain_seed: u64) -> Vec<Output> {
    let mut rng = Rng(drain_seed);
    let mut a = Analyzer::new(settings.clone());
    let mut outputs: Vec<Output> = Vec::new();
    let mut settled = i64::MIN;
    for text in stream {
        // Both entries: parsed events (what the server has) and raw text (benchmarks).
        match Event::parse(text) {
            Ok(e) => a.push(&e),
            Err(_) => {
                a.push_json(text);
            }
        }
        assert!(a.mirror().len() <= settings.max_nodes, "node cap exceeded");
        a.mirror().check_links();
        let s = a.settled_until();
        assert!(s >= settled, "settled_until went back: {s} < {settled}");
        if rng.chance(40) {
            let batch = a.drain();
            for o in &batch {
                assert!(
                    o.ts >= settled && o.ts < s,
                    "output at {} outside [{settled}, {s})",
                    o.ts
                );
            }
            outputs.extend(batch);
            settled = s;
        }
    }
    a.finish();
    let rest = a.drain();
    assert!(rest.iter().all(|o| o.ts >= settled));
    outputs.extend(rest);
    assert!(
        outputs.windows(2).all(|w| w[0].ts <= w[1].ts),
        "outputs out of order"
    );
    outputs
}

#[test]
fn random_and_damaged_streams() {
    let settings = Settings {
        max_nodes: 300,
        max_mirror_string_bytes: 4096,
        text_budget_bytes: 4096,
        text_max_items: 50,
        console_budget_bytes: 2048,
        console_max_items: 20,
        ..Settings::default()
    };
    let mut rng = Rng(0x5EED_2024);
    let started = std::time::Instant::now();
    for round in 0..400 {
        let mut ts = 1_700_000_000_000i64;
        let mut stream = Vec::new();
        for _ in 0..(10 + rng.below(60)) {
            // Mostly forward in time, sometimes equal or backwards.
            ts += match rng.below(10) {
                0 => 0,
                1 => -(rng.below(500) as i64),
                2 => rng.below(10_000) as i64,
                _ => rng.below(400) as i64,
            };
            let e = event(&mut rng, ts);
            stream.push(if rng.chance(15) {
                mutate(&mut rng, &e)
            } else {
                e
            });
        }
        let first = feed(&stream, &settings, round);
        let second = feed(&stream, &settings, round ^ 0xFFFF);
        assert_eq!(first, second, "round {round}: not deterministic");
    }
    // Keep it a quick test even in debug builds.
    assert!(
        started.elapsed().as_secs() < 60,
        "fuzz test too slow: {:?}",
        started.elapsed()
    );
}

#[test]
fn hundred_thousand_deep_nesting_in_a_stream() {
    let settings = Settings {
        max_nodes: 1000,
        ..Settings::default()
    };
    let mut rng = Rng(99);
    let ts = 1_700_000_000_000i64;
    let mut stream: Vec<String> = (0..20).map(|i| event(&mut rng, ts + i)).collect();
    stream.push(deep_snapshot(ts + 30, 100_000));
    stream.push(
        r#"{"type":3,"timestamp":1700000000031,"data":{"source":2,"type":2,"id":900,"x":1,"y":1}}"#
            .to_owned(),
    );
    stream.push(deep_add(ts + 40, 100_000));
    stream.extend((50..70).map(|i| event(&mut rng, ts + i)));
    let outputs = feed(&stream, &settings, 3);
    assert!(outputs.iter().any(
        |o| matches!(&o.item, crate::signals::Item::Event(e) if e.display_name == "Clicked div")
    ));
}

#[test]
fn damaged_corpus_recordings() {
    let settings = Settings {
        max_nodes: 40,
        max_mirror_string_bytes: 300,
        ..Settings::default()
    };
    let mut rng = Rng(7);
    for recording in reel_testdata::corpus() {
        for _ in 0..20 {
            let stream: Vec<String> = recording
                .events
                .iter()
                .map(|t| {
                    if rng.chance(30) {
                        mutate(&mut rng, t)
                    } else {
                        t.clone()
                    }
                })
                .collect();
            let a = feed(&stream, &settings, rng.next());
            let b = feed(&stream, &settings, rng.next());
            assert_eq!(a, b, "{}", recording.name);
        }
    }
}

#[test]
fn a_node_added_under_its_own_descendant_makes_no_cycle() {
    let snap = r#"{"type":2,"timestamp":1,"data":{"node":{"type":0,"id":1,"childNodes":[{"type":2,"tagName":"div","id":2,"attributes":{},"childNodes":[{"type":2,"tagName":"div","id":3,"attributes":{},"childNodes":[{"type":2,"tagName":"div","id":4,"attributes":{}}]}]}]}}}"#;
    let cycle = r#"{"type":3,"timestamp":2,"data":{"source":0,"adds":[{"parentId":4,"nextId":null,"node":{"type":2,"tagName":"div","id":2,"attributes":{}}},{"parentId":3,"nextId":2,"node":{"type":2,"tagName":"div","id":3,"attributes":{}}}],"removes":[],"texts":[],"attributes":[]}}"#;
    let click = r#"{"type":3,"timestamp":3,"data":{"source":2,"type":2,"id":4,"x":1,"y":1}}"#;
    let stream: Vec<String> = [snap, cycle, click].iter().map(|s| s.to_string()).collect();
    feed(&stream, &Settings::default(), 1);
    let mut a = Analyzer::new(Settings::default());
    for s in &stream {
        a.push(&Event::parse(s).unwrap());
    }
    a.mirror().check_links();
    // Node 2 was re-added under 4, its own descendant: removing the old 2 took 4 with it, so
    // the add had no parent left and was dropped. Only the document remains.
    assert_eq!(a.mirror().len(), 1);
}
