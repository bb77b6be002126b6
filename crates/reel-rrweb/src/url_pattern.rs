//! URL patterns of blocked pages: `*` matches any run of characters (none included), every
//! other character itself, and a pattern matches a whole URL. reel's SDK implements the same
//! rule (`sdk/src/url-pattern.ts`); both are tested against the same cases.
//!
//! Matching is linear in the URL's length per pattern: the parts between stars are found in
//! order, leftmost first, which is exact for patterns whose only wildcard is `*`.

/// A set of patterns; a URL is blocked when one matches.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UrlPatterns(Vec<Vec<String>>);

/// URLs are looked at up to this many bytes; no real page URL is longer.
pub const MAX_URL_BYTES: usize = 8 * 1024;

impl UrlPatterns {
    pub fn new(patterns: &[String]) -> Self {
        Self(
            patterns
                .iter()
                .map(|p| p.trim())
                .filter(|p| !p.is_empty())
                .map(|p| p.split('*').map(str::to_owned).collect())
                .collect(),
        )
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether one of the patterns matches `url` as a whole.
    pub fn matches(&self, url: &str) -> bool {
        let url = crate::json::truncate_str(url, MAX_URL_BYTES);
        self.0.iter().any(|parts| matches_parts(parts, url))
    }
}

fn matches_parts(parts: &[String], url: &str) -> bool {
    let [first, middle @ .., last] = parts else {
        // No star: the whole URL.
        return parts.first().is_some_and(|p| p == url);
    };
    let Some(mut rest) = url.strip_prefix(first.as_str()) else {
        return false;
    };
    for part in middle {
        match rest.find(part.as_str()) {
            Some(at) => rest = &rest[at + part.len()..],
            None => return false,
        }
    }
    rest.len() >= last.len() && rest.ends_with(last.as_str())
}

#[cfg(test)]
#[path = "url_pattern_tests.rs"]
mod tests;
