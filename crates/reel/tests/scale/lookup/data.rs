//! The people the look-up and deletion comparison writes: thirty users of three kinds, their
//! devices, sessions (some recorded) and events without a session.

use reel_engine::store::{AnalyticsEvent, ImportedSession, SessionRef, SessionText};
use serde_json::{Value, json};

/// 2026-01-05 00:00 UTC (the charts' first day).
pub(super) const T0: i64 = 1_767_571_200_000;
pub(super) const MINUTE: i64 = 60_000;
pub(super) const PEOPLE: usize = 30;
/// A user id made to break out of SQL.
pub(super) const HOSTILE_USER: &str = "O'Brien \\' OR 1=1 --\n";

/// The user id of person `i`.
pub(super) fn user(i: usize) -> String {
    if i == 7 {
        HOSTILE_USER.to_owned()
    } else {
        format!("u{i:02}")
    }
}

/// A session with a recording: its device, id (its start) and end.
pub(super) struct Recorded {
    pub(super) device: String,
    pub(super) start_ms: i64,
}

impl Recorded {
    pub(super) fn imported(&self, project_id: i64) -> ImportedSession {
        ImportedSession {
            session: SessionRef {
                project_id,
                device_id: self.device.clone(),
                session_id: self.start_ms,
            },
            start_ms: self.start_ms,
            end_ms: self.start_ms + 5 * MINUTE,
            first_url: None,
            country: None,
            user_agent: None,
            facts: Default::default(),
            urls: Vec::new(),
            viewport: None,
            events: Vec::new(),
            texts: vec![SessionText {
                console_level: None,
                ts_ms: self.start_ms,
                text: format!("order placed on {}", self.device),
            }],
        }
    }
}

struct Writer {
    events: Vec<AnalyticsEvent>,
}

impl Writer {
    #[allow(clippy::too_many_arguments)]
    fn push(
        &mut self,
        name: &str,
        time_ms: i64,
        device: Option<&str>,
        user: Option<&str>,
        session: Option<i64>,
        props: Value,
        user_props: Value,
    ) {
        let n = self.events.len();
        self.events.push(AnalyticsEvent {
            insert_id: Some(format!("e{n}")),
            event_type: name.to_owned(),
            time_ms,
            device_id: device.map(str::to_owned),
            user_id: user.map(str::to_owned),
            session_id: session,
            event_properties: props.to_string(),
            user_properties: user_props.to_string(),
            raw: String::new(),
            display_name: (name == "Buy").then(|| format!("Bought for {n}")),
            derived: false,
        });
    }
}

/// The recordings and the events, in the order they arrive. Kinds of people (by `i % 3`):
/// 0, anonymous on their device then signing in (half of them with an anonymous session
/// before the one they sign in in); 1, signed in on two devices, with an event of the first
/// device without a user id afterwards; 2, anonymous only. Person 4 also signs in on person
/// 1's first device (it changes hands). Times spread over the first day, a few events share a
/// millisecond.
pub(super) fn people() -> (Vec<Recorded>, Vec<AnalyticsEvent>) {
    let mut w = Writer { events: Vec::new() };
    let mut recorded = Vec::new();
    for i in 0..PEOPLE {
        let base = T0 + i as i64 * 37 * MINUTE;
        let uid = user(i);
        let u = Some(uid.as_str());
        let dev = format!("d{i:02}");
        let d = Some(dev.as_str());
        let category = ["tents", "boots"][i % 2];
        let product = json!({"category": category, "price": 10 * i as i64});
        match i % 3 {
            0 => {
                if i % 2 == 0 {
                    let s0 = Some(base);
                    w.push(
                        "View",
                        base,
                        d,
                        None,
                        s0,
                        product.clone(),
                        json!({"plan": "free", "visits": 1, "city": "Oslo"}),
                    );
                    w.push(
                        "View",
                        base + MINUTE,
                        d,
                        None,
                        s0,
                        product.clone(),
                        json!({}),
                    );
                }
                let s1 = base + 10 * MINUTE;
                w.push(
                    "Open",
                    s1,
                    d,
                    None,
                    Some(s1),
                    json!({"screen": "home"}),
                    json!({"plan": "trial", "beta": true}),
                );
                w.push(
                    "$identify",
                    s1 + MINUTE,
                    d,
                    u,
                    Some(s1),
                    json!({}),
                    json!({"$set": {"plan": "pro"}, "$add": {"visits": 2}}),
                );
                w.push(
                    "Buy",
                    s1 + 2 * MINUTE,
                    d,
                    u,
                    Some(s1),
                    product.clone(),
                    json!({}),
                );
                w.push("Open", base + 15 * MINUTE, d, u, None, json!({}), json!({}));
                if i % 4 == 0 {
                    recorded.push(Recorded {
                        device: dev.clone(),
                        start_ms: s1,
                    });
                }
            }
            1 => {
                let s1 = base + 2 * MINUTE;
                let plan = if i % 2 == 0 { "pro" } else { "team" };
                w.push(
                    "Open",
                    s1,
                    d,
                    u,
                    Some(s1),
                    json!({"screen": "cart"}),
                    json!({"plan": plan, "visits": i}),
                );
                // Two events in the same millisecond.
                w.push(
                    "View",
                    s1 + MINUTE,
                    d,
                    u,
                    Some(s1),
                    product.clone(),
                    json!({}),
                );
                w.push(
                    "Buy",
                    s1 + MINUTE,
                    d,
                    u,
                    Some(s1),
                    product.clone(),
                    json!({}),
                );
                let other = format!("d{i:02}b");
                let s2 = base + 20 * MINUTE;
                w.push(
                    "View",
                    s2,
                    Some(&other),
                    u,
                    Some(s2),
                    product.clone(),
                    json!({"$add": {"visits": 1}}),
                );
                w.push(
                    "View",
                    base + 25 * MINUTE,
                    d,
                    None,
                    None,
                    product.clone(),
                    json!({}),
                );
                recorded.push(Recorded {
                    device: dev.clone(),
                    start_ms: s1,
                });
            }
            _ => {
                let s1 = base + 5 * MINUTE;
                w.push(
                    "View",
                    s1,
                    d,
                    None,
                    Some(s1),
                    product.clone(),
                    json!({"plan": "free"}),
                );
                w.push(
                    "Buy",
                    s1 + 30_000,
                    d,
                    None,
                    Some(s1),
                    product.clone(),
                    json!({}),
                );
                w.push(
                    "Open",
                    base + 30 * MINUTE,
                    d,
                    None,
                    None,
                    json!({}),
                    json!({"$set": {"city": "Bergen"}}),
                );
                if i % 4 == 2 {
                    recorded.push(Recorded {
                        device: dev.clone(),
                        start_ms: s1,
                    });
                }
            }
        }
        if i == 4 {
            // Person 1's first device changes hands, then sends an event without a user id.
            let s = base + 33 * MINUTE;
            w.push("Open", s, Some("d01"), u, Some(s), json!({}), json!({}));
            w.push(
                "View",
                s + MINUTE,
                Some("d01"),
                None,
                Some(s),
                product.clone(),
                json!({}),
            );
        }
    }
    // Events of no device (one with a user id, one of nobody) and a retried event.
    w.push(
        "Open",
        T0 + 3 * MINUTE,
        None,
        Some("u01"),
        None,
        json!({}),
        json!({}),
    );
    w.push(
        "Open",
        T0 + 4 * MINUTE,
        None,
        None,
        None,
        json!({}),
        json!({}),
    );
    let retried = w.events[3].clone();
    w.events.push(retried);
    (recorded, w.events)
}

/// Events that come after the deletions: an erased user and an erased device seen again.
pub(super) fn afterwards() -> Vec<AnalyticsEvent> {
    let mut w = Writer { events: Vec::new() };
    let t = T0 + 20 * 60 * MINUTE;
    w.push(
        "Open",
        t,
        Some("d06"),
        Some("u06"),
        Some(t),
        json!({}),
        json!({"plan": "back"}),
    );
    w.push(
        "Buy",
        t + MINUTE,
        Some("d05"),
        None,
        Some(t + MINUTE),
        json!({"price": 5}),
        json!({"visits": 1}),
    );
    for e in &mut w.events {
        e.insert_id = e.insert_id.as_ref().map(|id| format!("after-{id}"));
    }
    w.events
}
