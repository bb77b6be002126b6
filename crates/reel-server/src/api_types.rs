//! The query API's JSON shapes, written once. The OpenAPI document (`/api/v1/openapi.json`)
//! is generated from these types (with the search's shapes from `reel_query::wire`), and the
//! UI's and tests' TypeScript types are generated from that document
//! (`web/src/generated/`): a change here that the committed document and types do not follow
//! fails the tests.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

mod team;
pub use team::*;

pub use crate::permissions::Role;

pub use reel_engine::SessionFacts;
pub use reel_engine::signal_settings::SignalDefinitions;

pub use reel_query::wire::{
    ClickSignalSpec, CohortConditionSpec, CohortDefinition, EventSpec, FilterField, FilterSpec,
    Operator, PropertySpec, ScalarValue, SearchRequest, SortField, SortOrder,
};

/// Every error answer: `{"error": {"code", "message"}}`.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ErrorBody {
    pub error: ErrorDetail,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ErrorDetail {
    pub code: ErrorCode,
    /// For people; may change.
    pub message: String,
}

/// Stable error codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum ErrorCode {
    Unauthenticated,
    InvalidCredentials,
    AccountDisabled,
    Forbidden,
    NotFound,
    Conflict,
    InvalidParameter,
    UnsupportedMediaType,
    RateLimited,
    Busy,
    BodyTimeout,
    BodyTooLarge,
    SearchTimeout,
    Internal,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LoginRequest {
    pub email: String,
    pub password: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct LoginAnswer {
    pub user: UserInfo,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct UserInfo {
    pub id: i64,
    pub email: String,
}

/// The signed-in user, their organization and the projects they have access to, each with
/// their role on it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Me {
    pub user: UserInfo,
    pub organization: OrganizationInfo,
    /// Organization admins are admins of every project, create projects and manage accounts.
    pub organization_admin: bool,
    pub projects: Vec<ProjectInfo>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct OrganizationInfo {
    pub id: i64,
    pub name: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ProjectInfo {
    pub id: i64,
    pub name: String,
    /// The ingestion key SDKs send.
    pub api_key: String,
    /// IANA timezone name: dates are shown and filtered in it.
    pub timezone: String,
    /// The signal definitions in effect (docs/signals.md).
    pub signals: SignalDefinitions,
    /// Your role on this project.
    pub role: Role,
}

/// Project settings to change; what is left out stays as it is.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectUpdate {
    #[serde(default)]
    #[schema(max_length = 200)]
    pub name: Option<String>,
    /// An IANA timezone name like `Europe/Berlin` or `UTC`.
    #[serde(default)]
    pub timezone: Option<String>,
    /// Signal definitions to change; `reel reprocess` applies them to sessions already stored.
    #[serde(default)]
    pub signals: Option<SignalDefinitions>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct TokenList {
    pub tokens: Vec<Token>,
}

/// An API token or browser session (never the secret itself).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Token {
    pub id: i64,
    pub kind: TokenKind,
    pub name: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
    /// Updated at most once a minute.
    #[schema(format = DateTime)]
    pub last_used_at: Option<String>,
    #[schema(format = DateTime)]
    pub expires_at: Option<String>,
    /// The token or session this request was made with.
    pub current: bool,
}

/// `browser_session`: a UI login; `configured`: REEL_ADMIN_TOKEN; `api`: made with
/// `POST /tokens`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum TokenKind {
    BrowserSession,
    Configured,
    Api,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewTokenRequest {
    #[serde(default)]
    #[schema(max_length = 200)]
    pub name: Option<String>,
    /// The token stops working after this many days (none: until revoked).
    #[serde(default)]
    #[schema(minimum = 1, maximum = 3650)]
    pub expires_in_days: Option<u32>,
}

/// A new token; the secret is in this answer only.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CreatedToken {
    #[serde(flatten)]
    pub info: Token,
    pub token: String,
}

/// One recorded session, with the facts reel worked out from it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Replay {
    /// URL-safe replay id.
    pub id: String,
    /// Epoch ms of the session start (Amplitude session id).
    pub session_id: i64,
    pub device_id: String,
    /// The latest user id set during the session.
    pub user_id: Option<String>,
    #[schema(format = DateTime)]
    pub start_time: String,
    #[schema(format = DateTime)]
    pub end_time: String,
    pub duration_ms: i64,
    /// rrweb events recorded.
    pub event_count: i64,
    /// Bytes stored (compressed).
    pub size_bytes: i64,
    pub first_url: Option<String>,
    /// Distinct page URLs (no query string or fragment), in the order first seen.
    pub urls: Vec<String>,
    /// ISO 3166-1 alpha-2: from the country database or a trusted proxy's header.
    pub country: Option<String>,
    pub viewport: Option<Viewport>,
    pub browser: Option<String>,
    pub os: Option<String>,
    /// desktop, mobile, tablet or bot.
    pub device: Option<String>,
    #[schema(format = DateTime)]
    pub last_upload_time: Option<String>,
    /// Facts and derived events are still to come from the processing stage.
    pub processing_pending: bool,
    /// What reel counted in the recording.
    #[serde(flatten)]
    pub facts: SessionFacts,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Viewport {
    pub width: i64,
    pub height: i64,
}

/// A page of replays.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ReplayPage {
    pub replays: Vec<Replay>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
    /// Every replay the search matches, when it could be counted in time (for a later page:
    /// as counted for the first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total: Option<u64>,
}

/// An rrweb event as recorded (only `type` and `timestamp` are typed here).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RecordedEvent {
    #[serde(rename = "type")]
    pub kind: i64,
    pub timestamp: i64,
    #[schema(value_type = Object)]
    pub data: serde_json::Value,
}

/// What is stored of a replay and where playing can start.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Manifest {
    pub replay: Replay,
    pub start_ms: i64,
    pub end_ms: i64,
    /// Times playing can start from (a Meta with its full snapshot).
    pub keyframes: Vec<i64>,
    pub pieces: Vec<ManifestPiece>,
    /// Stretches with no data while the session went on (found after processing).
    pub gaps: Vec<Gap>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ManifestPiece {
    pub kind: PieceKind,
    pub start_ms: i64,
    pub end_ms: i64,
    #[schema(format = DateTime)]
    pub start_time: String,
    pub keyframe_ms: Option<i64>,
    pub event_count: i64,
    pub raw_bytes: i64,
    pub stored_bytes: i64,
}

/// `chunk`: an upload as it came; `segment`: compacted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PieceKind {
    Chunk,
    Segment,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Gap {
    pub start_ms: i64,
    pub end_ms: i64,
}

pub use reel_engine::timeline::{
    ConsoleEntry, CustomEntry, NetworkEntry, PageLoad, Stretch, Timeline, TimelineTruncated,
};

/// What happened in a session: events an SDK sent and events reel derived.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Activity {
    pub events: Vec<ActivityEvent>,
    /// More events than the answer holds.
    pub truncated: bool,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ActivityEvent {
    pub event_type: String,
    /// A readable name ("Clicked 'Pay now' button"); the event type when there is none.
    pub display_name: String,
    #[schema(format = DateTime)]
    pub time: String,
    pub time_ms: i64,
    /// Milliseconds after the replay's start.
    pub offset_ms: i64,
    /// Derived by reel from the recording.
    pub derived: bool,
    pub user_id: Option<String>,
    #[schema(value_type = Object)]
    pub event_properties: serde_json::Value,
}

/// A viewer's verdict on a replay.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FeedbackRequest {
    /// `down` or `up`.
    pub rating: String,
    #[serde(default)]
    #[schema(max_length = 2000)]
    pub comment: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Feedback {
    pub id: i64,
    pub replay_id: String,
    pub user: UserInfo,
    /// `down` or `up`.
    pub rating: String,
    pub comment: Option<String>,
    #[schema(format = DateTime)]
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct FeedbackList {
    pub feedback: Vec<Feedback>,
}

/// A relative date range: days up to today in the project's timezone (`today`; `1d`, `7d`, …:
/// that many days before today, and today).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub enum RangePreset {
    #[serde(rename = "today")]
    Today,
    #[serde(rename = "1d")]
    Days1,
    #[serde(rename = "7d")]
    Days7,
    #[serde(rename = "30d")]
    Days30,
    #[serde(rename = "90d")]
    Days90,
}

/// A search as saved: the search without paging, with either a relative `range` or fixed
/// `start`/`end`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SavedSearchSpec {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub range: Option<RangePreset>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub q: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub filters: Vec<FilterSpec>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sort: Option<SortField>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order: Option<SortOrder>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SavedSearchRequest {
    #[schema(max_length = 200)]
    pub name: String,
    pub search: SavedSearchSpec,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SavedSearch {
    pub id: i64,
    pub name: String,
    pub search: SavedSearchSpec,
    /// The email of who saved it.
    pub created_by: String,
    #[schema(format = DateTime)]
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SavedSearchList {
    pub saved_searches: Vec<SavedSearch>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CohortRequest {
    #[schema(max_length = 200)]
    pub name: String,
    pub definition: CohortDefinition,
}

/// A saved set of users, evaluated whenever a search uses it.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Cohort {
    pub id: i64,
    pub name: String,
    pub definition: CohortDefinition,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub updated_at: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CohortList {
    pub cohorts: Vec<Cohort>,
}

/// Names a project has seen, for building filters.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Catalog {
    /// Event names, most used first.
    pub event_names: Vec<String>,
    /// User property names, alphabetically.
    pub user_properties: Vec<String>,
}
