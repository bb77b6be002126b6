//! Several nodes on one PostgreSQL and one bucket (`database_url` + `blob_url`), each with its
//! own data dir: a recording stored by one plays back on another, uploads of one session
//! spread over both add up, a session whose node died after acknowledging its upload is
//! finished — facts, compaction — by another once the dead node's lease has run out, and with
//! `events_url` every node's search finds every node's replays.

use std::sync::Arc;

use reel_engine::ManualClock;
use reel_server::Config;

use crate::postgres_server::PgServer;
use crate::s3_server::{BUCKET, ObjectServer, S3Server};
use crate::support::*;

/// 2026-01-05 00:00 UTC.
const T0: i64 = 1_767_571_200_000;

/// A node of the cluster: the shared database and bucket, processing (and compaction) a
/// minute after an upload, two-minute leases.
fn node(url: &str, bucket: &dyn ObjectServer) -> impl FnOnce(&mut Config) + use<> {
    let (url, s3) = (url.to_owned(), bucket.settings());
    move |c: &mut Config| {
        c.database_url = Some(url);
        c.blob_url = Some(format!("s3://{BUCKET}/cluster"));
        c.s3 = s3;
        c.processing_delay_ms = 60_000;
        c.compaction_idle_seconds = 0;
        c.processing_cpu_share = 1.0;
        c.processing_lease_seconds = 120;
        c.replaced_object_grace_seconds = 0;
    }
}

/// A page with some mouse movement from `at`, on `url`.
fn visit(at: i64, url: &str) -> Vec<String> {
    let mut events = page(at, url);
    events.extend((1..20).map(|i| mouse_move(at + i * 200, i)));
    events
}

#[tokio::test]
async fn a_node_that_dies_after_an_upload_loses_nothing_and_another_finishes_the_session() {
    let pg = PgServer::start().await;
    let url = pg.new_database("nodes").await;
    let bucket = S3Server::start().await;
    let clock = Arc::new(ManualClock::at(T0));
    let mut a = TestApp::spawn_with_clock(clock.clone(), node(&url, &bucket)).await;
    let b = TestApp::spawn_with_clock(clock.clone(), node(&url, &bucket)).await;

    // Node A acknowledges an upload; its worker claims the session when it comes due, and
    // the node dies before finishing it (its claim is never given back).
    let recording = visit(T0, "https://shop.test/cart");
    a.track_ok("d-lost", T0, &recording).await;
    let claimed = a
        .meta
        .claim_work("node-a", T0 + 60_000, T0 + 180_000, 10)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1, "node A held the session");
    a.stop().await;

    // Node B plays the recording back at once, from the shared index and bucket.
    let dead = replay_id("d-lost", T0);
    assert_eq!(
        events_text(&b.client, &b.base_url, &dead).await,
        expected_text(&recording),
        "node B plays back what node A stored"
    );
    // B has a session of its own, due a second later. Both are due; B settles (and compacts)
    // its own and leaves A's alone while A's lease holds.
    b.track_ok(
        "d-own",
        T0 + 1_000,
        &visit(T0 + 1_000, "https://shop.test/"),
    )
    .await;
    clock.set(T0 + 100_000);
    b.settled(&replay_id("d-own", T0 + 1_000)).await;
    let (_, waiting) = b.replay(&dead).await;
    assert_eq!(
        (&waiting["processing_pending"], &waiting["urls"]),
        (&serde_json::json!(true), &serde_json::json!([])),
        "node A's session waits for its lease: {waiting}"
    );

    // The lease runs out: B takes the session over, derives its facts and compacts it.
    clock.set(T0 + 180_000);
    let settled = b.settled(&dead).await;
    assert_eq!(
        settled["urls"],
        serde_json::json!(["https://shop.test/cart"]),
        "{settled}"
    );
    eventually(std::time::Duration::from_secs(20), async || {
        let chunks = pg
            .count(
                &url,
                "SELECT COUNT(*) FROM rec_chunks WHERE format = 'chunk'",
            )
            .await;
        let segments = pg
            .count(
                &url,
                "SELECT COUNT(*) FROM rec_chunks WHERE format = 'segment'",
            )
            .await;
        if chunks == 0 && segments >= 2 {
            Ok(())
        } else {
            Err(format!("{chunks} chunks, {segments} segments"))
        }
    })
    .await;
    assert_eq!(
        events_text(&b.client, &b.base_url, &dead).await,
        expected_text(&recording),
        "compacted, it plays back the same"
    );

    // Node A back: it finds what B settled.
    a.restart().await;
    let (_, on_a) = a.replay(&dead).await;
    assert_eq!(on_a["urls"], settled["urls"], "{on_a}");
    assert_eq!(on_a["processing_pending"], false, "{on_a}");
    // A's replay list (A took the upload) shows the session as B settled it.
    let listed = a.listed("d-lost", T0).await;
    assert_eq!(listed["urls"], settled["urls"], "{listed}");

    // Deleted through B: gone on A too, from the list and for playback.
    let status = b.delete(&format!("/replays/{dead}")).await;
    assert!(status.is_success(), "{status}");
    let (status, _) = a.replay(&dead).await;
    assert_eq!(status, reqwest::StatusCode::NOT_FOUND);
    assert!(
        a.replays().await.iter().all(|r| r["device_id"] != "d-lost"),
        "a replay deleted through B is not listed on A"
    );
}

/// Uploads of one session through two nodes (a load balancer without affinity) add up to one
/// recording that plays back whole on either.
#[tokio::test]
async fn uploads_of_one_session_through_two_nodes_make_one_recording() {
    let pg = PgServer::start().await;
    let url = pg.new_database("spread").await;
    let bucket = S3Server::start().await;
    let clock = Arc::new(ManualClock::at(T0));
    let a = TestApp::spawn_with_clock(clock.clone(), node(&url, &bucket)).await;
    let b = TestApp::spawn_with_clock(clock.clone(), node(&url, &bucket)).await;
    let first = visit(T0, "https://shop.test/");
    let second = visit(T0 + 10_000, "https://shop.test/cart");
    a.track_ok("d-spread", T0, &first).await;
    b.track_ok("d-spread", T0, &second).await;
    // The same upload again, through the other node: stored once.
    a.track_ok("d-spread", T0, &second).await;
    let all: Vec<String> = first.iter().chain(&second).cloned().collect();
    let id = replay_id("d-spread", T0);
    for node in [&a, &b] {
        assert_eq!(
            events_text(&node.client, &node.base_url, &id).await,
            expected_text(&all)
        );
        let (_, replay) = node.replay(&id).await;
        assert_eq!(replay["event_count"], all.len(), "{replay}");
    }
    assert_eq!(
        pg.count(&url, "SELECT COUNT(*) FROM rec_chunks").await,
        2,
        "two chunks, each once"
    );
    // Processed once, by whichever node claimed it.
    clock.set(T0 + 60_000);
    let settled = a.settled(&id).await;
    assert_eq!(
        settled["urls"],
        serde_json::json!(["https://shop.test/", "https://shop.test/cart"]),
        "{settled}"
    );
    let (_, on_b) = b.replay(&id).await;
    assert_eq!(on_b["urls"], settled["urls"], "{on_b}");
}

/// With `events_url` too, a node's replay search answers over every node's replays: what one
/// node recorded and another processed is found by its derived fields on both, and a replay
/// deleted through one is listed on neither.
#[tokio::test]
async fn with_events_url_each_node_searches_every_node_s_replays() {
    let pg = PgServer::start().await;
    let url = pg.new_database("search").await;
    let bucket = S3Server::start().await;
    let clickhouse = crate::clickhouse_server::ClickHouseServer::start().await;
    let events_url = clickhouse.url("nodes");
    let clock = Arc::new(ManualClock::at(T0));
    let on = |events_url: String| {
        let base = node(&url, &bucket);
        move |c: &mut Config| {
            base(c);
            c.events_url = Some(events_url);
        }
    };
    let a = TestApp::spawn_with_clock(clock.clone(), on(events_url.clone())).await;
    let b = TestApp::spawn_with_clock(clock.clone(), on(events_url.clone())).await;
    a.track_ok("d-a", T0, &visit(T0, "https://shop.test/cart"))
        .await;
    b.track_ok("d-b", T0 + 1_000, &visit(T0 + 1_000, "https://shop.test/"))
        .await;
    clock.set(T0 + 60_000);
    let (id_a, id_b) = (replay_id("d-a", T0), replay_id("d-b", T0 + 1_000));
    a.settled(&id_a).await;
    a.settled(&id_b).await;

    // A page visited (a URL the processing stage derived) finds the replay on both nodes,
    // whichever node took its upload and whichever processed it.
    let cart = serde_json::json!({
        "start": "2026-01-04T00:00:00Z", "end": "2026-01-06T00:00:00Z",
        "filters": [{"field": "url", "op": "is", "values": ["https://shop.test/cart"]}]
    });
    let found = async |app: &TestApp| {
        let (status, page) = app
            .send(reqwest::Method::POST, "/replays/search", Some(&cart))
            .await;
        assert_eq!(status, reqwest::StatusCode::OK, "{page}");
        page["replays"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["device_id"].as_str().unwrap().to_owned())
            .collect::<Vec<_>>()
    };
    for app in [&a, &b] {
        eventually(std::time::Duration::from_secs(20), async || {
            let devices = found(app).await;
            if devices == ["d-a"] {
                Ok(())
            } else {
                Err(format!("{devices:?}"))
            }
        })
        .await;
    }

    // Deleted through B: listed on neither.
    let status = b.delete(&format!("/replays/{id_a}")).await;
    assert!(status.is_success(), "{status}");
    for app in [&a, &b] {
        assert!(found(app).await.is_empty());
    }
}
