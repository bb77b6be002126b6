//! Deleting data for good: sessions past a project's retention, and everything of one user id
//! or device id on request.
//!
//! Deleting a session deletes everything that belongs to it in one transaction — its chunks and
//! segments (their objects are marked for deletion after a grace period, so reads in flight
//! finish), the pieces no other segment uses, its events, on-screen and console text, clicked
//! element words, holes, feedback, heatmap uploads, processing state and the session row — so
//! nothing left points at data that is gone. Work is done in batches the caller sizes, each its
//! own short transaction, so uploads are never held up long.

use async_trait::async_trait;

use crate::{Result, SessionRef};

/// Whose data a deletion request names.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Subject {
    /// An analytics user id: every session with an event of it (or it as the session's user),
    /// its events, its user properties.
    UserId(String),
    /// A device id: its sessions, its events, its anonymous user properties.
    DeviceId(String),
}

/// What a deletion removed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Erased {
    pub sessions: usize,
    /// Of those, sessions with a recording.
    pub recordings: usize,
    pub events: usize,
    pub user_properties: usize,
}

impl Erased {
    pub fn add(&mut self, other: Erased) {
        self.sessions += other.sessions;
        self.recordings += other.recordings;
        self.events += other.events;
        self.user_properties += other.user_properties;
    }

    pub fn is_empty(&self) -> bool {
        *self == Erased::default()
    }
}

#[async_trait]
pub trait ErasureStore: Send + Sync + 'static {
    /// Up to `limit` sessions of the project whose last data is older than `cutoff_ms`: a
    /// recording that ended before it, or no recording and no event since.
    async fn expired_sessions(
        &self,
        project_id: i64,
        cutoff_ms: i64,
        limit: usize,
    ) -> Result<Vec<SessionRef>>;
    /// Up to `limit` sessions of the project that hold data of `subject`.
    async fn sessions_of(
        &self,
        project_id: i64,
        subject: &Subject,
        limit: usize,
    ) -> Result<Vec<SessionRef>>;
    /// Deletes the sessions and everything of them (see the module); objects of their
    /// recordings are deleted after `delete_after_ms`.
    async fn delete_sessions(
        &self,
        sessions: Vec<SessionRef>,
        delete_after_ms: i64,
    ) -> Result<Erased>;
    /// Deletes up to `limit` events of the project that belong to no session and happened
    /// before `cutoff_ms`, and up to `limit` user properties set before it.
    async fn delete_expired_rest(
        &self,
        project_id: i64,
        cutoff_ms: i64,
        limit: usize,
    ) -> Result<Erased>;
    /// Deletes what is left of `subject` outside its sessions: events that belong to no
    /// session, and its user properties.
    async fn delete_subject_rest(&self, project_id: i64, subject: &Subject) -> Result<Erased>;
}
