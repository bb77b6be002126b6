//! What a node's embedded store hands on to a shared events store (ClickHouse, `events_url`):
//! every analytics event, every session that got a recording, every change of a replay's
//! fields and every piece of session text, in the order they were stored. The node's SQLite is the durable queue in front of the shared store: once a feed is
//! started, each of them gets a place in it, and the feed's position, saved in the same
//! SQLite, says how far it has been handed on.

use async_trait::async_trait;

use crate::{AnalyticsEvent, Result, SessionRef, SessionText};

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
    Event {
        event: AnalyticsEvent,
        /// The generation of the event's session (see [`FedItem::Session`]) when it was
        /// read: a derived event still stored belongs to its session's current generation.
        generation: u32,
        /// Handed on to charts before search was fed: for search alone.
        search_only: bool,
    },
    /// The session has a recording (its project is the item's).
    Replay(SessionRef),
    /// The session's replay fields changed (an upload, signals, a deletion, an import):
    /// the feed reads them from the store as they are when it hands the session on
    /// ([`crate::SessionStore::replay`]; none once the replay was deleted).
    Session {
        session: SessionRef,
        /// How many times the session's derived events and text were deleted (its replay
        /// deleted, or reprocessed): those of earlier generations are gone.
        generation: u32,
    },
    /// The session was deleted (retention, erasure): the shared store deleted it first, and
    /// deletes again whatever of it was handed on meanwhile.
    Gone(SessionRef),
    /// Text the session showed or logged, in its session's generation.
    Text {
        session: SessionRef,
        text: SessionText,
        generation: u32,
    },
}

#[async_trait]
pub trait FeedStore: Send + Sync + 'static {
    /// Starts the feed if it is not started: every event, recorded session, replay and
    /// session text stored so far is queued, in order, and every one stored (or replay
    /// changed) from now on. Returns the position handed on
    /// so far.
    async fn start_feed(&self) -> Result<i64>;
    /// Up to `limit` things queued after `position`, in order (events, sessions and text
    /// deleted since are left out).
    async fn fed_after(&self, position: i64, limit: usize) -> Result<Vec<Fed>>;
    /// Everything up to `position` has been handed on: it is dropped from the queue.
    async fn feed_handed_on(&self, position: i64) -> Result<()>;
}
