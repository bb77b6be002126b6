use super::*;

/// The cases `sdk/test/url-pattern.test.ts` checks too: (pattern, URL, matches).
pub const CASES: &[(&str, &str, bool)] = &[
    (
        "https://shop.test/account",
        "https://shop.test/account",
        true,
    ),
    (
        "https://shop.test/account",
        "https://shop.test/account/",
        false,
    ),
    (
        "https://shop.test/account*",
        "https://shop.test/account/orders?id=1",
        true,
    ),
    (
        "https://shop.test/account*",
        "https://shop.test/accounts",
        true,
    ),
    (
        "https://shop.test/account*",
        "https://shop.test/cart",
        false,
    ),
    ("*/checkout", "https://shop.test/checkout", true),
    ("*/checkout", "https://shop.test/checkout/pay", false),
    ("*/checkout*", "https://shop.test/checkout/pay", true),
    ("*://*/admin/*", "https://a.test/admin/users", true),
    ("*://*/admin/*", "https://a.test/public/admin", false),
    ("*", "anything at all", true),
    ("a*b*c", "abc", true),
    ("a*b*c", "aXbYc", true),
    ("a*b*c", "acb", false),
    ("ab*ba", "aba", false),
    ("*.pdf", "https://x.test/file.PDF", false),
];

#[test]
fn patterns_match_whole_urls() {
    for (pattern, url, want) in CASES {
        let patterns = UrlPatterns::new(&[pattern.to_string()]);
        assert_eq!(patterns.matches(url), *want, "{pattern} vs {url}");
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
