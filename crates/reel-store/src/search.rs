//! The typed search of `reel-query` over a project's replays, and the names it offers.

use async_trait::async_trait;

use crate::{Replay, Result};

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

#[async_trait]
pub trait SearchStore: Send + Sync + 'static {
    /// Replays matching a search, a page at a time (see [`reel_query::Search`]). Runs on
    /// connections of its own: a slow search never holds up a login or an upload.
    async fn search(&self, project_id: i64, search: reel_query::Search) -> Result<SearchPage>;
    /// Event names the project has seen, most used first (at most `limit`).
    async fn event_names(&self, project_id: i64, limit: usize) -> Result<Vec<String>>;
    /// User property names the project has seen, alphabetically (at most `limit`).
    async fn user_property_keys(&self, project_id: i64, limit: usize) -> Result<Vec<String>>;
}

impl SearchPage {
    /// The page with each replay as `store` has it now, in the same order, and without those
    /// it no longer has: a search index fed after the fact (ClickHouse, or a node's copy)
    /// never shows a replay deleted since, nor fields older than the store's.
    pub async fn as_stored(
        mut self,
        store: &(impl crate::SessionStore + ?Sized),
        project_id: i64,
    ) -> Result<Self> {
        if self.replays.is_empty() {
            return Ok(self);
        }
        let ids = self.replays.iter().map(|r| r.id.clone()).collect();
        let mut stored: std::collections::HashMap<crate::ReplayId, crate::Replay> = store
            .replays(project_id, ids)
            .await?
            .into_iter()
            .map(|r| (r.id.clone(), r))
            .collect();
        self.replays = std::mem::take(&mut self.replays)
            .into_iter()
            .filter_map(|r| stored.remove(&r.id))
            .collect();
        Ok(self)
    }
}
