use super::*;
use crate::model::{Data, Incremental, parse_event};

/// Applies events (JSON texts) to a mirror with room for `max` nodes; returns it and the
/// visible texts seen.
fn run(max: usize, events: &[&str]) -> (Mirror, Vec<String>) {
    struct Texts(Vec<String>);
    impl TextSink for Texts {
        fn visible_text(&mut self, t: &str) {
            self.0.push(t.trim().to_owned());
        }
    }
    let mut mirror = Mirror::new(max);
    let mut texts = Texts(Vec::new());
    for e in events {
        let parsed = parse_event(e, None, usize::MAX).expect("event");
        match &parsed.data {
            Data::FullSnapshot(s) => mirror.apply_full_snapshot(s, &mut texts),
            Data::Incremental(Incremental::Mutation(m)) => mirror.apply_mutation(m, &mut texts),
            Data::Incremental(Incremental::Input(i)) => mirror.apply_input(i),
            _ => {}
        }
        mirror.check_links();
    }
    (mirror, texts.0)
}

/// The tree under node `id` as compact text: `tag#id[children]`, text nodes as 'text'.
fn render(m: &Mirror, id: i64) -> String {
    let Some(n) = m.get(id) else {
        return "-".into();
    };
    let mut out = String::new();
    fn one(n: NodeRef<'_>, out: &mut String) {
        match n.kind() {
            Kind::Document => out.push_str(&format!("doc{}", n.id())),
            Kind::Doctype => out.push('!'),
            Kind::Element => out.push_str(&format!("{}{}", n.tag(), n.id())),
            Kind::Text => out.push_str(&format!("'{}'", n.text().trim())),
            Kind::Other => out.push('?'),
        }
    }

    // Iterative pre-order with brackets.
    let mut at = Some(n);
    let mut depth = 0i32;
    while let Some(cur) = at {
        one(cur, &mut out);
        if let Some(c) = cur.first_child() {
            out.push('[');
            depth += 1;
            at = Some(c);
            continue;
        }
        let mut up = cur;
        loop {
            if up == n {
                at = None;
                break;
            }
            if let Some(s) = up.next_sibling() {
                out.push(' ');
                at = Some(s);
                break;
            }
            match up.parent() {
                Some(p) => {
                    out.push(']');
                    depth -= 1;
                    up = p;
                }
                None => {
                    at = None;
                    break;
                }
            }
        }
    }
    assert_eq!(depth, 0);
    out
}

const SNAP: &str = r#"{"type":2,"timestamp":1,"data":{"node":{"type":0,"id":1,"childNodes":[
    {"type":1,"id":2,"name":"html"},
    {"type":2,"tagName":"html","id":3,"attributes":{},"childNodes":[
      {"type":2,"tagName":"head","id":4,"attributes":{},"childNodes":[
        {"type":2,"tagName":"style","id":5,"attributes":{"_cssText":"b{}"},"childNodes":[{"type":3,"id":6,"textContent":"b { color: red }","isStyle":true}]},
        {"type":2,"tagName":"title","id":7,"attributes":{},"childNodes":[{"type":3,"id":8,"textContent":"Shop"}]}]},
      {"type":2,"tagName":"body","id":9,"attributes":{},"childNodes":[
        {"type":2,"tagName":"div","id":10,"attributes":{"id":"main","class":"a b","style":"x"},"childNodes":[
          {"type":3,"id":11,"textContent":"Hello"},
          {"type":2,"tagName":"textarea","id":12,"attributes":{"value":"secret"},"childNodes":[{"type":3,"id":13,"textContent":"secret"}]}]}]}]}]},
    "initialOffset":{"top":0,"left":0}}}"#;

fn mutation(body: &str) -> String {
    format!(
        r#"{{"type":3,"timestamp":2,"data":{{"source":0,"texts":[],"attributes":[],"removes":[],"adds":[],{body}}}}}"#
    )
}

#[test]
fn snapshot_builds_the_tree_and_reports_visible_text() {
    let (m, texts) = run(100, &[SNAP]);
    assert_eq!(
        render(&m, 1),
        "doc1[! html3[head4[style5[''] title7['']] body9[div10['Hello' textarea12['']]]]]"
    );
    assert_eq!(texts, ["Hello"]);
    assert_eq!(m.len(), 13);
    let div = m.get(10).unwrap();
    assert_eq!(div.attr(AttrName::Id), Some("main"));
    assert_eq!(div.attr(AttrName::Class), Some("a b"));
    assert!(m.get(8).unwrap().is_unrendered());
}

#[test]
fn mutation_cases() {
    /// (name, mutation bodies applied after SNAP, node to render, expected tree, texts seen
    /// after SNAP)
    type Case<'a> = (&'a str, &'a [&'a str], i64, &'a str, &'a [&'a str]);
    let cases: &[Case<'_>] = &[
        (
            "append, insert before next, after previous",
            &[
                r#""adds":[{"parentId":10,"nextId":null,"node":{"type":2,"tagName":"p","id":20,"attributes":{}}},
                           {"parentId":10,"nextId":20,"node":{"type":2,"tagName":"i","id":21,"attributes":{}}},
                           {"parentId":10,"previousId":11,"nextId":null,"node":{"type":2,"tagName":"b","id":22,"attributes":{}}}]"#,
            ],
            10,
            "div10['Hello' b22 textarea12[''] i21 p20]",
            &[],
        ),
        (
            "child before its parent in one mutation",
            &[
                r#""adds":[{"parentId":30,"nextId":null,"node":{"type":3,"id":31,"textContent":"Buy"}},
                           {"parentId":10,"nextId":null,"node":{"type":2,"tagName":"button","id":30,"attributes":{}}}]"#,
            ],
            30,
            "button30['Buy']",
            &["Buy"],
        ),
        (
            "next sibling arrives later",
            &[
                r#""adds":[{"parentId":9,"nextId":41,"node":{"type":2,"tagName":"p","id":40,"attributes":{}}},
                           {"parentId":9,"nextId":null,"node":{"type":2,"tagName":"p","id":41,"attributes":{}}}]"#,
            ],
            9,
            "body9[div10['Hello' textarea12['']] p40 p41]",
            &[],
        ),
        (
            "removes come before adds; remove drops the subtree",
            &[
                r#""adds":[{"parentId":9,"nextId":null,"node":{"type":2,"tagName":"p","id":11,"attributes":{}}}],
                   "removes":[{"parentId":9,"id":10}]"#,
            ],
            9,
            "body9[p11]",
            &[],
        ),
        (
            "node added under its own descendant is dropped, no cycle",
            &[
                r#""adds":[{"parentId":11,"nextId":null,"node":{"type":2,"tagName":"div","id":10,"attributes":{}}}]"#,
            ],
            9,
            "body9",
            &[],
        ),
        (
            "unknown ids, negative and huge ids",
            &[r#""removes":[{"parentId":1,"id":999},{"id":-5}],
                   "adds":[{"parentId":777,"nextId":null,"node":{"type":2,"tagName":"p","id":50,"attributes":{}}},
                           {"parentId":10,"nextId":null,"node":{"type":2,"tagName":"p","id":-3,"attributes":{}}},
                           {"parentId":-3,"nextId":null,"node":{"type":2,"tagName":"p","id":9223372036854775807,"attributes":{}}}],
                   "texts":[{"id":12345,"value":"x"}],
                   "attributes":[{"id":4242,"attributes":{"class":"x"}}]"#],
            10,
            "div10['Hello' textarea12[''] p-3[p9223372036854775807]]",
            &[],
        ),
        (
            "text change and attribute removal",
            &[
                r#""texts":[{"id":11,"value":"Bye"},{"id":6,"value":"hidden css"}],
                   "attributes":[{"id":10,"attributes":{"class":null,"style":{"color":"red"},"title":"T"}}]"#,
            ],
            10,
            "div10['Bye' textarea12['']]",
            &["Bye"],
        ),
        (
            "document replacement",
            &[
                r#""adds":[{"parentId":1,"nextId":null,"node":{"type":2,"tagName":"html","id":60,"attributes":{}}},
                           {"parentId":60,"nextId":null,"node":{"type":2,"tagName":"body","id":61,"attributes":{}}},
                           {"parentId":1,"nextId":60,"node":{"type":1,"name":"html","id":62}}]"#,
            ],
            1,
            "doc1[! html60[body61]]",
            &[],
        ),
        (
            "iframe document, then a new one replacing it",
            &[
                r#""adds":[{"parentId":10,"nextId":null,"node":{"type":2,"tagName":"iframe","id":70,"attributes":{}}}]"#,
                r#""adds":[{"parentId":70,"nextId":null,"node":{"type":0,"id":71,"childNodes":[{"type":2,"tagName":"html","id":72,"attributes":{},"childNodes":[{"type":3,"id":73,"textContent":"inner"}]}]}}],"isAttachIframe":true"#,
                r#""adds":[{"parentId":70,"nextId":null,"node":{"type":0,"id":74,"childNodes":[]}}],"isAttachIframe":true"#,
            ],
            70,
            "iframe70[doc74]",
            &["inner"],
        ),
        (
            "same id twice in one added tree keeps the first",
            &[
                r#""adds":[{"parentId":10,"nextId":null,"node":{"type":2,"tagName":"ul","id":80,"attributes":{},"childNodes":[{"type":2,"tagName":"li","id":80,"attributes":{}},{"type":2,"tagName":"li","id":81,"attributes":{}}]}}]"#,
            ],
            80,
            "ul80[li81]",
            &[],
        ),
        (
            "shadow children stay under their host",
            &[
                r#""adds":[{"parentId":10,"nextId":null,"node":{"type":2,"tagName":"div","id":90,"attributes":{},"isShadowHost":true}},
                           {"parentId":90,"nextId":null,"node":{"type":2,"tagName":"span","id":91,"attributes":{},"isShadow":true}},
                           {"parentId":91,"nextId":null,"node":{"type":3,"textContent":"shadow text","id":92}}]"#,
            ],
            90,
            "div90[span91['shadow text']]",
            &["shadow text"],
        ),
    ];
    for (name, bodies, root, want, want_texts) in cases {
        let mut events = vec![SNAP.to_owned()];
        events.extend(bodies.iter().map(|b| mutation(b)));
        let refs: Vec<&str> = events.iter().map(String::as_str).collect();
        let (m, texts) = run(1000, &refs);
        assert_eq!(render(&m, *root), *want, "{name}");
        assert_eq!(&texts[1..], *want_texts, "{name}");
    }
}

#[test]
fn node_cap_degrades_instead_of_growing() {
    let adds: Vec<String> = (100..200)
        .map(|i| {
            format!(
                r#"{{"parentId":9,"nextId":null,"node":{{"type":2,"tagName":"p","id":{i},"attributes":{{}}}}}}"#
            )
        })
        .collect();
    let m = mutation(&format!(r#""adds":[{}]"#, adds.join(",")));
    let (mirror, _) = run(20, &[SNAP, &m]);
    assert_eq!(mirror.len(), 20);
    assert_eq!(mirror.refused(), 93);
    // Removing frees room again.
    let rm = mutation(r#""removes":[{"parentId":1,"id":3}]"#);
    let (mirror, _) = run(20, &[SNAP, &m, &rm]);
    assert_eq!(mirror.len(), 2);
}

#[test]
fn string_budget_degrades_instead_of_growing() {
    let adds: Vec<String> = (100..200)
        .map(|i| {
            format!(
                r#"{{"parentId":9,"nextId":null,"node":{{"type":2,"tagName":"p","id":{i},"attributes":{{"class":"{}"}},"childNodes":[{{"type":3,"id":{},"textContent":"{}"}}]}}}}"#,
                "c".repeat(50),
                i + 1000,
                "t".repeat(100)
            )
        })
        .collect();
    let m = mutation(&format!(r#""adds":[{}]"#, adds.join(",")));
    let mut mirror = Mirror::with_limits(1000, 2000);
    let mut texts = 0;
    struct Count<'a>(&'a mut usize);
    impl TextSink for Count<'_> {
        fn visible_text(&mut self, _: &str) {
            *self.0 += 1;
        }
    }
    for e in [SNAP, &m] {
        match parse_event(e, None, usize::MAX).unwrap().data {
            Data::FullSnapshot(s) => mirror.apply_full_snapshot(&s, &mut Count(&mut texts)),
            Data::Incremental(Incremental::Mutation(mu)) => {
                mirror.apply_mutation(&mu, &mut Count(&mut texts))
            }
            _ => {}
        }
        mirror.check_links();
    }
    assert!(mirror.string_bytes() <= 2000);
    assert_eq!(mirror.len(), 13 + 200, "nodes are kept");
    assert!(texts < 20, "{texts} texts kept");
    // Freed bytes are available again.
    let rm = mutation(r#""removes":[{"parentId":9,"id":100},{"parentId":9,"id":101}]"#);
    if let Data::Incremental(Incremental::Mutation(mu)) = parse_event(&rm, None, 100).unwrap().data
    {
        mirror.apply_mutation(&mu, &mut ());
    }
    mirror.check_links();
}

#[test]
fn input_keeps_only_checked_state() {
    let input =
        r#"{"type":3,"timestamp":3,"data":{"source":5,"id":12,"text":"typed","isChecked":true}}"#;
    let (m, _) = run(100, &[SNAP, input]);
    assert!(m.get(12).unwrap().is_checked());
    assert_eq!(m.get(12).unwrap().attr(AttrName::Value), Some("secret"));
}

#[test]
fn deep_trees_need_no_stack() {
    let depth = 100_000;
    let text = crate::test_support::deep_snapshot(1, depth);
    let (m, _) = run(DEFAULT_MAX_NODES, &[&text]);
    assert_eq!(m.len(), depth);
    let (m, _) = run(1000, &[&text]);
    assert_eq!(m.len(), 1000);
    // Removing the root frees everything without recursion.
    let rm = mutation(r#""removes":[{"parentId":0,"id":2}]"#);
    let (m, _) = run(DEFAULT_MAX_NODES, &[&text, &rm]);
    assert_eq!(m.len(), 1);
}
