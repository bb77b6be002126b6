//! The visitor's country: looked up from the client address in a MaxMind-format database when
//! one is configured, else read from a header a trusted proxy sets. What a client says about
//! its own country is never believed: the header counts only on requests from
//! `trusted_proxies`, and nothing in an upload's body is read for it.

use std::net::{IpAddr, SocketAddr};
use std::path::Path;

use axum::http::HeaderMap;

use crate::{Config, client};

/// A country database, read into memory at start.
pub struct Countries(maxminddb::Reader<Vec<u8>>);

impl Countries {
    pub fn open(path: &Path) -> Result<Self, String> {
        maxminddb::Reader::open_readfile(path)
            .map(Self)
            .map_err(|e| format!("cannot read the country database {}: {e}", path.display()))
    }

    /// The ISO 3166-1 alpha-2 code of the address's country, if the database knows it.
    pub fn lookup(&self, address: IpAddr) -> Option<String> {
        let found = self.0.lookup(address).ok()?;
        let record: maxminddb::geoip2::Country<'_> = found.decode().ok()??;
        record
            .country
            .iso_code
            .or(record.registered_country.iso_code)
            .and_then(iso_code)
    }
}

/// The country of the client behind a request (see the module's documentation).
pub fn of_request(
    countries: Option<&Countries>,
    headers: &HeaderMap,
    peer: SocketAddr,
    config: &Config,
) -> Option<String> {
    if let Some(countries) = countries {
        return countries.lookup(client::address(headers, peer, config));
    }
    let name = config.country_header.as_deref()?;
    if !config.trusted_proxies.contains(&peer.ip()) {
        return None;
    }
    iso_code(headers.get(name)?.to_str().ok()?)
}

/// Two ASCII letters, upper-cased; anything else (`XX`, `T1` placeholders of proxies aside) is
/// no country.
fn iso_code(value: &str) -> Option<String> {
    let value = value.trim().to_ascii_uppercase();
    (value.len() == 2 && value.bytes().all(|b| b.is_ascii_uppercase()) && value != "XX")
        .then_some(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_header_counts_only_from_a_trusted_proxy() {
        let proxy: SocketAddr = "10.0.0.1:1000".parse().unwrap();
        let direct: SocketAddr = "203.0.113.9:1000".parse().unwrap();
        let config = Config {
            country_header: Some("cf-ipcountry".into()),
            trusted_proxies: vec![proxy.ip()],
            ..Default::default()
        };
        let mut headers = HeaderMap::new();
        headers.insert("cf-ipcountry", "de".parse().unwrap());
        assert_eq!(
            of_request(None, &headers, proxy, &config).as_deref(),
            Some("DE")
        );
        assert_eq!(of_request(None, &headers, direct, &config), None);
        let unset = Config {
            trusted_proxies: vec![proxy.ip()],
            ..Default::default()
        };
        assert_eq!(of_request(None, &headers, proxy, &unset), None);
        for bad in ["XX", "D", "DEU", "1A", ""] {
            headers.insert("cf-ipcountry", bad.parse().unwrap());
            assert_eq!(of_request(None, &headers, proxy, &config), None, "{bad}");
        }
    }
}
