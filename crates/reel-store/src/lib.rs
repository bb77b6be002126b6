//! reel's storage.
//!
//! - [`MetaStore`]: organizations, projects, users, sessions, chunk index and analytics events,
//!   behind one trait. [`sqlite::SqliteStore`] is the embedded default; a ClickHouse/PostgreSQL
//!   backend is meant to be a second implementation, chosen at start-up, with no change to the
//!   HTTP handlers.
//! - [`blobs::Blobs`]: recording chunks as objects through the `object_store` crate (local
//!   files now; S3-compatible storage is a configuration of the same type).
//!
//! Invariants:
//! - Every write method returns only after the data is durable (SQLite WAL with
//!   `synchronous=FULL`; blobs fsynced on the local backend), so an acknowledged upload survives
//!   a crash of the process.
//! - SQL lives in this crate only; callers see typed values.
//! - A recording's bytes are written before the row that points at them: a crash in between
//!   leaves an unreferenced object, never a row without its object.

pub mod blobs;
pub mod sqlite;

use async_trait::async_trait;

pub use blobs::Blobs;
pub use sqlite::SqliteStore;

#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("object store error: {0}")]
    Object(#[from] object_store::Error),
    #[error("io error: {0}")]
    Io(#[from] std::io::Error),
    #[error("storage task failed: {0}")]
    Task(String),
    #[error("{0}")]
    Invalid(String),
}

pub type Result<T, E = StoreError> = std::result::Result<T, E>;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organization {
    pub id: i64,
    pub name: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Project {
    pub id: i64,
    pub organization_id: i64,
    pub name: String,
    pub api_key: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    pub email: String,
}

/// What a signed-in user may see.
#[derive(Debug, Clone)]
pub struct UserContext {
    pub user: User,
    pub organization: Organization,
    pub projects: Vec<Project>,
}

/// Where a token came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenOrigin {
    /// A browser login (the cookie), with an expiry.
    Login,
    /// `REEL_ADMIN_TOKEN`: replaced when the configuration names another token.
    Config,
    /// Made through the API by its user.
    Created,
}

impl TokenOrigin {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Login => "login",
            Self::Config => "config",
            Self::Created => "created",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "login" => Some(Self::Login),
            "config" => Some(Self::Config),
            "created" => Some(Self::Created),
            _ => None,
        }
    }
}

/// A token about to be stored; only its hash is ever kept.
#[derive(Debug, Clone)]
pub struct NewToken {
    pub user_id: i64,
    pub token_hash: String,
    pub origin: TokenOrigin,
    pub name: Option<String>,
    pub expires_ms: Option<i64>,
}

/// A stored token as its user may see it (never the token itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenInfo {
    pub id: i64,
    pub user_id: i64,
    pub origin: TokenOrigin,
    pub name: Option<String>,
    pub created_ms: i64,
    pub last_used_ms: Option<i64>,
    pub expires_ms: Option<i64>,
}

/// The first organization, project and admin of an empty installation.
#[derive(Debug, Clone)]
pub struct NewInstallation {
    pub organization_name: String,
    pub project_name: String,
    pub api_key: String,
    pub admin_email: String,
    pub admin_password_hash: String,
}

/// Identifies one analytics session of a project.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct SessionRef {
    pub project_id: i64,
    pub device_id: String,
    pub session_id: i64,
}

/// A replay as listed: one recorded session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replay {
    pub key: String,
    pub device_id: String,
    pub session_id: i64,
    pub user_id: Option<String>,
    pub start_ms: i64,
    pub end_ms: i64,
    pub event_count: i64,
    pub stored_bytes: i64,
    pub first_url: Option<String>,
    pub country: Option<String>,
}

/// A chunk about to be indexed; its bytes are already in the object store.
#[derive(Debug, Clone)]
pub struct NewChunk {
    pub session: SessionRef,
    /// URL-safe id of the session's replay, derived by the caller from the session.
    pub replay_key: String,
    pub start_ms: i64,
    pub end_ms: i64,
    pub event_count: i64,
    pub raw_bytes: i64,
    pub stored_bytes: i64,
    pub self_contained: bool,
    pub content_hash: String,
    pub object_key: String,
    pub first_href: Option<(i64, String)>,
    pub country: Option<String>,
    /// The dictionary the chunk was compressed against, if any.
    pub dictionary_id: Option<i64>,
}

/// A chunk as the player needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredChunk {
    pub start_ms: i64,
    pub end_ms: i64,
    pub self_contained: bool,
    pub object_key: String,
    pub stored_bytes: i64,
    pub dictionary_id: Option<i64>,
}

/// A generation of a project's compression dictionary: raw content kept as an object.
/// Immutable once written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Dictionary {
    pub id: i64,
    pub object_key: String,
}

/// One analytics event from the Amplitude HTTP API, already validated.
#[derive(Debug, Clone)]
pub struct AnalyticsEvent {
    pub insert_id: Option<String>,
    pub event_type: String,
    pub time_ms: i64,
    pub device_id: Option<String>,
    pub user_id: Option<String>,
    pub session_id: Option<i64>,
    /// JSON object text.
    pub event_properties: String,
    /// JSON object text.
    pub user_properties: String,
    /// The event's JSON as received.
    pub raw: String,
}

/// Heatmap data of one `type=interaction` upload.
#[derive(Debug, Clone)]
pub struct Interactions {
    pub session: SessionRef,
    pub replay_key: String,
    /// The JSON array text, zstd-compressed.
    pub payload_zst: Vec<u8>,
    /// Hash of the uncompressed text: a retried upload is stored once.
    pub content_hash: String,
}

/// A half-open time range `[start_ms, end_ms)` on session start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TimeRange {
    pub start_ms: i64,
    pub end_ms: i64,
}

/// Metadata and events. Every method is durable when it returns `Ok`.
#[async_trait]
pub trait MetaStore: Send + Sync + 'static {
    /// True when no organization exists yet.
    async fn is_empty(&self) -> Result<bool>;
    /// Creates the first organization, its project and its admin.
    async fn create_installation(&self, new: NewInstallation) -> Result<(Project, User)>;
    async fn first_project(&self) -> Result<Option<Project>>;
    async fn set_project_api_key(&self, project_id: i64, api_key: &str) -> Result<()>;
    async fn project_by_api_key(&self, api_key: &str) -> Result<Option<Project>>;

    /// Creates the user in the first organization as an admin, or replaces their password.
    async fn upsert_admin(&self, email: &str, password_hash: &str) -> Result<User>;
    /// The user and their password hash.
    async fn user_for_login(&self, email: &str) -> Result<Option<(User, String)>>;
    async fn user_context(&self, user_id: i64) -> Result<Option<UserContext>>;

    /// Replaces the user's password hash and revokes their browser sessions.
    async fn set_password(&self, user_id: i64, password_hash: &str) -> Result<()>;

    async fn put_token(&self, token: NewToken, now_ms: i64) -> Result<TokenInfo>;
    /// Makes `token` the only [`TokenOrigin::Config`] token (an earlier configured token stops
    /// working); `None` revokes every configured token.
    async fn set_config_token(&self, token: Option<NewToken>, now_ms: i64) -> Result<()>;
    /// The user a token belongs to, with the token, if it exists and has not expired at `now_ms`.
    async fn token_user(&self, token_hash: &str, now_ms: i64) -> Result<Option<(User, TokenInfo)>>;
    /// Records that a token was used at `now_ms`.
    async fn touch_token(&self, token_id: i64, now_ms: i64) -> Result<()>;
    /// The user's tokens and browser sessions that have not expired, newest first.
    async fn tokens_of(&self, user_id: i64, now_ms: i64) -> Result<Vec<TokenInfo>>;
    /// Revokes one of the user's tokens; false when the user has no such token.
    async fn revoke_token(&self, user_id: i64, token_id: i64) -> Result<bool>;
    async fn delete_token(&self, token_hash: &str) -> Result<()>;

    /// Whether a chunk with this content hash is already stored for the session.
    async fn has_chunk(&self, session: &SessionRef, content_hash: &str) -> Result<bool>;
    /// Indexes a chunk and folds it into its session's facts. Returns false (and changes
    /// nothing) when the same content was stored before.
    async fn add_chunk(&self, chunk: NewChunk, now_ms: i64) -> Result<bool>;
    /// Stores events; those whose insert_id was seen before are skipped. Returns how many were new.
    async fn add_events(
        &self,
        project_id: i64,
        events: Vec<AnalyticsEvent>,
        now_ms: i64,
    ) -> Result<usize>;
    /// Returns false when the same payload was stored before.
    async fn add_interactions(&self, interactions: Interactions, now_ms: i64) -> Result<bool>;

    /// The project's newest dictionary generation.
    async fn project_dictionary(&self, project_id: i64) -> Result<Option<Dictionary>>;
    async fn dictionary(&self, id: i64) -> Result<Option<Dictionary>>;
    /// Records a new dictionary generation whose object is already durable.
    async fn add_dictionary(
        &self,
        project_id: i64,
        object_key: &str,
        size_bytes: i64,
        now_ms: i64,
    ) -> Result<Dictionary>;
    /// How many generations the project got since `since_ms`.
    async fn dictionaries_since(&self, project_id: i64, since_ms: i64) -> Result<usize>;

    /// Of `object_keys`, those that no row names (chunks, dictionaries).
    async fn unreferenced_objects(&self, object_keys: Vec<String>) -> Result<Vec<String>>;

    /// Replays whose recording started in `range`, newest first.
    async fn list_replays(
        &self,
        project_id: i64,
        range: TimeRange,
        limit: usize,
    ) -> Result<Vec<Replay>>;
    async fn replay(&self, project_id: i64, key: &str) -> Result<Option<Replay>>;
    /// The replay's chunks ordered by start time.
    async fn replay_chunks(&self, project_id: i64, key: &str) -> Result<Vec<StoredChunk>>;
}
