//! `reel generate`: fills a project with realistic synthetic sessions — facts, analytics events
//! (sent by an SDK and derived by reel, with clicked elements), user properties, on-screen and
//! console text — for benchmarks and for trying search on a large project. Deterministic for a
//! seed. The sessions have no recordings: they are listed and searched like recorded ones, and
//! the player has nothing to play for them.
//!
//! The site is a shop: home, category and product pages, search, cart, checkout, account, a
//! blog and help. Visitors follow a funnel (browse → product → cart → checkout), some sign in,
//! some hit the failing payment button (errors, rage and dead clicks), and each session's
//! events, facts and text agree with each other.

use reel_engine::store::{
    AnalyticsEvent, ImportedSession, MetaStore, SessionFacts, SessionRef, SessionText, UserAgent,
};
use serde_json::{Value, json};

/// What to generate.
#[derive(Debug, Clone)]
pub struct Plan {
    pub project_id: i64,
    pub sessions: u64,
    /// Events in all (SDK-sent and derived), spread over the sessions.
    pub events: u64,
    /// Sessions start over this many days up to `now_ms`.
    pub days: u32,
    pub seed: u64,
    pub now_ms: i64,
}

/// Sessions written per transaction.
const BATCH: u64 = 1_000;

/// Generates and stores the sessions, calling `progress(done, total)` after each batch.
/// Returns the number of events written.
pub async fn run(
    store: &dyn MetaStore,
    plan: &Plan,
    mut progress: impl FnMut(u64, u64),
) -> anyhow::Result<u64> {
    let mut rng = Rng::new(plan.seed);
    let site = Site::new();
    let users = (plan.sessions / 4).max(1);
    let mut written = 0u64;
    let mut done = 0u64;
    let mut events_left = plan.events;
    progress(0, plan.sessions);
    while done < plan.sessions {
        let n = BATCH.min(plan.sessions - done);
        let mut batch = Vec::with_capacity(n as usize);
        for i in 0..n {
            let index = done + i;
            let sessions_left = plan.sessions - index;
            // Each session takes about its share of what is left, so the total comes out exact.
            let mean = events_left as f64 / sessions_left as f64;
            let target = if sessions_left == 1 {
                events_left
            } else {
                ((mean * (0.3 + 1.4 * rng.unit())).round() as u64).min(events_left)
            };
            let session = site.session(plan, index, users, target, &mut rng);
            events_left -= session.events.len() as u64;
            written += session.events.len() as u64;
            batch.push(session);
        }
        store.import_sessions(batch, plan.now_ms).await?;
        done += n;
        progress(done, plan.sessions);
    }
    Ok(written)
}

/// A small deterministic generator (PCG-style LCG with a xorshift output).
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed ^ 0x9e37_79b9_7f4a_7c15)
    }

    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        let x = self.0;
        (x ^ (x >> 29)).wrapping_mul(0xbf58_476d_1ce4_e5b9) ^ (x >> 32)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }

    fn unit(&mut self) -> f64 {
        (self.next() >> 11) as f64 / (1u64 << 53) as f64
    }

    fn chance(&mut self, p: f64) -> bool {
        self.unit() < p
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }

    /// Log-normal around `median`, spread by `sigma`.
    fn lognormal(&mut self, median: f64, sigma: f64) -> f64 {
        let (u1, u2) = (self.unit().max(1e-12), self.unit());
        let normal = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
        median * (sigma * normal).exp()
    }
}

const CATEGORIES: &[&str] = &[
    "tents",
    "backpacks",
    "boots",
    "jackets",
    "lanterns",
    "cookware",
];
const ADJECTIVES: &[&str] = &[
    "Ridgeline",
    "Summit",
    "Trailhead",
    "Storm",
    "Ember",
    "Alpine",
    "Canyon",
    "Glacier",
    "Meadow",
    "Harbor",
    "Timber",
    "Cascade",
];
const COUNTRIES: &[(&str, u32)] = &[
    ("US", 30),
    ("DE", 12),
    ("GB", 10),
    ("FR", 8),
    ("IN", 7),
    ("BR", 6),
    ("JP", 5),
    ("CA", 5),
    ("NL", 4),
    ("ES", 4),
    ("AU", 3),
    ("SE", 2),
    ("NG", 2),
    ("MX", 2),
];
const AGENTS: &[(&str, &str, &str, u32)] = &[
    ("Chrome", "Windows", "desktop", 35),
    ("Chrome", "macOS", "desktop", 15),
    ("Safari", "macOS", "desktop", 8),
    ("Firefox", "Windows", "desktop", 6),
    ("Edge", "Windows", "desktop", 6),
    ("Mobile Safari", "iOS", "mobile", 14),
    ("Chrome Mobile", "Android", "mobile", 12),
    ("Safari", "iPadOS", "tablet", 3),
    ("HeadlessChrome", "Linux", "bot", 1),
];
const VIEWPORTS: &[(u32, u32)] = &[
    (1920, 1080),
    (1536, 864),
    (1440, 900),
    (1366, 768),
    (1280, 720),
    (390, 844),
    (412, 915),
    (375, 667),
    (820, 1180),
];
const SEARCHES: &[&str] = &[
    "tent",
    "waterproof jacket",
    "boots size 44",
    "lantern",
    "ultralight",
    "sale",
    "gift card",
    "kids backpack",
];
const CONSOLE_ERRORS: &[&str] = &[
    "Payment failed: payment service unavailable (503)",
    "TypeError: Cannot read properties of undefined (reading 'price')",
    "Uncaught ReferenceError: analytics is not defined",
    "Failed to load resource: the server responded with a status of 404 (Not Found)",
    "Promo code service timed out after 10000 ms",
];
const CONSOLE_WARNINGS: &[&str] = &[
    "Image loaded lazily and replaced with placeholder",
    "Slow network detected: falling back to low-resolution images",
    "Deprecated API used: document.domain setter",
];

/// The shop: its pages and what they show.
struct Site {
    products: Vec<Product>,
}

struct Product {
    id: u32,
    name: String,
    category: &'static str,
    price: u32,
}

/// One page of a visit.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Page {
    Home,
    Category(usize),
    Product(usize),
    Search(usize),
    Cart,
    Checkout,
    Account,
    Blog(u32),
    Help,
}

impl Site {
    fn new() -> Self {
        let mut rng = Rng::new(7);
        let products = (0..240)
            .map(|id| {
                let category = CATEGORIES[id as usize % CATEGORIES.len()];
                Product {
                    id,
                    name: format!("{} {}", rng.pick(ADJECTIVES), singular(category)),
                    category,
                    price: 15 + rng.below(480) as u32,
                }
            })
            .collect();
        Self { products }
    }

    fn path(&self, page: Page) -> String {
        match page {
            Page::Home => "/".into(),
            Page::Category(c) => format!("/c/{}", CATEGORIES[c]),
            Page::Product(p) => format!("/product/{}", self.products[p].id),
            Page::Search(_) => "/search".into(),
            Page::Cart => "/cart".into(),
            Page::Checkout => "/checkout".into(),
            Page::Account => "/account".into(),
            Page::Blog(n) => format!("/blog/trail-notes-{n}"),
            Page::Help => "/help".into(),
        }
    }

    /// Text a page shows (beyond the header and footer every page has).
    fn texts(&self, page: Page) -> Vec<String> {
        match page {
            Page::Home => vec![
                "Gear for the long way round".into(),
                "Free shipping on orders over $50".into(),
                "New this season".into(),
            ],
            Page::Category(c) => vec![format!("All {}", CATEGORIES[c]), "Sort by: Featured".into()],
            Page::Product(p) => {
                let product = &self.products[p];
                vec![
                    product.name.clone(),
                    format!("${}.00", product.price),
                    "In stock".into(),
                    "Add to cart".into(),
                ]
            }
            Page::Search(q) => vec![format!("Results for \"{}\"", SEARCHES[q])],
            Page::Cart => vec!["Your cart".into(), "Proceed to checkout".into()],
            Page::Checkout => vec![
                "Checkout".into(),
                "Shipping address".into(),
                "Pay now".into(),
                "Secure checkout by Example Pay".into(),
            ],
            Page::Account => vec!["Your orders".into(), "Sign out".into()],
            Page::Blog(n) => vec![format!("Trail notes #{n}: packing light")],
            Page::Help => vec!["How can we help?".into(), "Returns and refunds".into()],
        }
    }

    fn session(
        &self,
        plan: &Plan,
        index: u64,
        users: u64,
        target: u64,
        rng: &mut Rng,
    ) -> ImportedSession {
        let span_ms = plan.days as i64 * 86_400_000;
        // Later sessions are newer, with more traffic by day than by night (UTC).
        let day_offset = (index as f64 / plan.sessions as f64 * span_ms as f64) as i64;
        let hour = (9.0 + rng.lognormal(1.0, 0.6) * 5.0).min(23.9);
        let start_ms = plan.now_ms - span_ms
            + (day_offset / 86_400_000) * 86_400_000
            + (hour * 3_600_000.0) as i64
            + rng.below(3_600_000) as i64;
        let start_ms = start_ms.min(plan.now_ms - 60_000);
        let user_number = rng.below(users);
        let known = rng.chance(0.6);
        let user_id = known.then(|| format!("user-{user_number:07}"));
        let device_id = if known && rng.chance(0.7) {
            format!("device-{user_number:07}-a")
        } else {
            format!("device-{index:08}")
        };
        let session = SessionRef {
            project_id: plan.project_id,
            device_id: device_id.clone(),
            session_id: start_ms,
        };
        let (browser, os, device, _) = *weighted(rng, AGENTS, |a| a.3);
        let country = (!rng.chance(0.04)).then(|| (*weighted(rng, COUNTRIES, |c| c.1)).0);
        let viewport = (!rng.chance(0.02)).then(|| *rng.pick(VIEWPORTS));
        let trouble = rng.chance(0.08);

        let mut v = Visit {
            site: self,
            session: &session,
            user_id: user_id.clone(),
            t: start_ms,
            events: Vec::new(),
            texts: Vec::new(),
            urls: Vec::new(),
            facts: SessionFacts::default(),
            target: target as usize,
        };
        if let Some(user) = &user_id
            && rng.chance(0.5)
        {
            let plan_name = *weighted(
                rng,
                &[("free", 70u32), ("pro", 25), ("enterprise", 5)],
                |p| p.1,
            );
            v.sdk(
                "$identify",
                json!({}),
                json!({"$set": {
                    "plan": plan_name.0,
                    "signup_year": 2019 + (user_number % 7),
                    "age": 18 + (user_number * 7919 % 50),
                    "newsletter": user_number % 3 == 0,
                    "email": format!("{user}@example.com"),
                }}),
            );
        }
        let mut page = if rng.chance(0.7) {
            Page::Home
        } else {
            Page::Product(rng.below(self.products.len() as u64) as usize)
        };
        while v.events.len() < v.target {
            v.view(page, rng);
            page = v.act(page, trouble, rng);
        }
        v.events.truncate(v.target);
        let duration_ms = (v.t - start_ms).max(1_000) + rng.below(20_000) as i64;
        v.facts.active_ms = (duration_ms as f64 * (0.3 + 0.6 * rng.unit())) as i64;
        v.facts.mouse_activity_count = v.facts.click_count * 12 + rng.below(40) as i64;
        let first_url = v.urls.first().cloned();
        let Visit {
            events,
            texts,
            urls,
            facts,
            ..
        } = v;
        ImportedSession {
            session,
            start_ms,
            end_ms: start_ms + duration_ms,
            first_url,
            country: country.map(str::to_owned),
            user_agent: Some(UserAgent {
                header: format!("{browser} on {os}"),
                browser: browser.into(),
                os: os.into(),
                device: device.into(),
            }),
            facts,
            urls,
            viewport,
            events,
            texts,
        }
    }
}

fn singular(category: &str) -> String {
    let s = category.trim_end_matches('s');
    let mut c = s.chars();
    c.next()
        .map(|f| f.to_uppercase().chain(c).collect())
        .unwrap_or_default()
}

fn weighted<'a, T>(rng: &mut Rng, items: &'a [T], weight: impl Fn(&T) -> u32) -> &'a T {
    let total: u32 = items.iter().map(&weight).sum();
    let mut at = rng.below(total as u64) as u32;
    for item in items {
        let w = weight(item);
        if at < w {
            return item;
        }
        at -= w;
    }
    &items[items.len() - 1]
}

/// A visit being written: its events, text, URLs and facts kept in agreement.
struct Visit<'a> {
    site: &'a Site,
    session: &'a SessionRef,
    user_id: Option<String>,
    t: i64,
    events: Vec<AnalyticsEvent>,
    texts: Vec<SessionText>,
    urls: Vec<String>,
    facts: SessionFacts,
    target: usize,
}

const BASE: &str = "https://shop.example.com";

impl Visit<'_> {
    fn replay_id(&self) -> String {
        format!("{}/{}", self.session.device_id, self.session.session_id)
    }

    fn push(
        &mut self,
        kind: &str,
        props: Value,
        user_props: Value,
        derived: bool,
        name: Option<String>,
    ) {
        let n = self.events.len();
        let mut props = props;
        if derived {
            props["[Amplitude] Session Replay ID"] = json!(self.replay_id());
        }
        let raw = if derived {
            String::new()
        } else {
            json!({
                "event_type": kind, "time": self.t, "device_id": self.session.device_id,
                "user_id": self.user_id, "session_id": self.session.session_id,
                "event_properties": props, "user_properties": user_props,
                "insert_id": format!("g-{}-{}-{n}", self.session.device_id, self.session.session_id),
                "platform": "Web", "library": "reel-js/1.0.0",
            })
            .to_string()
        };
        self.events.push(AnalyticsEvent {
            insert_id: Some(format!(
                "g-{}-{}-{n}",
                self.session.device_id, self.session.session_id
            )),
            event_type: kind.into(),
            time_ms: self.t,
            device_id: Some(self.session.device_id.clone()),
            user_id: self.user_id.clone(),
            session_id: Some(self.session.session_id),
            event_properties: props.to_string(),
            user_properties: user_props.to_string(),
            raw,
            display_name: name,
            derived,
        });
    }

    fn sdk(&mut self, kind: &str, props: Value, user_props: Value) {
        self.push(kind, props, user_props, false, None);
    }

    fn derived(&mut self, kind: &str, props: Value, name: String) {
        self.push(kind, props, json!({}), true, Some(name));
    }

    fn text(&mut self, text: String, level: Option<&str>) {
        self.texts.push(SessionText {
            console_level: level.map(str::to_owned),
            ts_ms: self.t,
            text,
        });
    }

    fn view(&mut self, page: Page, rng: &mut Rng) {
        self.t += 800 + rng.below(4_000) as i64;
        let path = self.site.path(page);
        let url = format!("{BASE}{path}");
        if !self.urls.contains(&url) {
            self.urls.push(url.clone());
            self.facts.page_view_count += 1;
            for text in self.site.texts(page) {
                self.text(text, None);
            }
            if self.urls.len() == 1 {
                for text in ["Reel Outfitters", "Cart", "Sign in", "© Reel Outfitters"] {
                    self.text(text.into(), None);
                }
            }
        }
        self.derived(
            "[reel] Page Viewed",
            json!({"[reel] Page URL": url, "[reel] Page Path": path}),
            format!("Viewed {path}"),
        );
        if let Page::Product(p) = page {
            let product = &self.site.products[p];
            self.sdk(
                "Product Viewed",
                json!({"product_id": product.id, "name": product.name, "category": product.category, "price": product.price}),
                json!({}),
            );
        }
    }

    /// A click on an element of the page; rage, dead and error clicks come with theirs.
    fn click(&mut self, page: Page, element: Element, rng: &mut Rng) {
        self.t += 400 + rng.below(3_000) as i64;
        self.facts.click_count += 1;
        let url = format!("{BASE}{}", self.site.path(page));
        let props = json!({
            "[reel] Page URL": url,
            "[reel] Element Tag": element.tag,
            "[reel] Element Text": element.text,
            "[reel] Element Selector": element.selector,
            "[reel] Element Classes": element.classes,
            "[reel] Element Interactive": true,
        });
        let name = format!("Clicked '{}' {}", element.text, element.noun);
        self.derived("[reel] Element Clicked", props.clone(), name);
        if element.broken {
            if rng.chance(0.5) {
                self.facts.rage_click_count += 1;
                self.facts.click_count += 3;
                self.derived(
                    "[reel] Rage Click",
                    props.clone(),
                    format!("Rage clicked '{}' {}", element.text, element.noun),
                );
            }
            if rng.chance(0.4) {
                self.facts.dead_click_count += 1;
                self.derived(
                    "[reel] Dead Click",
                    props.clone(),
                    format!("Dead click on '{}' {}", element.text, element.noun),
                );
            }
            if element.tag == "button" && rng.chance(0.5) {
                self.facts.error_click_count += 1;
                self.facts.runtime_error_count += 1;
                self.facts.console_error_count += 1;
                let message = CONSOLE_ERRORS[2];
                self.derived(
                    "[reel] Error Click",
                    props,
                    format!("Error after clicking '{}'", element.text),
                );
                self.derived(
                    "[reel] Runtime Error",
                    json!({"[reel] Message": message, "[reel] Page URL": url}),
                    format!("Runtime error: {message}"),
                );
                self.text(message.into(), Some("error"));
            }
        }
    }

    /// Does something on the page and says where the visit goes next.
    fn act(&mut self, page: Page, trouble: bool, rng: &mut Rng) -> Page {
        let products = self.site.products.len() as u64;
        let nav = Element::nav(rng.below(4) as usize);
        match page {
            Page::Home => {
                if rng.chance(0.5) {
                    let c = rng.below(CATEGORIES.len() as u64) as usize;
                    self.click(page, nav, rng);
                    Page::Category(c)
                } else if rng.chance(0.2) {
                    let q = rng.below(SEARCHES.len() as u64) as usize;
                    self.sdk("Search", json!({"query": SEARCHES[q]}), json!({}));
                    Page::Search(q)
                } else if trouble && rng.chance(0.3) {
                    self.click(page, Element::promo(), rng);
                    Page::Home
                } else {
                    let p = rng.below(products) as usize;
                    self.click(page, Element::card(p % 12), rng);
                    Page::Product(p)
                }
            }
            Page::Category(c) => {
                let p =
                    (rng.below(products / CATEGORIES.len() as u64) as usize) * CATEGORIES.len() + c;
                self.click(page, Element::card(p % 12), rng);
                Page::Product(p.min(products as usize - 1))
            }
            Page::Search(_) => {
                let p = rng.below(products) as usize;
                self.click(page, Element::card(p % 12), rng);
                Page::Product(p)
            }
            Page::Product(p) => {
                if rng.chance(0.45) {
                    self.click(page, Element::add_to_cart(), rng);
                    let product = &self.site.products[p];
                    self.sdk(
                        "Add to cart",
                        json!({"product_id": product.id, "price": product.price, "quantity": 1 + rng.below(2), "category": product.category}),
                        json!({}),
                    );
                    if rng.chance(0.6) {
                        Page::Cart
                    } else {
                        Page::Home
                    }
                } else if rng.chance(0.3) {
                    self.click(page, nav, rng);
                    Page::Category(rng.below(CATEGORIES.len() as u64) as usize)
                } else {
                    Page::Product(rng.below(products) as usize)
                }
            }
            Page::Cart => {
                self.click(page, Element::to_checkout(), rng);
                self.sdk(
                    "Checkout Started",
                    json!({"items": 1 + rng.below(4), "total": 20 + rng.below(900)}),
                    json!({}),
                );
                Page::Checkout
            }
            Page::Checkout => {
                self.facts.keypress_count += 20 + rng.below(40) as i64;
                self.click(page, Element::pay(trouble), rng);
                if trouble {
                    self.facts.network_error_count += 1;
                    self.facts.console_error_count += 1;
                    let message = CONSOLE_ERRORS[0];
                    self.derived(
                        "[reel] Network Error",
                        json!({"[reel] URL": format!("{BASE}/api/pay"), "[reel] Method": "POST", "[reel] Status": 503}),
                        "Request failed: POST /api/pay (503)".into(),
                    );
                    self.derived(
                        "[reel] Console Error",
                        json!({"[reel] Message": message, "[reel] Level": "error"}),
                        format!("Console error: {message}"),
                    );
                    self.text(message.into(), Some("error"));
                    self.text("Payment failed. Please try again.".into(), None);
                    if rng.chance(0.5) {
                        Page::Help
                    } else {
                        Page::Checkout
                    }
                } else {
                    let coupon = rng.chance(0.15).then(|| "SPRING15");
                    self.sdk(
                        "Purchase",
                        json!({"total": 20 + rng.below(900), "currency": "USD", "items": 1 + rng.below(4), "coupon": coupon}),
                        json!({"$add": {"purchases": 1}}),
                    );
                    self.text("Thank you for your order!".into(), None);
                    Page::Account
                }
            }
            Page::Account | Page::Help => {
                if rng.chance(0.2) {
                    self.t += 500;
                    self.facts.console_warn_count += 1;
                    let warning = *rng.pick(CONSOLE_WARNINGS);
                    self.text(warning.into(), Some("warn"));
                }
                if rng.chance(0.5) {
                    Page::Blog(rng.below(50) as u32)
                } else {
                    Page::Home
                }
            }
            Page::Blog(_) => {
                self.click(page, nav, rng);
                Page::Home
            }
        }
    }
}

/// An element a visitor can click, with what reel records of it.
struct Element {
    tag: &'static str,
    text: String,
    selector: String,
    classes: Vec<&'static str>,
    noun: &'static str,
    /// It does not work: rage, dead and error clicks.
    broken: bool,
}

impl Element {
    fn nav(n: usize) -> Self {
        let labels = ["Tents", "Packs", "Boots", "Sale"];
        Self {
            tag: "a",
            text: labels[n].into(),
            selector: format!(
                "body > header.site-header > nav.site-nav > a.nav-link:nth-of-type({})",
                n + 1
            ),
            classes: vec!["nav-link"],
            noun: "link",
            broken: false,
        }
    }

    fn card(n: usize) -> Self {
        Self {
            tag: "a",
            text: "View product".into(),
            selector: format!(
                "body > main.section > div.product-grid > a.product-card:nth-of-type({})",
                n + 1
            ),
            classes: vec!["product-card"],
            noun: "link",
            broken: false,
        }
    }

    fn promo() -> Self {
        Self {
            tag: "div",
            text: "Spring sale: 15% off".into(),
            selector: "body > main.section > div.promo-banner".into(),
            classes: vec!["promo-banner"],
            noun: "banner",
            broken: true,
        }
    }

    fn add_to_cart() -> Self {
        Self {
            tag: "button",
            text: "Add to cart".into(),
            selector: "div#product > form.buy > button.btn.add-to-cart".into(),
            classes: vec!["btn", "add-to-cart"],
            noun: "button",
            broken: false,
        }
    }

    fn to_checkout() -> Self {
        Self {
            tag: "a",
            text: "Proceed to checkout".into(),
            selector: "div#cart > a.btn.checkout".into(),
            classes: vec!["btn", "checkout"],
            noun: "link",
            broken: false,
        }
    }

    fn pay(broken: bool) -> Self {
        Self {
            tag: "button",
            text: "Pay now".into(),
            selector: "div#checkout > form.checkout-form > button.btn.btn-primary.pay".into(),
            classes: vec!["btn", "btn-primary", "pay"],
            noun: "button",
            broken,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sessions_hold_what_was_asked_and_agree_with_themselves() {
        let plan = Plan {
            project_id: 1,
            sessions: 200,
            events: 4_000,
            days: 30,
            seed: 1,
            now_ms: 1_767_225_600_000,
        };
        let site = Site::new();
        let mut rng = Rng::new(plan.seed);
        let mut total = 0;
        for i in 0..plan.sessions {
            let s = site.session(&plan, i, 50, 20, &mut rng);
            assert_eq!(s.events.len(), 20);
            total += s.events.len();
            assert!(
                s.start_ms >= plan.now_ms - 30 * 86_400_000 && s.start_ms < plan.now_ms,
                "{}",
                s.start_ms
            );
            assert!(s.end_ms > s.start_ms && s.facts.active_ms <= s.end_ms - s.start_ms);
            let rage = s
                .events
                .iter()
                .filter(|e| e.event_type == "[reel] Rage Click")
                .count() as i64;
            assert!(rage <= s.facts.rage_click_count, "rage clicks counted");
            assert!(s.events.iter().all(|e| e.derived == e.raw.is_empty()));
            assert!(!s.urls.is_empty() && s.first_url == s.urls.first().cloned());
        }
        assert_eq!(total, 4_000);
        // The same seed makes the same sessions.
        let again = site.session(&plan, 0, 50, 20, &mut Rng::new(plan.seed));
        let first = site.session(&plan, 0, 50, 20, &mut Rng::new(plan.seed));
        assert_eq!(again.events.len(), first.events.len());
        assert_eq!(again.session, first.session);
    }
}
