//! Charts as a backend evaluates them: every value checked by [`super::parse_chart`]. A backend
//! (the embedded store today, ClickHouse later) answers a [`Chart`] and never validates again.

use crate::model::{PropertyCondition, PropertyKey, TimeRange};

use super::buckets::Buckets;

/// What every chart shares: the range, the intervals and the users it looks at.
#[derive(Debug, Clone, PartialEq)]
pub struct Scope {
    /// Events in `[start_ms, end_ms)`.
    pub range: TimeRange,
    /// The range cut into intervals in the project's timezone.
    pub buckets: Buckets,
    /// Conditions on the user's current properties; all must hold (negated ones also keep
    /// users without the property).
    pub user_filters: Vec<PropertyCondition>,
}

/// Events of one name whose properties meet every condition.
#[derive(Debug, Clone, PartialEq)]
pub struct EventSelector {
    pub name: String,
    pub properties: Vec<PropertyCondition>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct GroupBy {
    pub key: PropertyKey,
    /// Of the event (for funnels: of the first step's event), or the user's current value.
    pub user: bool,
    /// Top values kept; the rest is `(other)`.
    pub limit: usize,
}

/// The label of events without the grouped property.
pub const NONE_GROUP: &str = "(none)";
/// The label of values past the top ones.
pub const OTHER_GROUP: &str = "(other)";

#[derive(Debug, Clone, PartialEq)]
pub enum Chart {
    Segmentation(Segmentation),
    Funnel(Funnel),
    Sessions(UserSessions),
    Journeys(Journeys),
    Experiment(Experiment),
}

impl Chart {
    pub fn scope(&self) -> &Scope {
        match self {
            Self::Segmentation(c) => &c.scope,
            Self::Funnel(c) => &c.scope,
            Self::Sessions(c) => &c.scope,
            Self::Journeys(c) => &c.scope,
            Self::Experiment(c) => &c.scope,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct Segmentation {
    pub scope: Scope,
    /// 1 to 10.
    pub events: Vec<EventSelector>,
    pub measure: Measure,
    pub group_by: Option<GroupBy>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Measure {
    Uniques,
    Totals,
    ActivePct,
    Average,
    Frequency,
    PropertySum(PropertyKey),
    PropertyAverage(PropertyKey),
    PropertyDistinct(PropertyKey),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Funnel {
    pub scope: Scope,
    /// 2 to 10.
    pub steps: Vec<EventSelector>,
    /// 1 s to 366 days.
    pub window_ms: i64,
    pub any_order: bool,
    pub group_by: Option<GroupBy>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct UserSessions {
    pub scope: Scope,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Journeys {
    pub scope: Scope,
    pub anchor: Anchor,
    /// Events in a path, the anchor included (2 to 10).
    pub steps: usize,
    pub window_ms: i64,
    pub collapse_repeats: bool,
    /// Event names left out of paths.
    pub excluded: Vec<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub enum Anchor {
    /// Pathfinder from each user's first such event in the range.
    From(EventSelector),
    /// Pathfinder to each user's last such event in the range.
    To(EventSelector),
    /// The Journey Map: flows between the most common events.
    Map,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Experiment {
    pub scope: Scope,
    /// The exposure event (with the flag key's condition, when one was given).
    pub exposure: EventSelector,
    pub variant_key: PropertyKey,
    pub goal: EventSelector,
    pub control: Option<String>,
    /// 0.5 to 0.999.
    pub confidence: f64,
}

/// A data point of a chart, checked against the chart it belongs to.
#[derive(Debug, Clone, PartialEq)]
pub enum DataPoint {
    Segmentation {
        event_index: usize,
        group: Option<String>,
        /// An interval (its index), or the whole range.
        bucket: Option<usize>,
        bin: Option<String>,
    },
    Funnel {
        step: usize,
        dropped: bool,
        group: Option<String>,
    },
    Sessions {
        bucket: Option<usize>,
        bin: Option<String>,
    },
    Journeys {
        path: Vec<String>,
    },
    Experiment {
        variant: Option<String>,
        converted: Option<bool>,
    },
}

/// A page of the Microscope's sessions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionPageRequest {
    /// 1..=100.
    pub limit: usize,
    /// Only sessions with a recording.
    pub with_replays: bool,
    /// After this session (by moment, newest first).
    pub after: Option<SessionCursor>,
}

/// Where a Microscope page ended: the last session's moment and a backend's row for ties.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionCursor {
    pub moment_ms: i64,
    pub row: i64,
}
