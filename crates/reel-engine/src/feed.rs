//! Charts on a shared events store (`events_url = clickhouse://…`): every event this node
//! stores is handed on to ClickHouse by a background task, in the order it was stored, and
//! charts, the Microscope and User Look-Up are answered there — over the events of every node
//! that feeds it. Retention and erasure delete there first (`retention.rs`), then here.
//!
//! The node's SQLite is the durable queue in front of ClickHouse ([`reel_store::FeedStore`]):
//! an event is acknowledged once SQLite has it, as without `events_url`; the feed hands it on
//! within about a second while ClickHouse answers, and from where it stopped after an outage
//! or a restart. Handing a batch on twice (a crash between ClickHouse's answer and the saved
//! position) keeps each event once: every event has an insert id (the SDK's, or one the node
//! makes), and ClickHouse keeps an insert id once. Sessions that got a recording are handed on
//! in the same order, for the Microscope's "with replays".

use std::sync::Arc;
use std::time::Duration;

use reel_query::chart::wire::{ChartAnswer, MicroscopePage};
use reel_query::chart::{Chart, DataPoint, SessionPageRequest};
use reel_store::clickhouse::ClickHouseEvents;
use reel_store::{FedItem, StoreError, UserLookup, UserProfile, UserQuery, UserSummary};

use crate::Engine;

/// Events handed on per batch.
const BATCH: usize = 5_000;
/// How often an idle feed looks for new events.
const IDLE: Duration = Duration::from_secs(1);
/// How long the feed waits after ClickHouse failed before trying again.
const RETRY: Duration = Duration::from_secs(5);

impl Engine {
    /// Answers a chart where the events are: ClickHouse with `events_url`, else the store.
    pub async fn chart(&self, project_id: i64, chart: Chart) -> Result<ChartAnswer, StoreError> {
        match self.clickhouse() {
            Some(ch) => ch.chart(project_id, chart).await,
            None => self.store().chart(project_id, chart).await,
        }
    }

    /// The sessions behind a data point, where the events are (see [`Engine::chart`]).
    pub async fn chart_sessions(
        &self,
        project_id: i64,
        chart: Chart,
        point: DataPoint,
        page: SessionPageRequest,
    ) -> Result<MicroscopePage, StoreError> {
        match self.clickhouse() {
            Some(ch) => ch.chart_sessions(project_id, chart, point, page).await,
            None => {
                self.store()
                    .chart_sessions(project_id, chart, point, page)
                    .await
            }
        }
    }

    /// Finds users where the events are (see [`Engine::chart`]).
    pub async fn find_users(
        &self,
        project_id: i64,
        query: UserQuery,
        limit: usize,
    ) -> Result<Vec<UserSummary>, StoreError> {
        match self.clickhouse() {
            Some(ch) => ch.find_users(project_id, query, limit).await,
            None => self.store().find_users(project_id, query, limit).await,
        }
    }

    /// A user's profile and events where the events are (see [`Engine::chart`]).
    pub async fn user_profile(
        &self,
        project_id: i64,
        lookup: UserLookup,
        before_ms: Option<i64>,
        limit: usize,
    ) -> Result<Option<UserProfile>, StoreError> {
        match self.clickhouse() {
            Some(ch) => ch.user_profile(project_id, lookup, before_ms, limit).await,
            None => {
                self.store()
                    .user_profile(project_id, lookup, before_ms, limit)
                    .await
            }
        }
    }

    /// Hands this node's events on to ClickHouse until the task is dropped (nothing to do
    /// without `events_url`).
    pub fn spawn_feed(&self) -> tokio::task::JoinHandle<()> {
        let engine = self.clone();
        tokio::spawn(async move {
            let Some(ch) = engine.clickhouse().cloned() else {
                return;
            };
            let mut position = loop {
                match engine.store().start_feed().await {
                    Ok(position) => break position,
                    Err(e) => {
                        tracing::warn!(error = %e, "events feed: cannot start; will retry");
                        tokio::time::sleep(RETRY).await;
                    }
                }
            };
            loop {
                match engine.feed_once(&ch, position).await {
                    Ok(Some(next)) => position = next,
                    Ok(None) => tokio::time::sleep(IDLE).await,
                    Err(e) => {
                        tracing::warn!(error = %e, "events feed: ClickHouse did not take a batch; will retry");
                        tokio::time::sleep(RETRY).await;
                    }
                }
            }
        })
    }

    /// Hands on one batch after `position`; the new position, or `None` when there was
    /// nothing to hand on.
    pub async fn feed_once(
        &self,
        ch: &ClickHouseEvents,
        position: i64,
    ) -> Result<Option<i64>, StoreError> {
        let batch = self.store().fed_after(position, BATCH).await?;
        let Some(last) = batch.last().map(|f| f.position) else {
            return Ok(None);
        };
        // Runs of one project's events go together; a recorded session on its own.
        let mut events = Vec::new();
        for (i, fed) in batch.iter().enumerate() {
            match &fed.item {
                FedItem::Event(e) => events.push(e.clone()),
                FedItem::Replay(s) => {
                    ch.mark_replay(s.project_id, &s.device_id, s.session_id)
                        .await?
                }
            }
            let run_ends = batch.get(i + 1).is_none_or(|next| {
                next.project_id != fed.project_id || matches!(next.item, FedItem::Replay(_))
            });
            if run_ends && !events.is_empty() {
                ch.record(fed.project_id, &std::mem::take(&mut events))
                    .await?;
            }
        }
        self.store().feed_handed_on(last).await?;
        Ok(Some(last))
    }

    pub fn clickhouse(&self) -> Option<&Arc<ClickHouseEvents>> {
        self.0.clickhouse.as_ref()
    }
}
