//! The embedded front-end: the UI (a single-page app), the SDK bundle and the demo shop.
//! build.rs compiles the files into the binary, so `reel` alone serves everything.

use axum::Router;
use axum::extract::{Path, State};
use axum::http::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE, HOST};
use axum::http::{HeaderMap, HeaderName, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use serde_json::json;

use crate::AppState;

mod embedded {
    include!(concat!(env!("OUT_DIR"), "/embedded.rs"));
}

/// Policy for UI pages. The replay iframe is an about:blank document and inherits it, so
/// `script-src 'self'` is a second wall behind the iframe sandbox: a recorded page's script
/// cannot run even if the sandbox were lifted. Styles, images and fonts of the recorded site
/// may load (rrweb writes inline styles); that lets the recorded site see the viewer's IP.
pub(super) const UI_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline' https: http:; \
    img-src 'self' data: blob: https: http:; font-src 'self' data: https: http:; \
    media-src 'self' data: blob: https: http:; connect-src 'self'; frame-src 'self'; worker-src 'none'; \
    object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/// Policy for the demo shop's pages: a site of its own (its scripts are files on this origin,
/// the SDK among them), which nobody may frame either.
const DEMO_CSP: &str = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; \
    img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; \
    form-action 'self'; frame-ancestors 'none'";

pub fn routes(state: &AppState) -> Router<AppState> {
    let router = Router::new()
        .route("/", get(ui_page))
        .route("/login", get(ui_page))
        .route("/replays", get(ui_page))
        .route("/cohorts", get(ui_page))
        .route("/replays/{*rest}", get(ui_page))
        .route("/feedback", get(ui_page))
        .route("/portfolio", get(ui_page))
        .route("/settings", get(ui_page))
        .route("/settings/project", get(ui_page))
        .route("/people", get(ui_page))
        .route("/ingestion", get(ui_page))
        .route("/billing", get(ui_page))
        .route("/audit-log", get(ui_page))
        .route("/account", get(ui_page))
        .route("/invite/{token}", get(ui_page))
        .route("/charts", get(ui_page))
        .route("/users", get(ui_page))
        .route("/users/{*rest}", get(ui_page))
        .route("/dashboards", get(ui_page))
        .route("/dashboards/{*rest}", get(ui_page))
        .route("/notebooks", get(ui_page))
        .route("/notebooks/{*rest}", get(ui_page))
        .route("/assets/{*file}", get(asset))
        .route("/sdk.js", get(sdk))
        .fallback(|| async { (StatusCode::NOT_FOUND, "not found\n") });
    if !state.config.demo {
        return router;
    }
    router
        .route("/demo", get(demo_index))
        .route("/demo/", get(demo_index))
        .route("/demo/config.js", get(demo_config))
        .route("/demo/api/checkout", post(demo_checkout))
        .route("/demo/{*file}", get(demo_file))
}

/// The path of every embedded file (`/assets/…`, `/sdk/reel.js`, `/demo/…`).
pub(crate) fn embedded_paths() -> impl Iterator<Item = &'static str> {
    embedded::FILES.iter().map(|(path, _)| *path)
}

fn find(path: &str) -> Option<&'static [u8]> {
    embedded::FILES
        .iter()
        .find(|(p, _)| *p == path)
        .map(|(_, bytes)| *bytes)
}

fn content_type(path: &str) -> &'static str {
    match path.rsplit_once('.').map(|(_, ext)| ext) {
        Some("html") => "text/html; charset=utf-8",
        Some("js" | "mjs") => "text/javascript; charset=utf-8",
        Some("css") => "text/css; charset=utf-8",
        Some("svg") => "image/svg+xml",
        Some("png") => "image/png",
        Some("json") => "application/json",
        Some("ico") => "image/x-icon",
        _ => "application/octet-stream",
    }
}

fn file_response(path: &str, extra: &[(HeaderName, &'static str)]) -> Response {
    let Some(bytes) = find(path) else {
        return (StatusCode::NOT_FOUND, "not found\n").into_response();
    };
    // File names carry no content hash: let browsers revalidate.
    let mut response = (
        [
            (CONTENT_TYPE, content_type(path)),
            (CACHE_CONTROL, "no-cache"),
        ],
        bytes,
    )
        .into_response();
    for (name, value) in extra {
        response
            .headers_mut()
            .insert(name.clone(), value.parse().expect("static header value"));
    }
    response
}

// Every answer gets `nosniff`, and every HTML answer without a policy of its own the UI's
// (`routes::security_headers`).

async fn ui_page() -> Response {
    file_response("/assets/index.html", &[])
}

async fn asset(Path(file): Path<String>) -> Response {
    file_response(&format!("/assets/{file}"), &[])
}

async fn sdk() -> Response {
    file_response("/sdk/reel.js", &[])
}

const DEMO_HEADERS: &[(HeaderName, &str)] = &[(CONTENT_SECURITY_POLICY, DEMO_CSP)];

async fn demo_index() -> Response {
    file_response("/demo/index.html", DEMO_HEADERS)
}

async fn demo_file(Path(file): Path<String>) -> Response {
    let path = format!("/demo/{file}");
    let headers = if content_type(&path).starts_with("text/html") {
        DEMO_HEADERS
    } else {
        &[]
    };
    file_response(&path, headers)
}

/// The demo shop's settings: the demo project's key and this server's origin.
async fn demo_config(State(state): State<AppState>, headers: HeaderMap) -> Response {
    let api_key = match state.store().first_project().await {
        Ok(Some(p)) => p.api_key,
        Ok(None) => String::new(),
        Err(e) => {
            tracing::error!(error = %e, "demo config: no project");
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        }
    };
    let host = headers
        .get(HOST)
        .and_then(|h| h.to_str().ok())
        .unwrap_or("127.0.0.1:8080");
    let settings = json!({"apiKey": api_key, "serverUrl": format!("http://{host}")});
    (
        [
            (CONTENT_TYPE, "text/javascript; charset=utf-8"),
            (CACHE_CONTROL, "no-store"),
        ],
        format!("window.REEL_DEMO = {settings};\n"),
    )
        .into_response()
}

/// The demo's failing request: payment is always down, so replays show a network error.
async fn demo_checkout() -> Response {
    (
        StatusCode::SERVICE_UNAVAILABLE,
        axum::Json(json!({"error": "payment service unavailable"})),
    )
        .into_response()
}
