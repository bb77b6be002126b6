//! Recordings' objects in an S3-compatible store (`blob_url = s3://BUCKET/PREFIX`): what a
//! user notices is the same as with local files — a recording plays back byte for byte,
//! compaction and deletion take their objects out of the bucket, the orphan sweep works there —
//! and the data dir holds no recording object. A store that cannot be used stops the start
//! with one sentence naming the setting to fix.

use std::path::Path;
use std::sync::Arc;

use reel_engine::ManualClock;
use reel_server::{Application, Config};
use reqwest::StatusCode;

use crate::garage_server::GarageServer;
use crate::s3_server::{BUCKET, ObjectServer, S3Server};
use crate::support::*;

const PREFIX: &str = "node-a";

fn on_s3(server: &dyn ObjectServer) -> impl FnOnce(&mut Config) + use<> {
    let settings = server.settings();
    move |c: &mut Config| {
        quick_processing(c);
        c.replaced_object_grace_seconds = 0;
        c.blob_url = Some(format!("s3://{BUCKET}/{PREFIX}"));
        c.s3 = settings;
    }
}

/// No file of the data dir is a recording's object: only the database is kept there.
fn assert_no_object_in(data_dir: &Path) {
    assert!(!data_dir.join("objects").exists(), "an objects folder");
    let files = files_under(data_dir);
    assert!(files.iter().all(|f| f.starts_with("reel.db")), "{files:?}");
}

/// Every session reads back byte for byte, as sent.
async fn plays_back(app: &TestApp, sessions: &[reel_testdata::Recording], when: &str) {
    for (i, recording) in sessions.iter().enumerate() {
        let id = replay_id(&format!("s3-{i}"), first_ts(&recording.events));
        assert!(
            events_text(&app.client, &app.base_url, &id).await == expected_text(&recording.events),
            "{}: the events differ {when}",
            recording.name
        );
    }
}

#[tokio::test]
async fn a_recording_in_the_bucket_plays_back_and_leaves_with_compaction_and_deletion() {
    plays_back_and_leaves_with_compaction_and_deletion(&S3Server::start().await).await;
}

/// The same on Garage, a distributed store: its listings, deletes and errors are a real
/// cluster's.
#[tokio::test]
async fn on_garage_a_recording_plays_back_and_leaves_with_compaction_and_deletion() {
    plays_back_and_leaves_with_compaction_and_deletion(&GarageServer::start().await).await;
}

async fn plays_back_and_leaves_with_compaction_and_deletion(s3: &dyn ObjectServer) {
    let app = TestApp::spawn_with(on_s3(s3)).await;
    let sessions: Vec<_> = reel_testdata::workload().into_iter().take(3).collect();
    for (i, recording) in sessions.iter().enumerate() {
        let session = first_ts(&recording.events);
        upload(&app, &format!("s3-{i}"), session, &recording.events, 40).await;
    }
    // Before compaction, the chunks are in the bucket (and the replays play).
    plays_back(&app, &sessions, "before compaction").await;
    until_compacted(app.data_dir()).await;
    // Compaction replaced the chunks' objects by segments: the bucket holds exactly the
    // objects rows name.
    until_objects_are_those_named(app.data_dir(), || s3.objects(PREFIX)).await;
    assert!(s3.objects(PREFIX).iter().any(|k| k.ends_with(".seg")));
    assert!(!s3.objects(PREFIX).iter().any(|k| k.ends_with(".zst")));
    plays_back(&app, &sessions, "after compaction").await;
    assert_no_object_in(app.data_dir());
    // Deleting every replay empties the bucket.
    for (i, recording) in sessions.iter().enumerate() {
        let id = replay_id(&format!("s3-{i}"), first_ts(&recording.events));
        let response = app
            .client
            .delete(app.url(&format!("/api/v1/replays/{id}")))
            .bearer_auth(ADMIN_TOKEN)
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::NO_CONTENT);
    }
    app.state.engine.settle_objects(false).await.unwrap();
    until_objects_are_those_named(app.data_dir(), || s3.objects(PREFIX)).await;
    assert!(s3.objects(PREFIX).is_empty(), "{:?}", s3.objects(PREFIX));
    assert_no_object_in(app.data_dir());
}

#[tokio::test]
async fn the_orphan_sweep_deletes_objects_no_row_names_from_the_bucket() {
    let s3 = S3Server::start().await;
    let clock = Arc::new(ManualClock::at(now_ms()));
    let on_s3 = on_s3(&s3);
    let app = TestApp::spawn_with_clock(clock.clone(), |c| {
        on_s3(c);
        // The clock moves two hours below: compaction must not find the session idle then and
        // write a segment the names read before did not list.
        c.compaction_idle_seconds = 30 * 86_400;
    })
    .await;
    let session = now_ms() - 60_000;
    app.track_ok("sweep", session, &page(session, "https://shop.test/"))
        .await;
    // What a crash between an object's write and its row leaves behind.
    let orphan = "recordings/1/00000000000000000000000000000000/1-ff-plain.zst";
    app.state
        .engine
        .blobs()
        .put(orphan, b"left by a crash".to_vec())
        .await
        .unwrap();
    assert!(s3.objects(PREFIX).contains(orphan));
    let named = stored(app.data_dir()).named_objects().unwrap();
    assert!(!named.is_empty());

    // Within the grace period it stays: an upload may still be about to name it.
    let report = app.state.engine.sweep_orphans().await.unwrap();
    assert_eq!(report.removed, 0, "{report:?}");
    assert!(s3.objects(PREFIX).contains(orphan));

    clock.advance(2 * 3_600_000);
    let report = app.state.engine.sweep_orphans().await.unwrap();
    assert_eq!(report.removed, 1, "{report:?}");
    assert_eq!(s3.objects(PREFIX), named, "only the named objects are left");
}

/// Builds reel as `reel serve` does and returns why it did not start.
async fn start_error(tweak: impl FnOnce(&mut Config)) -> String {
    let dir = tempfile::tempdir().unwrap();
    let mut config = Config {
        listen: "127.0.0.1:0".into(),
        data_dir: dir.path().to_path_buf(),
        ..Default::default()
    };
    tweak(&mut config);
    let blob_url = config.blob_url.clone();
    match Application::build(config).await {
        Ok(_) => panic!("reel started with blob_url {blob_url:?}"),
        Err(e) => e.to_string(),
    }
}

#[tokio::test]
async fn a_store_that_cannot_be_used_stops_the_start_naming_the_setting() {
    let s3 = S3Server::start().await;
    let url = format!("s3://{BUCKET}/{PREFIX}");
    let nothing_listens = {
        let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://{}", listener.local_addr().unwrap())
    };
    type Tweak = Box<dyn FnOnce(&mut Config)>;
    let with = |url: &str, change: fn(&mut reel_server::S3Settings)| -> Tweak {
        let (url, mut settings) = (url.to_owned(), s3.settings());
        change(&mut settings);
        Box::new(move |c: &mut Config| {
            c.blob_url = Some(url);
            c.s3 = settings;
        })
    };
    let cases: Vec<(&str, Tweak, &[&str])> = vec![
        (
            "a scheme reel does not know",
            with("ftp://host/objects", |_| {}),
            &["blob_url", "ftp://host/objects", "s3://"],
        ),
        (
            "no bucket",
            with("s3://", |_| {}),
            &["blob_url", "no bucket"],
        ),
        (
            "no access key",
            with(&url, |s| s.access_key_id = None),
            &["AWS_ACCESS_KEY_ID"],
        ),
        (
            "no secret",
            with(&url, |s| s.secret_access_key = None),
            &["AWS_SECRET_ACCESS_KEY"],
        ),
        (
            "an endpoint that is no URL",
            with(&url, |s| s.endpoint = Some("127.0.0.1:9".into())),
            &["AWS_ENDPOINT_URL"],
        ),
        (
            "a wrong secret",
            with(&url, |s| s.secret_access_key = Some("wrong".into())),
            &["refused the credentials", "AWS_SECRET_ACCESS_KEY"],
        ),
        (
            "a missing bucket",
            with("s3://no-such-bucket/x", |_| {}),
            &["no bucket \"no-such-bucket\"", "blob_url"],
        ),
    ];
    for (what, tweak, expected) in cases {
        let message = start_error(tweak).await;
        for part in expected {
            assert!(
                message.contains(part),
                "{what}: {message:?} does not say {part:?}"
            );
        }
        assert!(!message.contains('\n'), "{what}: one line: {message:?}");
    }
    // Nothing answers at the endpoint: a refused connection fails the start at once.
    let unreachable = {
        let endpoint = nothing_listens.clone();
        let settings = reel_server::S3Settings {
            endpoint: Some(endpoint),
            ..s3.settings()
        };
        let url = url.clone();
        move |c: &mut Config| {
            c.blob_url = Some(url);
            c.s3 = settings;
        }
    };
    let message = start_error(unreachable).await;
    assert!(
        message.contains("cannot reach the object store")
            && message.contains("AWS_ENDPOINT_URL")
            && message.contains(&nothing_listens),
        "{message}"
    );
}

/// The binary reads `REEL_BLOB_URL` and the `AWS_*` variables; a missing credential ends it
/// with the variable named, before it listens.
#[test]
fn the_binary_names_a_missing_variable() {
    let dir = tempfile::tempdir().unwrap();
    let output = std::process::Command::new(reel_binary())
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(dir.path())
        .env("REEL_BLOB_URL", "s3://bucket/reel")
        .env("AWS_ENDPOINT_URL", "http://127.0.0.1:9")
        .env("AWS_SECRET_ACCESS_KEY", "secret")
        .env_remove("AWS_ACCESS_KEY_ID")
        .env_remove("REEL_CONFIG")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("AWS_ACCESS_KEY_ID") && stderr.contains("blob_url"),
        "{stderr}"
    );
    assert_no_object_in(dir.path());
}

/// The binary with its objects in the bucket: an upload lands there, not in the data dir.
#[tokio::test]
async fn the_binary_keeps_uploads_in_the_bucket() {
    let s3 = S3Server::start().await;
    let dir = tempfile::tempdir().unwrap();
    let server = Launch::new(dir.path())
        .env("REEL_BLOB_URL", &format!("s3://{BUCKET}/binary"))
        .env("AWS_ENDPOINT_URL", &s3.endpoint)
        .env("AWS_REGION", "us-east-1")
        .env("AWS_ACCESS_KEY_ID", crate::s3_server::ACCESS_KEY)
        .env("AWS_SECRET_ACCESS_KEY", crate::s3_server::SECRET_KEY)
        .start();
    let session = now_ms() - 60_000;
    let body = serde_json::json!({"version": 1, "events": page(session, "https://shop.test/")});
    let response = reqwest::Client::new()
        .post(format!(
            "{}/sessions/v2/track?device_id=bin&session_id={session}&type=replay",
            server.base_url
        ))
        .bearer_auth(KEY)
        .body(body.to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let objects = s3.objects("binary");
    assert!(
        objects
            .iter()
            .any(|k| k.starts_with("recordings/") && k.ends_with(".zst")),
        "{objects:?}"
    );
    server.kill();
    assert_no_object_in(dir.path());
}
