//! What an event's `user_properties` do to its user's profile: Amplitude's identify
//! operations, and plain keys as `$set`. Applied in arrival order, never retroactively.
//!
//! - `$set`: overwrite. `$setOnce`: only if the property has no value.
//! - `$add`: add to a number (a missing or non-numeric value counts as 0).
//! - `$append` / `$prepend`: add to the end / start of a list (a missing value is `[]`, a
//!   single value a list of one; an array given adds each element).
//! - `$preInsert` / `$postInsert`: like `$prepend` / `$append`, only for values not in the list.
//! - `$remove`: remove every occurrence of the values from the list.
//! - `$unset`: remove the property (keys of an object or names in an array).
//! - `$clearAll`: remove every property, first.
//!
//! An object holding several operations applies them in that order: `$clearAll`, `$unset`,
//! `$set`, `$setOnce`, `$add`, `$append`, `$prepend`, `$preInsert`, `$postInsert`, `$remove`
//! (JSON objects carry no order reel keeps). `null` values set nothing.

use serde_json::{Map, Value};

/// Properties of a user, by name.
pub type Profile = Map<String, Value>;

/// Applies `update` (an event's `user_properties`) to `profile`; true when anything changed.
pub fn apply(profile: &mut Profile, update: &Map<String, Value>) -> bool {
    let before = profile.clone();
    let op = |name: &str| update.get(name);
    if op("$clearAll").is_some() {
        profile.clear();
    }
    if let Some(keys) = op("$unset") {
        let names: Vec<&str> = match keys {
            Value::Object(m) => m.keys().map(String::as_str).collect(),
            Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
            Value::String(s) => vec![s.as_str()],
            _ => Vec::new(),
        };
        for name in names {
            profile.remove(name);
        }
    }
    let pairs = |name: &str| -> Vec<(&String, &Value)> {
        op(name)
            .and_then(Value::as_object)
            .map(|m| m.iter().filter(|(_, v)| !v.is_null()).collect())
            .unwrap_or_default()
    };
    for (k, v) in update
        .iter()
        .filter(|(k, v)| !k.starts_with('$') && !v.is_null())
    {
        profile.insert(k.clone(), v.clone());
    }
    for (k, v) in pairs("$set") {
        profile.insert(k.clone(), v.clone());
    }
    for (k, v) in pairs("$setOnce") {
        if profile.get(k).is_none_or(Value::is_null) {
            profile.insert(k.clone(), v.clone());
        }
    }
    for (k, v) in pairs("$add") {
        let Some(add) = v.as_f64() else { continue };
        let old = profile.get(k).and_then(number).unwrap_or(0.0);
        profile.insert(k.clone(), number_value(old + add));
    }
    for (name, front, unique) in [
        ("$append", false, false),
        ("$prepend", true, false),
        ("$preInsert", true, true),
        ("$postInsert", false, true),
    ] {
        for (k, v) in pairs(name) {
            let mut list = as_list(profile.get(k));
            let items: Vec<Value> = match v {
                Value::Array(a) => a.clone(),
                one => vec![one.clone()],
            };
            let items: Vec<Value> = items
                .into_iter()
                .filter(|i| !unique || !list.contains(i))
                .collect();
            if front {
                list.splice(0..0, items);
            } else {
                list.extend(items);
            }
            profile.insert(k.clone(), Value::Array(list));
        }
    }
    for (k, v) in pairs("$remove") {
        if !profile.contains_key(k) {
            continue;
        }
        let gone: Vec<Value> = match v {
            Value::Array(a) => a.clone(),
            one => vec![one.clone()],
        };
        let mut list = as_list(profile.get(k));
        list.retain(|i| !gone.contains(i));
        profile.insert(k.clone(), Value::Array(list));
    }
    *profile != before
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse().ok(),
        _ => None,
    }
}

/// A whole number stays an integer.
fn number_value(n: f64) -> Value {
    if n.fract() == 0.0 && n.abs() < 9.0e15 {
        Value::from(n as i64)
    } else {
        serde_json::Number::from_f64(n).map_or(Value::Null, Value::Number)
    }
}

fn as_list(v: Option<&Value>) -> Vec<Value> {
    match v {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(a)) => a.clone(),
        Some(one) => vec![one.clone()],
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// Each operation on its own, from a profile to the profile after.
    #[test]
    fn operations_one_by_one() {
        // (before, update, after)
        let cases: Vec<(Value, Value, Value)> = vec![
            (json!({}), json!({"plan": "pro"}), json!({"plan": "pro"})),
            (
                json!({"plan": "free"}),
                json!({"$set": {"plan": "pro"}}),
                json!({"plan": "pro"}),
            ),
            (
                json!({"plan": "free"}),
                json!({"$setOnce": {"plan": "pro", "ref": "ad"}}),
                json!({"plan": "free", "ref": "ad"}),
            ),
            (
                json!({"n": 2}),
                json!({"$add": {"n": 3, "m": -1}}),
                json!({"n": 5, "m": -1}),
            ),
            (
                json!({"n": "2"}),
                json!({"$add": {"n": 0.5}}),
                json!({"n": 2.5}),
            ),
            (
                json!({}),
                json!({"$append": {"tags": "a"}}),
                json!({"tags": ["a"]}),
            ),
            (
                json!({"tags": ["a"]}),
                json!({"$append": {"tags": ["b", "a"]}}),
                json!({"tags": ["a", "b", "a"]}),
            ),
            (
                json!({"tags": "a"}),
                json!({"$prepend": {"tags": "z"}}),
                json!({"tags": ["z", "a"]}),
            ),
            (
                json!({"tags": ["a"]}),
                json!({"$postInsert": {"tags": ["a", "b"]}}),
                json!({"tags": ["a", "b"]}),
            ),
            (
                json!({"tags": ["a"]}),
                json!({"$preInsert": {"tags": ["a", "b"]}}),
                json!({"tags": ["b", "a"]}),
            ),
            (
                json!({"tags": ["a", "b", "a"]}),
                json!({"$remove": {"tags": "a"}}),
                json!({"tags": ["b"]}),
            ),
            (
                json!({"x": 1}),
                json!({"$remove": {"tags": "a"}}),
                json!({"x": 1}),
            ),
            (
                json!({"plan": "pro", "n": 1}),
                json!({"$unset": {"plan": "-"}}),
                json!({"n": 1}),
            ),
            (
                json!({"plan": "pro", "n": 1}),
                json!({"$unset": ["plan", "n"]}),
                json!({}),
            ),
            (
                json!({"plan": "pro", "n": 1}),
                json!({"$clearAll": "-"}),
                json!({}),
            ),
            (
                json!({"plan": "pro"}),
                json!({"$clearAll": "-", "$set": {"a": 1}}),
                json!({"a": 1}),
            ),
            (
                json!({"plan": "pro"}),
                json!({"$set": {"plan": null}}),
                json!({"plan": "pro"}),
            ),
            (
                json!({"plan": "pro"}),
                json!({"$unknown": {"plan": 1}}),
                json!({"plan": "pro"}),
            ),
        ];
        for (before, update, after) in cases {
            let mut profile = before.as_object().unwrap().clone();
            let changed = apply(&mut profile, update.as_object().unwrap());
            assert_eq!(Value::Object(profile), after, "{before} + {update}");
            assert_eq!(changed, before != after, "{before} + {update}");
        }
    }
}
