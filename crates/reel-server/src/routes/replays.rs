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
use serde_json::Value;

use super::api::{ProjectQuery, find_replay, pick_project, replay_id, replay_json, rfc3339};
use super::extract::ApiJson;
use crate::AppState;
use crate::api_types::{
    self, Activity, ActivityEvent, ConsoleRecord, CustomEvent, ErrorBody, FeedbackList,
    FeedbackRequest, Gap, Manifest, ManifestPiece, NetworkRequest, PageLoad, PieceKind,
    RecordedEvent, Stretch, Timeline, TimelineTruncated,
};
use crate::auth::CurrentUser;
use crate::error::ApiError;

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
    let chunks = state.store().replay_chunks(project.id, &replay.id).await?;
    let mut reader = state.engine.reader(chunks, i64::MIN, i64::MAX);
    let mut timeline = TimelineBuilder::new(replay.start_ms);
    let mut since_yield = 0usize;
    while let Some(event) = reader.next().await? {
        timeline.push(&event);
        since_yield += 1;
        if since_yield >= 2_000 {
            since_yield = 0;
            tokio::task::yield_now().await;
        }
    }
    Ok(compressed_json(&headers, &timeline.finish(replay.end_ms)).await)
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
