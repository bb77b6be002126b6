//! `reel demo`: generated sessions of the demo shop, so the replay list is not empty at first
//! start. They go through the same ingestion pipeline as uploads from a browser.
//!
//! The recordings are synthetic but realistic: the shop's real stylesheet, pages as rrweb
//! snapshots, mouse trails, clicks, masked typing, scrolling, a console error and a failed
//! payment request.

use reel_rrweb::Event;
use reel_server::{AppState, pipeline};
use reel_store::{AnalyticsEvent, SessionRef};
use serde_json::{Value, json};

const SHOP_CSS: &str = include_str!("../../../demo/shop.css");
const PRODUCTS: &[(&str, &str)] = &[
    ("Ridgeline Tent", "$349"),
    ("Summit Backpack", "$179"),
    ("Trailhead Boots", "$149"),
    ("Storm Jacket", "$229"),
    ("Ember Lantern", "$49"),
    ("Camp Mug", "$19"),
];

/// The browser the generated visitors used.
const DEMO_USER_AGENT: &str = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 \
    (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";

/// Seeds the demo project with a handful of sessions from the last days.
pub async fn seed(state: &AppState, base_url: &str, now_ms: i64) -> anyhow::Result<usize> {
    let project = state
        .meta
        .first_project()
        .await?
        .ok_or_else(|| anyhow::anyhow!("the demo project does not exist"))?;
    let plans: &[(&str, Option<&str>, &str, i64, Journey)] = &[
        (
            "demo-device-ana",
            Some("ana@example.com"),
            "DE",
            26,
            Journey::Checkout,
        ),
        ("demo-device-ben", None, "US", 20, Journey::Browse),
        (
            "demo-device-chloe",
            Some("chloe@example.com"),
            "FR",
            14,
            Journey::RageOnBrokenButton,
        ),
        ("demo-device-dev", None, "GB", 9, Journey::Browse),
        (
            "demo-device-emi",
            Some("emi@example.com"),
            "JP",
            5,
            Journey::Checkout,
        ),
        (
            "demo-device-femi",
            None,
            "NG",
            2,
            Journey::RageOnBrokenButton,
        ),
    ];
    let mut rng = Rng(0x5eed_cafe);
    for (device, user, country, hours_ago, journey) in plans {
        let start = now_ms - hours_ago * 3_600_000 - rng.below(3_000_000) as i64;
        let session = SessionRef {
            project_id: project.id,
            device_id: (*device).into(),
            session_id: start,
        };
        let recording = record(*journey, base_url, start, &mut rng);
        let events = recording
            .events
            .iter()
            .map(|e| {
                Event::parse(&e.to_string())
                    .map_err(|err| anyhow::anyhow!("generated event: {err}"))
            })
            .collect::<anyhow::Result<Vec<_>>>()?;
        let context = pipeline::UploadContext {
            country: Some((*country).into()),
            user_agent: Some(pipeline::user_agent(DEMO_USER_AGENT)),
        };
        pipeline::store_events_recording(state, session.clone(), events, context)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
        let replay_id = format!("{device}/{start}");
        let analytics = recording
            .analytics
            .into_iter()
            .enumerate()
            .map(|(i, (time, name, mut props))| {
                props["[Amplitude] Session Replay ID"] = json!(replay_id);
                AnalyticsEvent {
                    insert_id: Some(format!("demo-{device}-{start}-{i}")),
                    event_type: name.into(),
                    time_ms: time,
                    device_id: Some((*device).into()),
                    user_id: user.map(str::to_owned),
                    session_id: Some(start),
                    event_properties: props.to_string(),
                    user_properties: "{}".into(),
                    raw: json!({"event_type": name, "time": time, "event_properties": props})
                        .to_string(),
                    display_name: None,
                    derived: false,
                }
            })
            .collect();
        pipeline::store_events(state, project.id, analytics)
            .await
            .map_err(|e| anyhow::anyhow!("{e}"))?;
    }
    Ok(plans.len())
}

#[derive(Debug, Clone, Copy)]
enum Journey {
    Browse,
    Checkout,
    RageOnBrokenButton,
}

struct Recording {
    events: Vec<Value>,
    analytics: Vec<(i64, &'static str, Value)>,
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

/// A page as an rrweb snapshot with the ids of the elements a journey interacts with.
struct Page {
    node: Value,
    links: Vec<(u64, i64, i64)>,
    button: Option<(u64, i64, i64)>,
    inputs: Vec<(u64, &'static str)>,
}

struct Builder {
    next: u64,
}

impl Builder {
    fn id(&mut self) -> u64 {
        self.next += 1;
        self.next
    }
    fn text(&mut self, text: &str) -> Value {
        json!({"type": 3, "textContent": text, "id": self.id()})
    }
    fn el(&mut self, tag: &str, attrs: Value, children: Vec<Value>) -> Value {
        json!({"type": 2, "tagName": tag, "attributes": attrs, "childNodes": children, "id": self.id()})
    }
}

fn page(kind: &str, b: &mut Builder) -> Page {
    let mut links = Vec::new();
    let mut inputs = Vec::new();
    let mut button = None;
    let style_text = json!({"type": 3, "textContent": SHOP_CSS, "isStyle": true, "id": b.id()});
    let style = b.el("style", json!({}), vec![style_text]);
    let title_text = b.text("Reel Outfitters");
    let title = b.el("title", json!({}), vec![title_text]);
    let head = b.el("head", json!({}), vec![title, style]);
    let logo_text = b.text("Reel Outfitters");
    let logo = b.el(
        "a",
        json!({"class": "logo", "href": "/demo/"}),
        vec![logo_text],
    );
    let cart_text = b.text("Cart");
    let cart = b.el(
        "a",
        json!({"class": "cart-link", "href": "/demo/checkout.html"}),
        vec![cart_text],
    );
    let nav = b.el("nav", json!({"class": "site-nav"}), vec![cart]);
    let header = b.el("header", json!({"class": "site-header"}), vec![logo, nav]);
    let main_children = match kind {
        "home" => {
            let h1_text = b.text("Gear for the long way round");
            let h1 = b.el("h1", json!({}), vec![h1_text]);
            let hero = b.el("section", json!({"class": "hero"}), vec![h1]);
            let mut cards = Vec::new();
            for (i, (name, price)) in PRODUCTS.iter().enumerate() {
                let name_text = b.text(name);
                let h3 = b.el("h3", json!({}), vec![name_text]);
                let price_text = b.text(price);
                let p = b.el("p", json!({"class": "muted"}), vec![price_text]);
                let link = b.el(
                    "a",
                    json!({"class": "product-card", "href": format!("/demo/product.html?id={i}")}),
                    vec![h3, p],
                );
                let x = 120 + (i as i64 % 3) * 360;
                let y = 420 + (i as i64 / 3) * 300;
                links.push((link["id"].as_u64().unwrap_or(0), x, y));
                cards.push(link);
            }
            let grid = b.el("div", json!({"class": "product-grid"}), cards);
            vec![hero, grid]
        }
        "product" => {
            let (name, price) = PRODUCTS[0];
            let h1_text = b.text(name);
            let h1 = b.el("h1", json!({}), vec![h1_text]);
            let price_text = b.text(price);
            let p = b.el("p", json!({}), vec![price_text]);
            let add_text = b.text("Add to cart");
            let add = b.el(
                "button",
                json!({"class": "btn btn-primary"}),
                vec![add_text],
            );
            button = Some((add["id"].as_u64().unwrap_or(0), 260, 380));
            vec![h1, p, add]
        }
        _ => {
            let h1_text = b.text("Checkout");
            let h1 = b.el("h1", json!({}), vec![h1_text]);
            let mut fields = vec![h1];
            for (id, label) in [
                ("name", "Full name"),
                ("email", "Email"),
                ("card", "Card number"),
            ] {
                let label_text = b.text(label);
                let label_el = b.el("label", json!({"for": id}), vec![label_text]);
                let input = b.el(
                    "input",
                    json!({"id": id, "type": "text", "value": ""}),
                    vec![],
                );
                inputs.push((input["id"].as_u64().unwrap_or(0), id));
                fields.push(label_el);
                fields.push(input);
            }
            let address_text = b.text("**** ******** ****** ****");
            fields.push(b.el(
                "p",
                json!({"class": "reel-mask", "id": "saved-address"}),
                vec![address_text],
            ));
            let pay_text = b.text("Pay now");
            let pay = b.el(
                "button",
                json!({"id": "pay", "class": "btn btn-primary"}),
                vec![pay_text],
            );
            button = Some((pay["id"].as_u64().unwrap_or(0), 300, 560));
            fields.push(pay);
            vec![b.el("form", json!({"class": "checkout-form"}), fields)]
        }
    };
    let main = b.el("main", json!({"class": "section"}), main_children);
    let body = b.el("body", json!({}), vec![header, main]);
    let html = b.el("html", json!({"lang": "en"}), vec![head, body]);
    let doctype = json!({"type": 1, "name": "html", "publicId": "", "systemId": "", "id": b.id()});
    let node = json!({"type": 0, "childNodes": [doctype, html], "id": 1});
    Page {
        node,
        links,
        button,
        inputs,
    }
}

struct Timeline {
    t: i64,
    events: Vec<Value>,
    analytics: Vec<(i64, &'static str, Value)>,
    mouse: (i64, i64),
}

impl Timeline {
    fn push(&mut self, kind: u8, data: Value) {
        self.events
            .push(json!({"type": kind, "data": data, "timestamp": self.t}));
    }

    fn open(&mut self, base_url: &str, path: &str, kind: &str) -> Page {
        let href = format!("{base_url}{path}");
        self.push(4, json!({"href": href, "width": 1280, "height": 800}));
        let mut builder = Builder { next: 1 };
        let page = page(kind, &mut builder);
        self.push(
            2,
            json!({"node": page.node, "initialOffset": {"top": 0, "left": 0}}),
        );
        self.analytics.push((
            self.t,
            "[reel] Page Viewed",
            json!({"[reel] Page URL": href, "[reel] Page Path": path}),
        ));
        page
    }

    /// Moves the cursor to (x, y) in small steps, as rrweb batches them (every ~500 ms).
    fn move_to(&mut self, x: i64, y: i64, rng: &mut Rng) {
        let steps = 6 + rng.below(6) as i64;
        let (x0, y0) = self.mouse;
        let mut positions = Vec::new();
        for i in 1..=steps {
            let px = x0 + (x - x0) * i / steps + rng.below(9) as i64 - 4;
            let py = y0 + (y - y0) * i / steps + rng.below(9) as i64 - 4;
            positions.push(json!({"x": px, "y": py, "id": 5, "timeOffset": -(steps - i) * 50}));
        }
        self.t += steps * 50;
        self.push(3, json!({"source": 1, "positions": positions}));
        self.mouse = (x, y);
    }

    fn click(&mut self, id: u64, label: &str) {
        let (x, y) = self.mouse;
        for kind in [1, 0, 2] {
            self.push(
                3,
                json!({"source": 2, "type": kind, "id": id, "x": x, "y": y}),
            );
            self.t += 40;
        }
        self.analytics.push((
            self.t,
            "[reel] Element Clicked",
            json!({"[reel] Element Text": label}),
        ));
    }

    fn wait(&mut self, ms: i64) {
        self.t += ms;
    }
}

fn record(journey: Journey, base_url: &str, start: i64, rng: &mut Rng) -> Recording {
    let mut tl = Timeline {
        t: start,
        events: Vec::new(),
        analytics: Vec::new(),
        mouse: (640, 300),
    };
    let home = tl.open(base_url, "/demo/", "home");
    tl.wait(1_500 + rng.below(2_000) as i64);
    tl.push(3, json!({"source": 3, "id": 1, "x": 0, "y": 240}));
    for _ in 0..3 {
        let (_, x, y) = home.links[rng.below(home.links.len() as u64) as usize];
        tl.move_to(x, y, rng);
        tl.wait(700 + rng.below(1_500) as i64);
    }
    let (link, x, y) = home.links[0];
    tl.move_to(x, y, rng);
    tl.click(link, PRODUCTS[0].0);
    tl.wait(400);

    let product = tl.open(base_url, "/demo/product.html?id=0", "product");
    tl.wait(2_000 + rng.below(2_000) as i64);
    if let Some((add, x, y)) = product.button {
        tl.move_to(x, y, rng);
        tl.click(add, "Add to cart");
    }
    tl.wait(1_200);
    if matches!(journey, Journey::Browse) {
        tl.move_to(700, 200, rng);
        tl.wait(3_000);
        return Recording {
            events: tl.events,
            analytics: tl.analytics,
        };
    }

    let checkout = tl.open(base_url, "/demo/checkout.html", "checkout");
    tl.wait(1_000);
    for (id, field) in &checkout.inputs {
        tl.move_to(420, 200 + rng.below(200) as i64, rng);
        tl.click(*id, field);
        // Typing, as the SDK records it: every value already masked.
        let typed = match *field {
            "name" => "Ana Example",
            "email" => "ana@example.com",
            _ => "4242 4242 4242 4242",
        };
        for len in 1..=typed.len() {
            let masked: String = typed[..len]
                .chars()
                .map(|c| if c == ' ' { ' ' } else { '*' })
                .collect();
            tl.t += 90 + rng.below(120) as i64;
            tl.push(
                3,
                json!({"source": 5, "text": masked, "isChecked": false, "id": id}),
            );
        }
        tl.analytics.push((
            tl.t,
            "[reel] Element Changed",
            json!({"[reel] Element Tag": "input"}),
        ));
    }
    let Some((pay, x, y)) = checkout.button else {
        return Recording {
            events: tl.events,
            analytics: tl.analytics,
        };
    };
    tl.move_to(x, y, rng);
    let clicks = if matches!(journey, Journey::RageOnBrokenButton) {
        5
    } else {
        1
    };
    for _ in 0..clicks {
        tl.click(pay, "Pay now");
        tl.t += 120;
        tl.push(6, json!({"plugin": "rrweb/network@1", "payload": {"requests": [{
            "name": format!("{base_url}/demo/api/checkout"), "method": "POST", "status": 503,
            "startTime": tl.t - 180, "endTime": tl.t, "duration": 180, "initiatorType": "fetch"}]}}));
        tl.push(
            6,
            json!({"plugin": "rrweb/console@1", "payload": {
            "level": "error", "trace": ["shop.js:88:11"],
            "payload": ["\"Payment failed: payment service unavailable (503)\""]}}),
        );
    }
    tl.wait(2_500);
    Recording {
        events: tl.events,
        analytics: tl.analytics,
    }
}
