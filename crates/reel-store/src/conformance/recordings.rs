//! The recordings' index (`crate::RecordingIndex` behind the area traits): uploads folded into
//! their session, duplicates, keyframes, a processing run's results and their progress check,
//! compaction into segments and pieces, deletion, retention's candidates, reprocessing. Run on
//! the embedded store and on a `SplitStore` over PostgreSQL, through the same traits.
//!
//! `commit_upload` is called as the engine calls it, from a blocking thread: the checks run on
//! a multi-threaded runtime.

use super::{T0, install};
use crate::{
    AccountStore, ChunkFormat, Compaction, CompactionStore, ErasureStore, IngestStore, NewChunk,
    NewPiece, NewSegment, NewUpload, ObjectIntent, OperationsStore, ProcessingStore, SessionFacts,
    SessionRef, SessionStore, SignalsUpdate, UploadCommitted, UserAgent,
};

/// What the check needs of a store.
pub trait Recordings:
    AccountStore
    + IngestStore
    + SessionStore
    + ProcessingStore
    + CompactionStore
    + ErasureStore
    + OperationsStore
{
}

impl<
    T: AccountStore
        + IngestStore
        + SessionStore
        + ProcessingStore
        + CompactionStore
        + ErasureStore
        + OperationsStore,
> Recordings for T
{
}

fn chunk(name: &str, start_s: i64, end_s: i64, keyframe: Option<Option<i64>>) -> NewChunk {
    NewChunk {
        start_ms: T0 + start_s * 1_000,
        end_ms: T0 + end_s * 1_000,
        event_count: 10,
        raw_bytes: 1_000,
        stored_bytes: 100,
        starts_with_snapshot: keyframe.is_some(),
        meta_ms: keyframe.flatten(),
        last_meta_ms: keyframe.flatten(),
        content_hash: format!("hash-{name}"),
        object_key: format!("objects/{name}"),
        first_href: None,
        dictionary_id: None,
    }
}

fn commit<S: Recordings>(store: &S, upload: NewUpload, now_ms: i64) -> UploadCommitted {
    tokio::task::block_in_place(|| store.commit_upload(upload, now_ms)).unwrap()
}

fn stored<S: Recordings>(store: &S, session: &SessionRef, hashes: &[&str]) -> Vec<String> {
    let hashes: Vec<String> = hashes.iter().map(|h| format!("hash-{h}")).collect();
    let mut known = tokio::task::block_in_place(|| store.stored_chunks(session, &hashes)).unwrap();
    known.sort();
    known
}

/// The whole life of recordings from an empty store.
pub async fn recordings<S: Recordings>(store: &S) {
    let (shop, _) = install(store, "Acme", "key-acme", "admin@example.com").await;
    let s = SessionRef {
        project_id: shop.id,
        device_id: "dev-1".into(),
        session_id: 42,
    };
    let id = s.replay_id();
    let t = |sec: i64| T0 + sec * 1_000;
    assert!(store.replay(shop.id, &id).await.unwrap().is_none());
    assert!(!store.has_recording(&s).await.unwrap());

    // The first upload: a keyframe chunk with its Meta, then a chunk without one.
    let mut first = chunk("a", 0, 10, Some(Some(t(0))));
    first.first_href = Some((t(5), "https://shop.example/cart".into()));
    let mut second = chunk("b", 10, 20, None);
    second.first_href = Some((t(1), "https://shop.example/".into()));
    let upload = NewUpload {
        session: s.clone(),
        chunks: vec![first, second],
        country: Some("FR".into()),
        user_agent: Some(UserAgent {
            header: "Mozilla/5.0".into(),
            browser: "Firefox".into(),
            os: "Linux".into(),
            device: "Desktop".into(),
        }),
        process_at_ms: t(60),
    };
    let committed = commit(store, upload.clone(), t(20));
    assert_eq!(
        committed,
        UploadCommitted {
            stored: 2,
            duplicate: 0,
            newly_captured: true
        },
        "a first upload captures its session"
    );
    assert!(store.has_recording(&s).await.unwrap());
    // The same upload again (an SDK's retry) changes nothing.
    let again = commit(store, upload, t(21));
    assert_eq!(
        (again.stored, again.duplicate, again.newly_captured),
        (0, 2, false)
    );
    assert_eq!(stored(store, &s, &["a", "b", "c"]), ["hash-a", "hash-b"]);

    // A later upload: a bare snapshot 30 s after the session's last Meta belongs to that Meta;
    // another with no Meta for 2 minutes is its own keyframe. The country and user agent of
    // the first upload stay.
    let later = NewUpload {
        session: s.clone(),
        chunks: vec![
            chunk("c", 30, 40, Some(None)),
            chunk("d", 200, 210, Some(None)),
        ],
        country: Some("DE".into()),
        user_agent: None,
        process_at_ms: t(30),
    };
    assert_eq!(commit(store, later, t(210)).stored, 2);
    let replay = store.replay(shop.id, &id).await.unwrap().expect("a replay");
    assert_eq!(
        (
            replay.start_ms,
            replay.end_ms,
            replay.event_count,
            replay.stored_bytes
        ),
        (t(0), t(210), 40, 400),
        "extent and totals add up over distinct chunks"
    );
    assert_eq!(replay.first_url.as_deref(), Some("https://shop.example/"));
    assert_eq!(replay.country.as_deref(), Some("FR"));
    assert_eq!(replay.browser.as_deref(), Some("Firefox"));
    assert_eq!(replay.last_upload_ms, Some(t(210)));
    assert_eq!(
        replay.processing_due_ms,
        Some(t(30)),
        "due at the earliest asked"
    );
    let chunks = store.replay_chunks(shop.id, &id).await.unwrap();
    let keyframes: Vec<Option<i64>> = chunks.iter().map(|c| c.keyframe_ms).collect();
    assert_eq!(keyframes, [Some(t(0)), None, Some(t(0)), Some(t(200))]);
    assert!(chunks.iter().all(|c| c.format == ChunkFormat::Chunk));
    assert_eq!(store.session_chunks(&s).await.unwrap(), chunks);

    // A processing run from the start.
    let work = store.claim_work("node", t(30), t(150), 10).await.unwrap();
    assert_eq!(work.len(), 1, "the session is due");
    let mut facts = SessionFacts::default();
    facts.set(crate::Fact::ClickCount, 3);
    facts.set(crate::Fact::RageClickCount, 1);
    let run = SignalsUpdate {
        session: s.clone(),
        facts,
        urls: vec![
            "https://shop.example/".into(),
            "https://shop.example/cart".into(),
        ],
        viewport: Some((1280, 800)),
        events: Vec::new(),
        texts: Vec::new(),
        gaps: vec![(t(40), t(200))],
        signals_until_ms: t(100),
        expected_until_ms: None,
        finished: false,
        next_due_ms: t(400),
        taken_generation: work[0].generation,
    };
    assert!(store.apply_signals(run.clone(), t(31)).await.unwrap());
    // The same run again (it outlived its lease; another took over): not counted twice.
    assert!(!store.apply_signals(run.clone(), t(32)).await.unwrap());
    store.release_work(&s, "node").await.unwrap();
    let replay = store.replay(shop.id, &id).await.unwrap().unwrap();
    assert_eq!(replay.facts.get(crate::Fact::ClickCount), 3);
    assert_eq!(replay.facts.get(crate::Fact::RageClickCount), 1);
    assert_eq!(replay.urls.len(), 2);
    assert_eq!(replay.viewport, Some((1280, 800)));
    assert_eq!(replay.processing_due_ms, Some(t(400)));
    assert_eq!(
        store.session_gaps(shop.id, &id).await.unwrap(),
        [(t(40), t(200))]
    );
    // The next run continues from the saved progress.
    let work = store.claim_work("node", t(400), t(500), 10).await.unwrap();
    assert_eq!(work[0].signals_until_ms, Some(t(100)));
    let mut more = SessionFacts::default();
    more.set(crate::Fact::ClickCount, 2);
    let next = SignalsUpdate {
        facts: more,
        urls: vec![
            "https://shop.example/cart".into(),
            "https://shop.example/paid".into(),
        ],
        viewport: Some((390, 844)),
        gaps: Vec::new(),
        signals_until_ms: t(210),
        expected_until_ms: Some(t(100)),
        finished: true,
        next_due_ms: t(5_000),
        taken_generation: work[0].generation,
        ..run
    };
    assert!(store.apply_signals(next, t(401)).await.unwrap());
    store.release_work(&s, "node").await.unwrap();
    let replay = store.replay(shop.id, &id).await.unwrap().unwrap();
    assert_eq!(replay.facts.get(crate::Fact::ClickCount), 5);
    assert_eq!(replay.urls.len(), 3, "URLs are kept once each");
    assert_eq!(
        replay.viewport,
        Some((1280, 800)),
        "the first viewport stays"
    );
    assert!(
        store
            .reschedule_work(&s, work[0].generation + 1, t(9_000))
            .await
            .is_ok_and(|moved| !moved),
        "a reschedule for another generation changes nothing"
    );

    compaction(store, &s, t).await;

    // Retention finds recordings that started and ended before the cutoff.
    let expired = store.expired_sessions(shop.id, t(211), 10).await.unwrap();
    assert!(
        expired.contains(&s),
        "the session is past a cutoff after its end"
    );
    let kept = store.expired_sessions(shop.id, t(100), 10).await.unwrap();
    assert!(!kept.contains(&s), "not past a cutoff inside it");

    // Reprocessing clears what runs derived and makes the session due now.
    assert_eq!(
        store
            .reset_signals(Some(shop.id), None, t(600))
            .await
            .unwrap(),
        1
    );
    let replay = store.replay(shop.id, &id).await.unwrap().unwrap();
    assert_eq!(replay.facts, SessionFacts::default());
    assert!(replay.urls.is_empty() && replay.viewport.is_none());
    assert!(store.session_gaps(shop.id, &id).await.unwrap().is_empty());
    assert_eq!(replay.processing_due_ms, Some(t(600)));
    let work = store.claim_work("node", t(600), t(700), 10).await.unwrap();
    assert_eq!(
        work[0].signals_until_ms, None,
        "runs start again from the beginning"
    );
    store.release_work(&s, "node").await.unwrap();

    // Deleting the replay: gone for every read; its objects are deleted after the grace.
    assert!(store.delete_replay(shop.id, &id, t(1_000)).await.unwrap());
    assert!(store.replay(shop.id, &id).await.unwrap().is_none());
    assert!(store.replay_chunks(shop.id, &id).await.unwrap().is_empty());
    assert!(!store.has_recording(&s).await.unwrap());
    assert!(
        store
            .pieces(shop.id, vec![[1; 16], [2; 16]])
            .await
            .unwrap()
            .is_empty(),
        "pieces no segment uses are gone"
    );
    let intents = store.object_intents(t(1_000)).await.unwrap();
    assert!(
        intents.contains(&ObjectIntent::Deleting {
            object_key: "objects/segment-1".into(),
            not_before_ms: t(1_000)
        }),
        "the segment's object is to be deleted: {intents:?}"
    );
    assert!(!store.delete_replay(shop.id, &id, t(1_000)).await.unwrap());
    // A new upload after the deletion captures the session again.
    let back = NewUpload {
        session: s.clone(),
        chunks: vec![chunk("e", 300, 310, Some(Some(t(300))))],
        country: None,
        user_agent: None,
        process_at_ms: t(400),
    };
    assert!(commit(store, back, t(310)).newly_captured);
}

/// Chunks replaced by a segment with two pieces, one shared with another session's segment.
async fn compaction<S: Recordings>(store: &S, s: &SessionRef, t: impl Fn(i64) -> i64) {
    let project_id = s.project_id;
    let id = s.replay_id();
    store
        .intend_writes(vec!["objects/segment-1".into()])
        .await
        .unwrap();
    assert!(
        store
            .object_intents(t(0))
            .await
            .unwrap()
            .contains(&ObjectIntent::Writing {
                object_key: "objects/segment-1".into()
            })
    );
    let segment = NewSegment {
        start_ms: t(0),
        end_ms: t(210),
        keyframe_ms: Some(t(0)),
        event_count: 40,
        raw_bytes: 4_000,
        stored_bytes: 150,
        content_hash: "hash-segment-1".into(),
        object_key: "objects/segment-1".into(),
        pieces: vec![[1; 16], [2; 16]],
    };
    let replaced: Vec<String> = ["a", "b", "c", "d"]
        .iter()
        .map(|n| format!("hash-{n}"))
        .collect();
    let piece = |b: u8| NewPiece {
        hash: [b; 16],
        raw_bytes: 3_000,
        stored: vec![b; 30],
    };
    let missing = Compaction {
        session: s.clone(),
        replaced: vec!["hash-a".into(), "hash-gone".into()],
        segments: vec![segment.clone()],
        pieces: vec![piece(1), piece(2)],
        delete_after_ms: t(500),
    };
    assert!(
        !store.commit_compaction(missing, t(250)).await.unwrap(),
        "a compaction of a chunk that is not there changes nothing"
    );
    // A compaction whose intended write was settled meanwhile (a node starting up deleted the
    // object it found unreferenced) changes nothing: the segment's object is gone.
    store
        .intend_writes(vec!["objects/segment-0".into()])
        .await
        .unwrap();
    store.forget_intent("objects/segment-0").await.unwrap();
    let settled = Compaction {
        session: s.clone(),
        replaced: replaced.clone(),
        segments: vec![NewSegment {
            object_key: "objects/segment-0".into(),
            content_hash: "hash-segment-0".into(),
            ..segment.clone()
        }],
        pieces: vec![piece(1), piece(2)],
        delete_after_ms: t(500),
    };
    assert!(
        !store.commit_compaction(settled, t(250)).await.unwrap(),
        "a segment whose write was settled is not committed"
    );
    assert_eq!(store.replay_chunks(project_id, &id).await.unwrap().len(), 4);
    let compaction = Compaction {
        session: s.clone(),
        replaced,
        segments: vec![segment],
        pieces: vec![piece(1), piece(2)],
        delete_after_ms: t(500),
    };
    assert!(store.commit_compaction(compaction, t(250)).await.unwrap());
    let chunks = store.replay_chunks(project_id, &id).await.unwrap();
    assert_eq!(chunks.len(), 1);
    assert_eq!(chunks[0].format, ChunkFormat::Segment);
    assert_eq!(chunks[0].keyframe_ms, Some(t(0)));
    let replay = store.replay(project_id, &id).await.unwrap().unwrap();
    assert_eq!(
        replay.stored_bytes, 150,
        "the session's bytes are its segment's"
    );
    assert_eq!(
        stored(store, s, &["a", "d", "x"]),
        ["hash-a", "hash-d"],
        "replaced chunks stay known to retried uploads"
    );
    let mut pieces = store
        .pieces(project_id, vec![[2; 16], [1; 16], [9; 16]])
        .await
        .unwrap();
    pieces.sort();
    assert_eq!(pieces, [([1; 16], vec![1; 30]), ([2; 16], vec![2; 30])]);
    assert_eq!(
        store
            .known_pieces(project_id, vec![[1; 16], [9; 16]])
            .await
            .unwrap(),
        [[1; 16]]
    );
    assert!(store.object_referenced("objects/segment-1").await.unwrap());
    assert!(!store.object_referenced("objects/a").await.unwrap());
    let intents = store.object_intents(t(500)).await.unwrap();
    assert!(
        !intents.contains(&ObjectIntent::Writing {
            object_key: "objects/segment-1".into()
        }),
        "the segment's write is settled by its commit"
    );
    for name in ["a", "b", "c", "d"] {
        assert!(
            intents.contains(&ObjectIntent::Deleting {
                object_key: format!("objects/{name}"),
                not_before_ms: t(500)
            }),
            "replaced chunk {name} is to be deleted: {intents:?}"
        );
    }
    assert!(
        store
            .object_intents(t(499))
            .await
            .unwrap()
            .iter()
            .all(|i| !matches!(i, ObjectIntent::Deleting { .. })),
        "not before the grace has passed"
    );
    let mut orphans = store
        .unreferenced_objects(vec![
            "objects/segment-1".into(),
            "objects/a".into(),
            "objects/stray".into(),
        ])
        .await
        .unwrap();
    orphans.sort();
    assert_eq!(
        orphans,
        ["objects/stray"],
        "objects with a row or an intent are not orphans"
    );
    for name in ["a", "b", "c", "d"] {
        store
            .forget_intent(&format!("objects/{name}"))
            .await
            .unwrap();
    }
}
