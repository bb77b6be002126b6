//! The query API under `/api/v1`: its route table, login, who you are, one replay. Your
//! password and tokens are `account.rs`; projects `projects.rs`; people `people.rs`; the audit
//! log, usage and the Ingestion Monitor `operations.rs`; searching replays `search.rs`; reading
//! a replay's recording `replays.rs`. The OpenAPI document served at
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
use reel_engine::store::{NewToken, Project, ProjectAccess, ReplayId, TokenOrigin, UserContext};
use serde::Deserialize;

use crate::AppState;
use crate::api_types::{
    self, ErrorBody, LoginAnswer, LoginRequest, Me, OrganizationInfo, ProjectInfo, UserInfo,
};
use crate::audit;
use crate::auth::{self, CurrentUser, SESSION_COOKIE};
use crate::body::BodyError;
use crate::client;
use crate::error::ApiError;
use crate::permissions::{Action, authorize, role_of};
use reel_engine::signal_settings::SignalDefinitions;

pub fn routes() -> Router<AppState> {
    use axum::routing::{delete, patch, put};
    Router::new()
        .route("/login", post(login))
        .route("/logout", post(logout))
        .route("/me", get(me))
        .route("/me/password", put(super::account::change_password))
        .route(
            "/me/sign-out-everywhere",
            post(super::account::sign_out_everywhere),
        )
        .route(
            "/tokens",
            get(super::account::list_tokens).post(super::account::create_token),
        )
        .route("/tokens/{id}", delete(super::account::revoke_token))
        .route("/replays", get(super::search::list))
        .route("/replays/search", post(super::search::search))
        .route(
            "/saved-searches",
            get(super::search::saved_searches).post(super::search::save_search),
        )
        .route(
            "/saved-searches/{id}",
            delete(super::search::delete_saved_search),
        )
        .route(
            "/cohorts",
            get(super::search::cohorts).post(super::search::create_cohort),
        )
        .route(
            "/cohorts/{id}",
            put(super::search::update_cohort).delete(super::search::delete_cohort),
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
        .route("/portfolio/replays", get(super::projects::portfolio))
        .route("/projects", post(super::projects::create_project))
        .route("/projects/{id}", patch(super::projects::update_project))
        .route(
            "/projects/{id}/settings",
            get(super::projects::settings).patch(super::projects::update_settings),
        )
        .route("/projects/{id}/keys", get(super::projects::keys))
        .route(
            "/projects/{id}/keys/rotate",
            post(super::projects::rotate_key),
        )
        .route(
            "/projects/{id}/users/{user_id}",
            delete(super::projects::erase_user),
        )
        .route(
            "/projects/{id}/devices/{device_id}",
            delete(super::projects::erase_device),
        )
        .route("/projects/{id}/members", get(super::people::members))
        .route(
            "/projects/{id}/members/{user_id}",
            put(super::people::set_role).delete(super::people::remove_member),
        )
        .route(
            "/projects/{id}/invites",
            get(super::people::invites).post(super::people::invite),
        )
        .route(
            "/projects/{id}/invites/{invite_id}",
            delete(super::people::revoke_invite),
        )
        .route(
            "/projects/{id}/ingestion",
            get(super::operations::ingestion),
        )
        .route("/accounts", get(super::people::accounts))
        .route("/accounts/{user_id}", patch(super::people::update_account))
        .route("/invites/{token}", get(super::people::invite_info))
        .route(
            "/invites/{token}/accept",
            post(super::people::accept_invite),
        )
        .route("/audit-log", get(super::operations::audit_log))
        .route("/usage", get(super::operations::usage))
        .route("/organization/quota", put(super::operations::set_quota))
        .route("/metrics", get(super::operations::metrics))
        .route("/charts/segmentation", post(super::charts::segmentation))
        .route("/charts/funnel", post(super::charts::funnel))
        .route("/charts/sessions", post(super::charts::sessions))
        .route("/charts/journeys", post(super::charts::journeys))
        .route("/charts/experiment", post(super::charts::experiment))
        .route("/charts/{kind}/sessions", post(super::charts::microscope))
        .route(
            "/users",
            get(super::users::find).post(super::people::create_user),
        )
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
    let hash = account.as_ref().map(|a| a.password_hash.clone());
    let ok = guard.verify(body.password, hash).await?;
    let account = match account {
        Some(account) if ok => account,
        known => {
            guard.by_address.fail(&address, now);
            guard.by_account.fail(&email, now);
            // Failures for existing accounts are bounded per account by the limiter above.
            if let Some(known) = known {
                let by = audit::Actor::Account {
                    organization_id: known.organization_id,
                    user_id: known.user.id,
                    email: &known.user.email,
                };
                let failed = audit::Event::new("login_failed", by).target(address.clone());
                audit::record(&state, failed).await;
            }
            return Err(ApiError::InvalidCredentials);
        }
    };
    if account.disabled {
        // Told only to whoever knows the password.
        return Err(ApiError::AccountDisabled);
    }
    let user = account.user.clone();
    guard.by_account.forget(&email);
    let cookie = browser_session(&state, &headers, peer, user.id).await?;
    let by = audit::Actor::Account {
        organization_id: account.organization_id,
        user_id: user.id,
        email: &user.email,
    };
    audit::record(&state, audit::Event::new("login", by).target(address)).await;
    Ok(signed_in(user, cookie))
}

/// The answer to a sign-in: who, and the cookie of the new browser session.
pub(super) fn signed_in(user: reel_engine::store::User, cookie: HeaderValue) -> Response {
    let mut response = Json(LoginAnswer {
        user: UserInfo {
            id: user.id,
            email: user.email,
        },
    })
    .into_response();
    response.headers_mut().insert(SET_COOKIE, cookie);
    response
}

/// Starts a browser session for the user: the `Set-Cookie` value that carries it.
pub(super) async fn browser_session(
    state: &AppState,
    headers: &HeaderMap,
    peer: SocketAddr,
    user_id: i64,
) -> Result<HeaderValue, ApiError> {
    let now = state.now_ms();
    let token = auth::new_token();
    let ttl_ms = state.config.session_ttl_hours as i64 * 3_600_000;
    state
        .store()
        .put_token(
            NewToken {
                user_id,
                token_hash: auth::token_hash(&token),
                origin: TokenOrigin::Login,
                name: None,
                expires_ms: Some(now + ttl_ms),
            },
            now,
        )
        .await?;
    let secure = if client::is_https(headers, peer, &state.config) {
        "; Secure"
    } else {
        ""
    };
    let cookie = format!(
        "{SESSION_COOKIE}={token}; HttpOnly; SameSite=Lax; Path=/; Max-Age={}{secure}",
        ttl_ms / 1000
    );
    Ok(HeaderValue::from_str(&cookie).expect("token is ascii"))
}

/// Reads a small JSON body of a state-changing call (the content type was checked by
/// [`refuse_cross_site_writes`]) within the body deadline and the memory budget.
pub(super) async fn read_json_body(
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

/// The signed-in user, organization and projects (with your role on each).
#[utoipa::path(
    get, path = "/me", tag = "session",
    responses((status = 200, description = "Who you are", body = Me), (status = 401, body = ErrorBody))
)]
pub(super) async fn me(CurrentUser(ctx, _): CurrentUser) -> Json<Me> {
    Json(Me {
        user: UserInfo {
            id: ctx.user.id,
            email: ctx.user.email,
        },
        organization: OrganizationInfo {
            id: ctx.organization.id,
            name: ctx.organization.name,
        },
        organization_admin: ctx.organization_admin,
        projects: ctx.projects.iter().map(project_json).collect(),
    })
}

/// A project as the API shows it, with the caller's role on it.
pub(super) fn project_json(access: &ProjectAccess) -> ProjectInfo {
    let p = &access.project;
    ProjectInfo {
        id: p.id,
        name: p.name.clone(),
        api_key: p.api_key.clone(),
        timezone: p.timezone.clone(),
        signals: SignalDefinitions::from_stored(&p.signal_settings).effective(),
        role: role_of(access),
    }
}

/// `?project=`: which of the user's projects a request is about.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub(super) struct ProjectQuery {
    /// Project id; default: the first project of your organization.
    #[param(value_type = Option<i64>)]
    pub(super) project: Option<String>,
}

/// A replay named in the path.
#[derive(Deserialize, utoipa::IntoParams)]
#[into_params(names("id"), parameter_in = Path)]
pub(super) struct ReplayIdPath(
    /// The replay id from the list (URL-safe).
    pub(super) String,
);

/// One replay.
#[utoipa::path(
    get, path = "/replays/{id}", tag = "replays",
    params(ReplayIdPath, ProjectQuery),
    responses(
        (status = 200, description = "The replay", body = api_types::Replay),
        (status = 401, body = ErrorBody), (status = 404, body = ErrorBody),
    )
)]
pub(super) async fn get_replay(
    State(state): State<AppState>,
    CurrentUser(ctx, _): CurrentUser,
    Path(ReplayIdPath(id)): Path<ReplayIdPath>,
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
