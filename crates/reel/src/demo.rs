//! `reel demo`: sessions of the demo shop, so the replay list is not empty at first start and a
//! newcomer's first replays look like their own visit will.
//!
//! The sessions are real visits to the demo shop (`demo/`) recorded in headless Chromium with
//! reel's SDK (`npm run demo:record`, `scripts/record-demo.ts`), kept compressed in
//! `demo-recordings/` and embedded here. Seeding moves each one to a recent time, points its
//! URLs at this server (the shop's stylesheet and images load from `/demo/`), and feeds it
//! through the same ingestion pipeline as uploads from a browser, with the SDK's own analytics
//! events of that visit (page views, clicks, changes) moved the same way. What reel derives
//! (rage and dead clicks, errors) the processing stage works out again.
//!
//! The demo is a small team: a second project (a few visits of its own, for the portfolio
//! view) and a person of each role besides the organization admin, all with the admin's
//! password ([`seed_team`]).

use reel_engine::ingest::{UploadContext, user_agent};
use reel_engine::store::{AnalyticsEvent, NewPerson, Project, SessionRef};
use reel_rrweb::Event;
use reel_rrweb::inflate::{Unmetered, gunzip_bounded};
use reel_server::AppState;
use serde::Deserialize;
use serde_json::{Value, json};

/// The recorded visits: (journey name, gzip'd JSON).
const RECORDINGS: &[(&str, &[u8])] = &[
    (
        "checkout",
        include_bytes!("../demo-recordings/checkout.json.gz"),
    ),
    (
        "browse",
        include_bytes!("../demo-recordings/browse.json.gz"),
    ),
    ("promo", include_bytes!("../demo-recordings/promo.json.gz")),
    ("rage", include_bytes!("../demo-recordings/rage.json.gz")),
];

/// A recording never inflates past this (they are about 100 KB).
const MAX_RECORDING_BYTES: usize = 16 << 20;

#[derive(Deserialize)]
struct Recording {
    recorded_origin: String,
    user_agent: String,
    events: Vec<Value>,
    analytics: Vec<RecordedAnalytics>,
}

#[derive(Deserialize)]
struct RecordedAnalytics {
    event_type: String,
    time_ms: i64,
    event_properties: Option<Value>,
}

/// Who visited, from where, how many hours ago, and which recorded visit they made.
const PLANS: &[(&str, Option<&str>, &str, i64, &'static str)] = &[
    (
        "demo-device-ana",
        Some("ana@example.com"),
        "DE",
        26,
        "checkout",
    ),
    ("demo-device-ben", None, "US", 20, "browse"),
    (
        "demo-device-chloe",
        Some("chloe@example.com"),
        "FR",
        14,
        "promo",
    ),
    ("demo-device-dev", None, "GB", 9, "rage"),
    (
        "demo-device-emi",
        Some("emi@example.com"),
        "JP",
        5,
        "checkout",
    ),
    ("demo-device-femi", None, "NG", 2, "browse"),
];

/// The second project's visitors (on the same shop: the demo has one site to record).
const SECOND_PROJECT_PLANS: &[(&str, Option<&str>, &str, i64, &'static str)] = &[
    (
        "demo-device-gus",
        Some("gus@example.com"),
        "SE",
        30,
        "browse",
    ),
    ("demo-device-hana", None, "IN", 7, "promo"),
];

/// The second project of the demo.
pub const SECOND_PROJECT: &str = "Marketing site";

/// The people of the demo besides its organization admin: (email, role on both projects).
pub const PEOPLE: &[(&str, &str)] = &[
    ("manager@reel.local", "manager"),
    ("member@reel.local", "member"),
    ("viewer@reel.local", "viewer"),
];

/// Makes the demo's second project (with a few visits) and a person of each role (manager,
/// member, viewer on both projects; the admin is the organization admin), each with
/// `password`.
pub async fn seed_team(
    state: &AppState,
    base_url: &str,
    now_ms: i64,
    password: &str,
) -> anyhow::Result<()> {
    let first = state
        .store()
        .first_project()
        .await?
        .ok_or_else(|| anyhow::anyhow!("the demo project does not exist"))?;
    let second = state
        .store()
        .create_project(
            first.organization_id,
            SECOND_PROJECT,
            &reel_server::bootstrap::new_api_key(),
            now_ms,
        )
        .await?;
    let hash = reel_server::auth::hash_password(password);
    for (email, role) in PEOPLE {
        let new = NewPerson {
            organization_id: first.organization_id,
            email: (*email).into(),
            password_hash: hash.clone(),
            project_role: Some((first.id, (*role).into())),
        };
        if let Some(user) = state.store().create_person(new, now_ms).await? {
            state
                .store()
                .set_project_role(second.id, user.id, Some(role))
                .await?;
        }
    }
    seed_visits(state, &second, SECOND_PROJECT_PLANS, base_url, now_ms).await?;
    Ok(())
}

/// Seeds the demo project with the recorded visits, moved to the last days: each visit's
/// journey and replay id.
pub async fn seed(
    state: &AppState,
    base_url: &str,
    now_ms: i64,
) -> anyhow::Result<Vec<(&'static str, String)>> {
    let project = state
        .store()
        .first_project()
        .await?
        .ok_or_else(|| anyhow::anyhow!("the demo project does not exist"))?;
    seed_visits(state, &project, PLANS, base_url, now_ms).await
}

/// Seeds `project` with the recorded visits of `plans`, moved to the last days: each visit's
/// journey and replay id.
async fn seed_visits(
    state: &AppState,
    project: &Project,
    plans: &[(&str, Option<&str>, &str, i64, &'static str)],
    base_url: &str,
    now_ms: i64,
) -> anyhow::Result<Vec<(&'static str, String)>> {
    let mut rng = Rng(0x5eed_cafe ^ project.id as u64);
    let mut seeded = Vec::new();
    for (device, user, country, hours_ago, journey) in plans {
        let recording = load(journey)?;
        let start = now_ms - hours_ago * 3_600_000 - rng.below(3_000_000) as i64;
        let moved = Moved::new(&recording, base_url, start);
        let session = SessionRef {
            project_id: project.id,
            device_id: (*device).into(),
            session_id: start,
        };
        let events = recording
            .events
            .iter()
            .map(|e| {
                Event::parse(&moved.event(e))
                    .map_err(|err| anyhow::anyhow!("recorded event of {journey}: {err}"))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let context = UploadContext {
            country: Some((*country).into()),
            user_agent: Some(user_agent(&recording.user_agent)),
        };
        state
            .engine
            .ingest_events(session.clone(), events, context)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let replay_id = format!("{device}/{start}");
        let analytics = recording
            .analytics
            .iter()
            .enumerate()
            .map(|(i, event)| {
                let time = event.time_ms + moved.shift;
                let mut props = moved.properties(event.event_properties.as_ref());
                props["[Amplitude] Session Replay ID"] = json!(replay_id);
                AnalyticsEvent {
                    insert_id: Some(format!("demo-{device}-{start}-{i}")),
                    event_type: event.event_type.clone(),
                    time_ms: time,
                    device_id: Some((*device).into()),
                    user_id: user.map(str::to_owned),
                    session_id: Some(start),
                    event_properties: props.to_string(),
                    user_properties: "{}".into(),
                    raw: json!({"event_type": event.event_type, "time": time, "event_properties": props})
                        .to_string(),
                    display_name: None,
                    derived: false,
                }
            })
            .collect();
        state
            .engine
            .store_analytics(project.id, analytics)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        seeded.push((*journey, session.replay_id().into_string()));
    }
    Ok(seeded)
}

/// A dashboard of the demo shop's visits: the checkout funnel, page views by page, frustration
/// and errors, and the visit that rage-clicked "Pay now" — charts worth opening on first start.
pub async fn seed_dashboard(
    state: &AppState,
    admin_email: &str,
    visits: &[(&'static str, String)],
    now_ms: i64,
) -> anyhow::Result<()> {
    let project = state
        .store()
        .first_project()
        .await?
        .ok_or_else(|| anyhow::anyhow!("the demo project does not exist"))?;
    let admin = state
        .store()
        .user_for_login(admin_email)
        .await?
        .ok_or_else(|| anyhow::anyhow!("the demo admin does not exist"))?;
    let page = |path: &str| {
        json!({"event_type": "[reel] Page Viewed",
               "filters": [{"property": "[reel] Page Path", "op": "is", "values": [path]}]})
    };
    let click = |text: &str| {
        json!({"event_type": "[reel] Element Clicked",
               "filters": [{"property": "[reel] Element Text", "op": "is", "values": [text]}]})
    };
    let rage = visits
        .iter()
        .find(|(journey, _)| *journey == "rage")
        .map(|(_, id)| id.clone())
        .ok_or_else(|| anyhow::anyhow!("no rage visit was seeded"))?;
    let body = json!({
        "date_range": {"last_days": 7},
        "items": [
            {"type": "chart", "title": "Checkout funnel", "chart": {"kind": "funnel",
                "steps": [page("/demo/product.html"), click("Add to cart"), page("/demo/checkout.html"), click("Pay now")]}},
            {"type": "chart", "title": "Page views by page", "chart": {"kind": "segmentation",
                "events": [{"event_type": "[reel] Page Viewed"}], "measure": "totals", "interval": "day",
                "group_by": {"property": "[reel] Page Path", "scope": "event"}}},
            {"type": "chart", "title": "Frustration and errors", "chart": {"kind": "segmentation",
                "events": [{"event_type": "[reel] Rage Click"}, {"event_type": "[reel] Dead Click"},
                           {"event_type": "[reel] Error Click"}, {"event_type": "[reel] Network Error"}],
                "measure": "uniques", "interval": "day"}},
            {"type": "chart", "title": "Paths from the product page", "chart": {"kind": "journeys",
                "start_event": page("/demo/product.html"), "steps": 4,
                "exclude_events": ["[reel] Element Changed"]}},
            {"type": "replay", "title": "Rage clicks on Pay now",
             "replay_id": rage},
        ]
    });
    state
        .store()
        .add_board(
            project.id,
            reel_engine::store::BoardKind::Dashboard,
            admin.user.id,
            "Demo shop",
            &body.to_string(),
            now_ms,
        )
        .await?;
    Ok(())
}

fn load(journey: &str) -> anyhow::Result<Recording> {
    let (_, bytes) = RECORDINGS
        .iter()
        .find(|(name, _)| *name == journey)
        .ok_or_else(|| anyhow::anyhow!("no recording of the {journey} journey"))?;
    let json = gunzip_bounded(bytes, MAX_RECORDING_BYTES, &mut Unmetered)?;
    Ok(serde_json::from_slice(&json)?)
}

/// A recording moved in time and onto this server.
struct Moved {
    shift: i64,
    recorded_origin: String,
    recorded_host: String,
    base_url: String,
    base_host: String,
}

impl Moved {
    fn new(recording: &Recording, base_url: &str, start: i64) -> Self {
        let recorded_start = recording
            .events
            .iter()
            .filter_map(|e| e["timestamp"].as_i64())
            .min()
            .unwrap_or(start);
        let host = |url: &str| {
            url.split_once("://")
                .map_or(url, |(_, rest)| rest)
                .trim_end_matches('/')
                .to_owned()
        };
        let hostname = |url: &str| {
            let h = host(url);
            h.rsplit_once(':')
                .map_or(h.clone(), |(name, _)| name.to_owned())
        };
        Self {
            shift: start - recorded_start,
            recorded_origin: recording.recorded_origin.trim_end_matches('/').to_owned(),
            recorded_host: hostname(&recording.recorded_origin),
            base_url: base_url.trim_end_matches('/').to_owned(),
            base_host: hostname(base_url),
        }
    }

    /// An event's JSON at its new time, its URLs on this server.
    fn event(&self, event: &Value) -> String {
        let mut event = event.clone();
        if let Some(ts) = event["timestamp"].as_i64() {
            event["timestamp"] = json!(ts + self.shift);
        }
        // Failed requests carry epoch times of their own (reel's SDK).
        if event["type"] == 6
            && let Some(requests) = event["data"]["payload"]["requests"].as_array_mut()
        {
            for request in requests {
                for key in ["startTime", "endTime"] {
                    if let Some(t) = request[key].as_f64().filter(|t| *t > 1e12) {
                        request[key] = json!(t as i64 + self.shift);
                    }
                }
            }
        }
        event
            .to_string()
            .replace(&self.recorded_origin, &self.base_url)
    }

    /// Event properties with their URLs and domain on this server.
    fn properties(&self, properties: Option<&Value>) -> Value {
        let text = properties
            .cloned()
            .unwrap_or_else(|| json!({}))
            .to_string()
            .replace(&self.recorded_origin, &self.base_url);
        let mut props: Value = serde_json::from_str(&text).unwrap_or_else(|_| json!({}));
        if props["[reel] Page Domain"].as_str() == Some(self.recorded_host.as_str()) {
            props["[reel] Page Domain"] = json!(self.base_host);
        }
        props
    }
}

/// Small deterministic generator, so every demo looks the same.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n.max(1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_recorded_visit_loads_and_moves_onto_this_server() {
        for (journey, _) in RECORDINGS {
            let recording = load(journey).unwrap();
            assert!(recording.events.len() > 20, "{journey}");
            assert!(
                recording.events.iter().any(|e| e["type"] == 2),
                "{journey} has no full snapshot"
            );
            assert!(!recording.analytics.is_empty(), "{journey}");
            let moved = Moved::new(&recording, "http://127.0.0.1:8080", 1_000);
            let texts: Vec<String> = recording.events.iter().map(|e| moved.event(e)).collect();
            let first = texts
                .iter()
                .filter_map(|t| Event::parse(t).ok())
                .map(|e| e.timestamp)
                .min();
            assert_eq!(first, Some(1_000), "{journey}");
            assert!(
                texts.iter().all(|t| !t.contains(&moved.recorded_origin)),
                "{journey}: a recorded URL was left"
            );
            assert!(
                texts
                    .iter()
                    .any(|t| t.contains("http://127.0.0.1:8080/demo/")),
                "{journey}"
            );
            let props = moved.properties(Some(&json!({
                "[reel] Page URL": format!("{}/demo/", recording.recorded_origin),
                "[reel] Page Domain": moved.recorded_host,
            })));
            assert_eq!(props["[reel] Page URL"], "http://127.0.0.1:8080/demo/");
            assert_eq!(props["[reel] Page Domain"], "127.0.0.1");
        }
    }
}
