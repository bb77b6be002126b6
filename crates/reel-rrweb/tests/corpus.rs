//! rrweb's own test recordings (`testdata/rrweb-corpus`, see its README) go through the model,
//! the DOM mirror and the analyzer: no panic, ordered outputs, sane facts, and the specific
//! things each recording is about.

use std::collections::BTreeMap;

use reel_rrweb::Event;
use reel_rrweb::model::{Data, parse_event};
use reel_rrweb::signals::{
    Analyzer, DerivedKind, Fact, Item, Output, SessionSummary, Settings, analyze_json_texts,
};
use serde_json::Value;

struct Recording {
    name: String,
    texts: Vec<String>,
    events: Vec<Event>,
}

fn corpus() -> Vec<Recording> {
    let corpus = reel_testdata::corpus();
    assert_eq!(corpus.len(), 25, "the corpus has 25 recordings");
    corpus
        .into_iter()
        .map(|recording| {
            let name = recording.name;
            let events = recording
                .events
                .iter()
                .map(|text| Event::parse(text).unwrap_or_else(|e| panic!("{name}: {e}")))
                .collect();
            Recording {
                name,
                texts: recording.events,
                events,
            }
        })
        .collect()
}

/// Serialized nodes with an id in a snapshot's tree, counted independently with serde_json.
fn count_nodes(node: &Value) -> usize {
    let mut stack = vec![node];
    let mut n = 0;
    while let Some(v) = stack.pop() {
        if v.get("id").and_then(Value::as_i64).is_some() {
            n += 1;
        }
        if let Some(children) = v.get("childNodes").and_then(Value::as_array) {
            stack.extend(children);
        }
    }
    n
}

struct Analysis {
    outputs: Vec<Output>,
    facts: SessionSummary,
    lines: Vec<String>,
}

fn analyze(rec: &Recording) -> Analysis {
    let mut a = Analyzer::new(Settings::default());
    let mut outputs = Vec::new();
    let mut settled = i64::MIN;
    for (event, text) in rec.events.iter().zip(&rec.texts) {
        a.push(event);
        if event.kind == reel_rrweb::EventType::FullSnapshot {
            // The mirror holds exactly the snapshot's nodes right after it.
            let v: Value = serde_json::from_str(text).unwrap();
            assert_eq!(
                a.mirror().len(),
                count_nodes(&v["data"]["node"]),
                "{}: mirror after the snapshot at {}",
                rec.name,
                event.timestamp
            );
        }
        let s = a.settled_until();
        assert!(s >= settled, "{}: settled_until went back", rec.name);
        let batch = a.drain();
        assert!(
            batch.iter().all(|o| o.ts >= settled && o.ts < s),
            "{}: a drained output outside its window",
            rec.name
        );
        settled = s;
        outputs.extend(batch);
    }
    a.finish();
    outputs.extend(a.drain());
    let mut facts = SessionSummary::default();
    let mut lines = Vec::new();
    for o in &outputs {
        facts.add(o);
        match &o.item {
            Item::Event(e) => lines.push(format!("{} | {}", e.kind.event_type(), e.display_name)),
            Item::ScreenText(t) => lines.push(format!("text {t}")),
            Item::ConsoleText { level, text } => lines.push(format!("console {level} {text}")),
            _ => {}
        }
    }
    Analysis {
        outputs,
        facts,
        lines,
    }
}

#[test]
fn every_recording_goes_through_with_sane_facts() {
    let mut summary = BTreeMap::new();
    for rec in corpus() {
        let name = rec.name.as_str();
        let Analysis {
            outputs,
            facts,
            lines,
        } = analyze(&rec);

        assert!(
            outputs.windows(2).all(|w| w[0].ts <= w[1].ts),
            "{name}: outputs out of order"
        );
        let first = rec.events.iter().map(|e| e.timestamp).min().unwrap();
        let last = rec.events.iter().map(|e| e.timestamp).max().unwrap();
        assert!(
            outputs.iter().all(|o| (first..=last).contains(&o.ts)),
            "{name}: an output outside the recording's time"
        );
        assert!(
            facts.get(Fact::ActiveMs) <= last - first,
            "{name}: more active time than recorded time"
        );
        for url in &facts.urls {
            assert!(!url.contains('?') && !url.contains('#'), "{name}: {url}");
        }
        let metas_with_href = rec
            .events
            .iter()
            .filter(|e| e.href.as_deref().is_some_and(|h| !h.is_empty()))
            .count();
        if metas_with_href > 0 {
            assert!(facts.get(Fact::PageViewCount) >= 1, "{name}: no page view");
            assert!(facts.first_url.is_some(), "{name}: no first URL");
            assert!(facts.viewport.is_some(), "{name}: no viewport");
        }
        // Every click is attributed to an element with a tag.
        for o in &outputs {
            if let Item::Event(e) = &o.item {
                if e.kind == DerivedKind::ElementClicked {
                    let tag = e
                        .properties
                        .get("[reel] Element Tag")
                        .and_then(Value::as_str);
                    assert!(tag.is_some_and(|t| !t.is_empty()), "{name}: {e:?}");
                }
                assert!(!e.id.is_empty(), "{name}: derived event without id");
            }
        }
        // No masked or unrendered text reaches the text index.
        for line in &lines {
            assert!(!line.contains("SCRIPT_PLACEHOLDER"), "{name}: {line}");
        }

        // The JSON-text entry gives the same as feeding events.
        let via_texts =
            analyze_json_texts(rec.texts.iter().map(String::as_str), Settings::default());
        assert_eq!(via_texts, outputs, "{name}: analyze_json_texts differs");

        // Every event parses into the model (nothing here is malformed).
        for text in &rec.texts {
            let parsed = parse_event(text, None, 1 << 20).expect("an event");
            if parsed.event_type == reel_rrweb::model::EventType::IncrementalSnapshot {
                assert!(
                    matches!(parsed.data, Data::Incremental(_)),
                    "{name}: incremental data not understood: {text}"
                );
            }
        }

        summary.insert(rec.name.clone(), (facts, lines));
    }

    let facts = |name: &str| &summary[name].0;
    let lines = |name: &str| &summary[name].1;
    let has = |name: &str, line: &str| lines(name).iter().any(|l| l == line);

    // input.json types into a select and an input (no userTriggered flag: counted).
    assert_eq!(facts("input.json").get(Fact::KeypressCount), 3);
    assert!(has("input.json", "[reel] Element Changed | Changed field"));
    assert!(has("input.json", "text A"), "{:#?}", lines("input.json"));
    assert!(!lines("input.json").iter().any(|l| l.contains("test input")));
    // hover.json clicks a plain div: a click, attributed, not dead.
    assert_eq!(facts("hover.json").get(Fact::ClickCount), 1);
    assert!(has("hover.json", "[reel] Element Clicked | Clicked div"));
    assert_eq!(facts("hover.json").get(Fact::DeadClickCount), 0);
    // Text inside iframes and shadow roots is on screen; script placeholders are not.
    assert!(has("iframe.json", "text iframe 1"));
    assert!(has("iframe.json", "text iframe 2"));
    assert!(has("shadow-dom.json", "text shadow dom one"));
    assert!(has("shadow-dom.json", "text shadow dom two"));
    assert!(has(
        "selection.json",
        "text some text between the start node and the end node"
    ));
    assert!(has("selection.json", "text This the text of the end node."));
    // A textarea's content is its value: never on-screen text.
    assert!(
        !lines("bad-textarea.json")
            .iter()
            .any(|l| l.starts_with("text "))
    );
    // Media recordings have mouse activity and active time.
    assert!(facts("video-playback.json").get(Fact::MouseActivityCount) > 0);
    assert!(facts("video-playback.json").get(Fact::ActiveMs) > 0);
    // Scroll recordings count as active.
    assert_eq!(facts("scroll.json").get(Fact::ClickCount), 0);
    assert_eq!(
        facts("input.json").first_url.as_deref(),
        Some("http://localhost")
    );
    assert_eq!(facts("input.json").viewport, Some((1000, 800)));
}

#[test]
fn recordings_fed_in_pieces_give_the_same_outputs() {
    for rec in corpus() {
        let whole = analyze(&rec).outputs;
        let mut a = Analyzer::new(Settings::default());
        let mut pieces = Vec::new();
        for (i, e) in rec.events.iter().enumerate() {
            a.push(e);
            if i % 2 == 1 {
                pieces.extend(a.drain());
            }
        }
        a.finish();
        pieces.extend(a.drain());
        assert_eq!(pieces, whole, "{}", rec.name);
    }
}
