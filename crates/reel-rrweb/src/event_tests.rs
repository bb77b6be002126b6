use super::*;

#[test]
fn parse_cases() {
    let cases: &[(&str, Result<(EventType, i64, Option<&str>), EventError>)] = &[
        (
            r#"{"type":4,"data":{"href":"https://shop.test/a","width":1,"height":2},"timestamp":1700000000000}"#,
            Ok((
                EventType::Meta,
                1_700_000_000_000,
                Some("https://shop.test/a"),
            )),
        ),
        (
            r#"{"type":3,"data":{"source":1},"timestamp":5}"#,
            Ok((EventType::IncrementalSnapshot, 5, None)),
        ),
        (
            r#"{"type":2,"data":{},"timestamp":12.9}"#,
            Ok((EventType::FullSnapshot, 12, None)),
        ),
        (
            r#"{"type":42,"data":{},"timestamp":1}"#,
            Ok((EventType::Other(42), 1, None)),
        ),
        (
            r#"{"type":4,"data":"odd","timestamp":1}"#,
            Ok((EventType::Meta, 1, None)),
        ),
        (r#"{"data":{},"timestamp":1}"#, Err(EventError::MissingType)),
        (
            r#"{"type":"2","timestamp":1}"#,
            Err(EventError::MissingType),
        ),
        (r#"{"type":2}"#, Err(EventError::MissingTimestamp)),
    ];
    for (input, want) in cases {
        let got = Event::parse(input).map(|e| (e.kind, e.timestamp, e.href.clone()));
        let want = want.clone().map(|(k, t, h)| (k, t, h.map(str::to_owned)));
        assert_eq!(got, want, "{input}");
    }
}

#[test]
fn keeps_original_text() {
    let text = r#"{"type":3, "timestamp":7,"data":{"source":2,"x":1.50}}"#;
    assert_eq!(Event::parse(text).unwrap().json(), text);
}

#[test]
fn not_json_is_an_error() {
    assert!(matches!(Event::parse("nope"), Err(EventError::NotJson(_))));
}
