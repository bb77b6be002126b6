//! A project's definitions of frustration signals and activity: the values that differ from
//! reel's defaults (`reel_rrweb::signals::Settings`), kept with the project as JSON. The
//! processing stage applies them; `reel reprocess` recomputes stored sessions after a change.

use reel_rrweb::signals::Settings;
use serde::{Deserialize, Serialize};

/// Frustration-signal and activity definitions (docs/signals.md). Sent: each field given
/// overrides the one in effect; answered: every definition with the value in effect.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SignalDefinitions {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub idle_threshold_ms: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rage_min_clicks: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rage_max_interval_ms: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rage_max_distance_px: Option<f64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dead_mutation_window_ms: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dead_scroll_window_ms: Option<i64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error_click_window_ms: Option<i64>,
}

impl SignalDefinitions {
    /// Reads a project's stored definitions; anything unreadable counts as the defaults.
    pub fn from_stored(json: &str) -> Self {
        serde_json::from_str(json).unwrap_or_default()
    }

    /// Checks every value given is in a sensible range; the message names the first that is not.
    pub fn validate(&self) -> Result<(), String> {
        let window = |name: &str, v: Option<i64>, max: i64| match v {
            Some(v) if !(0..=max).contains(&v) => {
                Err(format!("{name} must be between 0 and {max} ms"))
            }
            _ => Ok(()),
        };
        window("idle_threshold_ms", self.idle_threshold_ms, 600_000)?;
        window("rage_max_interval_ms", self.rage_max_interval_ms, 10_000)?;
        window(
            "dead_mutation_window_ms",
            self.dead_mutation_window_ms,
            60_000,
        )?;
        window("dead_scroll_window_ms", self.dead_scroll_window_ms, 10_000)?;
        window("error_click_window_ms", self.error_click_window_ms, 60_000)?;
        if self.rage_min_clicks.is_some_and(|n| !(2..=50).contains(&n)) {
            return Err("rage_min_clicks must be between 2 and 50".into());
        }
        if self
            .rage_max_distance_px
            .is_some_and(|d| !(0.0..=10_000.0).contains(&d))
        {
            return Err("rage_max_distance_px must be between 0 and 10000".into());
        }
        Ok(())
    }

    /// The analyzer's settings: the defaults with these values applied.
    pub fn settings(&self) -> Settings {
        let mut s = Settings::default();
        if let Some(v) = self.idle_threshold_ms {
            s.idle_threshold_ms = v;
        }
        if let Some(v) = self.rage_min_clicks {
            s.rage_min_clicks = v;
        }
        if let Some(v) = self.rage_max_interval_ms {
            s.rage_max_interval_ms = v;
        }
        if let Some(v) = self.rage_max_distance_px {
            s.rage_max_distance_px = v;
        }
        if let Some(v) = self.dead_mutation_window_ms {
            s.dead_mutation_window_ms = v;
        }
        if let Some(v) = self.dead_scroll_window_ms {
            s.dead_scroll_window_ms = v;
        }
        if let Some(v) = self.error_click_window_ms {
            s.error_click_window_ms = v;
        }
        s
    }

    /// Every definition with the value in effect.
    pub fn effective(&self) -> SignalDefinitions {
        let s = self.settings();
        SignalDefinitions {
            idle_threshold_ms: Some(s.idle_threshold_ms),
            rage_min_clicks: Some(s.rage_min_clicks),
            rage_max_interval_ms: Some(s.rage_max_interval_ms),
            rage_max_distance_px: Some(s.rage_max_distance_px),
            dead_mutation_window_ms: Some(s.dead_mutation_window_ms),
            dead_scroll_window_ms: Some(s.dead_scroll_window_ms),
            error_click_window_ms: Some(s.error_click_window_ms),
        }
    }

    /// These definitions with `other`'s given values on top.
    pub fn merged(&self, other: &SignalDefinitions) -> SignalDefinitions {
        SignalDefinitions {
            idle_threshold_ms: other.idle_threshold_ms.or(self.idle_threshold_ms),
            rage_min_clicks: other.rage_min_clicks.or(self.rage_min_clicks),
            rage_max_interval_ms: other.rage_max_interval_ms.or(self.rage_max_interval_ms),
            rage_max_distance_px: other.rage_max_distance_px.or(self.rage_max_distance_px),
            dead_mutation_window_ms: other
                .dead_mutation_window_ms
                .or(self.dead_mutation_window_ms),
            dead_scroll_window_ms: other.dead_scroll_window_ms.or(self.dead_scroll_window_ms),
            error_click_window_ms: other.error_click_window_ms.or(self.error_click_window_ms),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn definitions_cases() {
        let cases: Vec<(&str, Result<(u32, i64), &str>)> = vec![
            ("{}", Ok((3, 2500))),
            (r#"{"rage_min_clicks": 4}"#, Ok((4, 2500))),
            (r#"{"dead_mutation_window_ms": 3000}"#, Ok((3, 3000))),
            (
                r#"{"rage_min_clicks": 1}"#,
                Err("rage_min_clicks must be between 2 and 50"),
            ),
            (
                r#"{"dead_mutation_window_ms": -1}"#,
                Err("dead_mutation_window_ms must be between"),
            ),
        ];
        for (json, want) in cases {
            let d: SignalDefinitions = serde_json::from_str(json).unwrap();
            match (d.validate(), want) {
                (Ok(()), Ok((rage, dead))) => {
                    let s = d.settings();
                    assert_eq!(
                        (s.rage_min_clicks, s.dead_mutation_window_ms),
                        (rage, dead),
                        "{json}"
                    );
                }
                (Err(e), Err(msg)) => assert!(e.contains(msg), "{json}: {e}"),
                (got, want) => panic!("{json}: {got:?} vs {want:?}"),
            }
        }
        assert!(serde_json::from_str::<SignalDefinitions>(r#"{"rage": 1}"#).is_err());
        assert_eq!(
            SignalDefinitions::from_stored("not json"),
            SignalDefinitions::default()
        );
        let a = SignalDefinitions {
            rage_min_clicks: Some(4),
            ..Default::default()
        };
        let b = SignalDefinitions {
            error_click_window_ms: Some(500),
            ..Default::default()
        };
        let m = a.merged(&b);
        assert_eq!(
            (m.rage_min_clicks, m.error_click_window_ms),
            (Some(4), Some(500))
        );
    }
}
