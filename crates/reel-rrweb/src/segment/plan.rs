//! Where a session is cut into segments: at keyframes, whole keyframe-to-keyframe runs per
//! segment up to a size target.

use std::ops::Range;

use crate::{Event, EventType};

/// Where a time-ordered session is cut into segments: each range starts at a keyframe (a Meta
/// directly followed by a FullSnapshot) — except the first, which starts at the first event —
/// and takes whole keyframe-to-keyframe runs while its raw size stays within
/// `target_raw_bytes`. A run larger than the target is a segment of its own.
pub fn plan_segments(events: &[Event], target_raw_bytes: usize) -> Vec<Range<usize>> {
    let is_key = |i: usize| {
        events[i].kind == EventType::Meta
            && events
                .get(i + 1)
                .is_some_and(|e| e.kind == EventType::FullSnapshot)
    };
    // Keyframe-to-keyframe runs, with their sizes.
    let mut runs: Vec<(Range<usize>, usize)> = Vec::new();
    for (i, e) in events.iter().enumerate() {
        if i == 0 || is_key(i) {
            runs.push((i..i, 0));
        }
        let last = runs.last_mut().expect("a run was started at 0");
        last.0.end = i + 1;
        last.1 += e.json().len();
    }
    let mut segments: Vec<(Range<usize>, usize)> = Vec::new();
    for (run, size) in runs {
        match segments.last_mut() {
            Some((range, total)) if *total + size <= target_raw_bytes => {
                range.end = run.end;
                *total += size;
            }
            _ => segments.push((run, size)),
        }
    }
    segments.into_iter().map(|(r, _)| r).collect()
}
