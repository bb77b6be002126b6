//! The embedded default: SQLite in WAL mode.
//!
//! One connection writes; reads use a pool of connections, and searches a pool of their own
//! (WAL lets them all run side by side): a slow search never holds up a login, a token check or
//! an upload's duplicate check. Every connection is used from `spawn_blocking`, so async tasks
//! never wait on SQLite. Every pooled statement can be stopped (`sqlite/watch.rs`): by its
//! deadline, by its caller going away, or by the store closing.

mod events;
mod functions;
mod pool;
#[cfg(test)]
mod pool_tests;
mod search;
#[cfg(test)]
mod search_tests;
mod watch;

use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, params};

use crate::{
    AnalyticsEvent, ChunkFormat, Compaction, Dictionary, EventsAdded, FACT_COLUMNS, Feedback,
    ImportedSession, Interactions, MetaStore, NewChunk, NewInstallation, NewToken, ObjectIntent,
    Organization, Project, Replay, Result, SavedSearch, SearchPage, SessionRef, SignalsUpdate,
    StoreError, StoredChunk, StoredCohort, StoredEvent, TimeRange, TokenInfo, TokenOrigin, User,
    UserContext, WorkItem,
};
use events::{ensure_session, insert_events, insert_texts, session_row};
use pool::Pool;
use watch::Watch;

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Database(Box::new(e))
    }
}

/// The columns `project_from_row` reads, in its order.
macro_rules! project_select {
    () => {
        "SELECT id, organization_id, name, api_key, timezone, signal_settings FROM projects"
    };
}

/// Migrations in order; `PRAGMA user_version` records how many have been applied.
const MIGRATIONS: &[&str] = &[
    include_str!("../migrations/0001_init.sql"),
    include_str!("../migrations/0002_dictionaries.sql"),
    include_str!("../migrations/0003_hardening.sql"),
    include_str!("../migrations/0004_signals.sql"),
    include_str!("../migrations/0005_segments.sql"),
    include_str!("../migrations/0006_feedback_gaps_timezone.sql"),
    include_str!("../migrations/0007_search.sql"),
    include_str!("../migrations/0008_bounded_properties.sql"),
];

/// The position of 0007_search in [`MIGRATIONS`] (1-based): after it, Rust fills what SQL
/// cannot (user properties and element words of older events).
const SEARCH_MIGRATION: usize = 7;

/// Connections for everyday reads (logins, token checks, replays, uploads' duplicate checks).
const READERS: usize = 4;
/// Connections for searches: at most this many run at once, on connections of their own.
const SEARCHERS: usize = 2;

/// How long one search may run at most.
pub const SEARCH_LIMIT: Duration = Duration::from_secs(20);
/// How long any other read may run at most.
const READ_LIMIT: Duration = Duration::from_secs(60);

#[derive(Clone)]
pub struct SqliteStore {
    writer: Arc<Mutex<Connection>>,
    readers: Arc<Pool>,
    searchers: Arc<Pool>,
    /// Set once the store closes: every statement still running on a pooled connection stops.
    closing: Arc<AtomicBool>,
}

impl SqliteStore {
    /// Opens (creating if needed) the database file and applies pending migrations.
    pub fn open(path: &Path) -> Result<Self> {
        let closing = Arc::new(AtomicBool::new(false));
        let mut writer = Connection::open(path)?;
        // Writes are short and transactional: closing lets them finish.
        configure(&writer, &Arc::new(AtomicBool::new(false)))?;
        migrate(&mut writer)?;
        let open_reader = |cache_kib: i64| -> Result<(Connection, Arc<Watch>)> {
            let conn = Connection::open(path)?;
            let watch = configure(&conn, &closing)?;
            conn.execute_batch(&format!("PRAGMA cache_size = -{cache_kib};"))?;
            Ok((conn, watch))
        };
        let readers = (0..READERS)
            .map(|_| open_reader(8 * 1024))
            .collect::<Result<Vec<_>>>()?;
        let searchers = (0..SEARCHERS)
            .map(|_| open_reader(64 * 1024))
            .collect::<Result<Vec<_>>>()?;
        Ok(Self {
            writer: Arc::new(Mutex::new(writer)),
            readers: Pool::new(
                "reader",
                readers,
                READ_LIMIT,
                "reading took longer than 60 s; try again",
            ),
            searchers: Pool::new(
                "search",
                searchers,
                SEARCH_LIMIT,
                "the search took longer than 20 s: narrow the dates or add a filter",
            ),
            closing,
        })
    }

    async fn write<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let conn = self.writer.clone();
        tokio::task::spawn_blocking(move || {
            let mut guard = conn
                .lock()
                .map_err(|_| StoreError::Task("writer poisoned".into()))?;
            f(&mut guard)
        })
        .await
        .map_err(|e| StoreError::Task(e.to_string()))?
    }

    async fn read<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Connection) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        self.readers.run(move |c, _| f(c)).await
    }
}

/// Sets up a connection: its watch (see `sqlite/watch.rs`), reel's SQL functions, pragmas.
fn configure(conn: &Connection, closing: &Arc<AtomicBool>) -> Result<Arc<Watch>> {
    let watch = Watch::install(conn, closing.clone());
    functions::register(conn, watch.clone())?;
    conn.busy_timeout(std::time::Duration::from_secs(5))?;
    // FULL: a commit is on disk before it returns, so "200 OK" means durable.
    conn.execute_batch(
        "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; PRAGMA foreign_keys = ON;",
    )?;
    Ok(watch)
}

fn migrate(conn: &mut Connection) -> Result<()> {
    let applied: usize =
        conn.query_row("PRAGMA user_version", [], |r| r.get::<_, i64>(0))? as usize;
    if applied > MIGRATIONS.len() {
        return Err(StoreError::Invalid(format!(
            "database schema version {applied} is newer than this reel ({}); upgrade reel",
            MIGRATIONS.len()
        )));
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(applied) {
        let tx = conn.transaction()?;
        tx.execute_batch(sql)?;
        if i + 1 == SEARCH_MIGRATION {
            events::backfill_search_index(&tx)?;
        }
        tx.pragma_update(None, "user_version", (i + 1) as i64)?;
        tx.commit()?;
        tracing::info!(version = i + 1, "applied database migration");
    }
    Ok(())
}

fn project_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Project> {
    Ok(Project {
        id: r.get(0)?,
        organization_id: r.get(1)?,
        name: r.get(2)?,
        api_key: r.get(3)?,
        timezone: r.get(4)?,
        signal_settings: r.get(5)?,
    })
}

/// A replay's columns, of `sessions s`.
const REPLAY_COLUMNS: &str = "s.replay_key, s.device_id, s.session_id, s.user_id, s.start_ms, \
     s.end_ms, s.event_count, s.stored_bytes, s.first_url, s.country, s.active_ms, s.click_count, \
     s.keypress_count, s.mouse_activity_count, s.page_view_count, s.console_log_count, \
     s.console_warn_count, s.console_error_count, s.network_error_count, s.runtime_error_count, \
     s.rage_click_count, s.dead_click_count, s.error_click_count, s.urls, s.viewport_width, \
     s.viewport_height, s.browser, s.os, s.device, s.last_upload_ms, \
     (SELECT due_ms FROM session_work w WHERE w.session_row = s.id)";

fn replay_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Replay> {
    Ok(Replay {
        key: r.get(0)?,
        device_id: r.get(1)?,
        session_id: r.get(2)?,
        user_id: r.get(3)?,
        start_ms: r.get(4)?,
        end_ms: r.get(5)?,
        event_count: r.get(6)?,
        stored_bytes: r.get(7)?,
        first_url: r.get(8)?,
        country: r.get(9)?,
        facts: std::array::from_fn(|i| r.get(10 + i).unwrap_or(0)),
        urls: serde_json::from_str(&r.get::<_, String>(23)?).unwrap_or_default(),
        viewport: match (r.get(24)?, r.get(25)?) {
            (Some(w), Some(h)) => Some((w, h)),
            _ => None,
        },
        browser: r.get(26)?,
        os: r.get(27)?,
        device: r.get(28)?,
        last_upload_ms: r.get(29)?,
        processing_due_ms: r.get(30)?,
    })
}

fn one_dictionary(c: &Connection, filter: &str, value: i64) -> Result<Option<Dictionary>> {
    Ok(c.query_row(
        &format!("SELECT id, object_key FROM dictionaries {filter}"),
        params![value],
        |r| {
            Ok(Dictionary {
                id: r.get(0)?,
                object_key: r.get(1)?,
            })
        },
    )
    .optional()?)
}

const TOKEN_COLUMNS: &str =
    "t.rowid, t.user_id, t.origin, t.name, t.created_ms, t.last_used_ms, t.expires_ms";

fn token_from_row(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<TokenInfo> {
    let origin: String = r.get(at + 2)?;
    Ok(TokenInfo {
        id: r.get(at)?,
        user_id: r.get(at + 1)?,
        origin: TokenOrigin::parse(&origin).unwrap_or(TokenOrigin::Created),
        name: r.get(at + 3)?,
        created_ms: r.get(at + 4)?,
        last_used_ms: r.get(at + 5)?,
        expires_ms: r.get(at + 6)?,
    })
}

fn insert_token(c: &Connection, t: &NewToken, now_ms: i64) -> Result<TokenInfo> {
    let kind = match t.origin {
        TokenOrigin::Login => "session",
        TokenOrigin::Config | TokenOrigin::Created => "api",
    };
    c.execute(
        "INSERT INTO auth_tokens (token_hash, user_id, kind, origin, name, created_ms, expires_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            t.token_hash,
            t.user_id,
            kind,
            t.origin.as_str(),
            t.name,
            now_ms,
            t.expires_ms
        ],
    )?;
    Ok(TokenInfo {
        id: c.last_insert_rowid(),
        user_id: t.user_id,
        origin: t.origin,
        name: t.name.clone(),
        created_ms: now_ms,
        last_used_ms: None,
        expires_ms: t.expires_ms,
    })
}

#[async_trait]
impl MetaStore for SqliteStore {
    async fn is_empty(&self) -> Result<bool> {
        self.read(|c| {
            Ok(c.query_row("SELECT COUNT(*) FROM organizations", [], |r| {
                r.get::<_, i64>(0)
            })? == 0)
        })
        .await
    }

    async fn create_installation(&self, new: NewInstallation) -> Result<(Project, User)> {
        self.write(move |c| {
            let now = now_ms();
            let tx = c.transaction()?;
            tx.execute(
                "INSERT INTO organizations (name, created_ms) VALUES (?1, ?2)",
                params![new.organization_name, now],
            )?;
            let org = tx.last_insert_rowid();
            tx.execute(
                "INSERT INTO projects (organization_id, name, api_key, created_ms) VALUES (?1, ?2, ?3, ?4)",
                params![org, new.project_name, new.api_key, now],
            )?;
            let project = Project {
                id: tx.last_insert_rowid(),
                organization_id: org,
                name: new.project_name,
                api_key: new.api_key,
                timezone: "UTC".into(),
                signal_settings: "{}".into(),
            };
            tx.execute(
                "INSERT INTO users (email, password_hash, created_ms) VALUES (?1, ?2, ?3)",
                params![new.admin_email, new.admin_password_hash, now],
            )?;
            let user = User { id: tx.last_insert_rowid(), email: new.admin_email };
            tx.execute(
                "INSERT INTO memberships (user_id, organization_id, role) VALUES (?1, ?2, 'admin')",
                params![user.id, org],
            )?;
            tx.commit()?;
            Ok((project, user))
        })
        .await
    }

    async fn first_project(&self) -> Result<Option<Project>> {
        self.read(|c| {
            Ok(c.query_row(
                concat!(project_select!(), " ORDER BY id LIMIT 1"),
                [],
                project_from_row,
            )
            .optional()?)
        })
        .await
    }

    async fn set_project_api_key(&self, project_id: i64, api_key: &str) -> Result<()> {
        let api_key = api_key.to_owned();
        self.write(move |c| {
            c.execute(
                "UPDATE projects SET api_key = ?1 WHERE id = ?2",
                params![api_key, project_id],
            )?;
            Ok(())
        })
        .await
    }

    async fn project_by_api_key(&self, api_key: &str) -> Result<Option<Project>> {
        let api_key = api_key.to_owned();
        self.read(move |c| {
            Ok(c.query_row(
                concat!(project_select!(), " WHERE api_key = ?1"),
                params![api_key],
                project_from_row,
            )
            .optional()?)
        })
        .await
    }

    async fn upsert_admin(&self, email: &str, password_hash: &str) -> Result<User> {
        let (email, hash) = (email.to_owned(), password_hash.to_owned());
        self.write(move |c| {
            let tx = c.transaction()?;
            let org: i64 = tx
                .query_row(
                    "SELECT id FROM organizations ORDER BY id LIMIT 1",
                    [],
                    |r| r.get(0),
                )
                .optional()?
                .ok_or_else(|| StoreError::Invalid("no organization exists yet".into()))?;
            tx.execute(
                "INSERT INTO users (email, password_hash, created_ms) VALUES (?1, ?2, ?3)
                 ON CONFLICT (email) DO UPDATE SET password_hash = excluded.password_hash",
                params![email, hash, now_ms()],
            )?;
            let user = tx.query_row(
                "SELECT id, email FROM users WHERE email = ?1",
                params![email],
                |r| {
                    Ok(User {
                        id: r.get(0)?,
                        email: r.get(1)?,
                    })
                },
            )?;
            tx.execute(
                "INSERT INTO memberships (user_id, organization_id, role) VALUES (?1, ?2, 'admin')
                 ON CONFLICT DO NOTHING",
                params![user.id, org],
            )?;
            tx.commit()?;
            Ok(user)
        })
        .await
    }

    async fn user_for_login(&self, email: &str) -> Result<Option<(User, String)>> {
        let email = email.to_owned();
        self.read(move |c| {
            Ok(c.query_row(
                "SELECT id, email, password_hash FROM users WHERE email = ?1",
                params![email],
                |r| {
                    Ok((
                        User {
                            id: r.get(0)?,
                            email: r.get(1)?,
                        },
                        r.get(2)?,
                    ))
                },
            )
            .optional()?)
        })
        .await
    }

    async fn user_context(&self, user_id: i64) -> Result<Option<UserContext>> {
        self.read(move |c| {
            let Some((user, organization, role)) = c
                .query_row(
                    "SELECT u.id, u.email, o.id, o.name, m.role FROM users u
                     JOIN memberships m ON m.user_id = u.id
                     JOIN organizations o ON o.id = m.organization_id
                     WHERE u.id = ?1 ORDER BY o.id LIMIT 1",
                    params![user_id],
                    |r| {
                        Ok((
                            User {
                                id: r.get(0)?,
                                email: r.get(1)?,
                            },
                            Organization {
                                id: r.get(2)?,
                                name: r.get(3)?,
                            },
                            r.get::<_, String>(4)?,
                        ))
                    },
                )
                .optional()?
            else {
                return Ok(None);
            };
            let mut stmt = c.prepare(concat!(
                project_select!(),
                " WHERE organization_id = ?1 ORDER BY id"
            ))?;
            let projects = stmt
                .query_map(params![organization.id], project_from_row)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Some(UserContext {
                user,
                organization,
                role,
                projects,
            }))
        })
        .await
    }

    async fn set_password(&self, user_id: i64, password_hash: &str) -> Result<()> {
        let hash = password_hash.to_owned();
        self.write(move |c| {
            let tx = c.transaction()?;
            tx.execute(
                "UPDATE users SET password_hash = ?2 WHERE id = ?1",
                params![user_id, hash],
            )?;
            tx.execute(
                "DELETE FROM auth_tokens WHERE user_id = ?1 AND origin = 'login'",
                params![user_id],
            )?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn put_token(&self, token: NewToken, now_ms: i64) -> Result<TokenInfo> {
        self.write(move |c| insert_token(c, &token, now_ms)).await
    }

    async fn set_config_token(&self, token: Option<NewToken>, now_ms: i64) -> Result<()> {
        self.write(move |c| {
            let tx = c.transaction()?;
            match &token {
                Some(t) => {
                    tx.execute(
                        "DELETE FROM auth_tokens WHERE origin = 'config' AND token_hash <> ?1",
                        params![t.token_hash],
                    )?;
                    let kept: bool = tx.query_row(
                        "SELECT EXISTS (SELECT 1 FROM auth_tokens WHERE token_hash = ?1 AND user_id = ?2
                         AND origin = 'config')",
                        params![t.token_hash, t.user_id],
                        |r| r.get(0),
                    )?;
                    if !kept {
                        tx.execute(
                            "DELETE FROM auth_tokens WHERE token_hash = ?1",
                            params![t.token_hash],
                        )?;
                        insert_token(&tx, t, now_ms)?;
                    }
                }
                None => {
                    tx.execute("DELETE FROM auth_tokens WHERE origin = 'config'", [])?;
                }
            }
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn token_user(&self, token_hash: &str, now_ms: i64) -> Result<Option<(User, TokenInfo)>> {
        let hash = token_hash.to_owned();
        self.read(move |c| {
            Ok(c.query_row(
                &format!(
                    "SELECT u.id, u.email, {TOKEN_COLUMNS} FROM auth_tokens t JOIN users u ON u.id = t.user_id
                     WHERE t.token_hash = ?1 AND (t.expires_ms IS NULL OR t.expires_ms > ?2)"
                ),
                params![hash, now_ms],
                |r| {
                    Ok((
                        User {
                            id: r.get(0)?,
                            email: r.get(1)?,
                        },
                        token_from_row(r, 2)?,
                    ))
                },
            )
            .optional()?)
        })
        .await
    }

    async fn touch_token(&self, token_id: i64, now_ms: i64) -> Result<()> {
        self.write(move |c| {
            c.execute(
                "UPDATE auth_tokens SET last_used_ms = ?2 WHERE rowid = ?1",
                params![token_id, now_ms],
            )?;
            Ok(())
        })
        .await
    }

    async fn tokens_of(&self, user_id: i64, now_ms: i64) -> Result<Vec<TokenInfo>> {
        self.read(move |c| {
            let mut stmt = c.prepare(&format!(
                "SELECT {TOKEN_COLUMNS} FROM auth_tokens t
                 WHERE t.user_id = ?1 AND (t.expires_ms IS NULL OR t.expires_ms > ?2)
                 ORDER BY t.created_ms DESC, t.rowid DESC"
            ))?;
            let rows = stmt
                .query_map(params![user_id, now_ms], |r| token_from_row(r, 0))?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    async fn revoke_token(&self, user_id: i64, token_id: i64) -> Result<bool> {
        self.write(move |c| {
            Ok(c.execute(
                "DELETE FROM auth_tokens WHERE rowid = ?1 AND user_id = ?2",
                params![token_id, user_id],
            )? == 1)
        })
        .await
    }

    async fn delete_token(&self, token_hash: &str) -> Result<()> {
        let hash = token_hash.to_owned();
        self.write(move |c| {
            c.execute(
                "DELETE FROM auth_tokens WHERE token_hash = ?1",
                params![hash],
            )?;
            Ok(())
        })
        .await
    }

    async fn has_chunk(&self, session: &SessionRef, content_hash: &str) -> Result<bool> {
        let (session, hash) = (session.clone(), content_hash.to_owned());
        self.read(move |c| {
            Ok(c.query_row(
                "SELECT EXISTS (SELECT 1 FROM chunks k JOIN sessions s ON s.id = k.session_row
                 WHERE s.project_id = ?1 AND s.device_id = ?2 AND s.session_id = ?3 AND k.content_hash = ?4)
                 OR EXISTS (SELECT 1 FROM compacted_hashes h JOIN sessions s ON s.id = h.session_row
                 WHERE s.project_id = ?1 AND s.device_id = ?2 AND s.session_id = ?3 AND h.content_hash = ?4)",
                params![session.project_id, session.device_id, session.session_id, hash],
                |r| r.get(0),
            )?)
        })
        .await
    }

    async fn add_chunk(&self, chunk: NewChunk, now_ms: i64) -> Result<bool> {
        self.write(move |c| {
            let tx = c.transaction()?;
            let row = ensure_session(&tx, &chunk.session)?;
            // A chunk that starts with a snapshot is a keyframe; its Meta is in the chunk, or the
            // session's latest Meta when an SDK ended the previous upload with it.
            let keyframe_ms = match (chunk.starts_with_snapshot, chunk.meta_ms) {
                (true, Some(meta)) => Some(meta),
                (true, None) => {
                    let last_meta: Option<i64> = tx.query_row(
                        "SELECT last_meta_ms FROM sessions WHERE id = ?1",
                        params![row],
                        |r| r.get(0),
                    )?;
                    Some(
                        last_meta
                            .filter(|m| *m <= chunk.start_ms && chunk.start_ms - m <= META_SNAPSHOT_GAP_MS)
                            .unwrap_or(chunk.start_ms),
                    )
                }
                (false, _) => None,
            };
            let inserted = tx.execute(
                "INSERT INTO chunks (session_row, start_ms, end_ms, event_count, raw_bytes, stored_bytes,
                                     self_contained, content_hash, object_key, received_ms, dictionary_id,
                                     keyframe_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)
                 ON CONFLICT (session_row, content_hash) DO NOTHING",
                params![
                    row,
                    chunk.start_ms,
                    chunk.end_ms,
                    chunk.event_count,
                    chunk.raw_bytes,
                    chunk.stored_bytes,
                    keyframe_ms.is_some(),
                    chunk.content_hash,
                    chunk.object_key,
                    now_ms,
                    chunk.dictionary_id,
                    keyframe_ms
                ],
            )?;
            if inserted == 0 {
                return Ok(false);
            }
            let ua = chunk.user_agent.as_ref();
            tx.execute(
                "UPDATE sessions SET
                    start_ms = MIN(COALESCE(start_ms, ?2), ?2),
                    end_ms = MAX(COALESCE(end_ms, ?3), ?3),
                    event_count = event_count + ?4,
                    raw_bytes = raw_bytes + ?5,
                    stored_bytes = stored_bytes + ?6,
                    country = COALESCE(country, ?7),
                    last_upload_ms = ?8,
                    last_meta_ms = MAX(COALESCE(last_meta_ms, ?9), COALESCE(?9, last_meta_ms)),
                    user_agent = COALESCE(user_agent, ?10),
                    browser = COALESCE(browser, ?11),
                    os = COALESCE(os, ?12),
                    device = COALESCE(device, ?13)
                 WHERE id = ?1",
                params![
                    row,
                    chunk.start_ms,
                    chunk.end_ms,
                    chunk.event_count,
                    chunk.raw_bytes,
                    chunk.stored_bytes,
                    chunk.country,
                    now_ms,
                    chunk.last_meta_ms,
                    ua.map(|u| &u.header),
                    ua.map(|u| &u.browser),
                    ua.map(|u| &u.os),
                    ua.map(|u| &u.device)
                ],
            )?;
            if let Some((href_ms, href)) = &chunk.first_href {
                tx.execute(
                    "UPDATE sessions SET first_url = ?2, first_url_ms = ?3
                     WHERE id = ?1 AND (first_url_ms IS NULL OR first_url_ms > ?3)",
                    params![row, href, href_ms],
                )?;
            }
            // The processing stage will look at this session (no later than asked).
            tx.execute(
                "INSERT INTO session_work (session_row, due_ms) VALUES (?1, ?2)
                 ON CONFLICT (session_row) DO UPDATE SET due_ms = MIN(due_ms, excluded.due_ms),
                    generation = generation + 1",
                params![row, chunk.process_at_ms],
            )?;
            tx.commit()?;
            Ok(true)
        })
        .await
    }

    async fn add_events(
        &self,
        project_id: i64,
        events: Vec<AnalyticsEvent>,
        now_ms: i64,
    ) -> Result<EventsAdded> {
        self.write(move |c| {
            let tx = c.transaction()?;
            let added = insert_events(&tx, project_id, &events, now_ms)?;
            tx.commit()?;
            Ok(added)
        })
        .await
    }

    async fn add_interactions(&self, i: Interactions, now_ms: i64) -> Result<bool> {
        self.write(move |c| {
            let tx = c.transaction()?;
            ensure_session(&tx, &i.session)?;
            let n = tx.execute(
                "INSERT INTO interactions (project_id, device_id, session_id, payload, payload_zst, content_hash, received_ms)
                 VALUES (?1, ?2, ?3, '', ?4, ?5, ?6) ON CONFLICT DO NOTHING",
                params![i.session.project_id, i.session.device_id, i.session.session_id, i.payload_zst, i.content_hash, now_ms],
            )?;
            tx.commit()?;
            Ok(n == 1)
        })
        .await
    }

    async fn project_dictionary(&self, project_id: i64) -> Result<Option<Dictionary>> {
        self.read(move |c| {
            one_dictionary(
                c,
                "WHERE project_id = ?1 ORDER BY id DESC LIMIT 1",
                project_id,
            )
        })
        .await
    }

    async fn dictionary(&self, id: i64) -> Result<Option<Dictionary>> {
        self.read(move |c| one_dictionary(c, "WHERE id = ?1", id))
            .await
    }

    async fn add_dictionary(
        &self,
        project_id: i64,
        object_key: &str,
        size_bytes: i64,
        now_ms: i64,
    ) -> Result<Dictionary> {
        let object_key = object_key.to_owned();
        self.write(move |c| {
            c.execute(
                "INSERT INTO dictionaries (project_id, object_key, size_bytes, created_ms) VALUES (?1, ?2, ?3, ?4)",
                params![project_id, object_key, size_bytes, now_ms],
            )?;
            Ok(Dictionary { id: c.last_insert_rowid(), object_key })
        })
        .await
    }

    async fn dictionaries_since(&self, project_id: i64, since_ms: i64) -> Result<usize> {
        self.read(move |c| {
            let n: i64 = c.query_row(
                "SELECT COUNT(*) FROM dictionaries WHERE project_id = ?1 AND created_ms >= ?2",
                params![project_id, since_ms],
                |r| r.get(0),
            )?;
            Ok(n as usize)
        })
        .await
    }

    async fn unreferenced_objects(&self, object_keys: Vec<String>) -> Result<Vec<String>> {
        self.read(move |c| {
            let mut referenced = c.prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM chunks WHERE object_key = ?1)
                     OR EXISTS (SELECT 1 FROM dictionaries WHERE object_key = ?1)
                     OR EXISTS (SELECT 1 FROM object_intents WHERE object_key = ?1)",
            )?;
            let mut orphans = Vec::new();
            for key in object_keys {
                if !referenced.query_row(params![key], |r| r.get::<_, bool>(0))? {
                    orphans.push(key);
                }
            }
            Ok(orphans)
        })
        .await
    }

    async fn intend_writes(&self, object_keys: Vec<String>) -> Result<()> {
        self.write(move |c| {
            let tx = c.transaction()?;
            {
                let mut insert = tx.prepare_cached(
                    "INSERT INTO object_intents (object_key, state, not_before_ms)
                     VALUES (?1, 'writing', 0)
                     ON CONFLICT (object_key) DO UPDATE SET state = 'writing', not_before_ms = 0",
                )?;
                for key in &object_keys {
                    insert.execute(params![key])?;
                }
            }
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn commit_compaction(&self, compaction: Compaction, now_ms: i64) -> Result<bool> {
        self.write(move |c| {
            let tx = c.transaction()?;
            let session_row = compaction.session_row;
            let project_id: i64 = tx.query_row(
                "SELECT project_id FROM sessions WHERE id = ?1",
                params![session_row],
                |r| r.get(0),
            )?;
            // The replaced chunks must all still be there.
            let mut replaced = Vec::with_capacity(compaction.replaced.len());
            {
                let mut get = tx.prepare_cached(
                    "SELECT object_key, content_hash FROM chunks WHERE id = ?1 AND session_row = ?2",
                )?;
                for id in &compaction.replaced {
                    match get
                        .query_row(params![id, session_row], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
                        .optional()?
                    {
                        Some(row) => replaced.push((*id, row.0, row.1)),
                        None => return Ok(false),
                    }
                }
            }
            {
                let mut keep_hash = tx.prepare_cached(
                    "INSERT INTO compacted_hashes (session_row, content_hash) VALUES (?1, ?2)
                     ON CONFLICT DO NOTHING",
                )?;
                let replaced_ids: Vec<i64> = replaced.iter().map(|(id, _, _)| *id).collect();
                detach_pieces(&tx, &replaced_ids)?;
                let mut drop_chunk = tx.prepare_cached("DELETE FROM chunks WHERE id = ?1")?;
                let mut delete_later = tx.prepare_cached(
                    "INSERT INTO object_intents (object_key, state, not_before_ms) VALUES (?1, 'deleting', ?2)
                     ON CONFLICT (object_key) DO UPDATE SET state = 'deleting', not_before_ms = excluded.not_before_ms",
                )?;
                for (id, object_key, content_hash) in &replaced {
                    keep_hash.execute(params![session_row, content_hash])?;
                    drop_chunk.execute(params![id])?;
                    // Segments and chunks may share a key only if they are the same bytes.
                    if !compaction.segments.iter().any(|s| &s.object_key == object_key) {
                        delete_later.execute(params![object_key, compaction.delete_after_ms])?;
                    }
                }
            }
            {
                let mut piece = tx.prepare_cached(
                    "INSERT INTO pieces (project_id, hash, raw_bytes, stored) VALUES (?1, ?2, ?3, ?4)
                     ON CONFLICT (project_id, hash) DO NOTHING",
                )?;
                for p in &compaction.pieces {
                    piece.execute(params![project_id, &p.hash[..], p.raw_bytes, p.stored])?;
                }
                let mut segment = tx.prepare_cached(
                    "INSERT INTO chunks (session_row, start_ms, end_ms, event_count, raw_bytes, stored_bytes,
                                         self_contained, content_hash, object_key, received_ms, keyframe_ms, format)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 'segment')",
                )?;
                let mut uses = tx.prepare_cached(
                    "INSERT INTO chunk_pieces (chunk_id, piece_id)
                     SELECT ?1, id FROM pieces WHERE project_id = ?2 AND hash = ?3
                     ON CONFLICT DO NOTHING",
                )?;
                let mut written = tx.prepare_cached("DELETE FROM object_intents WHERE object_key = ?1")?;
                for seg in &compaction.segments {
                    segment.execute(params![
                        session_row,
                        seg.start_ms,
                        seg.end_ms,
                        seg.event_count,
                        seg.raw_bytes,
                        seg.stored_bytes,
                        seg.keyframe_ms.is_some(),
                        seg.content_hash,
                        seg.object_key,
                        now_ms,
                        seg.keyframe_ms
                    ])?;
                    let id = tx.last_insert_rowid();
                    for hash in &seg.pieces {
                        let n = uses.execute(params![id, project_id, &hash[..]])?;
                        if n == 0 && !compaction.pieces.iter().any(|p| &p.hash == hash) {
                            // Neither stored before nor given: the segment could not be read.
                            let known: bool = tx.query_row(
                                "SELECT EXISTS (SELECT 1 FROM pieces WHERE project_id = ?1 AND hash = ?2)",
                                params![project_id, &hash[..]],
                                |r| r.get(0),
                            )?;
                            if !known {
                                return Err(StoreError::Invalid(
                                    "a segment refers to a piece that is not stored".into(),
                                ));
                            }
                        }
                    }
                    written.execute(params![seg.object_key])?;
                }
            }
            free_detached_pieces(&tx)?;
            tx.execute(
                "UPDATE sessions SET stored_bytes = (SELECT COALESCE(SUM(stored_bytes), 0) FROM chunks
                 WHERE session_row = ?1) WHERE id = ?1",
                params![session_row],
            )?;
            tx.commit()?;
            Ok(true)
        })
        .await
    }

    async fn pieces(
        &self,
        project_id: i64,
        hashes: Vec<[u8; 16]>,
    ) -> Result<Vec<([u8; 16], Vec<u8>)>> {
        self.read(move |c| {
            let mut get =
                c.prepare_cached("SELECT stored FROM pieces WHERE project_id = ?1 AND hash = ?2")?;
            let mut found = Vec::with_capacity(hashes.len());
            for hash in hashes {
                if let Some(stored) = get
                    .query_row(params![project_id, &hash[..]], |r| r.get::<_, Vec<u8>>(0))
                    .optional()?
                {
                    found.push((hash, stored));
                }
            }
            Ok(found)
        })
        .await
    }

    async fn known_pieces(&self, project_id: i64, hashes: Vec<[u8; 16]>) -> Result<Vec<[u8; 16]>> {
        self.read(move |c| {
            let mut get = c.prepare_cached(
                "SELECT EXISTS (SELECT 1 FROM pieces WHERE project_id = ?1 AND hash = ?2)",
            )?;
            let mut known = Vec::new();
            for hash in hashes {
                if get.query_row(params![project_id, &hash[..]], |r| r.get::<_, bool>(0))? {
                    known.push(hash);
                }
            }
            Ok(known)
        })
        .await
    }

    async fn object_intents(&self, now_ms: i64) -> Result<Vec<ObjectIntent>> {
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT object_key, state, not_before_ms FROM object_intents
                 WHERE state = 'writing' OR not_before_ms <= ?1 ORDER BY object_key",
            )?;
            let rows = stmt
                .query_map(params![now_ms], |r| {
                    let key: String = r.get(0)?;
                    Ok(if r.get::<_, String>(1)? == "writing" {
                        ObjectIntent::Writing { object_key: key }
                    } else {
                        ObjectIntent::Deleting {
                            object_key: key,
                            not_before_ms: r.get(2)?,
                        }
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    async fn object_referenced(&self, object_key: &str) -> Result<bool> {
        let key = object_key.to_owned();
        self.read(move |c| {
            Ok(c.query_row(
                "SELECT EXISTS (SELECT 1 FROM chunks WHERE object_key = ?1)
                     OR EXISTS (SELECT 1 FROM dictionaries WHERE object_key = ?1)",
                params![key],
                |r| r.get(0),
            )?)
        })
        .await
    }

    async fn forget_intent(&self, object_key: &str) -> Result<()> {
        let key = object_key.to_owned();
        self.write(move |c| {
            c.execute(
                "DELETE FROM object_intents WHERE object_key = ?1",
                params![key],
            )?;
            Ok(())
        })
        .await
    }

    async fn delete_replay(
        &self,
        project_id: i64,
        key: &str,
        delete_after_ms: i64,
    ) -> Result<bool> {
        let key = key.to_owned();
        self.write(move |c| {
            let tx = c.transaction()?;
            let Some((row, device_id, session_id)) = tx
                .query_row(
                    "SELECT id, device_id, session_id FROM sessions
                     WHERE project_id = ?1 AND replay_key = ?2 AND start_ms IS NOT NULL",
                    params![project_id, key],
                    |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?, r.get::<_, i64>(2)?)),
                )
                .optional()?
            else {
                return Ok(false);
            };
            tx.execute(
                "INSERT INTO object_intents (object_key, state, not_before_ms)
                 SELECT object_key, 'deleting', ?2 FROM chunks WHERE session_row = ?1
                 ON CONFLICT (object_key) DO UPDATE SET state = 'deleting', not_before_ms = excluded.not_before_ms",
                params![row, delete_after_ms],
            )?;
            let chunk_ids: Vec<i64> = tx
                .prepare("SELECT id FROM chunks WHERE session_row = ?1")?
                .query_map(params![row], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            detach_pieces(&tx, &chunk_ids)?;
            tx.execute("DELETE FROM chunks WHERE session_row = ?1", params![row])?;
            free_detached_pieces(&tx)?;
            tx.execute("DELETE FROM compacted_hashes WHERE session_row = ?1", params![row])?;
            tx.execute("DELETE FROM session_text WHERE session_row = ?1", params![row])?;
            tx.execute("DELETE FROM session_gaps WHERE session_row = ?1", params![row])?;
            tx.execute("DELETE FROM session_work WHERE session_row = ?1", params![row])?;
            tx.execute(
                "DELETE FROM events WHERE session_row = ?1 AND derived = 1",
                params![row],
            )?;
            tx.execute(
                "DELETE FROM interactions WHERE project_id = ?1 AND device_id = ?2 AND session_id = ?3",
                params![project_id, device_id, session_id],
            )?;
            // The session row stays (its analytics events and user may still refer to it), with
            // no recording: it is no longer a replay.
            let zero: Vec<String> = FACT_COLUMNS.iter().map(|c| format!("{c} = 0")).collect();
            tx.execute(
                &format!(
                    "UPDATE sessions SET start_ms = NULL, end_ms = NULL, event_count = 0, raw_bytes = 0,
                        stored_bytes = 0, first_url = NULL, first_url_ms = NULL, urls = '[]',
                        viewport_width = NULL, viewport_height = NULL, last_meta_ms = NULL,
                        last_upload_ms = NULL, {} WHERE id = ?1",
                    zero.join(", ")
                ),
                params![row],
            )?;
            tx.commit()?;
            Ok(true)
        })
        .await
    }

    async fn list_replays(
        &self,
        project_id: i64,
        range: TimeRange,
        limit: usize,
    ) -> Result<Vec<Replay>> {
        self.read(move |c| {
            let mut stmt = c.prepare(&format!(
                "SELECT {REPLAY_COLUMNS} FROM sessions s
                 WHERE s.project_id = ?1 AND s.start_ms IS NOT NULL AND s.start_ms >= ?2
                   AND s.start_ms < ?3
                 ORDER BY s.start_ms DESC, s.id ASC LIMIT ?4"
            ))?;
            let rows = stmt
                .query_map(
                    params![project_id, range.start_ms, range.end_ms, limit as i64],
                    replay_from_row,
                )?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    async fn replay(&self, project_id: i64, key: &str) -> Result<Option<Replay>> {
        let key = key.to_owned();
        self.read(move |c| {
            Ok(c.query_row(
                &format!(
                    "SELECT {REPLAY_COLUMNS} FROM sessions s
                     WHERE s.project_id = ?1 AND s.replay_key = ?2 AND s.start_ms IS NOT NULL"
                ),
                params![project_id, key],
                replay_from_row,
            )
            .optional()?)
        })
        .await
    }

    async fn replay_chunks(&self, project_id: i64, key: &str) -> Result<Vec<StoredChunk>> {
        let key = key.to_owned();
        self.read(move |c| {
            let row: Option<i64> = c
                .query_row(
                    "SELECT id FROM sessions WHERE project_id = ?1 AND replay_key = ?2",
                    params![project_id, key],
                    |r| r.get(0),
                )
                .optional()?;
            match row {
                Some(row) => chunks_of(c, row),
                None => Ok(Vec::new()),
            }
        })
        .await
    }

    async fn session_events(&self, session: &SessionRef, limit: usize) -> Result<Vec<StoredEvent>> {
        let session = session.clone();
        self.read(move |c| {
            let Some(row) = session_row(c, &session)? else {
                return Ok(Vec::new());
            };
            let mut stmt = c.prepare_cached(
                "SELECT event_type, time_ms, user_id, event_properties, display_name, derived
                 FROM events WHERE session_row = ?1 ORDER BY time_ms, id LIMIT ?2",
            )?;
            let rows = stmt
                .query_map(params![row, limit as i64], |r| {
                    Ok(StoredEvent {
                        event_type: r.get(0)?,
                        time_ms: r.get(1)?,
                        user_id: r.get(2)?,
                        event_properties: r.get(3)?,
                        display_name: r.get(4)?,
                        derived: r.get(5)?,
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    async fn add_feedback(
        &self,
        project_id: i64,
        replay_key: &str,
        user_id: i64,
        rating: &str,
        comment: Option<String>,
        now_ms: i64,
    ) -> Result<Option<Feedback>> {
        let (key, rating) = (replay_key.to_owned(), rating.to_owned());
        self.write(move |c| {
            let tx = c.transaction()?;
            let Some(row) = tx
                .query_row(
                    "SELECT id FROM sessions WHERE project_id = ?1 AND replay_key = ?2 AND start_ms IS NOT NULL",
                    params![project_id, key],
                    |r| r.get::<_, i64>(0),
                )
                .optional()?
            else {
                return Ok(None);
            };
            tx.execute(
                "INSERT INTO replay_feedback (session_row, user_id, rating, comment, created_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![row, user_id, rating, comment, now_ms],
            )?;
            let id = tx.last_insert_rowid();
            let email: String =
                tx.query_row("SELECT email FROM users WHERE id = ?1", params![user_id], |r| r.get(0))?;
            tx.commit()?;
            Ok(Some(Feedback {
                id,
                replay_key: key,
                user_email: email,
                rating,
                comment,
                created_ms: now_ms,
            }))
        })
        .await
    }

    async fn feedback(&self, project_id: i64, limit: usize) -> Result<Vec<Feedback>> {
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT f.id, s.replay_key, u.email, f.rating, f.comment, f.created_ms
                 FROM replay_feedback f JOIN sessions s ON s.id = f.session_row
                 JOIN users u ON u.id = f.user_id
                 WHERE s.project_id = ?1 ORDER BY f.created_ms DESC, f.id DESC LIMIT ?2",
            )?;
            let rows = stmt
                .query_map(params![project_id, limit as i64], |r| {
                    Ok(Feedback {
                        id: r.get(0)?,
                        replay_key: r.get(1)?,
                        user_email: r.get(2)?,
                        rating: r.get(3)?,
                        comment: r.get(4)?,
                        created_ms: r.get(5)?,
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    async fn session_gaps(&self, project_id: i64, replay_key: &str) -> Result<Vec<(i64, i64)>> {
        let key = replay_key.to_owned();
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT g.start_ms, g.end_ms FROM session_gaps g JOIN sessions s ON s.id = g.session_row
                 WHERE s.project_id = ?1 AND s.replay_key = ?2 ORDER BY g.start_ms",
            )?;
            let rows = stmt
                .query_map(params![project_id, key], |r| Ok((r.get(0)?, r.get(1)?)))?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    async fn set_project_timezone(&self, project_id: i64, timezone: &str) -> Result<()> {
        let tz = timezone.to_owned();
        self.write(move |c| {
            c.execute(
                "UPDATE projects SET timezone = ?2 WHERE id = ?1",
                params![project_id, tz],
            )?;
            Ok(())
        })
        .await
    }

    async fn set_project_signal_settings(&self, project_id: i64, settings: &str) -> Result<()> {
        let settings = settings.to_owned();
        self.write(move |c| {
            c.execute(
                "UPDATE projects SET signal_settings = ?2 WHERE id = ?1",
                params![project_id, settings],
            )?;
            Ok(())
        })
        .await
    }

    async fn project(&self, project_id: i64) -> Result<Option<Project>> {
        self.read(move |c| {
            Ok(c.query_row(
                concat!(project_select!(), " WHERE id = ?1"),
                params![project_id],
                project_from_row,
            )
            .optional()?)
        })
        .await
    }

    async fn session_chunks(&self, session_row: i64) -> Result<Vec<StoredChunk>> {
        self.read(move |c| chunks_of(c, session_row)).await
    }

    async fn due_work(&self, now_ms: i64, limit: usize) -> Result<Vec<WorkItem>> {
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT w.session_row, s.project_id, s.device_id, s.session_id, s.replay_key, s.user_id,
                        w.due_ms, w.signals_until_ms, w.signals_finished, s.last_upload_ms, w.attempts,
                        w.generation
                 FROM session_work w JOIN sessions s ON s.id = w.session_row
                 WHERE w.due_ms <= ?1 ORDER BY w.due_ms LIMIT ?2",
            )?;
            let rows = stmt
                .query_map(params![now_ms, limit as i64], |r| {
                    Ok(WorkItem {
                        session_row: r.get(0)?,
                        session: SessionRef {
                            project_id: r.get(1)?,
                            device_id: r.get(2)?,
                            session_id: r.get(3)?,
                        },
                        replay_key: r.get(4)?,
                        user_id: r.get(5)?,
                        due_ms: r.get(6)?,
                        signals_until_ms: r.get(7)?,
                        signals_finished: r.get(8)?,
                        last_upload_ms: r.get(9)?,
                        attempts: r.get(10)?,
                        generation: r.get(11)?,
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    async fn next_due_ms(&self) -> Result<Option<i64>> {
        self.read(|c| Ok(c.query_row("SELECT MIN(due_ms) FROM session_work", [], |r| r.get(0))?))
            .await
    }

    async fn apply_signals(&self, u: SignalsUpdate) -> Result<bool> {
        self.write(move |c| {
            let tx = c.transaction()?;
            // First the progress: if another run moved it, this one changes nothing.
            let moved = tx.execute(
                "UPDATE session_work SET signals_until_ms = ?2, signals_finished = ?3,
                    due_ms = CASE WHEN generation = ?6 THEN ?4 ELSE MIN(due_ms, ?4) END,
                    attempts = 0, last_error = NULL
                 WHERE session_row = ?1 AND signals_until_ms IS ?5",
                params![
                    u.session_row,
                    u.signals_until_ms,
                    u.finished,
                    u.next_due_ms,
                    u.expected_until_ms,
                    u.taken_generation
                ],
            )?;
            if moved == 0 {
                return Ok(false);
            }
            for (column, n) in &u.counts {
                if !FACT_COLUMNS.contains(column) {
                    return Err(StoreError::Invalid(format!(
                        "{column} is not a session fact"
                    )));
                }
                tx.execute(
                    &format!("UPDATE sessions SET {column} = {column} + ?2 WHERE id = ?1"),
                    params![u.session_row, n],
                )?;
            }
            if !u.urls.is_empty() {
                let known: String = tx.query_row(
                    "SELECT urls FROM sessions WHERE id = ?1",
                    params![u.session_row],
                    |r| r.get(0),
                )?;
                let mut urls: Vec<String> = serde_json::from_str(&known).unwrap_or_default();
                for url in &u.urls {
                    if urls.len() < MAX_SESSION_URLS && !urls.contains(url) {
                        urls.push(url.clone());
                    }
                }
                tx.execute(
                    "UPDATE sessions SET urls = ?2 WHERE id = ?1",
                    params![
                        u.session_row,
                        serde_json::to_string(&urls).expect("strings")
                    ],
                )?;
            }
            if let Some((w, h)) = u.viewport {
                tx.execute(
                    "UPDATE sessions SET viewport_width = ?2, viewport_height = ?3
                     WHERE id = ?1 AND viewport_width IS NULL",
                    params![u.session_row, w, h],
                )?;
            }
            let project_id: i64 = tx.query_row(
                "SELECT project_id FROM sessions WHERE id = ?1",
                params![u.session_row],
                |r| r.get(0),
            )?;
            insert_events(&tx, project_id, &u.events, now_ms())?;
            insert_texts(&tx, u.session_row, &u.texts)?;
            {
                let mut gap = tx.prepare_cached(
                    "INSERT INTO session_gaps (session_row, start_ms, end_ms) VALUES (?1, ?2, ?3)
                     ON CONFLICT DO NOTHING",
                )?;
                for (start, end) in &u.gaps {
                    gap.execute(params![u.session_row, start, end])?;
                }
            }
            tx.commit()?;
            Ok(true)
        })
        .await
    }

    async fn reschedule_work(
        &self,
        session_row: i64,
        generation: i64,
        due_ms: i64,
    ) -> Result<bool> {
        self.write(move |c| {
            Ok(c.execute(
                "UPDATE session_work SET due_ms = ?3 WHERE session_row = ?1 AND generation = ?2",
                params![session_row, generation, due_ms],
            )? == 1)
        })
        .await
    }

    async fn work_failed(&self, session_row: i64, due_ms: i64, error: &str) -> Result<()> {
        let error = error.to_owned();
        self.write(move |c| {
            c.execute(
                "UPDATE session_work SET due_ms = ?2, attempts = attempts + 1, last_error = ?3
                 WHERE session_row = ?1",
                params![session_row, due_ms, error],
            )?;
            Ok(())
        })
        .await
    }

    async fn sdk_event_types(&self, session: &SessionRef) -> Result<Vec<String>> {
        let session = session.clone();
        self.read(move |c| {
            let Some(row) = session_row(c, &session)? else {
                return Ok(Vec::new());
            };
            let mut stmt = c.prepare_cached(
                "SELECT DISTINCT event_type FROM events WHERE session_row = ?1 AND derived = 0",
            )?;
            let rows = stmt
                .query_map(params![row], |r| r.get(0))?
                .collect::<Result<Vec<String>, _>>()?;
            Ok(rows)
        })
        .await
    }

    async fn reset_signals(
        &self,
        project_id: Option<i64>,
        since_ms: Option<i64>,
        now_ms: i64,
    ) -> Result<usize> {
        self.write(move |c| {
            let tx = c.transaction()?;
            tx.execute(
                "CREATE TEMP TABLE IF NOT EXISTS reset_rows (id INTEGER PRIMARY KEY)",
                [],
            )?;
            tx.execute("DELETE FROM reset_rows", [])?;
            tx.execute(
                "INSERT INTO reset_rows (id) SELECT id FROM sessions
                 WHERE start_ms IS NOT NULL AND (?1 IS NULL OR project_id = ?1)
                   AND (?2 IS NULL OR start_ms >= ?2)",
                params![project_id, since_ms],
            )?;
            let zero: Vec<String> = FACT_COLUMNS.iter().map(|c| format!("{c} = 0")).collect();
            tx.execute(
                &format!(
                    "UPDATE sessions SET {}, urls = '[]', viewport_width = NULL, viewport_height = NULL
                     WHERE id IN (SELECT id FROM reset_rows)",
                    zero.join(", ")
                ),
                [],
            )?;
            tx.execute(
                "DELETE FROM events WHERE derived = 1 AND session_row IN (SELECT id FROM reset_rows)",
                [],
            )?;
            tx.execute(
                "DELETE FROM session_text WHERE session_row IN (SELECT id FROM reset_rows)",
                [],
            )?;
            tx.execute(
                "DELETE FROM session_gaps WHERE session_row IN (SELECT id FROM reset_rows)",
                [],
            )?;
            let n = tx.execute(
                "INSERT INTO session_work (session_row, due_ms) SELECT id, ?1 FROM reset_rows WHERE true
                 ON CONFLICT (session_row) DO UPDATE SET due_ms = excluded.due_ms,
                    signals_until_ms = NULL, signals_finished = 0, attempts = 0, last_error = NULL",
                params![now_ms],
            )?;
            tx.execute("DELETE FROM reset_rows", [])?;
            tx.commit()?;
            Ok(n)
        })
        .await
    }

    fn close(&self) {
        self.closing.store(true, Ordering::Relaxed);
    }

    async fn search(&self, project_id: i64, query: reel_query::Search) -> Result<SearchPage> {
        self.searchers
            .run(move |c, watch| search::search(c, watch, project_id, &query))
            .await
    }

    async fn event_names(&self, project_id: i64, limit: usize) -> Result<Vec<String>> {
        self.read(move |c| {
            // Most used first, counted from the names index (a sample of each is enough).
            let mut stmt = c.prepare_cached(
                "SELECT t.name FROM event_types t WHERE t.project_id = ?1
                 ORDER BY (SELECT COUNT(*) FROM (SELECT 1 FROM events e WHERE e.type_id = t.id LIMIT 10000)) DESC,
                          t.name LIMIT ?2",
            )?;
            let rows = stmt
                .query_map(params![project_id, limit as i64], |r| r.get(0))?
                .collect::<Result<Vec<String>, _>>()?;
            Ok(rows)
        })
        .await
    }

    async fn user_property_keys(&self, project_id: i64, limit: usize) -> Result<Vec<String>> {
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT DISTINCT key FROM user_properties WHERE project_id = ?1 ORDER BY key LIMIT ?2",
            )?;
            let rows = stmt
                .query_map(params![project_id, limit as i64], |r| r.get(0))?
                .collect::<Result<Vec<String>, _>>()?;
            Ok(rows)
        })
        .await
    }

    async fn saved_searches(&self, project_id: i64) -> Result<Vec<SavedSearch>> {
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT q.id, q.name, q.search, u.email, q.created_ms FROM saved_searches q
                 JOIN users u ON u.id = q.created_by WHERE q.project_id = ?1 ORDER BY q.name, q.id",
            )?;
            let rows = stmt
                .query_map(params![project_id], saved_search_from_row)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    async fn add_saved_search(
        &self,
        project_id: i64,
        user_id: i64,
        name: &str,
        search: &str,
        now_ms: i64,
    ) -> Result<SavedSearch> {
        let (name, search) = (name.to_owned(), search.to_owned());
        self.write(move |c| {
            c.execute(
                "INSERT INTO saved_searches (project_id, name, search, created_by, created_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![project_id, name, search, user_id, now_ms],
            )?;
            let id = c.last_insert_rowid();
            Ok(c.query_row(
                "SELECT q.id, q.name, q.search, u.email, q.created_ms FROM saved_searches q
                 JOIN users u ON u.id = q.created_by WHERE q.id = ?1",
                params![id],
                saved_search_from_row,
            )?)
        })
        .await
    }

    async fn delete_saved_search(&self, project_id: i64, id: i64) -> Result<bool> {
        self.write(move |c| {
            Ok(c.execute(
                "DELETE FROM saved_searches WHERE id = ?1 AND project_id = ?2",
                params![id, project_id],
            )? == 1)
        })
        .await
    }

    async fn cohorts(&self, project_id: i64) -> Result<Vec<StoredCohort>> {
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT id, name, definition, created_ms, updated_ms FROM cohorts
                 WHERE project_id = ?1 ORDER BY name, id",
            )?;
            let rows = stmt
                .query_map(params![project_id], cohort_from_row)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    async fn put_cohort(
        &self,
        project_id: i64,
        id: Option<i64>,
        name: &str,
        definition: &str,
        now_ms: i64,
    ) -> Result<Option<StoredCohort>> {
        let (name, definition) = (name.to_owned(), definition.to_owned());
        self.write(move |c| {
            let id = match id {
                None => {
                    c.execute(
                        "INSERT INTO cohorts (project_id, name, definition, created_ms, updated_ms)
                         VALUES (?1, ?2, ?3, ?4, ?4)",
                        params![project_id, name, definition, now_ms],
                    )?;
                    c.last_insert_rowid()
                }
                Some(id) => {
                    let n = c.execute(
                        "UPDATE cohorts SET name = ?3, definition = ?4, updated_ms = ?5
                         WHERE id = ?1 AND project_id = ?2",
                        params![id, project_id, name, definition, now_ms],
                    )?;
                    if n == 0 {
                        return Ok(None);
                    }
                    id
                }
            };
            Ok(Some(c.query_row(
                "SELECT id, name, definition, created_ms, updated_ms FROM cohorts WHERE id = ?1",
                params![id],
                cohort_from_row,
            )?))
        })
        .await
    }

    async fn delete_cohort(&self, project_id: i64, id: i64) -> Result<bool> {
        self.write(move |c| {
            Ok(c.execute(
                "DELETE FROM cohorts WHERE id = ?1 AND project_id = ?2",
                params![id, project_id],
            )? == 1)
        })
        .await
    }

    async fn import_sessions(&self, sessions: Vec<ImportedSession>) -> Result<usize> {
        self.write(move |c| {
            let tx = c.transaction()?;
            let mut new = 0;
            let now = now_ms();
            for imported in &sessions {
                if session_row(&tx, &imported.session)?.is_some() {
                    continue;
                }
                let row = ensure_session(&tx, &imported.session)?;
                let ua = imported.user_agent.as_ref();
                let facts: Vec<String> = FACT_COLUMNS
                    .iter()
                    .zip(imported.facts)
                    .map(|(column, n)| format!("{column} = {n}"))
                    .collect();
                tx.execute(
                    &format!(
                        "UPDATE sessions SET start_ms = ?2, end_ms = ?3, first_url = ?4,
                            first_url_ms = ?2, country = ?5, user_agent = ?6, browser = ?7, os = ?8,
                            device = ?9, urls = ?10, viewport_width = ?11, viewport_height = ?12,
                            last_upload_ms = ?3, {} WHERE id = ?1",
                        facts.join(", ")
                    ),
                    params![
                        row,
                        imported.start_ms,
                        imported.end_ms,
                        imported.first_url,
                        imported.country,
                        ua.map(|u| &u.header),
                        ua.map(|u| &u.browser),
                        ua.map(|u| &u.os),
                        ua.map(|u| &u.device),
                        serde_json::to_string(&imported.urls).expect("strings"),
                        imported.viewport.map(|v| v.0),
                        imported.viewport.map(|v| v.1)
                    ],
                )?;
                insert_events(&tx, imported.session.project_id, &imported.events, now)?;
                insert_texts(&tx, row, &imported.texts)?;
                new += 1;
            }
            tx.commit()?;
            Ok(new)
        })
        .await
    }
}

/// Detaches the chunks `chunk_ids` from their pieces (before the chunk rows go), remembering
/// the pieces for [`free_detached_pieces`].
fn detach_pieces(tx: &Connection, chunk_ids: &[i64]) -> Result<()> {
    tx.execute(
        "CREATE TEMP TABLE IF NOT EXISTS released (id INTEGER PRIMARY KEY)",
        [],
    )?;
    tx.execute("DELETE FROM released", [])?;
    let mut collect = tx.prepare_cached(
        "INSERT OR IGNORE INTO released (id) SELECT piece_id FROM chunk_pieces WHERE chunk_id = ?1",
    )?;
    let mut drop_uses = tx.prepare_cached("DELETE FROM chunk_pieces WHERE chunk_id = ?1")?;
    for id in chunk_ids {
        collect.execute(params![id])?;
        drop_uses.execute(params![id])?;
    }
    Ok(())
}

/// Deletes the pieces [`detach_pieces`] released that no segment refers to any more.
fn free_detached_pieces(tx: &Connection) -> Result<()> {
    tx.execute(
        "DELETE FROM pieces WHERE id IN (SELECT id FROM released)
           AND NOT EXISTS (SELECT 1 FROM chunk_pieces u WHERE u.piece_id = pieces.id)",
        [],
    )?;
    tx.execute("DELETE FROM released", [])?;
    Ok(())
}

fn saved_search_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<SavedSearch> {
    Ok(SavedSearch {
        id: r.get(0)?,
        name: r.get(1)?,
        search: r.get(2)?,
        created_by: r.get(3)?,
        created_ms: r.get(4)?,
    })
}

fn cohort_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredCohort> {
    Ok(StoredCohort {
        id: r.get(0)?,
        name: r.get(1)?,
        definition: r.get(2)?,
        created_ms: r.get(3)?,
        updated_ms: r.get(4)?,
    })
}

/// A bare snapshot belongs to the session's latest Meta when it follows it this closely.
const META_SNAPSHOT_GAP_MS: i64 = 60_000;

/// Most distinct URLs kept per session.
const MAX_SESSION_URLS: usize = 1_000;

fn chunks_of(c: &Connection, session_row: i64) -> Result<Vec<StoredChunk>> {
    let mut stmt = c.prepare_cached(
        "SELECT k.id, k.keyframe_ms, k.event_count, k.raw_bytes, k.start_ms, k.end_ms,
                k.self_contained, k.object_key, k.stored_bytes, k.dictionary_id, k.format, s.project_id
         FROM chunks k JOIN sessions s ON s.id = k.session_row
         WHERE k.session_row = ?1 ORDER BY k.start_ms, k.id",
    )?;
    let rows = stmt
        .query_map(params![session_row], |r| {
            Ok(StoredChunk {
                id: r.get(0)?,
                keyframe_ms: r.get(1)?,
                event_count: r.get(2)?,
                raw_bytes: r.get(3)?,
                start_ms: r.get(4)?,
                end_ms: r.get(5)?,
                self_contained: r.get(6)?,
                object_key: r.get(7)?,
                stored_bytes: r.get(8)?,
                dictionary_id: r.get(9)?,
                format: match r.get::<_, String>(10)?.as_str() {
                    "segment" => ChunkFormat::Segment,
                    _ => ChunkFormat::Chunk,
                },
                project_id: r.get(11)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(rows)
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn newest_dictionary_generation_wins() {
        let dir = tempfile::tempdir().unwrap();
        let store = SqliteStore::open(&dir.path().join("t.db")).unwrap();
        let (project, _) = store
            .create_installation(NewInstallation {
                organization_name: "o".into(),
                project_name: "p".into(),
                api_key: "k".into(),
                admin_email: "a@b.c".into(),
                admin_password_hash: "h".into(),
            })
            .await
            .unwrap();
        assert_eq!(store.project_dictionary(project.id).await.unwrap(), None);
        let first = store
            .add_dictionary(project.id, "d/1", 10, 1_000)
            .await
            .unwrap();
        let second = store
            .add_dictionary(project.id, "d/2", 20, 2_000)
            .await
            .unwrap();
        assert_eq!(
            store.project_dictionary(project.id).await.unwrap(),
            Some(second.clone())
        );
        assert_eq!(store.dictionary(first.id).await.unwrap(), Some(first));
        assert_eq!(
            store.dictionaries_since(project.id, 1_500).await.unwrap(),
            1
        );
        assert_eq!(store.dictionaries_since(project.id, 0).await.unwrap(), 2);
        assert_eq!(
            store.project_dictionary(project.id + 1).await.unwrap(),
            None
        );
    }

    #[test]
    fn replay_key_cases() {
        let cases = [
            ("d", 1, "ZC8x"),
            (
                "device-1",
                1_700_000_000_000,
                "ZGV2aWNlLTEvMTcwMDAwMDAwMDAwMA",
            ),
            ("a/b?c", 5, "YS9iP2MvNQ"),
            ("ÿÿ", 1, "w7_Dvy8x"),
        ];
        for (device, session, want) in cases {
            assert_eq!(
                crate::replay_key(device, session),
                want,
                "{device}/{session}"
            );
        }
    }
}
