//! `reel migrate`: an embedded data dir moved to PostgreSQL (control data) and an S3-compatible
//! store (recordings' objects), then started on them — what a user had is all there — and run
//! again without harm, as after an interruption.

use std::process::Command;

use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::postgres_server::PgServer;
use crate::s3_server::{BUCKET, ObjectServer, S3Server};
use crate::support::*;

fn migrate(args: &[&str], s3: &S3Server) -> std::process::Output {
    let settings = s3.settings();
    Command::new(reel_binary())
        .arg("migrate")
        .args(args)
        .env("AWS_ENDPOINT_URL", settings.endpoint.unwrap())
        .env("AWS_REGION", settings.region.unwrap())
        .env("AWS_ACCESS_KEY_ID", settings.access_key_id.unwrap())
        .env("AWS_SECRET_ACCESS_KEY", settings.secret_access_key.unwrap())
        .output()
        .expect("run reel migrate")
}

#[tokio::test]
async fn a_data_dir_moves_to_postgres_and_s3_and_runs_there() {
    let pg = PgServer::start().await;
    let s3 = S3Server::start().await;
    let url = pg.new_database("moved").await;

    // An embedded installation with a replay, a person, a saved search and a second project.
    let mut app = TestApp::spawn_with(quick_processing).await;
    let recording = reel_testdata::workload().into_iter().next().unwrap();
    let session = first_ts(&recording.events);
    upload(&app, "moved-device", session, &recording.events, 40).await;
    let replay = replay_id("moved-device", session);
    let (person, _) = app.person("pat@it.test", "member", 1).await;
    let (status, _) = app
        .call(
            Method::POST,
            "/saved-searches?project=1",
            Some(&json!({"name": "checkouts", "search": {}})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED);
    let (docs, docs_key) = app.project("Docs").await;
    let before = events_text(&app.client, &app.base_url, &replay).await;
    assert_eq!(before, expected_text(&recording.events));
    app.stop().await;

    let dir = format!("sqlite://{}", app.data_dir().display());
    let blobs = format!("s3://{BUCKET}/moved");
    let args = ["--from", &dir, "--to", &url, "--blobs", &blobs];
    let out = migrate(&args, &s3);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("control data copied"), "{stdout}");
    assert!(stdout.contains("counts equal"), "{stdout}");
    assert!(
        stdout.contains("recordings' index copied: 1 sessions"),
        "the replay's index goes to PostgreSQL: {stdout}"
    );
    assert!(
        stdout.contains("REEL_DATABASE_URL=postgres://reel:<password>@"),
        "{stdout}"
    );
    assert!(
        !stdout.contains(crate::postgres_server::PASSWORD),
        "{stdout}"
    );
    let objects = s3.objects("moved");
    assert!(
        !objects.is_empty(),
        "the recording's objects are in the bucket"
    );

    // Again, as after an interruption: nothing is copied twice, everything is verified.
    let out = migrate(&args, &s3);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("already there"), "{stdout}");
    assert!(
        stdout.contains("recordings' index: already there"),
        "{stdout}"
    );
    assert!(stdout.contains(&format!("({} sent", 0)), "{stdout}");
    assert_eq!(s3.objects("moved"), objects);

    // Started on them, with the recordings' objects gone from the data dir.
    std::fs::remove_dir_all(app.data_dir().join("objects")).unwrap();
    let settings = s3.settings();
    app.restart_with(move |c| {
        c.database_url = Some(url);
        c.blob_url = Some(blobs);
        c.s3 = settings;
    })
    .await;
    assert_eq!(
        events_text(&app.client, &app.base_url, &replay).await,
        before
    );
    let (_, me) = app.call(Method::GET, "/me", None).await;
    assert_eq!(me["projects"].as_array().map(Vec::len), Some(2), "{me}");
    let token = app.token_of("pat@it.test", PERSON_PASSWORD).await;
    let (_, their_me) = app.call_as(&token, Method::GET, "/me", None).await;
    assert_eq!(their_me["user"]["id"], person, "{their_me}");
    let (_, saved) = app
        .call(Method::GET, "/saved-searches?project=1", None)
        .await;
    assert_eq!(saved["saved_searches"][0]["name"], "checkouts", "{saved}");
    assert_eq!(
        app.track_with_key(&docs_key, "docs-device", now_ms()).await,
        StatusCode::OK,
        "the second project's key works"
    );
    let (_, listed) = app
        .call(Method::GET, &format!("/replays?project={docs}"), None)
        .await;
    assert_eq!(
        listed["replays"].as_array().map(Vec::len),
        Some(1),
        "{listed}"
    );
    // New rows continue after the copied ids.
    let (third, _) = app.project("Third").await;
    assert!(third > docs, "{third} after {docs}");

    // Into a database holding another installation: refused, nothing changed.
    let other = pg.new_database("other").await;
    let fresh = TestApp::spawn_with({
        let other = other.clone();
        move |c| c.database_url = Some(other)
    })
    .await;
    drop(fresh);
    let out = migrate(&["--from", &dir, "--to", &other], &s3);
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        stderr.contains("already holds another installation"),
        "{stderr}"
    );
}

#[test]
fn bad_arguments_say_what_is_expected() {
    for (args, says) in [
        (
            vec!["--to", "postgres://x@y/z"],
            "--from sqlite://DIR is needed",
        ),
        (
            vec!["--from", "/tmp/x", "--to", "postgres://x@y/z"],
            "--from must be sqlite://DIR",
        ),
        (
            vec!["--from", "sqlite:///tmp/x", "--to", "mysql://x"],
            "--to must be postgres://",
        ),
        (
            vec![
                "--from",
                "sqlite:///tmp/x",
                "--to",
                "postgres://x@y/z",
                "--events",
                "clickhouse://h:8123/db",
            ],
            "ClickHouse is not supported yet",
        ),
        (
            vec![
                "--from",
                "sqlite:///nonexistent-reel-dir",
                "--to",
                "postgres://x@127.0.0.1:1/z",
            ],
            "holds no reel.db",
        ),
    ] {
        let out = Command::new(reel_binary())
            .arg("migrate")
            .args(&args)
            .output()
            .unwrap();
        assert!(!out.status.success(), "{args:?}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(stderr.contains(says), "{args:?}: {stderr}");
    }
}
