//! Property values as a backend hands them to the chart computations, and the one meaning of a
//! condition on them — the same as replay search's: text exactly, numbers numerically, "42"
//! finds 42, `contains` ignores case, and a negated condition also holds without a value.

use crate::model::{PropertyCondition, Scalar, ValueCondition};

/// A property's value, borrowed from where the backend keeps it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum PropRef<'a> {
    Bool(bool),
    Int(i64),
    Float(f64),
    Text(&'a str),
    /// An array or object, as JSON text.
    Json(&'a str),
}

impl PropRef<'_> {
    /// The value as a number: numbers, and text that is one.
    pub fn number(&self) -> Option<f64> {
        match *self {
            Self::Int(i) => Some(i as f64),
            Self::Float(f) => Some(f),
            Self::Text(t) => t.trim().parse::<f64>().ok().filter(|n| n.is_finite()),
            Self::Bool(_) | Self::Json(_) => None,
        }
    }

    /// The value as a group's label: text as itself, numbers without a needless `.0`.
    pub fn label(&self) -> String {
        match *self {
            Self::Bool(b) => b.to_string(),
            Self::Int(i) => i.to_string(),
            Self::Float(f) => crate::number_text(f),
            Self::Text(t) | Self::Json(t) => t.to_owned(),
        }
    }
}

/// Whether a value meets a condition (not negated).
pub fn meets(condition: &ValueCondition, value: Option<PropRef<'_>>) -> bool {
    let Some(value) = value else {
        return false;
    };
    match condition {
        ValueCondition::Exists => true,
        ValueCondition::Is(wanted) => wanted.iter().any(|w| equals(w, value)),
        ValueCondition::Contains(part) => {
            let text = match value {
                PropRef::Text(t) | PropRef::Json(t) => t.to_lowercase(),
                other => other.label(),
            };
            text.contains(&part.to_lowercase())
        }
        ValueCondition::GreaterThan(n) => value.number().is_some_and(|v| v > *n),
        ValueCondition::LessThan(n) => value.number().is_some_and(|v| v < *n),
        ValueCondition::Between(lo, hi) => value.number().is_some_and(|v| v >= *lo && v <= *hi),
    }
}

/// A property condition, negation included: "is not X" holds without a value too.
pub fn holds(condition: &PropertyCondition, value: Option<PropRef<'_>>) -> bool {
    meets(&condition.condition, value) != condition.negated
}

fn equals(wanted: &Scalar, value: PropRef<'_>) -> bool {
    let numeric = match value {
        PropRef::Int(i) => Some(i as f64),
        PropRef::Float(f) => Some(f),
        PropRef::Bool(b) => Some(f64::from(u8::from(b))),
        _ => None,
    };
    match wanted {
        Scalar::Text(t) => match value {
            PropRef::Text(v) => v == t,
            PropRef::Bool(b) => t == if b { "true" } else { "false" },
            _ => t
                .trim()
                .parse::<f64>()
                .ok()
                .is_some_and(|n| numeric == Some(n)),
        },
        Scalar::Number(n) => numeric == Some(*n),
        Scalar::Bool(b) => numeric == Some(f64::from(u8::from(*b))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conditions_mean_what_search_means() {
        use PropRef as V;
        use ValueCondition as C;
        let text = |s: &str| Scalar::Text(s.into());
        // (condition, value, want)
        let cases: Vec<(C, Option<V<'_>>, bool)> = vec![
            (C::Is(vec![text("pro")]), Some(V::Text("pro")), true),
            (C::Is(vec![text("pro")]), Some(V::Text("Pro")), false),
            (C::Is(vec![text("42")]), Some(V::Int(42)), true),
            (C::Is(vec![text("42")]), Some(V::Float(42.0)), true),
            (
                C::Is(vec![Scalar::Number(42.0)]),
                Some(V::Text("42")),
                false,
            ),
            (C::Is(vec![text("true")]), Some(V::Bool(true)), true),
            (C::Is(vec![Scalar::Bool(false)]), Some(V::Bool(false)), true),
            (C::Is(vec![text("a"), text("b")]), Some(V::Text("b")), true),
            (C::Is(vec![text("a")]), None, false),
            (C::Contains("AY".into()), Some(V::Text("Pay now")), true),
            (C::Contains("2".into()), Some(V::Int(123)), true),
            (C::Contains("x".into()), Some(V::Json("[\"X\"]")), true),
            (C::Exists, Some(V::Bool(false)), true),
            (C::Exists, None, false),
            (C::GreaterThan(30.0), Some(V::Text("42")), true),
            (C::GreaterThan(30.0), Some(V::Int(12)), false),
            (C::LessThan(30.0), Some(V::Text("cheap")), false),
            (C::Between(1.0, 2.0), Some(V::Float(2.0)), true),
            (C::Between(1.0, 2.0), None, false),
        ];
        for (condition, value, want) in cases {
            assert_eq!(meets(&condition, value), want, "{condition:?} {value:?}");
        }
    }

    #[test]
    fn negation_keeps_what_lacks_the_value() {
        let condition = PropertyCondition {
            key: crate::PropertyKey("plan".into()),
            negated: true,
            condition: ValueCondition::Is(vec![Scalar::Text("pro".into())]),
        };
        assert!(holds(&condition, None));
        assert!(holds(&condition, Some(PropRef::Text("free"))));
        assert!(!holds(&condition, Some(PropRef::Text("pro"))));
    }
}
