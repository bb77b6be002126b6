//! Reading a replay: its manifest (what is stored, where playing can start) and its events —
//! all of them, or a window that starts at the nearest keyframe so it plays on its own.
//!
//! Events are streamed as one JSON array in time order, compressed as the client accepts
//! (zstd or gzip). The server holds only the stored pieces whose time spans overlap, never the
//! session.

use std::io::Write as _;

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, Query, State};
use axum::http::header::{ACCEPT_ENCODING, CACHE_CONTROL, CONTENT_ENCODING, CONTENT_TYPE, VARY};
use axum::http::{HeaderMap, HeaderValue};
use axum::response::{IntoResponse, Response};
use bytes::Bytes;
use reel_store::StoredChunk;
use serde::Deserialize;

use super::api::{ProjectQuery, pick_project, replay_json, rfc3339};
use crate::AppState;
use crate::api_types::{
    self, Activity, ActivityEvent, ErrorBody, FeedbackList, FeedbackRequest, Gap, Manifest,
    ManifestPiece, PieceKind, RecordedEvent,
};
use crate::auth::CurrentUser;
use crate::error::ApiError;
use crate::recording::{EventReader, keyframe_at_or_before};

#[derive(Deserialize)]
pub struct EventsQuery {
    project: Option<String>,
    /// Epoch ms: the answer starts at the nearest keyframe at or before it.
    from: Option<String>,
    /// Epoch ms: the answer ends with the last event at or before it.
    to: Option<String>,
}

/// Bytes per streamed piece; small enough to start the player quickly.
const PIECE_BYTES: usize = 64 * 1024;

/// The replay's rrweb events in timestamp order (streamed), compressed with zstd or gzip when
/// accepted. With `from`, the answer starts at the nearest keyframe at or before it (header
/// `X-Reel-Window-Start`).
#[utoipa::path(
    get, path = "/replays/{id}/events", tag = "replays",
    params(
        ("id" = String, Path, description = "The replay id from the list (URL-safe)."),
        ("project" = Option<i64>, Query, description = "Project id; default: the first project of your organization."),
        ("from" = Option<i64>, Query, description = "Epoch ms: start at the nearest keyframe at or before it."),
        ("to" = Option<i64>, Query, description = "Epoch ms: end with the last event at or before it."),
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
    let project = pick_project(&ctx.projects, q.project.as_deref())?;
    let from = parse_ms(q.from.as_deref(), "from")?;
    let to = parse_ms(q.to.as_deref(), "to")?.unwrap_or(i64::MAX);
    if from.is_some_and(|f| f > to) {
        return Err(ApiError::InvalidParameter(
            "from must not be after to".into(),
        ));
    }
    let chunks = state.meta.replay_chunks(project.id, &id).await?;
    if chunks.is_empty() {
        return Err(ApiError::NotFound("replay"));
    }
    let start = match from {
        Some(from) => keyframe_at_or_before(&chunks, from),
        None => i64::MIN,
    };
    let encoding = Encoding::negotiate(&headers);
    let reader = EventReader::new(state.clone(), chunks, start, to);
    let stream = futures::stream::unfold(
        Some(JsonArray::new(reader, encoding)),
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
    if start != i64::MIN {
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
    params(
        ("id" = String, Path, description = "The replay id from the list (URL-safe)."),
        ("project" = Option<i64>, Query, description = "Project id; default: the first project of your organization."),
    ),
    responses(
        (status = 200, body = Manifest), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
    )
)]
pub async fn manifest(
    State(state): State<AppState>,
    CurrentUser(ctx, _): CurrentUser,
    Path(id): Path<String>,
    Query(q): Query<ProjectQuery>,
) -> Result<Json<Manifest>, ApiError> {
    let project = pick_project(&ctx.projects, q.project.as_deref())?;
    let replay = state
        .meta
        .replay(project.id, &id)
        .await?
        .ok_or(ApiError::NotFound("replay"))?;
    let chunks = state.meta.replay_chunks(project.id, &id).await?;
    let mut keyframes: Vec<i64> = chunks.iter().filter_map(|c| c.keyframe_ms).collect();
    keyframes.sort_unstable();
    keyframes.dedup();
    let gaps = state.meta.session_gaps(project.id, &id).await?;
    Ok(Json(Manifest {
        replay: replay_json(&replay),
        start_ms: replay.start_ms,
        end_ms: replay.end_ms,
        keyframes,
        pieces: chunks.iter().map(piece_json).collect(),
        gaps: gaps
            .iter()
            .map(|&(start_ms, end_ms)| Gap { start_ms, end_ms })
            .collect(),
    }))
}

/// Delete a replay's recording: its objects (after reads in progress finish), pieces no other
/// recording uses, what reel derived from it. The session's analytics events stay.
#[utoipa::path(
    delete, path = "/replays/{id}", tag = "replays",
    params(
        ("id" = String, Path, description = "The replay id from the list (URL-safe)."),
        ("project" = Option<i64>, Query, description = "Project id; default: the first project of your organization."),
    ),
    responses(
        (status = 204, description = "Deleted"), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
    )
)]
pub async fn delete(
    State(state): State<AppState>,
    CurrentUser(ctx, _): CurrentUser,
    Path(id): Path<String>,
    Query(q): Query<ProjectQuery>,
) -> Result<axum::http::StatusCode, ApiError> {
    let project = pick_project(&ctx.projects, q.project.as_deref())?;
    let after = crate::now_ms() + state.config.replaced_object_grace_seconds as i64 * 1000;
    if state.meta.delete_replay(project.id, &id, after).await? {
        Ok(axum::http::StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound("replay"))
    }
}

const MAX_COMMENT_CHARS: usize = 2_000;

/// A viewer's verdict on a replay: `{"rating": "down", "comment": "…"}`.
#[utoipa::path(
    post, path = "/replays/{id}/feedback", tag = "replays",
    params(
        ("id" = String, Path, description = "The replay id from the list (URL-safe)."),
        ("project" = Option<i64>, Query, description = "Project id; default: the first project of your organization."),
    ),
    request_body = FeedbackRequest,
    responses(
        (status = 201, body = api_types::Feedback), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody), (status = 415, body = ErrorBody),
    )
)]
pub async fn add_feedback(
    State(state): State<AppState>,
    CurrentUser(ctx, _): CurrentUser,
    Path(id): Path<String>,
    Query(q): Query<ProjectQuery>,
    Json(body): Json<FeedbackRequest>,
) -> Result<(axum::http::StatusCode, Json<api_types::Feedback>), ApiError> {
    let project = pick_project(&ctx.projects, q.project.as_deref())?;
    if !matches!(body.rating.as_str(), "down" | "up") {
        return Err(ApiError::InvalidParameter(format!(
            "rating must be \"down\" or \"up\", got {:?}",
            body.rating
        )));
    }
    let comment = body
        .comment
        .map(|c| c.trim().to_owned())
        .filter(|c| !c.is_empty());
    if comment
        .as_ref()
        .is_some_and(|c| c.chars().count() > MAX_COMMENT_CHARS)
    {
        return Err(ApiError::InvalidParameter(format!(
            "comment must be at most {MAX_COMMENT_CHARS} characters"
        )));
    }
    let feedback = state
        .meta
        .add_feedback(
            project.id,
            &id,
            ctx.user.id,
            &body.rating,
            comment,
            crate::now_ms(),
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
    params(("project" = Option<i64>, Query, description = "Project id; default: the first project of your organization.")),
    responses(
        (status = 200, body = FeedbackList), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
    )
)]
pub async fn list_feedback(
    State(state): State<AppState>,
    CurrentUser(ctx, _): CurrentUser,
    Query(q): Query<ProjectQuery>,
) -> Result<Json<FeedbackList>, ApiError> {
    if ctx.role != "admin" {
        return Err(ApiError::Forbidden("only admins see feedback"));
    }
    let project = pick_project(&ctx.projects, q.project.as_deref())?;
    let all = state.meta.feedback(project.id, 500).await?;
    Ok(Json(FeedbackList {
        feedback: all.iter().map(feedback_json).collect(),
    }))
}

fn feedback_json(f: &reel_store::Feedback) -> api_types::Feedback {
    api_types::Feedback {
        id: f.id,
        replay_id: f.replay_key.clone(),
        user: api_types::UserInfo {
            email: f.user_email.clone(),
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
    params(
        ("id" = String, Path, description = "The replay id from the list (URL-safe)."),
        ("project" = Option<i64>, Query, description = "Project id; default: the first project of your organization."),
    ),
    responses(
        (status = 200, body = Activity), (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
    )
)]
pub async fn activity(
    State(state): State<AppState>,
    CurrentUser(ctx, _): CurrentUser,
    Path(id): Path<String>,
    Query(q): Query<ProjectQuery>,
) -> Result<Json<Activity>, ApiError> {
    let project = pick_project(&ctx.projects, q.project.as_deref())?;
    let replay = state
        .meta
        .replay(project.id, &id)
        .await?
        .ok_or(ApiError::NotFound("replay"))?;
    let session = reel_store::SessionRef {
        project_id: project.id,
        device_id: replay.device_id.clone(),
        session_id: replay.session_id,
    };
    let events = state
        .meta
        .session_events(&session, MAX_ACTIVITY + 1)
        .await?;
    let truncated = events.len() > MAX_ACTIVITY;
    Ok(Json(Activity {
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
    }))
}

fn piece_json(c: &StoredChunk) -> ManifestPiece {
    ManifestPiece {
        kind: match c.format {
            reel_store::ChunkFormat::Chunk => PieceKind::Chunk,
            reel_store::ChunkFormat::Segment => PieceKind::Segment,
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

/// A response compression the client accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Encoding {
    Identity,
    Gzip,
    Zstd,
}

impl Encoding {
    /// zstd when accepted (cheaper and smaller), else gzip, else none. `q=0` refuses.
    fn negotiate(headers: &HeaderMap) -> Self {
        let accepted: Vec<String> = headers
            .get_all(ACCEPT_ENCODING)
            .iter()
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|part| {
                let mut it = part.split(';');
                let name = it.next()?.trim().to_ascii_lowercase();
                let refused = it.any(|p| {
                    p.trim()
                        .strip_prefix("q=")
                        .and_then(|q| q.trim().parse::<f32>().ok())
                        .is_some_and(|q| q <= 0.0)
                });
                (!refused).then_some(name)
            })
            .collect();
        if accepted.iter().any(|e| e == "zstd") {
            Self::Zstd
        } else if accepted.iter().any(|e| e == "gzip") {
            Self::Gzip
        } else {
            Self::Identity
        }
    }

    fn header(self) -> Option<&'static str> {
        match self {
            Self::Identity => None,
            Self::Gzip => Some("gzip"),
            Self::Zstd => Some("zstd"),
        }
    }
}

/// A streaming compressor whose output is taken after each piece.
enum Compressor {
    Identity,
    Gzip(flate2::write::GzEncoder<Vec<u8>>),
    Zstd(zstd::stream::write::Encoder<'static, Vec<u8>>),
}

impl Compressor {
    fn new(encoding: Encoding) -> Self {
        match encoding {
            Encoding::Identity => Self::Identity,
            Encoding::Gzip => Self::Gzip(flate2::write::GzEncoder::new(
                Vec::new(),
                flate2::Compression::new(6),
            )),
            Encoding::Zstd => Self::Zstd(
                zstd::stream::write::Encoder::new(Vec::new(), 3).expect("zstd level 3 is valid"),
            ),
        }
    }

    /// Compresses `plain` and returns what can be sent now (flushed, so the client can start).
    fn piece(&mut self, plain: Vec<u8>) -> std::io::Result<Vec<u8>> {
        match self {
            Self::Identity => Ok(plain),
            Self::Gzip(e) => {
                e.write_all(&plain)?;
                e.flush()?;
                Ok(std::mem::take(e.get_mut()))
            }
            Self::Zstd(e) => {
                e.write_all(&plain)?;
                e.flush()?;
                Ok(std::mem::take(e.get_mut()))
            }
        }
    }

    fn finish(self) -> std::io::Result<Vec<u8>> {
        match self {
            Self::Identity => Ok(Vec::new()),
            Self::Gzip(e) => e.finish(),
            Self::Zstd(e) => e.finish(),
        }
    }
}

/// Writes a reader's events as one JSON array, in pieces.
struct JsonArray {
    reader: EventReader,
    compressor: Option<Compressor>,
    started: bool,
}

impl JsonArray {
    fn new(reader: EventReader, encoding: Encoding) -> Self {
        Self {
            reader,
            compressor: Some(Compressor::new(encoding)),
            started: false,
        }
    }

    async fn next_piece(&mut self) -> Result<Option<Bytes>, String> {
        let Some(compressor) = self.compressor.as_mut() else {
            return Ok(None);
        };
        let mut out = Vec::with_capacity(PIECE_BYTES);
        if !self.started {
            out.push(b'[');
        }
        let mut done = false;
        while out.len() < PIECE_BYTES {
            match self.reader.next().await.map_err(|e| e.to_string())? {
                Some(event) => {
                    if self.started {
                        out.push(b',');
                    }
                    self.started = true;
                    out.extend_from_slice(event.json().as_bytes());
                }
                None => {
                    if !self.started {
                        self.started = true;
                    }
                    out.push(b']');
                    done = true;
                    break;
                }
            }
        }
        let mut bytes = compressor.piece(out).map_err(|e| e.to_string())?;
        if done {
            let compressor = self.compressor.take().expect("present");
            bytes.extend(compressor.finish().map_err(|e| e.to_string())?);
        }
        Ok(Some(Bytes::from(bytes)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn encoding_negotiation() {
        let cases = [
            ("", Encoding::Identity),
            ("gzip", Encoding::Gzip),
            ("gzip, deflate, br, zstd", Encoding::Zstd),
            ("zstd;q=0, gzip", Encoding::Gzip),
            ("GZIP;q=0.5", Encoding::Gzip),
            ("gzip;q=0", Encoding::Identity),
            ("br", Encoding::Identity),
        ];
        for (header, want) in cases {
            let mut headers = HeaderMap::new();
            if !header.is_empty() {
                headers.insert(ACCEPT_ENCODING, header.parse().unwrap());
            }
            assert_eq!(Encoding::negotiate(&headers), want, "{header}");
        }
    }
}
