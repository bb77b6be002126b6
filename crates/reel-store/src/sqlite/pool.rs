//! A fixed set of connections handed out one at a time. A caller waits (asynchronously) for a
//! free one and uses it on the blocking pool. The connection goes back — and only then its
//! permit — when the work ends, also when it panics: the pool can never hand out more than it
//! has, and never runs out while a permit is free. Each use has a deadline, and a caller that
//! goes away (a client that hung up) stops its statement, so a connection is never held by work
//! nobody waits for.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rusqlite::Connection;
use tokio::sync::Semaphore;

use super::watch::Watch;
use crate::{Result, StoreError};

pub(super) struct Pool {
    name: &'static str,
    free: Mutex<Vec<(Connection, Arc<Watch>)>>,
    permits: Arc<Semaphore>,
    /// How long one use may take, and what the caller is told when it took longer.
    limit: Duration,
    timeout_message: &'static str,
    runs: AtomicU64,
}

impl Pool {
    /// A pool of `connections`, each with its [`Watch`].
    pub(super) fn new(
        name: &'static str,
        connections: Vec<(Connection, Arc<Watch>)>,
        limit: Duration,
        timeout_message: &'static str,
    ) -> Arc<Self> {
        let permits = Arc::new(Semaphore::new(connections.len()));
        Arc::new(Self {
            name,
            free: Mutex::new(connections),
            permits,
            limit,
            timeout_message,
            runs: AtomicU64::new(0),
        })
    }

    /// Connections free right now.
    #[cfg(test)]
    pub(super) fn available(&self) -> usize {
        self.permits.available_permits()
    }

    /// Runs `f` on a connection of the pool, off the async threads.
    pub(super) async fn run<T: Send + 'static>(
        self: &Arc<Self>,
        f: impl FnOnce(&mut Connection, &Watch) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| StoreError::Task(format!("the {} pool is closed", self.name)))?;
        // A permit means a free connection: permits go back after their connections.
        let (conn, watch) = self
            .free
            .lock()
            .map_err(|_| StoreError::Task(format!("the {} pool is poisoned", self.name)))?
            .pop()
            .ok_or_else(|| StoreError::Task(format!("the {} pool has no connection", self.name)))?;
        let id = self.runs.fetch_add(1, Ordering::Relaxed) + 1;
        watch.begin(id, self.limit);
        // Dropped when this future is: before the work ended, that cancels it.
        let mut caller = CallerGone {
            watch: Some(watch.clone()),
            id,
        };
        let pool = self.clone();
        let result = tokio::task::spawn_blocking(move || {
            let mut lent = Lent {
                conn: Some(conn),
                watch,
                pool: &pool,
            };
            let conn = lent.conn.as_mut().expect("lent until dropped");
            let result = f(conn, &lent.watch);
            let result = result.map_err(|e| lent.watch.explain(e, pool.timeout_message));
            // The connection goes back (dropping `lent`) before the permit does.
            drop(lent);
            drop(permit);
            result
        })
        .await
        .map_err(|e| StoreError::Task(e.to_string()));
        caller.watch = None;
        result?
    }
}

/// A connection out of its pool; going out of scope (a panic included) ends its run and puts it
/// back.
struct Lent<'a> {
    conn: Option<Connection>,
    watch: Arc<Watch>,
    pool: &'a Pool,
}

impl Drop for Lent<'_> {
    fn drop(&mut self) {
        self.watch.end();
        if let (Some(conn), Ok(mut free)) = (self.conn.take(), self.pool.free.lock()) {
            free.push((conn, self.watch.clone()));
        }
    }
}

/// Cancels a run when the future waiting for it is dropped.
struct CallerGone {
    /// `None` once the run's answer arrived.
    watch: Option<Arc<Watch>>,
    id: u64,
}

impl Drop for CallerGone {
    fn drop(&mut self) {
        if let Some(watch) = &self.watch {
            watch.cancel(self.id);
        }
    }
}
