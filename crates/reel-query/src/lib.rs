//! reel's search model: which sessions a user is looking for, as one typed value.
//!
//! - [`wire`]: the search as clients write it (JSON; documented in the OpenAPI document).
//! - [`parse`]: checks it once and returns a [`Search`] — filters, operators, the date range in
//!   the project's timezone, the sort and the cursor — or an error that says what is wrong.
//! - [`selector`]: the CSS selector subset matched against clicked elements.
//! - [`chart`]: charts (segmentation, funnels, sessions, journeys, experiments) and their data
//!   points, checked once and counted the same way by every backend.
//!
//! Invariants:
//! - No SQL and no HTTP here. A backend (`reel-store`'s SQLite today, ClickHouse later)
//!   translates a [`Search`] and never validates it again; the HTTP layer only moves JSON.
//! - Negation has one meaning everywhere: a negated filter holds exactly for the sessions the
//!   filter does not hold for, including those that lack the value.

pub mod chart;
pub mod model;
pub mod selector;
pub mod wire;

mod cursor;
mod time;

use std::collections::HashMap;

pub use cursor::{decode_cursor, encode_cursor};
pub use model::*;
pub use time::{local_day_range, parse_instant};

use wire::{
    ClickSignalSpec, CohortConditionSpec, CohortDefinition, EventSpec, FilterField, FilterSpec,
    Operator, PropertySpec, ScalarValue, SearchRequest, SortField, SortOrder,
};

/// What is wrong with a search, said so a person can fix it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct QueryError(pub String);

pub(crate) fn err<T>(message: impl Into<String>) -> Result<T, QueryError> {
    Err(QueryError(message.into()))
}

/// What a search is read against.
pub struct ParseContext<'a> {
    /// The project's timezone: dates are its days.
    pub timezone: chrono_tz::Tz,
    pub now_ms: i64,
    /// The cohorts the search names ([`SearchRequest::cohort_ids`]), by id.
    pub cohorts: &'a HashMap<i64, CohortDefinition>,
}

/// The default range: this many days up to `end`.
pub const DEFAULT_RANGE_DAYS: i64 = 30;
const MAX_FILTERS: usize = 20;
const MAX_VALUES: usize = 100;
const MAX_TEXT_CHARS: usize = 1_000;
const MAX_WHERE: usize = 10;
const MAX_STEPS: usize = 5;
const MAX_COHORT_CONDITIONS: usize = 20;
/// The longest property name: what the store keeps of event and user properties (longer names
/// are dropped at ingestion), and so the longest a search can name.
pub const MAX_PROPERTY_KEY_CHARS: usize = 1024;

impl SearchRequest {
    /// The cohorts this search refers to, to be looked up before [`parse`].
    pub fn cohort_ids(&self) -> Vec<i64> {
        let mut ids: Vec<i64> = self.filters.iter().filter_map(|f| f.cohort).collect();
        ids.sort_unstable();
        ids.dedup();
        ids
    }
}

/// Checks a search and makes it typed.
pub fn parse(request: &SearchRequest, cx: &ParseContext<'_>) -> Result<Search, QueryError> {
    let range = time_range(
        request.start.as_deref(),
        request.end.as_deref(),
        cx.timezone,
        cx.now_ms,
    )?;
    let text = match request
        .q
        .as_deref()
        .map(str::trim)
        .filter(|q| !q.is_empty())
    {
        None => None,
        Some(q) => Some(phrase(q, "q")?),
    };
    if request.filters.len() > MAX_FILTERS {
        return err(format!("at most {MAX_FILTERS} filters"));
    }
    let filters = request
        .filters
        .iter()
        .enumerate()
        .map(|(i, f)| filter(f, cx).map_err(|e| QueryError(format!("filter {}: {e}", i + 1))))
        .collect::<Result<Vec<_>, _>>()?;
    let sort = Sort {
        key: match request.sort.unwrap_or(SortField::StartTime) {
            SortField::StartTime => SortKey::StartTime,
            SortField::Duration => SortKey::Duration,
            SortField::ActiveTime => SortKey::ActiveTime,
            SortField::Errors => SortKey::Errors,
        },
        descending: request.order.unwrap_or(SortOrder::Desc) == SortOrder::Desc,
    };
    let limit = match request.limit {
        None => MAX_LIMIT,
        Some(0) => return err("limit must be at least 1"),
        Some(n) => (n as usize).min(MAX_LIMIT),
    };
    let after = match request.cursor.as_deref().filter(|c| !c.is_empty()) {
        None => None,
        Some(text) => {
            let cursor = decode_cursor(text)?;
            if cursor.sort != sort {
                return err(
                    "the cursor belongs to a search with another sort order: start again without it",
                );
            }
            Some(cursor)
        }
    };
    Ok(Search {
        range,
        text,
        filters,
        sort,
        limit,
        after,
        count_total: request.count.unwrap_or(true),
    })
}

/// `[start, end)` from a request's `start` and `end` (dates in `timezone`, or RFC 3339): by
/// default the [`DEFAULT_RANGE_DAYS`] up to now.
pub(crate) fn time_range(
    start: Option<&str>,
    end: Option<&str>,
    timezone: chrono_tz::Tz,
    now_ms: i64,
) -> Result<TimeRange, QueryError> {
    let end_ms = match end.map(str::trim).filter(|s| !s.is_empty()) {
        None => now_ms + 1,
        Some(s) => parse_instant(s, timezone, true).map_err(|e| QueryError(format!("end: {e}")))?,
    };
    let start_ms = match start.map(str::trim).filter(|s| !s.is_empty()) {
        None => end_ms - DEFAULT_RANGE_DAYS * 86_400_000,
        Some(s) => {
            parse_instant(s, timezone, false).map_err(|e| QueryError(format!("start: {e}")))?
        }
    };
    if start_ms >= end_ms {
        return err("start must be before end");
    }
    Ok(TimeRange { start_ms, end_ms })
}

/// Checks a cohort definition (when it is saved, and when a search uses it).
pub fn parse_cohort(id: i64, definition: &CohortDefinition) -> Result<Cohort, QueryError> {
    if definition.conditions.is_empty() {
        return err("a cohort needs at least one condition");
    }
    if definition.conditions.len() > MAX_COHORT_CONDITIONS {
        return err(format!(
            "a cohort has at most {MAX_COHORT_CONDITIONS} conditions"
        ));
    }
    let conditions = definition
        .conditions
        .iter()
        .enumerate()
        .map(|(i, c)| {
            cohort_condition(c).map_err(|e| QueryError(format!("condition {}: {e}", i + 1)))
        })
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Cohort { id, conditions })
}

fn cohort_condition(c: &CohortConditionSpec) -> Result<CohortCondition, QueryError> {
    match (&c.user_property, &c.performed) {
        (Some(key), None) => {
            if c.min_count.is_some() {
                return err("min_count belongs to performed conditions");
            }
            let op = c.op.ok_or_else(|| QueryError("op is needed".into()))?;
            let (negated, condition) = value_condition(op, &c.values)?;
            Ok(CohortCondition::UserProperty {
                key: property_key(key)?,
                negated: negated != c.negate,
                condition,
            })
        }
        (None, Some(name)) => {
            if c.op.is_some() || !c.values.is_empty() {
                return err("performed conditions take min_count, not op or values");
            }
            Ok(CohortCondition::Performed {
                name: event_name(name)?,
                negated: c.negate,
                min_count: min_count(c.min_count)?,
            })
        }
        _ => err("give either user_property (with op and values) or performed (with min_count)"),
    }
}

fn filter(f: &FilterSpec, cx: &ParseContext<'_>) -> Result<Filter, QueryError> {
    use FilterField as F;
    let unused = |present: bool, member: &str| -> Result<(), QueryError> {
        if present {
            err(format!(
                "{member} does not apply to {}",
                field_name(f.field)
            ))
        } else {
            Ok(())
        }
    };
    unused(f.name.is_some() && f.field != F::Event, "name")?;
    unused(!f.where_.is_empty() && f.field != F::Event, "where")?;
    unused(f.min_count.is_some() && f.field != F::Event, "min_count")?;
    unused(!f.steps.is_empty() && f.field != F::Sequence, "steps")?;
    unused(
        f.property.is_some() && f.field != F::UserProperty,
        "property",
    )?;
    unused(f.cohort.is_some() && f.field != F::Cohort, "cohort")?;
    unused(
        f.selector.is_some() && f.field != F::ClickedElement,
        "selector",
    )?;
    unused(f.signal.is_some() && f.field != F::ClickedElement, "signal")?;
    let op = || {
        f.op.ok_or_else(|| QueryError(format!("op is needed for {}", field_name(f.field))))
    };
    let (negated, predicate) = match f.field {
        F::Event => {
            no_operator(f)?;
            let name = f
                .name
                .as_deref()
                .ok_or_else(|| QueryError("name is needed for event".into()))?;
            (
                false,
                Predicate::Performed(EventMatch {
                    name: event_name(name)?,
                    properties: properties(&f.where_)?,
                    min_count: min_count(f.min_count)?,
                }),
            )
        }
        F::Sequence => {
            no_operator(f)?;
            if !(2..=MAX_STEPS).contains(&f.steps.len()) {
                return err(format!("a sequence has 2 to {MAX_STEPS} steps"));
            }
            let steps = f
                .steps
                .iter()
                .map(|s: &EventSpec| {
                    Ok(EventMatch {
                        name: event_name(&s.name)?,
                        properties: properties(&s.where_)?,
                        min_count: 1,
                    })
                })
                .collect::<Result<Vec<_>, QueryError>>()?;
            (false, Predicate::Sequence(steps))
        }
        F::UserId => {
            let (n, c) = text_condition(op()?, &f.values)?;
            (n, Predicate::UserId(c))
        }
        F::UserProperty => {
            let key = f
                .property
                .as_deref()
                .ok_or_else(|| QueryError("property is needed for user_property".into()))?;
            let (n, condition) = value_condition(op()?, &f.values)?;
            (
                n,
                Predicate::UserProperty {
                    key: property_key(key)?,
                    condition,
                },
            )
        }
        F::Cohort => {
            if !f.values.is_empty() {
                return err("cohort takes the cohort's id in `cohort`, not values");
            }
            let negated = match f.op {
                None | Some(Operator::Is) => false,
                Some(Operator::IsNot) => true,
                Some(other) => {
                    return err(format!("cohort takes is or is_not, not {}", other.as_str()));
                }
            };
            let id = f
                .cohort
                .ok_or_else(|| QueryError("cohort (the cohort's id) is needed".into()))?;
            let definition = cx
                .cohorts
                .get(&id)
                .ok_or_else(|| QueryError(format!("there is no cohort {id} in this project")))?;
            (
                negated,
                Predicate::Cohort(
                    parse_cohort(id, definition)
                        .map_err(|e| QueryError(format!("cohort {id}: {e}")))?,
                ),
            )
        }
        F::DurationMs
        | F::ActiveMs
        | F::ClickCount
        | F::KeypressCount
        | F::PageViewCount
        | F::ConsoleErrorCount
        | F::NetworkErrorCount
        | F::RuntimeErrorCount
        | F::RageClickCount
        | F::DeadClickCount
        | F::ErrorClickCount
        | F::ErrorCount
        | F::ViewportWidth
        | F::ViewportHeight => {
            use reel_model::Fact as Counted;
            let fact = match f.field {
                F::DurationMs => Fact::DurationMs,
                F::ActiveMs => Fact::Recorded(Counted::ActiveMs),
                F::ClickCount => Fact::Recorded(Counted::ClickCount),
                F::KeypressCount => Fact::Recorded(Counted::KeypressCount),
                F::PageViewCount => Fact::Recorded(Counted::PageViewCount),
                F::ConsoleErrorCount => Fact::Recorded(Counted::ConsoleErrorCount),
                F::NetworkErrorCount => Fact::Recorded(Counted::NetworkErrorCount),
                F::RuntimeErrorCount => Fact::Recorded(Counted::RuntimeErrorCount),
                F::RageClickCount => Fact::Recorded(Counted::RageClickCount),
                F::DeadClickCount => Fact::Recorded(Counted::DeadClickCount),
                F::ErrorClickCount => Fact::Recorded(Counted::ErrorClickCount),
                F::ErrorCount => Fact::Errors,
                F::ViewportWidth => Fact::ViewportWidth,
                _ => Fact::ViewportHeight,
            };
            let (n, condition) = number_condition(op()?, &f.values)?;
            (n, Predicate::Fact { fact, condition })
        }
        F::Browser | F::Os | F::Device | F::Country => {
            let attribute = match f.field {
                F::Browser => Attribute::Browser,
                F::Os => Attribute::Os,
                F::Device => Attribute::Device,
                _ => Attribute::Country,
            };
            let (n, condition) = text_condition(op()?, &f.values)?;
            (
                n,
                Predicate::Attribute {
                    attribute,
                    condition,
                },
            )
        }
        F::Url => {
            let (n, c) = url_condition(op()?, &f.values)?;
            (n, Predicate::Url(c))
        }
        F::ClickedElement => {
            let signal = match f.signal.unwrap_or(ClickSignalSpec::Click) {
                ClickSignalSpec::Click => ClickSignal::Click,
                ClickSignalSpec::Rage => ClickSignal::Rage,
                ClickSignalSpec::Dead => ClickSignal::Dead,
                ClickSignalSpec::Error => ClickSignal::Error,
            };
            match (&f.selector, f.op) {
                (Some(selector), None) => {
                    if !f.values.is_empty() {
                        return err("give either selector or op and values (the element's text)");
                    }
                    let selector = selector::Selector::parse(selector)
                        .map_err(|e| QueryError(format!("selector: {e}")))?;
                    (
                        false,
                        Predicate::ClickedElement {
                            element: ElementMatch::Selector(selector),
                            signal,
                        },
                    )
                }
                (None, Some(op)) => {
                    if matches!(op, Operator::Exists | Operator::DoesNotExist) {
                        return err(
                            "clicked_element compares the element's text: is, is_not, contains or does_not_contain",
                        );
                    }
                    let (n, c) = text_condition(op, &f.values)?;
                    (
                        n,
                        Predicate::ClickedElement {
                            element: ElementMatch::Text(c),
                            signal,
                        },
                    )
                }
                _ => {
                    return err(
                        "clicked_element needs either selector or op and values (the element's text)",
                    );
                }
            }
        }
        F::ConsoleMessage => {
            let (n, c) = message_condition(op()?, &f.values)?;
            (n, Predicate::ConsoleMessage(c))
        }
    };
    Ok(Filter {
        negated: negated != f.negate,
        predicate,
    })
}

fn field_name(field: FilterField) -> String {
    serde_json::to_value(field)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_default()
}

fn no_operator(f: &FilterSpec) -> Result<(), QueryError> {
    if f.op.is_some() || !f.values.is_empty() {
        return err(format!(
            "{} takes no op or values (negate it with \"negate\": true)",
            field_name(f.field)
        ));
    }
    Ok(())
}

fn min_count(n: Option<u32>) -> Result<u32, QueryError> {
    match n {
        None => Ok(1),
        Some(0) => err("min_count must be at least 1"),
        Some(n) => Ok(n),
    }
}

pub(crate) fn event_name(name: &str) -> Result<String, QueryError> {
    let name = name.trim();
    if name.is_empty() {
        return err("the event name is empty");
    }
    if name.chars().count() > MAX_TEXT_CHARS {
        return err(format!(
            "an event name has at most {MAX_TEXT_CHARS} characters"
        ));
    }
    Ok(name.to_owned())
}

pub(crate) fn property_key(key: &str) -> Result<PropertyKey, QueryError> {
    let key = key.trim();
    if key.is_empty() {
        return err("the property name is empty");
    }
    if key.chars().count() > MAX_PROPERTY_KEY_CHARS {
        return err(format!(
            "a property name has at most {MAX_PROPERTY_KEY_CHARS} characters"
        ));
    }
    Ok(PropertyKey(key.to_owned()))
}

pub(crate) fn properties(specs: &[PropertySpec]) -> Result<Vec<PropertyCondition>, QueryError> {
    if specs.len() > MAX_WHERE {
        return err(format!("at most {MAX_WHERE} property conditions per event"));
    }
    specs
        .iter()
        .map(|p| {
            let (negated, condition) = value_condition(p.op, &p.values)
                .map_err(|e| QueryError(format!("property {:?}: {e}", p.property)))?;
            Ok(PropertyCondition {
                key: property_key(&p.property)?,
                negated,
                condition,
            })
        })
        .collect()
}

fn phrase(text: &str, what: &str) -> Result<Phrase, QueryError> {
    let text = text.trim();
    if text.chars().count() > MAX_TEXT_CHARS {
        return err(format!("{what} has at most {MAX_TEXT_CHARS} characters"));
    }
    if !text.chars().any(char::is_alphanumeric) {
        return err(format!(
            "{what} must hold a word (letters or digits) to search for"
        ));
    }
    Ok(Phrase(text.to_owned()))
}

/// Splits an operator into its positive form and whether it negates.
fn positive(op: Operator) -> (bool, Operator) {
    match op {
        Operator::IsNot => (true, Operator::Is),
        Operator::DoesNotContain => (true, Operator::Contains),
        Operator::DoesNotExist => (true, Operator::Exists),
        other => (false, other),
    }
}

fn check_count(values: &[ScalarValue]) -> Result<(), QueryError> {
    if values.len() > MAX_VALUES {
        return err(format!("at most {MAX_VALUES} values"));
    }
    Ok(())
}

fn text_of(v: &ScalarValue) -> Result<String, QueryError> {
    let s = match v {
        ScalarValue::Text(s) => s.clone(),
        ScalarValue::Number(n) => number_text(*n),
        ScalarValue::Bool(b) => b.to_string(),
    };
    if s.chars().count() > MAX_TEXT_CHARS {
        return err(format!("a value has at most {MAX_TEXT_CHARS} characters"));
    }
    Ok(s)
}

pub(crate) fn number_text(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 1e15 {
        format!("{}", n as i64)
    } else {
        n.to_string()
    }
}

fn number_of(v: &ScalarValue) -> Result<f64, QueryError> {
    let n = match v {
        ScalarValue::Number(n) => Some(*n),
        ScalarValue::Text(s) => s.trim().parse::<f64>().ok(),
        ScalarValue::Bool(_) => None,
    };
    n.filter(|n| n.is_finite())
        .ok_or_else(|| QueryError(format!("{} is not a number", show(v))))
}

fn show(v: &ScalarValue) -> String {
    serde_json::to_string(v).unwrap_or_default()
}

fn one(op: Operator, values: &[ScalarValue]) -> Result<&ScalarValue, QueryError> {
    match values {
        [v] => Ok(v),
        _ => err(format!("{} takes exactly one value", op.as_str())),
    }
}

fn none(op: Operator, values: &[ScalarValue]) -> Result<(), QueryError> {
    if values.is_empty() {
        Ok(())
    } else {
        err(format!("{} takes no values", op.as_str()))
    }
}

fn some(op: Operator, values: &[ScalarValue]) -> Result<(), QueryError> {
    check_count(values)?;
    if values.is_empty() {
        err(format!("{} needs at least one value", op.as_str()))
    } else {
        Ok(())
    }
}

fn not_empty(s: String) -> Result<String, QueryError> {
    if s.is_empty() {
        err("the value is empty")
    } else {
        Ok(s)
    }
}

fn unsupported<T>(op: Operator, kind: &str) -> Result<T, QueryError> {
    err(format!("{} does not apply to {kind}", op.as_str()))
}

fn text_condition(
    op: Operator,
    values: &[ScalarValue],
) -> Result<(bool, TextCondition), QueryError> {
    let (negated, op) = positive(op);
    let condition = match op {
        Operator::Is => {
            some(op, values)?;
            TextCondition::Is(values.iter().map(text_of).collect::<Result<_, _>>()?)
        }
        Operator::Contains => TextCondition::Contains(not_empty(text_of(one(op, values)?)?)?),
        Operator::Exists => {
            none(op, values)?;
            TextCondition::Exists
        }
        other => return unsupported(other, "text"),
    };
    Ok((negated, condition))
}

fn number_condition(
    op: Operator,
    values: &[ScalarValue],
) -> Result<(bool, NumberCondition), QueryError> {
    let (negated, op) = positive(op);
    let condition = match op {
        Operator::Is => {
            some(op, values)?;
            NumberCondition::Is(values.iter().map(number_of).collect::<Result<_, _>>()?)
        }
        Operator::GreaterThan => NumberCondition::GreaterThan(number_of(one(op, values)?)?),
        Operator::LessThan => NumberCondition::LessThan(number_of(one(op, values)?)?),
        Operator::Between => between(values).map(|(lo, hi)| NumberCondition::Between(lo, hi))?,
        Operator::Exists => {
            none(op, values)?;
            NumberCondition::Exists
        }
        other => return unsupported(other, "numbers"),
    };
    Ok((negated, condition))
}

fn between(values: &[ScalarValue]) -> Result<(f64, f64), QueryError> {
    match values {
        [lo, hi] => {
            let (lo, hi) = (number_of(lo)?, number_of(hi)?);
            if lo > hi {
                err(format!(
                    "between needs the smaller value first, got {lo} and {hi}"
                ))
            } else {
                Ok((lo, hi))
            }
        }
        _ => err("between takes two values: the lowest and the highest"),
    }
}

fn value_condition(
    op: Operator,
    values: &[ScalarValue],
) -> Result<(bool, ValueCondition), QueryError> {
    let (negated, op) = positive(op);
    let condition = match op {
        Operator::Is => {
            some(op, values)?;
            ValueCondition::Is(
                values
                    .iter()
                    .map(|v| {
                        Ok(match v {
                            ScalarValue::Text(_) => Scalar::Text(text_of(v)?),
                            ScalarValue::Number(n) if n.is_finite() => Scalar::Number(*n),
                            ScalarValue::Number(_) => return err("numbers must be finite"),
                            ScalarValue::Bool(b) => Scalar::Bool(*b),
                        })
                    })
                    .collect::<Result<_, QueryError>>()?,
            )
        }
        Operator::Contains => ValueCondition::Contains(not_empty(text_of(one(op, values)?)?)?),
        Operator::Exists => {
            none(op, values)?;
            ValueCondition::Exists
        }
        Operator::GreaterThan => ValueCondition::GreaterThan(number_of(one(op, values)?)?),
        Operator::LessThan => ValueCondition::LessThan(number_of(one(op, values)?)?),
        Operator::Between => between(values).map(|(lo, hi)| ValueCondition::Between(lo, hi))?,
        other => return unsupported(other, "properties"),
    };
    Ok((negated, condition))
}

fn url_condition(op: Operator, values: &[ScalarValue]) -> Result<(bool, UrlCondition), QueryError> {
    let (negated, op) = positive(op);
    let condition = match op {
        Operator::Is => {
            some(op, values)?;
            UrlCondition::Is(values.iter().map(text_of).collect::<Result<_, _>>()?)
        }
        Operator::Contains => UrlCondition::Contains(not_empty(text_of(one(op, values)?)?)?),
        Operator::StartsWith => UrlCondition::StartsWith(not_empty(text_of(one(op, values)?)?)?),
        Operator::Glob => UrlCondition::Glob(not_empty(text_of(one(op, values)?)?)?),
        Operator::Exists => {
            none(op, values)?;
            UrlCondition::Exists
        }
        other => return unsupported(other, "urls"),
    };
    Ok((negated, condition))
}

fn message_condition(
    op: Operator,
    values: &[ScalarValue],
) -> Result<(bool, MessageCondition), QueryError> {
    let (negated, op) = positive(op);
    let condition = match op {
        Operator::Is => MessageCondition::Is(not_empty(text_of(one(op, values)?)?)?),
        Operator::Contains => {
            MessageCondition::Contains(phrase(&text_of(one(op, values)?)?, "the message")?)
        }
        Operator::Exists => {
            none(op, values)?;
            MessageCondition::Exists
        }
        other => return unsupported(other, "console messages"),
    };
    Ok((negated, condition))
}

#[cfg(test)]
mod tests;
