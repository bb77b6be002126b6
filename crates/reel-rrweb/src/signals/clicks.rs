//! The verdicts on clicks (definitions in the module documentation of [`super`]): rage
//! clicks (bursts close in time and space), dead clicks (nothing changed within the window)
//! and error clicks (a runtime error soon after). Every click is also an Element Clicked
//! event. At most [`MAX_PENDING_CLICKS`] clicks are watched at once.

use serde_json::Map;

use super::derived::{put_xy, readable};
use super::{Analyzer, DerivedKind, Fact};
use crate::attribution::{Element, describe};
use crate::model::MouseInteractionData;

/// Most clicks whose windows are watched at once; older ones are settled early (not dead).
pub const MAX_PENDING_CLICKS: usize = 256;

#[derive(Debug, Clone)]
pub(super) struct Chain {
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
pub(super) struct PendingClick {
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

impl Analyzer {
    /// Settles the clicks whose windows ended before `ts`: dead clicks are emitted, error
    /// windows close, and a rage chain whose next click would be too late is closed.
    pub(super) fn settle_clicks(&mut self, ts: i64) {
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
    }

    /// The earliest time a click verdict may still be emitted at (`i64::MAX`: none).
    pub(super) fn clicks_unsettled_from(&self) -> i64 {
        let mut s = i64::MAX;
        for c in &self.clicks {
            if c.dead_pending || c.error == Some(ErrorWindow::Open) {
                s = s.min(c.ts);
            }
        }
        if let Some(ch) = &self.chain {
            s = s.min(ch.first_ts);
        }
        s
    }

    pub(super) fn drop_settled_clicks(&mut self) {
        self.clicks.retain(|c| c.dead_pending || c.error.is_some());
    }

    /// The page changed: pending clicks within their window are alive.
    pub(super) fn dom_changed(&mut self, ts: i64) {
        self.answer_clicks(ts, self.settings.dead_mutation_window_ms);
    }

    /// A scroll or selection change: pending clicks within the short window are alive.
    pub(super) fn scrolled(&mut self, ts: i64) {
        self.answer_clicks(ts, self.settings.dead_scroll_window_ms);
    }

    /// Pending clicks at most `window` before `ts` were answered: they are not dead.
    fn answer_clicks(&mut self, ts: i64, window: i64) {
        for c in self.clicks.iter_mut() {
            if c.dead_pending && ts <= c.ts.saturating_add(window) {
                c.alive = true;
                c.dead_pending = false;
            }
        }
    }

    pub(super) fn on_click(&mut self, ts: i64, d: &MouseInteractionData) {
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

    pub(super) fn close_chain(&mut self) {
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

    pub(super) fn emit_dead_click(
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

    /// A runtime error at `ts`: the latest click within the window is an Error Click (once).
    pub(super) fn error_click(&mut self, ts: i64, message: &str) {
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
