//! `GET /config/{api_key}`: without `configs.sessionReplay` Amplitude's replay SDK records
//! nothing, and console capture can only be switched on from here.

use reqwest::StatusCode;
use reqwest::header::AUTHORIZATION;

use crate::support::*;

#[tokio::test]
async fn remote_config_answers_known_keys_only() {
    let app = TestApp::spawn().await;
    // (path, bearer header, expected status)
    let cases = [
        (
            format!("/config/{KEY}?config_group=browser"),
            None,
            StatusCode::OK,
        ),
        (
            format!("/config?api_key={KEY}&config_group=browser"),
            None,
            StatusCode::OK,
        ),
        (
            "/config?config_group=browser".to_owned(),
            Some(KEY),
            StatusCode::OK,
        ),
        (
            "/config/not-a-key?config_group=browser".to_owned(),
            None,
            StatusCode::UNAUTHORIZED,
        ),
        (
            "/config?api_key=not-a-key".to_owned(),
            None,
            StatusCode::UNAUTHORIZED,
        ),
        (
            "/config?config_group=browser".to_owned(),
            None,
            StatusCode::UNAUTHORIZED,
        ),
    ];
    for (path, bearer, want) in cases {
        let mut request = app.client.get(app.url(&path));
        if let Some(key) = bearer {
            request = request.header(AUTHORIZATION, format!("Bearer {key}"));
        }
        let (status, body) = json_of(request.send().await.expect("sent")).await;
        assert_eq!(status, want, "{path}: {body}");
        if want == StatusCode::OK {
            let replay = &body["configs"]["sessionReplay"];
            assert!(
                replay.is_object(),
                "{path}: no configs.sessionReplay: {body}"
            );
            assert_eq!(
                replay["sr_logging_config"]["console"]["enabled"], true,
                "{path}: {body}"
            );
            if let Some(sampling) = replay.get("sr_sampling_config") {
                assert_eq!(sampling["capture_enabled"], true, "{path}: {body}");
            }
        } else {
            let error = body["error"].as_str().unwrap_or_default();
            assert!(error.starts_with("Invalid API key"), "{path}: {body}");
        }
    }
}
