//! Ingestion, wire-compatible with Amplitude's browser SDKs (see wire-protocol.md):
//! `POST /sessions/v2/track`, `GET /config/{api_key}`, `POST /2/httpapi`, `POST /batch`.
//!
//! Each handler does cheap checks (key, size), hands the body to the pipeline and answers
//! only when what it accepted is durable.

use axum::Json;
use axum::Router;
use axum::body::Body;
use axum::extract::rejection::QueryRejection;
use std::net::SocketAddr;

use axum::extract::{ConnectInfo, Path, Query, Request, State};
use axum::http::header::CONTENT_ENCODING;
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use reel_engine::ingest::{RecordingUpload, UploadContext, user_agent};
use reel_engine::store::{Project, SessionRef};
use serde::Deserialize;
use serde_json::json;

use crate::AppState;
use crate::auth::{Scheme, bearer};
use crate::body::{BodyError, ReadBody};
use crate::error::IngestError;

pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/sessions/v2/track", post(track))
        .route("/config/{api_key}", get(remote_config_by_path))
        .route("/config", get(remote_config_by_query))
        .route("/2/httpapi", post(http_api))
        .route("/batch", post(http_api))
}

/// Longest device id accepted; Amplitude's own limit is far below this.
const MAX_ID_LEN: usize = 1024;

#[derive(Deserialize)]
struct TrackQuery {
    device_id: Option<String>,
    session_id: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    api_key: Option<String>,
}

async fn track(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    query: Result<Query<TrackQuery>, QueryRejection>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, IngestError> {
    let Query(query) = query.map_err(|e| IngestError::Malformed(e.body_text()))?;
    let key = bearer(&headers, Scheme::BearerOrBare).or(query.api_key.clone());
    let project = project_for_key(&state, key.as_deref()).await?;
    let device_id = query
        .device_id
        .filter(|d| !d.is_empty())
        .ok_or(IngestError::MissingField("device_id"))?;
    if device_id.len() > MAX_ID_LEN {
        return Err(IngestError::Malformed(format!(
            "device_id is longer than {MAX_ID_LEN} characters"
        )));
    }
    let session_id = query
        .session_id
        .filter(|s| !s.is_empty())
        .ok_or(IngestError::MissingField("session_id"))?;
    let session_id: i64 = session_id.parse().ok().filter(|s| *s > 0).ok_or_else(|| {
        IngestError::Malformed("session_id must be a positive integer (epoch ms)".into())
    })?;
    let ReadBody { bytes, reservation } = read_body(&state, &headers, body).await?;
    let gzip = is_gzip(&headers);
    let session = SessionRef {
        project_id: project.id,
        device_id,
        session_id,
    };

    if query.kind.as_deref() == Some("interaction") {
        let count = state
            .engine
            .ingest_interactions(session, bytes, gzip, reservation)
            .await?;
        return Ok(Json(json!({"code": 200, "events_accepted": count})).into_response());
    }

    let context = UploadContext {
        country: crate::country::of_request(
            state.countries.as_deref(),
            &headers,
            peer,
            &state.config,
        ),
        user_agent: headers
            .get(header::USER_AGENT)
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty())
            .map(user_agent),
    };
    let outcome = state
        .engine
        .ingest_recording(RecordingUpload {
            session,
            body: bytes,
            gzip,
            reservation,
            context,
        })
        .await?;
    let out_of_range = outcome.events_out_of_range;
    let mut response = Json(json!({
        "code": 200,
        "events_accepted": outcome.events_accepted,
        "events_skipped": outcome.events_unreadable + out_of_range,
        "chunks_stored": outcome.chunks_stored,
        "chunks_duplicate": outcome.chunks_duplicate,
    }))
    .into_response();
    if outcome.events_accepted == 0 && out_of_range > 0 {
        // Amplitude's SDKs stop recording a session on `4004` (out of range): every event of
        // this upload was far from the session's time, and later ones will be too.
        response.headers_mut().insert(
            "x-session-replay-event-skipped",
            HeaderValue::from_static("4004"),
        );
    }
    Ok(response)
}

async fn remote_config_by_path(
    State(state): State<AppState>,
    Path(api_key): Path<String>,
) -> Result<Response, IngestError> {
    remote_config(&state, Some(&api_key)).await
}

#[derive(Deserialize)]
struct ConfigQuery {
    api_key: Option<String>,
}

async fn remote_config_by_query(
    State(state): State<AppState>,
    Query(query): Query<ConfigQuery>,
    headers: HeaderMap,
) -> Result<Response, IngestError> {
    let key = query
        .api_key
        .or_else(|| bearer(&headers, Scheme::BearerOrBare));
    remote_config(&state, key.as_deref()).await
}

/// The SDKs' remote configuration. Without `configs.sessionReplay` Amplitude's replay SDK
/// records nothing; console capture can only be switched on from here.
async fn remote_config(state: &AppState, api_key: Option<&str>) -> Result<Response, IngestError> {
    project_for_key(state, api_key).await?;
    Ok(Json(json!({
        "configs": {
            "sessionReplay": {
                "sr_sampling_config": {"capture_enabled": true},
                "sr_logging_config": {
                    "console": {"enabled": true, "levels": ["info", "log", "warn", "error"]},
                    "network": {"enabled": true}
                }
            },
            "analyticsSDK": {"browserSDK": {}}
        }
    }))
    .into_response())
}

/// `POST /2/httpapi` and `POST /batch`: analytics events, answered in Amplitude's body shape.
async fn http_api(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, IngestError> {
    let ReadBody { bytes, reservation } = read_body(&state, &headers, body).await?;
    let size = bytes.len();
    let batch = state
        .engine
        .decode_analytics(bytes, is_gzip(&headers), reservation)
        .await?;
    let project = project_for_key(&state, batch.api_key.as_deref()).await?;
    if batch.invalid_count > 0 {
        // Amplitude rejects the whole batch and says which events were wrong; nothing is stored.
        let mut missing = serde_json::Map::new();
        let mut wrong = serde_json::Map::new();
        for i in &batch.invalid {
            let map = if i.missing { &mut missing } else { &mut wrong };
            map.entry(i.field)
                .or_insert_with(|| json!([]))
                .as_array_mut()
                .expect("array")
                .push(json!(i.index));
        }
        let listed = if batch.invalid.len() < batch.invalid_count {
            format!(" (the first {} are listed)", batch.invalid.len())
        } else {
            String::new()
        };
        let body = json!({
            "code": 400,
            "error": format!(
                "{} of {} events are invalid; no event was stored{listed}",
                batch.invalid_count, batch.total
            ),
            "events_with_missing_fields": missing,
            "events_with_invalid_fields": wrong,
        });
        return Ok((StatusCode::BAD_REQUEST, Json(body)).into_response());
    }
    let count = batch.valid.len();
    let added = state
        .engine
        .store_analytics(project.id, batch.valid)
        .await?;
    let mut answer = json!({
        "code": 200,
        "events_ingested": count,
        "payload_size_bytes": size,
        "server_upload_time": state.now_ms(),
    });
    if added.properties_dropped > 0 {
        // Not in Amplitude's answer: what reel left out (README, "Properties").
        answer["properties_dropped"] = json!(added.properties_dropped);
    }
    Ok(Json(answer).into_response())
}

async fn project_for_key(state: &AppState, key: Option<&str>) -> Result<Project, IngestError> {
    let key = key.ok_or(IngestError::InvalidApiKey("missing"))?;
    state
        .store()
        .project_by_api_key(key)
        .await?
        .ok_or(IngestError::InvalidApiKey("unknown key"))
}

fn is_gzip(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|p| p.trim().eq_ignore_ascii_case("gzip")))
}

/// Reads a body within the configured size limit, the body deadline and the memory budget.
async fn read_body(
    state: &AppState,
    headers: &HeaderMap,
    body: Body,
) -> Result<ReadBody, IngestError> {
    let limit = state.config.max_body_bytes;
    let timeout = std::time::Duration::from_secs(state.config.body_timeout_seconds);
    crate::body::read(body, headers, limit, &state.budget, timeout)
        .await
        .map_err(|e| match e {
            BodyError::TooLarge(limit) => {
                IngestError::PayloadTooLarge(format!("the body is larger than {limit} bytes"))
            }
            BodyError::Timeout => IngestError::BodyTimeout,
            BodyError::Busy => IngestError::Busy,
            BodyError::Broken(e) => IngestError::Malformed(format!("could not read the body: {e}")),
        })
}

/// CORS for ingestion: SDKs post from any site. The Origin is echoed (not `*`) because
/// beacons may carry credentials; the back-pressure header must be readable by the SDK.
pub async fn cors(request: Request, next: Next) -> Response {
    let origin = request.headers().get(header::ORIGIN).cloned();
    let requested = request
        .headers()
        .get(header::ACCESS_CONTROL_REQUEST_HEADERS)
        .cloned();
    let mut response = if request.method() == Method::OPTIONS {
        StatusCode::NO_CONTENT.into_response()
    } else {
        next.run(request).await
    };
    let h = response.headers_mut();
    match origin {
        Some(origin) => {
            h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin);
            h.insert(
                header::ACCESS_CONTROL_ALLOW_CREDENTIALS,
                HeaderValue::from_static("true"),
            );
        }
        None => {
            h.insert(
                header::ACCESS_CONTROL_ALLOW_ORIGIN,
                HeaderValue::from_static("*"),
            );
        }
    }
    h.insert(header::VARY, HeaderValue::from_static("Origin"));
    h.insert(
        header::ACCESS_CONTROL_ALLOW_METHODS,
        HeaderValue::from_static("GET, POST, OPTIONS"),
    );
    h.insert(
        header::ACCESS_CONTROL_ALLOW_HEADERS,
        requested.unwrap_or(HeaderValue::from_static(
            "Authorization, Content-Type, Content-Encoding, X-Client-Version, X-Client-Library, \
             X-Client-Url, X-Client-Sample-Rate, X-Sampling-Hash-Alg",
        )),
    );
    h.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static("X-Session-Replay-Event-Skipped, Retry-After"),
    );
    h.insert(
        header::ACCESS_CONTROL_MAX_AGE,
        HeaderValue::from_static("86400"),
    );
    response
}
