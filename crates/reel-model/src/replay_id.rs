//! A replay's public id: base64url without padding of Amplitude's replay id
//! `"<device_id>/<session_id>"` — stable, URL-safe, and reversible without a lookup table.
//! The TypeScript codec (`testkit/`) is checked against the same cases
//! (`testdata/replay-ids.json`).

use std::fmt;

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// A replay's id as the API and the UI name it.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct ReplayId(String);

/// Why a text is not a replay id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a replay id")]
pub struct ReplayIdError;

impl ReplayId {
    /// The id of one device's session.
    pub fn of(device_id: &str, session_id: i64) -> Self {
        Self(URL_SAFE_NO_PAD.encode(format!("{device_id}/{session_id}")))
    }

    /// Reads an id as a client sent it: its device id and session id.
    pub fn parse(text: &str) -> Result<(Self, String, i64), ReplayIdError> {
        let bytes = URL_SAFE_NO_PAD
            .decode(text.trim())
            .map_err(|_| ReplayIdError)?;
        let decoded = String::from_utf8(bytes).map_err(|_| ReplayIdError)?;
        let (device, session) = decoded.rsplit_once('/').ok_or(ReplayIdError)?;
        let session: i64 = session.parse().map_err(|_| ReplayIdError)?;
        if device.is_empty() {
            return Err(ReplayIdError);
        }
        let id = Self::of(device, session);
        Ok((id, device.to_owned(), session))
    }

    /// An id as stored: trusted to be one (it was made by [`ReplayId::of`]).
    pub fn from_stored(text: String) -> Self {
        Self(text)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_string(self) -> String {
        self.0
    }
}

impl fmt::Display for ReplayId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The cases the TypeScript codec is checked against too.
    #[test]
    fn agrees_with_the_shared_cases() {
        let path = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../../testdata/replay-ids.json"
        );
        let text = std::fs::read_to_string(path).expect("testdata/replay-ids.json");
        let cases: serde_json::Value = serde_json::from_str(&text).unwrap();
        let cases = cases["cases"].as_array().unwrap();
        assert!(cases.len() >= 5);
        for case in cases {
            let device = case["device_id"].as_str().unwrap();
            let session: i64 = case["session_id"].as_str().unwrap().parse().unwrap();
            let want = case["replay_id"].as_str().unwrap();
            assert_eq!(ReplayId::of(device, session).as_str(), want, "{device}");
            let (id, d, s) = ReplayId::parse(want).unwrap();
            assert_eq!((id.as_str(), d.as_str(), s), (want, device, session));
        }
    }

    #[test]
    fn what_is_not_an_id() {
        for text in ["", "!!!", "ZA", "L2E", "ZC94", "ZC8xLjU"] {
            // "", not base64, "d", "/a", "d/x", "d/1.5"
            assert_eq!(ReplayId::parse(text), Err(ReplayIdError), "{text:?}");
        }
        // Padding and surrounding spaces are forgiven; the id is given back canonical.
        let (id, _, _) = ReplayId::parse(" ZC8x ").unwrap();
        assert_eq!(id.as_str(), "ZC8x");
    }
}
