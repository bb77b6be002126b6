//! The post-commit processing stage: what reel works out from a recording after the upload was
//! answered — signals (facts, derived events, on-screen text) and compaction into segments
//! ([`crate::compaction`]).
//!
//! Durable and resumable: an upload adds or advances its session's row in `session_work` in the
//! same transaction as its chunks, so committed data always has its work recorded; the worker
//! claims rows whose time has come, with a lease in this node's name
//! (`processing_lease_seconds`), and a run's results and its progress (`signals_until_ms`) are
//! committed together. A crash loses at most a run: the next start — or, on a shared queue,
//! another node once the lease has run out — repeats it. A run that outlives its lease and the
//! one that took its session over cannot both apply: a run applies only from the progress it
//! started at.
//!
//! It never delays an upload's answer, and it keeps to a share of one core
//! (`processing_cpu_share`): after each session it pauses in proportion to the time it worked.
//!
//! Signals are incremental. The analyzer is rebuilt from the latest keyframe whose Meta is
//! before `signals_until_ms` (every window the analyzer keeps restarts at a Meta) and fed to
//! the end; only outputs at or after `signals_until_ms` are applied, and only those the
//! analyzer has settled. Memory holds the stored pieces being merged and the live DOM, never
//! the session. Data that arrives late, before `signals_until_ms`, is not counted (`reel
//! reprocess` recomputes everything).

use std::time::{Duration, Instant};

use reel_rrweb::signals::{Analyzer, DerivedEvent, DerivedKind, Item, Settings};
use reel_store::{AnalyticsEvent, SessionFacts, SessionText, SignalsUpdate, StoredChunk, WorkItem};
use serde_json::{Value, json};

use crate::reader::keyframe_at_or_before;
use crate::signal_settings::SignalDefinitions;
use crate::{Engine, compaction};

/// Sessions taken per look at the work table.
const BATCH: usize = 16;
/// The worker looks at the work table at least this often, even when nothing woke it.
const IDLE_LOOK: Duration = Duration::from_secs(5);
/// After a failed run, the session is retried after this long times its attempts (at most an
/// hour).
const RETRY_BASE_MS: i64 = 10_000;
/// "Nothing to do until new data arrives."
const NOT_DUE: i64 = i64::MAX;

impl Engine {
    /// Runs the stage until the task is dropped.
    pub fn spawn_processing(&self) -> tokio::task::JoinHandle<()> {
        let engine = self.clone();
        tokio::spawn(async move { engine.process_forever().await })
    }

    async fn process_forever(&self) {
        let store = self.store();
        loop {
            let now = self.now_ms();
            let due = match self.claim_work(now, BATCH).await {
                Ok(due) => due,
                Err(e) => {
                    tracing::warn!(error = %e, "processing: cannot read the work table");
                    Vec::new()
                }
            };
            if due.is_empty() {
                let wait = match store.next_due_ms().await {
                    Ok(Some(at)) => {
                        Duration::from_millis(at.saturating_sub(now).clamp(0, 5_000) as u64)
                    }
                    _ => IDLE_LOOK,
                };
                let _ = tokio::time::timeout(wait.min(IDLE_LOOK), self.0.work.notified()).await;
                continue;
            }
            let mut due = due.into_iter();
            while let Some(item) = due.next() {
                let started = Instant::now();
                if let Err(e) = process(self, &item, true).await {
                    tracing::warn!(error = %e, session = %item.replay_id, "processing failed; will retry");
                    let backoff = (RETRY_BASE_MS * (item.attempts + 1)).min(3_600_000);
                    if let Err(e) = store
                        .work_failed(&item.session, self.now_ms() + backoff, &e)
                        .await
                    {
                        tracing::warn!(error = %e, "processing: cannot record a failure");
                    }
                }
                self.release_work(&item).await;
                pause_for_share(started.elapsed(), self.settings().processing_cpu_share).await;
                // Claimed sessions whose lease ran out while this node rested or worked may
                // be another node's now: give them back rather than work on them too.
                if self.lease_nearly_over(now) {
                    for item in due.by_ref() {
                        self.release_work(&item).await;
                    }
                }
            }
        }
    }

    /// Recomputes facts, derived events and text of the matching sessions from their stored
    /// recordings (after a definition or setting changed). Idempotent: running it twice leaves
    /// the same results. `progress(done, total)` is called after each session.
    pub async fn reprocess(
        &self,
        project_id: Option<i64>,
        since_ms: Option<i64>,
        mut progress: impl FnMut(usize, usize),
    ) -> Result<ReprocessReport, String> {
        let store = self.store();
        let started = self.now_ms();
        let total = store
            .reset_signals(project_id, since_ms, started)
            .await
            .map_err(|e| e.to_string())?;
        let (mut done, mut failed) = (0, 0);
        progress(done, total);
        loop {
            // Everything reset is due at `started`; sessions still recording are rescheduled
            // after their run and drop out.
            let due = self
                .claim_work(started, BATCH)
                .await
                .map_err(|e| e.to_string())?;
            if due.is_empty() {
                return Ok(ReprocessReport { done, failed });
            }
            for item in due {
                if let Err(e) = process(self, &item, false).await {
                    failed += 1;
                    tracing::warn!(error = %e, session = %item.replay_id, "reprocessing failed");
                    let retry = self.now_ms() + RETRY_BASE_MS;
                    store
                        .work_failed(&item.session, retry, &e)
                        .await
                        .map_err(|e| e.to_string())?;
                }
                self.release_work(&item).await;
                done += 1;
                progress(done.min(total), total);
            }
        }
    }
}

impl Engine {
    /// Claims due sessions for this node, for `processing_lease_seconds`.
    async fn claim_work(&self, now: i64, limit: usize) -> reel_store::Result<Vec<WorkItem>> {
        let lease_ms = self.lease_ms();
        self.store()
            .claim_work(self.node(), now, now.saturating_add(lease_ms), limit)
            .await
    }

    fn lease_ms(&self) -> i64 {
        (self.settings().processing_lease_seconds.max(1) as i64).saturating_mul(1000)
    }

    /// Whether leases claimed at `claimed_ms` have less than a tenth of their time left.
    fn lease_nearly_over(&self, claimed_ms: i64) -> bool {
        let lease = self.lease_ms();
        self.now_ms() >= claimed_ms.saturating_add(lease - lease / 10)
    }

    async fn release_work(&self, item: &WorkItem) {
        if let Err(e) = self.store().release_work(&item.session, self.node()).await {
            // The lease runs out by itself; until then no other node takes the session.
            tracing::warn!(error = %e, session = %item.replay_id, "processing: cannot release a lease");
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReprocessReport {
    pub done: usize,
    /// Sessions whose recording could not be read; left for the server to retry.
    pub failed: usize,
}

/// Keeps the stage to `share` of a core: after working `busy`, rest `busy × (1 − share) / share`.
pub(crate) async fn pause_for_share(busy: Duration, share: f64) {
    let share = share.clamp(0.01, 1.0);
    if share < 1.0 {
        tokio::time::sleep(busy.mul_f64((1.0 - share) / share)).await;
    }
}

/// One session's run: signals up to what is settled (to the end, once the session is idle),
/// then, with `compact`, compaction when it is due.
async fn process(engine: &Engine, item: &WorkItem, compact: bool) -> Result<(), String> {
    let store = engine.store();
    let now = engine.now_ms();
    let idle_ms = engine
        .settings()
        .compaction_idle_seconds
        .saturating_mul(1000) as i64;
    let idle = item.last_upload_ms.is_none_or(|t| now - t >= idle_ms);
    let chunks = store
        .session_chunks(&item.session)
        .await
        .map_err(|e| e.to_string())?;
    let sdk_types = store
        .sdk_event_types(&item.session)
        .await
        .map_err(|e| e.to_string())?;
    let to_compact = if compact {
        compaction::choose(&chunks, idle, engine.settings().compaction_open_bytes)
    } else {
        Vec::new()
    };
    let settings = store
        .project(item.session.project_id)
        .await
        .map_err(|e| e.to_string())?
        .map(|p| SignalDefinitions::from_stored(&p.signal_settings).settings())
        .unwrap_or_default();
    let mut update = run_signals(engine, item, chunks, idle, &sdk_types, settings).await?;
    // When the session needs nothing more: never (idle) or once it would count as idle (an
    // upload before then moves it earlier).
    let settled_due = if idle {
        NOT_DUE
    } else {
        item.last_upload_ms.unwrap_or(now).saturating_add(idle_ms)
    };
    // With a compaction to do, the session stays due until it is done: a crash in between
    // leaves it to the next run.
    let retry_due = now.saturating_add(RETRY_BASE_MS);
    update.next_due_ms = if to_compact.is_empty() {
        settled_due
    } else {
        retry_due
    };
    let applied = store
        .apply_signals(update, engine.now_ms())
        .await
        .map_err(|e| e.to_string())?;
    if !applied {
        tracing::debug!(session = %item.replay_id, "another run got there first");
        return Ok(());
    }
    if to_compact.is_empty() {
        return Ok(());
    }
    match compaction::compact(engine, item, to_compact).await? {
        compaction::Outcome::Compacted { chunks, segments } => {
            tracing::info!(session = %item.replay_id, chunks, segments, "compacted a recording")
        }
        compaction::Outcome::Conflict => {
            tracing::debug!(session = %item.replay_id, "compaction: another run got there first")
        }
        compaction::Outcome::Nothing => {}
    }
    store
        .reschedule_work(&item.session, item.generation, settled_due)
        .await
        .map_err(|e| e.to_string())?;
    Ok(())
}

/// Feeds the analyzer from the right keyframe and collects what it settles at or after the
/// session's `signals_until_ms`.
async fn run_signals(
    engine: &Engine,
    item: &WorkItem,
    chunks: Vec<StoredChunk>,
    finish: bool,
    sdk_types: &[String],
    settings: Settings,
) -> Result<SignalsUpdate, String> {
    let applied_until = item.signals_until_ms.unwrap_or(i64::MIN);
    let from = match item.signals_until_ms {
        None => i64::MIN,
        // Strictly before: the analyzer must see the Meta that opens the windows it resumes.
        Some(until) => keyframe_at_or_before(&chunks, until.saturating_sub(1)),
    };
    let last_event_ms = chunks
        .iter()
        .map(|c| c.end_ms)
        .max()
        .unwrap_or(applied_until);
    let mut collector = Collector::new(item, applied_until, sdk_types);
    let mut analyzer = Analyzer::new(settings);
    let mut reader = engine.reader(chunks, from, i64::MAX);
    let mut fed = 0usize;
    let gap_ms = engine.settings().gap_threshold_seconds.saturating_mul(1000) as i64;
    let mut previous: Option<i64> = None;
    while let Some(event) = reader.next().await.map_err(|e| e.to_string())? {
        if let Some(prev) = previous
            && event.timestamp >= applied_until
            && event.timestamp - prev > gap_ms
        {
            collector.gaps.push((prev, event.timestamp));
        }
        previous = Some(event.timestamp);
        analyzer.push(&event);
        fed += 1;
        if fed.is_multiple_of(256) {
            collector.take(analyzer.drain());
            // The analyzer works synchronously; let other tasks run between batches.
            tokio::task::yield_now().await;
        }
    }
    if finish {
        analyzer.finish();
    }
    let settled = analyzer.settled_until();
    collector.take(analyzer.drain());
    // After `finish`, everything up to the last event is settled; new data would start after it.
    let until = if finish {
        last_event_ms.saturating_add(1).max(applied_until)
    } else {
        settled.max(applied_until)
    };
    Ok(collector.into_update(until, finish))
}

/// Turns analyzer outputs into a [`SignalsUpdate`].
struct Collector<'a> {
    item: &'a WorkItem,
    applied_until: i64,
    facts: SessionFacts,
    urls: Vec<String>,
    viewport: Option<(u32, u32)>,
    events: Vec<AnalyticsEvent>,
    texts: Vec<SessionText>,
    gaps: Vec<(i64, i64)>,
    /// Kinds the SDK sent itself: reel does not derive them again.
    skip: Vec<DerivedKind>,
}

impl<'a> Collector<'a> {
    fn new(item: &'a WorkItem, applied_until: i64, sdk_types: &[String]) -> Self {
        let sent = |name: &str| {
            sdk_types
                .iter()
                .any(|t| t == &format!("[reel] {name}") || t == &format!("[Amplitude] {name}"))
        };
        let skip = [
            (DerivedKind::PageViewed, "Page Viewed"),
            (DerivedKind::ElementClicked, "Element Clicked"),
            (DerivedKind::ElementChanged, "Element Changed"),
        ]
        .into_iter()
        .filter(|(_, name)| sent(name))
        .map(|(kind, _)| kind)
        .collect();
        Self {
            item,
            applied_until,
            facts: SessionFacts::default(),
            urls: Vec::new(),
            viewport: None,
            events: Vec::new(),
            texts: Vec::new(),
            gaps: Vec::new(),
            skip,
        }
    }

    /// Takes drained outputs (the analyzer drains only what it has settled), skipping those an
    /// earlier run applied.
    fn take(&mut self, outputs: Vec<reel_rrweb::signals::Output>) {
        for output in outputs {
            if output.ts < self.applied_until {
                continue;
            }
            match output.item {
                Item::Count { fact, n } => {
                    self.facts.add(fact, i64::try_from(n).unwrap_or(i64::MAX));
                }
                Item::Url(url) => {
                    if !self.urls.contains(&url) {
                        self.urls.push(url);
                    }
                }
                Item::Viewport { width, height } => {
                    self.viewport.get_or_insert((width, height));
                }
                Item::Event(event) => {
                    if !self.skip.contains(&event.kind) {
                        self.events.push(self.analytics_event(output.ts, event));
                    }
                }
                Item::ScreenText(text) => self.texts.push(SessionText {
                    console_level: None,
                    ts_ms: output.ts,
                    text,
                }),
                Item::ConsoleText { level, text } => self.texts.push(SessionText {
                    console_level: Some(level),
                    ts_ms: output.ts,
                    text,
                }),
            }
        }
    }

    /// A derived event as the event store keeps it, linked to its replay the way Amplitude's
    /// SDKs link theirs.
    fn analytics_event(&self, ts: i64, event: DerivedEvent) -> AnalyticsEvent {
        let session = &self.item.session;
        let mut properties = event.properties;
        properties.insert(
            "[Amplitude] Session Replay ID".into(),
            json!(format!("{}/{}", session.device_id, session.session_id)),
        );
        let properties = Value::Object(properties);
        let raw = json!({
            "event_type": event.kind.event_type(),
            "time": ts,
            "device_id": session.device_id,
            "session_id": session.session_id,
            "event_properties": properties,
            "display_name": event.display_name,
        });
        AnalyticsEvent {
            insert_id: Some(format!("reel:{}:{}", self.item.replay_id, event.id)),
            event_type: event.kind.event_type().to_owned(),
            time_ms: ts,
            device_id: Some(session.device_id.clone()),
            user_id: self.item.user_id.clone(),
            session_id: Some(session.session_id),
            event_properties: properties.to_string(),
            user_properties: "{}".into(),
            raw: raw.to_string(),
            display_name: Some(event.display_name),
            derived: true,
        }
    }

    fn into_update(self, until: i64, finished: bool) -> SignalsUpdate {
        SignalsUpdate {
            session: self.item.session.clone(),
            facts: self.facts,
            urls: self.urls,
            viewport: self.viewport,
            events: self.events,
            texts: self.texts,
            gaps: self.gaps,
            signals_until_ms: until,
            expected_until_ms: self.item.signals_until_ms,
            finished,
            next_due_ms: NOT_DUE,
            taken_generation: self.item.generation,
        }
    }
}
