//! Every pooled statement stops: at its deadline (inside reel's SQL functions too), when its
//! caller goes away, and when the store closes; the pool never runs out of connections.

use std::sync::Arc;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use rusqlite::Connection;

use super::pool::Pool;
use super::{SqliteStore, configure};
use crate::{MetaStore, StoreError};

/// Counts to a billion, calling `reel_phrase` on every row: minutes of work, all of it stoppable.
const ENDLESS: &str = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n \
     WHERE i < 1000000000) SELECT COUNT(*) FROM n WHERE reel_phrase('some words ' || i, 'other')";

fn pool(dir: &std::path::Path, size: usize, limit: Duration) -> (Arc<Pool>, Arc<AtomicBool>) {
    let closing = Arc::new(AtomicBool::new(false));
    let connections = (0..size)
        .map(|_| {
            let conn = Connection::open(dir.join("t.db")).unwrap();
            let watch = configure(&conn, &closing).unwrap();
            (conn, watch)
        })
        .collect();
    (Pool::new("test", connections, limit, "too slow"), closing)
}

fn count(pool: &Arc<Pool>, sql: &'static str) -> impl Future<Output = crate::Result<i64>> {
    let pool = pool.clone();
    async move {
        pool.run(move |c, _| Ok(c.query_row(sql, [], |r| r.get(0))?))
            .await
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_statement_past_its_deadline_stops_inside_functions() {
    let dir = tempfile::tempdir().unwrap();
    let (pool, _) = pool(dir.path(), 1, Duration::from_millis(200));
    let started = Instant::now();
    match count(&pool, ENDLESS).await {
        Err(StoreError::TimedOut(message)) => assert_eq!(message, "too slow"),
        other => panic!("{other:?}"),
    }
    // Stopped long before the count could end (it would take minutes), and the connection
    // serves the next statement.
    assert!(started.elapsed() < Duration::from_secs(30));
    assert_eq!(count(&pool, "SELECT 7").await.unwrap(), 7);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn callers_that_go_away_give_their_connections_back() {
    let dir = tempfile::tempdir().unwrap();
    let (pool, _) = pool(dir.path(), 2, Duration::from_secs(3600));
    // Twice as many callers as connections give up on endless statements.
    for _ in 0..4 {
        let gave_up = tokio::time::timeout(Duration::from_millis(50), count(&pool, ENDLESS)).await;
        assert!(gave_up.is_err(), "the statement cannot have ended");
    }
    // Each cancelled statement stopped and its connection came back: both answer again.
    let (a, b) = tokio::join!(count(&pool, "SELECT 1"), count(&pool, "SELECT 2"));
    assert_eq!((a.unwrap(), b.unwrap()), (1, 2));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn closing_the_store_stops_what_runs() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("t.db")).unwrap();
    let running = {
        let store = store.clone();
        tokio::spawn(async move {
            store
                .searchers
                .run(|c, _| Ok(c.query_row(ENDLESS, [], |r| r.get::<_, i64>(0))?))
                .await
        })
    };
    // Close once the statement is surely running: it has taken the only free permit of two.
    while store.searchers.available() == 2 {
        tokio::task::yield_now().await;
    }
    store.close();
    match running.await.unwrap() {
        Err(StoreError::Stopped(message)) => assert!(message.contains("closing"), "{message}"),
        other => panic!("{other:?}"),
    }
}
