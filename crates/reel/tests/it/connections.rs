//! Sockets that never finish: partial headers, stalled bodies, idle keep-alive connections, and
//! more connections than the server will hold. Each is closed or refused, so honest clients
//! keep getting answers.

use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;

use crate::support::*;

/// How long a test waits for the server to act; far above the 1 s timeouts configured.
const DEADLINE: Duration = Duration::from_secs(15);

async fn connect(app: &TestApp) -> TcpStream {
    TcpStream::connect(app.base_url.trim_start_matches("http://"))
        .await
        .expect("connect")
}

/// Reads until the server closes the socket; returns what it sent. Panics if it stays open.
async fn read_until_closed(stream: &mut TcpStream, what: &str) -> String {
    let mut received = Vec::new();
    let read = tokio::time::timeout(DEADLINE, async {
        let mut buf = [0u8; 4096];
        loop {
            match stream.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => received.extend_from_slice(&buf[..n]),
            }
        }
    })
    .await;
    assert!(read.is_ok(), "{what}: still open after {DEADLINE:?}");
    String::from_utf8_lossy(&received).into_owned()
}

async fn short_timeouts() -> TestApp {
    TestApp::spawn_with(|c| {
        c.header_timeout_seconds = 1;
        c.body_timeout_seconds = 1;
    })
    .await
}

#[tokio::test]
async fn partial_headers_are_cut_off() {
    let app = short_timeouts().await;
    let mut stream = connect(&app).await;
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Slow: ")
        .await
        .unwrap();
    read_until_closed(&mut stream, "partial headers").await;
}

#[tokio::test]
async fn a_stalled_body_gets_408() {
    let app = short_timeouts().await;
    let session = now_ms();
    let mut stream = connect(&app).await;
    let head = format!(
        "POST /sessions/v2/track?device_id=d&session_id={session} HTTP/1.1\r\nHost: x\r\n\
         Authorization: Bearer {KEY}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{{\"version\":1"
    );
    stream.write_all(head.as_bytes()).await.unwrap();
    let answer = read_until_closed(&mut stream, "stalled body").await;
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
}

#[tokio::test]
async fn idle_keep_alive_connections_are_closed() {
    let app = short_timeouts().await;
    let mut stream = connect(&app).await;
    stream
        .write_all(b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        .await
        .unwrap();
    let answer = read_until_closed(&mut stream, "idle keep-alive").await;
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
}

#[tokio::test]
async fn connections_over_the_cap_are_refused_cleanly() {
    let app = TestApp::spawn_with(|c| c.max_connections = 4).await;
    let mut idle = Vec::new();
    for _ in 0..4 {
        idle.push(connect(&app).await);
    }
    // The fifth is answered at once, not left to time out.
    let mut extra = connect(&app).await;
    let answer = read_until_closed(&mut extra, "connection over the cap").await;
    assert!(answer.starts_with("HTTP/1.1 503"), "{answer}");
    assert!(answer.contains("Retry-After: 1"), "{answer}");

    // When the idle ones go, requests are served again.
    drop(idle);
    let served = tokio::time::timeout(DEADLINE, async {
        loop {
            match app.client.get(app.url("/healthz")).send().await {
                Ok(r) if r.status().is_success() => break,
                _ => tokio::task::yield_now().await,
            }
        }
    })
    .await;
    assert!(
        served.is_ok(),
        "no answer after the idle connections closed"
    );
}
