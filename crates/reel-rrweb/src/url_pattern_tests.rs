use super::*;

/// The cases `sdk/test/url-pattern.test.ts` checks too: (pattern, URL, matches).
fn cases() -> Vec<(String, String, bool)> {
    let text = include_str!("../../../testdata/url-pattern-cases.json");
    let file: serde_json::Value = serde_json::from_str(text).expect("the cases are JSON");
    serde_json::from_value(file["cases"].clone()).expect("[pattern, url, matches] triples")
}

#[test]
fn patterns_match_whole_urls() {
    let cases = cases();
    assert!(cases.len() > 10);
    for (pattern, url, want) in cases {
        let patterns = UrlPatterns::new(std::slice::from_ref(&pattern));
        assert_eq!(patterns.matches(&url), want, "{pattern} vs {url}");
    }
    assert!(!UrlPatterns::new(&[]).matches("https://a.test/"));
    assert!(UrlPatterns::new(&["  ".into()]).is_empty());
    let two = UrlPatterns::new(&["*/a".into(), "*/b".into()]);
    assert!(two.matches("https://x.test/b") && !two.matches("https://x.test/c"));
}

#[test]
fn long_urls_cost_linear_time() {
    // A pattern with many stars against a long URL of near misses ends quickly.
    let pattern = format!("{}x", "a*".repeat(200));
    let url = "a".repeat(MAX_URL_BYTES * 4);
    let patterns = UrlPatterns::new(&[pattern]);
    assert!(!patterns.matches(&url));
}
