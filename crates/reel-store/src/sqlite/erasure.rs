//! Deleting sessions for good, past retention or on request ([`ErasureStore`]).

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, params};

use super::SqliteStore;
use super::analytics;
use super::events::session_row;
use super::sessions::{delete_interactions, release_recording};
use crate::{Erased, ErasureStore, Result, SessionRef, Subject};

#[async_trait]
impl ErasureStore for SqliteStore {
    async fn expired_sessions(
        &self,
        project_id: i64,
        cutoff_ms: i64,
        limit: usize,
    ) -> Result<Vec<SessionRef>> {
        self.read(move |c| {
            let limit = limit as i64;
            let mut recorded = c.prepare_cached(
                "SELECT device_id, session_id FROM sessions
                 WHERE project_id = ?1 AND start_ms IS NOT NULL AND start_ms < ?2 AND end_ms < ?2
                 LIMIT ?3",
            )?;
            let mut found = refs(
                project_id,
                &mut recorded,
                params![project_id, cutoff_ms, limit],
            )?;
            let left = limit - found.len() as i64;
            if left > 0 {
                let mut unrecorded = c.prepare_cached(
                    "SELECT device_id, session_id FROM sessions s
                     WHERE project_id = ?1 AND start_ms IS NULL AND session_id < ?2
                       AND NOT EXISTS (SELECT 1 FROM events e
                                       WHERE e.session_row = s.id AND e.time_ms >= ?2)
                     LIMIT ?3",
                )?;
                found.extend(refs(
                    project_id,
                    &mut unrecorded,
                    params![project_id, cutoff_ms, left],
                )?);
            }
            Ok(found)
        })
        .await
    }

    async fn sessions_of(
        &self,
        project_id: i64,
        subject: &Subject,
        limit: usize,
    ) -> Result<Vec<SessionRef>> {
        let subject = subject.clone();
        self.read(move |c| {
            let limit = limit as i64;
            match &subject {
                Subject::UserId(user) => {
                    let mut stmt = c.prepare_cached(
                        "SELECT device_id, session_id FROM sessions
                         WHERE project_id = ?1 AND (user_id = ?2 OR id IN (
                             SELECT session_row FROM events
                             WHERE project_id = ?1 AND user_id = ?2 AND session_row IS NOT NULL))
                         LIMIT ?3",
                    )?;
                    refs(project_id, &mut stmt, params![project_id, user, limit])
                }
                Subject::DeviceId(device) => {
                    let mut stmt = c.prepare_cached(
                        "SELECT device_id, session_id FROM sessions
                         WHERE project_id = ?1 AND device_id = ?2 LIMIT ?3",
                    )?;
                    refs(project_id, &mut stmt, params![project_id, device, limit])
                }
            }
        })
        .await
    }

    async fn delete_sessions(
        &self,
        sessions: Vec<SessionRef>,
        delete_after_ms: i64,
    ) -> Result<Erased> {
        self.write(move |c| {
            let tx = c.transaction()?;
            let mut erased = Erased::default();
            for session in &sessions {
                if let Some(row) = session_row(&tx, session)? {
                    erased.add(delete_session(&tx, row, session, delete_after_ms)?);
                }
            }
            tx.commit()?;
            Ok(erased)
        })
        .await
    }

    async fn delete_expired_rest(
        &self,
        project_id: i64,
        cutoff_ms: i64,
        limit: usize,
    ) -> Result<Erased> {
        self.write(move |c| {
            let tx = c.transaction()?;
            let limit = limit as i64;
            let expired = "SELECT id FROM events
                 WHERE project_id = ?1 AND session_row IS NULL AND time_ms < ?2
                 ORDER BY id LIMIT ?3";
            analytics::forget_events(&tx, expired, params![project_id, cutoff_ms, limit])?;
            let events = tx.execute(
                &format!("DELETE FROM events WHERE id IN ({expired})"),
                params![project_id, cutoff_ms, limit],
            )?;
            let mut user_properties = tx.execute(
                "DELETE FROM user_properties WHERE (project_id, user_key, key) IN (
                     SELECT project_id, user_key, key FROM user_properties
                     WHERE project_id = ?1 AND time_ms < ?2 LIMIT ?3)",
                params![project_id, cutoff_ms, limit],
            )?;
            // Profiles for charts of people seen last before the cutoff: their events are gone.
            let users: Vec<i64> = tx
                .prepare_cached(
                    "SELECT u.id FROM analytics_users u
                     WHERE u.project_id = ?1 AND u.last_ms < ?2
                       AND NOT EXISTS (SELECT 1 FROM analytics_events e WHERE e.user_row = u.id)
                       AND NOT EXISTS (SELECT 1 FROM analytics_sessions s WHERE s.user_row = u.id)
                     LIMIT ?3",
                )?
                .query_map(params![project_id, cutoff_ms, limit], |r| r.get(0))?
                .collect::<Result<_, _>>()?;
            for user in users {
                user_properties += forget_user(&tx, user)?;
            }
            tx.commit()?;
            Ok(Erased {
                events,
                user_properties,
                ..Default::default()
            })
        })
        .await
    }

    async fn delete_subject_rest(&self, project_id: i64, subject: &Subject) -> Result<Erased> {
        let subject = subject.clone();
        self.write(move |c| {
            let tx = c.transaction()?;
            let profile = erase_from_charts(&tx, project_id, &subject)?;
            let (events, user_key) = match &subject {
                Subject::UserId(user) => (
                    tx.execute(
                        "DELETE FROM events WHERE project_id = ?1 AND user_id = ?2",
                        params![project_id, user],
                    )?,
                    format!("u:{user}"),
                ),
                Subject::DeviceId(device) => (
                    tx.execute(
                        "DELETE FROM events
                         WHERE project_id = ?1 AND session_row IS NULL AND device_id = ?2",
                        params![project_id, device],
                    )?,
                    format!("d:{device}"),
                ),
            };
            let user_properties = tx.execute(
                "DELETE FROM user_properties WHERE project_id = ?1 AND user_key = ?2",
                params![project_id, user_key],
            )?;
            tx.commit()?;
            Ok(Erased {
                events,
                user_properties: user_properties + profile,
                ..Default::default()
            })
        })
        .await
    }
}

fn refs(
    project_id: i64,
    stmt: &mut rusqlite::CachedStatement<'_>,
    params: impl rusqlite::Params,
) -> Result<Vec<SessionRef>> {
    Ok(stmt
        .query_map(params, |r| {
            Ok(SessionRef {
                project_id,
                device_id: r.get(0)?,
                session_id: r.get(1)?,
            })
        })?
        .collect::<Result<Vec<_>, _>>()?)
}

/// Deletes one session and everything that belongs to it (see `erasure.rs` of the traits).
fn delete_session(
    tx: &Connection,
    row: i64,
    session: &SessionRef,
    delete_after_ms: i64,
) -> Result<Erased> {
    let recorded: bool = tx
        .query_row(
            "SELECT start_ms IS NOT NULL FROM sessions WHERE id = ?1",
            params![row],
            |r| r.get(0),
        )
        .optional()?
        .unwrap_or(false);
    release_recording(tx, row, delete_after_ms)?;
    tx.execute(
        "DELETE FROM element_tokens WHERE session_row = ?1",
        params![row],
    )?;
    analytics::forget_events(
        tx,
        "SELECT id FROM events WHERE session_row = ?1",
        params![row],
    )?;
    tx.execute(
        "DELETE FROM analytics_sessions WHERE session_row = ?1",
        params![row],
    )?;
    let events = tx.execute("DELETE FROM events WHERE session_row = ?1", params![row])?;
    delete_interactions(tx, session)?;
    tx.execute("DELETE FROM sessions WHERE id = ?1", params![row])?;
    Ok(Erased {
        sessions: 1,
        recordings: usize::from(recorded),
        events,
        user_properties: 0,
    })
}

/// Takes a person out of the tables charts read, before their events go: for a user id, the
/// user after merges with every event of theirs (a device's anonymous events merged into them
/// too, which are deleted with them), devices, properties and sessions; for a device id, its
/// events, and the device's user when that user is anonymous and has no other device. The
/// user properties deleted.
fn erase_from_charts(tx: &Connection, project_id: i64, subject: &Subject) -> Result<usize> {
    let user_row: Option<i64> = match subject {
        Subject::UserId(user) => tx
            .query_row(
                "SELECT id FROM analytics_users WHERE project_id = ?1 AND user_id = ?2",
                params![project_id, user],
                |r| r.get(0),
            )
            .optional()?,
        Subject::DeviceId(device) => {
            analytics::forget_events(
                tx,
                "SELECT id FROM events WHERE project_id = ?1 AND device_id = ?2",
                params![project_id, device],
            )?;
            let user_row: Option<i64> = tx
                .query_row(
                    "SELECT user_row FROM analytics_devices WHERE project_id = ?1 AND device_id = ?2",
                    params![project_id, device],
                    |r| r.get(0),
                )
                .optional()?;
            tx.execute(
                "DELETE FROM analytics_devices WHERE project_id = ?1 AND device_id = ?2",
                params![project_id, device],
            )?;
            // A named user keeps their profile (their other devices, their id); an anonymous one
            // was only this device.
            match user_row {
                Some(row) => tx
                    .query_row(
                        "SELECT id FROM analytics_users u WHERE id = ?1 AND user_id IS NULL
                           AND NOT EXISTS (SELECT 1 FROM analytics_devices d WHERE d.user_row = u.id)",
                        params![row],
                        |r| r.get(0),
                    )
                    .optional()?,
                None => None,
            }
        }
    };
    let Some(user_row) = user_row else {
        return Ok(0);
    };
    // Every event charts hold of them, with the events themselves: those with the user id go
    // anyway, and the anonymous ones merged into the user are theirs too.
    let theirs = "SELECT event_id FROM analytics_events WHERE user_row = ?1";
    let doomed: Vec<i64> = tx
        .prepare(theirs)?
        .query_map(params![user_row], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    let touched = analytics::forget_events(tx, theirs, params![user_row])?;
    let mut delete = tx.prepare_cached("DELETE FROM events WHERE id = ?1")?;
    for id in doomed {
        delete.execute(params![id])?;
    }
    analytics::recount_sessions(tx, &touched)?;
    forget_user(tx, user_row)
}

/// Deletes a chart user with their devices, properties and sessions: the properties deleted.
fn forget_user(tx: &Connection, user_row: i64) -> Result<usize> {
    tx.execute(
        "DELETE FROM analytics_sessions WHERE user_row = ?1",
        params![user_row],
    )?;
    tx.execute(
        "DELETE FROM analytics_devices WHERE user_row = ?1",
        params![user_row],
    )?;
    let properties = tx.execute(
        "DELETE FROM analytics_user_properties WHERE user_row = ?1",
        params![user_row],
    )?;
    tx.execute(
        "DELETE FROM analytics_users WHERE id = ?1",
        params![user_row],
    )?;
    Ok(properties)
}
