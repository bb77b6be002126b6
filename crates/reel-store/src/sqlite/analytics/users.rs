//! User Look-Up: a user by user id or device id, their current properties, devices, first and
//! last seen, and their events newest first with the session each belongs to.

use rusqlite::{Connection, OptionalExtension, params};
use serde_json::{Map, Value};

use super::record::value_json;
use crate::{Result, StreamEvent, UserLookup, UserProfile, UserQuery, UserSummary};

/// Devices listed per user at most.
const MAX_DEVICES: i64 = 100;

fn row_of(c: &Connection, project_id: i64, lookup: &UserLookup) -> Result<Option<i64>> {
    let (sql, key) = match lookup {
        UserLookup::UserId(u) => (
            "SELECT id FROM analytics_users WHERE project_id = ?1 AND user_id = ?2",
            u,
        ),
        UserLookup::DeviceId(d) => (
            "SELECT user_row FROM analytics_devices WHERE project_id = ?1 AND device_id = ?2",
            d,
        ),
    };
    Ok(c.prepare_cached(sql)?
        .query_row(params![project_id, key], |r| r.get(0))
        .optional()?)
}

fn summary(c: &Connection, row: i64) -> Result<Option<UserSummary>> {
    let Some((user_id, first_ms, last_ms, event_count)) = c
        .prepare_cached(
            "SELECT user_id, first_ms, last_ms, event_count FROM analytics_users WHERE id = ?1",
        )?
        .query_row(params![row], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })
        .optional()?
    else {
        return Ok(None);
    };
    let device_ids = c
        .prepare_cached(
            "SELECT device_id FROM analytics_devices WHERE user_row = ?1 ORDER BY first_ms LIMIT ?2",
        )?
        .query_map(params![row, MAX_DEVICES], |r| r.get(0))?
        .collect::<rusqlite::Result<_>>()?;
    Ok(Some(UserSummary {
        user_id,
        device_ids,
        first_ms,
        last_ms,
        event_count,
    }))
}

pub(super) fn profile(
    c: &Connection,
    project_id: i64,
    lookup: &UserLookup,
    before_ms: Option<i64>,
    limit: usize,
) -> Result<Option<UserProfile>> {
    let Some(row) = row_of(c, project_id, lookup)? else {
        return Ok(None);
    };
    let Some(summary) = summary(c, row)? else {
        return Ok(None);
    };
    let mut properties = Map::new();
    {
        let mut stmt = c.prepare_cached(
            "SELECT key, value FROM analytics_user_properties WHERE user_row = ?1 ORDER BY key",
        )?;
        let mut rows = stmt.query(params![row])?;
        while let Some(r) = rows.next()? {
            properties.insert(r.get(0)?, value_json(r.get_ref(1)?));
        }
    }
    let mut events: Vec<StreamEvent> = c
        .prepare_cached(
            "SELECT t.name, v.display_name, e.time_ms, v.event_properties, v.device_id,
                    s.device_id, s.session_id, s.start_ms IS NOT NULL
             FROM analytics_events e
             JOIN event_types t ON t.id = e.type_id
             JOIN events v ON v.id = e.event_id
             LEFT JOIN sessions s ON s.id = e.session_row
             WHERE e.user_row = ?1 AND e.time_ms < ?2
             ORDER BY e.time_ms DESC, e.event_id DESC LIMIT ?3",
        )?
        .query_map(
            params![row, before_ms.unwrap_or(i64::MAX), limit as i64 + 1],
            |r| {
                let session = match (r.get::<_, Option<String>>(5)?, r.get::<_, Option<i64>>(6)?) {
                    (Some(d), Some(s)) => {
                        Some((d, s, r.get::<_, Option<bool>>(7)?.unwrap_or(false)))
                    }
                    _ => None,
                };
                Ok(StreamEvent {
                    event_type: r.get(0)?,
                    display_name: r.get(1)?,
                    time_ms: r.get(2)?,
                    event_properties: r.get(3)?,
                    device_id: r.get(4)?,
                    session,
                })
            },
        )?
        .collect::<rusqlite::Result<_>>()?;
    let more = events.len() > limit;
    events.truncate(limit);
    Ok(Some(UserProfile {
        summary,
        properties: Value::Object(properties).to_string(),
        events,
        more,
    }))
}

pub(super) fn find(
    c: &Connection,
    project_id: i64,
    query: &UserQuery,
    limit: usize,
) -> Result<Vec<UserSummary>> {
    let limit = limit as i64;
    let rows: Vec<i64> = match query {
        UserQuery::UserIdPrefix(prefix) => c
            .prepare_cached(
                "SELECT id FROM analytics_users
                 WHERE project_id = ?1 AND user_id >= ?2 AND substr(user_id, 1, length(?2)) = ?2
                 ORDER BY user_id LIMIT ?3",
            )?
            .query_map(params![project_id, prefix, limit], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?,
        UserQuery::DeviceId(device) => {
            row_of(c, project_id, &UserLookup::DeviceId(device.clone()))?
                .into_iter()
                .collect()
        }
        UserQuery::Property { key, value } => {
            let number = value.trim().parse::<f64>().ok().filter(|n| n.is_finite());
            c.prepare_cached(
                "SELECT user_row FROM analytics_user_properties
                 WHERE project_id = ?1 AND key = ?2 AND (value = ?3 OR value = ?4) LIMIT ?5",
            )?
            .query_map(params![project_id, key, value, number, limit], |r| r.get(0))?
            .collect::<rusqlite::Result<_>>()?
        }
        UserQuery::Recent => {
            // Newest sessions first through their index, so a project of millions of users
            // answers at once; a user with several of them is listed once.
            let mut rows = Vec::new();
            let mut stmt = c.prepare_cached(
                "SELECT user_row FROM analytics_sessions
                 WHERE project_id = ?1 ORDER BY first_ms DESC LIMIT ?2",
            )?;
            let mut found = stmt.query(params![project_id, limit * 20])?;
            while let Some(r) = found.next()? {
                let row: i64 = r.get(0)?;
                if !rows.contains(&row) {
                    rows.push(row);
                    if rows.len() as i64 == limit {
                        break;
                    }
                }
            }
            rows
        }
    };
    let mut found: Vec<UserSummary> = rows
        .into_iter()
        .filter_map(|row| summary(c, row).transpose())
        .collect::<Result<_>>()?;
    found.sort_by_key(|u| std::cmp::Reverse(u.last_ms));
    Ok(found)
}
