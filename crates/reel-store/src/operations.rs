//! What operators watch: the audit log, sessions captured per month (for the quota), and what
//! ingestion accepted, throttled and rejected per minute (the Ingestion Monitor).

use async_trait::async_trait;

use crate::{Result, SessionRef};

/// One line of the audit log as written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewAuditEntry {
    pub organization_id: i64,
    pub project_id: Option<i64>,
    /// Who did it (none: reel itself, e.g. the configuration at start).
    pub actor_user_id: Option<i64>,
    pub actor: Option<String>,
    /// What happened, a stable word like `login` or `role_changed`.
    pub action: String,
    /// What it happened to (an email, a key's start, a hash of a deleted user id).
    pub target: Option<String>,
    /// JSON object with details.
    pub detail: Option<String>,
    pub at_ms: i64,
}

/// One line of the audit log as read.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditEntry {
    pub id: i64,
    pub entry: NewAuditEntry,
}

/// Which lines of the audit log to read.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AuditQuery {
    pub organization_id: i64,
    /// Only this project's lines, and none of the organization's own.
    pub project_id: Option<i64>,
    /// Lines older than this id (the next page).
    pub before_id: Option<i64>,
    pub limit: usize,
}

/// What ingestion did with one kind of request of a project in one minute.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct IngestKey {
    pub project_id: i64,
    /// Epoch minutes.
    pub minute: i64,
    /// `accepted`, `throttled` or `rejected`.
    pub outcome: String,
    /// Why (for rejections); empty otherwise.
    pub reason: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct IngestCounts {
    pub requests: i64,
    pub events: i64,
    pub bytes: i64,
}

impl IngestCounts {
    pub fn add(&mut self, other: IngestCounts) {
        self.requests += other.requests;
        self.events += other.events;
        self.bytes += other.bytes;
    }
}

#[async_trait]
pub trait OperationsStore: Send + Sync + 'static {
    async fn add_audit(&self, entry: NewAuditEntry) -> Result<()>;
    /// Lines of the audit log, newest first.
    async fn audit_log(&self, query: AuditQuery) -> Result<Vec<AuditEntry>>;

    /// Sessions the organization captured in `month` (`YYYY-MM`, UTC).
    async fn sessions_captured(&self, organization_id: i64, month: &str) -> Result<i64>;
    /// Whether the session has a recording already (its next uploads are not new sessions).
    async fn has_recording(&self, session: &SessionRef) -> Result<bool>;

    /// Adds counts to what is stored per project, minute, outcome and reason.
    async fn add_ingest_counts(&self, counts: Vec<(IngestKey, IngestCounts)>) -> Result<()>;
    /// The project's counts from `since_minute` on, by minute.
    async fn ingest_counts(
        &self,
        project_id: i64,
        since_minute: i64,
    ) -> Result<Vec<(IngestKey, IngestCounts)>>;
    /// Deletes counts of minutes before `before_minute`; returns how many rows went.
    async fn prune_ingest_counts(&self, before_minute: i64) -> Result<usize>;
}
