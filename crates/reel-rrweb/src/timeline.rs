//! The timeline of a whole recording, for the player's panels and its time bar: console
//! records, network requests, custom events, page loads and the stretches without user
//! activity, built in one pass over the events in time order by a [`TimelineBuilder`].
//!
//! Invariants:
//! - Bounded: each list holds at most [`MAX_TIMELINE_ITEMS`] entries (its flag in
//!   [`TimelineTruncated`] says it was cut), every text at most [`MAX_TIMELINE_TEXT`]
//!   characters (then `…`), a stack trace at most [`MAX_TRACE_FRAMES`] frames. Nothing else is
//!   kept: memory is the lists, never the events.
//! - Shown as recorded: URLs keep their query string (the player hides its values), levels
//!   their case. Console and network payloads are read by [`crate::devtools`]; custom event
//!   payloads are shown as compact JSON.
//! - Activity is what the session facts count as activity ([`crate::model::Source::is_activity`])
//!   and a page load; a gap of more than [`INACTIVE_MS`] without it is an inactive stretch,
//!   including one from the first event and one up to the end.

use crate::Event;
use crate::devtools::{ConsoleRecord, NetworkRequest, compact_json, is_error_status};
use crate::model::{self, Custom, Data, EventType, Incremental, Plugin, Source};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// Most entries of each list.
pub const MAX_TIMELINE_ITEMS: usize = 5_000;
/// Longest console message, custom payload, request URL or other text kept (characters).
pub const MAX_TIMELINE_TEXT: usize = 2_000;
/// Most stack frames kept per console record.
pub const MAX_TRACE_FRAMES: usize = 30;
/// No user activity for longer than this is an inactive stretch (rrweb's skip-inactive
/// default).
pub const INACTIVE_MS: i64 = 10_000;

/// What the whole recording holds, for a player's panels and timeline: console records
/// (every level, with stack traces), network requests, rrweb custom events, page loads (Meta
/// events whose URL changed) and stretches of more than `inactive_threshold_ms` without user
/// activity. Each list holds at most 5000 items; texts are cut at 2000 characters.
///
/// The query API answers with it as it is (its schema is part of the OpenAPI document).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Timeline {
    pub start_ms: i64,
    pub end_ms: i64,
    pub inactive_threshold_ms: i64,
    pub console: Vec<ConsoleEntry>,
    pub network: Vec<NetworkEntry>,
    pub custom: Vec<CustomEntry>,
    pub pages: Vec<PageLoad>,
    pub inactive: Vec<Stretch>,
    pub truncated: TimelineTruncated,
}

/// A console record.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(as = ConsoleRecord)]
pub struct ConsoleEntry {
    pub time_ms: i64,
    /// Milliseconds since the replay's start.
    pub offset_ms: i64,
    /// `log`, `info`, `warn`, `error`, `debug`, … as recorded.
    pub level: String,
    pub message: String,
    /// Stack frames, at most 30.
    pub trace: Vec<String>,
}

/// A network request.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(as = NetworkRequest)]
pub struct NetworkEntry {
    pub time_ms: i64,
    pub offset_ms: i64,
    /// Upper-cased; `GET` when none was recorded.
    pub method: String,
    /// As recorded; the player hides query values.
    pub url: String,
    pub status: Option<f64>,
    pub duration_ms: Option<f64>,
    pub initiator_type: Option<String>,
    pub error: Option<String>,
    /// An error field, no status, status 0 or a status of 400 or more.
    pub failed: bool,
}

/// A custom event (rrweb `addCustomEvent`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
#[schema(as = CustomEvent)]
pub struct CustomEntry {
    pub time_ms: i64,
    pub offset_ms: i64,
    pub tag: String,
    /// The payload as compact JSON text.
    pub payload: Option<String>,
}

/// A Meta event with a URL other than the previous one's.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct PageLoad {
    pub time_ms: i64,
    pub offset_ms: i64,
    pub href: String,
}

/// A stretch of time, epoch ms.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct Stretch {
    pub start_ms: i64,
    pub end_ms: i64,
}

/// Which of the timeline's lists were cut.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, ToSchema)]
pub struct TimelineTruncated {
    pub console: bool,
    pub network: bool,
    pub custom: bool,
    pub pages: bool,
    pub inactive: bool,
}

/// Builds a [`Timeline`] from events in time order.
#[derive(Debug)]
pub struct TimelineBuilder {
    start_ms: i64,
    console: Vec<ConsoleEntry>,
    network: Vec<NetworkEntry>,
    custom: Vec<CustomEntry>,
    pages: Vec<PageLoad>,
    inactive: Vec<Stretch>,
    truncated: TimelineTruncated,
    last_href: Option<String>,
    last_active: Option<i64>,
    first_ts: Option<i64>,
}

impl TimelineBuilder {
    /// A timeline whose offsets count from `start_ms` (the replay's start).
    pub fn new(start_ms: i64) -> Self {
        Self {
            start_ms,
            console: Vec::new(),
            network: Vec::new(),
            custom: Vec::new(),
            pages: Vec::new(),
            inactive: Vec::new(),
            truncated: TimelineTruncated::default(),
            last_href: None,
            last_active: None,
            first_ts: None,
        }
    }

    /// Takes the next event (in time order).
    pub fn push(&mut self, event: &Event) {
        let ts = event.timestamp;
        self.first_ts.get_or_insert(ts);
        match event.kind {
            EventType::Meta => self.on_meta(ts, event.href.as_deref().unwrap_or_default()),
            // Most events are incremental: only their source is read, unless it is a console
            // record of rrweb before 1.0.
            EventType::IncrementalSnapshot => match model::incremental_source(event.json()) {
                Some(source) if source.is_activity() => self.active(ts),
                Some(Source::Log) => {
                    if let Some(Data::Incremental(Incremental::Log(record))) = data_of(event) {
                        self.on_console(ts, &record);
                    }
                }
                _ => {}
            },
            EventType::Plugin => match data_of(event) {
                Some(Data::Plugin(Plugin::Console(record))) => self.on_console(ts, &record),
                Some(Data::Plugin(Plugin::Network(requests))) => {
                    for request in &requests {
                        self.on_request(ts, request);
                    }
                }
                _ => {}
            },
            EventType::Custom => {
                if let Some(Data::Custom(custom)) = data_of(event) {
                    self.on_custom(ts, &custom);
                }
            }
            _ => {}
        }
    }

    /// The timeline up to `end_ms` (the replay's end).
    pub fn finish(mut self, end_ms: i64) -> Timeline {
        let since = self.last_active.or(self.first_ts);
        if let Some(since) = since
            && end_ms.saturating_sub(since) > INACTIVE_MS
        {
            self.inactive_stretch(since, end_ms);
        }
        Timeline {
            start_ms: self.start_ms,
            end_ms,
            inactive_threshold_ms: INACTIVE_MS,
            console: self.console,
            network: self.network,
            custom: self.custom,
            pages: self.pages,
            inactive: self.inactive,
            truncated: self.truncated,
        }
    }

    fn offset(&self, ts: i64) -> i64 {
        ts.saturating_sub(self.start_ms)
    }

    fn on_meta(&mut self, ts: i64, href: &str) {
        // A periodic checkout of the same page is not a page load anyone did.
        if self.last_href.as_deref() == Some(href) {
            return;
        }
        self.active(ts);
        let entry = PageLoad {
            time_ms: ts,
            offset_ms: self.offset(ts),
            href: capped(href),
        };
        push_capped(&mut self.pages, &mut self.truncated.pages, entry);
        self.last_href = Some(href.to_owned());
    }

    fn active(&mut self, ts: i64) {
        let since = self.last_active.or(self.first_ts).unwrap_or(ts);
        if ts.saturating_sub(since) > INACTIVE_MS {
            self.inactive_stretch(since, ts);
        }
        self.last_active = Some(self.last_active.map_or(ts, |t| t.max(ts)));
    }

    fn inactive_stretch(&mut self, start_ms: i64, end_ms: i64) {
        let entry = Stretch { start_ms, end_ms };
        push_capped(&mut self.inactive, &mut self.truncated.inactive, entry);
    }

    fn on_console(&mut self, ts: i64, record: &ConsoleRecord<'_>) {
        let entry = ConsoleEntry {
            time_ms: ts,
            offset_ms: self.offset(ts),
            level: capped(&record.level()),
            message: capped(&record.message()),
            trace: record
                .trace
                .iter()
                .take(MAX_TRACE_FRAMES)
                .map(|frame| capped(&frame.text()))
                .collect(),
        };
        push_capped(&mut self.console, &mut self.truncated.console, entry);
    }

    fn on_request(&mut self, ts: i64, request: &NetworkRequest<'_>) {
        let error = request.error.map(|e| capped(&e.text()));
        let entry = NetworkEntry {
            time_ms: ts,
            offset_ms: self.offset(ts),
            method: request
                .method
                .map(|m| m.text())
                .filter(|m| !m.is_empty())
                .unwrap_or_else(|| "GET".into())
                .to_uppercase(),
            url: capped(&request.address().map(|a| a.text()).unwrap_or_default()),
            status: request.status,
            duration_ms: request.duration,
            initiator_type: request.initiator_type.map(|t| t.text()),
            // Wider than what the session facts count as a network error: the panel cannot
            // show a request without a status as answered, and shows any `error` field.
            failed: error.is_some() || request.status.is_none_or(is_error_status),
            error,
        };
        push_capped(&mut self.network, &mut self.truncated.network, entry);
    }

    fn on_custom(&mut self, ts: i64, custom: &Custom<'_>) {
        let entry = CustomEntry {
            time_ms: ts,
            offset_ms: self.offset(ts),
            tag: capped(&custom.tag.map(|t| t.text()).unwrap_or_default()),
            payload: custom.payload.map(|p| capped(&compact_json(p))),
        };
        push_capped(&mut self.custom, &mut self.truncated.custom, entry);
    }
}

/// The event's data, read as the model reads it (no serialized nodes kept: none is needed).
fn data_of(event: &Event) -> Option<Data<'_>> {
    model::parse_event(event.json(), Some(event.kind), 0).map(|e| e.data)
}

fn push_capped<T>(list: &mut Vec<T>, truncated: &mut bool, entry: T) {
    if list.len() < MAX_TIMELINE_ITEMS {
        list.push(entry);
    } else {
        *truncated = true;
    }
}

/// At most [`MAX_TIMELINE_TEXT`] characters of `text`, with `…` when cut.
fn capped(text: &str) -> String {
    match text.char_indices().nth(MAX_TIMELINE_TEXT) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
#[path = "timeline_tests.rs"]
mod tests;
