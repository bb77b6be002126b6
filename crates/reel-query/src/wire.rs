//! The search as clients write it (JSON, and the same JSON in URLs), documented in the OpenAPI
//! document. [`crate::parse`] turns it into the typed [`crate::Search`].

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A search over a project's replays (`POST /api/v1/replays/search`; `GET /api/v1/replays`
/// takes the same fields as query parameters, each filter a JSON `filter` parameter).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SearchRequest {
    /// Earliest session start: `YYYY-MM-DD` (that day's start in the project's timezone) or
    /// RFC 3339. Default: 30 days before `end`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    /// Latest session start, exclusive: `YYYY-MM-DD` (the end of that day in the project's
    /// timezone, so the day is included) or RFC 3339. Default: now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<String>,
    /// Full text: a phrase that was on screen or in the console (whole words in this order, case
    /// and accents ignored, the last word may be the start of a longer one). Masked text is
    /// never stored, so it is never found.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    /// All must hold.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub filters: Vec<FilterSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort: Option<SortField>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<SortOrder>,
    /// Replays per page, 1..100 (default 100).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    /// The previous page's `next_cursor`: the page after it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
    /// Count every match for `total` (default true; the count gives up after a moment on
    /// large projects and `total` is then absent).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub count: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SortField {
    StartTime,
    Duration,
    ActiveTime,
    /// Console errors plus network errors.
    Errors,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SortOrder {
    Desc,
    Asc,
}

/// One filter. `field` says what is filtered and which other members apply:
///
/// | field | members | operators |
/// |---|---|---|
/// | `event` | `name`, `where`, `min_count` | — (negate with `negate`) |
/// | `sequence` | `steps` (2 to 5 `{name, where}`, each after the one before) | — |
/// | `user_id` | `op`, `values` | is, is_not, contains, does_not_contain, exists, does_not_exist |
/// | `user_property` | `property`, `op`, `values` | all but starts_with, glob |
/// | `cohort` | `cohort` (id) | is, is_not (default is) |
/// | `duration_ms`, `active_ms`, `click_count`, `keypress_count`, `page_view_count`, `console_error_count`, `network_error_count`, `runtime_error_count`, `rage_click_count`, `dead_click_count`, `error_click_count`, `error_count`, `viewport_width`, `viewport_height` | `op`, `values` (numbers) | is, is_not, greater_than, less_than, between, exists, does_not_exist |
/// | `browser`, `os`, `device`, `country` | `op`, `values` | is, is_not (case ignored), contains, does_not_contain, exists, does_not_exist |
/// | `url` | `op`, `values` | is, is_not, contains, does_not_contain, starts_with, glob, exists, does_not_exist |
/// | `clicked_element` | `selector`, or `op` + `values` on the element's text; `signal` | is, is_not, contains, does_not_contain (text) |
/// | `console_message` | `op`, `values` | is, is_not, contains, does_not_contain (a phrase), exists, does_not_exist |
///
/// `negate: true` turns any filter around. Whatever negates — `negate` or an `is_not`-style
/// operator — also keeps the sessions that lack the value: "country is not DE" includes
/// sessions without a country.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FilterSpec {
    pub field: FilterField,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub op: Option<Operator>,
    /// The operator's operands: `is` matches any of them, `between` takes two (inclusive).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<ScalarValue>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub negate: bool,
    /// `event`: the event name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// `event`: conditions on the event's properties, all of which one event must meet.
    #[serde(default, rename = "where", skip_serializing_if = "Vec::is_empty")]
    pub where_: Vec<PropertySpec>,
    /// `event`: at least this many such events in the session (default 1).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1)]
    pub min_count: Option<u32>,
    /// `sequence`: the events, in order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub steps: Vec<EventSpec>,
    /// `user_property`: the property's name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub property: Option<String>,
    /// `cohort`: the cohort's id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cohort: Option<i64>,
    /// `clicked_element`: a CSS selector (tag, #id, .class, [attr], [attr=value],
    /// :nth-of-type(n), descendant and `>` combinators) matched against the clicked element and
    /// the path recorded above it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub selector: Option<String>,
    /// `clicked_element`: which clicks (default `click`: any click).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub signal: Option<ClickSignalSpec>,
}

impl FilterSpec {
    /// A filter on `field` with an operator and values (the common shape).
    pub fn new(field: FilterField, op: Operator, values: Vec<ScalarValue>) -> Self {
        Self {
            field,
            op: Some(op),
            values,
            negate: false,
            name: None,
            where_: Vec::new(),
            min_count: None,
            steps: Vec::new(),
            property: None,
            cohort: None,
            selector: None,
            signal: None,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FilterField {
    Event,
    Sequence,
    UserId,
    UserProperty,
    Cohort,
    DurationMs,
    ActiveMs,
    ClickCount,
    KeypressCount,
    PageViewCount,
    ConsoleErrorCount,
    NetworkErrorCount,
    RuntimeErrorCount,
    RageClickCount,
    DeadClickCount,
    ErrorClickCount,
    /// Console errors plus network errors.
    ErrorCount,
    ViewportWidth,
    ViewportHeight,
    Browser,
    Os,
    Device,
    Country,
    Url,
    ClickedElement,
    ConsoleMessage,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Operator {
    Is,
    IsNot,
    Contains,
    DoesNotContain,
    StartsWith,
    Glob,
    Exists,
    DoesNotExist,
    GreaterThan,
    LessThan,
    Between,
}

impl Operator {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Is => "is",
            Self::IsNot => "is_not",
            Self::Contains => "contains",
            Self::DoesNotContain => "does_not_contain",
            Self::StartsWith => "starts_with",
            Self::Glob => "glob",
            Self::Exists => "exists",
            Self::DoesNotExist => "does_not_exist",
            Self::GreaterThan => "greater_than",
            Self::LessThan => "less_than",
            Self::Between => "between",
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ClickSignalSpec {
    Click,
    Rage,
    Dead,
    Error,
}

/// A string, number or boolean.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(untagged)]
pub enum ScalarValue {
    Text(String),
    Number(f64),
    Bool(bool),
}

impl From<&str> for ScalarValue {
    fn from(s: &str) -> Self {
        Self::Text(s.to_owned())
    }
}

impl From<f64> for ScalarValue {
    fn from(n: f64) -> Self {
        Self::Number(n)
    }
}

/// A condition on an event property (or, in a cohort, a user property).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PropertySpec {
    pub property: String,
    /// Any operator but starts_with and glob.
    pub op: Operator,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<ScalarValue>,
}

/// An event name with conditions on its properties.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EventSpec {
    pub name: String,
    #[serde(default, rename = "where", skip_serializing_if = "Vec::is_empty")]
    pub where_: Vec<PropertySpec>,
}

/// A cohort: the users that meet every condition.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CohortDefinition {
    /// 1 to 20 conditions, all of which a user must meet.
    pub conditions: Vec<CohortConditionSpec>,
}

/// `{"user_property": "plan", "op": "is", "values": ["pro"]}` or
/// `{"performed": "Purchase", "min_count": 3}` (the user's sessions hold at least 3 such events;
/// with `negate`, fewer).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CohortConditionSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_property: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub op: Option<Operator>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<ScalarValue>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub performed: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1)]
    pub min_count: Option<u32>,
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub negate: bool,
}
