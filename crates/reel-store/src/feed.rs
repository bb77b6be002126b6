//! What a node's embedded store hands on to a shared events store (ClickHouse, `events_url`):
//! every analytics event and every session that got a recording, in the order they were
//! stored. The node's SQLite is the durable queue in front of the shared store: once a feed is
//! started, each of them gets a place in it, and the feed's position, saved in the same
//! SQLite, says how far it has been handed on.

use async_trait::async_trait;

use crate::{AnalyticsEvent, Result, SessionRef};

/// One thing to hand on, with its place in the feed.
#[derive(Debug, Clone)]
pub struct Fed {
    /// Increases with every event or recording stored while the feed exists.
    pub position: i64,
    pub project_id: i64,
    pub item: FedItem,
}

#[derive(Debug, Clone)]
pub enum FedItem {
    /// An event; its `insert_id` is the SDK's, or one this store makes (unique to this data
    /// dir and event) so that handing an event on twice keeps it once.
    Event(AnalyticsEvent),
    /// The session has a recording (its project is the item's).
    Replay(SessionRef),
}

#[async_trait]
pub trait FeedStore: Send + Sync + 'static {
    /// Starts the feed if it is not started: every event and recorded session stored so far
    /// is queued, in order, and every one stored from now on. Returns the position handed on
    /// so far.
    async fn start_feed(&self) -> Result<i64>;
    /// Up to `limit` things queued after `position`, in order (events and sessions deleted
    /// since are left out).
    async fn fed_after(&self, position: i64, limit: usize) -> Result<Vec<Fed>>;
    /// Everything up to `position` has been handed on: it is dropped from the queue.
    async fn feed_handed_on(&self, position: i64) -> Result<()>;
}
