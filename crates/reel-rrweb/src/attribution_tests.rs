use super::*;
use crate::model::{Data, Incremental, parse_event};

fn mirror_of(body: &str) -> Mirror {
    let snap = format!(
        r#"{{"type":2,"timestamp":1,"data":{{"node":{{"type":0,"id":1,"childNodes":[{{"type":2,"tagName":"html","id":2,"attributes":{{}},"childNodes":[{{"type":2,"tagName":"body","id":3,"attributes":{{}},"childNodes":[{body}]}}]}}]}}}}}}"#
    );
    let mut m = Mirror::new(10_000);
    match parse_event(&snap, None, 10_000).expect("snapshot").data {
        Data::FullSnapshot(s) => m.apply_full_snapshot(&s, &mut ()),
        other => panic!("not a snapshot: {other:?}"),
    }
    m
}

fn el(id: i64, tag: &str, attrs: &str, children: &str) -> String {
    format!(
        r#"{{"type":2,"tagName":"{tag}","id":{id},"attributes":{{{attrs}}},"childNodes":[{children}]}}"#
    )
}

fn txt(id: i64, text: &str) -> String {
    format!(r#"{{"type":3,"id":{id},"textContent":"{text}"}}"#)
}

/// One attribution case: the page body, the target node, and what is expected as
/// "tag|node_id|label|noun|interactive|selector|text".
fn check(name: &str, body: &str, target: i64, want: &str) {
    let m = mirror_of(body);
    let got = match describe(&m, target) {
        None => "none".to_owned(),
        Some(e) => format!(
            "{}|{}|{}|{}|{}|{}|{}",
            e.tag,
            e.node_id,
            e.label.as_deref().unwrap_or("-"),
            e.noun(),
            e.interactive,
            e.selector,
            e.text.as_deref().unwrap_or("-")
        ),
    };
    assert_eq!(got, want, "{name}");
}

#[test]
fn attribution_cases() {
    let span_in_button = el(
        10,
        "div",
        r#""id":"main""#,
        &[
            el(11, "button", r#""class":"btn""#, &txt(12, "Cancel")),
            el(
                13,
                "button",
                r#""class":"btn checkout  primary","data-testid":"buy""#,
                &[
                    el(14, "span", "", &txt(15, "Add to cart")),
                    el(16, "i", r#""class":"icon""#, ""),
                ]
                .join(","),
            ),
        ]
        .join(","),
    );
    check(
        "span inside a button is the button",
        &span_in_button,
        14,
        "button|13|Add to cart|button|true|div#main > button.btn.checkout.primary:nth-of-type(2)|Add to cart",
    );
    check(
        "text node target is its element",
        &span_in_button,
        15,
        "button|13|Add to cart|button|true|div#main > button.btn.checkout.primary:nth-of-type(2)|Add to cart",
    );
    check(
        "first of two buttons",
        &span_in_button,
        12,
        "button|11|Cancel|button|true|div#main > button.btn:nth-of-type(1)|Cancel",
    );
    check(
        "plain text is not interactive",
        &el(
            20,
            "p",
            "",
            &[txt(21, "Hello "), el(22, "b", "", &txt(23, "world"))].join(","),
        ),
        22,
        "b|22|world|b|false|body > p > b|world",
    );
    check(
        "link with query string",
        &el(
            30,
            "a",
            r#""href":"https://shop.test/cart?session=abc#top","class":"2bad ok""#,
            &txt(31, "Cart"),
        ),
        31,
        "a|30|Cart|link|true|body > a.ok|Cart",
    );
    check(
        "anchor without href is not a link",
        &el(32, "a", r#""name":"top""#, &txt(33, "Top")),
        33,
        "a|32|Top|a|false|body > a|Top",
    );
    check(
        "masked text never becomes the label",
        &el(
            40,
            "button",
            r#""aria-label":"Pay now""#,
            &txt(41, "*** ***"),
        ),
        40,
        "button|40|Pay now|button|true|body > button|-",
    );
    check(
        "partly masked text keeps its masked part out",
        &el(
            42,
            "div",
            r#""role":"button""#,
            &[
                txt(43, "Total"),
                el(44, "span", r#""class":"reel-mask""#, &txt(45, "*****")),
            ]
            .join(","),
        ),
        45,
        "div|42|Total|button|true|body > div|Total",
    );
    check(
        "field labelled by label[for]",
        &[
            el(50, "label", r#""for":"email""#, &txt(51, "Email")),
            el(52, "input", r#""type":"text","id":"email","name":"email","placeholder":"jane@example.com","value":"typed@secret""#, ""),
        ]
        .join(","),
        52,
        "input|52|Email|field|true|input#email|-",
    );
    check(
        "field inside a label",
        &el(
            53,
            "label",
            "",
            &[txt(54, "Name "), el(55, "input", r#""name":"n""#, "")].join(","),
        ),
        55,
        "input|55|Name|field|true|body > label > input|-",
    );
    check(
        "field with only a placeholder",
        &el(
            56,
            "textarea",
            r#""placeholder":"Your message""#,
            &txt(57, "secret typed text"),
        ),
        56,
        "textarea|56|Your message|field|true|body > textarea|-",
    );
    check(
        "submit input captioned by its value",
        &el(58, "input", r#""type":"submit","value":"Send""#, ""),
        58,
        "input|58|Send|button|true|body > input|-",
    );
    check(
        "icon button labelled by the image alt",
        &el(
            60,
            "button",
            "",
            &el(61, "img", r#""alt":"Close","src":"x.png""#, ""),
        ),
        61,
        "button|60|Close|button|true|body > button|-",
    );
    check(
        "role, onclick and tabindex are interactive",
        &[
            el(70, "div", r#""role":"tab""#, &txt(71, "Specs")),
            el(72, "div", r#""onclick":"go()""#, &txt(73, "Go")),
            el(74, "li", r#""tabindex":"0""#, &txt(75, "Item")),
        ]
        .join(","),
        73,
        "div|72|Go|div|true|body > div:nth-of-type(2)|Go",
    );
    check(
        "style and script text are not element text",
        &el(
            80,
            "div",
            "",
            &[
                el(81, "style", "", &txt(82, "a{}")),
                el(83, "script", "", &txt(84, "x()")),
                txt(85, "Shown"),
            ]
            .join(","),
        ),
        80,
        "div|80|Shown|div|false|body > div|Shown",
    );
    check(
        "odd id is quoted",
        &el(
            90,
            "section",
            r#""id":"a b\"c""#,
            &el(91, "span", "", &txt(92, "x")),
        ),
        91,
        "span|91|x|span|false|section[id=\"a b\\\"c\"] > span|x",
    );
    check(
        "a click on the page background",
        &el(97, "p", "", &txt(98, "Some text")),
        3,
        "body|3|-|body|false|body|-",
    );
    check("unknown node", "", 999, "none");
    check("document is not an element", "", 1, "none");
    check(
        "long text is cut",
        &el(95, "p", "", &txt(96, &"word ".repeat(100))),
        95,
        &format!(
            "p|95|{}…|p|false|body > p|{}",
            "word ".repeat(12).trim_end(),
            "word ".repeat(40).trim_end()
        ),
    );
}

#[test]
fn element_fields() {
    let m = mirror_of(&el(
        10,
        "a",
        r#""href":"/files/report.pdf?token=x","download":"","target":"_blank","title":"Report","role":"link","data-testid":"dl""#,
        &txt(11, "Download"),
    ));
    let e = describe(&m, 11).unwrap();
    assert_eq!(e.href.as_deref(), Some("/files/report.pdf"));
    assert!(e.download);
    assert_eq!(e.link_target.as_deref(), Some("_blank"));
    assert_eq!(e.test_id.as_deref(), Some("dl"));
    assert_eq!(e.title.as_deref(), Some("Report"));
    assert_eq!(e.target_id, 11);
    assert_eq!(e.node_id, 10);
}

#[test]
fn attribution_follows_mutations() {
    let mut m = mirror_of(&el(10, "div", "", &txt(11, "Old")));
    let mutation = r#"{"type":3,"timestamp":2,"data":{"source":0,"texts":[{"id":11,"value":"New"}],"attributes":[{"id":10,"attributes":{"role":"button","id":"x"}}],"removes":[],"adds":[]}}"#;
    if let Data::Incremental(Incremental::Mutation(mu)) =
        parse_event(mutation, None, 100).unwrap().data
    {
        m.apply_mutation(&mu, &mut ());
    }
    let e = describe(&m, 11).unwrap();
    assert_eq!(
        (e.label.as_deref(), e.interactive, e.selector.as_str()),
        (Some("New"), true, "div#x")
    );
}
