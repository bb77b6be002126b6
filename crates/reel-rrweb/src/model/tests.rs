use super::*;
use crate::devtools::Recorded;

/// A compact description of what was read, for table tests.
fn summary(text: &str) -> String {
    let Some(e) = parse_event(text, None, 1000) else {
        return "none".into();
    };
    let head = format!("{}@{}", e.event_type.code(), e.timestamp);
    let s = |j: Option<JsonStr<'_>>| j.map_or("-".into(), |j| j.decode().into_owned());
    let v = |r: Option<Recorded<'_>>| s(r.and_then(|r| r.as_str()));
    let body = match &e.data {
        Data::Empty => "empty".into(),
        Data::Other => "other".into(),
        Data::Meta(m) => format!("meta {} {:?}x{:?}", s(m.href), m.width, m.height),
        Data::FullSnapshot(f) => format!(
            "snapshot {} nodes, tags {:?}, offset {:?}",
            f.tree.nodes.len(),
            f.tree
                .nodes
                .iter()
                .filter(|n| n.node_type == NodeType::Element)
                .map(|n| n.tag.decode().into_owned())
                .collect::<Vec<_>>(),
            f.initial_offset
        ),
        Data::Incremental(Incremental::Mutation(m)) => format!(
            "mutation adds {:?} removes {} texts {:?} attrs {} nodes {}",
            m.adds
                .iter()
                .map(|a| (a.parent_id, a.nodes.len()))
                .collect::<Vec<_>>(),
            m.removes.len(),
            m.texts.iter().map(|t| s(t.value)).collect::<Vec<_>>(),
            m.attributes.len(),
            m.tree.nodes.len()
        ),
        Data::Incremental(Incremental::MouseInteraction(i)) => {
            format!("mouse {:?} {:?} {:?},{:?}", i.kind, i.id, i.x, i.y)
        }
        Data::Incremental(Incremental::MouseMove(p)) => format!("move {}", p.len()),
        Data::Incremental(Incremental::Input(i)) => format!("input {i:?}"),
        Data::Incremental(i) => format!("{i:?}"),
        Data::Plugin(Plugin::Console(c)) => format!(
            "console {} {:?} trace {}",
            s(c.level),
            c.args
                .iter()
                .map(|a| match a {
                    Recorded::Str(j) => j.decode().into_owned(),
                    Recorded::Raw(r) => format!("raw {r}"),
                })
                .collect::<Vec<_>>(),
            c.trace.len()
        ),
        Data::Plugin(Plugin::Network(r)) => format!(
            "network {:?}",
            r.iter()
                .map(|r| (v(r.method), v(r.name), r.status, v(r.error)))
                .collect::<Vec<_>>()
        ),
        Data::Plugin(Plugin::Other { name }) => format!("plugin {}", s(*name)),
        Data::Custom(c) => format!("custom {} {:?}", v(c.tag), c.payload),
    };
    format!("{head} {body}")
}

#[test]
fn parse_cases() {
    let cases: &[(&str, &str)] = &[
        (r#"{"type":0,"data":{},"timestamp":5}"#, "0@5 empty"),
        (
            r#"{"type":4,"data":{"href":"https://a.test/x?q=1","width":1280,"height":720.5},"timestamp":1.9}"#,
            "4@1 meta https://a.test/x?q=1 Some(1280.0)xSome(720.5)",
        ),
        (
            r#"{"data":{"href":"late type"},"timestamp":2,"type":4}"#,
            "4@2 meta late type NonexNone",
        ),
        (
            r#"{"type":2,"timestamp":3,"data":{"initialOffset":{"top":10,"left":0},"node":{"type":0,"id":1,"childNodes":[{"childNodes":[{"type":3,"id":3,"textContent":"x"}],"type":2,"tagName":"html","id":2,"attributes":{"lang":"en","_cssText":"a{b:\"c\"}"}}]}}}"#,
            "2@3 snapshot 3 nodes, tags [\"html\"], offset Some((10.0, 0.0))",
        ),
        (
            r#"{"type":3,"timestamp":4,"data":{"adds":[{"parentId":5,"nextId":null,"node":{"type":3,"id":9,"textContent":"a"}}],"source":0,"removes":[{"parentId":5,"id":8}],"texts":[{"id":7,"value":"t\u00e9"},{"id":7,"value":null}],"attributes":[{"id":5,"attributes":{"class":"x","style":{"color":"red"},"title":null}}]}}"#,
            "3@4 mutation adds [(Some(5), 1)] removes 1 texts [\"té\", \"-\"] attrs 1 nodes 1",
        ),
        (
            r#"{"type":3,"timestamp":5,"data":{"source":2,"type":2,"id":16,"x":30.5,"y":30}}"#,
            "3@5 mouse Click Some(16) Some(30.5),Some(30.0)",
        ),
        (
            r#"{"type":3,"timestamp":5,"data":{"source":2,"type":99,"id":"16"}}"#,
            "3@5 mouse Other(99) None None,None",
        ),
        (
            r#"{"type":3,"timestamp":6,"data":{"source":1,"positions":[{"x":1,"y":2,"id":3,"timeOffset":-10},{"x":4},5]}}"#,
            "3@6 move 2",
        ),
        (
            r#"{"type":3,"timestamp":7,"data":{"source":5,"text":"secret","isChecked":false,"id":26,"userTriggered":true}}"#,
            "3@7 input InputChange { id: Some(26), is_checked: Some(false), user_triggered: Some(true), text_len: Some(6) }",
        ),
        (
            r#"{"type":3,"timestamp":8,"data":{"source":3,"id":1,"x":0,"y":250}}"#,
            "3@8 Scroll { id: Some(1), x: Some(0.0), y: Some(250.0) }",
        ),
        (
            r#"{"type":3,"timestamp":8,"data":{"source":4,"width":390,"height":844}}"#,
            "3@8 ViewportResize { width: Some(390.0), height: Some(844.0) }",
        ),
        (
            r#"{"type":3,"timestamp":8,"data":{"source":14,"ranges":[{"start":1},{"start":2}]}}"#,
            "3@8 Selection { ranges: 2 }",
        ),
        (
            r#"{"type":3,"timestamp":8,"data":{"source":16,"define":{"name":"x-y"}}}"#,
            "3@8 Other(CustomElement)",
        ),
        (
            r#"{"type":3,"timestamp":8,"data":{"source":42}}"#,
            "3@8 Other(Other(42))",
        ),
        (r#"{"type":3,"timestamp":8,"data":{"id":3}}"#, "3@8 other"),
        (
            r#"{"type":6,"timestamp":9,"data":{"payload":{"level":"error","trace":["a.js:1:2"],"payload":["\"Uncaught Error: boom\"",{"x":1}]},"plugin":"rrweb/console@1"}}"#,
            "6@9 console error [\"\\\"Uncaught Error: boom\\\"\", \"raw {\\\"x\\\":1}\"] trace 1",
        ),
        (
            r#"{"type":6,"timestamp":9,"data":{"plugin":"rrweb/network@1","payload":{"requests":[{"name":"https://a.test/api","method":"POST","status":502,"startTime":1,"endTime":2,"duration":1,"initiatorType":"fetch"},{"name":"https://a.test/b","method":"GET","status":0,"error":"TypeError: Failed to fetch"},{"responseStatus":404}]}}}"#,
            "6@9 network [(\"POST\", \"https://a.test/api\", Some(502.0), \"-\"), (\"GET\", \"https://a.test/b\", Some(0.0), \"TypeError: Failed to fetch\"), (\"-\", \"-\", Some(404.0), \"-\")]",
        ),
        (
            r#"{"type":6,"timestamp":9,"data":{"plugin":"acme/thing@2","payload":{}}}"#,
            "6@9 plugin acme/thing@2",
        ),
        (
            r#"{"type":5,"timestamp":9,"data":{"tag":"checkout","payload":{"step":2}}}"#,
            "5@9 custom checkout Some(\"{\\\"step\\\":2}\")",
        ),
        (
            r#"{"type":7,"timestamp":9,"data":{"url":"x"}}"#,
            "7@9 other",
        ),
        (r#"{"type":8,"timestamp":9,"data":{}}"#, "8@9 other"),
        (r#"{"type":4,"timestamp":9,"data":"odd"}"#, "4@9 other"),
        (r#"{"type":4,"timestamp":9}"#, "4@9 other"),
        (
            r#"{"type":3,"timestamp":9,"data":{"source":0,"adds":[{"parentId":1,"node":{"type":2,"tagName":"p","id":2"#,
            "none",
        ),
        (r#"{"type":"3","timestamp":9,"data":{}}"#, "none"),
        (r#"{"type":3,"data":{}}"#, "none"),
        (r#"[1,2]"#, "none"),
        ("", "none"),
    ];
    for (text, want) in cases {
        assert_eq!(summary(text), *want, "{text}");
    }
}

#[test]
fn node_limit_and_deep_nesting() {
    let depth = 100_000;
    let text = crate::test_support::deep_snapshot(1, depth);
    let Some(ParsedEvent {
        data: Data::FullSnapshot(snap),
        ..
    }) = parse_event(&text, None, 500)
    else {
        panic!("a snapshot");
    };
    assert_eq!(snap.tree.nodes.len(), 500);
    assert!(snap.tree.truncated);
    assert_eq!(snap.tree.nodes[499].parent, 498);
    // Deep nesting of plain arrays inside a field is skipped the same way.
    let deep = format!(
        r#"{{"type":5,"timestamp":1,"data":{{"tag":"t","payload":{}{}}}}}"#,
        "[".repeat(depth),
        "]".repeat(depth)
    );
    assert!(matches!(
        parse_event(&deep, None, 10).map(|e| e.data),
        Some(Data::Custom(_))
    ));
}

#[test]
fn known_type_is_not_read_again() {
    let e = parse_event(
        r#"{"type":"nonsense","timestamp":3,"data":{"href":"h"}}"#,
        Some(EventType::Meta),
        10,
    )
    .unwrap();
    assert!(matches!(e.data, Data::Meta(_)));
}
