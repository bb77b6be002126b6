//! Replay search's sessions in ClickHouse: the writing half. [`ClickHouseSearch`] keeps what the
//! replay list shows and what search filters on, given what the embedded store is given:
//! sessions with their facts ([`ClickHouseSearch::put_replay`], [`ClickHouseSearch::import_sessions`]),
//! analytics events ([`ClickHouseSearch::add_events`]: events by name with their properties,
//! clicked elements' words, the session's user, user-property operations) and session text
//! ([`ClickHouseSearch::add_texts`]). Tables in `schema.rs` (version 2); reading in `search.rs`.
//!
//! Nothing here reads state before writing except de-duplication (insert ids, imports of
//! sessions already seen): every decision the embedded store makes in place (the session's
//! user set last by event time, user properties' `$set`/`$unset`/…) is made when reading,
//! from rows that carry their arrival number, so no merge timing and no node's cache decides.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use serde_json::{Value, json};

use reel_query::selector::{ClickedElement, element_tokens};

use super::client::{ClickHouse, quote};
use super::record::Sequence;
use super::schema;
use super::search_erase::{live_events, live_ops, live_sessions};
use crate::{
    AnalyticsEvent, ImportedSession, NewChunk, NewUpload, Result, SessionFacts, SessionRef,
    SessionText, SignalsUpdate, properties,
};

/// Replay search on ClickHouse: written here, searched through [`crate::SearchStore`].
pub struct ClickHouseSearch {
    pub(super) ch: ClickHouse,
    pub(super) seq: Arc<Sequence>,
    /// How many candidates a search reads and decides at a time when Rust decides filters.
    pub(super) batch: usize,
    /// How long a search may spend counting every match before it answers without the count.
    pub(super) count_budget: std::time::Duration,
}

/// A replay's fields as the list shows them (the embedded store's `sessions` row).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReplayFields {
    pub start_ms: i64,
    pub end_ms: i64,
    pub event_count: i64,
    pub stored_bytes: i64,
    pub first_url: Option<String>,
    /// When the first URL was seen: an upload's earlier first URL replaces a later one.
    pub first_url_ms: Option<i64>,
    pub country: Option<String>,
    pub facts: SessionFacts,
    pub urls: Vec<String>,
    pub viewport: Option<(i64, i64)>,
    pub browser: Option<String>,
    pub os: Option<String>,
    pub device: Option<String>,
    pub last_upload_ms: Option<i64>,
    pub processing_due_ms: Option<i64>,
    /// How many times the session's replay was deleted: derived events and text written
    /// before the last deletion are gone (see `schema.rs`).
    pub generation: u32,
}

impl ReplayFields {
    /// A replay's fields as another store lists them, in `generation` (a node's feed hands
    /// them on). When its first URL was seen is not listed: only
    /// [`ClickHouseSearch::record_upload`] needs it, which a fed replay is never given.
    pub fn of_replay(r: &crate::Replay, generation: u32) -> Self {
        Self {
            start_ms: r.start_ms,
            end_ms: r.end_ms,
            event_count: r.event_count,
            stored_bytes: r.stored_bytes,
            first_url: r.first_url.clone(),
            first_url_ms: None,
            country: r.country.clone(),
            facts: r.facts,
            urls: r.urls.clone(),
            viewport: r.viewport,
            browser: r.browser.clone(),
            os: r.os.clone(),
            device: r.device.clone(),
            last_upload_ms: r.last_upload_ms,
            processing_due_ms: r.processing_due_ms,
            generation,
        }
    }
}

/// Appends one JSONEachRow line.
fn push(rows: &mut String, row: Value) {
    rows.push_str(&row.to_string());
    rows.push('\n');
}

/// The session an event belongs to, as the embedded store decides (a device and a positive
/// session id).
fn event_session(e: &AnalyticsEvent) -> Option<(&str, i64)> {
    match (&e.device_id, e.session_id.filter(|s| *s > 0)) {
        (Some(device_id), Some(session_id)) => Some((device_id.as_str(), session_id)),
        _ => None,
    }
}

/// The words a clicked element is found by (`sqlite/events.rs`'s `index_element`): its
/// selector words and `=text`; none for other events.
pub(super) fn tokens_of(event_properties: &str) -> Vec<String> {
    if !event_properties.contains(reel_query::ELEMENT_SELECTOR_PROPERTY) {
        return Vec::new();
    }
    let Ok(Value::Object(props)) = serde_json::from_str::<Value>(event_properties) else {
        return Vec::new();
    };
    let Some(element) = ClickedElement::from_properties(&props) else {
        return Vec::new();
    };
    let mut tokens = element_tokens(&element);
    if let Some(text) = props
        .get(reel_query::ELEMENT_TEXT_PROPERTY)
        .and_then(Value::as_str)
    {
        tokens.push(crate::sqlite::text_token(text));
    }
    tokens
}

/// `(device, session)` pairs as a ClickHouse tuple list, for `IN`.
pub(super) fn session_tuples<'a>(sessions: impl IntoIterator<Item = (&'a str, i64)>) -> String {
    let mut list: Vec<String> = sessions
        .into_iter()
        .map(|(d, s)| format!("({}, {s})", quote(d)))
        .collect();
    if list.len() == 1 {
        // `IN (('d', 1))` would be read as `IN ('d', 1)`, a set of two values: a second,
        // equal tuple keeps it a set of tuples.
        list.push(list[0].clone());
    }
    list.join(", ")
}

impl ClickHouseSearch {
    /// Connects to `events_url`, makes the tables if missing and checks their version.
    pub async fn open(events_url: &str) -> Result<Self> {
        Self::open_logging(events_url, None).await
    }

    /// [`Self::open`], logging statements as [`super::ClickHouseEvents::open_logging`] does.
    pub async fn open_logging(events_url: &str, log: Option<&std::path::Path>) -> Result<Self> {
        let ch = ClickHouse::connect_logging(events_url, log).await?;
        schema::ensure(&ch).await?;
        // Arrival numbers go on from the largest written (kind 0's `version` is reversed:
        // its `row` is the arrival number).
        let last = ch
            .largest(&[
                "SELECT max(seen_row) FROM search_sessions",
                "SELECT maxIf(version, kind != 0) FROM search_sessions",
                "SELECT max(seq) FROM search_events",
                "SELECT max(seq) FROM search_texts",
                "SELECT max(seq) FROM search_user_ops",
            ])
            .await?;
        Ok(Self {
            ch,
            seq: Arc::new(Sequence::starting_after(last)),
            batch: super::search::BATCH,
            count_budget: super::search::COUNT_BUDGET,
        })
    }

    /// Searches decide `batch` candidates at a time instead of 200 (tests use a few, so a
    /// small data set goes through many batches).
    pub fn with_search_batch(mut self, batch: usize) -> Self {
        self.batch = batch.max(1);
        self
    }

    /// Searches count every match within `budget` instead of half a second (tests comparing
    /// counts on a loaded machine give it longer, as the embedded store's small data needs).
    pub fn with_count_budget(mut self, budget: std::time::Duration) -> Self {
        self.count_budget = budget;
        self
    }

    pub fn clickhouse(&self) -> &ClickHouse {
        &self.ch
    }

    /// A "seen" row: the session's place among ties is its first sighting's (see
    /// `schema.rs`, kind 0).
    fn seen_row(&self, rows: &mut String, project_id: i64, device_id: &str, session_id: i64) {
        let row = self.seq.next();
        push(
            rows,
            json!({"project": project_id, "device_id": device_id, "session_id": session_id,
                   "kind": 0, "seen_row": row, "version": u64::MAX - row}),
        );
    }

    /// Sets a replay's fields (a new version: the latest written is the replay's state), as
    /// the embedded store's ingest and processing stages update its session row.
    pub async fn put_replay(&self, session: &SessionRef, fields: &ReplayFields) -> Result<()> {
        let mut rows = String::new();
        self.seen_row(
            &mut rows,
            session.project_id,
            &session.device_id,
            session.session_id,
        );
        self.replay_row(&mut rows, session, fields, true);
        self.ch.insert("search_sessions", rows).await
    }

    /// A version of the replay's fields; `is_replay` false once it was deleted.
    fn replay_row(&self, rows: &mut String, s: &SessionRef, f: &ReplayFields, is_replay: bool) {
        let text = |v: &Option<String>| v.clone().unwrap_or_default();
        let flag = |present: bool| u8::from(present);
        let mut row = json!({
            "project": s.project_id, "device_id": s.device_id, "session_id": s.session_id,
            "kind": 1, "version": self.seq.next(),
            "start_ms": f.start_ms, "end_ms": f.end_ms, "event_count": f.event_count,
            "stored_bytes": f.stored_bytes,
            "first_url": text(&f.first_url), "has_first_url": flag(f.first_url.is_some()),
            "first_url_ms": f.first_url_ms.unwrap_or(i64::MAX),
            "country": text(&f.country), "has_country": flag(f.country.is_some()),
            "urls": f.urls,
            "viewport_width": f.viewport.map_or(0, |v| v.0),
            "viewport_height": f.viewport.map_or(0, |v| v.1),
            "has_viewport": flag(f.viewport.is_some()),
            "browser": text(&f.browser), "has_browser": flag(f.browser.is_some()),
            "os": text(&f.os), "has_os": flag(f.os.is_some()),
            "device": text(&f.device), "has_device": flag(f.device.is_some()),
            "last_upload_ms": f.last_upload_ms.unwrap_or(0),
            "has_last_upload": flag(f.last_upload_ms.is_some()),
            "processing_due_ms": f.processing_due_ms.unwrap_or(0),
            "has_processing_due": flag(f.processing_due_ms.is_some()),
            "is_replay": flag(is_replay), "generation": f.generation,
        });
        for (fact, n) in f.facts.iter() {
            row[fact.name()] = n.into();
        }
        push(rows, row);
    }

    /// A session's fields as written last and whether it is a replay (not deleted); `None`
    /// before it has any.
    async fn fields(&self, session: &SessionRef) -> Result<Option<(ReplayFields, bool)>> {
        Ok(self
            .replay_state(session)
            .await?
            .map(|(r, first_url_ms, is_replay, generation)| {
                let fields = ReplayFields {
                    start_ms: r.start_ms,
                    end_ms: r.end_ms,
                    event_count: r.event_count,
                    stored_bytes: r.stored_bytes,
                    // `i64::MAX` is how "never" is written (see `replay_row`).
                    first_url_ms: (first_url_ms != i64::MAX).then_some(first_url_ms),
                    first_url: r.first_url,
                    country: r.country,
                    facts: r.facts,
                    urls: r.urls,
                    viewport: r.viewport,
                    browser: r.browser,
                    os: r.os,
                    device: r.device,
                    last_upload_ms: r.last_upload_ms,
                    processing_due_ms: r.processing_due_ms,
                    generation,
                };
                (fields, is_replay)
            }))
    }

    /// Deletes a replay as [`crate::SessionStore::delete_replay`] does for search: the session
    /// stays (its analytics events and user may still refer to it) but is no longer a replay,
    /// its extent, counts, URLs, viewport and facts are cleared, and its derived events and
    /// text are gone (a new generation; see `schema.rs`). Country and user agent stay, as
    /// there. Returns false when there is no such replay. The recording's chunks are the
    /// chunk store's.
    pub async fn delete_replay(&self, session: &SessionRef) -> Result<bool> {
        let Some((old, true)) = self.fields(session).await? else {
            return Ok(false);
        };
        let cleared = ReplayFields {
            country: old.country,
            browser: old.browser,
            os: old.os,
            device: old.device,
            generation: old.generation + 1,
            ..ReplayFields::default()
        };
        let mut rows = String::new();
        self.replay_row(&mut rows, session, &cleared, false);
        self.ch.insert("search_sessions", rows).await?;
        Ok(true)
    }

    /// Sets replays' fields to a snapshot of another store's ([`crate::SessionStore::replay`],
    /// read by a node's feed), at the generation that store gave: the same snapshot written
    /// twice changes nothing that is read.
    /// Several at once, in one insert, each seen in this order.
    pub async fn put_snapshots(&self, replays: &[(SessionRef, ReplayFields)]) -> Result<()> {
        let mut rows = String::new();
        for (session, fields) in replays {
            self.seen_row(
                &mut rows,
                session.project_id,
                &session.device_id,
                session.session_id,
            );
            self.replay_row(&mut rows, session, fields, true);
        }
        self.ch.insert("search_sessions", rows).await
    }

    /// The replay is gone from the store a node's feed reads ([`crate::SessionStore::replay`]
    /// found none): as [`Self::delete_replay`], into `generation` (the store's count of the
    /// session's deletions) unless it is there already, so handing the deletion on twice
    /// deletes once. Nothing for a session never seen here.
    pub async fn delete_replay_at(&self, session: &SessionRef, generation: u32) -> Result<()> {
        let Some((old, is_replay)) = self.fields(session).await? else {
            return Ok(());
        };
        if !is_replay && old.generation >= generation {
            return Ok(());
        }
        let cleared = ReplayFields {
            country: old.country,
            browser: old.browser,
            os: old.os,
            device: old.device,
            generation: generation.max(old.generation),
            ..ReplayFields::default()
        };
        let mut rows = String::new();
        self.replay_row(&mut rows, session, &cleared, false);
        self.ch.insert("search_sessions", rows).await
    }

    /// What an upload does to its session's row in the embedded store
    /// ([`crate::IngestStore::commit_upload`]): the extent grows to the chunks', counts and
    /// bytes add up, the country and user agent are kept from the first upload that had them,
    /// the earliest first URL wins. `chunks` are those the chunk store kept (a chunk it had
    /// already changes nothing there); `processing_due_ms` is when the work queue, which is
    /// not here, will next look at the session.
    ///
    /// Reads the session's latest version and writes the next: two writers of one session at
    /// once would lose an update, as the embedded store's transaction does not. The work
    /// queue's one-run-per-session rule keeps processing to one writer; uploads of one session
    /// must reach one node at a time until this is coordinated.
    pub async fn record_upload(
        &self,
        upload: &NewUpload,
        chunks: &[NewChunk],
        now_ms: i64,
        processing_due_ms: Option<i64>,
    ) -> Result<()> {
        if chunks.is_empty() {
            return Ok(());
        }
        let existing = self.fields(&upload.session).await?;
        // A deleted replay starts again from this upload, keeping what the deletion kept.
        let new = !matches!(existing, Some((_, true)));
        let mut f = existing.map(|(f, _)| f).unwrap_or_default();
        let ua = upload.user_agent.as_ref();
        for (i, c) in chunks.iter().enumerate() {
            if new && i == 0 {
                (f.start_ms, f.end_ms) = (c.start_ms, c.end_ms);
            } else {
                f.start_ms = f.start_ms.min(c.start_ms);
                f.end_ms = f.end_ms.max(c.end_ms);
            }
            f.event_count += c.event_count;
            f.stored_bytes += c.stored_bytes;
            f.country = f.country.or_else(|| upload.country.clone());
            f.last_upload_ms = Some(now_ms);
            f.browser = f.browser.or_else(|| ua.map(|u| u.browser.clone()));
            f.os = f.os.or_else(|| ua.map(|u| u.os.clone()));
            f.device = f.device.or_else(|| ua.map(|u| u.device.clone()));
            if let Some((href_ms, href)) = &c.first_href
                && f.first_url_ms.is_none_or(|m| m > *href_ms)
            {
                f.first_url = Some(href.clone());
                f.first_url_ms = Some(*href_ms);
            }
        }
        f.processing_due_ms = processing_due_ms;
        self.put_replay(&upload.session, &f).await
    }

    /// What a processing run's signals do in the embedded store
    /// ([`crate::ProcessingStore::apply_signals`], once the run's progress check passed, which
    /// is the work queue's): facts added, new page URLs appended (up to the same limit), the
    /// viewport kept from the first run that saw one, derived events and text stored.
    /// `processing_due_ms` as in [`Self::record_upload`]. Returns false (nothing written) for
    /// a session with no replay row yet.
    pub async fn apply_signals(
        &self,
        u: &SignalsUpdate,
        processing_due_ms: Option<i64>,
    ) -> Result<bool> {
        // A deleted replay has no processing to apply (the embedded store's work row went
        // with it).
        let Some((mut f, true)) = self.fields(&u.session).await? else {
            return Ok(false);
        };
        for (fact, n) in u.facts.iter().filter(|(_, n)| *n != 0) {
            // SQLite would turn an overflowing sum into a float; a count that large is not
            // a count any more, so it stops at the largest.
            f.facts.add(fact, n);
        }
        for url in &u.urls {
            if f.urls.len() < crate::sqlite::MAX_SESSION_URLS && !f.urls.contains(url) {
                f.urls.push(url.clone());
            }
        }
        if f.viewport.is_none() {
            f.viewport = u.viewport.map(|(w, h)| (i64::from(w), i64::from(h)));
        }
        f.processing_due_ms = processing_due_ms;
        self.put_replay(&u.session, &f).await?;
        self.add_events_in(u.session.project_id, &u.events, f.generation)
            .await?;
        self.add_texts_in(&u.session, &u.texts, f.generation)
            .await?;
        Ok(true)
    }

    /// Of these sessions, those seen before (any row kind 0).
    async fn seen(
        &self,
        project_id: i64,
        sessions: &[(&str, i64)],
    ) -> Result<HashSet<(String, i64)>> {
        let mut out = HashSet::new();
        for chunk in sessions.chunks(500) {
            let rows = self
                .ch
                .rows(&format!(
                    "SELECT DISTINCT device_id, session_id FROM search_sessions \
                     WHERE project = {project_id} AND kind = 0 \
                     AND (device_id, session_id) IN ({}) AND {}",
                    session_tuples(chunk.iter().copied()),
                    live_sessions(project_id)
                ))
                .await?;
            for r in rows {
                if let [d, s] = r.as_slice() {
                    out.insert((d.clone(), s.parse().unwrap_or(0)));
                }
            }
        }
        Ok(out)
    }

    /// Stores sessions without recordings, as [`crate::SessionStore::import_sessions`] does: a
    /// session seen before (by an import or an event) is left as it is. Returns how many were
    /// new.
    pub async fn import_sessions(&self, sessions: &[ImportedSession]) -> Result<usize> {
        // Sessions seen before, per project: (project, device, session).
        let mut seen: HashSet<(i64, String, i64)> = HashSet::new();
        let mut projects: Vec<i64> = sessions.iter().map(|s| s.session.project_id).collect();
        projects.sort_unstable();
        projects.dedup();
        for project_id in projects {
            let keys: Vec<(&str, i64)> = sessions
                .iter()
                .filter(|s| s.session.project_id == project_id)
                .map(|s| (s.session.device_id.as_str(), s.session.session_id))
                .collect();
            for (d, id) in self.seen(project_id, &keys).await? {
                seen.insert((project_id, d, id));
            }
        }
        let mut new = 0;
        for imported in sessions {
            let s = &imported.session;
            if !seen.insert((s.project_id, s.device_id.clone(), s.session_id)) {
                continue;
            }
            let ua = imported.user_agent.as_ref();
            let fields = ReplayFields {
                start_ms: imported.start_ms,
                end_ms: imported.end_ms,
                first_url: imported.first_url.clone(),
                // As the embedded store: the import's start, with or without a URL.
                first_url_ms: Some(imported.start_ms),
                country: imported.country.clone(),
                facts: imported.facts,
                urls: imported.urls.clone(),
                viewport: imported.viewport.map(|(w, h)| (i64::from(w), i64::from(h))),
                browser: ua.map(|u| u.browser.clone()),
                os: ua.map(|u| u.os.clone()),
                device: ua.map(|u| u.device.clone()),
                // The embedded store sets the last upload to the session's end for an import.
                last_upload_ms: Some(imported.end_ms),
                ..ReplayFields::default()
            };
            self.put_replay(s, &fields).await?;
            self.add_events(s.project_id, &imported.events).await?;
            self.add_texts_in(s, &imported.texts, 0).await?;
            // The embedded store would find these sessions' rows too.
            for e in &imported.events {
                if let Some((d, id)) = event_session(e) {
                    seen.insert((s.project_id, d.to_owned(), id));
                }
            }
            new += 1;
        }
        Ok(new)
    }

    /// Stores a batch of a project's analytics events, as [`crate::IngestStore::add_events`]
    /// does for search: those whose insert id was seen before are skipped (a derived event's:
    /// in the same generation); each is bounded by
    /// the same property limits; a non-derived event sets its session's user and its user's
    /// properties. Returns how many were new.
    /// Derived events are written in their session's first generation: only a processing run
    /// ([`Self::apply_signals`]) writes them after a deletion.
    pub async fn add_events(&self, project_id: i64, events: &[AnalyticsEvent]) -> Result<usize> {
        self.add_events_in(project_id, events, 0).await
    }

    /// [`Self::add_events`] for events a node's feed hands on: each with its session's
    /// generation when the node read it (a derived event still stored belongs to it).
    pub async fn add_fed_events(
        &self,
        project_id: i64,
        events: &[AnalyticsEvent],
        generations: &[u32],
    ) -> Result<usize> {
        self.add_events_at(project_id, events, &|i| {
            generations.get(i).copied().unwrap_or(0)
        })
        .await
    }

    async fn add_events_in(
        &self,
        project_id: i64,
        events: &[AnalyticsEvent],
        generation: u32,
    ) -> Result<usize> {
        self.add_events_at(project_id, events, &|_| generation)
            .await
    }

    async fn add_events_at(
        &self,
        project_id: i64,
        events: &[AnalyticsEvent],
        generation_of: &(dyn Fn(usize) -> u32 + Sync),
    ) -> Result<usize> {
        // A derived event is kept once per generation: a deleted replay's (or reprocessed
        // session's) derived events come again, with the same ids, in the next one.
        let mut inserted: HashSet<(String, Option<u32>)> = self
            .seen_insert_ids(project_id, events)
            .await?
            .into_iter()
            .map(|(id, derived, generation)| (id, derived.then_some(generation)))
            .collect();
        let mut sessions_seen: HashSet<(&str, i64)> = HashSet::new();
        let (mut session_rows, mut event_rows, mut op_rows, mut bindings) =
            (String::new(), String::new(), String::new(), String::new());
        let mut new = 0;
        for (i, e) in events.iter().enumerate() {
            if let Some(id) = &e.insert_id
                && !inserted.insert((id.clone(), e.derived.then(|| generation_of(i))))
            {
                continue;
            }
            new += 1;
            let event_properties = properties::bound_event_properties(&e.event_properties);
            let user_properties = properties::bound_user_properties(&e.user_properties);
            let session = event_session(e);
            if let Some((d, s)) = session
                && sessions_seen.insert((d, s))
            {
                self.seen_row(&mut session_rows, project_id, d, s);
            }
            let (device_id, session_id) = session.unwrap_or(("", 0));
            // Only a session's clicks are found by their element (as the embedded store).
            let tokens = if session.is_some() {
                tokens_of(&event_properties.text)
            } else {
                Vec::new()
            };
            let seq = self.seq.next();
            if let (Some(device), Some(user_id)) = (&e.device_id, &e.user_id) {
                push(
                    &mut bindings,
                    json!({"project": project_id, "device": device, "user_id": user_id,
                           "seq": seq}),
                );
            }
            push(
                &mut event_rows,
                json!({"project": project_id, "device_id": device_id, "session_id": session_id,
                       "event_type": e.event_type, "time_ms": e.time_ms, "seq": seq,
                       "insert_id": e.insert_id.clone().unwrap_or_default(),
                       "derived": u8::from(e.derived), "props": &*event_properties.text,
                       "generation": generation_of(i),
                       "user_id": e.user_id.clone().unwrap_or_default(),
                       "device": e.device_id.clone().unwrap_or_default(),
                       "tokens": tokens}),
            );
            if e.derived {
                continue;
            }
            let user_key = match (&e.user_id, &e.device_id) {
                (Some(u), _) => Some(format!("u:{u}")),
                (None, Some(d)) => Some(format!("d:{d}")),
                (None, None) => None,
            };
            if let Some(user_key) = user_key
                && user_properties.text.len() > 2
            {
                push(
                    &mut op_rows,
                    json!({"project": project_id, "user_key": user_key, "seq": self.seq.next(),
                           "time_ms": e.time_ms, "props": &*user_properties.text}),
                );
            }
            if let (Some((d, s)), Some(user_id)) = (session, &e.user_id) {
                push(
                    &mut session_rows,
                    json!({"project": project_id, "device_id": d, "session_id": s, "kind": 2,
                           "version": self.seq.next(), "user_id": user_id,
                           "user_id_ms": e.time_ms}),
                );
            }
        }
        // Sessions first: an event is never found without its session's row.
        self.ch.insert("search_sessions", session_rows).await?;
        self.ch.insert("search_user_ops", op_rows).await?;
        self.ch.insert("search_events", event_rows).await?;
        self.ch.insert("search_bindings", bindings).await?;
        Ok(new)
    }

    /// The insert ids of `events` already stored, each with whether it was derived and its
    /// generation.
    async fn seen_insert_ids(
        &self,
        project_id: i64,
        events: &[AnalyticsEvent],
    ) -> Result<HashSet<(String, bool, u32)>> {
        let ids: Vec<&str> = events
            .iter()
            .filter_map(|e| e.insert_id.as_deref())
            .collect();
        let mut out = HashSet::new();
        for chunk in ids.chunks(500) {
            let list: Vec<String> = chunk.iter().map(|id| quote(id)).collect();
            let rows = self
                .ch
                .rows(&format!(
                    "SELECT DISTINCT insert_id, derived, generation FROM search_events \
                     WHERE project = {project_id} AND insert_id IN ({}) AND {}",
                    list.join(", "),
                    live_events(project_id)
                ))
                .await?;
            out.extend(
                rows.into_iter()
                    .filter_map(|r| match <[String; 3]>::try_from(r) {
                        Ok([id, derived, generation]) => {
                            Some((id, derived == "1", generation.parse().ok()?))
                        }
                        Err(_) => None,
                    }),
            );
        }
        Ok(out)
    }

    /// Stores text a session showed or logged. The embedded store keeps each kind's text once
    /// per content; a repeat changes no search answer (they test whether some text matches),
    /// so repeats are kept here.
    pub async fn add_texts(&self, session: &SessionRef, texts: &[SessionText]) -> Result<()> {
        let generation = self.fields(session).await?.map_or(0, |(f, _)| f.generation);
        self.add_texts_in(session, texts, generation).await
    }

    /// Stores text in the session's given generation (a node's feed hands on text with the
    /// generation it was stored in; see [`Self::add_fed_events`]).
    pub async fn add_texts_in(
        &self,
        session: &SessionRef,
        texts: &[SessionText],
        generation: u32,
    ) -> Result<()> {
        let texts: Vec<(&SessionRef, &SessionText, u32)> =
            texts.iter().map(|t| (session, t, generation)).collect();
        self.add_texts_of(&texts).await
    }

    /// Stores text of several sessions, each piece in its session's given generation, in one
    /// statement (what a node's feed hands on in a row).
    pub async fn add_texts_of(&self, texts: &[(&SessionRef, &SessionText, u32)]) -> Result<()> {
        let mut rows = String::new();
        for (session, t, generation) in texts {
            push(
                &mut rows,
                json!({"project": session.project_id, "device_id": session.device_id,
                       "session_id": session.session_id,
                       "console": u8::from(t.console_level.is_some()),
                       "level": t.console_level.clone().unwrap_or_default(),
                       "ts_ms": t.ts_ms, "text": t.text,
                       "words": crate::sqlite::fold_words(&t.text), "seq": self.seq.next(),
                       "generation": generation}),
            );
        }
        self.ch.insert("search_texts", rows).await
    }

    /// The project's live user-property operations (`only`: a further condition, e.g. on the
    /// user key), in arrival order: (user key, time, properties JSON).
    pub(super) async fn live_user_ops(
        &self,
        project_id: i64,
        only: &str,
    ) -> Result<Vec<(String, i64, String)>> {
        Ok(self
            .ch
            .rows(&format!(
                "SELECT user_key, time_ms, props FROM search_user_ops \
                 WHERE project = {project_id}{only} AND {} ORDER BY seq",
                live_ops(project_id)
            ))
            .await?
            .into_iter()
            .filter_map(|r| match <[String; 3]>::try_from(r) {
                Ok([k, t, p]) => Some((k, t.parse().ok()?, p)),
                Err(_) => None,
            })
            .collect())
    }

    /// The current user properties of these user keys (`u:` user id, `d:` device id), folded
    /// from their operations with the embedded store's rules.
    pub(super) async fn user_properties(
        &self,
        project_id: i64,
        user_keys: Option<&[String]>,
    ) -> Result<HashMap<String, Vec<(String, rusqlite::types::Value)>>> {
        let only = match user_keys {
            Some([]) => return Ok(HashMap::new()),
            Some(keys) => {
                let list: Vec<String> = keys.iter().map(|k| quote(k)).collect();
                format!(" AND user_key IN ({})", list.join(", "))
            }
            None => String::new(),
        };
        let ops = self.live_user_ops(project_id, &only).await?;
        let folded = tokio::task::spawn_blocking(move || {
            crate::sqlite::Conditions::new()?.fold_user_properties(&ops)
        })
        .await
        .map_err(|e| crate::StoreError::Task(e.to_string()))??;
        let mut out: HashMap<String, Vec<(String, rusqlite::types::Value)>> = HashMap::new();
        for (user_key, key, value) in folded {
            out.entry(user_key).or_default().push((key, value));
        }
        Ok(out)
    }
}
