//! Charts as clients write them and as they are answered (JSON, documented in the OpenAPI
//! document). [`super::parse_chart`] turns a request into the typed [`super::Chart`]; a backend
//! answers with the answer shapes below.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::wire::PropertySpec;

/// An event of a chart: its name and conditions on its properties (all must hold; "is not X"
/// also keeps events without the property, as in replay search).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChartEventSpec {
    pub event_type: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub filters: Vec<PropertySpec>,
}

/// What a chart is split by: an event property (its value on each event) or a user property
/// (the user's current value). The `limit` most common values (default 10) each get a series,
/// the rest are summed up as `(other)`; events without the property are `(none)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GroupBySpec {
    pub property: String,
    pub scope: PropertyScope,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1, maximum = 50)]
    pub limit: Option<u32>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PropertyScope {
    Event,
    User,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Interval {
    Hour,
    #[default]
    Day,
    /// Weeks start on Monday.
    Week,
    Month,
}

/// Event Segmentation: how often events happened, and to how many users, per interval.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SegmentationRequest {
    /// 1 to 10 events, a series each (times each group).
    pub events: Vec<ChartEventSpec>,
    #[serde(default)]
    pub measure: SegmentationMeasure,
    /// For `measure: property`: which property and how it is summed up.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub property: Option<PropertyMeasureSpec>,
    #[serde(default)]
    pub interval: Interval,
    /// First day (`YYYY-MM-DD` in the project's timezone) or RFC 3339 instant. Default: 30 days
    /// before `end`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    /// Last day, included (`YYYY-MM-DD`), or an RFC 3339 instant (excluded). Default: now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<String>,
    /// Conditions on the user's current properties; all must hold.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub user_filters: Vec<PropertySpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_by: Option<GroupBySpec>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SegmentationMeasure {
    /// Distinct users who did the event.
    #[default]
    Uniques,
    /// How many times the event happened.
    Totals,
    /// Uniques as a share (%) of the users active in the same interval.
    ActivePct,
    /// Events per user who did it (totals ÷ uniques).
    Average,
    /// Users by how many times they did the event (a series per bin).
    Frequency,
    /// A property of the events: sum, average or distinct values (`property`).
    Property,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PropertyMeasureSpec {
    pub property: String,
    pub aggregate: PropertyAggregate,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PropertyAggregate {
    /// The sum of the numeric values.
    Sum,
    /// The sum ÷ the events with a numeric value.
    Average,
    /// How many different values.
    Distinct,
}

/// Funnel Analysis: how many users went through steps in turn, within a conversion window.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FunnelRequest {
    /// 2 to 10 steps.
    pub steps: Vec<ChartEventSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<String>,
    /// Time from the first step within which the last must happen (default one day; 1 s to 366
    /// days).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub conversion_window_ms: Option<i64>,
    #[serde(default)]
    pub order: FunnelOrder,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub user_filters: Vec<PropertySpec>,
    /// Split by a property: of the first step's event (`scope: event`) or of the user.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group_by: Option<GroupBySpec>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FunnelOrder {
    /// Steps in this order; other events may come between.
    #[default]
    This,
    /// The first step, then the others in any order, all within the window.
    Any,
}

/// User Sessions: how many sessions, how long, per interval. A session is a device's session
/// id (`session_id` > 0); its length is the time from its first to its last event; it belongs
/// to the interval it started in.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SessionsRequest {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<String>,
    #[serde(default)]
    pub interval: Interval,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub user_filters: Vec<PropertySpec>,
}

/// Journeys: the most common paths from (or to) an event (Pathfinder), or the flows between
/// the most common events (Journey Map).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct JourneysRequest {
    #[serde(default)]
    pub view: JourneyView,
    /// Pathfinder: paths that start at each user's first such event in the range…
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_event: Option<ChartEventSpec>,
    /// …or that end at each user's last such event (give one of the two).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_event: Option<ChartEventSpec>,
    /// Events in a path, the anchor included: 2 to 10 (default 5).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 2, maximum = 10)]
    pub steps: Option<u32>,
    /// A path ends this long after (or before) its anchor (default 1 hour).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window_ms: Option<i64>,
    /// The same event several times in a row counts once (default true).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collapse_repeats: Option<bool>,
    /// Events left out of paths (e.g. `[reel] Element Clicked`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub exclude_events: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub user_filters: Vec<PropertySpec>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum JourneyView {
    #[default]
    Pathfinder,
    JourneyMap,
}

/// Experiment: users exposed to a variant (an exposure event carrying the variant in a
/// property) and how many of them then did a goal event, per variant, against the control.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExperimentRequest {
    /// Default `[Experiment] Exposure`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub exposure_event: Option<String>,
    /// The exposure's property naming the variant (default `[Experiment] Variant`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant_property: Option<String>,
    /// Only exposures whose `[Experiment] Flag Key` is this.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub flag_key: Option<String>,
    pub goal: ChartEventSpec,
    /// The variant the others are compared with (default `control`, else the first by name).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub control: Option<String>,
    /// Of the interval (default 0.95; 0.5 to 0.999).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub confidence: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub user_filters: Vec<PropertySpec>,
}

/// Any chart, its kind named: what dashboards, notebooks and the Microscope hold.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ChartSpec {
    Segmentation(SegmentationRequest),
    Funnel(FunnelRequest),
    Sessions(SessionsRequest),
    Journeys(JourneysRequest),
    Experiment(ExperimentRequest),
}

impl ChartSpec {
    /// The kind as the URL names it (`/charts/{kind}`).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Segmentation(_) => "segmentation",
            Self::Funnel(_) => "funnel",
            Self::Sessions(_) => "sessions",
            Self::Journeys(_) => "journeys",
            Self::Experiment(_) => "experiment",
        }
    }
}

/// One interval of a chart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct BucketInfo {
    /// Its start, RFC 3339 in the project's timezone.
    pub start: String,
    pub start_ms: i64,
}

/// One line (or set of bars) of a chart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Series {
    /// What the legend says.
    pub label: String,
    /// The chart's event it counts (segmentation).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_index: Option<u32>,
    /// The group's value (`(none)`, `(other)` included), when grouped.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    /// The frequency bin (`1`, `2`, …, `51+`), for the frequency measure.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bin: Option<String>,
    /// The measure, for User Sessions' series.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub measure: Option<String>,
    /// A value per interval.
    pub values: Vec<f64>,
    /// Over the whole range (uniques counted once over it, not summed).
    pub total: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SegmentationAnswer {
    pub timezone: String,
    pub buckets: Vec<BucketInfo>,
    pub series: Vec<Series>,
}

/// One step of a funnel.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct FunnelStepResult {
    pub event_type: String,
    /// Users who reached this step.
    pub count: u64,
    /// `count` ÷ the first step's count (0 to 1).
    pub conversion: f64,
    /// `count` ÷ the previous step's count.
    pub conversion_from_previous: f64,
    /// Users who reached the previous step but not this one.
    pub drop_off: u64,
    /// Median time from the first step to this one, of the users who reached it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub median_ms_to_convert: Option<i64>,
    /// Median time from the previous step to this one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub median_ms_from_previous: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct FunnelGroup {
    pub group: String,
    pub steps: Vec<FunnelStepResult>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct FunnelAnswer {
    pub steps: Vec<FunnelStepResult>,
    /// Per group, when grouped (top values, then `(other)`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub groups: Vec<FunnelGroup>,
}

/// Sessions in a length bin `[min_ms, max_ms)`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct LengthBin {
    pub label: String,
    pub min_ms: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_ms: Option<i64>,
    pub sessions: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct SessionsAnswer {
    pub timezone: String,
    pub buckets: Vec<BucketInfo>,
    /// `sessions`, `average_length_ms`, `median_length_ms`, `sessions_per_user`,
    /// `time_per_user_ms`: a series each (`measure` names it).
    pub series: Vec<Series>,
    pub length_distribution: Vec<LengthBin>,
    /// Users with a session in the range.
    pub users: u64,
}

/// A path of a Pathfinder, anchor first (from an event) or last (to an event).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PathResult {
    pub events: Vec<String>,
    pub users: u64,
    /// Of all users with the anchor event (0 to 1).
    pub share: f64,
}

/// An event at one position of the paths, with the users who got there through it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PathNode {
    pub event_type: String,
    pub users: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct JourneyEdge {
    pub from: String,
    pub to: String,
    /// Users who went from one to the other directly.
    pub users: u64,
    /// Times anyone did.
    pub transitions: u64,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct JourneysAnswer {
    /// Users with the anchor event (Pathfinder) or any event (Journey Map).
    pub users: u64,
    /// Pathfinder: the most common paths (at most 20), most users first.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub paths: Vec<PathResult>,
    /// Pathfinder: per position from the anchor, the most common events (5, then `(other)`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub positions: Vec<Vec<PathNode>>,
    /// Journey Map: the most common events…
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub nodes: Vec<PathNode>,
    /// …and the flows between them.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub edges: Vec<JourneyEdge>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct VariantResult {
    pub variant: String,
    /// Users whose first exposure in the range was to this variant.
    pub exposed: u64,
    /// Of those, users who did the goal event after it (within the range).
    pub converted: u64,
    /// `converted` ÷ `exposed`.
    pub conversion: f64,
    /// Against the control: this conversion minus the control's, with its confidence
    /// interval (absent for the control, or without exposures).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub difference: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ci_low: Option<f64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ci_high: Option<f64>,
    /// `difference` ÷ the control's conversion.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lift: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct ExperimentAnswer {
    pub control: Option<String>,
    pub confidence: f64,
    pub variants: Vec<VariantResult>,
}

/// Any chart's answer, as `kind` says.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum ChartAnswer {
    Segmentation(SegmentationAnswer),
    Funnel(FunnelAnswer),
    Sessions(SessionsAnswer),
    Journeys(JourneysAnswer),
    Experiment(ExperimentAnswer),
}

/// A data point of a chart: which fields apply depends on the chart.
///
/// | chart | fields |
/// |---|---|
/// | segmentation | `event_index`, `group`, `bucket_ms` (absent: the whole range), `bin` (frequency) |
/// | funnel | `step` (0-based), `part` (`converted`: reached it; `dropped`: reached the previous step, not this one), `group` |
/// | sessions | `bucket_ms`, `bin` (a length bin's label) |
/// | journeys | `path` (the anchor first: users whose path starts with these events; Journey Map: `[from, to]`) |
/// | experiment | `variant`, `converted` (absent: everyone exposed) |
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DataPointSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub event_index: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub group: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bucket_ms: Option<i64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub bin: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub step: Option<u32>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub part: Option<FunnelPart>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub path: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub variant: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub converted: Option<bool>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FunnelPart {
    Converted,
    Dropped,
}

/// The Microscope: the sessions behind one data point of a chart.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MicroscopeRequest {
    /// The chart, as sent to `POST /charts/{kind}` with its `kind`.
    pub chart: ChartSpec,
    pub point: DataPointSpec,
    /// Only sessions with a replay ("Streams with session replays").
    #[serde(default)]
    pub with_replays: bool,
    /// Sessions per page, 1..100 (default 50).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
    /// The previous page's `next_cursor`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursor: Option<String>,
}

/// A session behind a data point.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct MicroscopeSession {
    /// The replay's id (also when it has no recording).
    pub replay_id: String,
    pub device_id: String,
    pub session_id: i64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// When the first event behind the data point happened in this session: where its replay
    /// starts.
    pub moment: String,
    pub moment_ms: i64,
    /// Events of the session behind the data point.
    pub events: u64,
    /// Those events, oldest first (at most 20).
    pub moments: Vec<EventMoment>,
    /// The session has a recording to watch.
    pub has_replay: bool,
}

/// An event behind a data point: when, and its name.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct EventMoment {
    pub time_ms: i64,
    pub event_type: String,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct MicroscopePage {
    /// Users behind the data point (with `with_replays`: those with a replay).
    pub users: u64,
    /// Sessions behind it, all pages together.
    pub total: u64,
    /// Newest first.
    pub sessions: Vec<MicroscopeSession>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}
