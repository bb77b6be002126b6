//! The typed search: what a backend evaluates. Every value here has been checked by
//! [`crate::parse`]; a backend translates it and never validates again.

use crate::selector::Selector;

/// One search over a project's replays.
#[derive(Debug, Clone, PartialEq)]
pub struct Search {
    /// Sessions whose recording started in this range.
    pub range: TimeRange,
    /// Full text: a phrase that appeared on screen or in the console.
    pub text: Option<Phrase>,
    /// All must hold (AND).
    pub filters: Vec<Filter>,
    pub sort: Sort,
    /// 1..=[`MAX_LIMIT`].
    pub limit: usize,
    /// Continue after this row of an earlier page (same sort).
    pub after: Option<Cursor>,
    /// Whether to count every match (within the backend's time budget).
    pub count_total: bool,
}

/// The most replays one page holds.
pub const MAX_LIMIT: usize = 100;

/// A half-open range `[start_ms, end_ms)` of epoch milliseconds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeRange {
    pub start_ms: i64,
    pub end_ms: i64,
}

/// Words to find in this order, whole words, case and accents ignored; the last word may be the
/// start of a longer one ("Payment fai" finds "Payment failed"). Holds at least one letter or
/// digit.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phrase(pub(crate) String);

impl Phrase {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A filter, possibly negated. A negated filter holds for every session the filter does not
/// hold for — also the sessions that lack the value altogether ("is not X" includes sessions
/// without X; the rule of the product reel follows).
#[derive(Debug, Clone, PartialEq)]
pub struct Filter {
    pub negated: bool,
    pub predicate: Predicate,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Predicate {
    /// The session has at least `min_count` events matching.
    Performed(EventMatch),
    /// Events matching each step, each later than the one before (at least two steps).
    Sequence(Vec<EventMatch>),
    /// The session's user id (the latest one set in it).
    UserId(TextCondition),
    /// A property of the session's user, its latest value.
    UserProperty {
        key: PropertyKey,
        condition: ValueCondition,
    },
    /// The session's user belongs to a saved cohort.
    Cohort(Cohort),
    /// A number the processing stage worked out for the session.
    Fact {
        fact: Fact,
        condition: NumberCondition,
    },
    /// Where the session was recorded from.
    Attribute {
        attribute: Attribute,
        condition: TextCondition,
    },
    /// A page the session visited (URLs without query string or fragment).
    Url(UrlCondition),
    /// An element the user clicked (or rage/dead/error-clicked).
    ClickedElement {
        element: ElementMatch,
        signal: ClickSignal,
    },
    /// A console message of the session.
    ConsoleMessage(MessageCondition),
}

/// Events of one name, with conditions on their properties.
#[derive(Debug, Clone, PartialEq)]
pub struct EventMatch {
    pub name: String,
    pub properties: Vec<PropertyCondition>,
    /// At least this many (1 or more).
    pub min_count: u32,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PropertyCondition {
    pub key: PropertyKey,
    /// Negated: the event's property does not meet the condition, or it has no such property.
    pub negated: bool,
    pub condition: ValueCondition,
}

/// A property name: 1 to [`crate::MAX_PROPERTY_KEY_CHARS`] characters, any of them (a backend
/// must name any key it stores, quotes and backslashes included).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PropertyKey(pub(crate) String);

impl PropertyKey {
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A condition on text. `Is` compares exactly (any of the values); `Contains` ignores case.
#[derive(Debug, Clone, PartialEq)]
pub enum TextCondition {
    Is(Vec<String>),
    Contains(String),
    Exists,
}

#[derive(Debug, Clone, PartialEq)]
pub enum NumberCondition {
    /// Equal to any of these.
    Is(Vec<f64>),
    GreaterThan(f64),
    LessThan(f64),
    /// Inclusive at both ends.
    Between(f64, f64),
    Exists,
}

/// A condition on a property value of any JSON type.
#[derive(Debug, Clone, PartialEq)]
pub enum ValueCondition {
    /// Equal to any of these: text exactly, numbers numerically, booleans as booleans.
    Is(Vec<Scalar>),
    /// The value as text contains this, ignoring case.
    Contains(String),
    Exists,
    GreaterThan(f64),
    LessThan(f64),
    Between(f64, f64),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Scalar {
    Text(String),
    Number(f64),
    Bool(bool),
}

#[derive(Debug, Clone, PartialEq)]
pub enum UrlCondition {
    Is(Vec<String>),
    Contains(String),
    StartsWith(String),
    /// `*` any run of characters, `?` one character, `[abc]` one of them (case-sensitive).
    Glob(String),
    Exists,
}

#[derive(Debug, Clone, PartialEq)]
pub enum MessageCondition {
    /// The whole message, exactly.
    Is(String),
    /// The message holds this phrase (see [`Phrase`]).
    Contains(Phrase),
    /// The session logged anything to the console.
    Exists,
}

#[derive(Debug, Clone, PartialEq)]
pub enum ElementMatch {
    /// The element's readable text (its label, or its text).
    Text(TextCondition),
    /// A CSS selector matched against the clicked element and the path recorded above it.
    Selector(Selector),
}

/// Which clicks: all clicks, or those the signals stage called rage, dead or error clicks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClickSignal {
    Click,
    Rage,
    Dead,
    Error,
}

impl ClickSignal {
    /// The event type that records this kind of click (SDKs send the same name for clicks).
    pub fn event_type(self) -> &'static str {
        match self {
            Self::Click => "[reel] Element Clicked",
            Self::Rage => "[reel] Rage Click",
            Self::Dead => "[reel] Dead Click",
            Self::Error => "[reel] Error Click",
        }
    }
}

/// The event property holding the clicked element's CSS path.
pub const ELEMENT_SELECTOR_PROPERTY: &str = "[reel] Element Selector";
/// The event property holding the clicked element's readable text.
pub const ELEMENT_TEXT_PROPERTY: &str = "[reel] Element Text";

/// A saved set of users, resolved from its stored definition.
#[derive(Debug, Clone, PartialEq)]
pub struct Cohort {
    pub id: i64,
    /// All must hold for a user.
    pub conditions: Vec<CohortCondition>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum CohortCondition {
    UserProperty {
        key: PropertyKey,
        negated: bool,
        condition: ValueCondition,
    },
    /// The user's sessions hold at least `min_count` events of this name (negated: fewer).
    Performed {
        name: String,
        negated: bool,
        min_count: u32,
    },
}

/// A number of a session that searches filter on: one of the counts reel works out of a
/// recording, or one only search asks for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fact {
    /// One of the recording's counts, as the store keeps it.
    Recorded(reel_model::Fact),
    DurationMs,
    /// Console errors plus network errors (what the list's error badge counts).
    Errors,
    ViewportWidth,
    ViewportHeight,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attribute {
    Browser,
    Os,
    Device,
    /// ISO 3166-1 alpha-2.
    Country,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sort {
    pub key: SortKey,
    pub descending: bool,
}

impl Default for Sort {
    fn default() -> Self {
        Self {
            key: SortKey::StartTime,
            descending: true,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SortKey {
    StartTime,
    Duration,
    ActiveTime,
    /// Console errors plus network errors.
    Errors,
}

impl SortKey {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::StartTime => "start_time",
            Self::Duration => "duration",
            Self::ActiveTime => "active_time",
            Self::Errors => "errors",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::StartTime,
            Self::Duration,
            Self::ActiveTime,
            Self::Errors,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// Where a page ended: the sort value and row of its last replay. Rows after it in the sort
/// order come next, whatever arrived since.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Cursor {
    pub sort: Sort,
    /// The last row's sort value.
    pub value: i64,
    /// The last row's position among equal values (a backend's row id).
    pub row: i64,
    /// The total counted for the first page, carried on.
    pub total: Option<u64>,
}
