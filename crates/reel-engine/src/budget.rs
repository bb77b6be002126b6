//! A process-wide budget for the memory that requests spend on bodies: what is read from the
//! socket and what decoding makes of it. Traffic cannot raise memory past configuration: a
//! request reserves before it reads or inflates, waits briefly when the budget is spent, and is
//! refused (503 + `Retry-After`, which Amplitude's SDKs retry) when it still does not fit.
//!
//! Reservations grow while a body inflates, so a small gzip body that turns out to be a bomb
//! pays for what it becomes, not for what it claimed. Waiting is not first-come-first-served:
//! whoever fits goes, so one huge request cannot hold up many small ones behind it.
//!
//! Usable from async code ([`MemoryBudget::reserve`]) and from blocking threads
//! ([`Reservation::grow_blocking`]).

use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

#[derive(Clone)]
pub struct MemoryBudget(Arc<Inner>);

struct Inner {
    total: usize,
    available: Mutex<usize>,
    /// Wakes blocking waiters on release.
    released: Condvar,
    /// Wakes async waiters on release.
    notify: tokio::sync::Notify,
    wait: Duration,
}

/// The budget is spent and did not free up in time, or the amount asked for is more than the
/// whole budget (`never`: retrying cannot help; the request must be smaller).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Exhausted {
    pub never: bool,
}

const BUSY: Exhausted = Exhausted { never: false };
const NEVER: Exhausted = Exhausted { never: true };

/// Bytes held from the budget; given back on drop.
pub struct Reservation {
    budget: MemoryBudget,
    bytes: usize,
}

impl MemoryBudget {
    pub fn new(total: usize, wait: Duration) -> Self {
        Self(Arc::new(Inner {
            total,
            available: Mutex::new(total),
            released: Condvar::new(),
            notify: tokio::sync::Notify::new(),
            wait,
        }))
    }

    pub fn total(&self) -> usize {
        self.0.total
    }

    pub fn available(&self) -> usize {
        *self.0.available.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// An empty reservation to grow later.
    pub fn empty(&self) -> Reservation {
        Reservation {
            budget: self.clone(),
            bytes: 0,
        }
    }

    fn try_take(&self, held: usize, bytes: usize) -> Result<bool, Exhausted> {
        if held + bytes > self.0.total {
            // Could never fit: refuse now rather than after waiting.
            return Err(NEVER);
        }
        let mut available = self.0.available.lock().unwrap_or_else(|e| e.into_inner());
        if *available >= bytes {
            *available -= bytes;
            Ok(true)
        } else {
            Ok(false)
        }
    }

    /// Reserves `bytes`, waiting up to the configured time for other requests to give back.
    pub async fn reserve(&self, bytes: usize) -> Result<Reservation, Exhausted> {
        let mut reservation = self.empty();
        reservation.grow(bytes).await?;
        Ok(reservation)
    }

    fn give_back(&self, bytes: usize) {
        if bytes == 0 {
            return;
        }
        let mut available = self.0.available.lock().unwrap_or_else(|e| e.into_inner());
        *available = (*available + bytes).min(self.0.total);
        drop(available);
        self.0.released.notify_all();
        self.0.notify.notify_waiters();
    }
}

impl Reservation {
    pub fn bytes(&self) -> usize {
        self.bytes
    }

    /// Adds `bytes` to this reservation (async waiting).
    pub async fn grow(&mut self, bytes: usize) -> Result<(), Exhausted> {
        let deadline = tokio::time::Instant::now() + self.budget.0.wait;
        loop {
            let notified = self.budget.0.notify.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.budget.try_take(self.bytes, bytes)? {
                self.bytes += bytes;
                return Ok(());
            }
            if tokio::time::timeout_at(deadline, notified).await.is_err() {
                return Err(BUSY);
            }
        }
    }

    /// Adds `bytes` to this reservation from a blocking thread.
    pub fn grow_blocking(&mut self, bytes: usize) -> Result<(), Exhausted> {
        let inner = &self.budget.0;
        if self.bytes + bytes > inner.total {
            return Err(NEVER);
        }
        let deadline = Instant::now() + inner.wait;
        let mut available = inner.available.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            if *available >= bytes {
                *available -= bytes;
                self.bytes += bytes;
                return Ok(());
            }
            let now = Instant::now();
            if now >= deadline {
                return Err(BUSY);
            }
            available = inner
                .released
                .wait_timeout(available, deadline - now)
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }
}

impl Drop for Reservation {
    fn drop(&mut self) {
        self.budget.give_back(self.bytes);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn reservations_wait_then_give_up() {
        let budget = MemoryBudget::new(100, Duration::from_millis(50));
        let a = budget.reserve(60).await.unwrap();
        assert_eq!(budget.available(), 40);
        // Does not fit now, and nobody gives back in time.
        assert_eq!(budget.reserve(50).await.err(), Some(BUSY));
        // Never fits.
        assert_eq!(budget.reserve(101).await.err(), Some(NEVER));
        let mut growing = budget.reserve(10).await.unwrap();
        assert_eq!(growing.grow(91).await.err(), Some(NEVER));
        drop(growing);
        // Small requests still pass next to a waiting big one.
        let small = budget.reserve(30).await.unwrap();
        drop(small);
        drop(a);
        assert_eq!(budget.available(), 100);
    }

    #[tokio::test]
    async fn a_waiter_gets_what_is_given_back() {
        let budget = MemoryBudget::new(100, Duration::from_secs(5));
        let held = budget.reserve(90).await.unwrap();
        let waiter = {
            let budget = budget.clone();
            tokio::spawn(async move { budget.reserve(50).await.map(|r| r.bytes()) })
        };
        let blocking = {
            let budget = budget.clone();
            tokio::task::spawn_blocking(move || {
                let mut r = budget.empty();
                r.grow_blocking(40).map(|()| r.bytes())
            })
        };
        tokio::task::yield_now().await;
        drop(held);
        assert_eq!(waiter.await.unwrap(), Ok(50));
        assert_eq!(blocking.await.unwrap(), Ok(40));
        assert_eq!(budget.available(), 100);
    }
}
