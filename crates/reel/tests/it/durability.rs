//! What was acknowledged survives: a clean restart, a SIGKILL right after the answer, and —
//! since a killed process keeps its page cache — a check that every byte and directory entry an
//! answer depends on was fsynced before the answer was sent.

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

    let server = RealServer::start(dir.path());
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

    let server = RealServer::start(dir.path());
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

/// A killed process keeps its page cache, so a SIGKILL test passes even without a single fsync.
/// This one watches the system calls instead: before the upload's `200` leaves the socket, the
/// chunk's object, every directory entry leading to it and the database's write-ahead log must
/// have been fsynced. Remove any of those fsyncs and it fails.
#[tokio::test]
async fn an_answer_is_sent_only_after_its_data_is_fsynced() {
    let dir = tempfile::tempdir().expect("temp dir");
    let data_dir = dir.path().join("data");
    let trace_path = dir.path().join("trace.txt");
    let server = RealServer::start(&data_dir);
    let data_dir = data_dir.canonicalize().expect("data dir exists");

    // Attach to the running server (all its threads) and wait until strace says it is in.
    let mut strace = std::process::Command::new("strace")
        .args([
            "-f",
            "-y",
            "-s",
            "64",
            "-e",
            "trace=fsync,fdatasync,write,writev,sendto,sendmsg",
            "-o",
        ])
        .arg(&trace_path)
        .args(["-p", &server.pid().to_string()])
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("strace runs (the CI installs it)");
    let stderr = strace.stderr.take().expect("piped");
    let mut lines = std::io::BufRead::lines(std::io::BufReader::new(stderr));
    let attached = lines
        .by_ref()
        .map_while(Result::ok)
        .any(|l| l.contains("attached"));
    assert!(attached, "strace could not attach to the server");
    std::thread::spawn(move || lines.for_each(drop));

    let session = now_ms() - 60_000;
    let response = reqwest::Client::new()
        .post(format!(
            "{}/sessions/v2/track?device_id=d-fsync&session_id={session}",
            server.base_url
        ))
        .bearer_auth(KEY)
        .body(
            serde_json::json!({"version": 1, "events": page(session, "https://shop.test/")})
                .to_string(),
        )
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::OK);
    server.kill();
    strace.wait().expect("strace ends with its tracee");

    let trace = std::fs::read_to_string(&trace_path).expect("trace written");
    let answer_at = trace
        .lines()
        .position(|l| l.contains("<socket:[") && l.contains("HTTP/1.1 200"))
        .unwrap_or_else(|| panic!("no HTTP answer in the trace:\n{trace}"));
    let synced: Vec<&str> = trace
        .lines()
        .take(answer_at)
        .filter(|l| l.contains("fsync(") || l.contains("fdatasync("))
        .filter_map(|l| {
            l.split_once('<')
                .and_then(|(_, rest)| rest.split_once('>'))
                .map(|(p, _)| p)
        })
        .collect();

    let objects = data_dir.join("objects");
    let chunk = find_files(&objects, "zst");
    assert_eq!(chunk.len(), 1, "one chunk object: {chunk:?}");
    let chunk_path = chunk[0].display().to_string();
    let Some(object_synced) = synced.iter().position(|p| *p == chunk_path) else {
        panic!("the chunk object was not fsynced before the answer: {synced:?}");
    };
    // After the object: every directory entry that leads to it, then the database rows that
    // point at it (objects first: a crash in between leaves an orphan, never a dangling row).
    let after = &synced[object_synced + 1..];
    let mut must: Vec<std::path::PathBuf> = chunk[0]
        .ancestors()
        .skip(1)
        .take_while(|d| d.starts_with(&objects))
        .map(|d| d.to_path_buf())
        .collect();
    must.push(data_dir.join("reel.db-wal"));
    let missing: Vec<String> = must
        .iter()
        .map(|p| p.display().to_string())
        .filter(|p| !after.contains(&p.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "not fsynced between the object and the answer: {missing:?}\nfsynced: {synced:?}"
    );
}

fn find_files(dir: &std::path::Path, extension: &str) -> Vec<std::path::PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(d) = pending.pop() {
        for entry in std::fs::read_dir(&d).expect("readable dir") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                pending.push(path);
            } else if path.extension().is_some_and(|e| e == extension) {
                found.push(path);
            }
        }
    }
    found
}

/// A crash between an object's write and its row's commit leaves an object no row names. The
/// sweep removes such objects (and half-written staging files) once they are older than the
/// grace period, and nothing a row names.
#[tokio::test]
async fn objects_no_row_names_are_swept_after_the_grace_period() {
    let mut app = TestApp::spawn_with(|c| c.orphan_grace_seconds = 600).await;
    let session = now_ms() - 60_000;
    let events = page(session, "https://shop.test/");
    app.track_ok("d-sweep", session, &events).await;
    let objects = app.data_dir().join("objects");
    let kept_before = find_files(&objects, "zst").len() + find_files(&objects, "dict").len();

    let folder = objects.join("recordings/1/00000000000000000000000000000000");
    std::fs::create_dir_all(&folder).unwrap();
    let hour_ago = std::time::SystemTime::now() - std::time::Duration::from_secs(3600);
    let write = |name: &str, old: bool| {
        let path = folder.join(name);
        let file = std::fs::File::create(&path).unwrap();
        if old {
            file.set_modified(hour_ago).unwrap();
        }
        path
    };
    let old_orphan = write("1-abc-plain.zst", true);
    let fresh_orphan = write("2-def-plain.zst", false);
    let old_staging = write("3-ghi-plain.zst#1", true);

    app.restart().await; // the sweep runs at start
    let swept = tokio::time::timeout(std::time::Duration::from_secs(15), async {
        while old_orphan.exists() || old_staging.exists() {
            tokio::task::yield_now().await;
        }
    })
    .await;
    assert!(swept.is_ok(), "old orphans are still there");
    assert!(
        fresh_orphan.exists(),
        "an object younger than the grace period stays"
    );
    let kept_after = find_files(&objects, "zst").len() + find_files(&objects, "dict").len();
    assert_eq!(
        kept_after,
        kept_before + 1,
        "named objects stay (plus the fresh orphan)"
    );
    assert_eq!(
        app.events(&replay_id("d-sweep", session)).await,
        parsed(&events)
    );
}
