//! Session facts: what a session's outputs add up to ([`SessionSummary`], its counts being
//! reel's one [`reel_model::SessionFacts`]) and active time (gaps of at most
//! `idle_threshold_ms` between active events).

use reel_model::SessionFacts;

use super::{Analyzer, Item, Output};

/// A numeric session fact; outputs add to it (reel's one list of them).
pub use reel_model::Fact;

/// What a session's outputs add up to: its facts and the pages and viewport it showed.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionSummary {
    pub facts: SessionFacts,
    /// The earliest URL seen.
    pub first_url: Option<String>,
    /// Distinct URLs in the order first seen (at most [`SessionSummary::MAX_URLS`]).
    pub urls: Vec<String>,
    /// The first viewport seen.
    pub viewport: Option<(u32, u32)>,
}

impl SessionSummary {
    pub const MAX_URLS: usize = 1000;

    /// Adds one output (outputs come in timestamp order, so "first" is the earliest).
    pub fn add(&mut self, output: &Output) {
        match &output.item {
            Item::Count { fact, n } => {
                self.facts.add(*fact, i64::try_from(*n).unwrap_or(i64::MAX));
            }
            Item::Url(url) => {
                if self.first_url.is_none() {
                    self.first_url = Some(url.clone());
                }
                if self.urls.len() < Self::MAX_URLS && !self.urls.contains(url) {
                    self.urls.push(url.clone());
                }
            }
            Item::Viewport { width, height } => {
                self.viewport.get_or_insert((*width, *height));
            }
            _ => {}
        }
    }

    pub fn get(&self, fact: Fact) -> i64 {
        self.facts.get(fact)
    }
}

impl Analyzer {
    pub(super) fn active(&mut self, ts: i64) {
        if let Some(prev) = self.last_active {
            let gap = ts.saturating_sub(prev);
            if gap > 0 && gap <= self.settings.idle_threshold_ms {
                self.count(ts, Fact::ActiveMs, gap as u64);
            }
        }
        self.last_active = Some(ts);
    }
}
