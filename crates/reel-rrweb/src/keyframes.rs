//! Where a window of the recording that shows a given time starts: at the latest keyframe (a
//! Meta directly followed by its FullSnapshot) at or before that time, so that the window plays
//! on its own. A stored piece records only its first keyframe, and a compacted segment holds
//! several, so the reader looks for the latest one while it reads: [`KeyframeWindow`] is that
//! search, fed one event at a time by whoever reads the store.
//!
//! Invariant: it holds at most the events of one keyframe-to-keyframe run (and the next Meta,
//! until its snapshot shows that it starts a keyframe), whatever it is fed.

use std::collections::VecDeque;

use crate::{Event, EventType};

/// The start of a window showing `from`: fed events in time order, starting at a keyframe,
/// until [`KeyframeWindow::push`] says it is complete.
#[derive(Debug)]
pub struct KeyframeWindow {
    from: i64,
    held: VecDeque<Event>,
    done: bool,
}

impl KeyframeWindow {
    /// A window showing `from` (epoch ms).
    pub fn new(from: i64) -> Self {
        Self {
            from,
            held: VecDeque::new(),
            done: false,
        }
    }

    /// Takes the next event. True once the window is complete (the first event after `from`
    /// was taken): stop reading then; anything pushed later is ignored.
    pub fn push(&mut self, event: Event) -> bool {
        if self.done {
            return true;
        }
        let starts_keyframe = event.kind == EventType::FullSnapshot
            && self
                .held
                .back()
                .is_some_and(|last| last.kind == EventType::Meta && last.timestamp <= self.from);
        if starts_keyframe {
            let meta = self.held.pop_back();
            self.held.clear();
            self.held.extend(meta);
            self.held.push_back(event);
            return false;
        }
        self.done = event.timestamp > self.from;
        self.held.push_back(event);
        self.done
    }

    /// What a window showing `from` needs: the events from the latest Meta directly followed by
    /// a FullSnapshot at or before `from` (from the first event when there is none) through
    /// the first event after `from`, or through the last event taken if none was after it.
    pub fn into_events(self) -> VecDeque<Event> {
        self.held
    }
}

#[cfg(test)]
#[path = "keyframes_tests.rs"]
mod tests;
