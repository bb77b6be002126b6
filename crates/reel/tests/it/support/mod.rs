//! The harness every test uses: a real reel server (`reel_server::Application`, built the way
//! `reel serve` builds it) on a free port with a temporary data dir, plus helpers that speak
//! the wire protocol and the query API the way an SDK and a user would.
//!
//! No sleeps: the listener is bound when `Application::build` returns.

#![allow(dead_code)] // each test module uses a different part of the harness

pub mod mmdb;
mod process;
pub use process::*;

use std::collections::BTreeSet;
use std::io::Write as _;
use std::path::Path;
use std::sync::Arc;
use std::time::Duration;

use reel_engine::store::sqlite::inspect::{Inspector, Rows};
use reel_server::{Application, Config};
use reqwest::header::{AUTHORIZATION, CONTENT_ENCODING, CONTENT_TYPE, COOKIE, SET_COOKIE};
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
    /// The running server's state, for tests that run its jobs now (retention, the monitor's
    /// flush) instead of waiting for their timers.
    pub state: reel_server::AppState,
    config: Config,
    clock: Arc<dyn reel_engine::Clock>,
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

    /// A server holding one replay: a page view of `device`'s session a minute ago, whose id
    /// it returns beside the server.
    pub async fn spawn_with_replay(device: &str) -> (Self, i64) {
        let app = Self::spawn().await;
        let session = now_ms() - 60_000;
        app.track_ok(device, session, &page(session, "https://shop.test/"))
            .await;
        (app, session)
    }

    /// Starts a server whose configuration `tweak` may change (limits, …).
    pub async fn spawn_with(tweak: impl FnOnce(&mut Config)) -> Self {
        Self::spawn_with_clock(Arc::new(reel_engine::SystemClock), tweak).await
    }

    /// Starts a server that reads the time from `clock`: a test moves a
    /// [`reel_engine::ManualClock`] instead of waiting for time to pass.
    pub async fn spawn_with_clock(
        clock: Arc<dyn reel_engine::Clock>,
        tweak: impl FnOnce(&mut Config),
    ) -> Self {
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
        let (base_url, state, running) = start(config.clone(), clock.clone()).await;
        Self {
            base_url,
            meta: state.store().clone(),
            login: state.login.clone(),
            state,
            client: Client::new(),
            config,
            clock,
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

    /// Shuts the server down, finishing in-flight requests; the data dir stays (for a command
    /// run on it, or [`Self::restart_with`]).
    pub async fn stop(&mut self) {
        self.client = Client::new(); // drops idle connections to the old server
        if let Some(running) = self.running.take() {
            let _ = running.shutdown.send(());
            running
                .task
                .await
                .expect("the server task does not panic")
                .expect("the server shuts down cleanly");
        }
    }

    /// Restarts with a changed configuration (an operator editing settings between starts).
    pub async fn restart_with(&mut self, tweak: impl FnOnce(&mut Config)) {
        tweak(&mut self.config);
        self.stop().await;
        let (base_url, state, running) = start(self.config.clone(), self.clock.clone()).await;
        self.base_url = base_url;
        self.meta = state.store().clone();
        self.login = state.login.clone();
        self.state = state;
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
        with_body(request.header(CONTENT_TYPE, "application/json"), body, gzip)
            .send()
            .await
            .expect("request sent")
    }

    /// A GET on the query API with the admin's bearer token.
    pub fn api(&self, path: &str) -> RequestBuilder {
        self.client
            .get(self.url(&format!("/api/v1{path}")))
            .header(AUTHORIZATION, format!("Bearer {ADMIN_TOKEN}"))
    }

    /// A query API call (`/api/v1{path}`) with the admin's token: its status and JSON body
    /// (`null` when there is none).
    pub async fn send(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> (StatusCode, Value) {
        let mut request = self
            .client
            .request(method, self.url(&format!("/api/v1{path}")))
            .header(AUTHORIZATION, format!("Bearer {ADMIN_TOKEN}"));
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.expect("sent");
        let status = response.status();
        let text = response.text().await.expect("body");
        (status, serde_json::from_str(&text).unwrap_or(Value::Null))
    }

    /// `POST /api/v1{path}` of `body`, asserting it made something (201); what it made.
    pub async fn created<T: serde::de::DeserializeOwned>(&self, path: &str, body: &Value) -> T {
        let (status, made) = self.send(reqwest::Method::POST, path, Some(body)).await;
        assert_eq!(status, StatusCode::CREATED, "{path}: {made}");
        serde_json::from_value(made).expect("what the API made")
    }

    /// `DELETE /api/v1{path}`: the status it answers.
    pub async fn delete(&self, path: &str) -> StatusCode {
        self.send(reqwest::Method::DELETE, path, None).await.0
    }

    /// A GET on the query API with the admin's token: its status and JSON body.
    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        json_reply(self.api(path)).await
    }

    /// `POST /api/v1/login` with this body.
    pub async fn login(&self, body: &Value) -> Response {
        self.client
            .post(self.url("/api/v1/login"))
            .json(body)
            .send()
            .await
            .expect("sent")
    }

    /// Signs the admin in: the `reel_session=…` cookie pair.
    pub async fn admin_cookie(&self) -> String {
        let response = self
            .login(&json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}))
            .await;
        assert_eq!(response.status(), StatusCode::OK);
        cookie_pair(&response)
    }

    /// A GET as the UI sends it: with a session cookie and the `X-Reel-Request` header.
    pub fn ui_get(&self, path: &str, cookie: &str) -> RequestBuilder {
        self.client
            .get(self.url(path))
            .header(COOKIE, cookie)
            .header("x-reel-request", "1")
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
        self.get(&format!("/replays/{id}")).await
    }

    /// The replay once the processing stage has settled it.
    pub async fn settled(&self, id: &str) -> Value {
        eventually(Duration::from_secs(20), async || {
            let (status, replay) = self.replay(id).await;
            assert_eq!(status, StatusCode::OK, "{replay}");
            if replay["processing_pending"] == false {
                Ok(replay)
            } else {
                Err(format!("processing did not settle: {replay}"))
            }
        })
        .await
    }

    /// `GET /api/v1/replays/{id}/events`, asserting success.
    pub async fn events(&self, id: &str) -> Vec<Value> {
        let (status, body) = self.get(&format!("/replays/{id}/events")).await;
        assert_eq!(status, StatusCode::OK, "events of {id}: {body}");
        body.as_array()
            .unwrap_or_else(|| panic!("events are not an array: {body}"))
            .clone()
    }
}

/// People and calls as them: the query API the way each role's tools use it.
impl TestApp {
    /// A call to the query API with `token`: status and body (JSON; a body that is not JSON
    /// comes back as a JSON string, an empty one as null).
    pub async fn call_as(
        &self,
        token: &str,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> (StatusCode, Value) {
        let mut request = self
            .client
            .request(method, self.url(&format!("/api/v1{path}")))
            .bearer_auth(token);
        if let Some(body) = body {
            request = request.json(body);
        }
        let response = request.send().await.expect("sent");
        let status = response.status();
        let text = response.text().await.expect("a readable body");
        let value = if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or(Value::String(text))
        };
        (status, value)
    }

    /// A call to the query API as the organization admin.
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<&Value>,
    ) -> (StatusCode, Value) {
        self.call_as(ADMIN_TOKEN, method, path, body).await
    }

    /// Makes an account with `role` on `project` (as the organization admin); returns its user
    /// id and an API token of it.
    pub async fn person(&self, email: &str, role: &str, project: i64) -> (i64, String) {
        let (status, person) = self
            .call(
                reqwest::Method::POST,
                &format!("/users?project={project}"),
                Some(&json!({"email": email, "password": PERSON_PASSWORD, "role": role})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{email}: {person}");
        let id = person["user"]["id"].as_i64().expect("a user id");
        (id, self.token_of(email, PERSON_PASSWORD).await)
    }

    /// Signs in as `email` and makes an API token with that session.
    pub async fn token_of(&self, email: &str, password: &str) -> String {
        let cookie = self.sign_in(email, password).await;
        let response = self
            .client
            .post(self.url("/api/v1/tokens"))
            .header(reqwest::header::COOKIE, cookie)
            .header("x-reel-request", "1")
            .json(&json!({"name": "tests"}))
            .send()
            .await
            .expect("sent");
        let (status, token) = json_of(response).await;
        assert_eq!(status, StatusCode::CREATED, "token of {email}: {token}");
        token["token"].as_str().expect("a token").to_owned()
    }

    /// Signs in with the UI's login; returns the session cookie (`reel_session=…`).
    pub async fn sign_in(&self, email: &str, password: &str) -> String {
        let response = self
            .client
            .post(self.url("/api/v1/login"))
            .json(&json!({"email": email, "password": password}))
            .send()
            .await
            .expect("sent");
        let cookie = response
            .headers()
            .get(reqwest::header::SET_COOKIE)
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(';').next())
            .map(str::to_owned);
        let status = response.status();
        let body = response.text().await.unwrap_or_default();
        assert_eq!(status, StatusCode::OK, "login of {email}: {body}");
        cookie.expect("the login sets a cookie")
    }

    /// A new project (as the organization admin): its id and ingestion key.
    pub async fn project(&self, name: &str) -> (i64, String) {
        let (status, project) = self
            .call(
                reqwest::Method::POST,
                "/projects",
                Some(&json!({"name": name})),
            )
            .await;
        assert_eq!(status, StatusCode::CREATED, "{project}");
        (
            project["id"].as_i64().expect("an id"),
            project["api_key"].as_str().expect("a key").to_owned(),
        )
    }

    /// Uploads a one-page recording of `device`/`session` with `key`; the answer's status.
    pub async fn track_with_key(&self, key: &str, device: &str, session: i64) -> StatusCode {
        self.client
            .post(self.track_url(device, session))
            .bearer_auth(key)
            .json(&json!({"version": 1, "events": page(session, "https://shop.test/")}))
            .send()
            .await
            .expect("sent")
            .status()
    }
}

/// The password of accounts [`TestApp::person`] makes.
pub const PERSON_PASSWORD: &str = "person-password-123";

impl Drop for TestApp {
    fn drop(&mut self) {
        if let Some(running) = self.running.take() {
            let _ = running.shutdown.send(());
        }
    }
}

async fn start(
    config: Config,
    clock: Arc<dyn reel_engine::Clock>,
) -> (String, reel_server::AppState, Running) {
    let app = Application::build_with_clock(config, clock)
        .await
        .expect("the application builds");
    let base_url = format!("http://{}", app.local_addr());
    let state = app.state().clone();
    let (shutdown, signal) = oneshot::channel::<()>();
    let task = tokio::spawn(app.run_until(async {
        let _ = signal.await;
    }));
    (base_url, state, Running { shutdown, task })
}

/// Status and JSON body of a response; panics with the text when the body is not JSON.
pub async fn json_of(response: Response) -> (StatusCode, Value) {
    let status = response.status();
    let text = response.text().await.expect("a readable body");
    let value = serde_json::from_str(&text)
        .unwrap_or_else(|e| panic!("{status}: body is not JSON ({e}): {text:?}"));
    (status, value)
}

/// Sends `request`: its status and JSON body.
pub async fn json_reply(request: RequestBuilder) -> (StatusCode, Value) {
    json_of(request.send().await.expect("sent")).await
}

/// `request` with `body`, gzipped (and said so in `Content-Encoding`) when `gzip`.
pub fn with_body(request: RequestBuilder, body: Vec<u8>, gzip: bool) -> RequestBuilder {
    if gzip {
        request
            .header(CONTENT_ENCODING, "gzip")
            .body(gzip_bytes(&body))
    } else {
        request.body(body)
    }
}

/// The `name=value` pair of a response's `Set-Cookie`.
pub fn cookie_pair(response: &Response) -> String {
    let set_cookie = response
        .headers()
        .get(SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .expect("a Set-Cookie header");
    set_cookie.split(';').next().expect("name=value").to_owned()
}

/// `GET {url}` with the admin's token, on any server (a [`RealServer`] too): the JSON body.
pub async fn admin_get(client: &Client, url: &str) -> Value {
    client
        .get(url)
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .expect("sent")
        .json()
        .await
        .expect("a JSON body")
}

/// Asks `check` again every 50 ms until it answers `Ok`, and returns that; once `limit` has
/// passed, fails with its last `Err` (what is still missing). How tests wait for background
/// work.
pub async fn eventually<T>(
    limit: Duration,
    mut check: impl AsyncFnMut() -> Result<T, String>,
) -> T {
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        let missing = match check().await {
            Ok(done) => return done,
            Err(missing) => missing,
        };
        assert!(tokio::time::Instant::now() < deadline, "{missing}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Object keys rows name, and how many objects are still on their way in or out.
pub fn named_objects(data_dir: &Path) -> (BTreeSet<String>, i64) {
    let db = stored(data_dir);
    (
        db.named_objects().unwrap(),
        db.count(Rows::ObjectIntents).unwrap(),
    )
}

pub fn formats(data_dir: &Path) -> Vec<String> {
    stored(data_dir).chunk_formats().unwrap()
}

/// Waits until every chunk of the data dir was compacted into segments.
pub async fn until_compacted(data_dir: &Path) {
    eventually(Duration::from_secs(120), async || {
        let f = formats(data_dir);
        if !f.is_empty() && f.iter().all(|f| f == "segment") {
            Ok(())
        } else {
            Err(format!("not compacted: {f:?}"))
        }
    })
    .await
}

/// Waits until the objects on disk are exactly those rows name, with nothing in flight.
pub async fn until_nothing_left_behind(data_dir: &Path) {
    until_objects_are_those_named(data_dir, || objects_on_disk(data_dir)).await
}

/// Waits until the objects `objects` lists (on disk, in a bucket) are exactly those the data
/// dir's rows name, with nothing in flight.
pub async fn until_objects_are_those_named(
    data_dir: &Path,
    objects: impl Fn() -> BTreeSet<String>,
) {
    eventually(Duration::from_secs(60), async || {
        let (named, intents) = named_objects(data_dir);
        let disk = objects();
        if disk == named && intents == 0 {
            Ok(())
        } else {
            Err(format!(
                "left behind: {:?}; missing: {:?}; intents: {intents}",
                disk.difference(&named).collect::<Vec<_>>(),
                named.difference(&disk).collect::<Vec<_>>()
            ))
        }
    })
    .await
}

/// What the data dir's database holds.
pub fn stored(data_dir: &Path) -> Inspector {
    Inspector::open(&data_dir.join("reel.db")).unwrap()
}

/// The events body exactly as the API sends it (uncompressed).
pub async fn events_text(client: &reqwest::Client, base: &str, id: &str) -> String {
    let response = client
        .get(format!("{base}/api/v1/replays/{id}/events"))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    response.text().await.unwrap()
}

/// What the events body must be: the events' texts as sent, in time order (ties as sent).
pub fn expected_text(events: &[String]) -> String {
    let mut sorted: Vec<(i64, usize, &String)> = events
        .iter()
        .enumerate()
        .map(|(i, e)| {
            let ts = serde_json::from_str::<Value>(e).unwrap()["timestamp"]
                .as_f64()
                .unwrap() as i64;
            (ts, i, e)
        })
        .collect();
    sorted.sort();
    format!(
        "[{}]",
        sorted
            .iter()
            .map(|(_, _, e)| e.as_str())
            .collect::<Vec<_>>()
            .join(",")
    )
}

/// Uploads a session in batches of about `batch` events, as an SDK flushes.
pub async fn upload(app: &TestApp, device: &str, session: i64, events: &[String], batch: usize) {
    for part in events.chunks(batch) {
        let (status, reply) = json_of(app.track(device, session, part, true).await).await;
        assert_eq!(status, StatusCode::OK, "{reply}");
    }
}

pub fn first_ts(events: &[String]) -> i64 {
    events
        .iter()
        .map(|e| {
            serde_json::from_str::<Value>(e).unwrap()["timestamp"]
                .as_f64()
                .unwrap() as i64
        })
        .min()
        .unwrap()
}

/// Settings under which processing and compaction run at once and at full speed.
pub fn quick_processing(config: &mut Config) {
    config.processing_delay_ms = 0;
    config.compaction_idle_seconds = 0;
    config.processing_cpu_share = 1.0;
}

/// A recording's events with its clock moved so that it starts at `start`, as a live session
/// would (the corpus files' clocks differ: 0, 1970, 2021, today).
pub fn starting_at(recording: &reel_testdata::Recording, start: i64) -> Vec<Value> {
    let mut events: Vec<Value> = parsed(&recording.events);
    let first = events
        .iter()
        .filter_map(|e| e["timestamp"].as_i64())
        .min()
        .expect("events have timestamps");
    for event in &mut events {
        let ts = event["timestamp"].as_i64().expect("numeric timestamp");
        event["timestamp"] = (ts - first + start).into();
    }
    events
}

/// What a 413 body must look like for Amplitude's SDKs to halve the batch and retry:
/// it matches `/payload.*exceed/i`.
pub fn says_payload_exceeded(text: &str) -> bool {
    let lower = text.to_lowercase();
    lower
        .find("payload")
        .is_some_and(|at| lower[at..].contains("exceed"))
}

/// Files under `objects/`, as object keys.
pub fn objects_on_disk(data_dir: &Path) -> BTreeSet<String> {
    files_under(&data_dir.join("objects"))
}

/// The files under `root` (none if it does not exist), as paths relative to it.
pub fn files_under(root: &Path) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut pending = vec![root.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries {
            let path = entry.unwrap().path();
            if path.is_dir() {
                pending.push(path);
            } else {
                let relative = path.strip_prefix(root).unwrap().to_string_lossy();
                found.insert(relative.into_owned());
            }
        }
    }
    found
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

/// A mouse click on node `id` at (`x`, `y`).
pub fn click(ts: i64, id: i64, x: i64, y: i64) -> String {
    json!({"type": 3, "timestamp": ts, "data": {"source": 2, "type": 2, "id": id, "x": x, "y": y}})
        .to_string()
}

/// Text typed into node `id`, as masked by the recorder.
pub fn input(ts: i64, id: i64, masked: &str) -> String {
    json!({"type": 3, "timestamp": ts, "data": {"source": 5, "id": id, "text": masked, "isChecked": false}})
        .to_string()
}

/// A console record of `level` (rrweb's console plugin).
pub fn console(ts: i64, level: &str, message: &str) -> String {
    json!({"type": 6, "timestamp": ts, "data": {"plugin": "rrweb/console@1", "payload": {
        "level": level, "trace": ["shop.js:1:1"], "payload": [json!(message).to_string()]}}})
    .to_string()
}

/// A POST answered 503 (rrweb's network plugin).
pub fn failed_request(ts: i64) -> String {
    json!({"type": 6, "timestamp": ts, "data": {"plugin": "rrweb/network@1", "payload": {"requests": [
        {"name": "https://shop.test/api/pay", "method": "POST", "status": 503, "startTime": 1, "endTime": 2,
         "duration": 40, "initiatorType": "fetch"}]}}})
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

/// The fixed data set, sent the way SDKs send it, with the recorded sessions' recordings.
pub async fn load_shop(app: &TestApp) {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../testdata/analytics/shop.json"
    );
    let shop: Value = serde_json::from_str(&std::fs::read_to_string(path).expect("shop.json"))
        .expect("shop.json is JSON");
    for part in ["events", "exposures"] {
        let (status, body) = json_of(
            app.httpapi(&json!({"api_key": KEY, "events": shop[part]}))
                .await,
        )
        .await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }
    for s in shop["recorded_sessions"].as_array().expect("sessions") {
        let (device, session) = (
            s["device_id"].as_str().unwrap(),
            s["session_id"].as_i64().unwrap(),
        );
        app.track_ok(
            device,
            session,
            &[
                meta(session, "https://shop.test/"),
                full_snapshot(session + 1),
                mouse_move(session + 2_000, 10),
            ],
        )
        .await;
    }
}
