//! What was acknowledged survives: a clean restart, and a SIGKILL right after the answer.

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};

use reqwest::StatusCode;

use crate::support::*;

#[tokio::test]
async fn data_survives_a_restart() {
    let mut app = TestApp::spawn().await;
    let session = now_ms() - 60_000;
    let events: Vec<String> = [
        page(session, "https://shop.test/"),
        vec![mouse_move(session + 5, 1)],
        page(session + 10, "https://shop.test/next"),
    ]
    .concat();
    app.track_ok("d-restart", session, &events).await;
    let before = app.listed("d-restart", session).await;
    let old_url = app.base_url.clone();

    app.restart().await;
    assert_ne!(app.base_url, old_url, "a new port");
    assert_eq!(app.listed("d-restart", session).await, before);
    assert_eq!(
        app.events(&replay_id("d-restart", session)).await,
        parsed(&events)
    );
    // The restarted server keeps accepting uploads for the same session.
    app.track_ok("d-restart", session, &[mouse_move(session + 20, 2)])
        .await;
    assert_eq!(
        app.listed("d-restart", session).await["event_count"],
        events.len() + 1
    );
}

/// The real `reel` binary; killed when dropped so a failing test leaves no process behind.
struct Server {
    child: Child,
    base_url: String,
}

impl Server {
    fn start(data_dir: &Path) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_reel"))
            .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
            .arg(data_dir)
            .env("REEL_API_KEY", KEY)
            .env("REEL_ADMIN_EMAIL", ADMIN_EMAIL)
            .env("REEL_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .env("REEL_ADMIN_TOKEN", ADMIN_TOKEN)
            .env("REEL_LOG", "warn")
            .env_remove("REEL_CONFIG")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("the reel binary starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        // Keep reading to the end: a closed pipe would make the server's later writes fail.
        std::thread::spawn(move || {
            let mut tx = Some(tx);
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(url) = line.strip_prefix("reel listening on ")
                    && let Some(tx) = tx.take()
                {
                    let _ = tx.send(url.trim().to_owned());
                }
            }
        });
        let base_url = match rx.recv() {
            Ok(url) => url,
            Err(_) => {
                let status = child.wait();
                panic!("reel exited before listening: {status:?}");
            }
        };
        Self { child, base_url }
    }

    fn kill(mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("reaped");
    }
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn acknowledged_uploads_survive_sigkill() {
    let dir = tempfile::tempdir().expect("temp dir");
    let client = reqwest::Client::new();
    let session = now_ms() - 60_000;
    let batches: Vec<Vec<String>> = vec![
        page(session, "https://shop.test/"),
        vec![mouse_move(session + 10, 1), mouse_move(session + 20, 2)],
        [
            page(session + 30, "https://shop.test/pay"),
            vec![mouse_move(session + 40, 3)],
        ]
        .concat(),
    ];

    let server = Server::start(dir.path());
    for batch in &batches {
        let response = client
            .post(format!(
                "{}/sessions/v2/track?device_id=d-kill&session_id={session}",
                server.base_url
            ))
            .bearer_auth(KEY)
            .header(reqwest::header::CONTENT_ENCODING, "gzip")
            .body(gzip_bytes(
                serde_json::json!({"version": 1, "events": batch})
                    .to_string()
                    .as_bytes(),
            ))
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), StatusCode::OK);
    }
    server.kill();

    let server = Server::start(dir.path());
    let id = replay_id("d-kill", session);
    let all: Vec<String> = batches.concat();
    let (status, replay) = json_of(
        client
            .get(format!("{}/api/v1/replays/{id}", server.base_url))
            .bearer_auth(ADMIN_TOKEN)
            .send()
            .await
            .expect("sent"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{replay}");
    assert_eq!(replay["event_count"], all.len(), "{replay}");
    assert_eq!(replay["first_url"], "https://shop.test/");
    let (status, events) = json_of(
        client
            .get(format!("{}/api/v1/replays/{id}/events", server.base_url))
            .bearer_auth(ADMIN_TOKEN)
            .send()
            .await
            .expect("sent"),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{events}");
    assert_eq!(events, serde_json::Value::Array(parsed(&all)));
    server.kill();
}
