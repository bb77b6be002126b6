//! A few PostgreSQL connections shared by every request: opened when first needed, put back
//! after use, forgotten when their connection broke (the next request opens a new one).

use std::ops::{Deref, DerefMut};
use std::sync::Mutex;
use std::time::Duration;

use tokio::sync::{OwnedSemaphorePermit, Semaphore};
use tokio_postgres::{Client, Config, NoTls};

use crate::{Result, StoreError};

pub(crate) struct Pool {
    config: Config,
    idle: Mutex<Vec<Client>>,
    permits: std::sync::Arc<Semaphore>,
    limit: Duration,
}

/// A connection in use; back to the pool when dropped, unless its connection broke.
pub(crate) struct Conn<'p> {
    pool: &'p Pool,
    client: Option<Client>,
    _permit: OwnedSemaphorePermit,
}

impl Pool {
    pub(crate) fn new(config: Config, size: usize, limit: Duration) -> Self {
        Self {
            config,
            idle: Mutex::new(Vec::new()),
            permits: std::sync::Arc::new(Semaphore::new(size)),
            limit,
        }
    }

    /// A connection, waiting for one when all are in use.
    pub(crate) async fn get(&self) -> Result<Conn<'_>> {
        let permit = self
            .permits
            .clone()
            .acquire_owned()
            .await
            .map_err(|_| StoreError::Stopped("the database pool is closed"))?;
        let reused = {
            let mut idle = self.idle.lock().expect("pool lock");
            let mut found = None;
            while let Some(c) = idle.pop() {
                if !c.is_closed() {
                    found = Some(c);
                    break;
                }
            }
            found
        };
        let client = match reused {
            Some(c) => c,
            None => self.open().await?,
        };
        Ok(Conn {
            pool: self,
            client: Some(client),
            _permit: permit,
        })
    }

    async fn open(&self) -> Result<Client> {
        let connecting = self.config.connect(NoTls);
        let (client, connection) = tokio::time::timeout(Duration::from_secs(10), connecting)
            .await
            .map_err(|_| unreachable(&self.config, "no answer in 10 s"))?
            .map_err(|e| unreachable(&self.config, &e.to_string()))?;
        tokio::spawn(async move {
            if let Err(e) = connection.await {
                tracing::warn!(error = %e, "PostgreSQL connection closed");
            }
        });
        // Every statement ends by the deadline, whoever runs it.
        client
            .batch_execute(&format!(
                "SET statement_timeout = {}; SET lock_timeout = {}",
                self.limit.as_millis(),
                self.limit.as_millis()
            ))
            .await?;
        Ok(client)
    }
}

/// The start check's error: which setting, which server, why (never the password).
fn unreachable(config: &Config, why: &str) -> StoreError {
    let hosts: Vec<String> = config
        .get_hosts()
        .iter()
        .zip(config.get_ports().iter().chain(std::iter::repeat(&5432)))
        .map(|(h, p)| match h {
            tokio_postgres::config::Host::Tcp(h) => format!("{h}:{p}"),
            #[cfg(unix)]
            tokio_postgres::config::Host::Unix(path) => path.display().to_string(),
        })
        .collect();
    StoreError::Invalid(format!(
        "database_url: cannot reach PostgreSQL at {} (database {}): {why}",
        hosts.join(", "),
        config.get_dbname().unwrap_or("(default)")
    ))
}

impl Deref for Conn<'_> {
    type Target = Client;
    fn deref(&self) -> &Client {
        self.client.as_ref().expect("client until dropped")
    }
}

impl DerefMut for Conn<'_> {
    fn deref_mut(&mut self) -> &mut Client {
        self.client.as_mut().expect("client until dropped")
    }
}

impl Drop for Conn<'_> {
    fn drop(&mut self) {
        if let Some(c) = self.client.take()
            && !c.is_closed()
        {
            self.pool.idle.lock().expect("pool lock").push(c);
        }
    }
}
