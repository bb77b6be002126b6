//! Viewers' verdicts on replays.

use async_trait::async_trait;

use crate::{ReplayId, Result, User};

/// A viewer's verdict on a replay.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Feedback {
    pub id: i64,
    pub replay_id: ReplayId,
    /// Who gave it.
    pub user: User,
    /// "down" or "up".
    pub rating: String,
    pub comment: Option<String>,
    pub created_ms: i64,
}

#[async_trait]
pub trait FeedbackStore: Send + Sync + 'static {
    /// Stores a viewer's verdict on a replay; `None` when there is no such replay.
    async fn add_feedback(
        &self,
        project_id: i64,
        replay: &ReplayId,
        user_id: i64,
        rating: &str,
        comment: Option<String>,
        now_ms: i64,
    ) -> Result<Option<Feedback>>;
    /// Verdicts on the project's replays, newest first.
    async fn feedback(&self, project_id: i64, limit: usize) -> Result<Vec<Feedback>>;
}
