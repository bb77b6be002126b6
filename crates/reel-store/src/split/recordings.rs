//! Where a [`SplitStore`]'s recording areas go: the recordings' index (which sessions have a
//! recording, chunks, pieces, holes, facts, the processing queue and its leases, objects in
//! flight) to the control store, where every node finds it; events, text and search to this
//! data dir's SQLite, which also keeps a copy of the uploads this node took and of the
//! processing runs it settled, for its search and its events feed.
//!
//! The index decides: a chunk it has is a duplicate, a run whose progress it moved is not
//! applied, a session it has no recording of has none. The copy here follows what it decided
//! and is written after it, so a crash between the two loses at most this node's copy (the
//! SDK's retry of an upload writes it; a run's copy is not written again).
//!
//! What a node does not know of a session whose uploads went through another node: the SDK's
//! own event names (`sdk_event_types`, so a run there may derive an event the SDK also sent)
//! and its user id (the run's derived events carry the device; charts merge them into the
//! user through it). A replay deleted through one node leaves the derived events and text that
//! another node's copy holds, until retention.

use async_trait::async_trait;

use super::{ControlStore, SplitStore};
use crate::*;

/// Blocks the calling (blocking) thread on a store future: the upload path runs on one.
fn wait<T>(f: impl std::future::Future<Output = Result<T>>) -> Result<T> {
    tokio::runtime::Handle::current().block_on(f)
}

impl<C: ControlStore> SplitStore<C> {
    /// The user id this node's events gave the session, for what the index cannot say.
    async fn local_user(&self, project_id: i64, id: &ReplayId) -> Result<Option<String>> {
        Ok(self
            .events
            .replay(project_id, id)
            .await?
            .and_then(|r| r.user_id))
    }
}

#[async_trait]
impl<C: ControlStore> IngestStore for SplitStore<C> {
    fn stored_chunks(
        &self,
        session: &SessionRef,
        content_hashes: &[String],
    ) -> Result<Vec<String>> {
        wait(
            self.control
                .index_stored_chunks(session, content_hashes.to_vec()),
        )
    }

    fn commit_upload(&self, upload: NewUpload, now_ms: i64) -> Result<UploadCommitted> {
        let project = upload.session.project_id;
        self.knows_project_blocking(project)?;
        let committed = wait(self.control.index_upload(upload.clone(), now_ms))?;
        // This node's copy, for its search and feed (it skips chunks it has, as the index
        // did). The upload is stored once the index has it; a failure here leaves this
        // node's search without it until the SDK's retry of the same upload.
        if let Err(e) = self.events.commit_upload(upload, now_ms) {
            tracing::warn!(error = %e, "this node's copy of an upload could not be written");
        }
        if committed.newly_captured {
            // Counted where every node counts. A crash right here leaves this session out of
            // the month's count: the quota errs towards letting a session through.
            let organization = self.organization_of(project)?;
            wait(
                self.control
                    .count_session_captured(organization, &reel_model::month_of(now_ms)),
            )?;
        }
        Ok(committed)
    }

    async fn add_events(
        &self,
        project_id: i64,
        events: Vec<AnalyticsEvent>,
        now_ms: i64,
    ) -> Result<EventsAdded> {
        self.knows_project(project_id).await?;
        self.events.add_events(project_id, events, now_ms).await
    }

    async fn add_interactions(&self, interactions: Interactions, now_ms: i64) -> Result<bool> {
        self.knows_project(interactions.session.project_id).await?;
        self.events.add_interactions(interactions, now_ms).await
    }
}

#[async_trait]
impl<C: ControlStore> CompactionStore for SplitStore<C> {
    async fn session_chunks(&self, session: &SessionRef) -> Result<Vec<StoredChunk>> {
        self.control.session_chunks_of(session).await
    }

    async fn intend_writes(&self, object_keys: Vec<String>) -> Result<()> {
        self.control.intend_object_writes(object_keys).await
    }

    async fn commit_compaction(&self, compaction: Compaction, now_ms: i64) -> Result<bool> {
        self.control
            .commit_indexed_compaction(compaction, now_ms)
            .await
    }

    async fn pieces(
        &self,
        project_id: i64,
        hashes: Vec<[u8; 16]>,
    ) -> Result<Vec<([u8; 16], Vec<u8>)>> {
        self.control.indexed_pieces(project_id, hashes).await
    }

    async fn known_pieces(&self, project_id: i64, hashes: Vec<[u8; 16]>) -> Result<Vec<[u8; 16]>> {
        self.control.indexed_known_pieces(project_id, hashes).await
    }

    async fn dictionary(&self, id: i64) -> Result<Option<Dictionary>> {
        self.control.indexed_dictionary(id).await
    }

    async fn object_intents(&self, now_ms: i64) -> Result<Vec<ObjectIntent>> {
        self.control.indexed_object_intents(now_ms).await
    }

    async fn object_referenced(&self, object_key: &str) -> Result<bool> {
        self.control.indexed_object_referenced(object_key).await
    }

    async fn forget_intent(&self, object_key: &str) -> Result<()> {
        self.control.forget_object_intent(object_key).await
    }

    /// An object is an orphan only when neither the index nor this node's copy refers to it
    /// (the copy may still name chunks the index compacted away: those objects then wait for
    /// their deletion intent rather than the orphan sweep).
    async fn unreferenced_objects(&self, object_keys: Vec<String>) -> Result<Vec<String>> {
        let shared = self
            .control
            .indexed_unreferenced_objects(object_keys)
            .await?;
        self.events.unreferenced_objects(shared).await
    }
}

#[async_trait]
impl<C: ControlStore> SessionStore for SplitStore<C> {
    async fn list_replays(
        &self,
        project_id: i64,
        range: TimeRange,
        limit: usize,
    ) -> Result<Vec<Replay>> {
        self.events.list_replays(project_id, range, limit).await
    }

    async fn replay(&self, project_id: i64, id: &ReplayId) -> Result<Option<Replay>> {
        let Some(mut replay) = self.control.indexed_replay(project_id, id).await? else {
            return Ok(None);
        };
        replay.user_id = self.local_user(project_id, id).await?;
        Ok(Some(replay))
    }

    async fn replays(&self, project_id: i64, ids: Vec<ReplayId>) -> Result<Vec<Replay>> {
        let users: std::collections::HashMap<ReplayId, Option<String>> = self
            .events
            .replays(project_id, ids.clone())
            .await?
            .into_iter()
            .map(|r| (r.id, r.user_id))
            .collect();
        let mut found = self.control.indexed_replays(project_id, ids).await?;
        for r in &mut found {
            r.user_id = users.get(&r.id).cloned().flatten();
        }
        Ok(found)
    }

    async fn replay_chunks(&self, project_id: i64, id: &ReplayId) -> Result<Vec<StoredChunk>> {
        self.control.indexed_chunks(project_id, id).await
    }

    async fn session_events(&self, session: &SessionRef, limit: usize) -> Result<Vec<StoredEvent>> {
        self.events.session_events(session, limit).await
    }

    async fn session_gaps(&self, project_id: i64, id: &ReplayId) -> Result<Vec<(i64, i64)>> {
        self.control.indexed_gaps(project_id, id).await
    }

    async fn delete_replay(
        &self,
        project_id: i64,
        id: &ReplayId,
        delete_after_ms: i64,
    ) -> Result<bool> {
        let Some(replay) = self.control.indexed_replay(project_id, id).await? else {
            // Not in the index: perhaps only this node's copy is left.
            return self
                .events
                .delete_replay(project_id, id, delete_after_ms)
                .await;
        };
        let session = SessionRef {
            project_id,
            device_id: replay.device_id,
            session_id: replay.session_id,
        };
        let forgotten = self
            .control
            .forget_recordings(vec![session], delete_after_ms)
            .await?;
        self.events
            .delete_replay(project_id, id, delete_after_ms)
            .await?;
        Ok(forgotten > 0)
    }

    async fn import_sessions(&self, sessions: Vec<ImportedSession>, now_ms: i64) -> Result<usize> {
        let mut projects: Vec<i64> = sessions.iter().map(|s| s.session.project_id).collect();
        projects.dedup();
        for project in projects {
            self.knows_project(project).await?;
        }
        self.events.import_sessions(sessions, now_ms).await
    }
}

#[async_trait]
impl<C: ControlStore> ProcessingStore for SplitStore<C> {
    async fn claim_work(
        &self,
        node: &str,
        now_ms: i64,
        lease_until_ms: i64,
        limit: usize,
    ) -> Result<Vec<WorkItem>> {
        let mut items = self
            .control
            .claim_indexed_work(node, now_ms, lease_until_ms, limit)
            .await?;
        for item in &mut items {
            item.user_id = self
                .local_user(item.session.project_id, &item.replay_id)
                .await?;
        }
        Ok(items)
    }

    async fn release_work(&self, session: &SessionRef, node: &str) -> Result<()> {
        self.control.release_indexed_work(session, node).await
    }

    async fn next_due_ms(&self) -> Result<Option<i64>> {
        self.control.next_indexed_due_ms().await
    }

    /// The index decides whether the run counts; if it does, this node keeps its events, text
    /// and its copy of the facts.
    async fn apply_signals(&self, update: SignalsUpdate, now_ms: i64) -> Result<bool> {
        if !self.control.apply_progress(&update).await? {
            return Ok(false);
        }
        self.knows_project(update.session.project_id).await?;
        self.events.copy_signals(update, now_ms).await?;
        Ok(true)
    }

    async fn reschedule_work(
        &self,
        session: &SessionRef,
        generation: i64,
        due_ms: i64,
    ) -> Result<bool> {
        self.control
            .reschedule_indexed_work(session, generation, due_ms)
            .await
    }

    async fn work_failed(&self, session: &SessionRef, due_ms: i64, error: &str) -> Result<()> {
        self.control
            .indexed_work_failed(session, due_ms, error)
            .await
    }

    async fn sdk_event_types(&self, session: &SessionRef) -> Result<Vec<String>> {
        self.events.sdk_event_types(session).await
    }

    async fn reset_signals(
        &self,
        project_id: Option<i64>,
        since_ms: Option<i64>,
        now_ms: i64,
    ) -> Result<usize> {
        let n = self
            .control
            .reset_progress(project_id, since_ms, now_ms)
            .await?;
        // This node's derived events, text and facts go too; the index makes the runs again.
        self.events
            .reset_signals(project_id, since_ms, now_ms)
            .await?;
        Ok(n)
    }
}

/// `a` then those of `b` not in it, at most `limit`.
fn union(mut a: Vec<SessionRef>, b: Vec<SessionRef>, limit: usize) -> Vec<SessionRef> {
    for s in b {
        if a.len() >= limit {
            break;
        }
        if !a.contains(&s) {
            a.push(s);
        }
    }
    a.truncate(limit);
    a
}

#[async_trait]
impl<C: ControlStore> ErasureStore for SplitStore<C> {
    async fn expired_sessions(
        &self,
        project_id: i64,
        cutoff_ms: i64,
        limit: usize,
    ) -> Result<Vec<SessionRef>> {
        let shared = self
            .control
            .expired_recordings(project_id, cutoff_ms, limit)
            .await?;
        let here = self
            .events
            .expired_sessions(project_id, cutoff_ms, limit)
            .await?;
        Ok(union(shared, here, limit))
    }

    async fn sessions_of(
        &self,
        project_id: i64,
        subject: &Subject,
        limit: usize,
    ) -> Result<Vec<SessionRef>> {
        let here = self.events.sessions_of(project_id, subject, limit).await?;
        let shared = match subject {
            Subject::DeviceId(device) => {
                self.control
                    .recordings_of_device(project_id, device, limit)
                    .await?
            }
            // The index holds no user ids: the events stores know a user's sessions.
            Subject::UserId(_) => Vec::new(),
        };
        Ok(union(here, shared, limit))
    }

    async fn delete_sessions(
        &self,
        sessions: Vec<SessionRef>,
        delete_after_ms: i64,
    ) -> Result<Erased> {
        let recordings = self
            .control
            .forget_recordings(sessions.clone(), delete_after_ms)
            .await?;
        let mut erased = self
            .events
            .delete_sessions(sessions, delete_after_ms)
            .await?;
        erased.recordings = recordings;
        erased.sessions = erased.sessions.max(recordings);
        Ok(erased)
    }

    async fn delete_expired_rest(
        &self,
        project_id: i64,
        cutoff_ms: i64,
        limit: usize,
    ) -> Result<Erased> {
        self.events
            .delete_expired_rest(project_id, cutoff_ms, limit)
            .await
    }

    async fn delete_subject_rest(&self, project_id: i64, subject: &Subject) -> Result<Erased> {
        self.events.delete_subject_rest(project_id, subject).await
    }
}
