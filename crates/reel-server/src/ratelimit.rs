//! Counting failures per key (a client address, an account) in fixed windows. In memory on
//! purpose: it protects the process that holds it, and a restart forgets only attempts.
//!
//! Memory is bounded whatever clients send: a key is kept as a 128-bit keyed hash (an attacker
//! choosing the emails cannot make it grow, nor aim collisions at an account without the
//! process's random seed), and at most [`MAX_ENTRIES`] keys are remembered, the one whose
//! window started longest ago making room for a new one — about 6 MB per limiter at most.

use std::collections::{HashMap, VecDeque};
use std::sync::Mutex;

/// Keys remembered at most, per limiter, unless configured (`login_limiter_entries`).
pub const MAX_ENTRIES: usize = 50_000;

pub struct FailureLimiter {
    limit: u32,
    window_ms: i64,
    capacity: usize,
    seed: u64,
    state: Mutex<State>,
}

#[derive(Default)]
struct State {
    entries: HashMap<u128, Entry>,
    /// Keys in the order their windows started; an item whose `seq` is no longer its entry's
    /// is stale (the window restarted, or the key was forgotten) and skipped.
    order: VecDeque<(u128, u64)>,
    next_seq: u64,
}

struct Entry {
    start_ms: i64,
    failures: u32,
    seq: u64,
}

impl FailureLimiter {
    pub fn with_capacity(limit: u32, window_ms: i64, capacity: usize) -> Self {
        let mut seed = [0u8; 8];
        // Without randomness the seed is fixed: keys stay bounded, collisions become guessable.
        let _ = getrandom::fill(&mut seed);
        Self {
            limit,
            window_ms,
            capacity: capacity.max(1),
            seed: u64::from_le_bytes(seed),
            state: Mutex::new(State::default()),
        }
    }

    fn hash(&self, key: &str) -> u128 {
        xxhash_rust::xxh3::xxh3_128_with_seed(key.as_bytes(), self.seed)
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// `Some(seconds to wait)` when `key` used up its failures in the current window.
    pub fn blocked(&self, key: &str, now_ms: i64) -> Option<u64> {
        let state = self.state();
        let entry = state.entries.get(&self.hash(key))?;
        let ends = entry.start_ms + self.window_ms;
        (entry.failures >= self.limit && now_ms < ends)
            .then(|| ((ends - now_ms) as u64).div_ceil(1000))
    }

    pub fn fail(&self, key: &str, now_ms: i64) {
        let hash = self.hash(key);
        let mut state = self.state();
        let state = &mut *state;
        let seq = state.next_seq;
        match state.entries.get_mut(&hash) {
            Some(entry) if now_ms < entry.start_ms + self.window_ms => {
                entry.failures = entry.failures.saturating_add(1);
                return;
            }
            Some(entry) => {
                *entry = Entry {
                    start_ms: now_ms,
                    failures: 1,
                    seq,
                };
            }
            None => {
                while state.entries.len() >= self.capacity {
                    let Some((oldest, oldest_seq)) = state.order.pop_front() else {
                        break;
                    };
                    if state
                        .entries
                        .get(&oldest)
                        .is_some_and(|e| e.seq == oldest_seq)
                    {
                        state.entries.remove(&oldest);
                    }
                }
                state.entries.insert(
                    hash,
                    Entry {
                        start_ms: now_ms,
                        failures: 1,
                        seq,
                    },
                );
            }
        }
        state.next_seq += 1;
        state.order.push_back((hash, seq));
        if state.order.len() > 2 * self.capacity {
            // Drop stale items so the queue stays within twice the entries.
            let entries = &state.entries;
            state
                .order
                .retain(|(key, seq)| entries.get(key).is_some_and(|e| e.seq == *seq));
        }
    }

    pub fn forget(&self, key: &str) {
        self.state().entries.remove(&self.hash(key));
    }

    /// Keys remembered now.
    pub fn len(&self) -> usize {
        self.state().entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_block_until_the_window_ends() {
        let limiter = FailureLimiter::with_capacity(3, 10_000, MAX_ENTRIES);
        // (step, key, action, now, want blocked)
        enum Do {
            Fail,
            Check(Option<u64>),
            Forget,
        }
        let steps = [
            ("a", Do::Fail, 0),
            ("a", Do::Fail, 100),
            ("a", Do::Check(None), 200),
            ("a", Do::Fail, 300),
            ("a", Do::Check(Some(10)), 300),
            ("a", Do::Check(Some(1)), 9_500),
            ("b", Do::Check(None), 9_500),
            ("a", Do::Check(None), 10_000),
            ("a", Do::Fail, 10_001),
            ("a", Do::Check(None), 10_002),
            ("a", Do::Fail, 10_003),
            ("a", Do::Fail, 10_004),
            ("a", Do::Check(Some(10)), 10_005),
            ("a", Do::Forget, 10_006),
            ("a", Do::Check(None), 10_007),
        ];
        for (i, (key, action, now)) in steps.into_iter().enumerate() {
            match action {
                Do::Fail => limiter.fail(key, now),
                Do::Forget => limiter.forget(key),
                Do::Check(want) => assert_eq!(limiter.blocked(key, now), want, "step {i}"),
            }
        }
    }

    #[test]
    fn the_oldest_windows_make_room_and_entries_stay_at_the_cap() {
        let limiter = FailureLimiter::with_capacity(1, 1_000_000, 100);
        for i in 0..5_000 {
            limiter.fail(&format!("attacker-{i}@example.com"), i);
            assert!(limiter.len() <= 100);
            assert!(limiter.state().order.len() <= 200);
        }
        assert_eq!(limiter.len(), 100);
        // The newest hundred are remembered (one failure blocks here); older ones were evicted.
        let blocked = |i: i64| limiter.blocked(&format!("attacker-{i}@example.com"), 2_000);
        assert!(blocked(4_999).is_some());
        assert!(blocked(4_900).is_some());
        assert_eq!(blocked(4_899), None);
        assert_eq!(blocked(0), None);
    }

    #[test]
    fn a_restarted_window_counts_as_new() {
        let limiter = FailureLimiter::with_capacity(1, 10, 2);
        limiter.fail("a", 0);
        limiter.fail("b", 5);
        // a's window restarts: now b's is the oldest and goes first.
        limiter.fail("a", 20);
        limiter.fail("c", 21);
        assert!(limiter.blocked("a", 22).is_some());
        assert!(limiter.blocked("c", 22).is_some());
        assert_eq!(limiter.len(), 2);
    }
}
