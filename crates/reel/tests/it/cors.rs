//! CORS on ingestion: the SDKs post from any site, beacons may carry credentials, and the SDK
//! must be able to read the back-pressure header.

use reqwest::header::{
    ACCESS_CONTROL_ALLOW_CREDENTIALS, ACCESS_CONTROL_ALLOW_HEADERS, ACCESS_CONTROL_ALLOW_METHODS,
    ACCESS_CONTROL_ALLOW_ORIGIN, ACCESS_CONTROL_EXPOSE_HEADERS, ACCESS_CONTROL_REQUEST_HEADERS,
    ACCESS_CONTROL_REQUEST_METHOD, AUTHORIZATION, HeaderMap, ORIGIN,
};
use reqwest::{Method, StatusCode};

use crate::support::*;

const SITE: &str = "https://shop.example.com";

fn header<'a>(headers: &'a HeaderMap, name: &reqwest::header::HeaderName) -> &'a str {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
}

fn lists(value: &str, item: &str) -> bool {
    value
        .split(',')
        .any(|v| v.trim().eq_ignore_ascii_case(item))
}

#[tokio::test]
async fn preflights_allow_the_sdks_requests() {
    let app = TestApp::spawn().await;
    let requested = [
        "authorization",
        "content-type",
        "content-encoding",
        "x-client-version",
        "x-client-library",
        "x-client-url",
        "x-client-sample-rate",
        "x-sampling-hash-alg",
    ];
    // (path, method the browser asks for)
    let cases = [
        (
            "/sessions/v2/track?device_id=d&session_id=1&type=replay",
            "POST",
        ),
        ("/2/httpapi", "POST"),
        ("/batch", "POST"),
        (&*format!("/config/{KEY}?config_group=browser"), "GET"),
    ];
    for (path, method) in cases {
        let response = app
            .client
            .request(Method::OPTIONS, app.url(path))
            .header(ORIGIN, SITE)
            .header(ACCESS_CONTROL_REQUEST_METHOD, method)
            .header(ACCESS_CONTROL_REQUEST_HEADERS, requested.join(","))
            .send()
            .await
            .expect("sent");
        assert!(
            response.status().is_success(),
            "{path}: {}",
            response.status()
        );
        let h = response.headers();
        assert_eq!(header(h, &ACCESS_CONTROL_ALLOW_ORIGIN), SITE, "{path}");
        assert_eq!(
            header(h, &ACCESS_CONTROL_ALLOW_CREDENTIALS),
            "true",
            "{path}"
        );
        assert!(
            lists(header(h, &ACCESS_CONTROL_ALLOW_METHODS), method),
            "{path}: {h:?}"
        );
        let allowed = header(h, &ACCESS_CONTROL_ALLOW_HEADERS);
        for name in requested {
            assert!(
                lists(allowed, name),
                "{path}: {name} not allowed in {allowed:?}"
            );
        }
    }
}

#[tokio::test]
async fn responses_expose_the_back_pressure_header() {
    let app = TestApp::spawn().await;
    let session = now_ms() - 60_000;
    let body = serde_json::json!({"version": 1, "events": page(session, "https://shop.test/")})
        .to_string();
    // (bearer key, expected status): error answers must be readable by the SDK too.
    for (key, want) in [(KEY, StatusCode::OK), ("wrong", StatusCode::UNAUTHORIZED)] {
        let response = app
            .client
            .post(app.track_url("d-cors", session))
            .header(ORIGIN, SITE)
            .header(AUTHORIZATION, format!("Bearer {key}"))
            .body(body.clone())
            .send()
            .await
            .expect("sent");
        assert_eq!(response.status(), want);
        let h = response.headers();
        assert_eq!(header(h, &ACCESS_CONTROL_ALLOW_ORIGIN), SITE, "{key}");
        assert_eq!(
            header(h, &ACCESS_CONTROL_ALLOW_CREDENTIALS),
            "true",
            "{key}"
        );
        let exposed = header(h, &ACCESS_CONTROL_EXPOSE_HEADERS);
        assert!(
            lists(exposed, "X-Session-Replay-Event-Skipped"),
            "{key}: exposes {exposed:?}"
        );
    }
}
