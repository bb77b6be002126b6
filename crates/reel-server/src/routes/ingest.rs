//! Ingestion, wire-compatible with Amplitude's browser SDKs (see wire-protocol.md):
//! `POST /sessions/v2/track`, `GET /config/{api_key}`, `POST /2/httpapi`, `POST /batch`.
//!
//! Each handler does cheap checks (key, size), hands the body to the pipeline and answers
//! only when what it accepted is durable.

use axum::Json;
use axum::Router;
use axum::body::{Body, Bytes};
use axum::extract::rejection::QueryRejection;
use axum::extract::{Path, Query, Request, State};
use axum::http::header::{AUTHORIZATION, CONTENT_ENCODING, CONTENT_LENGTH};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use reel_store::{Interactions, Project, SessionRef};
use serde::Deserialize;
use serde_json::{Value, json};

use crate::error::IngestError;
use crate::{AppState, pipeline};

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
    query: Result<Query<TrackQuery>, QueryRejection>,
    headers: HeaderMap,
    body: Body,
) -> Result<Response, IngestError> {
    let Query(query) = query.map_err(|e| IngestError::Malformed(e.body_text()))?;
    let key = bearer(&headers).or(query.api_key.clone());
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
    let body = read_body(&state, &headers, body).await?;
    let gzip = is_gzip(&headers);
    let limit = state.config.max_decompressed_bytes;
    let session = SessionRef {
        project_id: project.id,
        device_id,
        session_id,
    };

    if query.kind.as_deref() == Some("interaction") {
        let (payload, accepted) = pipeline::decode_interactions(body, gzip, limit).await?;
        let content_hash = format!("{:032x}", xxhash_rust::xxh3::xxh3_128(payload.as_bytes()));
        let replay_key = reel_store::sqlite::replay_key(&session.device_id, session.session_id);
        state
            .meta
            .add_interactions(
                Interactions {
                    session,
                    replay_key,
                    payload,
                    content_hash,
                },
                crate::now_ms(),
            )
            .await?;
        return Ok(Json(json!({"code": 200, "events_accepted": accepted})).into_response());
    }

    let (events, skipped) = pipeline::decode_recording(body, gzip, limit).await?;
    let country = country(&state, &headers);
    let mut outcome = pipeline::store_recording(&state, session, events, country).await?;
    outcome.events_skipped = skipped;
    Ok(Json(json!({
        "code": 200,
        "events_accepted": outcome.events_accepted,
        "events_skipped": outcome.events_skipped,
        "chunks_stored": outcome.chunks_stored,
        "chunks_duplicate": outcome.chunks_duplicate,
    }))
    .into_response())
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
    let key = query.api_key.or_else(|| bearer(&headers));
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
    let body = read_body(&state, &headers, body).await?;
    let size = body.len();
    let text = if is_gzip(&headers) {
        let limit = state.config.max_decompressed_bytes;
        tokio::task::spawn_blocking(move || reel_rrweb::inflate::gunzip_bounded(&body, limit))
            .await
            .map_err(|e| IngestError::Internal(e.to_string()))?
            .map_err(|e| match e {
                reel_rrweb::inflate::InflateError::TooLarge { limit } => {
                    IngestError::PayloadTooLarge(format!(
                        "the decompressed body is larger than {limit} bytes"
                    ))
                }
                other => IngestError::Malformed(other.to_string()),
            })?
    } else {
        body.to_vec()
    };
    let parsed: Value = serde_json::from_slice(&text)
        .map_err(|e| IngestError::Malformed(format!("body is not valid JSON: {e}")))?;
    let api_key = parsed
        .get("api_key")
        .and_then(Value::as_str)
        .filter(|k| !k.is_empty());
    let project = project_for_key(&state, api_key).await?;
    let Some(events) = parsed.get("events").and_then(Value::as_array) else {
        return Err(IngestError::MissingField("events"));
    };
    let (valid, invalid) = pipeline::parse_analytics_events(events, crate::now_ms());
    if !invalid.is_empty() {
        // Amplitude rejects the whole batch and says which events were wrong; nothing is stored.
        let mut missing = serde_json::Map::new();
        let mut wrong = serde_json::Map::new();
        for i in &invalid {
            let map = if i.missing { &mut missing } else { &mut wrong };
            map.entry(i.field)
                .or_insert_with(|| json!([]))
                .as_array_mut()
                .expect("array")
                .push(json!(i.index));
        }
        let body = json!({
            "code": 400,
            "error": format!("{} of {} events are invalid; no event was stored", invalid.len(), events.len()),
            "events_with_missing_fields": missing,
            "events_with_invalid_fields": wrong,
        });
        return Ok((StatusCode::BAD_REQUEST, Json(body)).into_response());
    }
    let count = valid.len();
    pipeline::store_events(&state, project.id, valid).await?;
    Ok(Json(json!({
        "code": 200,
        "events_ingested": count,
        "payload_size_bytes": size,
        "server_upload_time": crate::now_ms(),
    }))
    .into_response())
}

async fn project_for_key(state: &AppState, key: Option<&str>) -> Result<Project, IngestError> {
    let key = key.ok_or(IngestError::InvalidApiKey("missing"))?;
    state
        .meta
        .project_by_api_key(key)
        .await?
        .ok_or(IngestError::InvalidApiKey("unknown key"))
}

fn bearer(headers: &HeaderMap) -> Option<String> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?;
    let token = value.strip_prefix("Bearer ").unwrap_or(value).trim();
    Some(token.to_owned()).filter(|t| !t.is_empty())
}

fn is_gzip(headers: &HeaderMap) -> bool {
    headers
        .get(CONTENT_ENCODING)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|p| p.trim().eq_ignore_ascii_case("gzip")))
}

fn country(state: &AppState, headers: &HeaderMap) -> Option<String> {
    let name = state.config.country_header.as_deref()?;
    let value = headers
        .get(name)?
        .to_str()
        .ok()?
        .trim()
        .to_ascii_uppercase();
    (value.len() == 2 && value.bytes().all(|b| b.is_ascii_uppercase())).then_some(value)
}

/// Reads a body up to the configured limit; over it → 413 without reading the rest.
async fn read_body(
    state: &AppState,
    headers: &HeaderMap,
    body: Body,
) -> Result<Bytes, IngestError> {
    let limit = state.config.max_body_bytes;
    let too_large =
        || IngestError::PayloadTooLarge(format!("the body is larger than {limit} bytes"));
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(too_large());
    }
    match axum::body::to_bytes(body, limit).await {
        Ok(bytes) => Ok(bytes),
        Err(e) if is_length_limit(&e) => Err(too_large()),
        Err(e) => Err(IngestError::Malformed(format!(
            "could not read the body: {e}"
        ))),
    }
}

fn is_length_limit(e: &axum::Error) -> bool {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(e);
    while let Some(err) = source {
        if err.is::<http_body_util::LengthLimitError>() {
            return true;
        }
        source = err.source();
    }
    false
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
