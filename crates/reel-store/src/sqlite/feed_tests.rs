//! The feed queue hands on what replay search needs: replays as they change (named, with
//! their session's generation), session text, events with their session's generation; what a
//! deleted replay derived is no longer queued, and its deletion is a new generation; a deleted
//! session is named.

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
            FedItem::Gone(s) => ("gone", s.device_id, 0, String::new()),
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

    // Sessions deleted (retention, erasure): named, since their rows are gone.
    let position = store
        .fed_after(last, 100)
        .await
        .unwrap()
        .last()
        .unwrap()
        .position;
    store.feed_handed_on(position).await.unwrap();
    let erased = store.delete_sessions(vec![d1.clone()], 0).await.unwrap();
    assert_eq!(erased.sessions, 1);
    assert_eq!(
        queued(&store, position).await,
        vec![("gone", "d1".into(), 0, String::new())]
    );
}

/// A data dir whose feed handed events on to charts before search was fed (migration 0013):
/// its replays, events and text are queued for search, the events already handed on for
/// search alone, the rest as before.
#[tokio::test]
async fn a_feed_started_before_search_was_fed_queues_everything_for_search_once() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    {
        let mut conn = rusqlite::Connection::open(&path).unwrap();
        super::configure(&conn, &Default::default()).unwrap();
        // Every migration before 0013_search_feed.
        super::migrate_to(&mut conn, 12).unwrap();
        conn.execute_batch(
            "INSERT INTO organizations (id, name, created_ms) VALUES (1, 'o', 0);
             INSERT INTO projects (id, organization_id, name, api_key, created_ms) VALUES (1, 1, 'p', 'k', 0);
             INSERT INTO sessions (id, project_id, device_id, session_id, replay_key, start_ms, end_ms)
                 VALUES (7, 1, 'd', 1000, 'ZC8xMDAw', 1000, 5000);
             INSERT INTO event_types (id, project_id, name) VALUES (1, 1, 'Buy');
             INSERT INTO feeds (name, position) VALUES ('events', 0);",
        )
        .unwrap();
        for id in ["first", "second"] {
            conn.execute(
                "INSERT INTO events (project_id, insert_id, event_type, time_ms, device_id,
                     session_id, event_properties, user_properties, raw, received_ms, derived,
                     session_row, type_id)
                 VALUES (1, ?1, 'Buy', 2000, 'd', 1000, '{}', '{}', '{}', 0, 0, 7, 1)",
                [id],
            )
            .unwrap();
        }
        // The first event was handed on to charts.
        conn.execute_batch(
            "UPDATE feeds SET position = 1; DELETE FROM feed_queue WHERE seq <= 1;
             INSERT INTO session_text (id, session_row, kind, level, first_ms, hash, text)
                 VALUES ((7 << 24) | 1, 7, 'screen', NULL, 1500, 1, 'Pay now');",
        )
        .unwrap();
    }
    let store = SqliteStore::open(&path).unwrap();
    assert_eq!(store.start_feed().await.unwrap(), 1, "the feed goes on");
    let queued: Vec<String> = store
        .fed_after(1, 100)
        .await
        .unwrap()
        .into_iter()
        .map(|fed| match fed.item {
            FedItem::Event {
                event, search_only, ..
            } => format!("{} {search_only}", event.insert_id.unwrap()),
            FedItem::Replay(s) => format!("replay {}", s.device_id),
            FedItem::Session { session, .. } => format!("session {}", session.device_id),
            FedItem::Gone(s) => format!("gone {}", s.device_id),
            FedItem::Text { text, .. } => text.text,
        })
        .collect();
    assert_eq!(
        queued,
        ["session d", "first true", "second false", "Pay now"],
        "{queued:?}"
    );
}
