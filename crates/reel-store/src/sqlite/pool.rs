//! A fixed set of connections handed out one at a time. A caller waits (asynchronously) for a
//! free one, uses it on the blocking pool and gives it back — also when the work panics.

use std::sync::{Arc, Mutex};

use rusqlite::Connection;
use tokio::sync::Semaphore;

use crate::{Result, StoreError};

pub(super) struct Pool {
    name: &'static str,
    free: Mutex<Vec<Connection>>,
    permits: Semaphore,
}

impl Pool {
    pub(super) fn new(name: &'static str, connections: Vec<Connection>) -> Arc<Self> {
        let permits = Semaphore::new(connections.len());
        Arc::new(Self {
            name,
            free: Mutex::new(connections),
            permits,
        })
    }

    /// Runs `f` on a connection of the pool, off the async threads.
    pub(super) async fn run<T: Send + 'static>(
        self: &Arc<Self>,
        f: impl FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let permit = self
            .permits
            .acquire()
            .await
            .map_err(|_| StoreError::Task(format!("the {} pool is closed", self.name)))?;
        let pool = self.clone();
        let result = tokio::task::spawn_blocking(move || {
            let mut lent = Lent {
                conn: Some(pool.take()?),
                pool: &pool,
            };
            f(lent.conn.as_mut().expect("lent until dropped"))
        })
        .await
        .map_err(|e| StoreError::Task(e.to_string()))?;
        drop(permit);
        result
    }

    fn take(&self) -> Result<Connection> {
        self.free
            .lock()
            .map_err(|_| StoreError::Task(format!("the {} pool is poisoned", self.name)))?
            .pop()
            .ok_or_else(|| StoreError::Task(format!("the {} pool has no connection", self.name)))
    }
}

/// A connection out of its pool; going out of scope (a panic included) puts it back.
struct Lent<'a> {
    conn: Option<Connection>,
    pool: &'a Pool,
}

impl Drop for Lent<'_> {
    fn drop(&mut self) {
        if let (Some(conn), Ok(mut free)) = (self.conn.take(), self.pool.free.lock()) {
            free.push(conn);
        }
    }
}
