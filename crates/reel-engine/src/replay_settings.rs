//! A project's Session Replay settings: what the SDKs capture (console logs, network errors,
//! the share of sessions, how much is masked, what is left out, which pages are never
//! recorded), kept with the project as JSON and delivered to reel's SDK and Amplitude's through
//! the remote configuration ([`ReplaySettings::sdk_config`]). They apply to captures that start
//! after an SDK fetched them; stored recordings are not changed.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

/// How much of a page the SDKs mask, as Amplitude's SDK names its levels.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum PrivacyLevel {
    /// Only sensitive inputs (passwords, emails, phone numbers, card fields) are masked.
    Light,
    /// Every input is masked; text is shown.
    #[default]
    Medium,
    /// Every input and all text are masked.
    Conservative,
}

/// What the SDKs of a project capture. Missing fields of a stored value are the defaults.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(default)]
pub struct ReplaySettings {
    /// Record console logs (`log`, `info`, `warn`, `error`).
    pub console_logs: bool,
    /// Record failed network requests.
    pub network_errors: bool,
    /// Share of sessions recorded, 0 to 1.
    pub sample_rate: f64,
    pub privacy_level: PrivacyLevel,
    /// Elements matching this CSS selector have their text and inputs masked.
    pub mask_selector: String,
    /// Elements matching this CSS selector are not recorded at all.
    pub block_selector: String,
    /// Elements matching this CSS selector are shown unmasked (password fields stay masked).
    pub unmask_selector: String,
    /// Sessions shorter than this are not uploaded (at most 60 000 ms, as Amplitude's SDK
    /// allows).
    pub min_session_ms: u32,
    /// Pages whose URL matches one of these patterns (`*` matches any characters) are not
    /// recorded.
    pub blocked_urls: Vec<String>,
}

impl Default for ReplaySettings {
    fn default() -> Self {
        Self {
            console_logs: true,
            network_errors: true,
            sample_rate: 1.0,
            privacy_level: PrivacyLevel::Medium,
            mask_selector: String::new(),
            block_selector: String::new(),
            unmask_selector: String::new(),
            min_session_ms: 0,
            blocked_urls: Vec::new(),
        }
    }
}

/// The longest selector accepted.
pub const MAX_SELECTOR_CHARS: usize = 1_000;
/// Most blocked URL patterns, and the longest one.
pub const MAX_BLOCKED_URLS: usize = 50;
pub const MAX_URL_PATTERN_CHARS: usize = 500;
/// The longest minimum session duration: what Amplitude's SDK accepts.
pub const MAX_MIN_SESSION_MS: u32 = 60_000;

/// The console levels SDKs record when console logs are on.
const CONSOLE_LEVELS: [&str; 4] = ["info", "log", "warn", "error"];

impl ReplaySettings {
    /// Reads a project's stored settings; anything unreadable counts as the defaults.
    pub fn from_stored(json: &str) -> Self {
        serde_json::from_str(json).unwrap_or_default()
    }

    pub fn to_stored(&self) -> String {
        serde_json::to_string(self).expect("settings serialize")
    }

    /// Checks every value is in range; the message names the first that is not.
    pub fn validate(&self) -> Result<(), String> {
        if !(0.0..=1.0).contains(&self.sample_rate) {
            return Err("sample_rate must be between 0 and 1".into());
        }
        if self.min_session_ms > MAX_MIN_SESSION_MS {
            return Err(format!(
                "min_session_ms must be at most {MAX_MIN_SESSION_MS} (one minute)"
            ));
        }
        for (name, selector) in [
            ("mask_selector", &self.mask_selector),
            ("block_selector", &self.block_selector),
            ("unmask_selector", &self.unmask_selector),
        ] {
            if selector.chars().count() > MAX_SELECTOR_CHARS {
                return Err(format!(
                    "{name} must be at most {MAX_SELECTOR_CHARS} characters"
                ));
            }
            if selector.contains(['{', '}']) {
                return Err(format!("{name} must be a CSS selector, without braces"));
            }
        }
        if self.blocked_urls.len() > MAX_BLOCKED_URLS {
            return Err(format!(
                "blocked_urls may hold at most {MAX_BLOCKED_URLS} patterns"
            ));
        }
        for pattern in &self.blocked_urls {
            if pattern.trim().is_empty() || pattern.chars().count() > MAX_URL_PATTERN_CHARS {
                return Err(format!(
                    "each blocked URL must be 1 to {MAX_URL_PATTERN_CHARS} characters"
                ));
            }
        }
        Ok(())
    }

    /// The blocked URL patterns, ready to match.
    pub fn blocked(&self) -> reel_rrweb::url_pattern::UrlPatterns {
        reel_rrweb::url_pattern::UrlPatterns::new(&self.blocked_urls)
    }

    /// `configs.sessionReplay` of the remote configuration: Amplitude's fields (its replay SDK
    /// reads `sr_sampling_config`, `sr_privacy_config` and `sr_logging_config`), which reel's SDK
    /// reads too, plus `reel_blocked_urls` for reel's SDK. Amplitude's SDK has no blocked pages:
    /// it gets them as pages masked at its conservative level, and reel drops what arrives from
    /// them. `capture_enabled` is false when the organization is over its quota.
    pub fn sdk_config(&self, capture_enabled: bool) -> Value {
        let selectors = |s: &str| -> Vec<String> {
            let s = s.trim();
            if s.is_empty() {
                Vec::new()
            } else {
                vec![s.to_owned()]
            }
        };
        let mut sampling = json!({
            "capture_enabled": capture_enabled,
            "sample_rate": self.sample_rate,
        });
        if self.min_session_ms > 0 {
            sampling["min_session_duration_ms"] = json!(self.min_session_ms);
        }
        let url_mask_levels: Vec<Value> = self
            .blocked_urls
            .iter()
            .map(|p| json!({"match": p, "maskLevel": "conservative"}))
            .collect();
        json!({
            "sr_sampling_config": sampling,
            "sr_privacy_config": {
                "defaultMaskLevel": self.privacy_level,
                "maskSelector": selectors(&self.mask_selector),
                "blockSelector": selectors(&self.block_selector),
                "unmaskSelector": selectors(&self.unmask_selector),
                "urlMaskLevels": url_mask_levels,
            },
            "sr_logging_config": {
                "console": {"enabled": self.console_logs, "levels": CONSOLE_LEVELS},
                "network": {"enabled": self.network_errors},
            },
            "reel_blocked_urls": self.blocked_urls,
        })
    }

    /// What reel drops from uploads of this project, whatever an SDK sent.
    pub fn capture_rules(&self) -> reel_rrweb::capture_filter::CaptureRules {
        reel_rrweb::capture_filter::CaptureRules {
            console: self.console_logs,
            network: self.network_errors,
            blocked_pages: self.blocked(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (stored JSON, what it reads as, whether it validates)
    type Case = (
        &'static str,
        fn(&ReplaySettings) -> bool,
        Result<(), &'static str>,
    );

    #[test]
    fn stored_settings_cases() {
        let cases: Vec<Case> = vec![
            ("{}", |s| *s == ReplaySettings::default(), Ok(())),
            ("not json", |s| *s == ReplaySettings::default(), Ok(())),
            (
                r#"{"console_logs": false}"#,
                |s| !s.console_logs && s.network_errors,
                Ok(()),
            ),
            (
                r#"{"privacy_level": "conservative"}"#,
                |s| s.privacy_level == PrivacyLevel::Conservative,
                Ok(()),
            ),
            (
                r#"{"sample_rate": 1.5}"#,
                |s| s.sample_rate == 1.5,
                Err("sample_rate must be between 0 and 1"),
            ),
            (
                r#"{"min_session_ms": 60001}"#,
                |_| true,
                Err("min_session_ms must be at most 60000"),
            ),
            (
                r#"{"mask_selector": "a { color: red }"}"#,
                |_| true,
                Err("mask_selector must be a CSS selector"),
            ),
            (
                r#"{"blocked_urls": [" "]}"#,
                |_| true,
                Err("each blocked URL must be"),
            ),
        ];
        for (json, reads, valid) in cases {
            let s = ReplaySettings::from_stored(json);
            assert!(reads(&s), "{json}: {s:?}");
            match (s.validate(), valid) {
                (Ok(()), Ok(())) => {}
                (Err(e), Err(want)) => assert!(e.contains(want), "{json}: {e}"),
                (got, want) => panic!("{json}: {got:?}, wanted {want:?}"),
            }
        }
    }

    #[test]
    fn the_remote_configuration_says_what_the_settings_say() {
        let settings = ReplaySettings {
            console_logs: false,
            network_errors: true,
            sample_rate: 0.25,
            privacy_level: PrivacyLevel::Light,
            mask_selector: ".secret".into(),
            block_selector: String::new(),
            unmask_selector: "#public".into(),
            min_session_ms: 5_000,
            blocked_urls: vec!["https://shop.test/account*".into()],
        };
        let config = settings.sdk_config(true);
        assert_eq!(config["sr_sampling_config"]["capture_enabled"], true);
        assert_eq!(config["sr_sampling_config"]["sample_rate"], 0.25);
        assert_eq!(
            config["sr_sampling_config"]["min_session_duration_ms"],
            5_000
        );
        assert_eq!(config["sr_logging_config"]["console"]["enabled"], false);
        assert_eq!(config["sr_logging_config"]["network"]["enabled"], true);
        assert_eq!(config["sr_privacy_config"]["defaultMaskLevel"], "light");
        assert_eq!(
            config["sr_privacy_config"]["maskSelector"],
            json!([".secret"])
        );
        assert_eq!(config["sr_privacy_config"]["blockSelector"], json!([]));
        assert_eq!(
            config["sr_privacy_config"]["urlMaskLevels"][0]["maskLevel"],
            "conservative"
        );
        assert_eq!(
            config["reel_blocked_urls"],
            json!(["https://shop.test/account*"])
        );
        let over_quota = ReplaySettings::default().sdk_config(false);
        assert_eq!(over_quota["sr_sampling_config"]["capture_enabled"], false);
        assert!(
            over_quota["sr_sampling_config"]
                .get("min_session_duration_ms")
                .is_none()
        );
    }
}
