//! On-screen text (text nodes the mirror reports as shown) and the per-page budgets that
//! de-duplicate and cap it and the console texts: masked text (only `*` and whitespace) is
//! never emitted; each text at most once per page.

use std::collections::HashSet;

use super::{Analyzer, Buffered, Item, Settings};
use crate::mirror::{Mirror, TextSink};
use crate::text::{collapse, is_masked};

#[derive(Debug, Default)]
pub(super) struct TextBudget {
    seen: HashSet<u64>,
    bytes: usize,
}

impl TextBudget {
    /// Whether `key` is new and fits; records it if so.
    pub(super) fn admit(
        &mut self,
        key: &[u8],
        len: usize,
        max_bytes: usize,
        max_items: usize,
    ) -> bool {
        if self.seen.len() >= max_items || self.bytes + len > max_bytes {
            return false;
        }
        if !self.seen.insert(xxhash_rust::xxh3::xxh3_64(key)) {
            return false;
        }
        self.bytes += len;
        true
    }

    pub(super) fn reset(&mut self) {
        self.seen.clear();
        self.bytes = 0;
        if self.seen.capacity() > 4096 {
            self.seen.shrink_to(4096);
        }
    }
}

impl Analyzer {
    /// Runs a change of the mirror with the sink that records the text it shows at `ts`.
    pub(super) fn with_screen(
        &mut self,
        ts: i64,
        change: impl FnOnce(&mut Mirror, &mut ScreenSink<'_>),
    ) {
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
}

/// Feeds the on-screen text the mirror reports into the outputs.
pub(super) struct ScreenSink<'s> {
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
