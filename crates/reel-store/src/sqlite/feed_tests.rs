//! The feed queue hands on what replay search needs: replays as they change (named, with
//! their session's generation), session text, events with their session's generation; what a
//! deleted replay derived is no longer queued, and its deletion is a new generation.

use super::SqliteStore;
use crate::prelude::*;
use crate::{
    AnalyticsEvent, FedItem, FeedStore, ImportedSession, NewChunk, NewInstallation, NewUpload,
    SessionRef, SessionText,
};

fn event(device: &str, name: &str, derived: bool) -> AnalyticsEvent {
    AnalyticsEvent {
        insert_id: Some(format!("{device}-{name}")),
        event_type: name.into(),
        time_ms: 1_500,
        device_id: Some(device.into()),
        user_id: Some("ann".into()),
        session_id: Some(1_000),
        event_properties: "{}".into(),
        user_properties: "{}".into(),
        raw: "{}".into(),
        display_name: None,
        derived,
    }
}

/// What the feed holds after `position`, as (kind, device, generation, detail).
async fn queued(store: &SqliteStore, position: i64) -> Vec<(&'static str, String, u32, String)> {
    store
        .fed_after(position, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|fed| match fed.item {
            FedItem::Event {
                event,
                generation,
                search_only,
            } => {
                assert!(!search_only);
                (
                    "event",
                    event.device_id.unwrap(),
                    generation,
                    event.event_type,
                )
            }
            FedItem::Replay(s) => ("replay", s.device_id, 0, String::new()),
            FedItem::Session {
                session,
                generation,
            } => ("session", session.device_id, generation, String::new()),
            FedItem::Text {
                session,
                text,
                generation,
            } => ("text", session.device_id, generation, text.text),
        })
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_feed_queues_replays_text_and_generations() {
    let dir = tempfile::tempdir().unwrap();
    let store = SqliteStore::open(&dir.path().join("t.db")).unwrap();
    let installation = NewInstallation {
        organization_name: "o".into(),
        project_name: "p".into(),
        api_key: "k".into(),
        admin_email: "a@b.c".into(),
        admin_password_hash: "h".into(),
    };
    let (project, _) = store
        .create_installation(installation, 0)
        .await
        .unwrap()
        .unwrap();
    let p = project.id;
    // Stored before the feed starts: queued when it does, the replay before its events.
    let imported = ImportedSession {
        session: SessionRef {
            project_id: p,
            device_id: "d1".into(),
            session_id: 1_000,
        },
        start_ms: 1_000,
        end_ms: 2_000,
        first_url: None,
        country: None,
        user_agent: None,
        facts: Default::default(),
        urls: vec![],
        viewport: None,
        events: vec![
            event("d1", "View", false),
            event("d1", "[reel] Rage Click", true),
        ],
        texts: vec![SessionText {
            console_level: Some("warn".into()),
            ts_ms: 1_200,
            text: "slow network".into(),
        }],
    };
    assert_eq!(store.import_sessions(vec![imported], 0).await.unwrap(), 1);
    assert_eq!(store.start_feed().await.unwrap(), 0);
    let at_start = queued(&store, 0).await;
    assert_eq!(
        at_start,
        vec![
            ("replay", "d1".into(), 0, String::new()),
            ("session", "d1".into(), 0, String::new()),
            ("event", "d1".into(), 0, "View".into()),
            ("event", "d1".into(), 0, "[reel] Rage Click".into()),
            ("text", "d1".into(), 0, "slow network".into()),
        ]
    );
    // The replay deleted before it was handed on: its derived event and text are no longer
    // queued, and every read of the session gives the next generation.
    let d1 = SessionRef {
        project_id: p,
        device_id: "d1".into(),
        session_id: 1_000,
    };
    assert!(store.delete_replay(p, &d1.replay_id(), 0).await.unwrap());
    assert_eq!(
        queued(&store, 0).await,
        vec![
            ("replay", "d1".into(), 0, String::new()),
            ("session", "d1".into(), 1, String::new()),
            ("event", "d1".into(), 1, "View".into()),
            ("session", "d1".into(), 1, String::new()),
        ]
    );
    let last = store
        .fed_after(0, 100)
        .await
        .unwrap()
        .last()
        .unwrap()
        .position;
    store.feed_handed_on(last).await.unwrap();
    assert!(queued(&store, last).await.is_empty());

    // An upload: the session is recorded and its replay changed; so is when processing will
    // look at it.
    let upload = NewUpload {
        session: SessionRef {
            project_id: p,
            device_id: "d2".into(),
            session_id: 1_000,
        },
        chunks: vec![NewChunk {
            start_ms: 1_000,
            end_ms: 2_000,
            event_count: 2,
            raw_bytes: 100,
            stored_bytes: 50,
            starts_with_snapshot: true,
            meta_ms: Some(1_000),
            last_meta_ms: Some(1_000),
            content_hash: "h".into(),
            object_key: "objects/h".into(),
            first_href: None,
            dictionary_id: None,
        }],
        country: None,
        user_agent: None,
        process_at_ms: 3_000,
    };
    store.commit_upload(upload, 1).unwrap();
    let after_upload = queued(&store, last).await;
    let (recorded, changed): (Vec<_>, Vec<_>) = after_upload.iter().partition(|q| q.0 == "replay");
    assert_eq!(
        recorded,
        [&("replay", "d2".into(), 0, String::new())],
        "{after_upload:?}"
    );
    assert!(!changed.is_empty(), "{after_upload:?}");
    assert!(
        changed
            .iter()
            .all(|q| **q == ("session", "d2".into(), 0, String::new())),
        "{after_upload:?}"
    );
}
