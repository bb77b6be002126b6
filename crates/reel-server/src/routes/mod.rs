//! The route table. Each area's file exposes its routes; this file joins them and adds the
//! cross-cutting layers (CORS on ingestion, no body limit where handlers enforce their own).

mod account;
mod api;
pub(crate) mod assets;
mod boards;
mod charts;
mod extract;
mod ingest;
pub(crate) mod openapi;
mod operations;
mod people;
mod projects;
mod replays;
mod search;
mod users;

use axum::Router;
use axum::extract::{DefaultBodyLimit, Request};
use axum::http::HeaderValue;
use axum::http::header::{
    CONTENT_SECURITY_POLICY, CONTENT_TYPE, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS,
};
use axum::middleware::Next;
use axum::response::Response;
use axum::routing::get;

use crate::AppState;

pub fn router(state: AppState) -> Router {
    Router::new()
        .merge(
            ingest::routes()
                .layer(DefaultBodyLimit::disable())
                .layer(axum::middleware::from_fn(ingest::cors)),
        )
        .nest("/api/v1", api::routes())
        .route("/healthz", get(|| async { "ok" }))
        .route("/metrics", get(operations::metrics))
        .merge(assets::routes(&state))
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            crate::metrics::track,
        ))
        .layer(axum::middleware::from_fn(security_headers))
        .with_state(state)
}

/// Headers every answer carries, whatever route (or fallback) made it: no answer is sniffed
/// into another type, and every HTML page — unless its route set a policy of its own — has the
/// UI's policy, so no page of reel can be framed or run a script from elsewhere.
async fn security_headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    let html = headers
        .get(CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim_start().to_ascii_lowercase().starts_with("text/html"));
    if html && !headers.contains_key(CONTENT_SECURITY_POLICY) {
        headers.insert(
            CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(assets::UI_CSP),
        );
        headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    }
    response
}
