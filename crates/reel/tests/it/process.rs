//! The binary as an operator meets it: its command line, its messages, and how it behaves when
//! the machine around it is hostile (no stderr, few file descriptors).

use std::process::Stdio;
use std::time::Duration;

use reqwest::{Response, StatusCode};

use crate::support::*;

#[test]
fn the_command_line_answers_like_a_tool_should() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("not-a-dir");
    std::fs::write(&file, "x").unwrap();
    let file = file.display().to_string();
    // (args, exit code, where the text goes, what it must say)
    let cases: Vec<(Vec<&str>, i32, &str, &str)> = vec![
        (vec![], 2, "stderr", "usage: reel <command>"),
        (vec!["help"], 0, "stdout", "usage: reel <command>"),
        (
            vec!["serve", "--help"],
            0,
            "stdout",
            "usage: reel <command>",
        ),
        (vec!["demo", "-h"], 0, "stdout", "--data-dir DIR"),
        (vec!["version"], 0, "stdout", "reel "),
        (
            vec!["serve", "--port", "1"],
            2,
            "stderr",
            "unknown option \"--port\"",
        ),
        (
            vec!["serve", "--listen", "localhost"],
            2,
            "stderr",
            "e.g. 127.0.0.1:8080",
        ),
        (
            vec!["serve", "--listen", "127.0.0.1:0", "--data-dir", &file],
            1,
            "stderr",
            "is a file, not a directory",
        ),
    ];
    for (args, code, stream, says) in cases {
        let (got_code, stdout, stderr) = run_reel(&args);
        let text = if stream == "stdout" { &stdout } else { &stderr };
        assert_eq!(got_code, code, "{args:?}: {stdout} {stderr}");
        assert!(text.contains(says), "{args:?} {stream}: {text}");
    }
}

#[test]
fn a_busy_port_is_reported_once() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().display().to_string();
    let (code, _, stderr) = run_reel(&["serve", "--listen", &addr, "--data-dir", &data]);
    assert_eq!(code, 1, "{stderr}");
    assert_eq!(
        stderr.matches("Address already in use").count(),
        1,
        "{stderr}"
    );
    assert!(
        stderr.contains(&format!("cannot listen on {addr}")),
        "{stderr}"
    );
}

/// With stderr unwritable, logging once panicked every request and killed the server at start.
#[tokio::test]
async fn an_unwritable_stderr_costs_no_answer() {
    let dir = tempfile::tempdir().unwrap();
    let full = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/full")
        .unwrap();
    let mut server = Launch::new(dir.path())
        .env("REEL_LOG", "debug")
        .stderr(Stdio::from(full))
        .start();
    let client = reqwest::Client::new();
    let session = now_ms() - 60_000;
    for _ in 0..3 {
        // An upload, a rejected upload (logs a warning) and a query.
        let ok = client
            .post(format!(
                "{}/sessions/v2/track?device_id=d&session_id={session}",
                server.base_url
            ))
            .bearer_auth(KEY)
            .body(
                serde_json::json!({"version": 1, "events": page(session, "https://x.test/")})
                    .to_string(),
            )
            .send()
            .await
            .expect("answered");
        assert_eq!(ok.status(), StatusCode::OK);
        let bad = client
            .post(format!(
                "{}/sessions/v2/track?device_id=d&session_id={session}",
                server.base_url
            ))
            .bearer_auth(KEY)
            .body(r#"{"version":1,"events":["{\"type\":3}"]}"#)
            .send()
            .await
            .expect("answered");
        assert_eq!(bad.status(), StatusCode::BAD_REQUEST);
        let list = client
            .get(format!("{}/api/v1/replays", server.base_url))
            .bearer_auth(ADMIN_TOKEN)
            .send()
            .await
            .expect("answered");
        assert_eq!(list.status(), StatusCode::OK);
    }
    assert!(server.is_running());
}

/// Starts reel in `dir` under `limit` (a `ulimit` command) and opens 300 idle sockets to it.
async fn start_crowded(
    dir: &std::path::Path,
    limit: &str,
) -> (RealServer, Vec<tokio::net::TcpStream>) {
    let server = Launch::new(dir).shell_prefix(limit).start();
    let addr = server.base_url.trim_start_matches("http://").to_owned();
    let mut sockets = Vec::with_capacity(300);
    for _ in 0..300 {
        sockets.push(
            tokio::net::TcpStream::connect(&addr)
                .await
                .expect("connect"),
        );
    }
    (server, sockets)
}

async fn healthz(client: &reqwest::Client, server: &RealServer) -> reqwest::Result<Response> {
    client
        .get(format!("{}/healthz", server.base_url))
        .send()
        .await
}

/// Before: with a 1024-descriptor limit, 1100 idle sockets made every request time out.
#[tokio::test]
async fn idle_sockets_cannot_exhaust_file_descriptors() {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(10))
        .build()
        .unwrap();
    // A hard limit of 256: reel keeps its connections under it and refuses the rest at once.
    let dir = tempfile::tempdir().unwrap();
    let (mut server, idle) = start_crowded(dir.path(), "ulimit -n 256").await;
    let answer = healthz(&client, &server)
        .await
        .expect("an answer, not a timeout");
    assert_eq!(answer.status(), StatusCode::SERVICE_UNAVAILABLE);
    assert!(answer.headers().contains_key("retry-after"));
    drop(idle);
    eventually(Duration::from_secs(15), async || {
        match healthz(&client, &server).await {
            Ok(r) if r.status().is_success() => Ok(()),
            _ => Err("served again once the idle sockets closed".to_owned()),
        }
    })
    .await;
    assert!(server.is_running());

    // Only the soft limit is low: reel raises it to the hard limit at start and serves all.
    let dir = tempfile::tempdir().unwrap();
    let (server, idle) = start_crowded(dir.path(), "ulimit -S -n 256").await;
    let answer = healthz(&client, &server).await.expect("answered");
    assert_eq!(answer.status(), StatusCode::OK);
    drop(idle);
}
