//! Errors as clients see them. Two families, each mapped to HTTP in one place:
//!
//! - [`ApiError`] for the query API: `{"error":{"code","message"}}` with a stable `code`.
//! - [`IngestError`] for ingestion routes: Amplitude's body shape `{"code","error",...}`,
//!   because the official SDKs read the body's `code`, not the HTTP status.
//!
//! Internal failures are logged with their detail and reach the client only as a generic
//! message.

use axum::Json;
use axum::http::header::RETRY_AFTER;
use axum::http::{HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use serde_json::json;

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("sign in first: send the session cookie or an Authorization: Bearer token")]
    Unauthenticated,
    #[error("wrong email or password")]
    InvalidCredentials,
    #[error("this account is disabled: ask an organization admin")]
    AccountDisabled,
    #[error("{0}")]
    Forbidden(&'static str),
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The request conflicts with what exists (an email that has an account already).
    #[error("{0}")]
    Conflict(String),
    #[error("send the body as JSON with Content-Type: application/json")]
    UnsupportedMediaType,
    #[error("too many attempts; try again in {retry_after_seconds} s")]
    TooManyRequests { retry_after_seconds: u64 },
    #[error("the server is busy; try again in a moment")]
    Busy,
    #[error("the request body did not arrive in time")]
    BodyTimeout,
    #[error("the request body is larger than {0} bytes")]
    BodyTooLarge(usize),
    #[error("{0}")]
    InvalidParameter(String),
    /// A search ran out of time; the message says how to narrow it.
    #[error("{0}")]
    SearchTimeout(String),
    #[error("internal error")]
    Internal(String),
}

impl ApiError {
    pub fn status_and_code(&self) -> (StatusCode, &'static str) {
        match self {
            Self::Unauthenticated => (StatusCode::UNAUTHORIZED, "unauthenticated"),
            Self::InvalidCredentials => (StatusCode::UNAUTHORIZED, "invalid_credentials"),
            Self::AccountDisabled => (StatusCode::FORBIDDEN, "account_disabled"),
            Self::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden"),
            Self::NotFound(_) => (StatusCode::NOT_FOUND, "not_found"),
            Self::Conflict(_) => (StatusCode::CONFLICT, "conflict"),
            Self::UnsupportedMediaType => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
            }
            Self::TooManyRequests { .. } => (StatusCode::TOO_MANY_REQUESTS, "rate_limited"),
            Self::Busy => (StatusCode::SERVICE_UNAVAILABLE, "busy"),
            Self::BodyTimeout => (StatusCode::REQUEST_TIMEOUT, "body_timeout"),
            Self::BodyTooLarge(_) => (StatusCode::PAYLOAD_TOO_LARGE, "body_too_large"),
            Self::InvalidParameter(_) => (StatusCode::BAD_REQUEST, "invalid_parameter"),
            Self::SearchTimeout(_) => (StatusCode::SERVICE_UNAVAILABLE, "search_timeout"),
            Self::Internal(_) => (StatusCode::INTERNAL_SERVER_ERROR, "internal"),
        }
    }
}

impl From<reel_engine::store::StoreError> for ApiError {
    fn from(e: reel_engine::store::StoreError) -> Self {
        match e {
            reel_engine::store::StoreError::TimedOut(message) => Self::SearchTimeout(message),
            reel_engine::store::StoreError::Stopped(_) => Self::Busy,
            e => Self::Internal(e.to_string()),
        }
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        if let Self::Internal(detail) = &self {
            tracing::error!(error = %detail, "query api failed");
        }
        let (status, code) = self.status_and_code();
        let mut response = (
            status,
            Json(json!({"error": {"code": code, "message": self.to_string()}})),
        )
            .into_response();
        let retry_after = match self {
            Self::TooManyRequests {
                retry_after_seconds,
            } => Some(retry_after_seconds),
            Self::Busy => Some(BUSY_RETRY_AFTER_SECONDS),
            Self::SearchTimeout(_) => Some(SEARCH_RETRY_AFTER_SECONDS),
            _ => None,
        };
        if let Some(seconds) = retry_after {
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(seconds.max(1)));
        }
        response
    }
}

/// What a 503 for a spent memory budget asks clients to wait.
pub const BUSY_RETRY_AFTER_SECONDS: u64 = 2;
/// What a 503 for a search that ran out of time asks clients to wait: the same search will
/// only answer once the machine is less busy (or narrowed).
pub const SEARCH_RETRY_AFTER_SECONDS: u64 = 10;

#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// Missing or unknown key. The message must start with "Invalid API key": that prefix makes
    /// Amplitude's SDK drop the batch instead of retrying it forever.
    #[error("Invalid API key: {0}")]
    InvalidApiKey(&'static str),
    #[error("Request missing required field: {0}")]
    MissingField(&'static str),
    #[error("{0}")]
    Malformed(String),
    #[error("payload size exceeded: {0}")]
    PayloadTooLarge(String),
    /// The memory budget is spent: 503 + Retry-After, which the SDKs retry.
    #[error("the server is busy; retry shortly")]
    Busy,
    /// The project is over its ingestion limits: 429 + Retry-After and Amplitude's 429 body
    /// (every event of the request listed as throttled), which the SDKs retry.
    #[error(
        "too many events or bytes for this project right now; retry in {retry_after_seconds} s"
    )]
    Throttled {
        retry_after_seconds: u64,
        /// Events in the refused request, when it was read.
        events: usize,
        /// The project's events-a-second limit.
        eps_threshold: u64,
    },
    #[error("the request body did not arrive in time")]
    BodyTimeout,
    #[error("internal error")]
    Internal(String),
}

impl IngestError {
    /// The Ingestion Monitor's reason for a refusal (`throttled` is an outcome of its own).
    pub fn monitor_reason(&self) -> &'static str {
        match self {
            Self::InvalidApiKey(_) => "invalid_api_key",
            Self::MissingField(_) | Self::Malformed(_) => "invalid_request",
            Self::PayloadTooLarge(_) => "too_large",
            Self::Busy => "busy",
            Self::Throttled { .. } => "throttled",
            Self::BodyTimeout => "timeout",
            Self::Internal(_) => "error",
        }
    }
}

impl From<reel_engine::IngestError> for IngestError {
    fn from(e: reel_engine::IngestError) -> Self {
        use reel_engine::IngestError as E;
        match e {
            E::Malformed(message) => Self::Malformed(message),
            E::MissingField(field) => Self::MissingField(field),
            E::TooLarge(message) => Self::PayloadTooLarge(message),
            E::Busy => Self::Busy,
            // The route that set the admission knows the limits and answers itself.
            E::Throttled {
                retry_after_seconds,
            } => Self::Throttled {
                retry_after_seconds,
                events: 0,
                eps_threshold: 0,
            },
            E::Store(e) => e.into(),
            E::Task(detail) => Self::Internal(detail),
        }
    }
}

impl From<reel_engine::ReadError> for ApiError {
    fn from(e: reel_engine::ReadError) -> Self {
        match e {
            reel_engine::ReadError::Store(e) => e.into(),
            e => Self::Internal(e.to_string()),
        }
    }
}

impl From<reel_engine::store::StoreError> for IngestError {
    fn from(e: reel_engine::store::StoreError) -> Self {
        match e {
            reel_engine::store::StoreError::TimedOut(_)
            | reel_engine::store::StoreError::Stopped(_) => Self::Busy,
            e => Self::Internal(e.to_string()),
        }
    }
}

impl IntoResponse for IngestError {
    fn into_response(self) -> Response {
        let message = self.to_string();
        let (status, body) = match &self {
            // HTTP 401 for people and tools; body code 400 for the SDK, which treats
            // 400 + "Invalid API key" as final.
            Self::InvalidApiKey(_) => (
                StatusCode::UNAUTHORIZED,
                json!({"code": 400, "error": message}),
            ),
            Self::MissingField(field) => (
                StatusCode::BAD_REQUEST,
                json!({"code": 400, "error": message, "missing_field": field}),
            ),
            Self::Malformed(_) => (
                StatusCode::BAD_REQUEST,
                json!({"code": 400, "error": message}),
            ),
            Self::PayloadTooLarge(_) => (
                StatusCode::PAYLOAD_TOO_LARGE,
                json!({"code": 413, "error": message}),
            ),
            Self::Busy => (
                StatusCode::SERVICE_UNAVAILABLE,
                json!({"code": 503, "error": message}),
            ),
            Self::Throttled {
                events,
                eps_threshold,
                ..
            } => (
                StatusCode::TOO_MANY_REQUESTS,
                json!({
                    "code": 429,
                    "error": message,
                    "eps_threshold": eps_threshold,
                    "throttled_devices": {},
                    "throttled_users": {},
                    "exceeded_daily_quota_devices": {},
                    "exceeded_daily_quota_users": {},
                    "throttled_events": (0..*events).collect::<Vec<_>>(),
                }),
            ),
            Self::BodyTimeout => (
                StatusCode::REQUEST_TIMEOUT,
                json!({"code": 408, "error": message}),
            ),
            Self::Internal(detail) => {
                tracing::error!(error = %detail, "ingestion failed");
                (
                    StatusCode::INTERNAL_SERVER_ERROR,
                    json!({"code": 500, "error": message}),
                )
            }
        };
        let mut response = (status, Json(body)).into_response();
        let retry_after = match self {
            Self::Busy => Some(BUSY_RETRY_AFTER_SECONDS),
            Self::Throttled {
                retry_after_seconds,
                ..
            } => Some(retry_after_seconds.max(1)),
            _ => None,
        };
        if let Some(seconds) = retry_after {
            response
                .headers_mut()
                .insert(RETRY_AFTER, HeaderValue::from(seconds));
        }
        response
    }
}
