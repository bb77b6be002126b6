//! Event and user properties in a shape every query can read.
//!
//! Properties come from anyone who holds a project's public ingestion key, and one stored row
//! that a query cannot read (JSON nested past what the database's JSON functions accept, a
//! key no path can name, megabytes of one value) would fail that query for every user of the
//! project. So every event is bounded before it is stored, whichever path it came in by: a
//! property whose key is longer than [`MAX_KEY_CHARS`], whose value nests deeper than
//! [`MAX_DEPTH`] or is larger than [`MAX_VALUE_BYTES`], or that comes after the first
//! [`MAX_PROPERTIES`] or past [`MAX_OBJECT_BYTES`] of its object, is dropped and counted; the
//! rest of the event and of the request is kept. Properties that fit are kept byte for byte.
//!
//! User properties are Amplitude's identify operations (`{"$set": {...}, "$unset": [...]}`)
//! or plain properties: the limits apply to the properties inside each operation.

use std::borrow::Cow;
use std::fmt;

use serde::Deserializer;
use serde::de::{MapAccess, Visitor};
use serde_json::value::RawValue;

/// Longest property name, in characters: the longest a search can name.
pub const MAX_KEY_CHARS: usize = reel_query::MAX_PROPERTY_KEY_CHARS;
/// Deepest nesting of one property's value: `{"a": {"b": [1]}}` gives `a` a depth of 2, a
/// scalar has 0.
pub const MAX_DEPTH: usize = 16;
/// Largest value of one property, as JSON text.
pub const MAX_VALUE_BYTES: usize = 64 * 1024;
/// Most properties in one object (an event's properties, or one identify operation's).
pub const MAX_PROPERTIES: usize = 1000;
/// Largest properties object, as JSON text.
pub const MAX_OBJECT_BYTES: usize = 256 * 1024;

/// A properties object within the limits, and how many properties were dropped to get there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bounded<'a> {
    /// JSON object text: the input itself when nothing was dropped.
    pub text: Cow<'a, str>,
    pub dropped: usize,
}

/// Bounds an event's properties (a JSON object's text; anything else is no properties).
pub fn bound_event_properties(text: &str) -> Bounded<'_> {
    bound_object(text, |_, value| bound_value(value))
}

/// Bounds a user's properties: the properties inside each identify operation, and plain ones.
pub fn bound_user_properties(text: &str) -> Bounded<'_> {
    bound_object(text, |key, value| {
        if key.starts_with('$') && value.get().starts_with('{') {
            let inner = bound_event_properties(value.get());
            match inner.text {
                Cow::Borrowed(_) => Verdict::Keep,
                Cow::Owned(text) => Verdict::Replace(text, inner.dropped),
            }
        } else {
            bound_value(value)
        }
    })
}

enum Verdict {
    Keep,
    Drop,
    /// Keep with this text, after dropping this many properties inside it.
    Replace(String, usize),
}

fn bound_value(value: &RawValue) -> Verdict {
    let text = value.get();
    if text.len() > MAX_VALUE_BYTES || reel_model::nesting_depth(text) > MAX_DEPTH {
        Verdict::Drop
    } else {
        Verdict::Keep
    }
}

fn bound_object<'a>(text: &'a str, judge: impl Fn(&str, &RawValue) -> Verdict) -> Bounded<'a> {
    let empty = Bounded {
        text: Cow::Borrowed("{}"),
        dropped: 0,
    };
    let trimmed = text.trim();
    if !trimmed.starts_with('{') {
        return empty;
    }
    let Ok(Entries(entries)) = serde_json::from_str::<Entries<'_>>(trimmed) else {
        // Not an object after all: no properties, nothing a query could have read.
        return Bounded {
            dropped: 1,
            ..empty
        };
    };
    let mut kept: Vec<(String, Cow<'_, str>)> = Vec::with_capacity(entries.len());
    let mut dropped = 0;
    let mut changed = trimmed.len() != text.len();
    let mut size = 2;
    for (key, value) in entries {
        let verdict = if key.chars().count() > MAX_KEY_CHARS || kept.len() >= MAX_PROPERTIES {
            Verdict::Drop
        } else {
            judge(&key, value)
        };
        let value = match verdict {
            Verdict::Keep => Cow::Borrowed(value.get()),
            Verdict::Replace(text, inner) => {
                dropped += inner;
                changed = true;
                Cow::Owned(text)
            }
            Verdict::Drop => {
                dropped += 1;
                changed = true;
                continue;
            }
        };
        let key = serde_json::to_string(&key).expect("a string serializes");
        // The key as JSON, a colon, the value, a comma.
        let entry = key.len() + 1 + value.len() + 1;
        if size + entry > MAX_OBJECT_BYTES {
            dropped += 1;
            changed = true;
            continue;
        }
        size += entry;
        kept.push((key, value));
    }
    if !changed {
        return Bounded {
            text: Cow::Borrowed(text),
            dropped: 0,
        };
    }
    let mut out = String::with_capacity(size);
    out.push('{');
    for (i, (key, value)) in kept.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(key);
        out.push(':');
        out.push_str(value);
    }
    out.push('}');
    Bounded {
        text: Cow::Owned(out),
        dropped,
    }
}

/// An event's JSON text with some members' values replaced (members it lacks are left out).
pub fn replace_members(event: &str, replacements: &[(&str, &str)]) -> Option<String> {
    let Entries(entries) = serde_json::from_str(event).ok()?;
    let mut out = String::with_capacity(event.len());
    out.push('{');
    for (i, (key, value)) in entries.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        out.push_str(&serde_json::to_string(key).expect("a string serializes"));
        out.push(':');
        let replaced = replacements.iter().find(|(name, _)| name == key);
        out.push_str(replaced.map_or(value.get(), |(_, text)| text));
    }
    out.push('}');
    Some(out)
}

/// An object's members in order, values unparsed. Duplicate keys are kept as sent.
struct Entries<'a>(Vec<(Cow<'a, str>, &'a RawValue)>);

impl<'de> serde::Deserialize<'de> for Entries<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Entries<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::new();
                while let Some(key) = map.next_key::<Cow<'de, str>>()? {
                    entries.push((key, map.next_value::<&'de RawValue>()?));
                }
                Ok(Entries(entries))
            }
        }
        d.deserialize_map(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested(levels: usize) -> String {
        format!("{}1{}", "[".repeat(levels), "]".repeat(levels))
    }

    #[test]
    fn event_properties_cases() {
        let long_key = "k".repeat(MAX_KEY_CHARS + 1);
        let ok_key = "é".repeat(MAX_KEY_CHARS);
        let big = format!("\"{}\"", "x".repeat(MAX_VALUE_BYTES));
        // (input, kept as, dropped)
        let cases: Vec<(String, String, usize)> = vec![
            ("{}".into(), "{}".into(), 0),
            (r#"{"a":1,"b":"x"}"#.into(), r#"{"a":1,"b":"x"}"#.into(), 0),
            // Kept byte for byte, spaces and escapes included.
            (
                r#"{ "a\"b" : [1, 2] }"#.into(),
                r#"{ "a\"b" : [1, 2] }"#.into(),
                0,
            ),
            (
                format!(r#"{{"a":{}}}"#, nested(16)),
                format!(r#"{{"a":{}}}"#, nested(16)),
                0,
            ),
            (
                format!(r#"{{"a":{},"b":2}}"#, nested(17)),
                r#"{"b":2}"#.into(),
                1,
            ),
            (format!(r#"{{"deep":{}}}"#, nested(1100)), "{}".into(), 1),
            (
                format!(r#"{{"{long_key}":1,"b":2}}"#),
                r#"{"b":2}"#.into(),
                1,
            ),
            (
                format!(r#"{{"{ok_key}":1}}"#),
                format!(r#"{{"{ok_key}":1}}"#),
                0,
            ),
            (format!(r#"{{"big":{big},"b":2}}"#), r#"{"b":2}"#.into(), 1),
            // Brackets inside strings are not nesting.
            (
                format!(r#"{{"s":"{}"}}"#, "[{".repeat(40)),
                format!(r#"{{"s":"{}"}}"#, "[{".repeat(40)),
                0,
            ),
            ("[1,2]".into(), "{}".into(), 0),
            ("\"text\"".into(), "{}".into(), 0),
            ("{not json".into(), "{}".into(), 1),
            // Keys written again with escapes when the object is rebuilt.
            (
                format!(r#"{{"a\"\\b":1,"x":{}}}"#, nested(20)),
                r#"{"a\"\\b":1}"#.into(),
                1,
            ),
        ];
        for (input, want, dropped) in cases {
            let got = bound_event_properties(&input);
            let short = &input[..input.len().min(60)];
            assert_eq!(got.text, want, "{short}");
            assert_eq!(got.dropped, dropped, "{short}");
            assert!(serde_json::from_str::<serde_json::Value>(&got.text).is_ok());
        }
    }

    #[test]
    fn too_many_and_too_large_objects_keep_their_first_properties() {
        let many: Vec<String> = (0..MAX_PROPERTIES + 5)
            .map(|i| format!("\"p{i}\":{i}"))
            .collect();
        let many = format!("{{{}}}", many.join(","));
        let got = bound_event_properties(&many);
        assert_eq!(got.dropped, 5);
        let kept: serde_json::Map<String, serde_json::Value> =
            serde_json::from_str(&got.text).unwrap();
        assert_eq!(kept.len(), MAX_PROPERTIES);
        assert!(kept.contains_key("p0") && !kept.contains_key(&format!("p{MAX_PROPERTIES}")));

        let value = format!("\"{}\"", "v".repeat(60_000));
        let large: Vec<String> = (0..8).map(|i| format!("\"p{i}\":{value}")).collect();
        let large = format!("{{{}}}", large.join(","));
        let got = bound_event_properties(&large);
        assert!(got.text.len() <= MAX_OBJECT_BYTES);
        assert_eq!(
            got.dropped, 4,
            "four values of 60 KB fit in 256 KiB, five do not"
        );
    }

    #[test]
    fn user_properties_bound_inside_operations() {
        let cases: Vec<(String, String, usize)> = vec![
            (
                r#"{"$set":{"plan":"pro"},"$unset":["x"]}"#.into(),
                r#"{"$set":{"plan":"pro"},"$unset":["x"]}"#.into(),
                0,
            ),
            (
                format!(
                    r#"{{"$set":{{"plan":"pro","deep":{}}},"age":3}}"#,
                    nested(40)
                ),
                r#"{"$set":{"plan":"pro"},"age":3}"#.into(),
                1,
            ),
            (
                format!(r#"{{"plain":{},"age":3}}"#, nested(40)),
                r#"{"age":3}"#.into(),
                1,
            ),
        ];
        for (input, want, dropped) in cases {
            let got = bound_user_properties(&input);
            assert_eq!(
                (got.text.as_ref(), got.dropped),
                (want.as_str(), dropped),
                "{input}"
            );
        }
    }
}
