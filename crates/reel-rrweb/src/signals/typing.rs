//! Element Changed: one derived event per run of input events on one element, with the
//! number of input events and never a value. A run ends at an input on another element, a
//! blur of the element, a Meta event, `idle_threshold_ms` without input, or the end of the
//! data.

use serde_json::Map;

use super::derived::readable;
use super::{Analyzer, DerivedKind};
use crate::attribution::{Element, describe};

#[derive(Debug, Clone)]
pub(super) struct InputRun {
    node_id: i64,
    last_ts: i64,
    count: u32,
    element: Option<Element>,
}

impl Analyzer {
    /// Closes the run when its element lost focus.
    pub(super) fn on_blur(&mut self, id: Option<i64>) {
        if id.is_some() && self.input_run.as_ref().map(|r| r.node_id) == id {
            self.close_input_run();
        }
    }

    /// Closes the run when no input came for `idle_threshold_ms` before `ts`.
    pub(super) fn settle_input_run(&mut self, ts: i64) {
        if self
            .input_run
            .as_ref()
            .is_some_and(|run| ts > run.last_ts.saturating_add(self.settings.idle_threshold_ms))
        {
            self.close_input_run();
        }
    }

    /// The earliest time the run's event may still be emitted at (`i64::MAX`: no run).
    pub(super) fn input_run_unsettled_from(&self) -> i64 {
        self.input_run.as_ref().map_or(i64::MAX, |run| run.last_ts)
    }

    pub(super) fn on_input(&mut self, ts: i64, id: i64) {
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

    pub(super) fn close_input_run(&mut self) {
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
}
