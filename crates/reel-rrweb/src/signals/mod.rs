//! Session facts, frustration signals, derived events and on-screen text, computed from the
//! rrweb stream by an incremental [`Analyzer`].
//!
//! # Contract (what resumable, idempotent processing relies on)
//!
//! - Feed events in timestamp order ([`Analyzer::push`]; ties in the order given). A timestamp
//!   lower than an earlier one is treated as equal to it.
//! - [`Analyzer::drain`] returns the outputs that became final since the last drain, ordered by
//!   `(ts, generation order)`; every later output has `ts >= `[`Analyzer::settled_until`].
//!   An output is only emitted once it can no longer change.
//! - The same events always give the same outputs, whatever the drains in between.
//! - Outputs after a Meta event depend only on the events from that Meta on (every window,
//!   chain, budget and the mirror are reset at a Meta; the only thing carried over is the
//!   previous Meta's `href`, which decides whether the Meta itself is a new page view). So to
//!   resume after a restart with a saved `settled_until = S`: feed from a Meta event with
//!   timestamp `< S` (normally the one starting the chunk of the last full snapshot before `S`)
//!   and keep only outputs with `ts >= S`; they equal those of an uninterrupted run.
//! - [`Analyzer::finish`] settles what is pending at the end of the data; pushes after it are
//!   ignored, and the next drain returns everything left (`settled_until` is then `i64::MAX`).
//! - Bounded memory: the mirror (capped), a few pending windows (at most
//!   [`MAX_PENDING_CLICKS`] clicks), and per-page text de-duplication sets that are capped by
//!   item count. Nothing else grows with the session.
//!
//! # Definitions (defaults in [`Settings`])
//!
//! - **Active time** (`active_ms`): the sum of the gaps between consecutive active events that
//!   are at most `idle_threshold_ms` (5000). Active events: incremental sources MouseMove,
//!   MouseInteraction, Scroll, ViewportResize, Input, TouchMove, MediaInteraction, Drag; and a
//!   Meta event (a page load is activity, so time across a navigation is not lost).
//! - **Clicks**: MouseInteraction `Click` (2). Double-clicks count as their two clicks.
//!   **Keypresses**: Input events not marked `userTriggered: false`. **Mouse activity**:
//!   MouseMove, MouseInteraction, TouchMove and Drag events.
//! - **Page views**: a Meta event whose `href` differs from the previous Meta's (rrweb repeats
//!   Meta at every checkout snapshot, so a same-URL Meta is not a new view; a reload of the same
//!   URL is therefore not counted either). rrweb records no Meta for single-page-app route
//!   changes.
//! - **Rage click**: at least `rage_min_clicks` (3) clicks, each within
//!   `rage_max_interval_ms` (1000) and `rage_max_distance_px` (30, Euclidean distance) of the
//!   previous one. One Rage Click per burst, at the burst's first click, with the click count,
//!   begin/end time and the first click's element. Clicks without coordinates break a burst.
//! - **Dead click**: a click on an interactive-looking element followed by no DOM change within
//!   `dead_mutation_window_ms` (2500), no scroll or selection change within
//!   `dead_scroll_window_ms` (100), and no navigation (a Meta event) in the window. DOM changes:
//!   a non-empty mutation, a full snapshot, style sheet/declaration/adopted-sheet changes,
//!   canvas drawing, media play/pause, an Input event (a toggled checkbox), a custom element
//!   definition. Not evaluated: links with `download`, links with a `target` other than
//!   `_self`, `mailto:`/`tel:`/`sms:` links, fields (text-like inputs, textareas, selects,
//!   contenteditable), file/colour/date inputs, labels (clicking one focuses its field),
//!   canvas/video/audio/iframe/embed/object, and clicks on non-interactive elements (plain text
//!   is never dead). A click that continues a rage burst (within the rage time and distance of
//!   the previous click) is not evaluated on its own: the burst's first click stands for it,
//!   so a rage burst on an unresponsive button gives one Rage Click and one Dead Click. A click
//!   whose window has not passed when the data ends is not dead (the page was probably left).
//!   rrweb does not record modifier keys, so a ctrl/cmd-click that opened a new tab may look
//!   dead.
//! - **Runtime errors**: console-plugin records at level `error` whose first argument starts
//!   with `Uncaught ` (Chromium's `ErrorEvent.message` for uncaught errors, e.g. `Uncaught
//!   TypeError: ...`, and what rrweb's console plugin itself writes for every unhandled
//!   rejection, `Uncaught (in promise) ...`; both checked against the real plugin in
//!   Chromium) or is exactly `Script error.` (an opaque cross-origin error). Nothing else in
//!   the plugin's record tells an uncaught error from a `console.error(...)` call (same level,
//!   same stringified payload, a stack trace either way), so a browser that reports uncaught
//!   errors without the prefix has them counted as console errors only. A `console.error`
//!   call is a console error, not a runtime error. `console_error_count` counts every
//!   error-level record (what the browser console showed in red), runtime errors included;
//!   the derived events are disjoint: `[reel] Runtime Error` for runtime errors,
//!   `[reel] Console Error` for the others.
//! - **Error click**: a click followed by a runtime error within `error_click_window_ms`
//!   (1000). Each runtime error is attributed to the latest click before it (if within the
//!   window); a click with at least one attributed error is one Error Click. Independent of
//!   rage and dead clicks.
//! - **Network errors**: requests of the `rrweb/network@1` plugin with status 0 or >= 400, or
//!   an `error`.
//! - **Element Changed**: one per run of Input events on one element; a run ends at an Input on
//!   another element, a Blur of the element, a Meta event, `idle_threshold_ms` without input on
//!   it, or the end of the data. Carries the element and the number of input events, never a
//!   value.
//! - **On-screen text**: text nodes inserted into the live DOM (or changed) outside `style`,
//!   `script`, `noscript`, `head`, `title`, `template` and `textarea` ("visible" means in the
//!   live DOM and rendered as text; CSS visibility is not evaluated), whitespace collapsed,
//!   skipping text that is only `*` and whitespace (masked); input values are never in the
//!   mirror.
//!   Emitted when first seen on the page (de-duplicated per page, i.e. from one Meta to the
//!   next), items at most `text_item_max_bytes`, at most `text_budget_bytes` and
//!   `text_max_items` per page. Console texts (level + message) likewise, with their own
//!   budget. The server should upsert texts per session (a page's text comes again after every
//!   Meta) and cap their total per session.
//!
//! # Rooms
//!
//! - this file: the [`Analyzer`]'s feeding, draining and clock, its [`Settings`] and outputs,
//!   and what a page load (a Meta event) resets;
//! - `facts`: the [`Fact`]s a session adds up ([`SessionSummary`]) and active time;
//! - `derived`: derived events ([`DerivedKind`], [`DerivedEvent`]), their readable names and
//!   element properties;
//! - `clicks`: the verdicts on clicks: rage, dead and error clicks;
//! - `typing`: Element Changed runs of input events;
//! - `console_network`: console and network records: counts, Console/Runtime/Network Error
//!   events, console texts;
//! - `texts`: on-screen text and the per-page budgets of texts.

mod clicks;
mod console_network;
mod derived;
mod facts;
#[cfg(test)]
mod tests;
mod texts;
mod typing;

use std::collections::{HashMap, VecDeque};

use serde_json::Map;

use crate::mirror::Mirror;
use crate::model::{self, Data, Incremental, Interaction, ParsedEvent, Plugin, Source};
use crate::text::{ellipsize, strip_url, url_path};
use clicks::{Chain, PendingClick};
use derived::put;
use texts::TextBudget;
use typing::InputRun;

pub use clicks::MAX_PENDING_CLICKS;
pub use derived::{DerivedEvent, DerivedKind};
pub use facts::{Fact, SessionSummary};

/// Longest URL kept.
const MAX_URL_BYTES: usize = 2048;

/// Thresholds and bounds. `Default` gives the documented defaults.
#[derive(Debug, Clone, PartialEq)]
pub struct Settings {
    pub idle_threshold_ms: i64,
    pub rage_min_clicks: u32,
    pub rage_max_interval_ms: i64,
    pub rage_max_distance_px: f64,
    pub dead_mutation_window_ms: i64,
    pub dead_scroll_window_ms: i64,
    pub error_click_window_ms: i64,
    /// Most live nodes in the DOM mirror (and serialized nodes read per event).
    pub max_nodes: usize,
    /// Most bytes of text and attribute values the DOM mirror keeps.
    pub max_mirror_string_bytes: usize,
    pub text_budget_bytes: usize,
    pub text_item_max_bytes: usize,
    pub text_max_items: usize,
    pub console_budget_bytes: usize,
    pub console_item_max_bytes: usize,
    pub console_max_items: usize,
    /// Longest message in derived events' properties, in characters.
    pub message_max_chars: usize,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            idle_threshold_ms: 5000,
            rage_min_clicks: 3,
            rage_max_interval_ms: 1000,
            rage_max_distance_px: 30.0,
            dead_mutation_window_ms: 2500,
            dead_scroll_window_ms: 100,
            error_click_window_ms: 1000,
            max_nodes: crate::mirror::DEFAULT_MAX_NODES,
            max_mirror_string_bytes: crate::mirror::DEFAULT_MAX_STRING_BYTES,
            text_budget_bytes: 1 << 20,
            text_item_max_bytes: 1024,
            text_max_items: 32_768,
            console_budget_bytes: 256 << 10,
            console_item_max_bytes: 1024,
            console_max_items: 4096,
            message_max_chars: 1000,
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub enum Item {
    /// Add `n` to a session fact.
    Count {
        fact: Fact,
        n: u64,
    },
    /// A page URL seen (query string and fragment removed); the earliest is the first URL.
    Url(String),
    /// A viewport size seen (Meta or ViewportResize).
    Viewport {
        width: u32,
        height: u32,
    },
    Event(DerivedEvent),
    /// Text that was on screen.
    ScreenText(String),
    /// A console message (level as recorded, lower-case; message text).
    ConsoleText {
        level: String,
        text: String,
    },
}

/// One output, with the timestamp it belongs to.
#[derive(Debug, Clone, PartialEq)]
pub struct Output {
    pub ts: i64,
    pub item: Item,
}

#[derive(Debug)]
struct Buffered {
    ts: i64,
    seq: u64,
    item: Item,
}

/// The incremental analyzer. See the module documentation for its contract.
#[derive(Debug)]
pub struct Analyzer {
    settings: Settings,
    mirror: Mirror,
    watermark: i64,
    finished: bool,
    seq: u64,
    out: Vec<Buffered>,
    /// `href` of the last Meta event, to tell new pages from checkouts.
    last_href: Option<String>,
    /// The current page's URL (stripped).
    page_url: Option<String>,
    last_active: Option<i64>,
    chain: Option<Chain>,
    clicks: VecDeque<PendingClick>,
    input_run: Option<InputRun>,
    screen: TextBudget,
    console: TextBudget,
}

impl Analyzer {
    pub fn new(settings: Settings) -> Self {
        Self {
            mirror: Mirror::with_limits(settings.max_nodes, settings.max_mirror_string_bytes),
            settings,
            watermark: i64::MIN,
            finished: false,
            seq: 0,
            out: Vec::new(),
            last_href: None,
            page_url: None,
            last_active: None,
            chain: None,
            clicks: VecDeque::new(),
            input_run: None,
            screen: TextBudget::default(),
            console: TextBudget::default(),
        }
    }

    pub fn settings(&self) -> &Settings {
        &self.settings
    }

    /// The DOM mirror as of the last event.
    pub fn mirror(&self) -> &Mirror {
        &self.mirror
    }

    /// Feeds one event (in timestamp order).
    pub fn push(&mut self, event: &crate::Event) {
        let parsed = model::parse_event(event.json(), Some(event.kind), self.settings.max_nodes);
        match parsed {
            Some(p) => self.push_parsed(event.timestamp, &p),
            // Not readable as an event (cannot happen for a parsed `Event`): time still passes.
            None if !self.finished => {
                self.advance_to(event.timestamp);
            }
            None => {}
        }
    }

    /// Feeds one event from its JSON text. Returns false (and ignores it) when the text is not
    /// an event (no object with numeric `type` and `timestamp`).
    pub fn push_json(&mut self, text: &str) -> bool {
        match model::parse_event(text, None, self.settings.max_nodes) {
            Some(p) => {
                self.push_parsed(p.timestamp, &p);
                true
            }
            None => false,
        }
    }

    /// Feeds one already parsed event, at `timestamp`.
    pub fn push_parsed(&mut self, timestamp: i64, event: &ParsedEvent<'_>) {
        if self.finished {
            return;
        }
        let ts = self.advance_to(timestamp);
        match &event.data {
            Data::Meta(meta) => {
                let href = meta
                    .href
                    .map(|h| h.decode_prefix(MAX_URL_BYTES).trim().to_owned())
                    .filter(|h| !h.is_empty());
                self.on_meta(ts, href, meta.width, meta.height);
            }
            Data::FullSnapshot(snap) => {
                self.with_screen(ts, |mirror, sink| mirror.apply_full_snapshot(snap, sink));
                self.dom_changed(ts);
            }
            Data::Incremental(inc) => self.on_incremental(ts, inc),
            Data::Plugin(Plugin::Console(record)) => self.on_console(ts, record),
            Data::Plugin(Plugin::Network(requests)) => self.on_network(ts, requests),
            Data::Plugin(Plugin::Other { .. }) | Data::Custom(_) | Data::Empty | Data::Other => {}
        }
    }

    /// Declares the end of the data: everything pending is settled.
    pub fn finish(&mut self) {
        if self.finished {
            return;
        }
        self.close_pending();
        self.finished = true;
    }

    /// Nothing with a timestamp below this will be emitted any more (`i64::MIN` before the
    /// first event, `i64::MAX` after [`Analyzer::finish`]).
    pub fn settled_until(&self) -> i64 {
        if self.finished {
            return i64::MAX;
        }
        self.watermark
            .min(self.clicks_unsettled_from())
            .min(self.input_run_unsettled_from())
    }

    /// The outputs settled since the last drain, in `(ts, generation)` order.
    pub fn drain(&mut self) -> Vec<Output> {
        let settled = self.settled_until();
        self.out.sort_unstable_by_key(|b| (b.ts, b.seq));
        let ready = if self.finished {
            // Everything, including outputs at `i64::MAX`.
            self.out.len()
        } else {
            self.out.partition_point(|b| b.ts < settled)
        };
        let mut numbering: HashMap<(DerivedKind, i64, Option<i64>), u32> = HashMap::new();
        self.out
            .drain(..ready)
            .map(|b| {
                let mut item = b.item;
                if let Item::Event(e) = &mut item {
                    // All outputs of one timestamp are drained together, so this numbering is
                    // the same however the stream was fed.
                    let n = numbering.entry((e.kind, b.ts, e.node_id)).or_insert(0);
                    e.id = format!(
                        "{}:{}:{}:{}",
                        e.kind.slug(),
                        b.ts,
                        e.node_id.map_or("-".to_owned(), |id| id.to_string()),
                        n
                    );
                    *n += 1;
                }
                Output { ts: b.ts, item }
            })
            .collect()
    }

    // ---- time ----------------------------------------------------------------------------

    /// Moves the clock to `timestamp` (never backwards), settling windows that ended before
    /// it. Returns the effective timestamp.
    fn advance_to(&mut self, timestamp: i64) -> i64 {
        let ts = timestamp.max(self.watermark);
        self.watermark = ts;
        self.settle_clicks(ts);
        self.settle_input_run(ts);
        ts
    }

    /// Settles everything pending: at a Meta (navigation: nothing pending is dead) or at the
    /// end of the data.
    fn close_pending(&mut self) {
        self.clicks.clear();
        self.close_chain();
        self.close_input_run();
    }

    fn emit(&mut self, ts: i64, item: Item) {
        self.seq += 1;
        self.out.push(Buffered {
            ts,
            seq: self.seq,
            item,
        });
    }

    fn count(&mut self, ts: i64, fact: Fact, n: u64) {
        if n > 0 {
            self.emit(ts, Item::Count { fact, n });
        }
    }

    // ---- events --------------------------------------------------------------------------

    fn on_meta(&mut self, ts: i64, href: Option<String>, width: Option<f64>, height: Option<f64>) {
        // A new page (or a checkout): what was pending is answered by the navigation.
        self.close_pending();
        self.mirror.clear();
        self.screen.reset();
        self.console.reset();
        self.active(ts);
        if let Some(href) = href {
            if self.last_href.as_deref() != Some(href.as_str()) {
                let url = strip_url(&href, MAX_URL_BYTES).to_owned();
                self.count(ts, Fact::PageViewCount, 1);
                self.emit(ts, Item::Url(url.clone()));
                let mut props = Map::new();
                put(&mut props, "[reel] Page URL", Some(url.clone()));
                put(
                    &mut props,
                    "[reel] Page Path",
                    Some(url_path(&url).to_owned()),
                );
                if let (Some(w), Some(h)) = (viewport_dim(width), viewport_dim(height)) {
                    props.insert("[reel] Viewport Width".into(), w.into());
                    props.insert("[reel] Viewport Height".into(), h.into());
                }
                let name = format!("Viewed {}", ellipsize(url_path(&url), 120));
                self.event(ts, DerivedKind::PageViewed, name, None, props);
                self.page_url = Some(url);
            }
            self.last_href = Some(href);
        }
        self.viewport(ts, width, height);
    }

    fn viewport(&mut self, ts: i64, width: Option<f64>, height: Option<f64>) {
        if let (Some(width), Some(height)) = (viewport_dim(width), viewport_dim(height)) {
            self.emit(ts, Item::Viewport { width, height });
        }
    }

    fn on_incremental(&mut self, ts: i64, inc: &Incremental<'_>) {
        if inc.source().is_activity() {
            self.active(ts);
        }
        match inc {
            Incremental::Mutation(m) => {
                self.with_screen(ts, |mirror, sink| mirror.apply_mutation(m, sink));
                if !m.is_empty() {
                    self.dom_changed(ts);
                }
            }
            Incremental::MouseMove(_) | Incremental::TouchMove(_) | Incremental::Drag(_) => {
                self.count(ts, Fact::MouseActivityCount, 1);
            }
            Incremental::MouseInteraction(d) => {
                self.count(ts, Fact::MouseActivityCount, 1);
                match d.kind {
                    Interaction::Click => self.on_click(ts, d),
                    Interaction::Blur => self.on_blur(d.id),
                    _ => {}
                }
            }
            Incremental::Scroll { .. } => self.scrolled(ts),
            Incremental::ViewportResize { width, height } => {
                self.viewport(ts, *width, *height);
            }
            Incremental::Input(input) => {
                self.mirror.apply_input(input);
                self.dom_changed(ts);
                if input.user_triggered != Some(false) {
                    self.count(ts, Fact::KeypressCount, 1);
                    if let Some(id) = input.id {
                        self.on_input(ts, id);
                    }
                }
            }
            Incremental::MediaInteraction { .. } => self.dom_changed(ts),
            Incremental::Selection { .. } => self.scrolled(ts),
            Incremental::Log(record) => self.on_console(ts, record),
            Incremental::Other(
                Source::StyleSheetRule
                | Source::StyleDeclaration
                | Source::AdoptedStyleSheet
                | Source::CanvasMutation
                | Source::CustomElement,
            ) => self.dom_changed(ts),
            Incremental::Other(_) => {}
        }
    }
}

fn viewport_dim(v: Option<f64>) -> Option<u32> {
    v.filter(|v| v.is_finite() && *v >= 1.0 && *v <= 100_000.0)
        .map(|v| v.round() as u32)
}

/// Runs parse + mirror + signals + text over event JSON texts, as one session, and returns all
/// outputs. Texts that are not events are skipped. The entry point for benchmarks.
pub fn analyze_json_texts<'a>(
    texts: impl IntoIterator<Item = &'a str>,
    settings: Settings,
) -> Vec<Output> {
    let mut analyzer = Analyzer::new(settings);
    for text in texts {
        analyzer.push_json(text);
    }
    analyzer.finish();
    analyzer.drain()
}
