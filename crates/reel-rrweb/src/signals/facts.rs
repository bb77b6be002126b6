//! Session facts: the counts a session adds up from outputs ([`Fact`], [`SessionFacts`]) and
//! active time (gaps of at most `idle_threshold_ms` between active events).

use super::{Analyzer, Item, Output};

/// A numeric session fact; outputs add to it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Fact {
    ActiveMs,
    ClickCount,
    KeypressCount,
    MouseActivityCount,
    PageViewCount,
    ConsoleLogCount,
    ConsoleWarnCount,
    ConsoleErrorCount,
    NetworkErrorCount,
    RuntimeErrorCount,
    RageClickCount,
    DeadClickCount,
    ErrorClickCount,
}

impl Fact {
    pub const ALL: [Fact; 13] = [
        Fact::ActiveMs,
        Fact::ClickCount,
        Fact::KeypressCount,
        Fact::MouseActivityCount,
        Fact::PageViewCount,
        Fact::ConsoleLogCount,
        Fact::ConsoleWarnCount,
        Fact::ConsoleErrorCount,
        Fact::NetworkErrorCount,
        Fact::RuntimeErrorCount,
        Fact::RageClickCount,
        Fact::DeadClickCount,
        Fact::ErrorClickCount,
    ];

    /// The fact's column name.
    pub fn name(self) -> &'static str {
        match self {
            Fact::ActiveMs => "active_ms",
            Fact::ClickCount => "click_count",
            Fact::KeypressCount => "keypress_count",
            Fact::MouseActivityCount => "mouse_activity_count",
            Fact::PageViewCount => "page_view_count",
            Fact::ConsoleLogCount => "console_log_count",
            Fact::ConsoleWarnCount => "console_warn_count",
            Fact::ConsoleErrorCount => "console_error_count",
            Fact::NetworkErrorCount => "network_error_count",
            Fact::RuntimeErrorCount => "runtime_error_count",
            Fact::RageClickCount => "rage_click_count",
            Fact::DeadClickCount => "dead_click_count",
            Fact::ErrorClickCount => "error_click_count",
        }
    }
}

/// Session facts summed from outputs: what the server stores per session.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SessionFacts {
    pub counts: std::collections::BTreeMap<Fact, u64>,
    /// The earliest URL seen.
    pub first_url: Option<String>,
    /// Distinct URLs in the order first seen (at most [`SessionFacts::MAX_URLS`]).
    pub urls: Vec<String>,
    /// The first viewport seen.
    pub viewport: Option<(u32, u32)>,
}

impl SessionFacts {
    pub const MAX_URLS: usize = 1000;

    /// Adds one output (outputs come in timestamp order, so "first" is the earliest).
    pub fn add(&mut self, output: &Output) {
        match &output.item {
            Item::Count { fact, n } => {
                let c = self.counts.entry(*fact).or_insert(0);
                *c = c.saturating_add(*n);
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

    pub fn get(&self, fact: Fact) -> u64 {
        self.counts.get(&fact).copied().unwrap_or(0)
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
