//! The analytics API's JSON shapes beside the charts' own (`reel_query::chart::wire`): users
//! and their streams (User Look-Up), dashboards and notebooks. Like `api_types`, the OpenAPI
//! document is generated from them and the UI's TypeScript types from that.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

pub use reel_query::chart::wire::{
    BucketInfo, ChartAnswer, ChartEventSpec, ChartSpec, DataPointSpec, EventMoment,
    ExperimentAnswer, ExperimentRequest, FunnelAnswer, FunnelGroup, FunnelOrder, FunnelPart,
    FunnelRequest, FunnelStepResult, GroupBySpec, Interval, JourneyEdge, JourneyView,
    JourneysAnswer, JourneysRequest, LengthBin, MicroscopePage, MicroscopeRequest,
    MicroscopeSession, PathNode, PathResult, PropertyAggregate, PropertyMeasureSpec, PropertyScope,
    SegmentationAnswer, SegmentationMeasure, SegmentationRequest, Series, SessionsAnswer,
    SessionsRequest, VariantResult,
};

/// A user as listed by a search.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UserSummary {
    /// Absent for a device not tied to a user id (look it up by device id).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<String>,
    /// The devices merged into this user, first seen first (at most 100).
    pub device_ids: Vec<String>,
    pub first_seen: String,
    pub last_seen: String,
    pub event_count: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UserList {
    pub users: Vec<UserSummary>,
}

/// One event of a user's stream.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct StreamEvent {
    pub event_type: String,
    /// A readable name, for events reel derived from a recording.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub display_name: Option<String>,
    pub time: String,
    pub time_ms: i64,
    pub properties: serde_json::Value,
}

/// The events of one session (or, without `session_id`, events outside any session), newest
/// first.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct StreamSession {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replay_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub device_id: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<i64>,
    /// The session has a recording ("Play Session").
    pub has_replay: bool,
    pub events: Vec<StreamEvent>,
}

/// A user: current properties, first and last seen, the event stream grouped by session.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UserProfile {
    pub user: UserSummary,
    /// The user's current properties (after identify operations).
    pub properties: serde_json::Value,
    /// Newest first.
    pub sessions: Vec<StreamSession>,
    /// Pass as `before_ms` for older events (absent: none older).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_before_ms: Option<i64>,
}

/// One item of a dashboard or notebook.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case", deny_unknown_fields)]
pub enum BoardItem {
    /// A chart, run when the board opens (with the board's date range, if it has one).
    Chart {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        title: Option<String>,
        chart: ChartSpec,
    },
    /// A replay, played from `start_ms` (epoch ms) when given.
    Replay {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        title: Option<String>,
        replay_id: String,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        start_ms: Option<i64>,
    },
    /// Text between items (notebooks only), shown as written.
    Text { text: String },
}

/// A range every chart of a dashboard shows instead of its own.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BoardDateRange {
    /// `YYYY-MM-DD` or RFC 3339, as in charts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<String>,
    /// Or the last this many days up to now.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(minimum = 1, maximum = 1098)]
    pub last_days: Option<u32>,
}

/// A dashboard or notebook as created or replaced.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BoardRequest {
    #[schema(max_length = 200)]
    pub name: String,
    /// At most 100, in order.
    #[serde(default)]
    pub items: Vec<BoardItem>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_range: Option<BoardDateRange>,
}

/// What the store keeps of a board beside its name.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct BoardBody {
    pub items: Vec<BoardItem>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_range: Option<BoardDateRange>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum BoardKindName {
    Dashboard,
    Notebook,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Board {
    pub id: i64,
    pub kind: BoardKindName,
    pub name: String,
    pub items: Vec<BoardItem>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_range: Option<BoardDateRange>,
    pub position: i64,
    pub created_at: String,
    pub updated_at: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct BoardList {
    pub boards: Vec<Board>,
}

/// The boards' new order: these ids first, in this order.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BoardOrder {
    pub ids: Vec<i64>,
}
