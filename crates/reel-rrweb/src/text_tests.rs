use super::*;

#[test]
fn urls() {
    let cases = [
        (
            "https://shop.test/checkout?card=4242#pay",
            "https://shop.test/checkout",
            "/checkout",
        ),
        ("https://shop.test", "https://shop.test", "/"),
        ("https://shop.test/a/b/", "https://shop.test/a/b/", "/a/b/"),
        ("http://localhost#x", "http://localhost", "/"),
        ("about:blank", "about:blank", "about:blank"),
        ("", "", ""),
        ("/relative?x", "/relative", "/relative"),
    ];
    for (url, stripped, path) in cases {
        assert_eq!(strip_url(url, 2048), stripped, "{url}");
        assert_eq!(url_path(url), path, "{url}");
    }
    assert_eq!(strip_url("https://é.test/x", 10), "https://é");
}

#[test]
fn masking_and_whitespace() {
    for (text, masked) in [
        ("*****", true),
        ("**** *****\n", true),
        ("  ", false),
        ("", false),
        ("Pay ****", false),
        ("*", true),
    ] {
        assert_eq!(is_masked(text), masked, "{text:?}");
    }
    assert_eq!(collapse("  Add \n\t to   cart  ", 100), "Add to cart");
    assert_eq!(collapse("abcdef", 3), "abc");
    assert_eq!(ellipsize("Hello world", 5), "Hello…");
    assert_eq!(ellipsize("Hi", 5), "Hi");
}
