//! The control side of [`crate::OperationsStore`]: the audit log, sessions captured per month,
//! ingestion counts per minute. `has_recording` belongs to the recordings' backend and is not
//! checked here.
//!
//! [`PgStore`] does not implement the trait (it holds no recordings): the check goes through
//! [`ControlOperations`], what `SplitStore` asks of its control store, and [`CaptureSession`].

use async_trait::async_trait;

use crate::split::ControlOperations;
use crate::{
    AccountStore, AuditQuery, IngestCounts, IngestKey, IngestStore, NewAuditEntry, NewChunk,
    NewUpload, PgStore, Project, Result, SessionRef, SqliteStore,
};

use super::{T0, install};

/// How a backend counts a session recorded for the first time: SQLite inside the upload that
/// records it, PostgreSQL when the store routing uploads tells it.
#[async_trait]
pub trait CaptureSession: ControlOperations {
    /// A session of `project` recorded for the first time at `at_ms`, which falls in `month`.
    async fn capture_session(
        &self,
        project: &Project,
        session_id: i64,
        at_ms: i64,
        month: &str,
    ) -> Result<()>;
}

#[async_trait]
impl CaptureSession for SqliteStore {
    async fn capture_session(
        &self,
        project: &Project,
        session_id: i64,
        at_ms: i64,
        _month: &str,
    ) -> Result<()> {
        let (store, upload) = (self.clone(), first_upload(project.id, session_id));
        // commit_upload blocks.
        let committed = tokio::task::spawn_blocking(move || store.commit_upload(upload, at_ms))
            .await
            .expect("commit_upload ran")?;
        assert_eq!(committed.stored, 1, "the session's first chunk");
        assert!(committed.newly_captured, "the session's first recording");
        Ok(())
    }
}

#[async_trait]
impl CaptureSession for PgStore {
    async fn capture_session(
        &self,
        project: &Project,
        _session_id: i64,
        _at_ms: i64,
        month: &str,
    ) -> Result<()> {
        self.count_session_captured(project.organization_id, month)
            .await
    }
}

fn first_upload(project_id: i64, session_id: i64) -> NewUpload {
    let hash = format!("chunk-{project_id}-{session_id}");
    NewUpload {
        session: SessionRef {
            project_id,
            device_id: "device-1".into(),
            session_id,
        },
        chunks: vec![NewChunk {
            start_ms: session_id,
            end_ms: session_id + 1_000,
            event_count: 2,
            raw_bytes: 100,
            stored_bytes: 50,
            starts_with_snapshot: true,
            meta_ms: Some(session_id),
            last_meta_ms: Some(session_id),
            object_key: format!("objects/{hash}"),
            content_hash: hash,
            first_href: None,
            dictionary_id: None,
        }],
        country: None,
        user_agent: None,
        process_at_ms: session_id + 60_000,
    }
}

fn entry(organization_id: i64, project_id: Option<i64>, action: &str, at_ms: i64) -> NewAuditEntry {
    NewAuditEntry {
        organization_id,
        project_id,
        actor_user_id: None,
        actor: None,
        action: action.into(),
        target: None,
        detail: None,
        at_ms,
    }
}

fn key(project_id: i64, minute: i64, outcome: &str, reason: &str) -> IngestKey {
    IngestKey {
        project_id,
        minute,
        outcome: outcome.into(),
        reason: reason.into(),
    }
}

fn counts(requests: i64, events: i64, bytes: i64) -> IngestCounts {
    IngestCounts {
        requests,
        events,
        bytes,
    }
}

/// The control methods of [`crate::OperationsStore`], from an empty store.
pub async fn operations<S: AccountStore + CaptureSession>(store: &S) {
    let (shop, admin) = install(store, "Acme", "key-acme", "admin@example.com").await;
    let org = shop.organization_id;
    let blog = store
        .create_project(org, "Blog", "key-blog", T0)
        .await
        .unwrap();
    let (other, _) = install(store, "Other", "key-other", "root@other.example").await;

    // The audit log: every field kept, newest first, per organization, per project, by page.
    let log = |project_id: Option<i64>, before_id: Option<i64>, limit: usize| AuditQuery {
        organization_id: org,
        project_id,
        before_id,
        limit,
    };
    assert!(
        store
            .audit_log(log(None, None, 50))
            .await
            .unwrap()
            .is_empty()
    );
    let full = NewAuditEntry {
        organization_id: org,
        project_id: Some(shop.id),
        actor_user_id: Some(admin.id),
        actor: Some("admin@example.com".into()),
        action: "role_changed".into(),
        target: Some("mia@example.com".into()),
        detail: Some(r#"{"role":"viewer"}"#.into()),
        at_ms: T0 + 1,
    };
    store
        .add_audit(entry(org, None, "config_applied", T0))
        .await
        .unwrap();
    store.add_audit(full.clone()).await.unwrap();
    store
        .add_audit(entry(org, Some(blog.id), "key_rotated", T0 + 2))
        .await
        .unwrap();
    store
        .add_audit(entry(other.organization_id, None, "login", T0 + 3))
        .await
        .unwrap();
    store
        .add_audit(entry(org, Some(shop.id), "settings_changed", T0 + 4))
        .await
        .unwrap();
    let all = store.audit_log(log(None, None, 50)).await.unwrap();
    let actions: Vec<&str> = all.iter().map(|e| e.entry.action.as_str()).collect();
    assert_eq!(
        actions,
        vec![
            "settings_changed",
            "key_rotated",
            "role_changed",
            "config_applied"
        ],
        "newest first, the organization's only"
    );
    assert!(all.windows(2).all(|w| w[0].id > w[1].id));
    assert_eq!(all[2].entry, full, "every field as written");
    let shop_only = store.audit_log(log(Some(shop.id), None, 50)).await.unwrap();
    assert_eq!(
        shop_only
            .iter()
            .map(|e| e.entry.action.as_str())
            .collect::<Vec<_>>(),
        vec!["settings_changed", "role_changed"],
        "a project's lines, without the organization's own"
    );
    let page = store.audit_log(log(None, None, 2)).await.unwrap();
    assert_eq!(page, all[..2].to_vec());
    let next = store
        .audit_log(log(None, Some(page[1].id), 2))
        .await
        .unwrap();
    assert_eq!(next, all[2..].to_vec(), "the next page");
    assert!(
        store
            .audit_log(log(None, Some(all[3].id), 2))
            .await
            .unwrap()
            .is_empty()
    );
    assert_eq!(
        store
            .audit_log(log(Some(shop.id), Some(shop_only[0].id), 1))
            .await
            .unwrap(),
        shop_only[1..].to_vec(),
        "pages of a project"
    );
    let theirs = store
        .audit_log(AuditQuery {
            organization_id: other.organization_id,
            project_id: None,
            before_id: None,
            limit: usize::MAX,
        })
        .await
        .unwrap();
    assert_eq!(
        theirs
            .iter()
            .map(|e| e.entry.action.as_str())
            .collect::<Vec<_>>(),
        vec!["login"],
        "no limit"
    );

    // Sessions captured per organization and month (the quota's count).
    assert_eq!(store.sessions_captured(org, "2026-01").await.unwrap(), 0);
    let day = 86_400_000;
    store
        .capture_session(&shop, T0, T0, "2026-01")
        .await
        .unwrap();
    store
        .capture_session(&blog, T0 + 1, T0 + day, "2026-01")
        .await
        .unwrap();
    store
        .capture_session(&shop, T0 + 2, T0 + 31 * day, "2026-02")
        .await
        .unwrap();
    store
        .capture_session(&other, T0 + 3, T0, "2026-01")
        .await
        .unwrap();
    assert_eq!(
        store.sessions_captured(org, "2026-01").await.unwrap(),
        2,
        "every project of the organization"
    );
    assert_eq!(store.sessions_captured(org, "2026-02").await.unwrap(), 1);
    assert_eq!(store.sessions_captured(org, "2025-12").await.unwrap(), 0);
    assert_eq!(
        store
            .sessions_captured(other.organization_id, "2026-01")
            .await
            .unwrap(),
        1
    );

    // Ingestion counts: summed per project, minute, outcome and reason; listed by minute.
    let m = T0 / 60_000;
    store.add_ingest_counts(Vec::new()).await.unwrap();
    store
        .add_ingest_counts(vec![
            (key(shop.id, m, "accepted", ""), counts(1, 10, 100)),
            (
                key(shop.id, m, "rejected", "too_large"),
                counts(1, 0, 9_000),
            ),
            (key(shop.id, m + 1, "throttled", ""), counts(3, 30, 300)),
            (key(shop.id, m, "accepted", ""), counts(2, 20, 200)),
            (key(blog.id, m, "accepted", ""), counts(5, 50, 500)),
        ])
        .await
        .unwrap();
    store
        .add_ingest_counts(vec![
            (key(shop.id, m, "rejected", "bad_json"), counts(1, 0, 10)),
            (key(shop.id, m, "accepted", ""), counts(4, 40, 400)),
        ])
        .await
        .unwrap();
    assert_eq!(
        store.ingest_counts(shop.id, m).await.unwrap(),
        vec![
            (key(shop.id, m, "accepted", ""), counts(7, 70, 700)),
            (key(shop.id, m, "rejected", "bad_json"), counts(1, 0, 10)),
            (
                key(shop.id, m, "rejected", "too_large"),
                counts(1, 0, 9_000)
            ),
            (key(shop.id, m + 1, "throttled", ""), counts(3, 30, 300)),
        ],
        "summed within a call and across calls, by minute, outcome, reason"
    );
    assert_eq!(
        store.ingest_counts(shop.id, m + 1).await.unwrap(),
        vec![(key(shop.id, m + 1, "throttled", ""), counts(3, 30, 300))],
        "from a minute on"
    );
    assert_eq!(
        store.ingest_counts(blog.id, 0).await.unwrap(),
        vec![(key(blog.id, m, "accepted", ""), counts(5, 50, 500))]
    );
    assert!(
        store
            .ingest_counts(shop.id, m + 2)
            .await
            .unwrap()
            .is_empty()
    );

    // Pruning: minutes before the given one go, of every project.
    assert_eq!(store.prune_ingest_counts(m).await.unwrap(), 0);
    assert_eq!(store.prune_ingest_counts(m + 1).await.unwrap(), 4);
    assert_eq!(
        store.ingest_counts(shop.id, 0).await.unwrap(),
        vec![(key(shop.id, m + 1, "throttled", ""), counts(3, 30, 300))]
    );
    assert!(store.ingest_counts(blog.id, 0).await.unwrap().is_empty());
    assert_eq!(store.prune_ingest_counts(m + 1).await.unwrap(), 0);

    // Nodes adding to the same minutes at once, in different orders: every count is kept.
    let batch = vec![
        (key(shop.id, m + 5, "accepted", ""), counts(1, 2, 3)),
        (key(shop.id, m + 5, "rejected", "bad_json"), counts(1, 0, 5)),
        (key(shop.id, m + 5, "throttled", ""), counts(1, 1, 1)),
    ];
    let adding = (0..8).map(|i| {
        let mut b = batch.clone();
        if i % 2 == 1 {
            b.reverse();
        }
        store.add_ingest_counts(b)
    });
    for added in futures::future::join_all(adding).await {
        added.unwrap();
    }
    assert_eq!(
        store.ingest_counts(shop.id, m + 5).await.unwrap(),
        vec![
            (key(shop.id, m + 5, "accepted", ""), counts(8, 16, 24)),
            (
                key(shop.id, m + 5, "rejected", "bad_json"),
                counts(8, 0, 40)
            ),
            (key(shop.id, m + 5, "throttled", ""), counts(8, 8, 8)),
        ]
    );
}
