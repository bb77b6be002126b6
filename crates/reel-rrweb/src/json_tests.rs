use super::*;

fn check_decode(raw_json: &str, want: &str) {
    let mut p = Parser::new(raw_json);
    let s = p.str_value().unwrap().unwrap();
    assert_eq!(s.decode(), want, "{raw_json}");
    assert!(s.eq_str(want));
}

#[test]
fn strings_decode() {
    let cases = [
        (r#""plain""#, "plain"),
        (r#""a\"b\\c\/d""#, "a\"b\\c/d"),
        (r#""\n\t\r\b\f""#, "\n\t\r\u{8}\u{c}"),
        (r#""\u00e9\u4e2d""#, "é中"),
        (r#""\ud83d\ude00""#, "😀"),
        (r#""\ud83d x""#, "\u{fffd} x"),
        (r#""\uZZZZ""#, "\u{fffd}ZZZZ"),
        (r#""\x""#, "\u{fffd}"),
        ("\"\\é\"", "\u{fffd}é"),
        (r#""ünï""#, "ünï"),
    ];
    for (raw, want) in cases {
        check_decode(raw, want);
    }
}

#[test]
fn decode_prefix_is_bounded() {
    let mut p = Parser::new(r#""ab\"cdéf""#);
    let s = p.str_value().unwrap().unwrap();
    assert_eq!(s.decode_prefix(3), "ab\"");
    assert_eq!(s.decode_prefix(5), "ab\"cd");
    assert_eq!(s.decode_prefix(6), "ab\"cd");
    assert_eq!(JsonStr::plain("héllo").decode_prefix(2), "h");
}

#[test]
fn numbers() {
    let cases: &[(&str, Option<i64>, Option<f64>)] = &[
        ("12", Some(12), Some(12.0)),
        ("-7", Some(-7), Some(-7.0)),
        ("12.9", Some(12), Some(12.9)),
        ("1e3", Some(1000), Some(1000.0)),
        ("99999999999999999999", Some(i64::MAX), Some(1e20)),
        ("-", None, None),
        ("\"5\"", None, None),
        ("null", None, None),
        ("[1]", None, None),
    ];
    for &(text, int, num) in cases {
        assert_eq!(Parser::new(text).int().unwrap(), int, "{text}");
        assert_eq!(Parser::new(text).number().unwrap(), num, "{text}");
    }
}

#[test]
fn walks_objects_and_skips() {
    let text = r#" {"a": [1, {"x": "}"}, [[]]], "b" : true, "c": null, "d": "\"q"} "#;
    let mut p = Parser::new(text);
    assert!(p.begin_object().unwrap());
    let mut first = true;
    let mut keys = Vec::new();
    while let Some(k) = p.next_key(&mut first).unwrap() {
        keys.push(k.decode().into_owned());
        match k.raw() {
            "b" => assert_eq!(p.boolean().unwrap(), Some(true)),
            "c" => assert!(p.null()),
            _ => p.skip_value().unwrap(),
        }
    }
    assert_eq!(keys, ["a", "b", "c", "d"]);
    assert!(p.at_end());
}

#[test]
fn deep_nesting_skips_without_recursion() {
    let depth = 200_000;
    let text = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let mut p = Parser::new(&text);
    p.skip_value().unwrap();
    assert!(p.at_end());
    let truncated = "[{\"a\":".repeat(depth);
    assert_eq!(Parser::new(&truncated).skip_value(), Err(Invalid));
}

#[test]
fn malformed_input_is_an_error_not_a_panic() {
    for text in [
        "",
        "{",
        "[",
        "\"abc",
        "\"abc\\",
        "{\"a\"}",
        "{\"a\":1,}",
        "}",
        ",",
        "{1:2}",
        "[1,]",
    ] {
        let mut p = Parser::new(text);
        let _ = p.skip_value();
        let mut p = Parser::new(text);
        if let Ok(true) = p.begin_object() {
            let mut first = true;
            while let Ok(Some(_)) = p.next_key(&mut first) {
                if p.skip_value().is_err() {
                    break;
                }
            }
        }
    }
}

#[test]
fn finds_quotes_across_words() {
    let s = "0123456789abcdef\"";
    assert_eq!(find_quote_or_backslash(s.as_bytes(), 0), Some(16));
    assert_eq!(find_quote_or_backslash(s.as_bytes(), 3), Some(16));
    let s = "01234567\\";
    assert_eq!(find_quote_or_backslash(s.as_bytes(), 0), Some(8));
    assert_eq!(find_quote_or_backslash(b"abc", 0), None);
    assert_eq!(find_quote_or_backslash("é\"".as_bytes(), 0), Some(2));
}
