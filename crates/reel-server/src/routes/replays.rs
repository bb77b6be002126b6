//! Reading a replay: its manifest (what is stored, where playing can start) and its events —
//! all of them, or a window that starts at the nearest keyframe so it plays on its own.
//!
//! Events are streamed as one JSON array in time order, compressed as the client accepts
//! (zstd or gzip). The server holds only the stored pieces whose time spans overlap, never the
//! session.

use std::collections::VecDeque;
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
use serde_json::Value;

use super::api::{ProjectQuery, find_replay, pick_project, replay_json, rfc3339};
use super::extract::ApiJson;
use crate::AppState;
use crate::api_types::{
    self, Activity, ActivityEvent, ConsoleRecord, CustomEvent, ErrorBody, FeedbackList,
    FeedbackRequest, Gap, Manifest, ManifestPiece, NetworkRequest, PageLoad, PieceKind,
    RecordedEvent, Stretch, Timeline, TimelineTruncated,
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
    /// `1`: take `from` as is — the answer starts with the first event at or after it, not at a
    /// keyframe. For continuing a window the client already holds.
    exact: Option<String>,
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
    let exact = match q.exact.as_deref() {
        None | Some("" | "0" | "false") => false,
        Some("1" | "true") => true,
        Some(other) => {
            return Err(ApiError::InvalidParameter(format!(
                "exact must be 1 or 0, got {other:?}"
            )));
        }
    };
    let start = match from {
        Some(from) if exact => from,
        Some(from) => keyframe_at_or_before(&chunks, from),
        None => i64::MIN,
    };
    let encoding = Encoding::negotiate(&headers);
    let mut reader = EventReader::new(state.clone(), chunks, start, to);
    // A stored piece records only its first keyframe; a compacted segment holds several. Read
    // up to `from` (one piece is in memory anyway) and start at the latest Meta + FullSnapshot
    // at or before it, so the window is no longer than it has to be.
    let (prefix, start) = match from {
        Some(from) if !exact => {
            let prefix = from_latest_keyframe(&mut reader, from)
                .await
                .map_err(|e| ApiError::Internal(e.to_string()))?;
            let start = prefix
                .front()
                .map_or(start, |e| e.timestamp.min(from).max(start));
            (prefix, start)
        }
        _ => (VecDeque::new(), start),
    };
    let stream = futures::stream::unfold(
        Some(JsonArray::new(reader, prefix, encoding)),
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

/// Reads `reader` (which starts at a keyframe) until the first event after `from` and returns
/// what a window showing `from` needs: everything from the latest Meta directly followed by a
/// FullSnapshot at or before `from` (or from the start when there is none), plus that first
/// event after `from`. Holds at most the events between two keyframes.
async fn from_latest_keyframe(
    reader: &mut EventReader,
    from: i64,
) -> Result<VecDeque<reel_rrweb::Event>, crate::recording::ReadError> {
    use reel_rrweb::EventKind as K;
    let mut held: VecDeque<reel_rrweb::Event> = VecDeque::new();
    while let Some(event) = reader.next().await? {
        let starts_keyframe = event.kind == K::FullSnapshot
            && held
                .back()
                .is_some_and(|last| last.kind == K::Meta && last.timestamp <= from);
        if starts_keyframe {
            let meta = held.pop_back().expect("checked");
            held.clear();
            held.push_back(meta);
            held.push_back(event);
            continue;
        }
        let past = event.timestamp > from;
        held.push_back(event);
        if past {
            break;
        }
    }
    Ok(held)
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
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (project, replay) = find_replay(&state, &ctx.projects, q.project.as_deref(), &id).await?;
    let chunks = state.meta.replay_chunks(project.id, &id).await?;
    let mut keyframes: Vec<i64> = chunks.iter().filter_map(|c| c.keyframe_ms).collect();
    keyframes.sort_unstable();
    keyframes.dedup();
    let gaps = state.meta.session_gaps(project.id, &id).await?;
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
    ))
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
    ApiJson(body): ApiJson<FeedbackRequest>,
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
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (project, replay) = find_replay(&state, &ctx.projects, q.project.as_deref(), &id).await?;
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
    ))
}

/// What the whole recording holds for the player's panels and timeline, read in one streamed
/// pass (memory holds the pieces being merged, never the session): console records, network
/// requests, custom events, page loads, and the stretches without user activity. Each list is
/// capped; `truncated` says which were cut.
#[utoipa::path(
    get, path = "/replays/{id}/timeline", tag = "replays",
    params(
        ("id" = String, Path, description = "The replay id from the list (URL-safe)."),
        ("project" = Option<i64>, Query, description = "Project id; default: the first project of your organization."),
    ),
    responses(
        (status = 200, description = "Compressed per Accept-Encoding", body = Timeline),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
    )
)]
pub async fn timeline(
    State(state): State<AppState>,
    CurrentUser(ctx, _): CurrentUser,
    Path(id): Path<String>,
    Query(q): Query<ProjectQuery>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let (project, replay) = find_replay(&state, &ctx.projects, q.project.as_deref(), &id).await?;
    let chunks = state.meta.replay_chunks(project.id, &id).await?;
    let mut reader = EventReader::all(state.clone(), chunks);
    let mut timeline = TimelineBuilder::new(replay.start_ms);
    let mut since_yield = 0usize;
    while let Some(event) = reader
        .next()
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?
    {
        timeline.push(&event);
        since_yield += 1;
        if since_yield >= 2_000 {
            since_yield = 0;
            tokio::task::yield_now().await;
        }
    }
    Ok(compressed_json(&headers, &timeline.finish(replay.end_ms)))
}

/// Most items of each list the timeline returns.
const MAX_TIMELINE_ITEMS: usize = 5_000;
/// Longest console message, custom payload or request URL kept (characters).
const MAX_TIMELINE_TEXT: usize = 2_000;
/// Most stack frames kept per console record.
const MAX_TRACE_FRAMES: usize = 30;
/// No user activity for longer than this is an inactive stretch (rrweb's skip-inactive default).
pub const INACTIVE_MS: i64 = 10_000;

/// Builds the timeline answer from events in time order.
pub struct TimelineBuilder {
    start_ms: i64,
    console: Vec<ConsoleRecord>,
    network: Vec<NetworkRequest>,
    custom: Vec<CustomEvent>,
    pages: Vec<PageLoad>,
    inactive: Vec<Stretch>,
    truncated: TimelineTruncated,
    last_href: Option<String>,
    last_active: Option<i64>,
    first_ts: Option<i64>,
}

/// Only `data.source` of an incremental snapshot (the rest is skipped, not built).
#[derive(Deserialize)]
struct SourceOnly {
    data: Option<SourceField>,
}
#[derive(Deserialize)]
struct SourceField {
    source: Option<i64>,
}

impl TimelineBuilder {
    pub fn new(start_ms: i64) -> Self {
        Self {
            start_ms,
            console: Vec::new(),
            network: Vec::new(),
            custom: Vec::new(),
            pages: Vec::new(),
            inactive: Vec::new(),
            truncated: TimelineTruncated::default(),
            last_href: None,
            last_active: None,
            first_ts: None,
        }
    }

    pub fn push(&mut self, event: &reel_rrweb::Event) {
        use reel_rrweb::EventKind as K;
        let ts = event.timestamp;
        self.first_ts.get_or_insert(ts);
        match event.kind {
            K::Meta => {
                let href = event.href.clone().unwrap_or_default();
                // A periodic checkout of the same page is not a page load anyone did.
                if self.last_href.as_deref() != Some(href.as_str()) {
                    self.active(ts);
                    let entry = PageLoad {
                        time_ms: ts,
                        offset_ms: ts - self.start_ms,
                        href: truncate(&href),
                    };
                    push_capped(&mut self.pages, &mut self.truncated.pages, entry);
                    self.last_href = Some(href);
                }
            }
            K::IncrementalSnapshot => {
                let source = serde_json::from_str::<SourceOnly>(event.json())
                    .ok()
                    .and_then(|s| s.data?.source);
                match source {
                    // Mouse moves, interactions, scrolls, viewport resizes, inputs, touch moves,
                    // media interactions, drags: what the session facts count as activity.
                    Some(1..=7 | 12) => self.active(ts),
                    // Console records of rrweb before 1.0.
                    Some(11) => {
                        if let Some(data) = data_of(event) {
                            self.console_record(ts, &data);
                        }
                    }
                    _ => {}
                }
            }
            K::Plugin => {
                let Some(data) = data_of(event) else { return };
                let payload = data.get("payload").unwrap_or(&Value::Null);
                match data.get("plugin").and_then(Value::as_str) {
                    Some("rrweb/console@1") => self.console_record(ts, payload),
                    Some("rrweb/network@1") => {
                        let requests = payload.get("requests").and_then(Value::as_array);
                        for request in requests.into_iter().flatten() {
                            let entry = network_entry(ts, ts - self.start_ms, request);
                            push_capped(&mut self.network, &mut self.truncated.network, entry);
                        }
                    }
                    _ => {}
                }
            }
            K::Custom => {
                let Some(data) = data_of(event) else { return };
                let entry = CustomEvent {
                    time_ms: ts,
                    offset_ms: ts - self.start_ms,
                    tag: truncate(&data.get("tag").map(text_of).unwrap_or_default()),
                    payload: data.get("payload").map(|p| truncate(&p.to_string())),
                };
                push_capped(&mut self.custom, &mut self.truncated.custom, entry);
            }
            _ => {}
        }
    }

    fn active(&mut self, ts: i64) {
        let since = self.last_active.or(self.first_ts).unwrap_or(ts);
        if ts - since > INACTIVE_MS {
            self.inactive_stretch(since, ts);
        }
        self.last_active = Some(self.last_active.map_or(ts, |t| t.max(ts)));
    }

    fn inactive_stretch(&mut self, start_ms: i64, end_ms: i64) {
        let entry = Stretch { start_ms, end_ms };
        push_capped(&mut self.inactive, &mut self.truncated.inactive, entry);
    }

    fn console_record(&mut self, ts: i64, record: &Value) {
        let level = record.get("level").and_then(Value::as_str).unwrap_or("log");
        let message = record
            .get("payload")
            .and_then(Value::as_array)
            .map(|items| {
                items
                    .iter()
                    .take(64)
                    .map(console_arg)
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .unwrap_or_default();
        let trace: Vec<String> = record
            .get("trace")
            .and_then(Value::as_array)
            .map(|frames| {
                frames
                    .iter()
                    .take(MAX_TRACE_FRAMES)
                    .map(|f| truncate(&text_of(f)))
                    .collect()
            })
            .unwrap_or_default();
        let entry = ConsoleRecord {
            time_ms: ts,
            offset_ms: ts - self.start_ms,
            level: truncate(level),
            message: truncate(&message),
            trace,
        };
        push_capped(&mut self.console, &mut self.truncated.console, entry);
    }

    pub fn finish(mut self, end_ms: i64) -> Timeline {
        let since = self.last_active.or(self.first_ts);
        if let Some(since) = since
            && end_ms - since > INACTIVE_MS
        {
            self.inactive_stretch(since, end_ms);
        }
        Timeline {
            start_ms: self.start_ms,
            end_ms,
            inactive_threshold_ms: INACTIVE_MS,
            console: self.console,
            network: self.network,
            custom: self.custom,
            pages: self.pages,
            inactive: self.inactive,
            truncated: self.truncated,
        }
    }
}

fn data_of(event: &reel_rrweb::Event) -> Option<Value> {
    let mut value: Value = serde_json::from_str(event.json()).ok()?;
    Some(value.get_mut("data")?.take())
}

fn push_capped<T>(list: &mut Vec<T>, truncated: &mut bool, entry: T) {
    if list.len() < MAX_TIMELINE_ITEMS {
        list.push(entry);
    } else {
        *truncated = true;
    }
}

/// A console argument: rrweb's console plugin records each as a JSON-stringified value, so a
/// logged string arrives with its quotes; shown without them.
fn console_arg(item: &Value) -> String {
    match item {
        Value::String(s) => match serde_json::from_str::<Value>(s) {
            Ok(Value::String(inner)) => inner,
            _ => s.clone(),
        },
        other => other.to_string(),
    }
}

fn text_of(value: &Value) -> String {
    match value {
        Value::String(s) => s.clone(),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn truncate(text: &str) -> String {
    match text.char_indices().nth(MAX_TIMELINE_TEXT) {
        Some((at, _)) => format!("{}…", &text[..at]),
        None => text.to_owned(),
    }
}

fn network_entry(ts: i64, offset_ms: i64, request: &Value) -> NetworkRequest {
    let number = |key: &str| request.get(key).and_then(Value::as_f64);
    let status = number("status").or_else(|| number("responseStatus"));
    let error = request.get("error").map(|e| truncate(&text_of(e)));
    NetworkRequest {
        time_ms: ts,
        offset_ms,
        method: request
            .get("method")
            .map(text_of)
            .filter(|m| !m.is_empty())
            .unwrap_or_else(|| "GET".into())
            .to_uppercase(),
        url: truncate(
            &request
                .get("name")
                .or_else(|| request.get("url"))
                .map(text_of)
                .unwrap_or_default(),
        ),
        status,
        duration_ms: number("duration"),
        initiator_type: request.get("initiatorType").map(text_of),
        failed: error.is_some() || status.is_none_or(|s| s == 0.0 || s >= 400.0),
        error,
    }
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

/// Below this, a JSON answer is sent as it is.
const COMPRESS_FROM_BYTES: usize = 1024;

/// A JSON answer compressed as the client accepts (the lists of a long session run to
/// hundreds of kilobytes; a player reads them with every replay it opens).
fn compressed_json(headers: &HeaderMap, value: &impl serde::Serialize) -> Response {
    let plain = serde_json::to_vec(value).unwrap_or_default();
    let encoding = if plain.len() < COMPRESS_FROM_BYTES {
        Encoding::Identity
    } else {
        Encoding::negotiate(headers)
    };
    let mut compressor = Compressor::new(encoding);
    let body = compressor
        .piece(plain)
        .and_then(|mut out| {
            out.extend(compressor.finish()?);
            Ok(out)
        })
        .unwrap_or_default();
    let mut response = ([(CONTENT_TYPE, "application/json")], body).into_response();
    let h = response.headers_mut();
    h.insert(VARY, HeaderValue::from_static("Accept-Encoding"));
    if let Some(name) = encoding.header() {
        h.insert(CONTENT_ENCODING, HeaderValue::from_static(name));
    }
    response
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

/// Writes events already read (`prefix`), then a reader's, as one JSON array, in pieces.
struct JsonArray {
    reader: EventReader,
    prefix: VecDeque<reel_rrweb::Event>,
    compressor: Option<Compressor>,
    started: bool,
}

impl JsonArray {
    fn new(reader: EventReader, prefix: VecDeque<reel_rrweb::Event>, encoding: Encoding) -> Self {
        Self {
            reader,
            prefix,
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
            let next = match self.prefix.pop_front() {
                Some(event) => Some(event),
                None => self.reader.next().await.map_err(|e| e.to_string())?,
            };
            match next {
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
    use serde_json::json;

    fn ev(text: &str) -> reel_rrweb::Event {
        reel_rrweb::Event::parse(text).unwrap()
    }

    #[test]
    fn timeline_lists_console_network_pages_and_inactive_stretches() {
        let t = 1_000_000;
        let events = [
            format!(
                r#"{{"type":4,"data":{{"href":"https://x.test/a","width":800,"height":600}},"timestamp":{t}}}"#
            ),
            format!(
                r#"{{"type":2,"data":{{"node":{{}}}},"timestamp":{}}}"#,
                t + 1
            ),
            format!(
                r#"{{"type":3,"data":{{"source":1,"positions":[]}},"timestamp":{}}}"#,
                t + 2_000
            ),
            format!(
                r#"{{"type":6,"data":{{"plugin":"rrweb/console@1","payload":{{"level":"warn","trace":["a.js:1:2"],"payload":["\"careful\"","42"]}}}},"timestamp":{}}}"#,
                t + 3_000
            ),
            // Mutations are not activity.
            format!(
                r#"{{"type":3,"data":{{"source":0,"adds":[]}},"timestamp":{}}}"#,
                t + 20_000
            ),
            format!(
                r#"{{"type":6,"data":{{"plugin":"rrweb/network@1","payload":{{"requests":[{{"name":"https://x.test/api?k=1","method":"post","status":503,"duration":12.5}},{{"name":"https://x.test/ok","status":200}}]}}}},"timestamp":{}}}"#,
                t + 25_000
            ),
            // A checkout of the same page is not a page load; a new page is.
            format!(
                r#"{{"type":4,"data":{{"href":"https://x.test/a"}},"timestamp":{}}}"#,
                t + 26_000
            ),
            format!(
                r#"{{"type":4,"data":{{"href":"https://x.test/b"}},"timestamp":{}}}"#,
                t + 40_000
            ),
            format!(
                r#"{{"type":5,"data":{{"tag":"checkout","payload":{{"step":2}}}},"timestamp":{}}}"#,
                t + 41_000
            ),
            format!(
                r#"{{"type":3,"data":{{"source":2,"type":2,"id":5}},"timestamp":{}}}"#,
                t + 45_000
            ),
        ];
        let mut timeline = TimelineBuilder::new(t);
        for e in &events {
            timeline.push(&ev(e));
        }
        // The answer's JSON, as clients see it.
        let out = serde_json::to_value(timeline.finish(t + 70_000)).unwrap();
        assert_eq!(
            out["console"],
            json!([{"time_ms": t + 3_000, "offset_ms": 3_000, "level": "warn", "message": "careful 42", "trace": ["a.js:1:2"]}])
        );
        let network = out["network"].as_array().unwrap();
        assert_eq!(network.len(), 2);
        assert_eq!(network[0]["method"], "POST");
        assert_eq!(network[0]["status"], 503.0);
        assert_eq!(network[0]["failed"], true);
        assert_eq!(network[1]["failed"], false);
        assert_eq!(network[1]["method"], "GET");
        assert_eq!(
            out["pages"],
            json!([
                {"time_ms": t, "offset_ms": 0, "href": "https://x.test/a"},
                {"time_ms": t + 40_000, "offset_ms": 40_000, "href": "https://x.test/b"},
            ])
        );
        assert_eq!(out["custom"][0]["tag"], "checkout");
        assert_eq!(out["custom"][0]["payload"], r#"{"step":2}"#);
        assert_eq!(
            out["inactive"],
            json!([
                {"start_ms": t + 2_000, "end_ms": t + 40_000},
                {"start_ms": t + 45_000, "end_ms": t + 70_000},
            ])
        );
    }

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
