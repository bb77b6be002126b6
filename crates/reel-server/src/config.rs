//! The server's configuration: one typed struct. Loading it (file < env < flags) is the
//! binary's job; this crate only consumes it.

use std::path::PathBuf;

use serde::Deserialize;

#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// Address to listen on, e.g. `127.0.0.1:8080`; port 0 picks a free port.
    pub listen: String,
    /// Where the database and recordings live.
    pub data_dir: PathBuf,
    /// Largest request body accepted on ingestion routes, as sent (bytes).
    pub max_body_bytes: usize,
    /// Largest body after decompression, including packed events inside it (bytes).
    pub max_decompressed_bytes: usize,
    /// A request header set by a trusted proxy that carries the client's ISO country code
    /// (e.g. `CF-IPCountry`). Unset: country stays unknown.
    pub country_header: Option<String>,
    /// How long a browser login lasts (hours).
    pub session_ttl_hours: u64,
    /// Forces the first project's ingestion key.
    pub api_key: Option<String>,
    /// With `admin_password`: makes sure this admin exists with this password.
    pub admin_email: Option<String>,
    pub admin_password: Option<String>,
    /// A bearer token for the query API, owned by the admin.
    pub admin_token: Option<String>,
    /// Serve the demo shop at /demo.
    pub demo: bool,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            listen: "127.0.0.1:8080".into(),
            data_dir: PathBuf::from("reel-data"),
            max_body_bytes: 10 * 1000 * 1000,
            max_decompressed_bytes: 100 * 1000 * 1000,
            country_header: None,
            session_ttl_hours: 24 * 14,
            api_key: None,
            admin_email: None,
            admin_password: None,
            admin_token: None,
            demo: false,
        }
    }
}
