//! Derived events: their kinds and raw names, deterministic ids (numbered when drained), the
//! readable names shown for them ("Clicked 'Pay now' button") and the element properties
//! they carry. Properties are never empty strings and never hold a typed value.

use serde_json::{Map, Value};

use super::{Analyzer, Item};
use crate::attribution::Element;

/// The kinds of derived events.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DerivedKind {
    PageViewed,
    ElementClicked,
    ElementChanged,
    RageClick,
    DeadClick,
    ErrorClick,
    ConsoleError,
    NetworkError,
    RuntimeError,
}

impl DerivedKind {
    /// The raw event name, with reel's prefix.
    pub fn event_type(self) -> &'static str {
        match self {
            Self::PageViewed => "[reel] Page Viewed",
            Self::ElementClicked => "[reel] Element Clicked",
            Self::ElementChanged => "[reel] Element Changed",
            Self::RageClick => "[reel] Rage Click",
            Self::DeadClick => "[reel] Dead Click",
            Self::ErrorClick => "[reel] Error Click",
            Self::ConsoleError => "[reel] Console Error",
            Self::NetworkError => "[reel] Network Error",
            Self::RuntimeError => "[reel] Runtime Error",
        }
    }

    pub(super) fn slug(self) -> &'static str {
        match self {
            Self::PageViewed => "page-viewed",
            Self::ElementClicked => "element-clicked",
            Self::ElementChanged => "element-changed",
            Self::RageClick => "rage-click",
            Self::DeadClick => "dead-click",
            Self::ErrorClick => "error-click",
            Self::ConsoleError => "console-error",
            Self::NetworkError => "network-error",
            Self::RuntimeError => "runtime-error",
        }
    }
}

/// An analytics event derived from the recording.
#[derive(Debug, Clone, PartialEq)]
pub struct DerivedEvent {
    /// Deterministic: `kind:ts:node:n`, where `n` numbers events of the same kind, time and
    /// node. Unique within a session; prefix it with the session for a global id.
    pub id: String,
    pub kind: DerivedKind,
    /// A readable name, e.g. "Clicked 'Add to cart' button".
    pub display_name: String,
    /// The element's node id, for events about an element.
    pub node_id: Option<i64>,
    /// Properties with `[reel] ...` keys (sorted).
    pub properties: Map<String, Value>,
}

impl DerivedEvent {
    pub fn event_type(&self) -> &'static str {
        self.kind.event_type()
    }
}

impl Analyzer {
    pub(super) fn event(
        &mut self,
        ts: i64,
        kind: DerivedKind,
        display_name: String,
        node_id: Option<i64>,
        properties: Map<String, Value>,
    ) {
        self.emit(
            ts,
            Item::Event(DerivedEvent {
                id: String::new(),
                kind,
                display_name,
                node_id,
                properties,
            }),
        );
    }

    pub(super) fn element_props(&self, props: &mut Map<String, Value>, element: Option<&Element>) {
        put(props, "[reel] Page URL", self.page_url.clone());
        let Some(e) = element else {
            return;
        };
        put(props, "[reel] Element Tag", Some(e.tag.clone()));
        put(props, "[reel] Element Text", e.text.clone());
        put(props, "[reel] Element ID", e.id.clone());
        if !e.classes.is_empty() {
            props.insert(
                "[reel] Element Classes".into(),
                Value::Array(e.classes.iter().cloned().map(Value::String).collect()),
            );
        }
        put(props, "[reel] Element Selector", Some(e.selector.clone()));
        put(props, "[reel] Element Href", e.href.clone());
        put(props, "[reel] Element Role", e.role.clone());
        put(props, "[reel] Element Aria Label", e.aria_label.clone());
        put(props, "[reel] Element Test ID", e.test_id.clone());
        put(props, "[reel] Element Title", e.title.clone());
        put(props, "[reel] Element Alt", e.alt.clone());
        put(props, "[reel] Element Type", e.input_type.clone());
        put(props, "[reel] Element Name", e.name.clone());
        put(props, "[reel] Element Label", e.label.clone());
        props.insert("[reel] Element Interactive".into(), e.interactive.into());
    }
}

pub(super) fn put(props: &mut Map<String, Value>, key: &str, value: Option<String>) {
    if let Some(v) = value.filter(|v| !v.is_empty()) {
        props.insert(key.to_owned(), Value::String(v));
    }
}

pub(super) fn put_xy(props: &mut Map<String, Value>, x: Option<f64>, y: Option<f64>) {
    for (key, v) in [("[reel] X", x), ("[reel] Y", y)] {
        if let Some(v) = v.filter(|v| v.is_finite()) {
            props.insert(key.into(), (v.round() as i64).into());
        }
    }
}

/// "Clicked 'Add to cart' button", "Clicked button", "Clicked element".
pub(super) fn readable(verb: &str, element: Option<&Element>) -> String {
    match element {
        None => format!("{verb} element"),
        Some(e) => match &e.label {
            Some(label) => format!("{verb} '{label}' {}", e.noun()),
            None => format!("{verb} {}", e.noun()),
        },
    }
}
