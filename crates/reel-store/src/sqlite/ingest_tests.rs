//! Uploads committed together: each gets its own answer, a failing one changes nothing of the
//! others, and every chunk is stored once.

use std::sync::Arc;

use super::SqliteStore;
use super::inspect::{Inspector, Rows};
use crate::prelude::*;
use crate::{NewChunk, NewInstallation, NewUpload, SessionRef};

fn upload(project_id: i64, device: &str, hash: &str) -> NewUpload {
    NewUpload {
        session: SessionRef {
            project_id,
            device_id: device.into(),
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
            content_hash: hash.into(),
            object_key: format!("objects/{hash}"),
            first_href: None,
            dictionary_id: None,
        }],
        country: None,
        user_agent: None,
        process_at_ms: 3_000,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn concurrent_uploads_commit_together_and_fail_alone() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("t.db");
    let store = Arc::new(SqliteStore::open(&path).unwrap());
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
    // 32 uploads at once from 16 threads; every fourth names a project that does not exist.
    let handles: Vec<_> = (0..32)
        .map(|i| {
            let store = store.clone();
            let project_id = if i % 4 == 3 { 999 } else { project.id };
            std::thread::spawn(move || {
                store.commit_upload(
                    upload(project_id, &format!("d{}", i % 8), &format!("h{i}")),
                    5,
                )
            })
        })
        .collect();
    let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    for (i, result) in results.iter().enumerate() {
        match result {
            Ok(done) if i % 4 != 3 => assert_eq!((done.stored, done.duplicate), (1, 0), "{i}"),
            Err(_) if i % 4 == 3 => {}
            other => panic!("upload {i}: {other:?}"),
        }
    }
    // The same chunk again is a duplicate, stored once.
    let again = store
        .commit_upload(upload(project.id, "d0", "h0"), 6)
        .unwrap();
    assert_eq!((again.stored, again.duplicate), (0, 1));
    let db = Inspector::open(&path).unwrap();
    assert_eq!(db.count(Rows::OpenChunks).unwrap(), 24);
    // Devices d3 and d7 only sent the failing uploads: nothing of them is stored.
    assert_eq!(db.count(Rows::Replays).unwrap(), 6);
}
