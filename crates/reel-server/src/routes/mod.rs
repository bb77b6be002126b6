//! The route table. Each area's file exposes its routes; this file joins them and adds the
//! cross-cutting layers (CORS on ingestion, no body limit where handlers enforce their own).

mod api;
mod assets;
mod ingest;
pub(crate) mod openapi;
mod replays;
mod search;

use axum::Router;
use axum::extract::DefaultBodyLimit;
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
        .merge(assets::routes(&state))
        .with_state(state)
}
