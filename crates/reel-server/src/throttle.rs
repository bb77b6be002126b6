//! Ingestion limits per project: events a second and bytes a second, each a token bucket that
//! holds [`BURST_SECONDS`] of its rate — a project may send that much at once, then its rate.
//! A request is admitted when both buckets hold what it costs (a request larger than a full
//! bucket costs a full bucket, so it passes once the project has been quiet long enough);
//! otherwise it is refused with the seconds until it would fit, and nothing of it is stored.
//! The SDKs retry: reel's after `Retry-After`, Amplitude's analytics SDK the events a 429 lists
//! 30 s later, all at once — a bucket holding several seconds takes such a wave of retries in,
//! so a burst that ends loses nothing.
//!
//! Bytes are the body as sent; events are counted once the body is decoded. A first check of
//! the bytes bucket before the body is read refuses a flood without reading it.
//!
//! Memory: one entry per project that sent a request with a valid key (projects are made by
//! admins, so this is bounded by them, not by traffic).

use std::collections::HashMap;
use std::sync::Mutex;

/// A project's limits; 0 means no limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Limits {
    pub events_per_second: u64,
    pub bytes_per_second: u64,
}

/// How many seconds of its rate a bucket holds.
pub const BURST_SECONDS: u64 = 10;

#[derive(Default)]
pub struct Throttle {
    projects: Mutex<HashMap<i64, Buckets>>,
}

#[derive(Debug, Clone, Copy, Default)]
struct Buckets {
    events: Bucket,
    bytes: Bucket,
}

/// Tokens and when they were counted; a new bucket is full.
#[derive(Debug, Clone, Copy, Default)]
struct Bucket {
    spent: f64,
    at_ms: i64,
}

impl Bucket {
    /// Tokens held at `now_ms` for a rate (capacity: [`BURST_SECONDS`] of it).
    fn refill(&mut self, rate: u64, now_ms: i64) {
        let elapsed = (now_ms - self.at_ms).max(0) as f64 / 1000.0;
        self.spent = (self.spent - elapsed * rate as f64).max(0.0);
        self.at_ms = now_ms.max(self.at_ms);
    }

    /// Milliseconds until `cost` fits (0: it fits now).
    fn wait_ms(&self, rate: u64, cost: u64) -> u64 {
        if rate == 0 {
            return 0;
        }
        let capacity = capacity(rate);
        let cost = (cost as f64).min(capacity);
        let free = capacity - self.spent;
        if free >= cost {
            0
        } else {
            ((cost - free) / rate as f64 * 1000.0).ceil() as u64
        }
    }

    fn take(&mut self, rate: u64, cost: u64) {
        if rate > 0 {
            self.spent += (cost as f64).min(capacity(rate));
        }
    }
}

fn capacity(rate: u64) -> f64 {
    rate as f64 * BURST_SECONDS as f64
}

/// Whole seconds to wait for `ms`, at least one.
fn seconds(ms: u64) -> u64 {
    ms.div_ceil(1000).max(1)
}

impl Throttle {
    /// Whether `bytes` would fit the project's bytes bucket now (nothing is taken): `Err` holds
    /// the seconds to wait.
    pub fn check_bytes(
        &self,
        project_id: i64,
        limits: Limits,
        bytes: u64,
        now_ms: i64,
    ) -> Result<(), u64> {
        if limits.bytes_per_second == 0 {
            return Ok(());
        }
        let mut projects = self.projects.lock().unwrap_or_else(|e| e.into_inner());
        let buckets = projects.entry(project_id).or_default();
        buckets.bytes.refill(limits.bytes_per_second, now_ms);
        match buckets.bytes.wait_ms(limits.bytes_per_second, bytes) {
            0 => Ok(()),
            wait => Err(seconds(wait)),
        }
    }

    /// Takes `events` and `bytes` from the project's buckets if both fit now, else takes
    /// nothing and answers the seconds to wait.
    pub fn admit(
        &self,
        project_id: i64,
        limits: Limits,
        events: u64,
        bytes: u64,
        now_ms: i64,
    ) -> Result<(), u64> {
        if limits.events_per_second == 0 && limits.bytes_per_second == 0 {
            return Ok(());
        }
        let mut projects = self.projects.lock().unwrap_or_else(|e| e.into_inner());
        let buckets = projects.entry(project_id).or_default();
        buckets.events.refill(limits.events_per_second, now_ms);
        buckets.bytes.refill(limits.bytes_per_second, now_ms);
        let wait = buckets
            .events
            .wait_ms(limits.events_per_second, events)
            .max(buckets.bytes.wait_ms(limits.bytes_per_second, bytes));
        if wait > 0 {
            return Err(seconds(wait));
        }
        buckets.events.take(limits.events_per_second, events);
        buckets.bytes.take(limits.bytes_per_second, bytes);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Buckets of 100 events and 10 000 bytes, refilled at a tenth of that a second.
    const LIMITS: Limits = Limits {
        events_per_second: 10,
        bytes_per_second: 1_000,
    };

    #[test]
    fn a_burst_is_refused_until_the_buckets_have_refilled_enough() {
        let throttle = Throttle::default();
        // (ms, events, bytes, answer)
        let steps: &[(i64, u64, u64, Result<(), u64>)] = &[
            (0, 60, 1_000, Ok(())),
            (0, 40, 1_000, Ok(())),
            (0, 1, 10, Err(1)),      // the events bucket is empty: 0.1 s for one
            (0, 25, 10, Err(3)),     // 2.5 s for 25
            (2_500, 25, 10, Ok(())), // two and a half seconds refilled 25
            (2_500, 1, 10, Err(1)),
            (12_500, 1_000, 10, Ok(())), // more than a bucket: a full bucket
            (12_600, 2, 10, Err(1)),     // a tenth of a second refilled one
            (22_600, 0, 50_000, Ok(())), // bytes alone, more than a bucket
            (22_600, 0, 1, Err(1)),
            (32_600, 10, 9_000, Ok(())),
            (32_600, 10, 2_000, Err(1)), // nothing is taken from the events bucket…
            (32_600, 90, 1_000, Ok(())), // …so 90 more events still fit
        ];
        for (i, (ms, events, bytes, want)) in steps.iter().enumerate() {
            assert_eq!(
                throttle.admit(7, LIMITS, *events, *bytes, *ms),
                *want,
                "step {i}"
            );
        }
    }

    #[test]
    fn no_limit_admits_everything_and_projects_are_apart() {
        let throttle = Throttle::default();
        let none = Limits {
            events_per_second: 0,
            bytes_per_second: 0,
        };
        for _ in 0..1_000 {
            assert_eq!(throttle.admit(1, none, 1_000_000, 1 << 30, 0), Ok(()));
        }
        assert_eq!(throttle.admit(2, LIMITS, 100, 0, 0), Ok(()));
        assert_eq!(throttle.admit(2, LIMITS, 1, 0, 0), Err(1));
        assert_eq!(throttle.admit(3, LIMITS, 100, 0, 0), Ok(()));
        // The check before reading takes nothing.
        assert_eq!(throttle.check_bytes(4, LIMITS, 10_000, 0), Ok(()));
        assert_eq!(throttle.check_bytes(4, LIMITS, 10_000, 0), Ok(()));
        assert_eq!(throttle.admit(4, LIMITS, 0, 10_000, 0), Ok(()));
        assert_eq!(throttle.check_bytes(4, LIMITS, 1, 0), Err(1));
    }
}
