//! What a browser's developer tools would have shown of a session: console records and network
//! requests, read from the events that carry them:
//!
//! - `rrweb/console@1` plugin events, whose payload is `{level, payload: [arg, ...], trace:
//!   [frame, ...]}` with every logged value JSON-stringified (a logged string arrives as a
//!   string holding a JSON string: `"\"text\""`);
//! - console records of rrweb before 1.0: incremental snapshots of source 11 (`Log`), the same
//!   fields directly in `data`;
//! - `rrweb/network@1` plugin events, `{requests: [...]}`, with the fields rrweb's own plugin
//!   (`url`, `status`), Resource Timing entries (`name`, `responseStatus`, `duration`) and
//!   reel's SDK (`name`, `status`, `duration`, `error`) write, and `method`, `startTime`,
//!   `endTime`, `initiatorType`;
//! - runtime errors: a browser reports an uncaught error or unhandled rejection to the console
//!   plugin as an error-level record whose message starts with `Uncaught ` (see
//!   [`ConsoleRecord::is_runtime_error`]).
//!
//! This is the one reader of these payloads. [`crate::model`] reads them with it (as
//! `Plugin::Console`, `Plugin::Network` and `Incremental::Log`) for the signals analyzer
//! (counts, error events, console texts) and for [`crate::timeline`] (the player's console and
//! network panels). A record keeps each field as recorded ([`Recorded`]); where the two
//! consumers present a field differently (caps, defaults, case, what counts as failed), each
//! has its own accessor or does it itself, and the accessor's documentation says whose it is.
//!
//! Invariants: bounded (at most [`MAX_CONSOLE_ARGS`] arguments and [`MAX_STACK_FRAMES`]
//! frames per record, [`MAX_LIST_ITEMS`] requests per event); strings are borrowed from the
//! event text and decoded only on request; a key given twice counts with its last value.

use std::borrow::Cow;

use serde_json::Value;

use crate::json::{JsonStr, Parser, Res, for_each_field, for_each_item, truncate_str};
use crate::model::MAX_LIST_ITEMS;
use crate::text::collapse;

/// The console plugin's name in `data.plugin`.
pub const CONSOLE_PLUGIN: &str = "rrweb/console@1";
/// The network plugin's name in `data.plugin`.
pub const NETWORK_PLUGIN: &str = "rrweb/network@1";
/// Most console arguments read from one console record.
pub const MAX_CONSOLE_ARGS: usize = 64;
/// Most stack frames read from one console record.
pub const MAX_STACK_FRAMES: usize = 64;

/// A JSON value as recorded: a string (decoded on request) or any other value's JSON text.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Recorded<'a> {
    Str(JsonStr<'a>),
    /// Anything that was not a string, as its JSON text.
    Raw(&'a str),
}

impl<'a> Recorded<'a> {
    pub(crate) fn read(p: &mut Parser<'a>) -> Res<Self> {
        if p.peek() == Some(b'"') {
            Ok(Self::Str(p.str_value()?.unwrap_or_default()))
        } else {
            Ok(Self::Raw(p.raw_value()?))
        }
    }

    /// The string, when the value is one.
    pub fn as_str(&self) -> Option<JsonStr<'a>> {
        match self {
            Self::Str(s) => Some(*s),
            Self::Raw(_) => None,
        }
    }

    /// The value as a field's text: a string decoded, nothing for `null`, anything else as
    /// compact JSON.
    pub fn text(&self) -> String {
        match self {
            Self::Str(s) => s.decode().into_owned(),
            Self::Raw("null") => String::new(),
            Self::Raw(raw) => compact_json(raw),
        }
    }

    fn is_null_or_false(&self) -> bool {
        matches!(self, Self::Raw("null" | "false"))
    }
}

/// How a console level counts: `error` and `assert` are errors (what the console shows in
/// red), `warn` and `warning` warnings, anything else a log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Log,
    Warning,
    Error,
}

/// One console record.
#[derive(Debug, Clone, Default)]
pub struct ConsoleRecord<'a> {
    /// `level`, when it is a string.
    pub level: Option<JsonStr<'a>>,
    /// The logged values (`payload`), each as the plugin wrote it (see the module
    /// documentation), at most [`MAX_CONSOLE_ARGS`].
    pub args: Vec<Recorded<'a>>,
    /// Stack frames (`trace`), at most [`MAX_STACK_FRAMES`].
    pub trace: Vec<Recorded<'a>>,
}

impl<'a> ConsoleRecord<'a> {
    /// Reads `key` of a console record's object when it is one of its fields (`level`,
    /// `payload`, `trace`); returns whether it was (the value is then consumed).
    pub(crate) fn read_field(&mut self, p: &mut Parser<'a>, key: &str) -> Res<bool> {
        match key {
            "level" => self.level = p.str_value()?,
            "payload" => self.args = read_list(p, MAX_CONSOLE_ARGS)?,
            "trace" => self.trace = read_list(p, MAX_STACK_FRAMES)?,
            _ => return Ok(false),
        }
        Ok(true)
    }

    /// The level as recorded; `log` when there is none. For the timeline.
    pub fn level(&self) -> Cow<'a, str> {
        self.level.map_or(Cow::Borrowed("log"), |l| l.decode())
    }

    /// The level lower-cased, at most 16 bytes; `log` when there is none. What the analyzer
    /// keeps with console texts and events.
    pub fn level_key(&self) -> String {
        self.level
            .map(|l| truncate_str(&l.decode_prefix(32), 16).to_ascii_lowercase())
            .unwrap_or_else(|| "log".to_owned())
    }

    pub fn severity(&self) -> Severity {
        match self.level_key().as_str() {
            "error" | "assert" => Severity::Error,
            "warn" | "warning" => Severity::Warning,
            _ => Severity::Log,
        }
    }

    /// An uncaught error or an unhandled rejection: an error-level record whose first argument
    /// starts with `Uncaught ` (Chromium's message for uncaught errors, e.g. `Uncaught
    /// TypeError: ...`, and what the console plugin writes for unhandled rejections, `Uncaught
    /// (in promise) ...`) or is exactly `Script error.` (an opaque cross-origin error).
    /// Nothing else tells one from a `console.error(...)` call.
    pub fn is_runtime_error(&self) -> bool {
        if self.severity() != Severity::Error {
            return false;
        }
        let Some(Recorded::Str(first)) = self.args.first() else {
            return false;
        };
        let text = arg_text_prefix(*first, 64);
        let text = text.trim_start();
        text.get(..9)
            .is_some_and(|p| p.eq_ignore_ascii_case("uncaught "))
            || text == "Script error."
    }

    /// The message as the browser console showed it: the arguments joined by spaces, a logged
    /// string without the quotes `JSON.stringify` gave it, other values as compact JSON. Not
    /// capped (the caller caps it): for the timeline.
    pub fn message(&self) -> String {
        let texts: Vec<String> = self
            .args
            .iter()
            .map(|arg| match arg {
                Recorded::Str(s) => {
                    let recorded = s.decode();
                    serde_json::from_str::<String>(&recorded)
                        .unwrap_or_else(|_| recorded.into_owned())
                }
                Recorded::Raw(raw) => compact_json(raw),
            })
            .collect();
        texts.join(" ")
    }

    /// At most `max_bytes` of the message, whitespace collapsed, reading no more than about
    /// twice that of any argument: for the analyzer's texts and events. An argument longer
    /// than that is only read in part, which is not a whole JSON string, so it is shown as
    /// recorded (quote and escapes included); other values are shown as written.
    pub fn message_prefix(&self, max_bytes: usize) -> String {
        let mut out = String::new();
        for arg in &self.args {
            if out.len() >= max_bytes {
                break;
            }
            if !out.is_empty() {
                out.push(' ');
            }
            let remaining = max_bytes.saturating_sub(out.len());
            match arg {
                Recorded::Str(s) => out.push_str(&arg_text_prefix(*s, remaining)),
                Recorded::Raw(raw) => out.push_str(truncate_str(raw, remaining)),
            }
        }
        let mut text = collapse(&out, max_bytes);
        text.truncate(crate::json::floor_char_boundary(&text, max_bytes));
        text
    }
}

/// One network request.
#[derive(Debug, Clone, Default)]
pub struct NetworkRequest<'a> {
    /// `name`: the URL, as Resource Timing entries and reel's SDK call it.
    pub name: Option<Recorded<'a>>,
    /// `url`, as rrweb's own network plugin calls it.
    pub url: Option<Recorded<'a>>,
    pub method: Option<Recorded<'a>>,
    /// `status`, else `responseStatus` (Resource Timing's name), when a finite number.
    pub status: Option<f64>,
    pub start_time: Option<f64>,
    pub end_time: Option<f64>,
    pub duration: Option<f64>,
    pub initiator_type: Option<Recorded<'a>>,
    /// `error`, whatever its value.
    pub error: Option<Recorded<'a>>,
}

impl<'a> NetworkRequest<'a> {
    /// The URL: `name`, else `url`.
    pub fn address(&self) -> Option<Recorded<'a>> {
        self.name.or(self.url)
    }

    /// An error was recorded: an `error` that is not `null` or `false`.
    pub fn has_error(&self) -> bool {
        self.error.is_some_and(|e| !e.is_null_or_false())
    }

    /// A network error, as the session facts count them: an error was recorded, or the
    /// status is 0 or at least 400.
    pub fn is_error(&self) -> bool {
        self.has_error() || self.status.is_some_and(is_error_status)
    }
}

/// Status 0 (no answer: blocked, offline, aborted by the browser) or 400 and above.
pub fn is_error_status(status: f64) -> bool {
    status == 0.0 || status >= 400.0
}

/// Reads a console record's object (the console plugin's `payload`).
pub(crate) fn parse_console<'a>(p: &mut Parser<'a>) -> Res<ConsoleRecord<'a>> {
    let mut record = ConsoleRecord::default();
    for_each_field(p, |p, key| {
        if !record.read_field(p, key)? {
            p.skip_value()?;
        }
        Ok(())
    })?;
    Ok(record)
}

/// Reads the network plugin's payload. An item of `requests` that is not an object is a
/// request of which nothing is known.
pub(crate) fn parse_network<'a>(p: &mut Parser<'a>) -> Res<Vec<NetworkRequest<'a>>> {
    let mut requests = Vec::new();
    for_each_field(p, |p, key| {
        if key != "requests" {
            return p.skip_value();
        }
        for_each_item(p, MAX_LIST_ITEMS, |p| {
            requests.push(parse_request(p)?);
            Ok(())
        })
    })?;
    Ok(requests)
}

fn parse_request<'a>(p: &mut Parser<'a>) -> Res<NetworkRequest<'a>> {
    let mut r = NetworkRequest::default();
    let mut response_status = None;
    for_each_field(p, |p, key| {
        match key {
            "name" => r.name = Some(Recorded::read(p)?),
            "url" => r.url = Some(Recorded::read(p)?),
            "method" => r.method = Some(Recorded::read(p)?),
            "status" => r.status = p.number()?,
            "responseStatus" => response_status = p.number()?,
            "startTime" => r.start_time = p.number()?,
            "endTime" => r.end_time = p.number()?,
            "duration" => r.duration = p.number()?,
            "initiatorType" => r.initiator_type = Some(Recorded::read(p)?),
            "error" => r.error = Some(Recorded::read(p)?),
            _ => p.skip_value()?,
        }
        Ok(())
    })?;
    r.status = r.status.or(response_status);
    Ok(r)
}

fn read_list<'a>(p: &mut Parser<'a>, max: usize) -> Res<Vec<Recorded<'a>>> {
    let mut items = Vec::new();
    for_each_item(p, MAX_LIST_ITEMS, |p| {
        let item = Recorded::read(p)?;
        if items.len() < max {
            items.push(item);
        }
        Ok(())
    })?;
    Ok(items)
}

/// One string argument as text, from at most about twice `max_bytes` of it: the plugin
/// JSON-stringifies every value, so a logged string arrives as `"\"text\""` and is shown as
/// `text`; anything that does not start with a whole JSON string is shown as recorded.
fn arg_text_prefix(arg: JsonStr<'_>, max_bytes: usize) -> String {
    let decoded = arg.decode_prefix(max_bytes.saturating_mul(2).saturating_add(8));
    let mut p = Parser::new(&decoded);
    if p.peek() == Some(b'"')
        && let Ok(Some(inner)) = p.str_value()
    {
        return inner.decode_prefix(max_bytes).into_owned();
    }
    truncate_str(&decoded, max_bytes).to_owned()
}

/// JSON text as `serde_json` writes it (compact, keys sorted); as written when it is not JSON.
pub(crate) fn compact_json(raw: &str) -> String {
    serde_json::from_str::<Value>(raw).map_or_else(|_| raw.to_owned(), |v| v.to_string())
}

#[cfg(test)]
#[path = "devtools_tests.rs"]
mod tests;
