//! Projects: creating one, its name, timezone and signal definitions, its settings (Session
//! Replay, retention, ingestion limits), its ingestion keys, deletion of one person's data on
//! request, and the portfolio of replays across the projects a user may watch.

use axum::Json;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use reel_engine::replay_settings::ReplaySettings;
use reel_engine::retention::{MAX_RETENTION_DAYS, MIN_RETENTION_DAYS};
use reel_engine::store::{Erased, Project, ProjectAccess, ProjectChanges, Subject, TimeRange};
use serde::Deserialize;
use serde_json::json;
use sha2::{Digest, Sha256};

use super::api::{project_json, replay_json, rfc3339};
use super::extract::ApiJson;
use crate::AppState;
use crate::api_types::{
    Erasure, ErrorBody, KeyRotation, NewProjectRequest, PortfolioPage, PortfolioReplay,
    ProjectInfo, ProjectKeys, ProjectSettings, ProjectSettingsUpdate, ProjectUpdate, RetiredKey,
    Role,
};
use crate::audit;
use crate::auth::CurrentUser;
use crate::bootstrap::new_api_key;
use crate::error::ApiError;
use crate::permissions::{
    Action, OrganizationAction, allows, authorize, authorize_organization, role_of,
};
use reel_engine::signal_settings::SignalDefinitions;

const MAX_NAME_CHARS: usize = 200;
/// The longest overlap a rotated key may keep working: 30 days.
const MAX_OVERLAP_HOURS: u32 = 720;
/// The longest analytics user id or device id a deletion names.
const MAX_SUBJECT_CHARS: usize = 1024;

fn project_name(name: &str) -> Result<String, ApiError> {
    let name = name.trim();
    if name.is_empty() || name.chars().count() > MAX_NAME_CHARS {
        return Err(ApiError::InvalidParameter(format!(
            "a project name has 1 to {MAX_NAME_CHARS} characters"
        )));
    }
    Ok(name.to_owned())
}

/// Create a project (organization admins): `{"name"}`; answers its `id` and `api_key`.
#[utoipa::path(
    post, path = "/projects", tag = "projects",
    request_body = NewProjectRequest,
    responses(
        (status = 201, description = "The new project", body = ProjectInfo),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 415, body = ErrorBody),
    )
)]
pub(super) async fn create_project(
    State(state): State<AppState>,
    CurrentUser(ctx, _): CurrentUser,
    ApiJson(body): ApiJson<NewProjectRequest>,
) -> Result<(StatusCode, Json<ProjectInfo>), ApiError> {
    authorize_organization(&ctx, OrganizationAction::CreateProjects)?;
    let name = project_name(&body.name)?;
    let project = state
        .store()
        .create_project(ctx.organization.id, &name, &new_api_key(), state.now_ms())
        .await?;
    let event = audit::Event::new("project_created", audit::Actor::User(&ctx))
        .project(project.id)
        .target(name);
    audit::record(&state, event).await;
    let access = ProjectAccess {
        project,
        role: Role::Admin.as_str().to_owned(),
    };
    Ok((StatusCode::CREATED, Json(project_json(&access))))
}

/// Change a project's name, timezone (`{"timezone": "Europe/Berlin"}`) or signal definitions
/// (managers and admins).
#[utoipa::path(
    patch, path = "/projects/{id}", tag = "projects",
    params(("id" = i64, Path, description = "The project's id")),
    request_body = ProjectUpdate,
    responses(
        (status = 200, description = "The project as it is now", body = ProjectInfo),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    )
)]
pub(super) async fn update_project(
    State(state): State<AppState>,
    CurrentUser(ctx, _): CurrentUser,
    Path(id): Path<String>,
    ApiJson(update): ApiJson<ProjectUpdate>,
) -> Result<Json<ProjectInfo>, ApiError> {
    let project = authorize(&ctx, Some(&id), Action::ChangeSettings)?;
    let mut changes = ProjectChanges::default();
    if let Some(name) = &update.name {
        changes.name = Some(project_name(name)?);
    }
    if let Some(tz) = &update.timezone {
        let tz = tz.trim();
        if tz.parse::<chrono_tz::Tz>().is_err() {
            return Err(ApiError::InvalidParameter(format!(
                "timezone must be an IANA timezone name like Europe/Berlin or UTC, got {tz:?}"
            )));
        }
        changes.timezone = Some(tz.to_owned());
    }
    if let Some(signals) = &update.signals {
        signals.validate().map_err(ApiError::InvalidParameter)?;
        let merged = SignalDefinitions::from_stored(&project.signal_settings).merged(signals);
        changes.signal_settings = Some(serde_json::to_string(&merged).expect("serializable"));
    }
    let updated = changed(&state, project.id, changes).await?;
    let event = audit::Event::new("project_changed", audit::Actor::User(&ctx))
        .project(project.id)
        .detail(serde_json::to_value(&update).unwrap_or_default());
    audit::record(&state, event).await;
    let role = role_of(access_of(&ctx.projects, project.id));
    Ok(Json(project_json(&ProjectAccess {
        project: updated,
        role: role.as_str().to_owned(),
    })))
}

fn access_of(projects: &[ProjectAccess], id: i64) -> &ProjectAccess {
    projects
        .iter()
        .find(|a| a.project.id == id)
        .expect("an authorized project is among the user's")
}

async fn changed(
    state: &AppState,
    project_id: i64,
    changes: ProjectChanges,
) -> Result<Project, ApiError> {
    state
        .store()
        .update_project(project_id, changes)
        .await?
        .ok_or(ApiError::NotFound("project"))
}

fn settings_json(state: &AppState, project: &Project) -> ProjectSettings {
    let own = |v: Option<i64>| v.and_then(|v| u64::try_from(v).ok());
    let events_per_second = own(project.events_per_second);
    let bytes_per_second = own(project.bytes_per_second);
    ProjectSettings {
        replay: ReplaySettings::from_stored(&project.replay_settings),
        retention_days: project.retention_days,
        events_per_second,
        bytes_per_second,
        effective_events_per_second: events_per_second
            .unwrap_or(state.config.ingest_events_per_second),
        effective_bytes_per_second: bytes_per_second
            .unwrap_or(state.config.ingest_bytes_per_second),
    }
}

/// The project's settings: Session Replay, retention, ingestion limits (managers and admins).
#[utoipa::path(
    get, path = "/projects/{id}/settings", tag = "projects",
    params(("id" = i64, Path, description = "The project's id")),
    responses(
        (status = 200, body = ProjectSettings), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    )
)]
pub(super) async fn settings(
    State(state): State<AppState>,
    CurrentUser(ctx, _): CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<ProjectSettings>, ApiError> {
    let project = authorize(&ctx, Some(&id), Action::ChangeSettings)?;
    Ok(Json(settings_json(&state, project)))
}

/// Change the project's settings (managers and admins; retention: admins). Session Replay
/// settings reach SDKs through the remote configuration and apply to captures that start after
/// it; stored recordings are not changed.
#[utoipa::path(
    patch, path = "/projects/{id}/settings", tag = "projects",
    params(("id" = i64, Path, description = "The project's id")),
    request_body = ProjectSettingsUpdate,
    responses(
        (status = 200, description = "The settings as they are now", body = ProjectSettings),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 415, body = ErrorBody),
    )
)]
pub(super) async fn update_settings(
    State(state): State<AppState>,
    CurrentUser(ctx, _): CurrentUser,
    Path(id): Path<String>,
    ApiJson(update): ApiJson<ProjectSettingsUpdate>,
) -> Result<Json<ProjectSettings>, ApiError> {
    let project = authorize(&ctx, Some(&id), Action::ChangeSettings)?;
    if update.retention_days.is_some() {
        authorize(&ctx, Some(&id), Action::ChangeRetention)?;
    }
    let mut replay = ReplaySettings::from_stored(&project.replay_settings);
    let u = update.clone();
    let trimmed = |s: String| s.trim().to_owned();
    replay.console_logs = u.console_logs.unwrap_or(replay.console_logs);
    replay.network_errors = u.network_errors.unwrap_or(replay.network_errors);
    replay.sample_rate = u.sample_rate.unwrap_or(replay.sample_rate);
    replay.privacy_level = u.privacy_level.unwrap_or(replay.privacy_level);
    replay.mask_selector = u.mask_selector.map_or(replay.mask_selector, trimmed);
    replay.block_selector = u.block_selector.map_or(replay.block_selector, trimmed);
    replay.unmask_selector = u.unmask_selector.map_or(replay.unmask_selector, trimmed);
    replay.min_session_ms = u.min_session_ms.unwrap_or(replay.min_session_ms);
    if let Some(urls) = u.blocked_urls {
        replay.blocked_urls = urls.into_iter().map(trimmed).collect();
    }
    replay.validate().map_err(ApiError::InvalidParameter)?;
    if let Some(days) = u.retention_days
        && !(MIN_RETENTION_DAYS..=MAX_RETENTION_DAYS).contains(&days)
    {
        return Err(ApiError::InvalidParameter(format!(
            "retention_days must be between {MIN_RETENTION_DAYS} and {MAX_RETENTION_DAYS}"
        )));
    }
    let limit = |v: Option<Option<u64>>| -> Result<Option<Option<i64>>, ApiError> {
        v.map(|v| {
            v.map(|n| {
                i64::try_from(n)
                    .map_err(|_| ApiError::InvalidParameter("a limit is too large".into()))
            })
            .transpose()
        })
        .transpose()
    };
    let changes = ProjectChanges {
        replay_settings: Some(replay.to_stored()),
        retention_days: u.retention_days,
        events_per_second: limit(u.events_per_second)?,
        bytes_per_second: limit(u.bytes_per_second)?,
        ..Default::default()
    };
    let updated = changed(&state, project.id, changes).await?;
    let event = audit::Event::new("settings_changed", audit::Actor::User(&ctx))
        .project(project.id)
        .detail(serde_json::to_value(&update).unwrap_or_default());
    audit::record(&state, event).await;
    Ok(Json(settings_json(&state, &updated)))
}

fn keys_json(current: String, retired: Vec<reel_engine::store::RetiredKey>) -> ProjectKeys {
    ProjectKeys {
        api_key: current,
        retired: retired
            .into_iter()
            .map(|k| RetiredKey {
                api_key: k.api_key,
                valid_until: rfc3339(k.until_ms),
            })
            .collect(),
    }
}

/// The project's ingestion keys: the current one, and replaced ones that still work (admins).
#[utoipa::path(
    get, path = "/projects/{id}/keys", tag = "projects",
    params(("id" = i64, Path, description = "The project's id")),
    responses(
        (status = 200, body = ProjectKeys), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    )
)]
pub(super) async fn keys(
    State(state): State<AppState>,
    CurrentUser(ctx, _): CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<ProjectKeys>, ApiError> {
    let project = authorize(&ctx, Some(&id), Action::ManageKeys)?;
    let retired = state
        .store()
        .retired_keys(project.id, state.now_ms())
        .await?;
    Ok(Json(keys_json(project.api_key.clone(), retired)))
}

/// Give the project a new ingestion key (admins): the current one keeps working for
/// `overlap_hours`, then answers 401.
#[utoipa::path(
    post, path = "/projects/{id}/keys/rotate", tag = "projects",
    params(("id" = i64, Path, description = "The project's id")),
    request_body = KeyRotation,
    responses(
        (status = 200, description = "The keys after the rotation", body = ProjectKeys),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 415, body = ErrorBody),
    )
)]
pub(super) async fn rotate_key(
    State(state): State<AppState>,
    CurrentUser(ctx, _): CurrentUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<KeyRotation>,
) -> Result<Json<ProjectKeys>, ApiError> {
    let project = authorize(&ctx, Some(&id), Action::ManageKeys)?;
    if body.overlap_hours > MAX_OVERLAP_HOURS {
        return Err(ApiError::InvalidParameter(format!(
            "overlap_hours must be between 0 and {MAX_OVERLAP_HOURS}"
        )));
    }
    let now = state.now_ms();
    let key = new_api_key();
    let until = now + i64::from(body.overlap_hours) * 3_600_000;
    state
        .store()
        .rotate_api_key(project.id, &key, until)
        .await?;
    let event = audit::Event::new("key_rotated", audit::Actor::User(&ctx))
        .project(project.id)
        .detail(json!({
            "overlap_hours": body.overlap_hours,
            "old_key_starts": project.api_key.chars().take(6).collect::<String>(),
            "new_key_starts": key.chars().take(6).collect::<String>(),
        }));
    audit::record(&state, event).await;
    let retired = state.store().retired_keys(project.id, now).await?;
    Ok(Json(keys_json(key, retired)))
}

/// How an audit line names a deleted user id or device id: a hash, so the log keeps no trace
/// of the person it was asked to forget.
fn hashed(subject: &str) -> String {
    let digest = Sha256::digest(subject.as_bytes());
    let hex: String = digest.iter().take(8).map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

async fn erase(
    state: &AppState,
    ctx: &reel_engine::store::UserContext,
    project_id: &str,
    subject: Subject,
) -> Result<Json<Erasure>, ApiError> {
    let project = authorize(ctx, Some(project_id), Action::DeleteData)?;
    let (action, text) = match &subject {
        Subject::UserId(id) => ("user_data_deleted", id),
        Subject::DeviceId(id) => ("device_data_deleted", id),
    };
    if text.is_empty() || text.chars().count() > MAX_SUBJECT_CHARS {
        return Err(ApiError::InvalidParameter(format!(
            "give an id of 1 to {MAX_SUBJECT_CHARS} characters"
        )));
    }
    let target = hashed(text);
    let Erased {
        sessions,
        recordings,
        events,
        user_properties,
    } = state.engine.erase(project.id, &subject).await?;
    let event = audit::Event::new(action, audit::Actor::User(ctx))
        .project(project.id)
        .target(target)
        .detail(json!({
            "sessions": sessions,
            "replays": recordings,
            "events": events,
            "user_properties": user_properties,
        }));
    audit::record(state, event).await;
    Ok(Json(Erasure {
        sessions,
        replays: recordings,
        events,
        user_properties,
    }))
}

/// Delete everything of one user id in the project (admins): every session with an event of
/// it — recordings, events, on-screen and console text, facts — its other events and its user
/// properties. The audit log records a hash of the id, not the id.
#[utoipa::path(
    delete, path = "/projects/{id}/users/{user_id}", tag = "projects",
    params(
        ("id" = i64, Path, description = "The project's id"),
        ("user_id" = String, Path, description = "The analytics user id (as the SDK sent it)"),
    ),
    responses(
        (status = 200, description = "What was deleted", body = Erasure),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    )
)]
pub(super) async fn erase_user(
    State(state): State<AppState>,
    CurrentUser(ctx, _): CurrentUser,
    Path((id, user_id)): Path<(String, String)>,
) -> Result<Json<Erasure>, ApiError> {
    erase(&state, &ctx, &id, Subject::UserId(user_id)).await
}

/// Delete everything of one device id in the project (admins): its sessions with their
/// recordings, events and text, its other events, its anonymous user properties.
#[utoipa::path(
    delete, path = "/projects/{id}/devices/{device_id}", tag = "projects",
    params(
        ("id" = i64, Path, description = "The project's id"),
        ("device_id" = String, Path, description = "The device id (as the SDK sent it)"),
    ),
    responses(
        (status = 200, description = "What was deleted", body = Erasure),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    )
)]
pub(super) async fn erase_device(
    State(state): State<AppState>,
    CurrentUser(ctx, _): CurrentUser,
    Path((id, device_id)): Path<(String, String)>,
) -> Result<Json<Erasure>, ApiError> {
    erase(&state, &ctx, &id, Subject::DeviceId(device_id)).await
}

#[derive(Deserialize)]
pub(super) struct PortfolioQuery {
    days: Option<u32>,
    limit: Option<usize>,
}

const MAX_PORTFOLIO_DAYS: u32 = 90;
const MAX_PORTFOLIO_LIMIT: usize = 100;

/// The newest replays across every project you may watch (each names its project). One
/// person's sessions in two projects stay two replays: nothing is stitched across projects.
#[utoipa::path(
    get, path = "/portfolio/replays", tag = "replays",
    params(
        ("days" = Option<u32>, Query, description = "Sessions started in the last this many days (default 7, at most 90)."),
        ("limit" = Option<usize>, Query, description = "At most this many replays (default and most 100)."),
    ),
    responses((status = 200, body = PortfolioPage), (status = 400, body = ErrorBody), (status = 401, body = ErrorBody))
)]
pub(super) async fn portfolio(
    State(state): State<AppState>,
    CurrentUser(ctx, _): CurrentUser,
    Query(q): Query<PortfolioQuery>,
) -> Result<Json<PortfolioPage>, ApiError> {
    let days = q.days.unwrap_or(7);
    if !(1..=MAX_PORTFOLIO_DAYS).contains(&days) {
        return Err(ApiError::InvalidParameter(format!(
            "days must be between 1 and {MAX_PORTFOLIO_DAYS}"
        )));
    }
    let limit = q
        .limit
        .unwrap_or(MAX_PORTFOLIO_LIMIT)
        .clamp(1, MAX_PORTFOLIO_LIMIT);
    let now = state.now_ms();
    let range = TimeRange {
        start_ms: now - i64::from(days) * 86_400_000,
        // Sessions whose clocks run a little ahead are still listed.
        end_ms: now + 86_400_000,
    };
    let mut replays = Vec::new();
    for access in &ctx.projects {
        if !allows(role_of(access), Action::WatchReplays) {
            continue;
        }
        let project = &access.project;
        for replay in state.store().list_replays(project.id, range, limit).await? {
            replays.push(PortfolioReplay {
                project_id: project.id,
                project_name: project.name.clone(),
                replay: replay_json(&replay),
            });
        }
    }
    replays.sort_by(|a, b| {
        b.replay
            .start_time
            .cmp(&a.replay.start_time)
            .then(a.project_id.cmp(&b.project_id))
    });
    replays.truncate(limit);
    Ok(Json(PortfolioPage { replays }))
}
