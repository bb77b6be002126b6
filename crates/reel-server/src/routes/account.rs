//! Your account: your password, signing out everywhere, your API tokens (each acts with your
//! role and stops when you are disabled, at its expiry, or when revoked).

use axum::Json;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use reel_engine::store::{NewToken, TokenInfo, TokenOrigin};
use serde_json::json;

use super::api::{read_json_body, rfc3339};
use super::extract::{ApiJson, optional_text};
use crate::AppState;
use crate::api_types::{
    self, CreatedToken, ErrorBody, NewTokenRequest, PasswordChange, SignedOut, TokenKind, TokenList,
};
use crate::audit;
use crate::auth::{self, CurrentUser};
use crate::error::ApiError;

/// Token requests are tiny.
const MAX_SMALL_BODY: usize = 16 * 1024;

/// Change your password (give the current one); your other browser sessions are signed out.
#[utoipa::path(
    put, path = "/me/password", tag = "session",
    request_body = PasswordChange,
    responses(
        (status = 204, description = "Changed"), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 415, body = ErrorBody),
        (status = 503, description = "Too many password checks at once; retry", body = ErrorBody),
    )
)]
pub(super) async fn change_password(
    State(state): State<AppState>,
    CurrentUser(ctx, current): CurrentUser,
    ApiJson(body): ApiJson<PasswordChange>,
) -> Result<StatusCode, ApiError> {
    auth::check_new_password(&body.new_password)?;
    let account = state
        .store()
        .user_for_login(&ctx.user.email)
        .await?
        .ok_or(ApiError::Unauthenticated)?;
    if !state
        .login
        .verify(body.current_password, Some(account.password_hash))
        .await?
    {
        return Err(ApiError::InvalidCredentials);
    }
    let hash = state.login.hash(body.new_password).await?;
    let keep = (current.origin == TokenOrigin::Login).then_some(current.id);
    state.store().set_password(ctx.user.id, &hash, keep).await?;
    audit::record(
        &state,
        audit::Event::new("password_changed", audit::Actor::User(&ctx)),
    )
    .await;
    Ok(StatusCode::NO_CONTENT)
}

/// Sign out every browser session of yours, this one included (API tokens stay: revoke them
/// one by one).
#[utoipa::path(
    post, path = "/me/sign-out-everywhere", tag = "session",
    request_body(content = Object, description = "`{}`"),
    responses(
        (status = 200, body = SignedOut), (status = 401, body = ErrorBody),
        (status = 415, body = ErrorBody),
    )
)]
pub(super) async fn sign_out_everywhere(
    State(state): State<AppState>,
    CurrentUser(ctx, _): CurrentUser,
) -> Result<Json<SignedOut>, ApiError> {
    let browser_sessions = state
        .store()
        .revoke_browser_sessions(ctx.user.id, None)
        .await?;
    let event = audit::Event::new("signed_out_everywhere", audit::Actor::User(&ctx))
        .detail(json!({"browser_sessions": browser_sessions}));
    audit::record(&state, event).await;
    Ok(Json(SignedOut { browser_sessions }))
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
/// The longest an API token may be made to last: ten years.
const MAX_TOKEN_DAYS: u32 = 3650;

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
    let body = read_json_body(&state, &headers, body, MAX_SMALL_BODY).await?;
    let body: NewTokenRequest = serde_json::from_slice(&body).map_err(|e| {
        ApiError::InvalidParameter(format!(
            "send JSON {{\"name\": \"...\", \"expires_in_days\": 30}}: {e}"
        ))
    })?;
    let name = optional_text(body.name, MAX_TOKEN_NAME, "name")?;
    if body
        .expires_in_days
        .is_some_and(|d| !(1..=MAX_TOKEN_DAYS).contains(&d))
    {
        return Err(ApiError::InvalidParameter(format!(
            "expires_in_days must be between 1 and {MAX_TOKEN_DAYS}"
        )));
    }
    let now = state.now_ms();
    let token = auth::new_token();
    let info = state
        .store()
        .put_token(
            NewToken {
                user_id: ctx.user.id,
                token_hash: auth::token_hash(&token),
                origin: TokenOrigin::Created,
                name,
                expires_ms: body
                    .expires_in_days
                    .map(|d| now + i64::from(d) * 86_400_000),
            },
            now,
        )
        .await?;
    let created = audit::Event::new("token_created", audit::Actor::User(&ctx))
        .target(info.name.clone().unwrap_or_default())
        .detail(json!({"token_id": info.id, "expires_at": info.expires_ms.map(rfc3339)}));
    audit::record(&state, created).await;
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
        let revoked = audit::Event::new("token_revoked", audit::Actor::User(&ctx))
            .detail(json!({"token_id": id}));
        audit::record(&state, revoked).await;
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
