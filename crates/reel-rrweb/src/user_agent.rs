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
#[path = "user_agent_tests.rs"]
mod tests;
