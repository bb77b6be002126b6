//! What a project's Session Replay settings leave out of its recordings, applied to every
//! upload whatever SDK sent it (an SDK may still run with a configuration from before a change,
//! and Amplitude's SDK cannot be told about blocked pages): console records when console logs
//! are off, network records when network errors are off, and everything recorded on a page
//! whose URL is blocked — from the page's Meta event up to the next page's Meta.
//!
//! Events are dropped, never changed: what is kept is stored byte for byte.

use crate::Event;
use crate::json::{JsonStr, Parser, Res};
use crate::model::EventType;
use crate::url_pattern::UrlPatterns;

/// What a project records.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CaptureRules {
    /// Console records are kept.
    pub console: bool,
    /// Network records are kept.
    pub network: bool,
    /// Pages never recorded.
    pub blocked_pages: UrlPatterns,
}

impl Default for CaptureRules {
    fn default() -> Self {
        Self {
            console: true,
            network: true,
            blocked_pages: UrlPatterns::default(),
        }
    }
}

impl CaptureRules {
    /// Nothing is left out: uploads need not be looked at.
    pub fn keeps_everything(&self) -> bool {
        self.console && self.network && self.blocked_pages.is_empty()
    }
}

/// How many events the rules left out, by why.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Dropped {
    pub console: usize,
    pub network: usize,
    pub blocked_page: usize,
}

impl Dropped {
    pub fn total(&self) -> usize {
        self.console + self.network + self.blocked_page
    }
}

/// Keeps the events `rules` allow. `page` is the URL of the page the upload's first events
/// were recorded on, when known (the SDK's `X-Client-Url`): events before the upload's first
/// Meta belong to it.
pub fn apply(
    events: Vec<Event>,
    rules: &CaptureRules,
    page: Option<&str>,
) -> (Vec<Event>, Dropped) {
    let mut dropped = Dropped::default();
    if rules.keeps_everything() {
        return (events, dropped);
    }
    let mut on_blocked_page = page.is_some_and(|url| rules.blocked_pages.matches(url));
    let mut kept = Vec::with_capacity(events.len());
    for event in events {
        if event.kind == EventType::Meta {
            on_blocked_page = event
                .href
                .as_deref()
                .is_some_and(|url| rules.blocked_pages.matches(url));
        }
        if on_blocked_page {
            dropped.blocked_page += 1;
            continue;
        }
        match record_kind(&event, rules) {
            Record::Console if !rules.console => dropped.console += 1,
            Record::Network if !rules.network => dropped.network += 1,
            _ => kept.push(event),
        }
    }
    (kept, dropped)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Record {
    Console,
    Network,
    Other,
}

/// Console records: the console plugin's events, and rrweb before 1.0's incremental `Log`
/// (source 11). Network records: the network plugin's events, and Amplitude's `fetch-request`
/// custom events.
fn record_kind(event: &Event, rules: &CaptureRules) -> Record {
    let wanted = match event.kind {
        EventType::Plugin => true,
        EventType::IncrementalSnapshot => !rules.console,
        EventType::Custom => !rules.network,
        _ => false,
    };
    if !wanted {
        return Record::Other;
    }
    let Ok(marks) = data_marks(event.json()) else {
        return Record::Other;
    };
    match event.kind {
        EventType::Plugin
            if marks
                .plugin
                .is_some_and(|p| p.eq_str(crate::devtools::CONSOLE_PLUGIN)) =>
        {
            Record::Console
        }
        EventType::Plugin
            if marks
                .plugin
                .is_some_and(|p| p.eq_str(crate::devtools::NETWORK_PLUGIN)) =>
        {
            Record::Network
        }
        EventType::IncrementalSnapshot if marks.source == Some(LOG_SOURCE) => Record::Console,
        EventType::Custom if marks.tag.is_some_and(|t| t.eq_str(FETCH_REQUEST_TAG)) => {
            Record::Network
        }
        _ => Record::Other,
    }
}

/// rrweb's incremental source of console records before 1.0.
const LOG_SOURCE: i64 = 11;
/// The custom event tag of network requests Amplitude's replay SDK records.
const FETCH_REQUEST_TAG: &str = "fetch-request";

#[derive(Default)]
struct Marks<'a> {
    plugin: Option<JsonStr<'a>>,
    source: Option<i64>,
    tag: Option<JsonStr<'a>>,
}

/// `data.plugin`, `data.source` and `data.tag` of an event, skipping everything else.
fn data_marks(text: &str) -> Res<Marks<'_>> {
    let mut marks = Marks::default();
    let mut p = Parser::new(text);
    crate::json::for_each_field(&mut p, |p, key| {
        if key != "data" {
            return p.skip_value();
        }
        crate::json::for_each_field(p, |p, key| {
            match key {
                "plugin" => marks.plugin = p.str_value()?,
                "source" => marks.source = p.int()?,
                "tag" => marks.tag = p.str_value()?,
                _ => p.skip_value()?,
            }
            Ok(())
        })
        .map(|_| ())
    })?;
    Ok(marks)
}

#[cfg(test)]
#[path = "capture_filter_tests.rs"]
mod tests;
