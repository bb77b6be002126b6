//! The processing stage's queue — sessions with new data to analyse or compact, claimed with a
//! lease by one worker at a time — and what one run settles for a session, applied in one
//! transaction with its progress.

use async_trait::async_trait;

use crate::{AnalyticsEvent, ReplayId, Result, SessionFacts, SessionRef, SessionText};

/// A session the processing stage should look at.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WorkItem {
    pub session: SessionRef,
    pub replay_id: ReplayId,
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

/// What one processing run settled for a session, applied in one transaction.
#[derive(Debug, Clone, Default)]
pub struct SignalsUpdate {
    pub session: SessionRef,
    /// What the run counted, added to the session's facts.
    pub facts: SessionFacts,
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

#[async_trait]
pub trait ProcessingStore: Send + Sync + 'static {
    /// Claims up to `limit` sessions whose processing is due at `now_ms`, earliest first, for
    /// `node` until `lease_until_ms`: no other claim takes them before then (unless `node`
    /// releases them first). A session whose lease has run out (its node died, or its run
    /// outlived the lease) can be claimed again.
    async fn claim_work(
        &self,
        node: &str,
        now_ms: i64,
        lease_until_ms: i64,
        limit: usize,
    ) -> Result<Vec<WorkItem>>;
    /// Ends `node`'s lease on the session (a lease another node holds now is left alone).
    async fn release_work(&self, session: &SessionRef, node: &str) -> Result<()>;
    /// When a session can next be claimed (its processing due and its lease, if any, over),
    /// if any session has work.
    async fn next_due_ms(&self) -> Result<Option<i64>>;
    /// Applies a processing run's signals and reschedules the session, atomically. Returns
    /// false (and changes nothing) when the session's progress is no longer the one the run
    /// started from.
    async fn apply_signals(&self, update: SignalsUpdate, now_ms: i64) -> Result<bool>;
    /// Moves a session's next processing to `due_ms`, unless an upload came since the run took
    /// `generation` (then the session stays due); returns whether it moved.
    async fn reschedule_work(
        &self,
        session: &SessionRef,
        generation: i64,
        due_ms: i64,
    ) -> Result<bool>;
    /// Reschedules a session's processing after a failed run.
    async fn work_failed(&self, session: &SessionRef, due_ms: i64, error: &str) -> Result<()>;
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
}
