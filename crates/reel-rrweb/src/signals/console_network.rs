//! Console and network records in the analyzer: console log/warn/error counts, Console Error
//! and Runtime Error events (a runtime error also decides error clicks), Network Error events
//! and the console texts. What a record holds is read by [`crate::devtools`].

use serde_json::Map;

use super::derived::put;
use super::{Analyzer, DerivedKind, Fact, Item, MAX_URL_BYTES};
use crate::devtools::{Console, ConsoleArg, Request};
use crate::json::{JsonStr, Parser, truncate_str};
use crate::text::{collapse, ellipsize, strip_url, url_path};

impl Analyzer {
    pub(super) fn on_console(&mut self, ts: i64, c: &Console<'_>) {
        let level = c
            .level
            .map(|l| truncate_str(&l.decode_prefix(32), 16).to_ascii_lowercase())
            .unwrap_or_else(|| "log".to_owned());
        let max = self.settings.console_item_max_bytes;
        let message = console_message(&c.args, max);
        match level.as_str() {
            "error" | "assert" => {
                self.count(ts, Fact::ConsoleErrorCount, 1);
                let mut props = Map::new();
                put(&mut props, "[reel] Page URL", self.page_url.clone());
                let short = ellipsize(&message, self.settings.message_max_chars);
                props.insert("[reel] Message".into(), short.clone().into());
                props.insert("[reel] Level".into(), level.clone().into());
                if is_runtime_error(&c.args) {
                    self.count(ts, Fact::RuntimeErrorCount, 1);
                    let name = format!("Runtime error: {}", ellipsize(&message, 80));
                    self.event(ts, DerivedKind::RuntimeError, name, None, props);
                    self.error_click(ts, &short);
                } else {
                    let name = format!("Console error: {}", ellipsize(&message, 80));
                    self.event(ts, DerivedKind::ConsoleError, name, None, props);
                }
            }
            "warn" | "warning" => self.count(ts, Fact::ConsoleWarnCount, 1),
            _ => self.count(ts, Fact::ConsoleLogCount, 1),
        }
        if message.is_empty() {
            return;
        }
        let key = format!("{level}\u{0}{message}");
        let s = &self.settings;
        if self.console.admit(
            key.as_bytes(),
            message.len(),
            s.console_budget_bytes,
            s.console_max_items,
        ) {
            self.emit(
                ts,
                Item::ConsoleText {
                    level,
                    text: message,
                },
            );
        }
    }

    pub(super) fn on_network(&mut self, ts: i64, requests: &[Request<'_>]) {
        for r in requests {
            let status = r.status.filter(|s| s.is_finite());
            let failed = r.error.is_some() || status.is_some_and(|s| s == 0.0 || s >= 400.0);
            if !failed {
                continue;
            }
            self.count(ts, Fact::NetworkErrorCount, 1);
            let method = r
                .method
                .map(|m| truncate_str(&m.decode_prefix(32), 16).to_ascii_uppercase())
                .unwrap_or_else(|| "GET".to_owned());
            let url = r
                .name
                .map(|n| strip_url(&n.decode_prefix(MAX_URL_BYTES * 2), MAX_URL_BYTES).to_owned())
                .unwrap_or_default();
            let mut props = Map::new();
            put(&mut props, "[reel] Page URL", self.page_url.clone());
            props.insert("[reel] Method".into(), method.clone().into());
            put(&mut props, "[reel] URL", Some(url.clone()));
            if let Some(s) = status {
                props.insert("[reel] Status".into(), (s as i64).into());
            }
            if let Some(d) = r.duration.filter(|d| d.is_finite() && *d >= 0.0) {
                props.insert("[reel] Duration".into(), (d.round() as i64).into());
            }
            put(
                &mut props,
                "[reel] Initiator Type",
                r.initiator_type.map(|t| collapse(&t.decode_prefix(64), 32)),
            );
            if let Some(e) = r.error {
                let text = collapse(&e.decode_prefix(4096), self.settings.message_max_chars);
                put(&mut props, "[reel] Error", Some(text));
            }
            let target = if url.is_empty() {
                "request".to_owned()
            } else {
                ellipsize(url_path(&url), 80)
            };
            let name = match status {
                Some(s) if s > 0.0 => format!("Request failed: {method} {target} ({})", s as i64),
                _ => format!("Request failed: {method} {target}"),
            };
            self.event(ts, DerivedKind::NetworkError, name, None, props);
        }
    }
}

/// A console record's message: its arguments (each a JSON-stringified value; strings shown
/// without quotes) joined by spaces, whitespace collapsed, at most `max_bytes`.
fn console_message(args: &[ConsoleArg<'_>], max_bytes: usize) -> String {
    let mut out = String::new();
    for arg in args {
        if out.len() >= max_bytes {
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        let remaining = max_bytes.saturating_sub(out.len());
        match arg {
            ConsoleArg::Str(s) => out.push_str(&console_arg_text(*s, remaining)),
            ConsoleArg::Raw(raw) => out.push_str(truncate_str(raw, remaining)),
        }
    }
    let mut text = collapse(&out, max_bytes);
    text.truncate(crate::json::floor_char_boundary(&text, max_bytes));
    text
}

/// One console argument as text: the plugin JSON-stringifies every value, so a string
/// argument arrives as `"\"text\""`; it is shown as `text`.
fn console_arg_text(arg: JsonStr<'_>, max_bytes: usize) -> String {
    let decoded = arg.decode_prefix(max_bytes.saturating_mul(2).saturating_add(8));
    let mut p = Parser::new(&decoded);
    if p.peek() == Some(b'"')
        && let Ok(Some(inner)) = p.str_value()
    {
        return inner.decode_prefix(max_bytes).into_owned();
    }
    truncate_str(&decoded, max_bytes).to_owned()
}

/// An uncaught error or unhandled rejection (see the module documentation).
fn is_runtime_error(args: &[ConsoleArg<'_>]) -> bool {
    let Some(ConsoleArg::Str(first)) = args.first() else {
        return false;
    };
    let text = console_arg_text(*first, 64);
    let text = text.trim_start();
    text.get(..9)
        .is_some_and(|p| p.eq_ignore_ascii_case("uncaught "))
        || text == "Script error."
}
