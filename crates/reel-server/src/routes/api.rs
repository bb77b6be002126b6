//! The query API under `/api/v1`: login, the replay list, one replay, its events.
//! Described by `openapi.json` in this folder, served at `/api/v1/openapi.json`.

use std::net::SocketAddr;

use axum::Json;
use axum::Router;
use axum::body::Body;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::header::{CONTENT_TYPE, SET_COOKIE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use bytes::Bytes;
use chrono::{DateTime, NaiveDate, SecondsFormat, Utc};
use reel_store::{NewToken, Project, Replay, TimeRange, TokenInfo, TokenOrigin};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::AppState;
use crate::auth::{self, CurrentUser, SESSION_COOKIE};
use crate::body::BodyError;
use crate::client;
use crate::definitions::SignalDefinitions;
use crate::error::ApiError;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/login", post(login))
        .route("/logout", post(logout))
        .route("/me", get(me))
        .route("/tokens", get(list_tokens).post(create_token))
        .route("/tokens/{id}", axum::routing::delete(revoke_token))
        .route("/replays", get(list_replays))
        .route(
            "/replays/{id}",
            get(get_replay).delete(super::replays::delete),
        )
        .route("/replays/{id}/events", get(super::replays::events))
        .route("/replays/{id}/manifest", get(super::replays::manifest))
        .route("/replays/{id}/activity", get(super::replays::activity))
        .route("/replays/{id}/timeline", get(super::replays::timeline))
        .route("/replays/{id}/feedback", post(super::replays::add_feedback))
        .route("/feedback", get(super::replays::list_feedback))
        .route("/projects/{id}", axum::routing::patch(update_project))
        .route("/openapi.json", get(openapi))
        .fallback(|| async { ApiError::NotFound("endpoint") })
        .layer(axum::middleware::from_fn(refuse_cross_site_writes))
}

/// Every state-changing API call must be something a cross-site HTML form cannot send: a JSON
/// body (forms can only send urlencoded, multipart or text/plain without a preflight; DELETE
/// they cannot send at all), and no `Origin` of another site. Tools that send no `Origin` are
/// not browsers and pass.
async fn refuse_cross_site_writes(
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let method = request.method().clone();
    if method == axum::http::Method::GET
        || method == axum::http::Method::HEAD
        || method == axum::http::Method::OPTIONS
    {
        return next.run(request).await;
    }
    let headers = request.headers();
    if method != axum::http::Method::DELETE && !is_json(headers) {
        return ApiError::UnsupportedMediaType.into_response();
    }
    if !same_origin(headers) {
        return ApiError::Forbidden("cross-site requests are not accepted").into_response();
    }
    next.run(request).await
}

fn is_json(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .is_some_and(|v| v.trim().eq_ignore_ascii_case("application/json"))
}

/// True unless the browser says the request comes from another origin: `Sec-Fetch-Site` other
/// than `same-origin`/`none`, or an `Origin` whose host and port are not this request's `Host`.
fn same_origin(headers: &HeaderMap) -> bool {
    if let Some(site) = headers.get("sec-fetch-site").and_then(|v| v.to_str().ok())
        && !matches!(site, "same-origin" | "none")
    {
        return false;
    }
    let Some(origin) = headers.get(axum::http::header::ORIGIN) else {
        return true;
    };
    let host = headers
        .get(axum::http::header::HOST)
        .and_then(|v| v.to_str().ok());
    let authority = origin
        .to_str()
        .ok()
        .and_then(|o| o.split_once("://"))
        .map(|(_, rest)| rest);
    matches!((authority, host), (Some(a), Some(h)) if a.eq_ignore_ascii_case(h))
}

/// The list never returns more than this, whatever `limit` asks.
const MAX_REPLAYS: usize = 100;
const DEFAULT_RANGE_DAYS: i64 = 30;

#[derive(Deserialize)]
struct LoginBody {
    email: String,
    password: String,
}

/// Login bodies are tiny; anything bigger is not a login.
const MAX_LOGIN_BODY: usize = 16 * 1024;

async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let body = read_json_body(&state, &headers, body, MAX_LOGIN_BODY).await?;
    let body: LoginBody = serde_json::from_slice(&body).map_err(|e| {
        ApiError::InvalidParameter(format!(
            "send JSON {{\"email\": ..., \"password\": ...}}: {e}"
        ))
    })?;
    let now = crate::now_ms();
    let address = client::address(&headers, peer, &state.config).to_string();
    let email = body.email.trim().to_lowercase();
    let guard = &state.login;
    if let Some(retry_after_seconds) = guard
        .by_address
        .blocked(&address, now)
        .or_else(|| guard.by_account.blocked(&email, now))
    {
        return Err(ApiError::TooManyRequests {
            retry_after_seconds,
        });
    }
    let account = state.meta.user_for_login(&email).await?;
    let (user, hash) = match account {
        Some((user, hash)) => (Some(user), Some(hash)),
        None => (None, None),
    };
    let ok = guard.verify(body.password, hash).await?;
    let Some(user) = user.filter(|_| ok) else {
        guard.by_address.fail(&address, now);
        guard.by_account.fail(&email, now);
        return Err(ApiError::InvalidCredentials);
    };
    guard.by_account.forget(&email);
    let token = auth::new_token();
    let ttl_ms = state.config.session_ttl_hours as i64 * 3_600_000;
    state
        .meta
        .put_token(
            NewToken {
                user_id: user.id,
                token_hash: auth::token_hash(&token),
                origin: TokenOrigin::Login,
                name: None,
                expires_ms: Some(now + ttl_ms),
            },
            now,
        )
        .await?;
    let secure = if client::is_https(&headers, peer, &state.config) {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{SESSION_COOKIE}={token}; HttpOnly; SameSite=Lax; Path=/; Max-Age={}{secure}",
        ttl_ms / 1000
    );
    let mut response = Json(json!({"user": {"email": user.email}})).into_response();
    response.headers_mut().insert(
        SET_COOKIE,
        HeaderValue::from_str(&cookie).expect("token is ascii"),
    );
    Ok(response)
}

/// Reads a small JSON body of a state-changing call (the content type was checked by
/// [`refuse_cross_site_writes`]) within the body deadline and the memory budget.
async fn read_json_body(
    state: &AppState,
    headers: &HeaderMap,
    body: Body,
    limit: usize,
) -> Result<Bytes, ApiError> {
    let timeout = std::time::Duration::from_secs(state.config.body_timeout_seconds);
    match crate::body::read(body, headers, limit, &state.budget, timeout).await {
        Ok(read) => Ok(read.bytes),
        Err(BodyError::TooLarge(limit)) => Err(ApiError::BodyTooLarge(limit)),
        Err(BodyError::Timeout) => Err(ApiError::BodyTimeout),
        Err(BodyError::Busy) => Err(ApiError::Busy),
        Err(BodyError::Broken(e)) => Err(ApiError::InvalidParameter(format!(
            "could not read the body: {e}"
        ))),
    }
}

async fn logout(State(state): State<AppState>, headers: HeaderMap) -> Result<Response, ApiError> {
    if let Some(token) = auth::session_cookie(&headers) {
        state.meta.delete_token(&auth::token_hash(&token)).await?;
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(
        SET_COOKIE,
        HeaderValue::from_static("reel_session=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0"),
    );
    Ok(response)
}

/// The caller's API tokens and browser sessions (never the secrets themselves).
async fn list_tokens(
    State(state): State<AppState>,
    CurrentUser(ctx, current): CurrentUser,
) -> Result<Json<Value>, ApiError> {
    let tokens = state.meta.tokens_of(ctx.user.id, crate::now_ms()).await?;
    Ok(Json(json!({
        "tokens": tokens.iter().map(|t| token_json(t, t.id == current.id)).collect::<Vec<_>>()
    })))
}

#[derive(Deserialize)]
struct NewTokenBody {
    name: Option<String>,
}

const MAX_TOKEN_NAME: usize = 200;

/// Creates an API token for the caller; the token is in this answer only.
async fn create_token(
    State(state): State<AppState>,
    CurrentUser(ctx, _): CurrentUser,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let body = read_json_body(&state, &headers, body, MAX_LOGIN_BODY).await?;
    let body: NewTokenBody = serde_json::from_slice(&body)
        .map_err(|e| ApiError::InvalidParameter(format!("send JSON {{\"name\": \"...\"}}: {e}")))?;
    let name = body
        .name
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty());
    if name
        .as_ref()
        .is_some_and(|n| n.chars().count() > MAX_TOKEN_NAME)
    {
        return Err(ApiError::InvalidParameter(format!(
            "name must be at most {MAX_TOKEN_NAME} characters"
        )));
    }
    let token = auth::new_token();
    let info = state
        .meta
        .put_token(
            NewToken {
                user_id: ctx.user.id,
                token_hash: auth::token_hash(&token),
                origin: TokenOrigin::Created,
                name,
                expires_ms: None,
            },
            crate::now_ms(),
        )
        .await?;
    let mut body = token_json(&info, false);
    body["token"] = json!(token);
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

async fn revoke_token(
    State(state): State<AppState>,
    CurrentUser(ctx, _): CurrentUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id: i64 = id.parse().map_err(|_| {
        ApiError::InvalidParameter(format!("token id must be a number, got {id:?}"))
    })?;
    if state.meta.revoke_token(ctx.user.id, id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound("token"))
    }
}

fn token_json(t: &TokenInfo, current: bool) -> Value {
    json!({
        "id": t.id,
        "kind": match t.origin {
            TokenOrigin::Login => "browser_session",
            TokenOrigin::Config => "configured",
            TokenOrigin::Created => "api",
        },
        "name": t.name,
        "created_at": rfc3339(t.created_ms),
        "last_used_at": t.last_used_ms.map(rfc3339),
        "expires_at": t.expires_ms.map(rfc3339),
        "current": current,
    })
}

async fn me(CurrentUser(ctx, _): CurrentUser) -> Json<Value> {
    Json(json!({
        "user": {"email": ctx.user.email},
        "organization": {"id": ctx.organization.id, "name": ctx.organization.name},
        "role": ctx.role,
        "projects": ctx.projects.iter().map(project_json).collect::<Vec<_>>(),
    }))
}

fn project_json(p: &Project) -> Value {
    json!({
        "id": p.id,
        "name": p.name,
        "api_key": p.api_key,
        "timezone": p.timezone,
        "signals": SignalDefinitions::from_stored(&p.signal_settings).effective(),
    })
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProjectUpdate {
    timezone: Option<String>,
    /// Signal definitions to change (see docs/signals.md); run `reel reprocess` to apply them
    /// to sessions already stored.
    signals: Option<SignalDefinitions>,
}

/// Changes a project's settings: `{"timezone": "Europe/Berlin"}` (an IANA name).
async fn update_project(
    State(state): State<AppState>,
    CurrentUser(ctx, _): CurrentUser,
    Path(id): Path<String>,
    body: Result<Json<ProjectUpdate>, axum::extract::rejection::JsonRejection>,
) -> Result<Json<Value>, ApiError> {
    if ctx.role != "admin" {
        return Err(ApiError::Forbidden("only admins change project settings"));
    }
    let Json(update) = body.map_err(|e| ApiError::InvalidParameter(e.body_text()))?;
    let mut project = pick_project(&ctx.projects, Some(&id))?.clone();
    if let Some(tz) = update.timezone {
        let tz = tz.trim();
        if tz.parse::<chrono_tz::Tz>().is_err() {
            return Err(ApiError::InvalidParameter(format!(
                "timezone must be an IANA timezone name like Europe/Berlin or UTC, got {tz:?}"
            )));
        }
        state.meta.set_project_timezone(project.id, tz).await?;
        project.timezone = tz.to_owned();
    }
    if let Some(signals) = update.signals {
        signals.validate().map_err(ApiError::InvalidParameter)?;
        let merged = SignalDefinitions::from_stored(&project.signal_settings).merged(&signals);
        let stored = serde_json::to_string(&merged).expect("serializable");
        state
            .meta
            .set_project_signal_settings(project.id, &stored)
            .await?;
        project.signal_settings = stored;
    }
    Ok(Json(project_json(&project)))
}

#[derive(Deserialize)]
struct ListQuery {
    start: Option<String>,
    end: Option<String>,
    limit: Option<String>,
    project: Option<String>,
}

async fn list_replays(
    State(state): State<AppState>,
    CurrentUser(ctx, _): CurrentUser,
    Query(q): Query<ListQuery>,
) -> Result<Json<Value>, ApiError> {
    let project = pick_project(&ctx.projects, q.project.as_deref())?;
    let now = crate::now_ms();
    let range = parse_range(q.start.as_deref(), q.end.as_deref(), now)?;
    let limit = match q.limit.as_deref().filter(|l| !l.is_empty()) {
        None => MAX_REPLAYS,
        Some(l) => l
            .parse::<usize>()
            .map_err(|_| {
                ApiError::InvalidParameter(format!("limit must be a positive integer, got {l:?}"))
            })?
            .clamp(1, MAX_REPLAYS),
    };
    let replays = state.meta.list_replays(project.id, range, limit).await?;
    Ok(Json(
        json!({"replays": replays.iter().map(replay_json).collect::<Vec<_>>()}),
    ))
}

#[derive(Deserialize)]
pub(super) struct ProjectQuery {
    pub(super) project: Option<String>,
}

async fn get_replay(
    State(state): State<AppState>,
    CurrentUser(ctx, _): CurrentUser,
    Path(id): Path<String>,
    Query(q): Query<ProjectQuery>,
) -> Result<Json<Value>, ApiError> {
    let project = pick_project(&ctx.projects, q.project.as_deref())?;
    let replay = state
        .meta
        .replay(project.id, &id)
        .await?
        .ok_or(ApiError::NotFound("replay"))?;
    Ok(Json(replay_json(&replay)))
}

async fn openapi() -> impl IntoResponse {
    (
        [(CONTENT_TYPE, "application/json")],
        include_str!("openapi.json"),
    )
}

pub(super) fn pick_project<'a>(
    projects: &'a [Project],
    wanted: Option<&str>,
) -> Result<&'a Project, ApiError> {
    match wanted.filter(|w| !w.is_empty()) {
        None => projects.first().ok_or(ApiError::NotFound("project")),
        Some(id) => {
            let id: i64 = id.parse().map_err(|_| {
                ApiError::InvalidParameter(format!("project must be a project id, got {id:?}"))
            })?;
            projects
                .iter()
                .find(|p| p.id == id)
                .ok_or(ApiError::NotFound("project"))
        }
    }
}

pub(super) fn replay_json(r: &Replay) -> Value {
    let mut replay = json!({
        "id": r.key,
        "session_id": r.session_id,
        "device_id": r.device_id,
        "user_id": r.user_id,
        "start_time": rfc3339(r.start_ms),
        "end_time": rfc3339(r.end_ms),
        "duration_ms": r.end_ms.saturating_sub(r.start_ms).max(0),
        "event_count": r.event_count,
        "size_bytes": r.stored_bytes,
        "first_url": r.first_url,
        "urls": r.urls,
        "country": r.country,
        "viewport": r.viewport.map(|(w, h)| json!({"width": w, "height": h})),
        "browser": r.browser,
        "os": r.os,
        "device": r.device,
        "last_upload_time": r.last_upload_ms.map(rfc3339),
        // Facts and derived events still to come from the processing stage (signals settle to
        // the end once the session has been idle for `compaction_idle_seconds`).
        "processing_pending": r.processing_due_ms.is_some_and(|due| due != i64::MAX),
    });
    for (column, value) in reel_store::FACT_COLUMNS.iter().zip(r.facts) {
        replay[*column] = json!(value);
    }
    replay
}

pub(super) fn rfc3339(ms: i64) -> String {
    DateTime::<Utc>::from_timestamp_millis(ms)
        .unwrap_or_default()
        .to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// `start`/`end` as RFC 3339 or `YYYY-MM-DD` (a date means its whole UTC day, so `end`
/// includes that day). Defaults: the last 30 days up to now.
fn parse_range(start: Option<&str>, end: Option<&str>, now_ms: i64) -> Result<TimeRange, ApiError> {
    let end_ms = match end.filter(|s| !s.is_empty()) {
        None => now_ms + 1,
        Some(s) => parse_instant(s, "end", true)?,
    };
    let start_ms = match start.filter(|s| !s.is_empty()) {
        None => end_ms - DEFAULT_RANGE_DAYS * 86_400_000,
        Some(s) => parse_instant(s, "start", false)?,
    };
    if start_ms >= end_ms {
        return Err(ApiError::InvalidParameter(
            "start must be before end".into(),
        ));
    }
    Ok(TimeRange { start_ms, end_ms })
}

fn parse_instant(s: &str, name: &str, end_of_day: bool) -> Result<i64, ApiError> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.timestamp_millis());
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        let day = if end_of_day {
            d.succ_opt().unwrap_or(d)
        } else {
            d
        };
        return Ok(day
            .and_hms_opt(0, 0, 0)
            .expect("midnight exists")
            .and_utc()
            .timestamp_millis());
    }
    Err(ApiError::InvalidParameter(format!(
        "{name} must be RFC 3339 (2026-01-31T12:00:00Z) or a date (2026-01-31), got {s:?}"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_767_225_600_000; // 2026-01-01T00:00:00Z

    #[test]
    fn range_cases() {
        let day = 86_400_000;
        let cases: Vec<(Option<&str>, Option<&str>, Result<(i64, i64), &str>)> = vec![
            (None, None, Ok((NOW + 1 - 30 * day, NOW + 1))),
            (Some("2026-01-01"), Some("2026-01-01"), Ok((NOW, NOW + day))),
            (
                Some("2026-01-01T00:00:00Z"),
                Some("2026-01-01T01:00:00+01:00"),
                Err("start must be before end"),
            ),
            (
                Some("2025-12-31T23:00:00Z"),
                Some("2026-01-01T00:00:00.5Z"),
                Ok((NOW - 3_600_000, NOW + 500)),
            ),
            (
                None,
                Some("2026-01-01"),
                Ok((NOW + day - 30 * day, NOW + day)),
            ),
            (Some("yesterday"), None, Err("start must be RFC 3339")),
            (None, Some("2026-13-01"), Err("end must be RFC 3339")),
            (Some(""), Some(""), Ok((NOW + 1 - 30 * day, NOW + 1))),
        ];
        for (start, end, want) in cases {
            let got = parse_range(start, end, NOW).map(|r| (r.start_ms, r.end_ms));
            match (got, want) {
                (Ok(g), Ok(w)) => assert_eq!(g, w, "{start:?} {end:?}"),
                (Err(e), Err(msg)) => {
                    assert!(e.to_string().contains(msg), "{start:?} {end:?}: {e}")
                }
                (g, w) => panic!("{start:?} {end:?}: got {g:?}, want {w:?}"),
            }
        }
    }
}
