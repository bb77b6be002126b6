//! Where a visitor was: from the client address in a country database (a small `.mmdb` this
//! test writes), else from a header a trusted proxy sets — never from what a client claims.

use reqwest::StatusCode;
use serde_json::json;

use crate::support::mmdb::country_database;
use crate::support::*;

/// Uploads a one-page session with extra request headers; returns its listed country.
async fn country_of(app: &TestApp, device: &str, headers: &[(&str, &str)]) -> Option<String> {
    let start = now_ms() - 60_000;
    let mut request = app
        .client
        .post(app.track_url(device, start))
        .bearer_auth(KEY)
        .body(json!({"version": 1, "events": page(start, "https://shop.test/")}).to_string());
    for (name, value) in headers {
        request = request.header(*name, *value);
    }
    let response = request.send().await.expect("sent");
    assert_eq!(response.status(), StatusCode::OK);
    let replay = app.listed(device, start).await;
    replay["country"].as_str().map(str::to_owned)
}

#[tokio::test]
async fn the_country_database_places_the_client_address() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("countries.mmdb");
    std::fs::write(
        &path,
        country_database(&[
            ("203.0.113.0".parse().unwrap(), 24, "DE"),
            ("198.51.100.0".parse().unwrap(), 25, "FR"),
            ("127.0.0.0".parse().unwrap(), 8, "NZ"),
        ]),
    )
    .unwrap();
    let app = TestApp::spawn_with(|c| {
        c.country_database = Some(path.clone());
        c.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
        c.country_header = Some("cf-ipcountry".into());
    })
    .await;
    // Through the trusted proxy: the forwarded client address is looked up.
    let cases: Vec<(&str, Vec<(&str, &str)>, Option<&str>)> = vec![
        ("de", vec![("x-forwarded-for", "203.0.113.77")], Some("DE")),
        ("fr", vec![("x-forwarded-for", "198.51.100.9")], Some("FR")),
        (
            "outside-the-/25",
            vec![("x-forwarded-for", "198.51.100.200")],
            None,
        ),
        ("unknown", vec![("x-forwarded-for", "192.0.2.1")], None),
        // The database wins over any header, even a trusted proxy's.
        (
            "header",
            vec![("x-forwarded-for", "203.0.113.1"), ("cf-ipcountry", "US")],
            Some("DE"),
        ),
        // No forwarded address: the peer itself.
        ("direct", vec![], Some("NZ")),
    ];
    for (device, headers, want) in cases {
        assert_eq!(
            country_of(&app, device, &headers).await.as_deref(),
            want,
            "{device}"
        );
    }
    let found = app
        .client
        .get(app.url("/api/v1/replays?filter=%7B%22field%22%3A%22country%22%2C%22op%22%3A%22is%22%2C%22values%22%3A%5B%22de%22%5D%7D"))
        .bearer_auth(ADMIN_TOKEN)
        .send()
        .await
        .expect("sent");
    let (_, body) = json_of(found).await;
    let mut devices: Vec<&str> = body["replays"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["device_id"].as_str())
        .collect();
    devices.sort_unstable();
    assert_eq!(devices, ["de", "header"]);
}

#[tokio::test]
async fn a_client_cannot_name_its_own_country() {
    // No database, a header configured, but the client is not a trusted proxy.
    let app = TestApp::spawn_with(|c| c.country_header = Some("cf-ipcountry".into())).await;
    assert_eq!(
        country_of(&app, "claims", &[("cf-ipcountry", "US")]).await,
        None
    );
    // Nothing configured: nothing believed.
    let app = TestApp::spawn().await;
    assert_eq!(
        country_of(&app, "claims", &[("cf-ipcountry", "US")]).await,
        None
    );
    // The same header through a trusted proxy is believed.
    let app = TestApp::spawn_with(|c| {
        c.country_header = Some("cf-ipcountry".into());
        c.trusted_proxies = vec!["127.0.0.1".parse().unwrap()];
    })
    .await;
    assert_eq!(
        country_of(&app, "proxied", &[("cf-ipcountry", "us")])
            .await
            .as_deref(),
        Some("US")
    );
}

#[tokio::test]
async fn an_unreadable_country_database_stops_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("broken.mmdb");
    std::fs::write(&path, b"not a database").unwrap();
    let config = reel_server::Config {
        listen: "127.0.0.1:0".into(),
        data_dir: dir.path().join("data"),
        country_database: Some(path),
        ..Default::default()
    };
    let error = match reel_server::Application::build(config).await {
        Ok(_) => panic!("started with a broken country database"),
        Err(e) => e.to_string(),
    };
    assert!(
        error.contains("cannot read the country database"),
        "{error}"
    );
}
