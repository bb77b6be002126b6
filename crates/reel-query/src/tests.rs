//! Table-driven tests of [`crate::parse`]: one `check` per case, a JSON search in and the typed
//! filter (or the error's words) out.

use std::collections::HashMap;

use serde_json::json;

use super::*;
use reel_model::Fact as Counted;

const NOW: i64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z
const DAY: i64 = 86_400_000;

fn cohorts() -> HashMap<i64, CohortDefinition> {
    let definition: CohortDefinition = serde_json::from_value(json!({"conditions": [
        {"user_property": "plan", "op": "is", "values": ["pro"]},
        {"performed": "Purchase", "min_count": 2, "negate": true}
    ]}))
    .unwrap();
    HashMap::from([(7, definition)])
}

fn run(request: serde_json::Value, tz: &str) -> Result<Search, String> {
    let request: SearchRequest =
        serde_json::from_value(request).map_err(|e| format!("json: {e}"))?;
    let cohorts = cohorts();
    let cx = ParseContext {
        timezone: tz.parse().unwrap(),
        now_ms: NOW,
        cohorts: &cohorts,
    };
    parse(&request, &cx).map_err(|e| e.0)
}

/// One filter in, the typed filter (or an error containing `want_err`) out.
fn check(filter: serde_json::Value, want: Result<Filter, &str>) {
    let got = run(json!({"filters": [filter.clone()]}), "UTC").map(|s| s.filters[0].clone());
    match (got, want) {
        (Ok(g), Ok(w)) => assert_eq!(g, w, "{filter}"),
        (Err(e), Err(w)) => assert!(e.contains(w), "{filter}: {e:?} should say {w:?}"),
        (got, want) => panic!("{filter}: got {got:?}, want {want:?}"),
    }
}

fn yes(predicate: Predicate) -> Result<Filter, &'static str> {
    Ok(Filter {
        negated: false,
        predicate,
    })
}

fn not(predicate: Predicate) -> Result<Filter, &'static str> {
    Ok(Filter {
        negated: true,
        predicate,
    })
}

fn key(k: &str) -> PropertyKey {
    PropertyKey(k.into())
}

fn fact(fact: Fact, condition: NumberCondition) -> Predicate {
    Predicate::Fact { fact, condition }
}

#[test]
fn text_fields_and_their_operators() {
    use TextCondition as T;
    let country = |c| Predicate::Attribute {
        attribute: Attribute::Country,
        condition: c,
    };
    check(
        json!({"field": "country", "op": "is", "values": ["DE", "FR"]}),
        yes(country(T::Is(vec!["DE".into(), "FR".into()]))),
    );
    check(
        json!({"field": "country", "op": "is_not", "values": ["DE"]}),
        not(country(T::Is(vec!["DE".into()]))),
    );
    check(
        json!({"field": "country", "op": "is_not", "values": ["DE"], "negate": true}),
        yes(country(T::Is(vec!["DE".into()]))),
    );
    check(
        json!({"field": "browser", "op": "contains", "values": ["chro"]}),
        yes(Predicate::Attribute {
            attribute: Attribute::Browser,
            condition: T::Contains("chro".into()),
        }),
    );
    check(
        json!({"field": "os", "op": "does_not_contain", "values": ["win"]}),
        not(Predicate::Attribute {
            attribute: Attribute::Os,
            condition: T::Contains("win".into()),
        }),
    );
    check(
        json!({"field": "device", "op": "exists"}),
        yes(Predicate::Attribute {
            attribute: Attribute::Device,
            condition: T::Exists,
        }),
    );
    check(
        json!({"field": "country", "op": "does_not_exist"}),
        not(country(T::Exists)),
    );
    check(
        json!({"field": "user_id", "op": "is", "values": [42]}),
        yes(Predicate::UserId(T::Is(vec!["42".into()]))),
    );
    check(
        json!({"field": "user_id", "op": "greater_than", "values": [1]}),
        Err("greater_than does not apply to text"),
    );
    check(
        json!({"field": "country", "op": "is"}),
        Err("is needs at least one value"),
    );
    check(
        json!({"field": "country", "op": "contains", "values": ["a", "b"]}),
        Err("contains takes exactly one value"),
    );
    check(
        json!({"field": "country", "op": "contains", "values": [""]}),
        Err("the value is empty"),
    );
    check(
        json!({"field": "country", "op": "exists", "values": ["x"]}),
        Err("exists takes no values"),
    );
    check(
        json!({"field": "country", "values": ["x"]}),
        Err("op is needed for country"),
    );
    check(
        json!({"field": "country", "op": "glob", "values": ["*"]}),
        Err("glob does not apply to text"),
    );
}

#[test]
fn numeric_facts_and_their_operators() {
    use NumberCondition as N;
    check(
        json!({"field": "duration_ms", "op": "greater_than", "values": [60000]}),
        yes(fact(Fact::DurationMs, N::GreaterThan(60_000.0))),
    );
    check(
        json!({"field": "active_ms", "op": "less_than", "values": ["5000"]}),
        yes(fact(
            Fact::Recorded(Counted::ActiveMs),
            N::LessThan(5_000.0),
        )),
    );
    check(
        json!({"field": "rage_click_count", "op": "between", "values": [1, 3]}),
        yes(fact(
            Fact::Recorded(Counted::RageClickCount),
            N::Between(1.0, 3.0),
        )),
    );
    check(
        json!({"field": "dead_click_count", "op": "is", "values": [0]}),
        yes(fact(
            Fact::Recorded(Counted::DeadClickCount),
            N::Is(vec![0.0]),
        )),
    );
    check(
        json!({"field": "error_click_count", "op": "is_not", "values": [0]}),
        not(fact(
            Fact::Recorded(Counted::ErrorClickCount),
            N::Is(vec![0.0]),
        )),
    );
    check(
        json!({"field": "viewport_width", "op": "exists"}),
        yes(fact(Fact::ViewportWidth, N::Exists)),
    );
    check(
        json!({"field": "viewport_height", "op": "does_not_exist"}),
        not(fact(Fact::ViewportHeight, N::Exists)),
    );
    check(
        json!({"field": "error_count", "op": "greater_than", "values": [0]}),
        yes(fact(Fact::Errors, N::GreaterThan(0.0))),
    );
    for (field, f) in [
        ("click_count", Fact::Recorded(Counted::ClickCount)),
        ("keypress_count", Fact::Recorded(Counted::KeypressCount)),
        ("page_view_count", Fact::Recorded(Counted::PageViewCount)),
        (
            "console_error_count",
            Fact::Recorded(Counted::ConsoleErrorCount),
        ),
        (
            "network_error_count",
            Fact::Recorded(Counted::NetworkErrorCount),
        ),
        (
            "runtime_error_count",
            Fact::Recorded(Counted::RuntimeErrorCount),
        ),
    ] {
        check(
            json!({"field": field, "op": "greater_than", "values": [2]}),
            yes(fact(f, N::GreaterThan(2.0))),
        );
    }
    check(
        json!({"field": "duration_ms", "op": "between", "values": [5, 1]}),
        Err("smaller value first"),
    );
    check(
        json!({"field": "duration_ms", "op": "between", "values": [5]}),
        Err("between takes two values"),
    );
    check(
        json!({"field": "duration_ms", "op": "greater_than", "values": ["long"]}),
        Err("\"long\" is not a number"),
    );
    check(
        json!({"field": "duration_ms", "op": "contains", "values": ["1"]}),
        Err("contains does not apply to numbers"),
    );
}

#[test]
fn events_and_sequences() {
    let purchase = |properties, min_count| EventMatch {
        name: "Purchase".into(),
        properties,
        min_count,
    };
    check(
        json!({"field": "event", "name": "Purchase"}),
        yes(Predicate::Performed(purchase(vec![], 1))),
    );
    check(
        json!({"field": "event", "name": "Purchase", "negate": true}),
        not(Predicate::Performed(purchase(vec![], 1))),
    );
    check(
        json!({"field": "event", "name": " Purchase ", "min_count": 3, "where": [
            {"property": "plan", "op": "is_not", "values": ["free"]},
            {"property": "price", "op": "between", "values": [10, 20.5]},
            {"property": "coupon", "op": "exists"},
            {"property": "gift", "op": "is", "values": [true]}
        ]}),
        yes(Predicate::Performed(purchase(
            vec![
                PropertyCondition {
                    key: key("plan"),
                    negated: true,
                    condition: ValueCondition::Is(vec![Scalar::Text("free".into())]),
                },
                PropertyCondition {
                    key: key("price"),
                    negated: false,
                    condition: ValueCondition::Between(10.0, 20.5),
                },
                PropertyCondition {
                    key: key("coupon"),
                    negated: false,
                    condition: ValueCondition::Exists,
                },
                PropertyCondition {
                    key: key("gift"),
                    negated: false,
                    condition: ValueCondition::Is(vec![Scalar::Bool(true)]),
                },
            ],
            3,
        ))),
    );
    check(
        json!({"field": "event", "name": "Purchase", "min_count": 0}),
        Err("min_count must be at least 1"),
    );
    check(json!({"field": "event"}), Err("name is needed for event"));
    check(
        json!({"field": "event", "name": "  "}),
        Err("the event name is empty"),
    );
    check(
        json!({"field": "event", "name": "A", "op": "is"}),
        Err("event takes no op or values"),
    );
    check(
        json!({"field": "event", "name": "A", "where": [{"property": "k".repeat(1025), "op": "exists"}]}),
        Err("at most 1024 characters"),
    );
    check(
        json!({"field": "event", "name": "A", "where": [{"property": "url", "op": "glob", "values": ["*"]}]}),
        Err("glob does not apply to properties"),
    );
    check(
        json!({"field": "sequence", "steps": [{"name": "Add to cart"}, {"name": "Purchase", "where": [{"property": "plan", "op": "is", "values": ["pro"]}]}]}),
        yes(Predicate::Sequence(vec![
            EventMatch {
                name: "Add to cart".into(),
                properties: vec![],
                min_count: 1,
            },
            EventMatch {
                name: "Purchase".into(),
                properties: vec![PropertyCondition {
                    key: key("plan"),
                    negated: false,
                    condition: ValueCondition::Is(vec![Scalar::Text("pro".into())]),
                }],
                min_count: 1,
            },
        ])),
    );
    check(
        json!({"field": "sequence", "steps": [{"name": "A"}]}),
        Err("a sequence has 2 to 5 steps"),
    );
    check(
        json!({"field": "country", "op": "exists", "name": "A"}),
        Err("name does not apply to country"),
    );
}

#[test]
fn users_and_cohorts() {
    check(
        json!({"field": "user_property", "property": "plan", "op": "is", "values": ["pro", 3]}),
        yes(Predicate::UserProperty {
            key: key("plan"),
            condition: ValueCondition::Is(vec![Scalar::Text("pro".into()), Scalar::Number(3.0)]),
        }),
    );
    check(
        json!({"field": "user_property", "property": "age", "op": "greater_than", "values": [30]}),
        yes(Predicate::UserProperty {
            key: key("age"),
            condition: ValueCondition::GreaterThan(30.0),
        }),
    );
    check(
        json!({"field": "user_property", "property": "email", "op": "does_not_contain", "values": ["@example.com"]}),
        not(Predicate::UserProperty {
            key: key("email"),
            condition: ValueCondition::Contains("@example.com".into()),
        }),
    );
    check(
        json!({"field": "user_property", "op": "exists"}),
        Err("property is needed"),
    );
    let cohort = Cohort {
        id: 7,
        conditions: vec![
            CohortCondition::UserProperty {
                key: key("plan"),
                negated: false,
                condition: ValueCondition::Is(vec![Scalar::Text("pro".into())]),
            },
            CohortCondition::Performed {
                name: "Purchase".into(),
                negated: true,
                min_count: 2,
            },
        ],
    };
    check(
        json!({"field": "cohort", "cohort": 7}),
        yes(Predicate::Cohort(cohort.clone())),
    );
    check(
        json!({"field": "cohort", "cohort": 7, "op": "is_not"}),
        not(Predicate::Cohort(cohort)),
    );
    check(
        json!({"field": "cohort", "cohort": 8}),
        Err("there is no cohort 8"),
    );
    check(
        json!({"field": "cohort", "cohort": 7, "op": "contains"}),
        Err("cohort takes is or is_not"),
    );
}

#[test]
fn urls_elements_and_console() {
    use UrlCondition as U;
    check(
        json!({"field": "url", "op": "is", "values": ["https://a.test/x"]}),
        yes(Predicate::Url(U::Is(vec!["https://a.test/x".into()]))),
    );
    check(
        json!({"field": "url", "op": "is_not", "values": ["https://a.test/x"]}),
        not(Predicate::Url(U::Is(vec!["https://a.test/x".into()]))),
    );
    check(
        json!({"field": "url", "op": "contains", "values": ["/checkout"]}),
        yes(Predicate::Url(U::Contains("/checkout".into()))),
    );
    check(
        json!({"field": "url", "op": "starts_with", "values": ["https://a.test/"]}),
        yes(Predicate::Url(U::StartsWith("https://a.test/".into()))),
    );
    check(
        json!({"field": "url", "op": "glob", "values": ["*/product/*"]}),
        yes(Predicate::Url(U::Glob("*/product/*".into()))),
    );
    check(
        json!({"field": "url", "op": "glob", "values": ["*/product/*"], "negate": true}),
        not(Predicate::Url(U::Glob("*/product/*".into()))),
    );
    check(
        json!({"field": "url", "op": "greater_than", "values": [1]}),
        Err("greater_than does not apply to urls"),
    );

    let selector = selector::Selector::parse("button.checkout").unwrap();
    check(
        json!({"field": "clicked_element", "selector": "button.checkout"}),
        yes(Predicate::ClickedElement {
            element: ElementMatch::Selector(selector.clone()),
            signal: ClickSignal::Click,
        }),
    );
    check(
        json!({"field": "clicked_element", "selector": "button.checkout", "signal": "rage", "negate": true}),
        not(Predicate::ClickedElement {
            element: ElementMatch::Selector(selector),
            signal: ClickSignal::Rage,
        }),
    );
    check(
        json!({"field": "clicked_element", "op": "contains", "values": ["Pay"], "signal": "dead"}),
        yes(Predicate::ClickedElement {
            element: ElementMatch::Text(TextCondition::Contains("Pay".into())),
            signal: ClickSignal::Dead,
        }),
    );
    check(
        json!({"field": "clicked_element", "op": "is_not", "values": ["Pay now"], "signal": "error"}),
        not(Predicate::ClickedElement {
            element: ElementMatch::Text(TextCondition::Is(vec!["Pay now".into()])),
            signal: ClickSignal::Error,
        }),
    );
    check(
        json!({"field": "clicked_element", "selector": "button:hover"}),
        Err("selector: the pseudo-class :hover"),
    );
    check(
        json!({"field": "clicked_element"}),
        Err("needs either selector or op"),
    );
    check(
        json!({"field": "clicked_element", "op": "exists"}),
        Err("compares the element's text"),
    );
    check(
        json!({"field": "country", "op": "exists", "signal": "rage"}),
        Err("signal does not apply to country"),
    );

    check(
        json!({"field": "console_message", "op": "contains", "values": ["Payment failed"]}),
        yes(Predicate::ConsoleMessage(MessageCondition::Contains(
            Phrase("Payment failed".into()),
        ))),
    );
    check(
        json!({"field": "console_message", "op": "does_not_contain", "values": ["timeout"]}),
        not(Predicate::ConsoleMessage(MessageCondition::Contains(
            Phrase("timeout".into()),
        ))),
    );
    check(
        json!({"field": "console_message", "op": "is", "values": ["boom"]}),
        yes(Predicate::ConsoleMessage(MessageCondition::Is(
            "boom".into(),
        ))),
    );
    check(
        json!({"field": "console_message", "op": "exists"}),
        yes(Predicate::ConsoleMessage(MessageCondition::Exists)),
    );
    check(
        json!({"field": "console_message", "op": "contains", "values": ["..."]}),
        Err("must hold a word"),
    );
    check(
        json!({"field": "console_message", "op": "starts_with", "values": ["x"]}),
        Err("starts_with does not apply to console messages"),
    );
}

#[test]
fn ranges_sort_limit_cursor_and_text() {
    let ok = |request: serde_json::Value, tz: &str| {
        run(request.clone(), tz).unwrap_or_else(|e| panic!("{request}: {e}"))
    };
    let default = ok(json!({}), "UTC");
    assert_eq!(
        default.range,
        TimeRange {
            start_ms: NOW + 1 - 30 * DAY,
            end_ms: NOW + 1
        }
    );
    assert_eq!(
        (
            default.limit,
            default.sort,
            default.count_total,
            default.text
        ),
        (100, Sort::default(), true, None)
    );
    // A day is the project's day: in Berlin, 2026-01-01 starts at 23:00 UTC the day before.
    let berlin = ok(
        json!({"start": "2026-01-01", "end": "2026-01-01"}),
        "Europe/Berlin",
    );
    assert_eq!(
        berlin.range,
        TimeRange {
            start_ms: NOW - 3_600_000,
            end_ms: NOW + DAY - 3_600_000
        }
    );
    let sorted = ok(
        json!({"sort": "duration", "order": "asc", "limit": 500, "count": false, "q": " Payment failed "}),
        "UTC",
    );
    assert_eq!(
        sorted.sort,
        Sort {
            key: SortKey::Duration,
            descending: false
        }
    );
    assert_eq!((sorted.limit, sorted.count_total), (100, false));
    assert_eq!(
        sorted.text.as_ref().map(Phrase::as_str),
        Some("Payment failed")
    );
    let cursor = Cursor {
        sort: Sort::default(),
        value: NOW - 5,
        row: 9,
        total: Some(120),
    };
    let paged = ok(json!({"cursor": encode_cursor(&cursor)}), "UTC");
    assert_eq!(paged.after, Some(cursor));

    let errors: Vec<(serde_json::Value, &str)> = vec![
        (
            json!({"start": "2026-01-02", "end": "2026-01-01"}),
            "start must be before end",
        ),
        (json!({"start": "last week"}), "start: must be a date"),
        (json!({"limit": 0}), "limit must be at least 1"),
        (json!({"q": "  !! "}), "q must hold a word"),
        (
            json!({"sort": "duration", "cursor": encode_cursor(&cursor)}),
            "another sort order",
        ),
        (
            json!({"cursor": "nonsense"}),
            "not one this server gave out",
        ),
        (
            json!({"filters": [{"field": "nope", "op": "is"}]}),
            "json: unknown variant `nope`",
        ),
        (
            json!({"filters": [{"field": "country", "op": "is", "values": ["DE"], "extra": 1}]}),
            "json: unknown field `extra`",
        ),
        (json!({"colour": "red"}), "json: unknown field `colour`"),
        (
            json!({"filters": [{"field": "country", "op": "exists"}, {"field": "country", "op": "is"}]}),
            "filter 2: is needs at least one value",
        ),
    ];
    for (request, want) in errors {
        let e = run(request.clone(), "UTC").expect_err(&request.to_string());
        assert!(e.contains(want), "{request}: {e:?} should say {want:?}");
    }
}

#[test]
fn cohort_definitions() {
    let cases: Vec<(serde_json::Value, Result<usize, &str>)> = vec![
        (
            json!({"conditions": [{"user_property": "plan", "op": "exists"}]}),
            Ok(1),
        ),
        (
            json!({"conditions": [{"performed": "Login"}, {"user_property": "age", "op": "between", "values": [18, 30]}]}),
            Ok(2),
        ),
        (json!({"conditions": []}), Err("at least one condition")),
        (
            json!({"conditions": [{"performed": "Login", "op": "is"}]}),
            Err("take min_count, not op"),
        ),
        (
            json!({"conditions": [{"user_property": "plan"}]}),
            Err("op is needed"),
        ),
        (
            json!({"conditions": [{"user_property": "plan", "op": "exists", "min_count": 2}]}),
            Err("min_count belongs to performed"),
        ),
        (
            json!({"conditions": [{"negate": true}]}),
            Err("give either user_property"),
        ),
    ];
    for (definition, want) in cases {
        let parsed: CohortDefinition = serde_json::from_value(definition.clone()).unwrap();
        match (parse_cohort(1, &parsed), want) {
            (Ok(c), Ok(n)) => assert_eq!(c.conditions.len(), n, "{definition}"),
            (Err(e), Err(w)) => assert!(e.0.contains(w), "{definition}: {e}"),
            (got, want) => panic!("{definition}: got {got:?}, want {want:?}"),
        }
    }
}

#[test]
fn the_wire_form_round_trips() {
    let request: SearchRequest = serde_json::from_value(json!({
        "start": "2026-01-01", "q": "oops", "sort": "errors", "order": "asc", "limit": 5,
        "filters": [
            {"field": "event", "name": "A", "where": [{"property": "p", "op": "is", "values": [1]}], "min_count": 2},
            {"field": "clicked_element", "selector": "a.b", "signal": "dead", "negate": true}
        ]
    }))
    .unwrap();
    let text = serde_json::to_string(&request).unwrap();
    assert_eq!(
        serde_json::from_str::<SearchRequest>(&text).unwrap(),
        request
    );
    assert!(!text.contains("null"), "absent members stay absent: {text}");
}
