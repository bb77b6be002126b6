//! What stops a statement on a pooled connection: its deadline, its caller going away, or the
//! store closing. SQLite checks the watch between steps of the virtual machine (a progress
//! handler) and reel's SQL functions check it on every call, so work inside a function stops
//! too; cancelling also interrupts the connection, which reaches what runs between steps
//! (sorting, a long b-tree walk).

use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, LazyLock, Mutex};
use std::time::{Duration, Instant};

use rusqlite::{Connection, InterruptHandle};

use crate::StoreError;

/// Virtual-machine steps between two looks at the watch.
const STEPS_PER_CHECK: i32 = 1_000;

/// Deadlines are kept as nanoseconds since this moment, so a check is two atomic loads.
static ORIGIN: LazyLock<Instant> = LazyLock::new(Instant::now);

fn nanos(at: Instant) -> u64 {
    at.saturating_duration_since(*ORIGIN).as_nanos() as u64
}

/// Why a statement stopped.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Stopped {
    Deadline,
    Cancelled,
    Closing,
}

/// One connection's watch. A run is one use of the connection by one caller; runs are numbered
/// so that a late cancel of a finished run can never stop the next one.
pub(super) struct Watch {
    deadline: AtomicU64,
    /// The run being cancelled (runs start at 1).
    cancelled_run: AtomicU64,
    closing: Arc<AtomicBool>,
    /// The current run and whether it is under way; cancel interrupts only that run.
    run: Mutex<(u64, bool)>,
    interrupt: InterruptHandle,
}

impl Watch {
    /// Watches `conn`: installs the progress handler. `closing` is shared by every connection
    /// of the store. A connection that is never lent through a pool has no deadline and cannot
    /// be cancelled; only closing stops it.
    pub(super) fn install(conn: &Connection, closing: Arc<AtomicBool>) -> Arc<Self> {
        let watch = Arc::new(Self {
            deadline: AtomicU64::new(u64::MAX),
            cancelled_run: AtomicU64::new(0),
            closing,
            run: Mutex::new((0, false)),
            interrupt: conn.get_interrupt_handle(),
        });
        let seen = watch.clone();
        conn.progress_handler(STEPS_PER_CHECK, Some(move || seen.stopped().is_some()));
        watch
    }

    /// Whether the current statement must stop, and why.
    pub(super) fn stopped(&self) -> Option<Stopped> {
        if self.closing.load(Ordering::Relaxed) {
            return Some(Stopped::Closing);
        }
        let (run, under_way) = *self.run.lock().unwrap_or_else(|e| e.into_inner());
        if under_way && self.cancelled_run.load(Ordering::Relaxed) == run {
            return Some(Stopped::Cancelled);
        }
        (nanos(Instant::now()) > self.deadline.load(Ordering::Relaxed)).then_some(Stopped::Deadline)
    }

    /// For SQL functions: an error that fails the statement once it must stop.
    pub(super) fn check(&self) -> rusqlite::Result<()> {
        match self.stopped() {
            None => Ok(()),
            Some(why) => Err(rusqlite::Error::UserFunctionError(
                format!("statement stopped: {why:?}").into(),
            )),
        }
    }

    /// Starts run `id` with a deadline.
    pub(super) fn begin(&self, id: u64, limit: Duration) {
        *self.run.lock().unwrap_or_else(|e| e.into_inner()) = (id, true);
        self.deadline
            .store(nanos(Instant::now() + limit), Ordering::Relaxed);
    }

    pub(super) fn end(&self) {
        self.run.lock().unwrap_or_else(|e| e.into_inner()).1 = false;
        self.deadline.store(u64::MAX, Ordering::Relaxed);
    }

    /// Stops run `id` if it is still under way.
    pub(super) fn cancel(&self, id: u64) {
        let run = self.run.lock().unwrap_or_else(|e| e.into_inner());
        if *run == (id, true) {
            self.cancelled_run.store(id, Ordering::Relaxed);
            self.interrupt.interrupt();
        }
    }

    /// Runs `f` with the deadline brought forward to `deadline` (never pushed back), then
    /// restores the run's own. `Ok(None)` when `f` failed because that deadline passed.
    pub(super) fn within<T>(
        &self,
        deadline: Instant,
        f: impl FnOnce() -> crate::Result<T>,
    ) -> crate::Result<Option<T>> {
        let own = self.deadline.load(Ordering::Relaxed);
        self.deadline
            .store(own.min(nanos(deadline)), Ordering::Relaxed);
        let result = f();
        let passed = self.stopped() == Some(Stopped::Deadline);
        self.deadline.store(own, Ordering::Relaxed);
        match result {
            Ok(v) => Ok(Some(v)),
            Err(_) if passed => Ok(None),
            Err(e) => Err(e),
        }
    }

    /// `error` as what stopped it, when something did: a deadline is [`StoreError::TimedOut`].
    pub(super) fn explain(&self, error: StoreError, timeout_message: &str) -> StoreError {
        match self.stopped() {
            Some(Stopped::Deadline) => StoreError::TimedOut(timeout_message.to_owned()),
            Some(Stopped::Cancelled) => StoreError::Stopped("the caller went away"),
            Some(Stopped::Closing) => StoreError::Stopped("the store is closing"),
            None => error,
        }
    }
}
