//! A tolerant view of one rrweb event.
//!
//! rrweb's format grows with every release and recordings come from many SDK versions, so
//! reel reads only `type`, `timestamp` and the few fields it derives facts from, and keeps the
//! event's original JSON text untouched for the player.

use serde::Deserialize;
use serde_json::value::RawValue;

use crate::model::EventType;

/// One recorded event: its kind, its time and its JSON exactly as received.
#[derive(Debug, Clone)]
pub struct Event {
    pub kind: EventType,
    /// Epoch milliseconds. rrweb writes integers; floats from other recorders are truncated.
    pub timestamp: i64,
    /// For Meta events: the page URL (`data.href`).
    pub href: Option<String>,
    json: Box<RawValue>,
}

#[derive(Debug, Clone, thiserror::Error, PartialEq, Eq)]
pub enum EventError {
    #[error("event is not a JSON object: {0}")]
    NotJson(String),
    #[error("event has no numeric `type`")]
    MissingType,
    #[error("event has no numeric `timestamp`")]
    MissingTimestamp,
}

#[derive(Deserialize)]
struct Head<'a> {
    #[serde(rename = "type")]
    kind: Option<serde_json::Value>,
    timestamp: Option<serde_json::Value>,
    #[serde(borrow)]
    data: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct MetaData {
    href: Option<String>,
}

impl Event {
    /// Parses one event from its JSON text, keeping the text as it is.
    pub fn parse(text: &str) -> Result<Self, EventError> {
        let json = RawValue::from_string(text.trim().to_owned())
            .map_err(|e| EventError::NotJson(e.to_string()))?;
        Self::from_raw(json)
    }

    pub fn from_raw(json: Box<RawValue>) -> Result<Self, EventError> {
        let head: Head<'_> =
            serde_json::from_str(json.get()).map_err(|e| EventError::NotJson(e.to_string()))?;
        let kind = head
            .kind
            .and_then(|n| n.as_i64())
            .map(EventType::from_code)
            .ok_or(EventError::MissingType)?;
        let timestamp = head
            .timestamp
            .and_then(|n| n.as_i64().or_else(|| n.as_f64().map(|f| f as i64)))
            .ok_or(EventError::MissingTimestamp)?;
        let href = match (kind, head.data) {
            (EventType::Meta, Some(data)) => serde_json::from_str::<MetaData>(data.get())
                .ok()
                .and_then(|m| m.href),
            _ => None,
        };
        Ok(Self {
            kind,
            timestamp,
            href,
            json,
        })
    }

    /// The event's JSON exactly as recorded.
    pub fn json(&self) -> &str {
        self.json.get()
    }
}

#[cfg(test)]
#[path = "event_tests.rs"]
mod tests;
