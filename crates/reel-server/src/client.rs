//! Who is on the other end of a request: the client's address and whether it reached reel over
//! TLS. Forwarding headers are believed only from configured proxies; anyone else could write
//! them.

use std::net::{IpAddr, SocketAddr};

use axum::http::HeaderMap;

use crate::Config;

/// The client's address: the peer's, or — when the peer is a trusted proxy — the nearest
/// address in `X-Forwarded-For` that is not itself a trusted proxy.
pub fn address(headers: &HeaderMap, peer: SocketAddr, config: &Config) -> IpAddr {
    let peer = peer.ip();
    if !config.trusted_proxies.contains(&peer) {
        return peer;
    }
    let forwarded: Vec<IpAddr> = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|a| a.trim().parse().ok())
        .collect();
    forwarded
        .into_iter()
        .rev()
        .find(|a| !config.trusted_proxies.contains(a))
        .unwrap_or(peer)
}

/// Whether the client reached reel over TLS: the public URL says so, or a trusted proxy's
/// `X-Forwarded-Proto` does.
pub fn is_https(headers: &HeaderMap, peer: SocketAddr, config: &Config) -> bool {
    if config.public_url_is_https() {
        return true;
    }
    config.trusted_proxies.contains(&peer.ip())
        && headers
            .get("x-forwarded-proto")
            .and_then(|v| v.to_str().ok())
            .and_then(|v| v.split(',').next())
            .is_some_and(|p| p.trim().eq_ignore_ascii_case("https"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn address_and_scheme_cases() {
        let proxy: IpAddr = "10.0.0.1".parse().unwrap();
        let trusting = Config {
            trusted_proxies: vec![proxy],
            ..Default::default()
        };
        let plain = Config::default();
        let https_url = Config {
            public_url: Some("HTTPS://reel.example.com".into()),
            ..Default::default()
        };
        let from_proxy: SocketAddr = "10.0.0.1:5000".parse().unwrap();
        let direct: SocketAddr = "203.0.113.9:5000".parse().unwrap();
        // (name, config, peer, X-Forwarded-For, X-Forwarded-Proto, address, https)
        let cases: Vec<(
            &str,
            &Config,
            SocketAddr,
            Option<&str>,
            Option<&str>,
            &str,
            bool,
        )> = vec![
            ("direct", &plain, direct, None, None, "203.0.113.9", false),
            (
                "untrusted peer's headers are ignored",
                &plain,
                direct,
                Some("1.2.3.4"),
                Some("https"),
                "203.0.113.9",
                false,
            ),
            (
                "trusted proxy",
                &trusting,
                from_proxy,
                Some("198.51.100.7"),
                Some("https"),
                "198.51.100.7",
                true,
            ),
            (
                "client-written entries left of the proxy's are not believed",
                &trusting,
                from_proxy,
                Some("6.6.6.6, 198.51.100.7, 10.0.0.1"),
                Some("http"),
                "198.51.100.7",
                false,
            ),
            (
                "proxy without header",
                &trusting,
                from_proxy,
                None,
                None,
                "10.0.0.1",
                false,
            ),
            (
                "public URL",
                &https_url,
                direct,
                None,
                None,
                "203.0.113.9",
                true,
            ),
        ];
        for (name, config, peer, xff, proto, want_addr, want_https) in cases {
            let mut headers = HeaderMap::new();
            if let Some(v) = xff {
                headers.insert("x-forwarded-for", v.parse().unwrap());
            }
            if let Some(v) = proto {
                headers.insert("x-forwarded-proto", v.parse().unwrap());
            }
            assert_eq!(
                address(&headers, peer, config).to_string(),
                want_addr,
                "{name}"
            );
            assert_eq!(is_https(&headers, peer, config), want_https, "{name}");
        }
    }
}
