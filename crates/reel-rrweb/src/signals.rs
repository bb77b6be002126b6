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

use std::collections::{HashMap, HashSet, VecDeque};

use serde_json::{Map, Value};

use crate::attribution::{Element, describe};
use crate::json::{JsonStr, Parser, truncate_str};
use crate::mirror::{Mirror, TextSink};
use crate::model::{
    self, Console, ConsoleArg, Data, EventType, Incremental, Interaction, MouseInteractionData,
    ParsedEvent, Plugin, Request, Source,
};
use crate::text::{collapse, ellipsize, is_masked, strip_url, url_path};

/// Most clicks whose windows are watched at once; older ones are settled early (not dead).
pub const MAX_PENDING_CLICKS: usize = 256;
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

/// The kinds of derived events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DerivedKind {
    PageViewed,
    ElementClicked,
    ElementChanged,
    RageClick,
    DeadClick,
    ErrorClick,
    ConsoleError,
    NetworkError,
    RuntimeError,
}

impl DerivedKind {
    /// The raw event name, with reel's prefix.
    pub fn event_type(self) -> &'static str {
        match self {
            Self::PageViewed => "[reel] Page Viewed",
            Self::ElementClicked => "[reel] Element Clicked",
            Self::ElementChanged => "[reel] Element Changed",
            Self::RageClick => "[reel] Rage Click",
            Self::DeadClick => "[reel] Dead Click",
            Self::ErrorClick => "[reel] Error Click",
            Self::ConsoleError => "[reel] Console Error",
            Self::NetworkError => "[reel] Network Error",
            Self::RuntimeError => "[reel] Runtime Error",
        }
    }

    fn slug(self) -> &'static str {
        match self {
            Self::PageViewed => "page-viewed",
            Self::ElementClicked => "element-clicked",
            Self::ElementChanged => "element-changed",
            Self::RageClick => "rage-click",
            Self::DeadClick => "dead-click",
            Self::ErrorClick => "error-click",
            Self::ConsoleError => "console-error",
            Self::NetworkError => "network-error",
            Self::RuntimeError => "runtime-error",
        }
    }
}

/// An analytics event derived from the recording.
#[derive(Debug, Clone, PartialEq)]
pub struct DerivedEvent {
    /// Deterministic: `kind:ts:node:n`, where `n` numbers events of the same kind, time and
    /// node. Unique within a session; prefix it with the session for a global id.
    pub id: String,
    pub kind: DerivedKind,
    /// A readable name, e.g. "Clicked 'Add to cart' button".
    pub display_name: String,
    /// The element's node id, for events about an element.
    pub node_id: Option<i64>,
    /// Properties with `[reel] ...` keys (sorted).
    pub properties: Map<String, Value>,
}

impl DerivedEvent {
    pub fn event_type(&self) -> &'static str {
        self.kind.event_type()
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

#[derive(Debug, Clone)]
struct Chain {
    first_ts: i64,
    last_ts: i64,
    count: u32,
    first: (f64, f64),
    last: (f64, f64),
    element: Option<Element>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ErrorWindow {
    Open,
    Fired,
}

#[derive(Debug, Clone)]
struct PendingClick {
    ts: i64,
    x: Option<f64>,
    y: Option<f64>,
    element: Option<Element>,
    /// Eligible and not decided yet.
    dead_pending: bool,
    /// A DOM change answered it (dead is then impossible).
    alive: bool,
    /// Until the error window passes.
    error: Option<ErrorWindow>,
}

#[derive(Debug, Clone)]
struct InputRun {
    node_id: i64,
    last_ts: i64,
    count: u32,
    element: Option<Element>,
}

#[derive(Debug, Default)]
struct TextBudget {
    seen: HashSet<u64>,
    bytes: usize,
}

impl TextBudget {
    /// Whether `key` is new and fits; records it if so.
    fn admit(&mut self, key: &[u8], len: usize, max_bytes: usize, max_items: usize) -> bool {
        if self.seen.len() >= max_items || self.bytes + len > max_bytes {
            return false;
        }
        if !self.seen.insert(xxhash_rust::xxh3::xxh3_64(key)) {
            return false;
        }
        self.bytes += len;
        true
    }

    fn reset(&mut self) {
        self.seen.clear();
        self.bytes = 0;
        if self.seen.capacity() > 4096 {
            self.seen.shrink_to(4096);
        }
    }
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
        let parsed = model::parse_event(
            event.json(),
            Some(EventType::from(event.kind)),
            self.settings.max_nodes,
        );
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
            Data::Plugin(Plugin::Console(c)) => self.on_console(ts, c),
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
        let mut s = self.watermark;
        for c in &self.clicks {
            if c.dead_pending || c.error == Some(ErrorWindow::Open) {
                s = s.min(c.ts);
            }
        }
        if let Some(ch) = &self.chain {
            s = s.min(ch.first_ts);
        }
        if let Some(run) = &self.input_run {
            s = s.min(run.last_ts);
        }
        s
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
        let s = &self.settings;
        let (dead_window, error_window) = (s.dead_mutation_window_ms, s.error_click_window_ms);
        let mut dead = Vec::new();
        for c in self.clicks.iter_mut() {
            if c.dead_pending && ts > c.ts.saturating_add(dead_window) {
                c.dead_pending = false;
                if !c.alive {
                    dead.push((c.ts, c.element.clone(), c.x, c.y));
                }
            }
            if c.error.is_some() && ts > c.ts.saturating_add(error_window) {
                c.error = None;
            }
        }
        for (click_ts, element, x, y) in dead {
            self.emit_dead_click(click_ts, element, x, y);
        }
        self.drop_settled_clicks();
        if self.chain.as_ref().is_some_and(|ch| {
            ts > ch
                .last_ts
                .saturating_add(self.settings.rage_max_interval_ms)
        }) {
            self.close_chain();
        }
        if self
            .input_run
            .as_ref()
            .is_some_and(|run| ts > run.last_ts.saturating_add(self.settings.idle_threshold_ms))
        {
            self.close_input_run();
        }
        ts
    }

    fn drop_settled_clicks(&mut self) {
        self.clicks.retain(|c| c.dead_pending || c.error.is_some());
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

    fn event(
        &mut self,
        ts: i64,
        kind: DerivedKind,
        display_name: String,
        node_id: Option<i64>,
        properties: Map<String, Value>,
    ) {
        self.emit(
            ts,
            Item::Event(DerivedEvent {
                id: String::new(),
                kind,
                display_name,
                node_id,
                properties,
            }),
        );
    }

    fn active(&mut self, ts: i64) {
        if let Some(prev) = self.last_active {
            let gap = ts.saturating_sub(prev);
            if gap > 0 && gap <= self.settings.idle_threshold_ms {
                self.count(ts, Fact::ActiveMs, gap as u64);
            }
        }
        self.last_active = Some(ts);
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

    /// Runs a change of the mirror with the sink that records the text it shows at `ts`.
    fn with_screen(&mut self, ts: i64, change: impl FnOnce(&mut Mirror, &mut ScreenSink<'_>)) {
        let Self {
            mirror,
            screen,
            out,
            seq,
            settings,
            ..
        } = self;
        let mut sink = ScreenSink {
            ts,
            budget: screen,
            out,
            seq,
            settings,
        };
        change(mirror, &mut sink);
    }

    fn on_incremental(&mut self, ts: i64, inc: &Incremental<'_>) {
        match inc {
            Incremental::Mutation(m) => {
                self.with_screen(ts, |mirror, sink| mirror.apply_mutation(m, sink));
                if !m.is_empty() {
                    self.dom_changed(ts);
                }
            }
            Incremental::MouseMove(_) | Incremental::TouchMove(_) | Incremental::Drag(_) => {
                self.active(ts);
                self.count(ts, Fact::MouseActivityCount, 1);
            }
            Incremental::MouseInteraction(d) => {
                self.active(ts);
                self.count(ts, Fact::MouseActivityCount, 1);
                match d.kind {
                    Interaction::Click => self.on_click(ts, d),
                    Interaction::Blur
                        if d.id.is_some() && self.input_run.as_ref().map(|r| r.node_id) == d.id =>
                    {
                        self.close_input_run();
                    }
                    _ => {}
                }
            }
            Incremental::Scroll { .. } => {
                self.active(ts);
                self.scrolled(ts);
            }
            Incremental::ViewportResize { width, height } => {
                self.active(ts);
                self.viewport(ts, *width, *height);
            }
            Incremental::Input(input) => {
                self.active(ts);
                self.mirror.apply_input(input);
                self.dom_changed(ts);
                if input.user_triggered != Some(false) {
                    self.count(ts, Fact::KeypressCount, 1);
                    if let Some(id) = input.id {
                        self.on_input(ts, id);
                    }
                }
            }
            Incremental::MediaInteraction { .. } => {
                self.active(ts);
                self.dom_changed(ts);
            }
            Incremental::Selection { .. } => self.scrolled(ts),
            Incremental::Log(c) => self.on_console(ts, c),
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

    /// The page changed: pending clicks within their window are alive.
    fn dom_changed(&mut self, ts: i64) {
        let window = self.settings.dead_mutation_window_ms;
        for c in self.clicks.iter_mut() {
            if c.dead_pending && ts <= c.ts.saturating_add(window) {
                c.alive = true;
                c.dead_pending = false;
            }
        }
    }

    /// A scroll or selection change: pending clicks within the short window are alive.
    fn scrolled(&mut self, ts: i64) {
        let window = self.settings.dead_scroll_window_ms;
        for c in self.clicks.iter_mut() {
            if c.dead_pending && ts <= c.ts.saturating_add(window) {
                c.alive = true;
                c.dead_pending = false;
            }
        }
    }

    fn on_click(&mut self, ts: i64, d: &MouseInteractionData) {
        self.count(ts, Fact::ClickCount, 1);
        let element = d.id.and_then(|id| describe(&self.mirror, id));
        let position = d.x.zip(d.y);

        let mut props = Map::new();
        self.element_props(&mut props, element.as_ref());
        put_xy(&mut props, d.x, d.y);
        let name = readable("Clicked", element.as_ref());
        self.event(
            ts,
            DerivedKind::ElementClicked,
            name,
            element.as_ref().map(|e| e.node_id),
            props,
        );

        let s = &self.settings;
        let continues = match (&self.chain, position) {
            (Some(ch), Some((x, y))) => {
                ts.saturating_sub(ch.last_ts) <= s.rage_max_interval_ms
                    && ((x - ch.last.0).powi(2) + (y - ch.last.1).powi(2)).sqrt()
                        <= s.rage_max_distance_px
            }
            _ => false,
        };
        if continues {
            if let (Some(ch), Some(p)) = (self.chain.as_mut(), position) {
                ch.count = ch.count.saturating_add(1);
                ch.last_ts = ts;
                ch.last = p;
            }
        } else {
            self.close_chain();
            self.chain = position.map(|p| Chain {
                first_ts: ts,
                last_ts: ts,
                count: 1,
                first: p,
                last: p,
                element: element.clone(),
            });
        }

        let dead_pending = !continues && element.as_ref().is_some_and(dead_click_eligible);
        if self.clicks.len() >= MAX_PENDING_CLICKS {
            // Too many at once: the oldest is settled as not dead, with no error window.
            self.clicks.pop_front();
        }
        self.clicks.push_back(PendingClick {
            ts,
            x: d.x,
            y: d.y,
            element,
            dead_pending,
            alive: false,
            error: Some(ErrorWindow::Open),
        });
    }

    fn close_chain(&mut self) {
        let Some(ch) = self.chain.take() else {
            return;
        };
        if ch.count < self.settings.rage_min_clicks {
            return;
        }
        self.count(ch.first_ts, Fact::RageClickCount, 1);
        let mut props = Map::new();
        self.element_props(&mut props, ch.element.as_ref());
        put_xy(&mut props, Some(ch.first.0), Some(ch.first.1));
        props.insert("[reel] Click Count".into(), ch.count.into());
        props.insert("[reel] Begin Time".into(), ch.first_ts.into());
        props.insert("[reel] End Time".into(), ch.last_ts.into());
        props.insert(
            "[reel] Duration".into(),
            ch.last_ts.saturating_sub(ch.first_ts).into(),
        );
        let name = readable("Rage clicked", ch.element.as_ref());
        self.event(
            ch.first_ts,
            DerivedKind::RageClick,
            name,
            ch.element.as_ref().map(|e| e.node_id),
            props,
        );
    }

    fn emit_dead_click(
        &mut self,
        ts: i64,
        element: Option<Element>,
        x: Option<f64>,
        y: Option<f64>,
    ) {
        self.count(ts, Fact::DeadClickCount, 1);
        let mut props = Map::new();
        self.element_props(&mut props, element.as_ref());
        put_xy(&mut props, x, y);
        let name = readable("Dead click on", element.as_ref());
        self.event(
            ts,
            DerivedKind::DeadClick,
            name,
            element.as_ref().map(|e| e.node_id),
            props,
        );
    }

    fn on_input(&mut self, ts: i64, id: i64) {
        if let Some(run) = self.input_run.as_mut()
            && run.node_id == id
        {
            run.last_ts = ts;
            run.count = run.count.saturating_add(1);
            return;
        }
        self.close_input_run();
        self.input_run = Some(InputRun {
            node_id: id,
            last_ts: ts,
            count: 1,
            element: describe(&self.mirror, id),
        });
    }

    fn close_input_run(&mut self) {
        let Some(run) = self.input_run.take() else {
            return;
        };
        let mut props = Map::new();
        self.element_props(&mut props, run.element.as_ref());
        props.insert("[reel] Input Count".into(), run.count.into());
        let name = readable("Changed", run.element.as_ref());
        let node = run.element.as_ref().map_or(run.node_id, |e| e.node_id);
        self.event(
            run.last_ts,
            DerivedKind::ElementChanged,
            name,
            Some(node),
            props,
        );
    }

    fn on_console(&mut self, ts: i64, c: &Console<'_>) {
        let level = c
            .level
            .map(|l| truncate_str(&l.decode_prefix(32), 16).to_ascii_lowercase())
            .unwrap_or_else(|| "log".to_owned());
        let max = self.settings.console_item_max_bytes;
        let message = console_message(&c.args, max);
        match level.as_str() {
            "error" | "assert" => {
                self.count(ts, Fact::ConsoleErrorCount, 1);
                let mut props = Map::new();
                put(&mut props, "[reel] Page URL", self.page_url.clone());
                let short = ellipsize(&message, self.settings.message_max_chars);
                props.insert("[reel] Message".into(), short.clone().into());
                props.insert("[reel] Level".into(), level.clone().into());
                if is_runtime_error(&c.args) {
                    self.count(ts, Fact::RuntimeErrorCount, 1);
                    let name = format!("Runtime error: {}", ellipsize(&message, 80));
                    self.event(ts, DerivedKind::RuntimeError, name, None, props);
                    self.error_click(ts, &short);
                } else {
                    let name = format!("Console error: {}", ellipsize(&message, 80));
                    self.event(ts, DerivedKind::ConsoleError, name, None, props);
                }
            }
            "warn" | "warning" => self.count(ts, Fact::ConsoleWarnCount, 1),
            _ => self.count(ts, Fact::ConsoleLogCount, 1),
        }
        if message.is_empty() {
            return;
        }
        let key = format!("{level}\u{0}{message}");
        let s = &self.settings;
        if self.console.admit(
            key.as_bytes(),
            message.len(),
            s.console_budget_bytes,
            s.console_max_items,
        ) {
            self.emit(
                ts,
                Item::ConsoleText {
                    level,
                    text: message,
                },
            );
        }
    }

    /// A runtime error at `ts`: the latest click within the window is an Error Click (once).
    fn error_click(&mut self, ts: i64, message: &str) {
        let window = self.settings.error_click_window_ms;
        let Some(click) = self
            .clicks
            .iter_mut()
            .rev()
            .find(|c| c.error.is_some() && ts <= c.ts.saturating_add(window))
        else {
            return;
        };
        if click.error != Some(ErrorWindow::Open) {
            return;
        }
        click.error = Some(ErrorWindow::Fired);
        let (click_ts, element, x, y) = (click.ts, click.element.clone(), click.x, click.y);
        self.count(click_ts, Fact::ErrorClickCount, 1);
        let mut props = Map::new();
        self.element_props(&mut props, element.as_ref());
        put_xy(&mut props, x, y);
        props.insert("[reel] Message".into(), message.into());
        props.insert(
            "[reel] Error Delay".into(),
            ts.saturating_sub(click_ts).into(),
        );
        let name = readable("Error after clicking", element.as_ref());
        self.event(
            click_ts,
            DerivedKind::ErrorClick,
            name,
            element.as_ref().map(|e| e.node_id),
            props,
        );
    }

    fn on_network(&mut self, ts: i64, requests: &[Request<'_>]) {
        for r in requests {
            let status = r.status.filter(|s| s.is_finite());
            let failed = r.error.is_some() || status.is_some_and(|s| s == 0.0 || s >= 400.0);
            if !failed {
                continue;
            }
            self.count(ts, Fact::NetworkErrorCount, 1);
            let method = r
                .method
                .map(|m| truncate_str(&m.decode_prefix(32), 16).to_ascii_uppercase())
                .unwrap_or_else(|| "GET".to_owned());
            let url = r
                .name
                .map(|n| strip_url(&n.decode_prefix(MAX_URL_BYTES * 2), MAX_URL_BYTES).to_owned())
                .unwrap_or_default();
            let mut props = Map::new();
            put(&mut props, "[reel] Page URL", self.page_url.clone());
            props.insert("[reel] Method".into(), method.clone().into());
            put(&mut props, "[reel] URL", Some(url.clone()));
            if let Some(s) = status {
                props.insert("[reel] Status".into(), (s as i64).into());
            }
            if let Some(d) = r.duration.filter(|d| d.is_finite() && *d >= 0.0) {
                props.insert("[reel] Duration".into(), (d.round() as i64).into());
            }
            put(
                &mut props,
                "[reel] Initiator Type",
                r.initiator_type.map(|t| collapse(&t.decode_prefix(64), 32)),
            );
            if let Some(e) = r.error {
                let text = collapse(&e.decode_prefix(4096), self.settings.message_max_chars);
                put(&mut props, "[reel] Error", Some(text));
            }
            let target = if url.is_empty() {
                "request".to_owned()
            } else {
                ellipsize(url_path(&url), 80)
            };
            let name = match status {
                Some(s) if s > 0.0 => format!("Request failed: {method} {target} ({})", s as i64),
                _ => format!("Request failed: {method} {target}"),
            };
            self.event(ts, DerivedKind::NetworkError, name, None, props);
        }
    }

    fn element_props(&self, props: &mut Map<String, Value>, element: Option<&Element>) {
        put(props, "[reel] Page URL", self.page_url.clone());
        let Some(e) = element else {
            return;
        };
        put(props, "[reel] Element Tag", Some(e.tag.clone()));
        put(props, "[reel] Element Text", e.text.clone());
        put(props, "[reel] Element ID", e.id.clone());
        if !e.classes.is_empty() {
            props.insert(
                "[reel] Element Classes".into(),
                Value::Array(e.classes.iter().cloned().map(Value::String).collect()),
            );
        }
        put(props, "[reel] Element Selector", Some(e.selector.clone()));
        put(props, "[reel] Element Href", e.href.clone());
        put(props, "[reel] Element Role", e.role.clone());
        put(props, "[reel] Element Aria Label", e.aria_label.clone());
        put(props, "[reel] Element Test ID", e.test_id.clone());
        put(props, "[reel] Element Title", e.title.clone());
        put(props, "[reel] Element Alt", e.alt.clone());
        put(props, "[reel] Element Type", e.input_type.clone());
        put(props, "[reel] Element Name", e.name.clone());
        put(props, "[reel] Element Label", e.label.clone());
        props.insert("[reel] Element Interactive".into(), e.interactive.into());
    }
}

/// Feeds the on-screen text the mirror reports into the outputs.
struct ScreenSink<'s> {
    ts: i64,
    budget: &'s mut TextBudget,
    out: &'s mut Vec<Buffered>,
    seq: &'s mut u64,
    settings: &'s Settings,
}

impl TextSink for ScreenSink<'_> {
    fn visible_text(&mut self, text: &str) {
        if is_masked(text) {
            return;
        }
        let max = self.settings.text_item_max_bytes;
        let mut text = collapse(text, max);
        text.truncate(crate::json::floor_char_boundary(&text, max));
        if text.is_empty() || is_masked(&text) {
            return;
        }
        let s = self.settings;
        if !self.budget.admit(
            text.as_bytes(),
            text.len(),
            s.text_budget_bytes,
            s.text_max_items,
        ) {
            return;
        }
        *self.seq += 1;
        self.out.push(Buffered {
            ts: self.ts,
            seq: *self.seq,
            item: Item::ScreenText(text),
        });
    }
}

/// Whether a click on this element is expected to change something visible.
fn dead_click_eligible(e: &Element) -> bool {
    if !e.interactive || e.download || e.is_field() {
        return false;
    }
    if e.link_target
        .as_deref()
        .is_some_and(|t| !t.eq_ignore_ascii_case("_self"))
    {
        return false;
    }
    if let Some(href) = &e.href {
        let lower = href.trim_start().to_ascii_lowercase();
        if ["mailto:", "tel:", "sms:"]
            .iter()
            .any(|p| lower.starts_with(p))
        {
            return false;
        }
    }
    match e.tag.as_str() {
        "label" | "select" | "textarea" | "canvas" | "video" | "audio" | "iframe" | "embed"
        | "object" => false,
        "input" => matches!(
            e.input_type.as_deref(),
            Some("button" | "submit" | "reset" | "image" | "checkbox" | "radio")
        ),
        _ => true,
    }
}

/// A console record's message: its arguments (each a JSON-stringified value; strings shown
/// without quotes) joined by spaces, whitespace collapsed, at most `max_bytes`.
fn console_message(args: &[ConsoleArg<'_>], max_bytes: usize) -> String {
    let mut out = String::new();
    for arg in args {
        if out.len() >= max_bytes {
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        let remaining = max_bytes.saturating_sub(out.len());
        match arg {
            ConsoleArg::Str(s) => out.push_str(&console_arg_text(*s, remaining)),
            ConsoleArg::Raw(raw) => out.push_str(truncate_str(raw, remaining)),
        }
    }
    let mut text = collapse(&out, max_bytes);
    text.truncate(crate::json::floor_char_boundary(&text, max_bytes));
    text
}

/// One console argument as text: the plugin JSON-stringifies every value, so a string
/// argument arrives as `"\"text\""`; it is shown as `text`.
fn console_arg_text(arg: JsonStr<'_>, max_bytes: usize) -> String {
    let decoded = arg.decode_prefix(max_bytes.saturating_mul(2).saturating_add(8));
    let mut p = Parser::new(&decoded);
    if p.peek() == Some(b'"')
        && let Ok(Some(inner)) = p.str_value()
    {
        return inner.decode_prefix(max_bytes).into_owned();
    }
    truncate_str(&decoded, max_bytes).to_owned()
}

/// An uncaught error or unhandled rejection (see the module documentation).
fn is_runtime_error(args: &[ConsoleArg<'_>]) -> bool {
    let Some(ConsoleArg::Str(first)) = args.first() else {
        return false;
    };
    let text = console_arg_text(*first, 64);
    let text = text.trim_start();
    text.get(..9)
        .is_some_and(|p| p.eq_ignore_ascii_case("uncaught "))
        || text == "Script error."
}

fn viewport_dim(v: Option<f64>) -> Option<u32> {
    v.filter(|v| v.is_finite() && *v >= 1.0 && *v <= 100_000.0)
        .map(|v| v.round() as u32)
}

fn put(props: &mut Map<String, Value>, key: &str, value: Option<String>) {
    if let Some(v) = value.filter(|v| !v.is_empty()) {
        props.insert(key.to_owned(), Value::String(v));
    }
}

fn put_xy(props: &mut Map<String, Value>, x: Option<f64>, y: Option<f64>) {
    for (key, v) in [("[reel] X", x), ("[reel] Y", y)] {
        if let Some(v) = v.filter(|v| v.is_finite()) {
            props.insert(key.into(), (v.round() as i64).into());
        }
    }
}

/// "Clicked 'Add to cart' button", "Clicked button", "Clicked element".
fn readable(verb: &str, element: Option<&Element>) -> String {
    match element {
        None => format!("{verb} element"),
        Some(e) => match &e.label {
            Some(label) => format!("{verb} '{label}' {}", e.noun()),
            None => format!("{verb} {}", e.noun()),
        },
    }
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Event;

    const T: i64 = 1_700_000_000_000;

    fn el(id: i64, tag: &str, attrs: &str, children: &str) -> String {
        format!(
            r#"{{"type":2,"tagName":"{tag}","id":{id},"attributes":{{{attrs}}},"childNodes":[{children}]}}"#
        )
    }

    fn txt(id: i64, text: &str) -> String {
        format!(r#"{{"type":3,"id":{id},"textContent":"{text}"}}"#)
    }

    fn meta(ts: i64, href: &str) -> String {
        format!(
            r#"{{"type":4,"data":{{"href":"{href}","width":1280,"height":800}},"timestamp":{}}}"#,
            T + ts
        )
    }

    /// The test shop page: `body` (4) holding the elements the cases click on.
    fn page() -> String {
        [
            el(
                10,
                "button",
                r#""id":"pay","data-testid":"pay""#,
                &el(11, "span", "", &txt(12, "Pay now")),
            ),
            el(20, "p", "", &txt(21, "Welcome to the shop")),
            el(
                30,
                "a",
                r#""href":"/report.pdf?token=1","download":"""#,
                &txt(31, "Report"),
            ),
            el(
                32,
                "a",
                r#""href":"https://docs.test/","target":"_blank""#,
                &txt(33, "Docs"),
            ),
            el(41, "label", r#""for":"email""#, &txt(42, "Email")),
            el(
                40,
                "input",
                r#""type":"text","id":"email","name":"email""#,
                "",
            ),
            el(50, "button", r#""class":"btn""#, &txt(51, "Apply")),
            el(60, "span", r#""class":"reel-mask""#, &txt(61, "*** ****")),
            el(
                70,
                "style",
                "",
                r#"{"type":3,"id":71,"textContent":"b { color: red }","isStyle":true}"#,
            ),
            el(80, "textarea", "", &txt(81, "typed secret")),
            el(
                90,
                "a",
                r#""href":"mailto:help@shop.test""#,
                &txt(91, "Mail us"),
            ),
            el(
                92,
                "div",
                r#""role":"button","aria-label":"Close dialog""#,
                &txt(93, "****"),
            ),
        ]
        .join(",")
    }

    fn snap(ts: i64) -> String {
        format!(
            r#"{{"type":2,"data":{{"node":{{"type":0,"id":1,"childNodes":[{{"type":2,"tagName":"html","id":2,"attributes":{{}},"childNodes":[{{"type":2,"tagName":"head","id":3,"attributes":{{}},"childNodes":[{}]}},{{"type":2,"tagName":"body","id":4,"attributes":{{}},"childNodes":[{}]}}]}}]}},"initialOffset":{{"top":0,"left":0}}}},"timestamp":{}}}"#,
            el(5, "title", "", &txt(6, "Shop")),
            page(),
            T + ts
        )
    }

    /// Meta + FullSnapshot of the test page at `ts`.
    fn load(ts: i64, href: &str) -> Vec<String> {
        vec![meta(ts, href), snap(ts)]
    }

    fn inc(ts: i64, data: &str) -> String {
        format!(r#"{{"type":3,"data":{{{data}}},"timestamp":{}}}"#, T + ts)
    }

    fn click(ts: i64, id: i64, x: i64, y: i64) -> String {
        inc(
            ts,
            &format!(r#""source":2,"type":2,"id":{id},"x":{x},"y":{y}"#),
        )
    }

    fn mouse_move(ts: i64) -> String {
        inc(
            ts,
            r#""source":1,"positions":[{"x":1,"y":2,"id":4,"timeOffset":0}]"#,
        )
    }

    fn mutate(ts: i64) -> String {
        inc(
            ts,
            r#""source":0,"texts":[],"attributes":[{"id":20,"attributes":{"class":"open"}}],"removes":[],"adds":[]"#,
        )
    }

    fn add_text(ts: i64, id: i64, text: &str) -> String {
        inc(
            ts,
            &format!(
                r#""source":0,"texts":[],"attributes":[],"removes":[],"adds":[{{"parentId":20,"nextId":null,"node":{}}}]"#,
                txt(id, text)
            ),
        )
    }

    fn scroll(ts: i64) -> String {
        inc(ts, r#""source":3,"id":1,"x":0,"y":300"#)
    }

    fn input(ts: i64, id: i64, user_triggered: &str) -> String {
        inc(
            ts,
            &format!(r#""source":5,"id":{id},"text":"hunter2","isChecked":false{user_triggered}"#),
        )
    }

    fn blur(ts: i64, id: i64) -> String {
        inc(ts, &format!(r#""source":2,"type":6,"id":{id}"#))
    }

    /// A console record of string arguments, encoded as rrweb's console plugin does: each
    /// argument JSON-stringified (so a string arrives with its quotes).
    fn console(ts: i64, level: &str, args: &[&str]) -> String {
        let args: Vec<String> = args
            .iter()
            .map(|a| serde_json::to_string(&serde_json::to_string(a).unwrap()).unwrap())
            .collect();
        format!(
            r#"{{"type":6,"data":{{"plugin":"rrweb/console@1","payload":{{"level":"{level}","trace":["shop.js:1:1"],"payload":[{}]}}}},"timestamp":{}}}"#,
            args.join(","),
            T + ts
        )
    }

    fn request(ts: i64, method: &str, url: &str, status: i64, error: Option<&str>) -> String {
        let error = error.map_or(String::new(), |e| format!(r#","error":"{e}""#));
        format!(
            r#"{{"type":6,"data":{{"plugin":"rrweb/network@1","payload":{{"requests":[{{"name":"{url}","method":"{method}","status":{status},"startTime":1,"endTime":2,"duration":312.4,"initiatorType":"fetch"{error}}}]}}}},"timestamp":{}}}"#,
            T + ts
        )
    }

    fn run(events: &[String]) -> Vec<Output> {
        let mut a = Analyzer::new(Settings::default());
        for e in events {
            a.push(&Event::parse(e).expect("test events are valid"));
        }
        a.finish();
        a.drain()
    }

    /// Outputs as lines: facts as totals, then each other output.
    fn render(outputs: &[Output]) -> Vec<String> {
        let mut facts = SessionFacts::default();
        let mut lines = Vec::new();
        for o in outputs {
            facts.add(o);
            let at = o.ts - T;
            match &o.item {
                Item::Count { .. } => {}
                Item::Url(u) => lines.push(format!("url {u}")),
                Item::Viewport { width, height } => {
                    lines.push(format!("viewport {width}x{height}"))
                }
                Item::Event(e) => lines.push(format!(
                    "@{at} {} | {}",
                    e.kind.event_type(),
                    e.display_name
                )),
                Item::ScreenText(t) => lines.push(format!("text {t}")),
                Item::ConsoleText { level, text } => lines.push(format!("console {level} {text}")),
            }
        }
        for (fact, n) in &facts.counts {
            lines.push(format!("{}={n}", fact.name()));
        }
        lines
    }

    /// One signal case: every `expect` line is among the rendered outputs, no `forbid` line
    /// is, and a `forbid` ending in `*` forbids every line starting with it.
    fn check(name: &str, events: &[String], expect: &[&str], forbid: &[&str]) {
        let lines = render(&run(events));
        for want in expect {
            assert!(
                lines.iter().any(|l| l == want),
                "{name}: missing {want:?} in {lines:#?}"
            );
        }
        for bad in forbid {
            let hit = match bad.strip_suffix('*') {
                Some(prefix) => lines.iter().any(|l| l.starts_with(prefix)),
                None => lines.iter().any(|l| l == bad),
            };
            assert!(!hit, "{name}: unexpected {bad:?} in {lines:#?}");
        }
    }

    fn stream(parts: &[Vec<String>]) -> Vec<String> {
        parts.concat()
    }

    #[test]
    fn signal_cases() {
        let home = || load(0, "https://shop.test/checkout?step=2#pay");
        /// (name, events, lines expected, lines forbidden)
        type Case<'a> = (&'a str, Vec<String>, Vec<&'a str>, Vec<&'a str>);
        let cases: Vec<Case<'_>> = vec![
            (
                "three quick clicks 40 px apart are not rage",
                stream(&[
                    home(),
                    vec![
                        click(100, 20, 100, 100),
                        click(300, 20, 140, 100),
                        click(500, 20, 180, 100),
                    ],
                ]),
                vec!["click_count=3"],
                vec!["rage_click_count*", "@100 [reel] Rage Click*"],
            ),
            (
                "three clicks within 30 px and 1 s are one rage click",
                stream(&[
                    home(),
                    vec![
                        click(100, 12, 100, 100),
                        click(600, 12, 110, 100),
                        click(1500, 12, 110, 120),
                        mutate(1600),
                    ],
                ]),
                vec![
                    "rage_click_count=1",
                    "@100 [reel] Rage Click | Rage clicked 'Pay now' button",
                    "click_count=3",
                ],
                vec!["dead_click_count*"],
            ),
            (
                "a slow third click ends the burst",
                stream(&[
                    home(),
                    vec![
                        click(100, 20, 100, 100),
                        click(600, 20, 100, 100),
                        click(1700, 20, 100, 100),
                    ],
                ]),
                vec!["click_count=3"],
                vec!["rage_click_count*"],
            ),
            (
                "five clicks are still one rage click",
                stream(&[
                    home(),
                    (0..5)
                        .map(|i| click(100 + i * 200, 20, 100 + i, 100))
                        .collect(),
                ]),
                vec!["rage_click_count=1"],
                vec![],
            ),
            (
                "a click followed by a mutation after 2 s is not dead",
                stream(&[
                    home(),
                    vec![click(100, 11, 5, 5), mutate(2100), mouse_move(9000)],
                ]),
                vec!["@100 [reel] Element Clicked | Clicked 'Pay now' button"],
                vec!["dead_click_count*", "@100 [reel] Dead Click*"],
            ),
            (
                "after 3 s with nothing it is dead",
                stream(&[home(), vec![click(100, 11, 5, 5), mouse_move(3100)]]),
                vec![
                    "dead_click_count=1",
                    "@100 [reel] Dead Click | Dead click on 'Pay now' button",
                ],
                vec![],
            ),
            (
                "the data ending inside the window is not dead",
                stream(&[home(), vec![click(100, 11, 5, 5), mouse_move(1000)]]),
                vec![],
                vec!["dead_click_count*"],
            ),
            (
                "a mutation at the window's end keeps it alive",
                stream(&[
                    home(),
                    vec![click(100, 11, 5, 5), mutate(2600), mouse_move(5000)],
                ]),
                vec![],
                vec!["dead_click_count*"],
            ),
            (
                "a mutation just after the window does not",
                stream(&[home(), vec![click(100, 11, 5, 5), mutate(2601)]]),
                vec!["dead_click_count=1"],
                vec![],
            ),
            (
                "a click on plain text is never dead",
                stream(&[home(), vec![click(100, 21, 5, 5), mouse_move(5000)]]),
                vec!["@100 [reel] Element Clicked | Clicked 'Welcome to the shop' p"],
                vec!["dead_click_count*"],
            ),
            (
                "download links, new-tab links and mailto are not dead",
                stream(&[
                    home(),
                    vec![
                        click(100, 31, 5, 5),
                        click(5000, 33, 50, 5),
                        click(10_000, 91, 90, 5),
                        mouse_move(20_000),
                    ],
                ]),
                vec!["@100 [reel] Element Clicked | Clicked 'Report' link"],
                vec!["dead_click_count*"],
            ),
            (
                "clicking a field or its label is not dead",
                stream(&[
                    home(),
                    vec![
                        click(100, 40, 5, 5),
                        click(5000, 42, 50, 5),
                        mouse_move(20_000),
                    ],
                ]),
                vec![
                    "@100 [reel] Element Clicked | Clicked 'Email' field",
                    "@5000 [reel] Element Clicked | Clicked 'Email' label",
                ],
                vec!["dead_click_count*"],
            ),
            (
                "a scroll within 100 ms keeps it alive, a later one does not",
                stream(&[
                    home(),
                    vec![
                        click(100, 51, 5, 5),
                        scroll(200),
                        click(5000, 51, 5, 5),
                        scroll(5101),
                        mouse_move(9000),
                    ],
                ]),
                vec![
                    "dead_click_count=1",
                    "@5000 [reel] Dead Click | Dead click on 'Apply' button",
                ],
                vec!["@100 [reel] Dead Click*"],
            ),
            (
                "a navigation within the window keeps it alive",
                stream(&[
                    home(),
                    vec![click(100, 11, 5, 5)],
                    load(900, "https://shop.test/done"),
                    vec![mouse_move(9000)],
                ]),
                vec![
                    "page_view_count=2",
                    "@900 [reel] Page Viewed | Viewed /done",
                ],
                vec!["dead_click_count*"],
            ),
            (
                "a rage burst on a dead button is one rage and one dead click",
                stream(&[
                    home(),
                    vec![
                        click(100, 12, 100, 100),
                        click(300, 12, 100, 100),
                        click(500, 12, 100, 100),
                        mouse_move(9000),
                    ],
                ]),
                vec![
                    "rage_click_count=1",
                    "dead_click_count=1",
                    "@100 [reel] Dead Click | Dead click on 'Pay now' button",
                ],
                vec![],
            ),
            (
                "a click whose handler throws is an error click",
                stream(&[
                    home(),
                    vec![
                        click(100, 51, 5, 5),
                        console(
                            150,
                            "error",
                            &["promo code service returned an invalid response"],
                        ),
                        console(300, "error", &["Uncaught Error: Cannot apply promo code"]),
                        mutate(400),
                    ],
                ]),
                vec![
                    "error_click_count=1",
                    "runtime_error_count=1",
                    "console_error_count=2",
                    "@100 [reel] Error Click | Error after clicking 'Apply' button",
                    "@300 [reel] Runtime Error | Runtime error: Uncaught Error: Cannot apply promo code",
                    "@150 [reel] Console Error | Console error: promo code service returned an invalid response",
                ],
                vec!["dead_click_count*"],
            ),
            (
                "an error 1.5 s after the click is not an error click",
                stream(&[
                    home(),
                    vec![
                        click(100, 51, 5, 5),
                        mutate(200),
                        console(1600, "error", &["Uncaught TypeError: x is undefined"]),
                    ],
                ]),
                vec!["runtime_error_count=1"],
                vec!["error_click_count*"],
            ),
            (
                "a console.error is not a runtime error",
                stream(&[
                    home(),
                    vec![
                        click(100, 51, 5, 5),
                        mutate(150),
                        console(200, "error", &["Error: failed to load", "{\"code\":7}"]),
                    ],
                ]),
                vec![
                    "console_error_count=1",
                    "@200 [reel] Console Error | Console error: Error: failed to load {\"code\":7}",
                ],
                vec!["runtime_error_count*", "error_click_count*"],
            ),
            (
                "unhandled rejections and opaque errors are runtime errors",
                stream(&[
                    home(),
                    vec![
                        console(
                            100,
                            "error",
                            &["Uncaught (in promise) TypeError: Failed to fetch"],
                        ),
                        console(200, "error", &["Uncaught (in promise)", "nope"]),
                        console(300, "error", &["Script error."]),
                    ],
                ]),
                vec!["runtime_error_count=3", "console_error_count=3"],
                vec!["[reel] Console Error*"],
            ),
            (
                "an error is attributed to the latest click only",
                stream(&[
                    home(),
                    vec![
                        click(100, 51, 5, 5),
                        click(2000, 12, 300, 300),
                        console(2100, "error", &["Uncaught Error: x"]),
                        console(2200, "error", &["Uncaught Error: y"]),
                        mutate(2300),
                    ],
                ]),
                vec![
                    "error_click_count=1",
                    "@2000 [reel] Error Click | Error after clicking 'Pay now' button",
                ],
                vec!["@100 [reel] Error Click*"],
            ),
            (
                "console levels",
                stream(&[
                    home(),
                    vec![
                        console(100, "log", &["hello"]),
                        console(110, "info", &["fyi"]),
                        console(120, "warn", &["careful"]),
                        console(130, "debug", &["dbg"]),
                        console(140, "log", &["hello"]),
                    ],
                ]),
                vec![
                    "console_log_count=4",
                    "console_warn_count=1",
                    "console log hello",
                    "console warn careful",
                ],
                vec!["console_error_count*"],
            ),
            (
                "network errors: 5xx, 4xx, status 0 with an error; not 2xx",
                stream(&[
                    home(),
                    vec![
                        request(
                            100,
                            "post",
                            "https://shop.test/api/checkout?card=4242",
                            502,
                            None,
                        ),
                        request(200, "GET", "https://shop.test/api/cart", 200, None),
                        request(
                            300,
                            "GET",
                            "https://cdn.test/x.js?v=1#a",
                            0,
                            Some("TypeError: Failed to fetch"),
                        ),
                        request(400, "GET", "https://shop.test/missing", 404, None),
                    ],
                ]),
                vec![
                    "network_error_count=3",
                    "@100 [reel] Network Error | Request failed: POST /api/checkout (502)",
                    "@300 [reel] Network Error | Request failed: GET /x.js",
                ],
                vec!["@200 [reel] Network Error*"],
            ),
            (
                "URLs lose their query string and fragment",
                stream(&[
                    home(),
                    load(5000, "https://shop.test/checkout?step=3"),
                    load(9000, "https://shop.test/cart#top"),
                ]),
                vec![
                    "url https://shop.test/checkout",
                    "url https://shop.test/cart",
                    "page_view_count=3",
                    "viewport 1280x800",
                ],
                vec!["url https://shop.test/checkout?step=2#pay"],
            ),
            (
                "a Meta repeating the URL (a checkout) is not a page view",
                stream(&[
                    load(0, "https://shop.test/a"),
                    load(300_000, "https://shop.test/a"),
                ]),
                vec!["page_view_count=1"],
                vec!["@300000 [reel] Page Viewed*"],
            ),
            (
                "active time counts gaps up to the idle threshold",
                stream(&[vec![
                    mouse_move(0),
                    mouse_move(1000),
                    scroll(2000),
                    mouse_move(7001),
                    mouse_move(8001),
                    mouse_move(8001),
                ]]),
                vec!["active_ms=3000", "mouse_activity_count=5"],
                vec![],
            ),
            (
                "a gap of exactly the threshold is active",
                stream(&[vec![mouse_move(0), mouse_move(5000)]]),
                vec!["active_ms=5000"],
                vec![],
            ),
            (
                "typing is one Element Changed per run, never the value",
                stream(&[
                    home(),
                    vec![
                        input(100, 40, ""),
                        input(200, 40, ""),
                        input(300, 40, r#","userTriggered":true"#),
                        input(350, 40, r#","userTriggered":false"#),
                        blur(400, 40),
                        input(500, 80, ""),
                    ],
                ]),
                vec![
                    "keypress_count=4",
                    "@300 [reel] Element Changed | Changed 'Email' field",
                    "@500 [reel] Element Changed | Changed field",
                ],
                vec!["*hunter2*"],
            ),
            (
                "on-screen text: visible, masked, hidden, typed",
                stream(&[
                    home(),
                    vec![
                        add_text(100, 200, "Free shipping today"),
                        add_text(200, 201, "Welcome to the shop"),
                        add_text(300, 202, "** ***"),
                    ],
                ]),
                vec![
                    "text Pay now",
                    "text Welcome to the shop",
                    "text Report",
                    "text Free shipping today",
                ],
                vec![
                    "text Shop",
                    "text b { color: red }",
                    "text typed secret",
                    "text *** ****",
                    "text ** ***",
                    "text ****",
                ],
            ),
            (
                "masked text never labels an element",
                stream(&[
                    home(),
                    vec![click(100, 61, 5, 5), click(5000, 93, 50, 50), mutate(5100)],
                ]),
                vec![
                    "@100 [reel] Element Clicked | Clicked span",
                    "@5000 [reel] Element Clicked | Clicked 'Close dialog' button",
                ],
                vec!["@100 [reel] Element Clicked | Clicked '*"],
            ),
        ];
        for (name, events, expect, forbid) in &cases {
            check(name, events, expect, forbid);
        }
    }

    /// Console records as @rrweb/rrweb-plugin-console-record 2.1.1 emitted them in Chromium
    /// for: `console.error("...")`, `console.error(new Error(...))`, `console.error` of text
    /// starting with "Uncaught-", an uncaught throw, an unhandled rejection with an `Error`,
    /// and one with a plain value.
    #[test]
    fn real_console_plugin_records() {
        let payloads = [
            r#"{"level":"error","trace":["file:///tmp/uncaught/rec.html:7:34"],"payload":["\"promo code service returned an invalid response for code \\\"X\\\"\""]}"#,
            r#"{"level":"error","trace":["file:///tmp/uncaught/rec.html:8:34"],"payload":["\"Error: caught and logged\\n    at file:///tmp/uncaught/rec.html:8:40\\nEnd of stack for Error object\""]}"#,
            r#"{"level":"error","trace":["file:///tmp/uncaught/rec.html:9:34"],"payload":["\"Uncaught-looking text from the app\""]}"#,
            r#"{"level":"error","trace":["file:///tmp/uncaught/rec.html:10:32"],"payload":["\"Uncaught Error: Cannot apply promo code\""]}"#,
            r#"{"level":"error","trace":["file:///tmp/uncaught/rec.html:11:41"],"payload":["\"Uncaught (in promise) TypeError: Failed to fetch\""]}"#,
            r#"{"level":"error","trace":["unhandledrejectionHandler (file:///tmp/uncaught/plugin.js:420:17)"],"payload":["\"Uncaught (in promise)\"","\"plain reason\""]}"#,
        ];
        let events: Vec<String> = payloads
            .iter()
            .enumerate()
            .map(|(i, p)| {
                format!(
                    r#"{{"type":6,"data":{{"plugin":"rrweb/console@1","payload":{p}}},"timestamp":{}}}"#,
                    T + i as i64
                )
            })
            .collect();
        check(
            "real console plugin records",
            &events,
            &[
                "console_error_count=6",
                "runtime_error_count=3",
                "@0 [reel] Console Error | Console error: promo code service returned an invalid response for code \"X\"",
                "@1 [reel] Console Error | Console error: Error: caught and logged at file:///tmp/uncaught/rec.html:8:40 End of stack for…",
                "console error Error: caught and logged at file:///tmp/uncaught/rec.html:8:40 End of stack for Error object",
                "@2 [reel] Console Error | Console error: Uncaught-looking text from the app",
                "@3 [reel] Runtime Error | Runtime error: Uncaught Error: Cannot apply promo code",
                "@4 [reel] Runtime Error | Runtime error: Uncaught (in promise) TypeError: Failed to fetch",
                "@5 [reel] Runtime Error | Runtime error: Uncaught (in promise) plain reason",
                "console error Uncaught (in promise) plain reason",
            ],
            &[],
        );
    }

    #[test]
    fn element_properties() {
        let events = stream(&[
            load(0, "https://shop.test/checkout?x=1"),
            vec![click(100, 11, 12, 34), mutate(200)],
        ]);
        let outputs = run(&events);
        let clicked = outputs
            .iter()
            .find_map(|o| match &o.item {
                Item::Event(e) if e.kind == DerivedKind::ElementClicked => Some(e.clone()),
                _ => None,
            })
            .expect("a click");
        let props = serde_json::to_value(&clicked.properties).unwrap();
        assert_eq!(
            props,
            serde_json::json!({
                "[reel] Element Tag": "button",
                "[reel] Element Text": "Pay now",
                "[reel] Element ID": "pay",
                "[reel] Element Selector": "button#pay",
                "[reel] Element Test ID": "pay",
                "[reel] Element Label": "Pay now",
                "[reel] Element Interactive": true,
                "[reel] Page URL": "https://shop.test/checkout",
                "[reel] X": 12,
                "[reel] Y": 34,
            })
        );
        assert_eq!(clicked.id, format!("element-clicked:{}:10:0", T + 100));
        assert_eq!(clicked.node_id, Some(10));
    }

    #[test]
    fn rage_click_properties() {
        let events = stream(&[
            load(0, "https://shop.test/"),
            vec![
                click(100, 12, 100, 100),
                click(300, 12, 101, 100),
                click(700, 12, 102, 100),
                mutate(800),
            ],
        ]);
        let rage = run(&events)
            .into_iter()
            .find_map(|o| match o.item {
                Item::Event(e) if e.kind == DerivedKind::RageClick => Some((o.ts, e)),
                _ => None,
            })
            .expect("a rage click");
        assert_eq!(rage.0, T + 100);
        let p = &rage.1.properties;
        assert_eq!(p["[reel] Click Count"], 3);
        assert_eq!(p["[reel] Begin Time"], T + 100);
        assert_eq!(p["[reel] End Time"], T + 700);
        assert_eq!(p["[reel] Duration"], 600);
        assert_eq!(p["[reel] Element Tag"], "button");
    }

    /// A longer session touching every signal, for the contract tests.
    fn session() -> Vec<String> {
        stream(&[
            load(0, "https://shop.test/?a=1"),
            vec![
                mouse_move(50),
                click(100, 12, 100, 100),
                click(300, 12, 100, 100),
                click(500, 12, 100, 100),
                input(700, 40, ""),
                input(800, 40, ""),
                console(900, "error", &["Uncaught Error: x"]),
                add_text(1000, 300, "Thanks"),
                request(1100, "GET", "https://shop.test/api", 500, None),
                mouse_move(4000),
                click(4100, 51, 5, 5),
                scroll(4150),
                mouse_move(12_000),
            ],
            load(12_500, "https://shop.test/cart"),
            vec![
                click(13_000, 11, 5, 5),
                click(13_000, 51, 50, 50),
                console(13_000, "warn", &["w"]),
                mouse_move(16_000),
                click(17_000, 21, 5, 5),
                mutate(17_100),
            ],
            load(20_000, "https://shop.test/cart"),
            vec![click(20_500, 12, 9, 9), mouse_move(21_000)],
        ])
    }

    fn parsed(events: &[String]) -> Vec<Event> {
        events.iter().map(|e| Event::parse(e).unwrap()).collect()
    }

    #[test]
    fn drains_are_final_ordered_and_do_not_change_the_result() {
        let events = parsed(&session());
        let mut whole = Analyzer::new(Settings::default());
        for e in &events {
            whole.push(e);
        }
        whole.finish();
        let all_at_once = whole.drain();
        assert!(all_at_once.windows(2).all(|w| w[0].ts <= w[1].ts));

        for split in 0..=events.len() {
            let mut a = Analyzer::new(Settings::default());
            let mut got = Vec::new();
            let mut settled = i64::MIN;
            for (i, e) in events.iter().enumerate() {
                a.push(e);
                if i + 1 == split || i % 3 == 0 {
                    let s = a.settled_until();
                    assert!(s >= settled, "settled_until went back");
                    let batch = a.drain();
                    assert!(batch.iter().all(|o| o.ts >= settled && o.ts < s));
                    settled = s;
                    got.extend(batch);
                }
            }
            a.finish();
            assert_eq!(a.settled_until(), i64::MAX);
            let rest = a.drain();
            assert!(rest.iter().all(|o| o.ts >= settled));
            got.extend(rest);
            assert_eq!(got, all_at_once, "split at {split}");
        }
    }

    #[test]
    fn resuming_from_a_meta_gives_the_same_later_outputs() {
        let events = parsed(&session());
        let mut whole = Analyzer::new(Settings::default());
        let mut saved_points = Vec::new();
        let mut outputs = Vec::new();
        for e in &events {
            whole.push(e);
            saved_points.push(whole.settled_until());
            outputs.extend(whole.drain());
        }
        whole.finish();
        outputs.extend(whole.drain());
        let metas: Vec<usize> = events
            .iter()
            .enumerate()
            .filter(|(_, e)| e.kind == crate::EventKind::Meta)
            .map(|(i, _)| i)
            .collect();
        let mut checked = 0;
        for &saved in &saved_points {
            // The server feeds from the last Meta strictly before the saved point.
            let Some(&start) = metas.iter().rev().find(|&&i| events[i].timestamp < saved) else {
                continue;
            };
            let mut resumed = Analyzer::new(Settings::default());
            for e in &events[start..] {
                resumed.push(e);
            }
            resumed.finish();
            let again: Vec<Output> = resumed
                .drain()
                .into_iter()
                .filter(|o| o.ts >= saved)
                .collect();
            let want: Vec<Output> = outputs.iter().filter(|o| o.ts >= saved).cloned().collect();
            assert_eq!(again, want, "resumed from event {start} with saved {saved}");
            checked += 1;
        }
        assert!(checked > 5);
    }

    #[test]
    fn json_texts_entry_matches_events() {
        let texts = session();
        let via_texts = analyze_json_texts(texts.iter().map(String::as_str), Settings::default());
        assert_eq!(via_texts, run(&texts));
        let mut facts = SessionFacts::default();
        via_texts.iter().for_each(|o| facts.add(o));
        assert_eq!(facts.first_url.as_deref(), Some("https://shop.test/"));
        assert_eq!(facts.urls, ["https://shop.test/", "https://shop.test/cart"]);
        assert_eq!(facts.viewport, Some((1280, 800)));
        assert_eq!(facts.get(Fact::PageViewCount), 2);
        assert_eq!(facts.get(Fact::RageClickCount), 1);
        assert_eq!(facts.get(Fact::ErrorClickCount), 1);
        assert_eq!(facts.get(Fact::NetworkErrorCount), 1);
        // Not events: skipped.
        assert!(analyze_json_texts(["nope", "{}", "[]"], Settings::default()).is_empty());
    }

    #[test]
    fn derived_event_ids_are_unique_and_stable() {
        let outputs = run(&session());
        let ids: Vec<&str> = outputs
            .iter()
            .filter_map(|o| match &o.item {
                Item::Event(e) => Some(e.id.as_str()),
                _ => None,
            })
            .collect();
        let mut unique = ids.clone();
        unique.sort_unstable();
        unique.dedup();
        assert_eq!(unique.len(), ids.len(), "{ids:#?}");
        assert!(ids.contains(&format!("element-clicked:{}:50:0", T + 13_000).as_str()));
    }
}
