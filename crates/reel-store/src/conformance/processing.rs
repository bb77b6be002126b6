//! The processing queue's leases ([`crate::ProcessingStore`]): a claimed session is nobody
//! else's until its lease runs out or its node gives it back.

use super::{T0, install};
use crate::{AccountStore, IngestStore, NewChunk, NewUpload, ProcessingStore, SessionRef};

/// A recording's first upload, due for processing at `due_ms`.
fn upload(project_id: i64, device: &str, due_ms: i64) -> NewUpload {
    NewUpload {
        session: SessionRef {
            project_id,
            device_id: device.into(),
            session_id: 7,
        },
        chunks: vec![NewChunk {
            start_ms: T0,
            end_ms: T0 + 1_000,
            event_count: 2,
            raw_bytes: 100,
            stored_bytes: 50,
            starts_with_snapshot: true,
            meta_ms: Some(T0),
            last_meta_ms: Some(T0),
            content_hash: format!("hash-{device}"),
            object_key: format!("objects/{device}"),
            first_href: None,
            dictionary_id: None,
        }],
        country: None,
        user_agent: None,
        process_at_ms: due_ms,
    }
}

/// Leases from an empty store: who may claim what, when, and what releasing does.
pub async fn work_leases<S: AccountStore + IngestStore + ProcessingStore>(store: &S) {
    let (shop, _) = install(store, "Acme", "key-acme", "admin@example.com").await;
    let session = |device: &str| SessionRef {
        project_id: shop.id,
        device_id: device.into(),
        session_id: 7,
    };
    let (a, b, c) = (session("a"), session("b"), session("c"));
    let t = |s: i64| T0 + s * 1_000;
    for (device, due) in [("a", t(1)), ("b", t(2)), ("c", t(10_000))] {
        // As the engine calls it: from a blocking thread (a multi-threaded runtime's).
        tokio::task::block_in_place(|| store.commit_upload(upload(shop.id, device, due), T0))
            .unwrap();
    }
    assert_eq!(
        store.next_due_ms().await.unwrap(),
        Some(t(1)),
        "a is due first"
    );

    let claimed = |items: Vec<crate::WorkItem>| -> Vec<String> {
        items.into_iter().map(|w| w.session.device_id).collect()
    };
    // Node A takes the earliest due; node B, asking at once, gets the next one only.
    let by_a = store.claim_work("A", t(5), t(125), 1).await.unwrap();
    assert_eq!(claimed(by_a.clone()), ["a"], "A claims the earliest");
    assert_eq!(
        (by_a[0].signals_until_ms, by_a[0].due_ms),
        (None, t(1)),
        "a claimed item says where its work stands"
    );
    let by_b = store.claim_work("B", t(5), t(500), 10).await.unwrap();
    assert_eq!(
        claimed(by_b.clone()),
        ["b"],
        "B gets what A did not claim, and nothing not yet due"
    );
    assert_eq!(
        store.next_due_ms().await.unwrap(),
        Some(t(125)),
        "nothing can be claimed before A's lease runs out"
    );

    // Only the node holding a lease gives it back.
    store.release_work(&a, "B").await.unwrap();
    assert!(
        store
            .claim_work("C", t(6), t(600), 10)
            .await
            .unwrap()
            .is_empty(),
        "B released a lease that is A's: a stays A's"
    );

    // A dies: its lease holds until it runs out, then another node takes a over.
    assert!(
        store
            .claim_work("B", t(125) - 1, t(700), 10)
            .await
            .unwrap()
            .is_empty(),
        "a is A's until the last millisecond of its lease"
    );
    let taken = store.claim_work("B", t(125), t(700), 10).await.unwrap();
    assert_eq!(
        claimed(taken),
        ["a"],
        "B takes a over once A's lease ran out"
    );
    // A comes back late and releases: B's lease on a stays.
    store.release_work(&a, "A").await.unwrap();
    assert!(
        store
            .claim_work("C", t(126), t(800), 10)
            .await
            .unwrap()
            .is_empty(),
        "A's late release leaves B's lease alone"
    );

    // B finishes b (rescheduled far off) and gives both back: a is due again at once.
    assert!(
        store
            .reschedule_work(&b, by_b[0].generation, t(20_000))
            .await
            .unwrap()
    );
    store.release_work(&b, "B").await.unwrap();
    store.release_work(&a, "B").await.unwrap();
    assert_eq!(
        store.next_due_ms().await.unwrap(),
        Some(t(1)),
        "a is due, unleased"
    );
    let again = store.claim_work("C", t(127), t(900), 10).await.unwrap();
    assert_eq!(
        claimed(again),
        ["a"],
        "b waits for its new time, c for its own"
    );
    store.release_work(&a, "C").await.unwrap();
    // c's time comes before b's: released and due sessions are claimed in due order.
    let late = store
        .claim_work("C", t(30_000), t(30_100), 10)
        .await
        .unwrap();
    assert_eq!(claimed(late), ["a", "c", "b"]);
    // A failed run is retried at its new time, by whoever claims it then.
    store
        .work_failed(&c, t(40_000), "unreadable")
        .await
        .unwrap();
    for s in [&a, &b, &c] {
        store.release_work(s, "C").await.unwrap();
    }
    let retry = store
        .claim_work("D", t(39_999), t(40_100), 10)
        .await
        .unwrap();
    assert_eq!(claimed(retry), ["a", "b"], "c waits for its retry time");
    let retry = store
        .claim_work("E", t(40_000), t(40_100), 10)
        .await
        .unwrap();
    assert_eq!(claimed(retry.clone()), ["c"]);
    assert_eq!(retry[0].attempts, 1, "the failure is counted");
}
