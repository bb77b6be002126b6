//! Reading a replay: its manifest (what is stored, where playing can start) and its events —
//! all of them, or a window that starts at the nearest keyframe so it plays on its own.
//!
//! Events are streamed as one JSON array in time order, compressed as the client accepts
//! (zstd or gzip). The server holds only the stored pieces whose time spans overlap, never the
//! session.

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::header::{ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE, VARY};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use reel_engine::encoding::{Encoding, EventsJson, compress_answer};
use reel_engine::store::StoredChunk;
use serde::Deserialize;

use super::api::{ProjectQuery, ReplayIdPath, find_replay, replay_id, replay_json, rfc3339};
use super::extract::{ApiJson, optional_text};
use crate::AppState;
use crate::api_types::{
    self, Activity, ActivityEvent, ErrorBody, FeedbackList, FeedbackRequest, Gap, Manifest,
    ManifestPiece, PieceKind, RecordedEvent, Timeline,
};
use crate::auth::CurrentUser;
use crate::error::ApiError;
use crate::permissions::{Action, authorize};

#[derive(Deserialize)]
pub struct EventsQuery {
    project: Option<String>,
    /// Epoch ms: the answer starts at the nearest keyframe at or before it.
    from: Option<String>,
    /// Epoch ms: the answer ends with the last event at or before it.
    to: Option<String>,
    /// `1`: take `from` as is — the answer starts with the first event at or after it, not at a
    /// keyframe. For continuing a window the client already holds.
    exact: Option<String>,
}

/// The replay's rrweb events in timestamp order (streamed), compressed with zstd or gzip when
/// accepted. With `from`, the answer starts at the nearest keyframe at or before it (header
/// `X-Reel-Window-Start`).
#[utoipa::path(
    get, path = "/replays/{id}/events", tag = "replays",
    params(
        ("id" = String, Path, description = "The replay id from the list (URL-safe)."),
        ProjectQuery,
        ("from" = Option<i64>, Query, description = "Epoch ms: start at the nearest keyframe at or before it."),
        ("to" = Option<i64>, Query, description = "Epoch ms: end with the last event at or before it."),
        ("exact" = Option<u8>, Query, description = "`1`: take `from` as is (no keyframe): the answer starts with the first event at or after it. For continuing a window the client already holds."),
    ),
    responses(
        (status = 200, description = "A JSON array of rrweb events as recorded", body = Vec<RecordedEvent>),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
    )
)]
pub async fn events(
    State(state): State<AppState>,
    CurrentUser(ctx, _): CurrentUser,
    Path(id): Path<String>,
    Query(q): Query<EventsQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let project = authorize(&ctx, q.project.as_deref(), Action::WatchReplays)?;
    let from = parse_ms(q.from.as_deref(), "from")?;
    let to = parse_ms(q.to.as_deref(), "to")?.unwrap_or(i64::MAX);
    if from.is_some_and(|f| f > to) {
        return Err(ApiError::InvalidParameter(
            "from must not be after to".into(),
        ));
    }
    let chunks = state
        .store()
        .replay_chunks(project.id, &replay_id(&id)?)
        .await?;
    if chunks.is_empty() {
        return Err(ApiError::NotFound("replay"));
    }
    let exact = match q.exact.as_deref() {
        None | Some("" | "0" | "false") => false,
        Some("1" | "true") => true,
        Some(other) => {
            return Err(ApiError::InvalidParameter(format!(
                "exact must be 1 or 0, got {other:?}"
            )));
        }
    };
    let encoding = negotiate(&headers);
    let window = state.engine.window(chunks, from, to, exact).await?;
    let start = window.start_ms;
    let stream = futures::stream::unfold(
        Some(EventsJson::new(window, encoding)),
        |writer| async move {
            let mut writer = writer?;
            match writer.next_piece().await {
                Ok(Some(bytes)) => Some((Ok::<Bytes, std::io::Error>(bytes), Some(writer))),
                Ok(None) => None,
                Err(e) => {
                    tracing::error!(error = %e, "reading a stored recording failed mid-stream");
                    Some((
                        Err(std::io::Error::other("stored recording is unreadable")),
                        None,
                    ))
                }
            }
        },
    );
    let mut response = (
        [
            (CONTENT_TYPE, "application/json"),
            (CACHE_CONTROL, "private, no-cache"),
        ],
        Body::from_stream(stream),
    )
        .into_response();
    let h = response.headers_mut();
    h.insert(VARY, HeaderValue::from_static("Accept-Encoding"));
    if let Some(name) = encoding.header() {
        h.insert(CONTENT_ENCODING, HeaderValue::from_static(name));
    }
    if let Some(start) = start {
        h.insert("x-reel-window-start", HeaderValue::from(start));
    }
    Ok(response)
}

fn parse_ms(value: Option<&str>, name: &str) -> Result<Option<i64>, ApiError> {
    match value.filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => v.parse::<i64>().map(Some).map_err(|_| {
            ApiError::InvalidParameter(format!("{name} must be epoch milliseconds, got {v:?}"))
        }),
    }
}

/// What is stored of a replay and where playing can start.
#[utoipa::path(
    get, path = "/replays/{id}/manifest", tag = "replays",
    params(ReplayIdPath, ProjectQuery),
    responses(
        (status = 200, body = Manifest), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
    )
)]
pub async fn manifest(
    State(state): State<AppState>,
    CurrentUser(ctx, _): CurrentUser,
    Path(ReplayIdPath(id)): Path<ReplayIdPath>,
    Query(q): Query<ProjectQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (project, replay) = find_replay(&state, &ctx, q.project.as_deref(), &id).await?;
    let chunks = state.store().replay_chunks(project.id, &replay.id).await?;
    let mut keyframes: Vec<i64> = chunks.iter().filter_map(|c| c.keyframe_ms).collect();
    keyframes.sort_unstable();
    keyframes.dedup();
    let gaps = state.store().session_gaps(project.id, &replay.id).await?;
    Ok(compressed_json(
        &headers,
        &Manifest {
            replay: replay_json(&replay),
            start_ms: replay.start_ms,
            end_ms: replay.end_ms,
            keyframes,
            pieces: chunks.iter().map(piece_json).collect(),
            gaps: gaps
                .iter()
                .map(|&(start_ms, end_ms)| Gap { start_ms, end_ms })
                .collect(),
        },
    )
    .await)
}

/// Delete a replay's recording: its objects (after reads in progress finish), pieces no other
/// recording uses, what reel derived from it. The session's analytics events stay.
#[utoipa::path(
    delete, path = "/replays/{id}", tag = "replays",
    params(ReplayIdPath, ProjectQuery),
    responses(
        (status = 204, description = "Deleted"), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
    )
)]
pub async fn delete(
    State(state): State<AppState>,
    CurrentUser(ctx, _): CurrentUser,
    Path(ReplayIdPath(id)): Path<ReplayIdPath>,
    Query(q): Query<ProjectQuery>,
) -> Result<axum::http::StatusCode, ApiError> {
    let project = authorize(&ctx, q.project.as_deref(), Action::DeleteData)?;
    let after = state.now_ms() + state.config.replaced_object_grace_seconds as i64 * 1000;
    if state
        .store()
        .delete_replay(project.id, &replay_id(&id)?, after)
        .await?
    {
        Ok(axum::http::StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound("replay"))
    }
}

const MAX_COMMENT_CHARS: usize = 2_000;

/// A viewer's verdict on a replay: `{"rating": "down", "comment": "…"}`.
#[utoipa::path(
    post, path = "/replays/{id}/feedback", tag = "replays",
    params(ReplayIdPath, ProjectQuery),
    request_body = FeedbackRequest,
    responses(
        (status = 201, body = api_types::Feedback), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 415, body = ErrorBody),
    )
)]
pub async fn add_feedback(
    State(state): State<AppState>,
    CurrentUser(ctx, _): CurrentUser,
    Path(ReplayIdPath(id)): Path<ReplayIdPath>,
    Query(q): Query<ProjectQuery>,
    ApiJson(body): ApiJson<FeedbackRequest>,
) -> Result<(axum::http::StatusCode, Json<api_types::Feedback>), ApiError> {
    let project = authorize(&ctx, q.project.as_deref(), Action::GiveFeedback)?;
    if !matches!(body.rating.as_str(), "down" | "up") {
        return Err(ApiError::InvalidParameter(format!(
            "rating must be \"down\" or \"up\", got {:?}",
            body.rating
        )));
    }
    let comment = optional_text(body.comment, MAX_COMMENT_CHARS, "comment")?;
    let feedback = state
        .store()
        .add_feedback(
            project.id,
            &replay_id(&id)?,
            ctx.user.id,
            &body.rating,
            comment,
            state.now_ms(),
        )
        .await?
        .ok_or(ApiError::NotFound("replay"))?;
    Ok((
        axum::http::StatusCode::CREATED,
        Json(feedback_json(&feedback)),
    ))
}

/// Verdicts on the project's replays, newest first (admins only).
#[utoipa::path(
    get, path = "/feedback", tag = "replays",
    params(ProjectQuery),
    responses(
        (status = 200, body = FeedbackList), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
    )
)]
pub async fn list_feedback(
    State(state): State<AppState>,
    CurrentUser(ctx, _): CurrentUser,
    Query(q): Query<ProjectQuery>,
) -> Result<Json<FeedbackList>, ApiError> {
    let project = authorize(&ctx, q.project.as_deref(), Action::ViewFeedback)?;
    let all = state.store().feedback(project.id, 500).await?;
    Ok(Json(FeedbackList {
        feedback: all.iter().map(feedback_json).collect(),
    }))
}

fn feedback_json(f: &reel_engine::store::Feedback) -> api_types::Feedback {
    api_types::Feedback {
        id: f.id,
        replay_id: f.replay_id.to_string(),
        user: api_types::UserInfo {
            id: f.user.id,
            email: f.user.email.clone(),
        },
        rating: f.rating.clone(),
        comment: f.comment.clone(),
        created_at: rfc3339(f.created_ms),
    }
}

/// Most events the activity list returns.
const MAX_ACTIVITY: usize = 10_000;

/// What happened in the session, from the event store: events the SDK sent and events reel
/// derived from the recording (with a readable name), in time order.
#[utoipa::path(
    get, path = "/replays/{id}/activity", tag = "replays",
    params(ReplayIdPath, ProjectQuery),
    responses(
        (status = 200, body = Activity), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
    )
)]
pub async fn activity(
    State(state): State<AppState>,
    CurrentUser(ctx, _): CurrentUser,
    Path(ReplayIdPath(id)): Path<ReplayIdPath>,
    Query(q): Query<ProjectQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (project, replay) = find_replay(&state, &ctx, q.project.as_deref(), &id).await?;
    let session = reel_engine::store::SessionRef {
        project_id: project.id,
        device_id: replay.device_id.clone(),
        session_id: replay.session_id,
    };
    let events = state
        .store()
        .session_events(&session, MAX_ACTIVITY + 1)
        .await?;
    let truncated = events.len() > MAX_ACTIVITY;
    Ok(compressed_json(
        &headers,
        &Activity {
            events: events
                .iter()
                .take(MAX_ACTIVITY)
                .map(|e| ActivityEvent {
                    event_type: e.event_type.clone(),
                    display_name: e
                        .display_name
                        .clone()
                        .unwrap_or_else(|| e.event_type.clone()),
                    time: rfc3339(e.time_ms),
                    time_ms: e.time_ms,
                    offset_ms: e.time_ms.saturating_sub(replay.start_ms),
                    derived: e.derived,
                    user_id: e.user_id.clone(),
                    event_properties: serde_json::from_str(&e.event_properties)
                        .unwrap_or(serde_json::Value::Null),
                })
                .collect(),
            truncated,
        },
    )
    .await)
}

/// What the whole recording holds for the player's panels and timeline, read in one streamed
/// pass (memory holds the pieces being merged, never the session): console records, network
/// requests, custom events, page loads, and the stretches without user activity. Each list is
/// capped; `truncated` says which were cut.
#[utoipa::path(
    get, path = "/replays/{id}/timeline", tag = "replays",
    params(ReplayIdPath, ProjectQuery),
    responses(
        (status = 200, description = "Compressed per Accept-Encoding", body = Timeline),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
    )
)]
pub async fn timeline(
    State(state): State<AppState>,
    CurrentUser(ctx, _): CurrentUser,
    Path(ReplayIdPath(id)): Path<ReplayIdPath>,
    Query(q): Query<ProjectQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (project, replay) = find_replay(&state, &ctx, q.project.as_deref(), &id).await?;
    let chunks = state.store().replay_chunks(project.id, &replay.id).await?;
    let timeline = state
        .engine
        .timeline(chunks, replay.start_ms, replay.end_ms)
        .await?;
    Ok(compressed_json(&headers, &timeline).await)
}

fn piece_json(c: &StoredChunk) -> ManifestPiece {
    ManifestPiece {
        kind: match c.format {
            reel_engine::store::ChunkFormat::Chunk => PieceKind::Chunk,
            reel_engine::store::ChunkFormat::Segment => PieceKind::Segment,
        },
        start_ms: c.start_ms,
        end_ms: c.end_ms,
        start_time: rfc3339(c.start_ms),
        keyframe_ms: c.keyframe_ms,
        event_count: c.event_count,
        raw_bytes: c.raw_bytes,
        stored_bytes: c.stored_bytes,
    }
}

/// A JSON answer compressed as the client accepts (the lists of a long session run to
/// hundreds of kilobytes; a player reads them with every replay it opens), off the async
/// threads.
async fn compressed_json(headers: &HeaderMap, value: &impl serde::Serialize) -> Response {
    let plain = serde_json::to_vec(value).unwrap_or_default();
    let (body, encoding) = compress_answer(plain, negotiate(headers)).await;
    let mut response = ([(CONTENT_TYPE, "application/json")], body).into_response();
    let h = response.headers_mut();
    h.insert(VARY, HeaderValue::from_static("Accept-Encoding"));
    if let Some(name) = encoding.header() {
        h.insert(CONTENT_ENCODING, HeaderValue::from_static(name));
    }
    response
}

/// The compression the client accepts, from its `Accept-Encoding`.
fn negotiate(headers: &HeaderMap) -> Encoding {
    Encoding::negotiate(
        headers
            .get_all(ACCEPT_ENCODING)
            .iter()
            .filter_map(|v| v.to_str().ok()),
    )
}
