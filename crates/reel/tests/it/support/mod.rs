//! The harness every test uses: a real reel server (`reel_server::Application`, built the way
//! `reel serve` builds it) on a free port with a temporary data dir, plus helpers that speak
//! the wire protocol and the query API the way an SDK and a user would.
//!
//! No sleeps: the listener is bound when `Application::build` returns.

#![allow(dead_code)] // each test module uses a different part of the harness

pub mod mmdb;
mod process;
pub use process::*;

use std::io::Write as _;
use std::path::Path;

use reel_server::{Application, Config};
use reqwest::header::{AUTHORIZATION, CONTENT_ENCODING, CONTENT_TYPE};
use reqwest::{Client, RequestBuilder, Response, StatusCode};
use serde_json::{Value, json};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The project's ingestion key.
pub const KEY: &str = "it-project-key";
pub const ADMIN_EMAIL: &str = "admin@it.test";
pub const ADMIN_PASSWORD: &str = "it-password-123";
/// A bearer token for the query API.
pub const ADMIN_TOKEN: &str = "it-admin-token";

pub struct TestApp {
    pub base_url: String,
    pub client: Client,
    /// The running server's store, for tests that bring in data the way `reel generate` does.
    pub meta: std::sync::Arc<dyn reel_engine::store::MetaStore>,
    /// The running server's login limiters, for tests of what they remember.
    pub login: std::sync::Arc<reel_server::auth::LoginGuard>,
    config: Config,
    dir: tempfile::TempDir,
    running: Option<Running>,
}

struct Running {
    shutdown: oneshot::Sender<()>,
    task: JoinHandle<std::io::Result<()>>,
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(|_| {}).await
    }

    /// Starts a server whose configuration `tweak` may change (limits, …).
    pub async fn spawn_with(tweak: impl FnOnce(&mut Config)) -> Self {
        let dir = tempfile::tempdir().expect("a temporary data dir");
        let mut config = Config {
            listen: "127.0.0.1:0".into(),
            data_dir: dir.path().to_path_buf(),
            api_key: Some(KEY.into()),
            admin_email: Some(ADMIN_EMAIL.into()),
            admin_password: Some(ADMIN_PASSWORD.into()),
            admin_token: Some(ADMIN_TOKEN.into()),
            ..Default::default()
        };
        tweak(&mut config);
        let (base_url, meta, login, running) = start(config.clone()).await;
        Self {
            base_url,
            meta,
            login,
            client: Client::new(),
            config,
            dir,
            running: Some(running),
        }
    }

    pub fn data_dir(&self) -> &Path {
        self.dir.path()
    }

    /// Shuts the server down (finishing in-flight requests), then builds a new one on the same
    /// data dir and a new port: what an operator's restart does.
    pub async fn restart(&mut self) {
        self.restart_with(|_| {}).await;
    }

    /// Restarts with a changed configuration (an operator editing settings between starts).
    pub async fn restart_with(&mut self, tweak: impl FnOnce(&mut Config)) {
        tweak(&mut self.config);
        self.client = Client::new(); // drops idle connections to the old server
        if let Some(running) = self.running.take() {
            let _ = running.shutdown.send(());
            running
                .task
                .await
                .expect("the server task does not panic")
                .expect("the server shuts down cleanly");
        }
        let (base_url, meta, login, running) = start(self.config.clone()).await;
        self.base_url = base_url;
        self.meta = meta;
        self.login = login;
        self.running = Some(running);
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base_url)
    }

    pub fn track_url(&self, device: &str, session: i64) -> String {
        self.url(&format!(
            "/sessions/v2/track?device_id={device}&session_id={session}&type=replay"
        ))
    }

    /// Uploads rrweb events the way Amplitude's replay SDK does: each event a JSON string in
    /// `{"version":1,"events":[...]}`, the key as a bearer token, optionally gzipped.
    pub async fn track(
        &self,
        device: &str,
        session: i64,
        events: &[String],
        gzip: bool,
    ) -> Response {
        self.track_body(
            device,
            session,
            &json!({"version": 1, "events": events}),
            gzip,
        )
        .await
    }

    /// Uploads any track body (objects, version 2, packed events, …).
    pub async fn track_body(
        &self,
        device: &str,
        session: i64,
        body: &Value,
        gzip: bool,
    ) -> Response {
        self.post_bytes(
            self.client
                .post(self.track_url(device, session))
                .header(AUTHORIZATION, format!("Bearer {KEY}")),
            body.to_string().into_bytes(),
            gzip,
        )
        .await
    }

    /// Uploads and asserts the upload was accepted.
    pub async fn track_ok(&self, device: &str, session: i64, events: &[String]) {
        let (status, body) = json_of(self.track(device, session, events, false).await).await;
        assert_eq!(
            status,
            StatusCode::OK,
            "upload of {device}/{session}: {body}"
        );
        assert_eq!(body["code"], 200, "{body}");
    }

    /// Posts an Amplitude HTTP API body to `/2/httpapi`.
    pub async fn httpapi(&self, body: &Value) -> Response {
        self.client
            .post(self.url("/2/httpapi"))
            .header(CONTENT_TYPE, "application/json")
            .body(body.to_string())
            .send()
            .await
            .expect("request sent")
    }

    async fn post_bytes(&self, request: RequestBuilder, body: Vec<u8>, gzip: bool) -> Response {
        let request = request.header(CONTENT_TYPE, "application/json");
        let request = if gzip {
            request
                .header(CONTENT_ENCODING, "gzip")
                .body(gzip_bytes(&body))
        } else {
            request.body(body)
        };
        request.send().await.expect("request sent")
    }

    /// A GET on the query API with the admin's bearer token.
    pub fn api(&self, path: &str) -> RequestBuilder {
        self.client
            .get(self.url(&format!("/api/v1{path}")))
            .header(AUTHORIZATION, format!("Bearer {ADMIN_TOKEN}"))
    }

    /// A call with a JSON body on the query API with the admin's bearer token: its status and
    /// JSON answer.
    pub async fn api_send(&self, method: &str, path: &str, body: &Value) -> (StatusCode, Value) {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("a method");
        json_of(
            self.client
                .request(method, self.url(&format!("/api/v1{path}")))
                .header(AUTHORIZATION, format!("Bearer {ADMIN_TOKEN}"))
                .header(CONTENT_TYPE, "application/json")
                .body(body.to_string())
                .send()
                .await
                .expect("sent"),
        )
        .await
    }

    /// `GET /api/v1/replays` (default range and limit).
    pub async fn replays(&self) -> Vec<Value> {
        self.replays_with("").await
    }

    /// `GET /api/v1/replays?<query>`, asserting success.
    pub async fn replays_with(&self, query: &str) -> Vec<Value> {
        let (status, body) = json_of(
            self.api(&format!("/replays?{query}"))
                .send()
                .await
                .expect("sent"),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "replays?{query}: {body}");
        body["replays"]
            .as_array()
            .unwrap_or_else(|| panic!("no replays array: {body}"))
            .clone()
    }

    /// The replay of one session as the list shows it; panics when it is not listed.
    pub async fn listed(&self, device: &str, session: i64) -> Value {
        let replays = self.replays().await;
        replays
            .into_iter()
            .find(|r| r["device_id"] == device && r["session_id"] == session)
            .unwrap_or_else(|| panic!("{device}/{session} is not in the replay list"))
    }

    /// `GET /api/v1/replays/{id}` with its status (works outside the list's default range).
    pub async fn replay(&self, id: &str) -> (StatusCode, Value) {
        json_of(
            self.api(&format!("/replays/{id}"))
                .send()
                .await
                .expect("sent"),
        )
        .await
    }

    /// `GET /api/v1/replays/{id}/events`, asserting success.
    pub async fn events(&self, id: &str) -> Vec<Value> {
        let (status, body) = json_of(
            self.api(&format!("/replays/{id}/events"))
                .send()
                .await
                .expect("sent"),
        )
        .await;
        assert_eq!(status, StatusCode::OK, "events of {id}: {body}");
        body.as_array()
            .unwrap_or_else(|| panic!("events are not an array: {body}"))
            .clone()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(running) = self.running.take() {
            let _ = running.shutdown.send(());
        }
    }
}

type Started = (
    String,
    std::sync::Arc<dyn reel_engine::store::MetaStore>,
    std::sync::Arc<reel_server::auth::LoginGuard>,
    Running,
);

async fn start(config: Config) -> Started {
    let app = Application::build(config)
        .await
        .expect("the application builds");
    let base_url = format!("http://{}", app.local_addr());
    let meta = app.state().store().clone();
    let login = app.state().login.clone();
    let (shutdown, signal) = oneshot::channel::<()>();
    let task = tokio::spawn(app.run_until(async {
        let _ = signal.await;
    }));
    (base_url, meta, login, Running { shutdown, task })
}

/// Status and JSON body of a response; panics with the text when the body is not JSON.
pub async fn json_of(response: Response) -> (StatusCode, Value) {
    let status = response.status();
    let text = response.text().await.expect("a readable body");
    let value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{status}: body is not JSON ({e}): {text:?}"));
    (status, value)
}

/// What a 413 body must look like for Amplitude's SDKs to halve the batch and retry:
/// it matches `/payload.*exceed/i`.
pub fn says_payload_exceeded(text: &str) -> bool {
    let lower = text.to_lowercase();
    lower
        .find("payload")
        .is_some_and(|at| lower[at..].contains("exceed"))
}

pub fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("the clock is after 1970")
        .as_millis() as i64
}

pub const DAY_MS: i64 = 86_400_000;

/// The replay's id in the query API (`reel_engine::ReplayId`, the one codec).
pub fn replay_id(device: &str, session: i64) -> String {
    reel_engine::ReplayId::of(device, session).into_string()
}

/// Epoch milliseconds as the API writes them: RFC 3339, UTC, milliseconds, `Z`.
pub fn rfc3339(ms: i64) -> String {
    let days = ms.div_euclid(DAY_MS);
    let in_day = ms.rem_euclid(DAY_MS);
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}.{:03}Z",
        in_day / 3_600_000,
        in_day / 60_000 % 60,
        in_day / 1000 % 60,
        in_day % 1000
    )
}

pub fn gzip_bytes(data: &[u8]) -> Vec<u8> {
    let mut encoder = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    encoder.write_all(data).expect("gzip to memory");
    encoder.finish().expect("gzip to memory")
}

/// What `@rrweb/packer` (replay SDKs up to 1.35) sends for one event: the event with
/// `"v":"v1"`, zlib-deflated, the bytes carried as a latin1 string.
pub fn pack(event_json: &str) -> String {
    let mut event: Value = serde_json::from_str(event_json).expect("event JSON");
    event["v"] = json!("v1");
    let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::default());
    encoder
        .write_all(event.to_string().as_bytes())
        .expect("zlib to memory");
    encoder
        .finish()
        .expect("zlib to memory")
        .into_iter()
        .map(char::from)
        .collect()
}

// rrweb events, as the recorder writes them.

pub fn meta(ts: i64, href: &str) -> String {
    json!({"type": 4, "data": {"href": href, "width": 1280, "height": 720}, "timestamp": ts})
        .to_string()
}

pub fn full_snapshot(ts: i64) -> String {
    json!({"type": 2, "data": {"node": {"type": 0, "childNodes": [
        {"type": 1, "name": "html", "publicId": "", "systemId": "", "id": 2},
        {"type": 2, "tagName": "html", "attributes": {"lang": "en"}, "childNodes": [], "id": 3}
    ], "id": 1}, "initialOffset": {"left": 0, "top": 0}}, "timestamp": ts})
    .to_string()
}

pub fn mouse_move(ts: i64, x: i64) -> String {
    json!({"type": 3, "data": {"source": 1, "positions": [{"x": x, "y": 20, "id": 3, "timeOffset": 0}]}, "timestamp": ts})
        .to_string()
}

/// A page load: Meta then FullSnapshot at the same instant.
pub fn page(ts: i64, href: &str) -> Vec<String> {
    vec![meta(ts, href), full_snapshot(ts)]
}

pub fn parsed(events: &[String]) -> Vec<Value> {
    events
        .iter()
        .map(|e| serde_json::from_str(e).expect("event JSON"))
        .collect()
}

/// Events as the events endpoint must return them: by timestamp, ties in upload order.
pub fn in_time_order(mut events: Vec<Value>) -> Vec<Value> {
    events.sort_by_key(|e| e["timestamp"].as_i64().expect("numeric timestamp"));
    events
}

/// Every event's `timestamp`, for readable assertion failures.
pub fn timestamps(events: &[Value]) -> Vec<i64> {
    events
        .iter()
        .map(|e| e["timestamp"].as_i64().expect("numeric timestamp"))
        .collect()
}

#[test]
fn helpers_match_known_values() {
    assert_eq!(rfc3339(0), "1970-01-01T00:00:00.000Z");
    assert_eq!(rfc3339(1_767_225_600_000), "2026-01-01T00:00:00.000Z");
    assert_eq!(rfc3339(1_709_210_096_789), "2024-02-29T12:34:56.789Z");
    assert!(says_payload_exceeded("Payload size EXCEEDED: the body"));
    assert!(!says_payload_exceeded("exceeded payload"));
}
