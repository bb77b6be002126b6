//! The counts reel works out of a recording: the signals analyzer adds to them, the store keeps
//! them per session, searches filter and sort on them, the API shows them — all through
//! [`SessionFacts`], whose fields are named once here.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// One of the session facts.
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

    /// The fact's name: the API's field and the store's column.
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

/// What reel counted in one session's recording.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct SessionFacts {
    /// Time with user activity (ms): input, scrolling, mouse movement.
    pub active_ms: i64,
    pub click_count: i64,
    pub keypress_count: i64,
    pub mouse_activity_count: i64,
    pub page_view_count: i64,
    pub console_log_count: i64,
    pub console_warn_count: i64,
    /// Includes runtime errors.
    pub console_error_count: i64,
    pub network_error_count: i64,
    pub runtime_error_count: i64,
    pub rage_click_count: i64,
    pub dead_click_count: i64,
    pub error_click_count: i64,
}

impl SessionFacts {
    pub fn get(&self, fact: Fact) -> i64 {
        *self.field(fact)
    }

    pub fn set(&mut self, fact: Fact, value: i64) {
        *self.field_mut(fact) = value;
    }

    /// Adds `n` to a fact (saturating: a hostile recording cannot overflow a count).
    pub fn add(&mut self, fact: Fact, n: i64) {
        let field = self.field_mut(fact);
        *field = field.saturating_add(n);
    }

    /// Adds every fact of `other`.
    pub fn add_all(&mut self, other: &SessionFacts) {
        for fact in Fact::ALL {
            self.add(fact, other.get(fact));
        }
    }

    /// Each fact with its value, in [`Fact::ALL`]'s order.
    pub fn iter(&self) -> impl Iterator<Item = (Fact, i64)> + '_ {
        Fact::ALL.into_iter().map(|f| (f, self.get(f)))
    }

    /// Console errors plus network errors: what the list's error badge counts.
    pub fn errors(&self) -> i64 {
        self.console_error_count
            .saturating_add(self.network_error_count)
    }

    fn field(&self, fact: Fact) -> &i64 {
        match fact {
            Fact::ActiveMs => &self.active_ms,
            Fact::ClickCount => &self.click_count,
            Fact::KeypressCount => &self.keypress_count,
            Fact::MouseActivityCount => &self.mouse_activity_count,
            Fact::PageViewCount => &self.page_view_count,
            Fact::ConsoleLogCount => &self.console_log_count,
            Fact::ConsoleWarnCount => &self.console_warn_count,
            Fact::ConsoleErrorCount => &self.console_error_count,
            Fact::NetworkErrorCount => &self.network_error_count,
            Fact::RuntimeErrorCount => &self.runtime_error_count,
            Fact::RageClickCount => &self.rage_click_count,
            Fact::DeadClickCount => &self.dead_click_count,
            Fact::ErrorClickCount => &self.error_click_count,
        }
    }

    fn field_mut(&mut self, fact: Fact) -> &mut i64 {
        match fact {
            Fact::ActiveMs => &mut self.active_ms,
            Fact::ClickCount => &mut self.click_count,
            Fact::KeypressCount => &mut self.keypress_count,
            Fact::MouseActivityCount => &mut self.mouse_activity_count,
            Fact::PageViewCount => &mut self.page_view_count,
            Fact::ConsoleLogCount => &mut self.console_log_count,
            Fact::ConsoleWarnCount => &mut self.console_warn_count,
            Fact::ConsoleErrorCount => &mut self.console_error_count,
            Fact::NetworkErrorCount => &mut self.network_error_count,
            Fact::RuntimeErrorCount => &mut self.runtime_error_count,
            Fact::RageClickCount => &mut self.rage_click_count,
            Fact::DeadClickCount => &mut self.dead_click_count,
            Fact::ErrorClickCount => &mut self.error_click_count,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every fact reads and writes its own field, and its name is the field's name in JSON.
    #[test]
    fn each_fact_is_its_own_field() {
        let mut facts = SessionFacts::default();
        for (i, fact) in Fact::ALL.into_iter().enumerate() {
            facts.set(fact, i as i64 + 1);
        }
        let json = serde_json::to_value(facts).unwrap();
        for (i, fact) in Fact::ALL.into_iter().enumerate() {
            assert_eq!(facts.get(fact), i as i64 + 1, "{fact:?}");
            assert_eq!(json[fact.name()], i as i64 + 1, "{fact:?}");
        }
        assert_eq!(json.as_object().unwrap().len(), Fact::ALL.len());
        let mut sum = facts;
        sum.add_all(&facts);
        sum.add(Fact::ActiveMs, i64::MAX);
        assert_eq!(sum.click_count, 4);
        assert_eq!(sum.active_ms, i64::MAX);
        assert_eq!(facts.errors(), 8 + 9);
    }
}
