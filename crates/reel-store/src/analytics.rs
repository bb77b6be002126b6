//! Analytics around replays: charts (`reel_query::chart`), the sessions behind a data point
//! (the Microscope), users and their event streams (User Look-Up), dashboards and notebooks.
//!
//! Events reach the analytics tables in the store's one insert path (every way in: the HTTP
//! API, reel's SDK, derived events, imports), in the transaction that stores them, so a chart
//! counts an event as soon as its upload was answered.

use async_trait::async_trait;
use reel_query::chart::wire::{ChartAnswer, MicroscopePage};
use reel_query::chart::{Chart, DataPoint, SessionPageRequest};

use crate::Result;

/// Event types that change a user's profile and are no event of their own (Amplitude's
/// identify calls): they reach no chart.
pub(crate) fn is_identify(event_type: &str) -> bool {
    matches!(event_type, "$identify" | "$groupidentify")
}

/// How a user is looked up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserLookup {
    UserId(String),
    DeviceId(String),
}

/// Users found by [`AnalyticsStore::find_users`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum UserQuery {
    /// User ids starting with this.
    UserIdPrefix(String),
    DeviceId(String),
    /// A current property equal to this (as text).
    Property {
        key: String,
        value: String,
    },
    /// Who was active last: the users of the project's newest sessions.
    Recent,
}

/// A user as listed.
#[derive(Debug, Clone, PartialEq)]
pub struct UserSummary {
    /// None: a device not tied to a user id.
    pub user_id: Option<String>,
    pub device_ids: Vec<String>,
    pub first_ms: i64,
    pub last_ms: i64,
    pub event_count: i64,
}

/// One event of a user's stream.
#[derive(Debug, Clone, PartialEq)]
pub struct StreamEvent {
    pub event_type: String,
    /// A readable name (derived events).
    pub display_name: Option<String>,
    pub time_ms: i64,
    /// JSON object text.
    pub event_properties: String,
    pub device_id: Option<String>,
    /// The session (device and session id) and whether it has a recording.
    pub session: Option<(String, i64, bool)>,
}

/// A user with their current properties and their latest events, newest first.
#[derive(Debug, Clone, PartialEq)]
pub struct UserProfile {
    pub summary: UserSummary,
    /// JSON object text.
    pub properties: String,
    pub events: Vec<StreamEvent>,
    /// Older events exist before the last one listed.
    pub more: bool,
}

#[async_trait]
pub trait AnalyticsStore: Send + Sync + 'static {
    /// Answers a chart. Runs on connections of its own within a deadline (a chart out of time
    /// is [`crate::StoreError::TimedOut`]); stops when its caller goes away.
    async fn chart(&self, project_id: i64, chart: Chart) -> Result<ChartAnswer>;
    /// The sessions behind one data point of a chart, newest first, a page at a time.
    async fn chart_sessions(
        &self,
        project_id: i64,
        chart: Chart,
        point: DataPoint,
        page: SessionPageRequest,
    ) -> Result<MicroscopePage>;
    /// A user with properties and up to `limit` events before `before_ms` (newest first).
    async fn user_profile(
        &self,
        project_id: i64,
        lookup: UserLookup,
        before_ms: Option<i64>,
        limit: usize,
    ) -> Result<Option<UserProfile>>;
    /// Users matching a query, most recently seen first (at most `limit`).
    async fn find_users(
        &self,
        project_id: i64,
        query: UserQuery,
        limit: usize,
    ) -> Result<Vec<UserSummary>>;
}

/// A dashboard or a notebook.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BoardKind {
    Dashboard,
    Notebook,
}

impl BoardKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Dashboard => "dashboard",
            Self::Notebook => "notebook",
        }
    }
}

/// A board as stored. `body` is JSON the store keeps as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredBoard {
    pub id: i64,
    pub kind: BoardKind,
    pub name: String,
    pub body: String,
    pub position: i64,
    pub created_ms: i64,
    pub updated_ms: i64,
}

#[async_trait]
pub trait BoardStore: Send + Sync + 'static {
    /// The project's boards of a kind, in their order.
    async fn boards(&self, project_id: i64, kind: BoardKind) -> Result<Vec<StoredBoard>>;
    async fn board(&self, project_id: i64, kind: BoardKind, id: i64)
    -> Result<Option<StoredBoard>>;
    /// A new board, last in the order.
    async fn add_board(
        &self,
        project_id: i64,
        kind: BoardKind,
        user_id: i64,
        name: &str,
        body: &str,
        now_ms: i64,
    ) -> Result<StoredBoard>;
    /// Replaces a board's name and body; `None` when there is no such board.
    async fn put_board(
        &self,
        project_id: i64,
        kind: BoardKind,
        id: i64,
        name: &str,
        body: &str,
        now_ms: i64,
    ) -> Result<Option<StoredBoard>>;
    /// False when there is no such board.
    async fn delete_board(&self, project_id: i64, kind: BoardKind, id: i64) -> Result<bool>;
    /// Puts boards in this order (ids of the kind; the others keep theirs after them). False
    /// when an id is not one of the project's boards of the kind.
    async fn order_boards(&self, project_id: i64, kind: BoardKind, ids: &[i64]) -> Result<bool>;
}
