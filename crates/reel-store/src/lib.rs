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
pub mod properties;
pub mod sqlite;

use async_trait::async_trait;

pub use blobs::Blobs;
pub use sqlite::SqliteStore;

/// What went wrong in storage. Names no backend's types: callers of [`MetaStore`] see the same
/// errors whichever database is behind it.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("database error: {0}")]
    Database(#[source] Box<dyn std::error::Error + Send + Sync>),
    #[error("object store error: {0}")]
    Object(#[from] object_store::Error),
    #[error("io error: {0}")]
    Io(#[from] std::io::Error),
    #[error("storage task failed: {0}")]
    Task(String),
    #[error("{0}")]
    Invalid(String),
    /// A search or read ran out of time; the message says what to change.
    #[error("{0}")]
    TimedOut(String),
    /// The work was stopped before it ended: its caller went away, or the store is closing.
    #[error("{0}")]
    Stopped(&'static str),
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
    /// IANA timezone name; dates are shown and filtered in it.
    pub timezone: String,
    /// JSON object: the project's signal definitions that differ from the defaults.
    pub signal_settings: String,
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
    /// The user's role in the organization ("admin" is the only one so far).
    pub role: String,
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

impl SessionRef {
    /// The URL-safe id of the session's replay: base64url (no padding) of Amplitude's replay id
    /// `"<device_id>/<session_id>"`, so it is stable, reversible and needs no lookup table.
    pub(crate) fn replay_key(&self) -> String {
        replay_key(&self.device_id, self.session_id)
    }
}

pub(crate) fn replay_key(device_id: &str, session_id: i64) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("{device_id}/{session_id}"))
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
    /// The session facts the processing stage derived ([`FACT_COLUMNS`], in that order).
    pub facts: [i64; 13],
    /// Distinct page URLs (no query string) in the order first seen.
    pub urls: Vec<String>,
    pub viewport: Option<(i64, i64)>,
    pub browser: Option<String>,
    pub os: Option<String>,
    pub device: Option<String>,
    /// When the newest data of the recording arrived.
    pub last_upload_ms: Option<i64>,
    /// When the processing stage will next look at the session (`i64::MAX`: nothing to do).
    pub processing_due_ms: Option<i64>,
}

/// A chunk about to be indexed; its bytes are already in the object store.
#[derive(Debug, Clone)]
pub struct NewChunk {
    pub session: SessionRef,
    pub start_ms: i64,
    pub end_ms: i64,
    pub event_count: i64,
    pub raw_bytes: i64,
    pub stored_bytes: i64,
    pub self_contained: bool,
    /// The chunk starts with a FullSnapshot. With `meta_ms`, the Meta before it is in the
    /// chunk; without, the store takes the session's latest Meta as the keyframe's start.
    pub starts_with_snapshot: bool,
    /// The time of the Meta event that starts the chunk, if one does.
    pub meta_ms: Option<i64>,
    /// The time of the chunk's latest Meta event: a later chunk starting with a bare snapshot
    /// belongs to it.
    pub last_meta_ms: Option<i64>,
    pub content_hash: String,
    pub object_key: String,
    pub first_href: Option<(i64, String)>,
    pub country: Option<String>,
    /// The upload's User-Agent header, parsed; kept from the session's first upload.
    pub user_agent: Option<UserAgent>,
    /// The dictionary the chunk was compressed against, if any.
    pub dictionary_id: Option<i64>,
    /// When the processing stage should look at the session (at the latest).
    pub process_at_ms: i64,
}

/// A User-Agent header and what it says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserAgent {
    pub header: String,
    pub browser: String,
    pub os: String,
    pub device: String,
}

/// How a stored piece of a recording is encoded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChunkFormat {
    /// An upload's events, zstd-compressed newline-delimited JSON (maybe against a dictionary).
    Chunk,
    /// A compacted run of events in reel-rrweb's segment format, referring to pieces.
    Segment,
}

/// A chunk as the player needs it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredChunk {
    pub id: i64,
    pub project_id: i64,
    pub format: ChunkFormat,
    /// Where playing from this chunk can start (the keyframe's Meta), if it starts at one.
    pub keyframe_ms: Option<i64>,
    pub event_count: i64,
    pub raw_bytes: i64,
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
    /// The event's JSON as received (for derived events: as reel wrote it).
    pub raw: String,
    /// A readable name ("Clicked 'Pay now' button"), for events derived from a recording.
    pub display_name: Option<String>,
    /// Derived by reel from a recording, not sent by an SDK.
    pub derived: bool,
}

/// What [`MetaStore::add_events`] stored.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EventsAdded {
    /// Events not seen before (retries are de-duplicated by `insert_id`).
    pub new: usize,
    /// Properties left out of the stored events for being over [`properties`]' limits.
    pub properties_dropped: usize,
}

/// An analytics event as read back.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredEvent {
    pub event_type: String,
    pub time_ms: i64,
    pub user_id: Option<String>,
    /// JSON object text.
    pub event_properties: String,
    pub display_name: Option<String>,
    pub derived: bool,
}

/// A segment about to replace chunks; its object is already durable.
#[derive(Debug, Clone)]
pub struct NewSegment {
    pub start_ms: i64,
    pub end_ms: i64,
    pub keyframe_ms: Option<i64>,
    pub event_count: i64,
    pub raw_bytes: i64,
    pub stored_bytes: i64,
    pub content_hash: String,
    pub object_key: String,
    /// The pieces it refers to.
    pub pieces: Vec<[u8; 16]>,
}

/// A piece (a large string shared by segments) as stored.
#[derive(Debug, Clone)]
pub struct NewPiece {
    pub hash: [u8; 16],
    pub raw_bytes: i64,
    pub stored: Vec<u8>,
}

/// Compaction of one session: `replaced` chunks give way to `segments`, in one transaction.
#[derive(Debug, Clone)]
pub struct Compaction {
    pub session_row: i64,
    pub replaced: Vec<i64>,
    pub segments: Vec<NewSegment>,
    /// Pieces the segments refer to; those the project has already are not stored again.
    pub pieces: Vec<NewPiece>,
    /// The replaced objects are deleted after this (reads that started before finish).
    pub delete_after_ms: i64,
}

/// An object on its way in or out.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ObjectIntent {
    /// Written for rows that may not have committed.
    Writing { object_key: String },
    /// To be deleted from `not_before_ms` on.
    Deleting {
        object_key: String,
        not_before_ms: i64,
    },
}

/// A viewer's verdict on a replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Feedback {
    pub id: i64,
    pub replay_key: String,
    pub user_email: String,
    /// "down" or "up".
    pub rating: String,
    pub comment: Option<String>,
    pub created_ms: i64,
}

/// A session the processing stage should look at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkItem {
    pub session_row: i64,
    pub session: SessionRef,
    pub replay_key: String,
    pub user_id: Option<String>,
    pub due_ms: i64,
    /// Signals outputs with a timestamp before this are applied; `None`: nothing yet.
    pub signals_until_ms: Option<i64>,
    pub signals_finished: bool,
    pub last_upload_ms: Option<i64>,
    pub attempts: i64,
    /// Bumped by every upload.
    pub generation: i64,
}

/// Text a session showed or logged.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionText {
    pub console_level: Option<String>,
    pub ts_ms: i64,
    pub text: String,
}

/// What one processing run settled for a session, applied in one transaction.
#[derive(Debug, Clone, Default)]
pub struct SignalsUpdate {
    pub session_row: i64,
    /// (fact column, increment): see [`FACT_COLUMNS`].
    pub counts: Vec<(&'static str, i64)>,
    /// Page URLs seen, in order.
    pub urls: Vec<String>,
    pub viewport: Option<(u32, u32)>,
    pub events: Vec<AnalyticsEvent>,
    pub texts: Vec<SessionText>,
    /// Holes in the recording: (start, end) with no data between.
    pub gaps: Vec<(i64, i64)>,
    pub signals_until_ms: i64,
    /// The progress this run started from: the update applies only if it is still the
    /// session's (another worker did not get there first).
    pub expected_until_ms: Option<i64>,
    pub finished: bool,
    pub next_due_ms: i64,
    /// The work generation the run was taken at: if an upload came since, the session stays
    /// due (the new data is looked at).
    pub taken_generation: i64,
}

/// The session facts the signals analyzer counts, as column names.
pub const FACT_COLUMNS: [&str; 13] = [
    "active_ms",
    "click_count",
    "keypress_count",
    "mouse_activity_count",
    "page_view_count",
    "console_log_count",
    "console_warn_count",
    "console_error_count",
    "network_error_count",
    "runtime_error_count",
    "rage_click_count",
    "dead_click_count",
    "error_click_count",
];

/// Heatmap data of one `type=interaction` upload.
#[derive(Debug, Clone)]
pub struct Interactions {
    pub session: SessionRef,
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

/// A page of search results.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SearchPage {
    pub replays: Vec<Replay>,
    /// Where the next page starts; `None` on the last page.
    pub next: Option<reel_query::Cursor>,
    /// Every match, when it was counted within the time a count may take (or carried on from
    /// the first page).
    pub total: Option<u64>,
}

/// A search saved under a name for a project. `search` is JSON the store keeps as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedSearch {
    pub id: i64,
    pub name: String,
    pub search: String,
    pub created_by: String,
    pub created_ms: i64,
}

/// A cohort as stored. `definition` is JSON the store keeps as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCohort {
    pub id: i64,
    pub name: String,
    pub definition: String,
    pub created_ms: i64,
    pub updated_ms: i64,
}

/// A session brought in with its facts, events and text but no recording (generated data,
/// imports): it is listed and searched like any other, and has nothing to play.
#[derive(Debug, Clone)]
pub struct ImportedSession {
    pub session: SessionRef,
    pub start_ms: i64,
    pub end_ms: i64,
    pub first_url: Option<String>,
    pub country: Option<String>,
    pub user_agent: Option<UserAgent>,
    /// [`FACT_COLUMNS`], in that order.
    pub facts: [i64; 13],
    pub urls: Vec<String>,
    pub viewport: Option<(u32, u32)>,
    /// Stored as [`MetaStore::add_events`] stores them (user properties, element words).
    pub events: Vec<AnalyticsEvent>,
    pub texts: Vec<SessionText>,
}

/// Metadata and events. Every method is durable when it returns `Ok`.
#[async_trait]
pub trait MetaStore: Send + Sync + 'static {
    /// Stops every read and search still running (the server is shutting down); later calls
    /// fail. Writes under way finish.
    fn close(&self);

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
    /// Stores events; those whose insert_id was seen before are skipped. Properties are kept
    /// within [`properties`]' limits (what is over them is dropped and counted).
    async fn add_events(
        &self,
        project_id: i64,
        events: Vec<AnalyticsEvent>,
        now_ms: i64,
    ) -> Result<EventsAdded>;
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

    /// Sessions whose processing is due at `now_ms`, earliest first.
    async fn due_work(&self, now_ms: i64, limit: usize) -> Result<Vec<WorkItem>>;
    /// When the next processing is due, if any session has work.
    async fn next_due_ms(&self) -> Result<Option<i64>>;
    /// Applies a processing run's signals and reschedules the session, atomically. Returns
    /// false (and changes nothing) when the session's progress is no longer the one the run
    /// started from.
    async fn apply_signals(&self, update: SignalsUpdate) -> Result<bool>;
    /// Moves a session's next processing to `due_ms`, unless an upload came since the run took
    /// `generation` (then the session stays due); returns whether it moved.
    async fn reschedule_work(&self, session_row: i64, generation: i64, due_ms: i64)
    -> Result<bool>;
    /// Reschedules a session's processing after a failed run.
    async fn work_failed(&self, session_row: i64, due_ms: i64, error: &str) -> Result<()>;
    /// The event types an SDK sent for the session (not derived ones).
    async fn sdk_event_types(&self, session: &SessionRef) -> Result<Vec<String>>;
    /// Forgets what processing derived for the matching sessions (facts, derived events, text)
    /// and schedules them again at `now_ms`; returns how many. For `reel reprocess`.
    async fn reset_signals(
        &self,
        project_id: Option<i64>,
        since_ms: Option<i64>,
        now_ms: i64,
    ) -> Result<usize>;
    /// The session's analytics events (sent and derived) in time order, at most `limit`.
    async fn session_events(&self, session: &SessionRef, limit: usize) -> Result<Vec<StoredEvent>>;
    /// Stores a viewer's verdict on a replay; `None` when there is no such replay.
    async fn add_feedback(
        &self,
        project_id: i64,
        replay_key: &str,
        user_id: i64,
        rating: &str,
        comment: Option<String>,
        now_ms: i64,
    ) -> Result<Option<Feedback>>;
    /// Verdicts on the project's replays, newest first.
    async fn feedback(&self, project_id: i64, limit: usize) -> Result<Vec<Feedback>>;
    /// A recording's holes, in time order.
    async fn session_gaps(&self, project_id: i64, replay_key: &str) -> Result<Vec<(i64, i64)>>;
    async fn set_project_timezone(&self, project_id: i64, timezone: &str) -> Result<()>;
    async fn set_project_signal_settings(&self, project_id: i64, settings: &str) -> Result<()>;
    async fn project(&self, project_id: i64) -> Result<Option<Project>>;
    /// A session's chunks by start time.
    async fn session_chunks(&self, session_row: i64) -> Result<Vec<StoredChunk>>;

    /// Records that these objects are about to be written for rows not yet committed.
    async fn intend_writes(&self, object_keys: Vec<String>) -> Result<()>;
    /// Replaces chunks by segments atomically (see [`Compaction`]). Returns false, changing
    /// nothing, when a replaced chunk is gone (another run compacted it).
    async fn commit_compaction(&self, compaction: Compaction, now_ms: i64) -> Result<bool>;
    /// Stored pieces of a project by hash (those it has).
    async fn pieces(
        &self,
        project_id: i64,
        hashes: Vec<[u8; 16]>,
    ) -> Result<Vec<([u8; 16], Vec<u8>)>>;
    /// Of these hashes, those the project already stores.
    async fn known_pieces(&self, project_id: i64, hashes: Vec<[u8; 16]>) -> Result<Vec<[u8; 16]>>;
    /// Objects on their way in or out: writes never committed, deletions due at `now_ms`.
    async fn object_intents(&self, now_ms: i64) -> Result<Vec<ObjectIntent>>;
    /// Whether a row names the object.
    async fn object_referenced(&self, object_key: &str) -> Result<bool>;
    async fn forget_intent(&self, object_key: &str) -> Result<()>;
    /// Deletes a replay: its chunks and segments (their objects are marked for deletion after
    /// `delete_after_ms`), pieces no other segment refers to, its derived events and text, its
    /// facts. The session's analytics events stay. Returns false when there is no such replay.
    async fn delete_replay(&self, project_id: i64, key: &str, delete_after_ms: i64)
    -> Result<bool>;

    /// Of `object_keys`, those that no row names (chunks, dictionaries).
    async fn unreferenced_objects(&self, object_keys: Vec<String>) -> Result<Vec<String>>;

    /// Replays matching a search, a page at a time (see [`reel_query::Search`]). Runs on
    /// connections of its own: a slow search never holds up a login or an upload.
    async fn search(&self, project_id: i64, search: reel_query::Search) -> Result<SearchPage>;
    /// Event names the project has seen, most used first (at most `limit`).
    async fn event_names(&self, project_id: i64, limit: usize) -> Result<Vec<String>>;
    /// User property names the project has seen, alphabetically (at most `limit`).
    async fn user_property_keys(&self, project_id: i64, limit: usize) -> Result<Vec<String>>;

    async fn saved_searches(&self, project_id: i64) -> Result<Vec<SavedSearch>>;
    async fn add_saved_search(
        &self,
        project_id: i64,
        user_id: i64,
        name: &str,
        search: &str,
        now_ms: i64,
    ) -> Result<SavedSearch>;
    /// False when the project has no such saved search.
    async fn delete_saved_search(&self, project_id: i64, id: i64) -> Result<bool>;

    async fn cohorts(&self, project_id: i64) -> Result<Vec<StoredCohort>>;
    /// Creates a cohort (`id` none) or replaces one; `None` when the project has no cohort `id`.
    async fn put_cohort(
        &self,
        project_id: i64,
        id: Option<i64>,
        name: &str,
        definition: &str,
        now_ms: i64,
    ) -> Result<Option<StoredCohort>>;
    /// False when the project has no such cohort.
    async fn delete_cohort(&self, project_id: i64, id: i64) -> Result<bool>;

    /// Stores sessions without recordings (see [`ImportedSession`]) in one transaction; a
    /// session that exists already is left as it is. Returns how many were new.
    async fn import_sessions(&self, sessions: Vec<ImportedSession>) -> Result<usize>;

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
