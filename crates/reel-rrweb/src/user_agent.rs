//! Browser, operating system and device class from a `User-Agent` header.
//!
//! A small ordered rule list, not a database: it names the browsers and systems that make up
//! nearly all traffic and says "Other" for the rest. Order matters because user agents borrow
//! each other's tokens (Edge and Opera say "Chrome", Chrome says "Safari", iOS browsers say
//! "Safari" and "Mac OS X").
//!
//! Device: `bot` for crawlers, HTTP tools and headless browsers; `tablet` for iPads and
//! Android devices without "Mobile"; `mobile` for phones; else `desktop`. iPadOS Safari asks
//! for desktop sites by default and then sends a Mac user agent, so it counts as a Mac.

/// Device class.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Device {
    Desktop,
    Mobile,
    Tablet,
    Bot,
}

impl Device {
    pub fn as_str(self) -> &'static str {
        match self {
            Device::Desktop => "desktop",
            Device::Mobile => "mobile",
            Device::Tablet => "tablet",
            Device::Bot => "bot",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UserAgentInfo {
    /// "Chrome", "Firefox", "Safari", "Edge", "Opera", "Samsung Internet", "Android WebView",
    /// "Headless Chrome", a bot's name, or "Other".
    pub browser: String,
    /// Major version, when known.
    pub browser_version: Option<String>,
    /// "Windows", "macOS", "iOS", "Android", "Linux", "Chrome OS", or "Other".
    pub os: String,
    pub os_version: Option<String>,
    pub device: Device,
}

/// Bots named by a token in their user agent (checked case-insensitively), with their name.
const BOTS: &[(&str, &str)] = &[
    ("googlebot", "Googlebot"),
    ("bingbot", "Bingbot"),
    ("yandexbot", "YandexBot"),
    ("duckduckbot", "DuckDuckBot"),
    ("baiduspider", "Baiduspider"),
    ("applebot", "Applebot"),
    ("facebookexternalhit", "Facebook crawler"),
    ("twitterbot", "Twitterbot"),
    ("slackbot", "Slackbot"),
    ("linkedinbot", "LinkedInBot"),
    ("gptbot", "GPTBot"),
    ("claudebot", "ClaudeBot"),
    ("ahrefsbot", "AhrefsBot"),
    ("semrushbot", "SemrushBot"),
    ("petalbot", "PetalBot"),
    ("headlesschrome", "Headless Chrome"),
    ("phantomjs", "PhantomJS"),
    ("lighthouse", "Lighthouse"),
    ("curl/", "curl"),
    ("wget/", "Wget"),
    ("python-requests", "python-requests"),
    ("python-urllib", "Python urllib"),
    ("go-http-client", "Go HTTP client"),
    ("okhttp", "OkHttp"),
    ("node-fetch", "node-fetch"),
    ("axios/", "axios"),
    ("postmanruntime", "Postman"),
];

/// Parses a `User-Agent` header. Never fails; unknown parts are "Other".
pub fn parse(ua: &str) -> UserAgentInfo {
    let lower = ua.to_ascii_lowercase();
    let (os, os_version) = parse_os(ua);
    let bot = BOTS
        .iter()
        .find(|(token, _)| lower.contains(token))
        .map(|(_, name)| *name)
        .or_else(|| {
            let generic = [
                "bot/", "bot;", "bot)", "bot ", "crawler", "spider", "scraper",
            ];
            (generic.iter().any(|t| lower.contains(t)) || lower.ends_with("bot")).then_some("Bot")
        });
    let (browser, browser_version) = match bot {
        Some("Headless Chrome") => (
            "Headless Chrome".to_owned(),
            major_after(ua, "HeadlessChrome/"),
        ),
        Some(name) => (name.to_owned(), None),
        None => parse_browser(ua),
    };
    let device = if bot.is_some() {
        Device::Bot
    } else if ua.contains("iPad")
        || ua.contains("Tablet")
        || (ua.contains("Android") && !ua.contains("Mobile"))
    {
        Device::Tablet
    } else if ua.contains("Mobile") || ua.contains("iPhone") || ua.contains("iPod") {
        Device::Mobile
    } else {
        Device::Desktop
    };
    UserAgentInfo {
        browser,
        browser_version,
        os,
        os_version,
        device,
    }
}

fn parse_browser(ua: &str) -> (String, Option<String>) {
    // (token, name): the first token present wins.
    const RULES: &[(&str, &str)] = &[
        ("EdgiOS/", "Edge"),
        ("EdgA/", "Edge"),
        ("Edg/", "Edge"),
        ("Edge/", "Edge"),
        ("OPR/", "Opera"),
        ("OPiOS/", "Opera"),
        ("SamsungBrowser/", "Samsung Internet"),
        ("YaBrowser/", "Yandex Browser"),
        ("Vivaldi/", "Vivaldi"),
        ("FxiOS/", "Firefox"),
        ("Firefox/", "Firefox"),
        ("CriOS/", "Chrome"),
    ];
    for (token, name) in RULES {
        if ua.contains(token) {
            return ((*name).to_owned(), major_after(ua, token));
        }
    }
    if ua.contains("; wv)") && ua.contains("Chrome/") {
        return ("Android WebView".to_owned(), major_after(ua, "Chrome/"));
    }
    if ua.contains("Chrome/") || ua.contains("Chromium/") {
        let token = if ua.contains("Chrome/") {
            "Chrome/"
        } else {
            "Chromium/"
        };
        return ("Chrome".to_owned(), major_after(ua, token));
    }
    if ua.contains("Safari/")
        && (ua.contains("Version/") || ua.contains("iPhone") || ua.contains("iPad"))
    {
        return ("Safari".to_owned(), major_after(ua, "Version/"));
    }
    if ua.contains("AppleWebKit/") && (ua.contains("iPhone") || ua.contains("iPad")) {
        // In-app browsers on iOS (WebKit without the Safari token).
        return ("Safari".to_owned(), None);
    }
    if ua.contains("Trident/") || ua.contains("MSIE ") {
        return ("Internet Explorer".to_owned(), None);
    }
    ("Other".to_owned(), None)
}

fn parse_os(ua: &str) -> (String, Option<String>) {
    if let Some(v) = after(ua, "Windows NT ") {
        let version = match v.split([';', ')']).next().unwrap_or("").trim() {
            "10.0" => Some("10"),
            "6.3" => Some("8.1"),
            "6.2" => Some("8"),
            "6.1" => Some("7"),
            _ => None,
        };
        return ("Windows".to_owned(), version.map(str::to_owned));
    }
    if ua.contains("iPhone") || ua.contains("iPad") || ua.contains("iPod") {
        let v = after(ua, " OS ").map(|v| dotted(v.split(' ').next().unwrap_or("")));
        return ("iOS".to_owned(), v.filter(|v| !v.is_empty()));
    }
    if let Some(v) = after(ua, "Android") {
        let v = v.trim_start_matches([' ', '/']);
        let version: String = v
            .chars()
            .take_while(|c| c.is_ascii_digit() || *c == '.')
            .collect();
        return (
            "Android".to_owned(),
            (!version.is_empty()).then_some(version),
        );
    }
    if ua.contains("CrOS") {
        return ("Chrome OS".to_owned(), None);
    }
    if let Some(v) = after(ua, "Mac OS X ") {
        let v = dotted(v.split([';', ')', ' ']).next().unwrap_or(""));
        return ("macOS".to_owned(), (!v.is_empty()).then_some(v));
    }
    if ua.contains("Macintosh") {
        return ("macOS".to_owned(), None);
    }
    if ua.contains("Linux") || ua.contains("X11") {
        return ("Linux".to_owned(), None);
    }
    ("Other".to_owned(), None)
}

fn after<'a>(ua: &'a str, token: &str) -> Option<&'a str> {
    ua.find(token).map(|i| &ua[i + token.len()..])
}

/// The major version right after `token` ("Chrome/120.0.1" → "120").
fn major_after(ua: &str, token: &str) -> Option<String> {
    let digits: String = after(ua, token)?
        .chars()
        .take_while(char::is_ascii_digit)
        .take(6)
        .collect();
    (!digits.is_empty()).then_some(digits)
}

/// "10_15_7" → "10.15.7", keeping digits, dots and underscores only.
fn dotted(v: &str) -> String {
    v.chars()
        .take_while(|c| c.is_ascii_digit() || *c == '_' || *c == '.')
        .take(16)
        .map(|c| if c == '_' { '.' } else { c })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One case: the user agent and "browser version|os version|device".
    fn check(ua: &str, want: &str) {
        let info = parse(ua);
        let got = format!(
            "{} {}|{} {}|{}",
            info.browser,
            info.browser_version.as_deref().unwrap_or("-"),
            info.os,
            info.os_version.as_deref().unwrap_or("-"),
            info.device.as_str()
        );
        assert_eq!(got, want, "{ua}");
    }

    #[test]
    fn user_agents() {
        let cases = [
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
                "Chrome 120|Windows 10|desktop",
            ),
            (
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
                "Chrome 124|macOS 10.15.7|desktop",
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0",
                "Firefox 121|Windows 10|desktop",
            ),
            (
                "Mozilla/5.0 (X11; Ubuntu; Linux x86_64; rv:109.0) Gecko/20100101 Firefox/115.0",
                "Firefox 115|Linux -|desktop",
            ),
            (
                "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Safari/605.1.15",
                "Safari 17|macOS 10.15.7|desktop",
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 Edg/120.0.2210.91",
                "Edge 120|Windows 10|desktop",
            ),
            (
                "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36 OPR/106.0.0.0",
                "Opera 106|Windows 10|desktop",
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1",
                "Safari 17|iOS 17.2|mobile",
            ),
            (
                "Mozilla/5.0 (iPad; CPU OS 16_6 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/16.6 Mobile/15E148 Safari/604.1",
                "Safari 16|iOS 16.6|tablet",
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) CriOS/120.0.6099.119 Mobile/15E148 Safari/604.1",
                "Chrome 120|iOS 17.1|mobile",
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) FxiOS/121.0 Mobile/15E148 Safari/605.1.15",
                "Firefox 121|iOS 17.2|mobile",
            ),
            (
                "Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/21C62 [FBAN/FBIOS;FBAV/444.0.0.40.111]",
                "Safari -|iOS 17.2|mobile",
            ),
            (
                "Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Mobile Safari/537.36",
                "Chrome 120|Android 10|mobile",
            ),
            (
                "Mozilla/5.0 (Linux; Android 13; SM-X700) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
                "Chrome 120|Android 13|tablet",
            ),
            (
                "Mozilla/5.0 (Linux; Android 13; SM-S918B) AppleWebKit/537.36 (KHTML, like Gecko) SamsungBrowser/23.0 Chrome/115.0.0.0 Mobile Safari/537.36",
                "Samsung Internet 23|Android 13|mobile",
            ),
            (
                "Mozilla/5.0 (Linux; Android 12; Pixel 6 Build/SQ3A.220705.004; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/119.0.6045.163 Mobile Safari/537.36",
                "Android WebView 119|Android 12|mobile",
            ),
            (
                "Mozilla/5.0 (Android 14; Mobile; rv:121.0) Gecko/121.0 Firefox/121.0",
                "Firefox 121|Android 14|mobile",
            ),
            (
                "Mozilla/5.0 (X11; CrOS x86_64 14541.0.0) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.0.0 Safari/537.36",
                "Chrome 120|Chrome OS -|desktop",
            ),
            (
                "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
                "Googlebot -|Other -|bot",
            ),
            (
                "Mozilla/5.0 (Linux; Android 6.0.1; Nexus 5X Build/MMB29P) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.71 Mobile Safari/537.36 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
                "Googlebot -|Android 6.0.1|bot",
            ),
            (
                "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)",
                "Bingbot -|Other -|bot",
            ),
            (
                "Mozilla/5.0 AppleWebKit/537.36 (KHTML, like Gecko; compatible; GPTBot/1.0; +https://openai.com/gptbot)",
                "GPTBot -|Other -|bot",
            ),
            ("curl/8.4.0", "curl -|Other -|bot"),
            (
                "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.6099.28 Safari/537.36",
                "Headless Chrome 120|Linux -|bot",
            ),
            (
                "Mozilla/5.0 (compatible; MSIE 10.0; Windows NT 6.1; Trident/6.0)",
                "Internet Explorer -|Windows 7|desktop",
            ),
            ("", "Other -|Other -|desktop"),
            ("something odd", "Other -|Other -|desktop"),
        ];
        for (ua, want) in cases {
            check(ua, want);
        }
    }
}
