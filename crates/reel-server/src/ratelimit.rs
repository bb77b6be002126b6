//! Counting failures per key (a client address, an account) in fixed windows. In memory on
//! purpose: it protects the process that holds it, and a restart forgets only attempts.

use std::collections::HashMap;
use std::sync::Mutex;

/// Keys kept at most; beyond, expired windows are dropped, and if that is not enough, all of
/// them (an attacker with millions of addresses gets a fresh start, memory stays bounded).
const MAX_KEYS: usize = 100_000;

pub struct FailureLimiter {
    limit: u32,
    window_ms: i64,
    windows: Mutex<HashMap<String, (i64, u32)>>,
}

impl FailureLimiter {
    pub fn new(limit: u32, window_ms: i64) -> Self {
        Self {
            limit,
            window_ms,
            windows: Mutex::new(HashMap::new()),
        }
    }

    /// `Some(seconds to wait)` when `key` used up its failures in the current window.
    pub fn blocked(&self, key: &str, now_ms: i64) -> Option<u64> {
        let windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        let &(start, failures) = windows.get(key)?;
        let ends = start + self.window_ms;
        (failures >= self.limit && now_ms < ends).then(|| ((ends - now_ms) as u64).div_ceil(1000))
    }

    pub fn fail(&self, key: &str, now_ms: i64) {
        let mut windows = self.windows.lock().unwrap_or_else(|e| e.into_inner());
        if windows.len() >= MAX_KEYS && !windows.contains_key(key) {
            let window = self.window_ms;
            windows.retain(|_, (start, _)| now_ms < *start + window);
            if windows.len() >= MAX_KEYS {
                windows.clear();
            }
        }
        let entry = windows.entry(key.to_owned()).or_insert((now_ms, 0));
        if now_ms >= entry.0 + self.window_ms {
            *entry = (now_ms, 0);
        }
        entry.1 = entry.1.saturating_add(1);
    }

    pub fn forget(&self, key: &str) {
        self.windows
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .remove(key);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn failures_block_until_the_window_ends() {
        let limiter = FailureLimiter::new(3, 10_000);
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
    fn keys_stay_bounded() {
        let limiter = FailureLimiter::new(1, 1_000);
        for i in 0..(MAX_KEYS + 10) {
            limiter.fail(&i.to_string(), 0);
        }
        assert!(limiter.windows.lock().unwrap().len() <= MAX_KEYS);
    }
}
