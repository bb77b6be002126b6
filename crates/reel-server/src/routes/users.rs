//! User Look-Up: `GET /users` finds users by user id (its start), device id or a property;
//! `GET /users/{id}` shows one with their current properties and their event stream grouped by
//! session, newest first.

use axum::Json;
use axum::extract::{Path, Query, State};
use reel_engine::ReplayId;
use reel_engine::store::{self, UserLookup, UserQuery};
use serde::Deserialize;
use utoipa::IntoParams;

use super::api::rfc3339;
use crate::AppState;
use crate::analytics_types::{StreamEvent, StreamSession, UserList, UserProfile, UserSummary};
use crate::api_types::ErrorBody;
use crate::auth::CurrentUser;
use crate::error::ApiError;
use crate::permissions::{Action, authorize};

/// Users listed at most.
const MAX_USERS: usize = 50;
/// Events of a stream per page.
const STREAM_PAGE: usize = 200;
const MAX_QUERY_CHARS: usize = 1_024;

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct FindUsers {
    /// Project id; default: the first project of your organization.
    project: Option<String>,
    /// Users whose user id starts with this.
    user_id: Option<String>,
    /// The user a device belongs to.
    device_id: Option<String>,
    /// With `value`: users whose current property equals it.
    property: Option<String>,
    value: Option<String>,
}

fn summary_json(s: &store::UserSummary) -> UserSummary {
    UserSummary {
        user_id: s.user_id.clone(),
        device_ids: s.device_ids.clone(),
        first_seen: rfc3339(s.first_ms),
        last_seen: rfc3339(s.last_ms),
        event_count: s.event_count,
    }
}

fn text(v: Option<String>, what: &str) -> Result<Option<String>, ApiError> {
    match v.map(|s| s.trim().to_owned()).filter(|s| !s.is_empty()) {
        Some(s) if s.chars().count() > MAX_QUERY_CHARS => Err(ApiError::InvalidParameter(format!(
            "{what} has at most {MAX_QUERY_CHARS} characters"
        ))),
        other => Ok(other),
    }
}

/// Find users by the start of their user id, a device id, or a property's value; with none of
/// them, the users of the newest sessions (at most 50, last seen first).
#[utoipa::path(
    get, path = "/users", tag = "users",
    params(FindUsers),
    responses((status = 200, body = UserList), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub(super) async fn find(
    State(state): State<AppState>,
    CurrentUser(ctx, _): CurrentUser,
    Query(q): Query<FindUsers>,
) -> Result<Json<UserList>, ApiError> {
    let project = authorize(&ctx, q.project.as_deref(), Action::ViewAnalytics)?;
    let query = match (
        text(q.user_id, "user_id")?,
        text(q.device_id, "device_id")?,
        text(q.property, "property")?,
        q.value,
    ) {
        (Some(u), None, None, None) => UserQuery::UserIdPrefix(u),
        (None, Some(d), None, None) => UserQuery::DeviceId(d),
        (None, None, Some(key), Some(value)) => UserQuery::Property { key, value },
        (None, None, None, None) => UserQuery::Recent,
        _ => {
            return Err(ApiError::InvalidParameter(
                "give one of user_id, device_id, or property with value (or none of them: the \
                 users active last)"
                    .into(),
            ));
        }
    };
    let users = state
        .engine
        .find_users(project.id, query, MAX_USERS)
        .await?;
    Ok(Json(UserList {
        users: users.iter().map(summary_json).collect(),
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct ProfileParams {
    /// Project id; default: the first project of your organization.
    project: Option<String>,
    /// `user_id` (default) or `device_id`: what the path names.
    by: Option<String>,
    /// Only events before this moment (epoch ms): the previous answer's `next_before_ms`.
    before_ms: Option<i64>,
}

/// One user: current properties, first and last seen, devices, and their events grouped by
/// session, newest first (200 events a page).
#[utoipa::path(
    get, path = "/users/{id}", tag = "users",
    params(("id" = String, Path, description = "The user id (or, with by=device_id, a device id)"), ProfileParams),
    responses((status = 200, body = UserProfile), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody))
)]
pub(super) async fn profile(
    State(state): State<AppState>,
    CurrentUser(ctx, _): CurrentUser,
    Path(id): Path<String>,
    Query(q): Query<ProfileParams>,
) -> Result<Json<UserProfile>, ApiError> {
    let project = authorize(&ctx, q.project.as_deref(), Action::ViewAnalytics)?;
    let lookup = match q.by.as_deref().unwrap_or("user_id") {
        "user_id" => UserLookup::UserId(id),
        "device_id" => UserLookup::DeviceId(id),
        other => {
            return Err(ApiError::InvalidParameter(format!(
                "by is user_id or device_id, got {other:?}"
            )));
        }
    };
    let found = state
        .engine
        .user_profile(project.id, lookup, q.before_ms, STREAM_PAGE)
        .await?
        .ok_or(ApiError::NotFound("user"))?;
    let next_before_ms = if found.more {
        found.events.last().map(|e| e.time_ms)
    } else {
        None
    };
    let mut sessions: Vec<StreamSession> = Vec::new();
    for e in &found.events {
        let key = e.session.as_ref().map(|(d, s, _)| (d.clone(), *s));
        let same = sessions
            .last()
            .is_some_and(|last| last.device_id.clone().zip(last.session_id) == key);
        if !same {
            sessions.push(StreamSession {
                replay_id: key
                    .as_ref()
                    .map(|(d, s)| ReplayId::of(d, *s).as_str().to_owned()),
                device_id: key.as_ref().map(|(d, _)| d.clone()),
                session_id: key.as_ref().map(|(_, s)| *s),
                has_replay: e.session.as_ref().is_some_and(|s| s.2),
                events: Vec::new(),
            });
        }
        sessions
            .last_mut()
            .expect("pushed above")
            .events
            .push(StreamEvent {
                event_type: e.event_type.clone(),
                display_name: e.display_name.clone(),
                time: rfc3339(e.time_ms),
                time_ms: e.time_ms,
                properties: serde_json::from_str(&e.event_properties)
                    .unwrap_or_else(|_| serde_json::json!({})),
            });
    }
    Ok(Json(UserProfile {
        user: summary_json(&found.summary),
        properties: serde_json::from_str(&found.properties)
            .unwrap_or_else(|_| serde_json::json!({})),
        sessions,
        next_before_ms,
    }))
}
