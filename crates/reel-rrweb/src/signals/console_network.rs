//! Console and network records in the analyzer: console log/warn/error counts, Console Error
//! and Runtime Error events (a runtime error also decides error clicks), Network Error events
//! and the console texts. What a record holds is read by [`crate::devtools`].

use serde_json::Map;

use super::derived::put;
use super::{Analyzer, DerivedKind, Fact, Item, MAX_URL_BYTES};
use crate::devtools::{ConsoleRecord, NetworkRequest, Recorded, Severity};
use crate::json::truncate_str;
use crate::text::{collapse, ellipsize, strip_url, url_path};

impl Analyzer {
    pub(super) fn on_console(&mut self, ts: i64, record: &ConsoleRecord<'_>) {
        let level = record.level_key();
        let message = record.message_prefix(self.settings.console_item_max_bytes);
        match record.severity() {
            Severity::Error => {
                self.count(ts, Fact::ConsoleErrorCount, 1);
                let mut props = Map::new();
                put(&mut props, "[reel] Page URL", self.page_url.clone());
                let short = ellipsize(&message, self.settings.message_max_chars);
                props.insert("[reel] Message".into(), short.clone().into());
                props.insert("[reel] Level".into(), level.clone().into());
                if record.is_runtime_error() {
                    self.count(ts, Fact::RuntimeErrorCount, 1);
                    let name = format!("Runtime error: {}", ellipsize(&message, 80));
                    self.event(ts, DerivedKind::RuntimeError, name, None, props);
                    self.error_click(ts, &short);
                } else {
                    let name = format!("Console error: {}", ellipsize(&message, 80));
                    self.event(ts, DerivedKind::ConsoleError, name, None, props);
                }
            }
            Severity::Warning => self.count(ts, Fact::ConsoleWarnCount, 1),
            Severity::Log => self.count(ts, Fact::ConsoleLogCount, 1),
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

    pub(super) fn on_network(&mut self, ts: i64, requests: &[NetworkRequest<'_>]) {
        for r in requests {
            if !r.is_error() {
                continue;
            }
            let status = r.status;
            self.count(ts, Fact::NetworkErrorCount, 1);
            let method = r
                .method
                .and_then(|m| m.as_str())
                .map(|m| truncate_str(&m.decode_prefix(32), 16).to_ascii_uppercase())
                .unwrap_or_else(|| "GET".to_owned());
            // Only `name`: the timeline also shows `url` (rrweb's own plugin writes it), but
            // reading it here would change the derived events of recordings already processed.
            let url = r
                .name
                .and_then(|n| n.as_str())
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
                r.initiator_type
                    .and_then(|t| t.as_str())
                    .map(|t| collapse(&t.decode_prefix(64), 32)),
            );
            if let Some(Recorded::Str(e)) = r.error {
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
