//! The query API under `/api/v1`: login, tokens, projects, one replay. Searching replays is
//! `search.rs`; reading a replay's recording is `replays.rs`. The OpenAPI document served at
//! `/api/v1/openapi.json` is generated from the handlers' annotations and `api_types`
//! (`openapi.rs`).

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
use reel_engine::store::{NewToken, Project, ReplayId, TokenInfo, TokenOrigin, UserContext};
use serde::Deserialize;

use super::extract::ApiJson;
use crate::AppState;
use crate::api_types::{
    self, CreatedToken, ErrorBody, LoginAnswer, LoginRequest, Me, NewTokenRequest,
    OrganizationInfo, ProjectInfo, ProjectUpdate, TokenKind, TokenList, UserInfo,
};
use crate::auth::{self, CurrentUser, SESSION_COOKIE};
use crate::body::BodyError;
use crate::client;
use crate::error::ApiError;
use crate::permissions::{Action, authorize};
use reel_engine::signal_settings::SignalDefinitions;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/login", post(login))
        .route("/logout", post(logout))
        .route("/me", get(me))
        .route("/tokens", get(list_tokens).post(create_token))
        .route("/tokens/{id}", axum::routing::delete(revoke_token))
        .route("/replays", get(super::search::list))
        .route("/replays/search", post(super::search::search))
        .route(
            "/saved-searches",
            get(super::search::saved_searches).post(super::search::save_search),
        )
        .route(
            "/saved-searches/{id}",
            axum::routing::delete(super::search::delete_saved_search),
        )
        .route(
            "/cohorts",
            get(super::search::cohorts).post(super::search::create_cohort),
        )
        .route(
            "/cohorts/{id}",
            axum::routing::put(super::search::update_cohort).delete(super::search::delete_cohort),
        )
        .route("/catalog", get(super::search::catalog))
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
        .route("/charts/segmentation", post(super::charts::segmentation))
        .route("/charts/funnel", post(super::charts::funnel))
        .route("/charts/sessions", post(super::charts::sessions))
        .route("/charts/journeys", post(super::charts::journeys))
        .route("/charts/experiment", post(super::charts::experiment))
        .route("/charts/{kind}/sessions", post(super::charts::microscope))
        .route("/users", get(super::users::find))
        .route("/users/{id}", get(super::users::profile))
        .route(
            "/dashboards",
            get(super::boards::list_dashboards).post(super::boards::create_dashboard),
        )
        .route(
            "/dashboards/order",
            axum::routing::put(super::boards::order_dashboards),
        )
        .route(
            "/dashboards/{id}",
            get(super::boards::get_dashboard)
                .put(super::boards::put_dashboard)
                .delete(super::boards::delete_dashboard),
        )
        .route(
            "/notebooks",
            get(super::boards::list_notebooks).post(super::boards::create_notebook),
        )
        .route(
            "/notebooks/order",
            axum::routing::put(super::boards::order_notebooks),
        )
        .route(
            "/notebooks/{id}",
            get(super::boards::get_notebook)
                .put(super::boards::put_notebook)
                .delete(super::boards::delete_notebook),
        )
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

/// Login bodies are tiny; anything bigger is not a login.
const MAX_LOGIN_BODY: usize = 16 * 1024;
/// The longest email address there is (RFC 5321's path limit less its angle brackets).
const MAX_EMAIL_CHARS: usize = 254;

/// Sign in; sets the `reel_session` cookie.
#[utoipa::path(
    post, path = "/login", tag = "session", security(()),
    request_body = LoginRequest,
    responses(
        (status = 200, description = "Signed in", body = LoginAnswer),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 415, body = ErrorBody),
        (status = 429, description = "Too many failed logins from this address or for this account; see Retry-After", body = ErrorBody),
        (status = 503, description = "Too many password checks at once; retry", body = ErrorBody),
    )
)]
pub(super) async fn login(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let body = read_json_body(&state, &headers, body, MAX_LOGIN_BODY).await?;
    let body: LoginRequest = serde_json::from_slice(&body).map_err(|e| {
        ApiError::InvalidParameter(format!(
            "send JSON {{\"email\": ..., \"password\": ...}}: {e}"
        ))
    })?;
    let email = body.email.trim().to_lowercase();
    if email.chars().count() > MAX_EMAIL_CHARS {
        // No real address is this long (RFC 5321): refused before any limiter remembers it.
        return Err(ApiError::InvalidParameter(format!(
            "email is longer than {MAX_EMAIL_CHARS} characters"
        )));
    }
    let now = state.now_ms();
    let address = client::address(&headers, peer, &state.config).to_string();
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
    let account = state.store().user_for_login(&email).await?;
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
        .store()
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
    let mut response = Json(LoginAnswer {
        user: UserInfo { email: user.email },
    })
    .into_response();
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

/// Sign out; clears the cookie.
#[utoipa::path(
    post, path = "/logout", tag = "session", security(()),
    request_body(content = Object, description = "`{}`"),
    responses((status = 204, description = "Signed out"), (status = 415, body = ErrorBody))
)]
pub(super) async fn logout(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    if let Some(token) = auth::session_cookie(&headers) {
        state
            .store()
            .delete_token(&auth::token_hash(&token))
            .await?;
    }
    let mut response = StatusCode::NO_CONTENT.into_response();
    response.headers_mut().insert(
        SET_COOKIE,
        HeaderValue::from_static("reel_session=; HttpOnly; SameSite=Lax; Path=/; Max-Age=0"),
    );
    Ok(response)
}

/// Your API tokens and browser sessions (never the secrets).
#[utoipa::path(
    get, path = "/tokens", tag = "session",
    responses((status = 200, body = TokenList), (status = 401, body = ErrorBody))
)]
pub(super) async fn list_tokens(
    State(state): State<AppState>,
    CurrentUser(ctx, current): CurrentUser,
) -> Result<Json<TokenList>, ApiError> {
    let tokens = state.store().tokens_of(ctx.user.id, state.now_ms()).await?;
    Ok(Json(TokenList {
        tokens: tokens
            .iter()
            .map(|t| token_json(t, t.id == current.id))
            .collect(),
    }))
}

const MAX_TOKEN_NAME: usize = 200;

/// Make an API token; the token is in this answer only.
#[utoipa::path(
    post, path = "/tokens", tag = "session",
    request_body = NewTokenRequest,
    responses(
        (status = 201, description = "The new token", body = CreatedToken),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody), (status = 415, body = ErrorBody),
    )
)]
pub(super) async fn create_token(
    State(state): State<AppState>,
    CurrentUser(ctx, _): CurrentUser,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, ApiError> {
    let body = read_json_body(&state, &headers, body, MAX_LOGIN_BODY).await?;
    let body: NewTokenRequest = serde_json::from_slice(&body)
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
        .store()
        .put_token(
            NewToken {
                user_id: ctx.user.id,
                token_hash: auth::token_hash(&token),
                origin: TokenOrigin::Created,
                name,
                expires_ms: None,
            },
            state.now_ms(),
        )
        .await?;
    let body = CreatedToken {
        info: token_json(&info, false),
        token,
    };
    Ok((StatusCode::CREATED, Json(body)).into_response())
}

/// Revoke one of your tokens or browser sessions.
#[utoipa::path(
    delete, path = "/tokens/{id}", tag = "session",
    params(("id" = i64, Path, description = "The token's id")),
    responses(
        (status = 204, description = "Revoked"), (status = 401, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 415, body = ErrorBody),
    )
)]
pub(super) async fn revoke_token(
    State(state): State<AppState>,
    CurrentUser(ctx, _): CurrentUser,
    Path(id): Path<String>,
) -> Result<StatusCode, ApiError> {
    let id: i64 = id.parse().map_err(|_| {
        ApiError::InvalidParameter(format!("token id must be a number, got {id:?}"))
    })?;
    if state.store().revoke_token(ctx.user.id, id).await? {
        Ok(StatusCode::NO_CONTENT)
    } else {
        Err(ApiError::NotFound("token"))
    }
}

fn token_json(t: &TokenInfo, current: bool) -> api_types::Token {
    api_types::Token {
        id: t.id,
        kind: match t.origin {
            TokenOrigin::Login => TokenKind::BrowserSession,
            TokenOrigin::Config => TokenKind::Configured,
            TokenOrigin::Created => TokenKind::Api,
        },
        name: t.name.clone(),
        created_at: rfc3339(t.created_ms),
        last_used_at: t.last_used_ms.map(rfc3339),
        expires_at: t.expires_ms.map(rfc3339),
        current,
    }
}

/// The signed-in user, organization and projects.
#[utoipa::path(
    get, path = "/me", tag = "session",
    responses((status = 200, description = "Who you are", body = Me), (status = 401, body = ErrorBody))
)]
pub(super) async fn me(CurrentUser(ctx, _): CurrentUser) -> Json<Me> {
    Json(Me {
        user: UserInfo {
            email: ctx.user.email,
        },
        organization: OrganizationInfo {
            id: ctx.organization.id,
            name: ctx.organization.name,
        },
        role: ctx.role,
        projects: ctx.projects.iter().map(project_json).collect(),
    })
}

fn project_json(p: &Project) -> ProjectInfo {
    ProjectInfo {
        id: p.id,
        name: p.name.clone(),
        api_key: p.api_key.clone(),
        timezone: p.timezone.clone(),
        signals: SignalDefinitions::from_stored(&p.signal_settings).effective(),
    }
}

/// Change a project's settings (admins): `{"timezone": "Europe/Berlin"}`.
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
    let mut project = authorize(&ctx, Some(&id), Action::ChangeSettings)?.clone();
    if let Some(tz) = update.timezone {
        let tz = tz.trim();
        if tz.parse::<chrono_tz::Tz>().is_err() {
            return Err(ApiError::InvalidParameter(format!(
                "timezone must be an IANA timezone name like Europe/Berlin or UTC, got {tz:?}"
            )));
        }
        state.store().set_project_timezone(project.id, tz).await?;
        project.timezone = tz.to_owned();
    }
    if let Some(signals) = update.signals {
        signals.validate().map_err(ApiError::InvalidParameter)?;
        let merged = SignalDefinitions::from_stored(&project.signal_settings).merged(&signals);
        let stored = serde_json::to_string(&merged).expect("serializable");
        state
            .store()
            .set_project_signal_settings(project.id, &stored)
            .await?;
        project.signal_settings = stored;
    }
    Ok(Json(project_json(&project)))
}

#[derive(Deserialize)]
pub(super) struct ProjectQuery {
    pub(super) project: Option<String>,
}

/// One replay.
#[utoipa::path(
    get, path = "/replays/{id}", tag = "replays",
    params(
        ("id" = String, Path, description = "The replay id from the list (URL-safe)."),
        ("project" = Option<i64>, Query, description = "Project id; default: the first project of your organization."),
    ),
    responses(
        (status = 200, description = "The replay", body = api_types::Replay),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
    )
)]
pub(super) async fn get_replay(
    State(state): State<AppState>,
    CurrentUser(ctx, _): CurrentUser,
    Path(id): Path<String>,
    Query(q): Query<ProjectQuery>,
) -> Result<Json<api_types::Replay>, ApiError> {
    let (_, replay) = find_replay(&state, &ctx, q.project.as_deref(), &id).await?;
    Ok(Json(replay_json(&replay)))
}

/// The project a request names (or the first) and its replay `id`; 404 when there is none.
pub(super) async fn find_replay<'p>(
    state: &AppState,
    ctx: &'p UserContext,
    project: Option<&str>,
    id: &str,
) -> Result<(&'p Project, reel_engine::store::Replay), ApiError> {
    let project = authorize(ctx, project, Action::WatchReplays)?;
    let replay = state
        .store()
        .replay(project.id, &replay_id(id)?)
        .await?
        .ok_or(ApiError::NotFound("replay"))?;
    Ok((project, replay))
}

/// A replay id from a path: one that is not an id names no replay.
pub(super) fn replay_id(id: &str) -> Result<ReplayId, ApiError> {
    ReplayId::parse(id)
        .map(|(id, _, _)| id)
        .map_err(|_| ApiError::NotFound("replay"))
}

/// This document.
#[utoipa::path(
    get, path = "/openapi.json", tag = "session", security(()),
    responses((status = 200, description = "OpenAPI 3.1 document", content_type = "application/json"))
)]
pub(super) async fn openapi() -> impl IntoResponse {
    (
        [(CONTENT_TYPE, "application/json")],
        super::openapi::document_json(),
    )
}

pub(super) fn replay_json(r: &reel_engine::store::Replay) -> api_types::Replay {
    api_types::Replay {
        id: r.id.to_string(),
        session_id: r.session_id,
        device_id: r.device_id.clone(),
        user_id: r.user_id.clone(),
        start_time: rfc3339(r.start_ms),
        end_time: rfc3339(r.end_ms),
        duration_ms: r.end_ms.saturating_sub(r.start_ms).max(0),
        event_count: r.event_count,
        size_bytes: r.stored_bytes,
        first_url: r.first_url.clone(),
        urls: r.urls.clone(),
        country: r.country.clone(),
        viewport: r
            .viewport
            .map(|(width, height)| api_types::Viewport { width, height }),
        browser: r.browser.clone(),
        os: r.os.clone(),
        device: r.device.clone(),
        last_upload_time: r.last_upload_ms.map(rfc3339),
        // Facts and derived events still to come from the processing stage (signals settle to
        // the end once the session has been idle for `compaction_idle_seconds`).
        processing_pending: r.processing_due_ms.is_some_and(|due| due != i64::MAX),
        facts: r.facts,
    }
}

pub(super) fn rfc3339(ms: i64) -> String {
    reel_query::chart::buckets::rfc3339(ms)
}
