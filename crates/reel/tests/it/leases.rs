//! The processing queue's leases through the server: a session another node claimed and then
//! died with stays that node's until the lease runs out, and is then finished here.

use std::sync::Arc;

use reel_engine::ManualClock;

use crate::support::*;

/// 2026-01-05 00:00 UTC.
const T0: i64 = 1_767_571_200_000;

#[tokio::test]
async fn a_session_whose_node_died_is_finished_here_once_its_lease_runs_out() {
    let clock = Arc::new(ManualClock::at(T0));
    let app = TestApp::spawn_with_clock(clock.clone(), |c| {
        quick_processing(c);
        c.processing_delay_ms = 60_000;
        c.processing_lease_seconds = 120;
    })
    .await;
    let recording = |at: i64| {
        let mut events = page(at, "https://shop.test/cart");
        events.extend((1..10).map(|i| mouse_move(at + i * 100, i)));
        events
    };
    // Two sessions; the first is due a second before the second.
    app.track_ok("d-dead", T0, &recording(T0)).await;
    clock.set(T0 + 1_000);
    app.track_ok("d-live", T0 + 1_000, &recording(T0 + 1_000))
        .await;

    // Another node, sharing the queue, claims the first as it comes due, then dies.
    let claimed = app
        .meta
        .claim_work("node-that-died", T0 + 60_000, T0 + 180_000, 1)
        .await
        .unwrap();
    assert_eq!(claimed.len(), 1);
    assert_eq!(claimed[0].session.device_id, "d-dead");

    // Both are due here and the other node's lease still holds: this node works through the
    // queue in due order, so the second settling shows it looked — and left the first alone.
    clock.set(T0 + 100_000);
    app.settled(&replay_id("d-live", T0 + 1_000)).await;
    let (_, dead) = app.replay(&replay_id("d-dead", T0)).await;
    assert_eq!(
        (&dead["processing_pending"], &dead["urls"]),
        (&serde_json::json!(true), &serde_json::json!([])),
        "the session is the other node's until its lease runs out: {dead}"
    );

    // The lease runs out: this node takes the session over and finishes it.
    clock.set(T0 + 180_000);
    let settled = app.settled(&replay_id("d-dead", T0)).await;
    assert_eq!(
        settled["urls"],
        serde_json::json!(["https://shop.test/cart"]),
        "what processing derives is there: {settled}"
    );
}
