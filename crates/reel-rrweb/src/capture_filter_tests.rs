use super::*;

fn event(json: &str) -> Event {
    Event::parse(json).expect("event JSON")
}

fn meta(ts: i64, href: &str) -> String {
    format!(r#"{{"type":4,"data":{{"href":"{href}","width":800,"height":600}},"timestamp":{ts}}}"#)
}

const SNAPSHOT: &str =
    r#"{"type":2,"data":{"node":{"type":0,"childNodes":[],"id":1}},"timestamp":2}"#;
const CONSOLE: &str = r#"{"type":6,"data":{"plugin":"rrweb/console@1","payload":{"level":"log","payload":["\"hi\""]}},"timestamp":3}"#;
const OLD_CONSOLE: &str =
    r#"{"type":3,"data":{"source":11,"level":"warn","payload":["\"x\""]},"timestamp":4}"#;
const NETWORK: &str =
    r#"{"type":6,"data":{"plugin":"rrweb/network@1","payload":{"requests":[]}},"timestamp":5}"#;
const FETCH: &str = r#"{"type":5,"data":{"tag":"fetch-request","payload":{"url":"/a","status":500}},"timestamp":6}"#;
const MOVE: &str = r#"{"type":3,"data":{"source":1,"positions":[]},"timestamp":7}"#;
const CUSTOM: &str = r#"{"type":5,"data":{"tag":"checkout","payload":{}},"timestamp":8}"#;

fn timestamps(events: &[Event]) -> Vec<i64> {
    events.iter().map(|e| e.timestamp).collect()
}

#[test]
fn rules_drop_what_they_name_and_keep_the_rest_byte_for_byte() {
    let blocked = UrlPatterns::new(&["https://shop.test/account*".into()]);
    let upload = |first_page: &str| -> Vec<Event> {
        [
            first_page.to_owned(),
            SNAPSHOT.into(),
            CONSOLE.into(),
            OLD_CONSOLE.into(),
            NETWORK.into(),
            FETCH.into(),
            MOVE.into(),
            CUSTOM.into(),
        ]
        .iter()
        .map(|e| event(e))
        .collect()
    };
    let home = meta(1, "https://shop.test/");
    let account = meta(1, "https://shop.test/account/orders");
    // (rules, first page, page header, kept timestamps, dropped)
    let cases = [
        (
            CaptureRules::default(),
            &home,
            None,
            vec![1, 2, 3, 4, 5, 6, 7, 8],
            Dropped::default(),
        ),
        (
            CaptureRules {
                console: false,
                ..Default::default()
            },
            &home,
            None,
            vec![1, 2, 5, 6, 7, 8],
            Dropped {
                console: 2,
                ..Default::default()
            },
        ),
        (
            CaptureRules {
                network: false,
                ..Default::default()
            },
            &home,
            None,
            vec![1, 2, 3, 4, 7, 8],
            Dropped {
                network: 2,
                ..Default::default()
            },
        ),
        (
            CaptureRules {
                blocked_pages: blocked.clone(),
                ..Default::default()
            },
            &account,
            None,
            vec![],
            Dropped {
                blocked_page: 8,
                ..Default::default()
            },
        ),
        (
            CaptureRules {
                blocked_pages: blocked.clone(),
                ..Default::default()
            },
            &home,
            Some("https://shop.test/account"),
            vec![1, 2, 3, 4, 5, 6, 7, 8],
            Dropped::default(),
        ),
    ];
    for (rules, first, page, want, want_dropped) in cases {
        let events = upload(first);
        let texts: Vec<String> = events.iter().map(|e| e.json().to_owned()).collect();
        let (kept, dropped) = apply(events, &rules, page);
        assert_eq!(timestamps(&kept), want, "{rules:?}");
        assert_eq!(dropped, want_dropped, "{rules:?}");
        for e in &kept {
            assert!(
                texts.iter().any(|t| t == e.json()),
                "kept events are unchanged"
            );
        }
    }
}

#[test]
fn a_blocked_page_ends_at_the_next_page_and_continues_from_the_header() {
    let rules = CaptureRules {
        blocked_pages: UrlPatterns::new(&["*/secret".into()]),
        ..Default::default()
    };
    // Events before the first Meta belong to the page the SDK says it is on.
    let events: Vec<Event> = [
        MOVE.to_owned(),
        meta(10, "https://a.test/open"),
        SNAPSHOT.into(),
    ]
    .iter()
    .map(|e| event(e))
    .collect();
    let (kept, dropped) = apply(events, &rules, Some("https://a.test/secret"));
    assert_eq!(timestamps(&kept), vec![10, 2]);
    assert_eq!(dropped.blocked_page, 1);
    // A blocked page in the middle of an upload: dropped up to the next page.
    let events: Vec<Event> = [
        meta(1, "https://a.test/open"),
        MOVE.into(),
        meta(20, "https://a.test/secret"),
        MOVE.into(),
        meta(30, "https://a.test/open"),
    ]
    .iter()
    .map(|e| event(e))
    .collect();
    let (kept, _) = apply(events, &rules, None);
    assert_eq!(timestamps(&kept), vec![1, 7, 30]);
}
