//! Charts and replay search on a shared events store (`events_url = clickhouse://…`): every
//! event this node stores is handed on to ClickHouse by a background task, in the order it was
//! stored, and charts, the Microscope, User Look-Up and replay search are answered there —
//! over the events and replays of every node that feeds it. Retention and erasure delete
//! there first (`retention.rs`), then here.
//!
//! The node's SQLite is the durable queue in front of ClickHouse ([`reel_store::FeedStore`]):
//! an event is acknowledged once SQLite has it, as without `events_url`; the feed hands it on
//! within about a second while ClickHouse answers, and from where it stopped after an outage
//! or a restart. Handing a batch on twice (a crash between ClickHouse's answer and the saved
//! position) keeps each event once: every event has an insert id (the SDK's, or one the node
//! makes), and ClickHouse keeps an insert id once. Sessions that got a recording are handed on
//! in the same order, for the Microscope's "with replays".
//!
//! For search, the feed hands on events (to charts' tables and search's), session text, and
//! each replay whose fields changed as a snapshot read from the store when it is handed on
//! ([`reel_store::SessionStore::replay`]: what an upload, signals, a deletion or an import
//! left, whichever node wrote it), tagged with the session's generation (how often its
//! derived events and text were deleted) so that a deleted replay's derived events and text
//! are no longer read there; writing a snapshot or a deletion twice changes nothing. A
//! session deleted by retention or erasure (on ClickHouse first, `retention.rs`) is handed on
//! as gone too, so that nothing handed on of it in between outlives it there.

use std::sync::Arc;
use std::time::Duration;

use reel_query::chart::wire::{ChartAnswer, MicroscopePage};
use reel_query::chart::{Chart, DataPoint, SessionPageRequest};
use reel_store::SearchStore;
use reel_store::clickhouse::{ClickHouseEvents, ClickHouseSearch, ReplayFields};
use reel_store::{
    AnalyticsEvent, Fed, FedItem, SearchPage, SessionRef, SessionText, StoreError, UserLookup,
    UserProfile, UserQuery, UserSummary,
};

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

    /// Answers a replay search where the replays are: ClickHouse with `events_url`, else the
    /// store.
    pub async fn search(
        &self,
        project_id: i64,
        search: reel_query::Search,
    ) -> Result<SearchPage, StoreError> {
        match self.clickhouse_search() {
            // Shown as the store has the replays now: ClickHouse is fed a moment later, and a
            // replay deleted through another node is never listed.
            Some(ch) => {
                let page = ch.search(project_id, search).await?;
                page.as_stored(self.store().as_ref(), project_id).await
            }
            None => self.store().search(project_id, search).await,
        }
    }

    /// Hands this node's events on to ClickHouse until the task is dropped (nothing to do
    /// without `events_url`).
    pub fn spawn_feed(&self) -> tokio::task::JoinHandle<()> {
        let engine = self.clone();
        tokio::spawn(async move {
            if engine.clickhouse().is_none() {
                return;
            }
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
                match engine.feed_once(position).await {
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
    /// nothing to hand on (or no `events_url`).
    pub async fn feed_once(&self, position: i64) -> Result<Option<i64>, StoreError> {
        let (Some(charts), Some(search)) = (self.clickhouse(), self.clickhouse_search()) else {
            return Ok(None);
        };
        let batch = self.store().fed_after(position, BATCH).await?;
        let Some(last) = batch.last().map(|f| f.position) else {
            return Ok(None);
        };
        // A session's fields are read when handed on: of several changes in one batch, they
        // are read once, at the first (whose place says when the session was first seen).
        let mut read: std::collections::HashSet<&SessionRef> = Default::default();
        // Runs of one project's events go together, and runs of text.
        let mut run = EventRun::default();
        let mut texts: Vec<(&SessionRef, &SessionText, u32)> = Vec::new();
        // Runs of a project's recorded sessions are marked for charts in one go.
        let mut marks: Vec<(&str, i64)> = Vec::new();
        // Runs of replays' fields go in one insert, runs of deleted sessions in one deletion.
        let mut replays: Vec<(SessionRef, ReplayFields)> = Vec::new();
        let mut gone: Vec<SessionRef> = Vec::new();
        for (i, fed) in batch.iter().enumerate() {
            match &fed.item {
                FedItem::Event {
                    event,
                    generation,
                    search_only,
                } => run.push(event, *generation, *search_only),
                FedItem::Replay(s) => {
                    marks.push((s.device_id.as_str(), s.session_id));
                    // A run of one project's recorded sessions is marked in one go.
                    let run_ends = batch.get(i + 1).is_none_or(|next| {
                        !matches!(&next.item, FedItem::Replay(n) if n.project_id == s.project_id)
                    });
                    if run_ends {
                        charts
                            .mark_replays(s.project_id, &std::mem::take(&mut marks))
                            .await?;
                    }
                }
                FedItem::Session {
                    session,
                    generation,
                } => {
                    if read.insert(session) {
                        match self
                            .store()
                            .replay(session.project_id, &session.replay_id())
                            .await?
                        {
                            Some(replay) => {
                                // Reprocessed (or deleted and recorded again): charts drop
                                // the derived events of earlier generations.
                                if *generation > 0 {
                                    charts.forget_derived(session, *generation, false).await?;
                                }
                                replays.push((
                                    session.clone(),
                                    ReplayFields::of_replay(&replay, *generation),
                                ))
                            }
                            None => {
                                charts.forget_derived(session, *generation, true).await?;
                                search.delete_replay_at(session, *generation).await?
                            }
                        }
                    }
                    let run_ends = batch
                        .get(i + 1)
                        .is_none_or(|next| !matches!(next.item, FedItem::Session { .. }));
                    if run_ends && !replays.is_empty() {
                        search.put_snapshots(&std::mem::take(&mut replays)).await?;
                    }
                }
                FedItem::Gone(session) => {
                    gone.push(session.clone());
                    let run_ends = batch
                        .get(i + 1)
                        .is_none_or(|next| !matches!(next.item, FedItem::Gone(_)));
                    if run_ends {
                        // Retention and erasure deleted these on ClickHouse before here: what
                        // was handed on of them in between goes too.
                        let gone = std::mem::take(&mut gone);
                        charts.delete_sessions(&gone).await?;
                        search.delete_sessions(&gone).await?;
                    }
                }
                FedItem::Text {
                    session,
                    text,
                    generation,
                } => {
                    // A run of text, whichever sessions it is of, goes in one insert.
                    texts.push((session, text, *generation));
                    let run_ends = batch
                        .get(i + 1)
                        .is_none_or(|next| !matches!(next.item, FedItem::Text { .. }));
                    if run_ends {
                        search.add_texts_of(&std::mem::take(&mut texts)).await?;
                    }
                }
            }
            let run_ends = batch.get(i + 1).is_none_or(|next: &Fed| {
                next.project_id != fed.project_id || !matches!(next.item, FedItem::Event { .. })
            });
            if run_ends && !run.events.is_empty() {
                let run = std::mem::take(&mut run);
                let (for_charts, generations): (Vec<AnalyticsEvent>, Vec<u32>) = run
                    .events
                    .iter()
                    .zip(&run.generations)
                    .zip(&run.search_only)
                    .filter(|(_, only)| !**only)
                    .map(|((e, g), _)| (e.clone(), *g))
                    .unzip();
                if !for_charts.is_empty() {
                    charts
                        .record_fed(fed.project_id, &for_charts, &generations)
                        .await?;
                }
                search
                    .add_fed_events(fed.project_id, &run.events, &run.generations)
                    .await?;
            }
        }
        self.store().feed_handed_on(last).await?;
        Ok(Some(last))
    }

    pub fn clickhouse(&self) -> Option<&Arc<ClickHouseEvents>> {
        self.0.clickhouse.as_ref()
    }

    /// Where replay search is answered, with `events_url`.
    pub fn clickhouse_search(&self) -> Option<&Arc<ClickHouseSearch>> {
        self.0.clickhouse_search.as_ref()
    }
}

/// Events of one project in a row of the feed, with what each needs.
#[derive(Default)]
struct EventRun {
    events: Vec<AnalyticsEvent>,
    generations: Vec<u32>,
    search_only: Vec<bool>,
}

impl EventRun {
    fn push(&mut self, event: &AnalyticsEvent, generation: u32, search_only: bool) {
        self.events.push(event.clone());
        self.generations.push(generation);
        self.search_only.push(search_only);
    }
}
