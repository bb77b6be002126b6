//! Who may read replays: the admin's bearer token, or the `reel_session` cookie from a login.

use reqwest::StatusCode;
use reqwest::header::{CONTENT_TYPE, COOKIE, SET_COOKIE};
use serde_json::{Value, json};

use crate::support::*;

async fn get(app: &TestApp, path: &str, header: Option<(&str, String)>) -> (StatusCode, Value) {
    let mut request = app.client.get(app.url(path));
    if let Some((name, value)) = header {
        request = request.header(name, value);
    }
    json_reply(request).await
}

#[tokio::test]
async fn the_query_api_needs_valid_credentials() {
    let (app, session) = TestApp::spawn_with_replay("d-auth").await;
    let id = replay_id("d-auth", session);
    let paths = [
        "/api/v1/me".to_owned(),
        "/api/v1/replays".to_owned(),
        format!("/api/v1/replays/{id}"),
        format!("/api/v1/replays/{id}/events"),
    ];
    let credentials: [(&str, Option<(&str, String)>); 6] = [
        ("none", None),
        (
            "wrong bearer",
            Some(("authorization", "Bearer not-the-token".into())),
        ),
        ("empty bearer", Some(("authorization", "Bearer ".into()))),
        (
            "the ingestion key as bearer",
            Some(("authorization", format!("Bearer {KEY}"))),
        ),
        (
            "the token without Bearer",
            Some(("authorization", ADMIN_TOKEN.into())),
        ),
        (
            "made-up session cookie",
            Some(("cookie", "reel_session=forged".into())),
        ),
    ];
    for path in &paths {
        for (name, header) in &credentials {
            let (status, body) = get(&app, path, header.clone()).await;
            assert_eq!(
                status,
                StatusCode::UNAUTHORIZED,
                "{path} with {name}: {body}"
            );
            assert_eq!(
                body["error"]["code"], "unauthenticated",
                "{path} with {name}: {body}"
            );
            assert!(
                body["error"]["message"].is_string(),
                "{path} with {name}: {body}"
            );
        }
        let (status, body) = get(
            &app,
            path,
            Some(("authorization", format!("Bearer {ADMIN_TOKEN}"))),
        )
        .await;
        assert_eq!(
            status,
            StatusCode::OK,
            "{path} with the admin token: {body}"
        );
    }
    let (_, me) = get(
        &app,
        "/api/v1/me",
        Some(("authorization", format!("Bearer {ADMIN_TOKEN}"))),
    )
    .await;
    assert_eq!(me["user"]["email"], ADMIN_EMAIL, "{me}");
    assert!(
        me["projects"]
            .as_array()
            .is_some_and(|p| p.iter().any(|p| p["api_key"] == KEY)),
        "{me}"
    );
}

#[tokio::test]
async fn wrong_logins_are_refused() {
    let app = TestApp::spawn().await;
    let cases = [
        (
            "wrong password",
            json!({"email": ADMIN_EMAIL, "password": "not-it"}),
        ),
        (
            "password in another case",
            json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD.to_uppercase()}),
        ),
        (
            "unknown email",
            json!({"email": "nobody@it.test", "password": ADMIN_PASSWORD}),
        ),
        (
            "empty password",
            json!({"email": ADMIN_EMAIL, "password": ""}),
        ),
    ];
    for (name, body) in cases {
        let response = app.login(&body).await;
        assert!(
            response.headers().get(SET_COOKIE).is_none(),
            "{name}: no cookie"
        );
        let (status, body) = json_of(response).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED, "{name}: {body}");
        assert_eq!(
            body["error"]["code"], "invalid_credentials",
            "{name}: {body}"
        );
    }
}

#[tokio::test]
async fn malformed_logins_get_the_api_error_shape() {
    let app = TestApp::spawn().await;
    // (name, content type, body, status, code): every error of the query API is
    // {"error":{"code","message"}} with a stable code, as openapi.json promises. A body that is
    // not declared as JSON is refused before it is read (a cross-site form could send it).
    let bad = StatusCode::BAD_REQUEST;
    let media = StatusCode::UNSUPPORTED_MEDIA_TYPE;
    let cases = [
        (
            "no content type",
            None,
            "{\"email\":\"a\",\"password\":\"b\"}",
            media,
            "unsupported_media_type",
        ),
        (
            "truncated JSON",
            Some("application/json"),
            "{\"email\":",
            bad,
            "invalid_parameter",
        ),
        (
            "not JSON",
            Some("application/json"),
            "email=a&password=b",
            bad,
            "invalid_parameter",
        ),
        (
            "no password",
            Some("application/json"),
            "{\"email\":\"admin@it.test\"}",
            bad,
            "invalid_parameter",
        ),
        (
            "email not a string",
            Some("application/json"),
            "{\"email\":5,\"password\":\"x\"}",
            bad,
            "invalid_parameter",
        ),
        (
            "not sent as JSON",
            Some("text/plain"),
            "{\"email\":\"a\",\"password\":\"b\"}",
            media,
            "unsupported_media_type",
        ),
    ];
    let mut wrong = Vec::new();
    for (name, content_type, body, want_status, want_code) in cases {
        let mut request = app.client.post(app.url("/api/v1/login")).body(body);
        if let Some(content_type) = content_type {
            request = request.header(CONTENT_TYPE, content_type);
        }
        let response = request.send().await.expect("sent");
        let status = response.status();
        let text = response.text().await.expect("body");
        let code = serde_json::from_str::<Value>(&text)
            .ok()
            .and_then(|b| b["error"]["code"].as_str().map(str::to_owned));
        if status != want_status || code.as_deref() != Some(want_code) {
            wrong.push(format!(
                "{name}: want {want_status} {want_code}, got {status} {text:?}"
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}

#[tokio::test]
async fn a_login_cookie_works_until_logout() {
    let (app, _) = TestApp::spawn_with_replay("d-login").await;

    // The email is matched without regard to case or surrounding spaces.
    let response = app
        .login(&json!({"email": format!(" {} ", ADMIN_EMAIL.to_uppercase()), "password": ADMIN_PASSWORD}))
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    let set_cookie = response
        .headers()
        .get(SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .expect("a Set-Cookie header")
        .to_owned();
    let pair = set_cookie
        .split(';')
        .next()
        .expect("name=value")
        .trim()
        .to_owned();
    assert!(
        pair.starts_with("reel_session=") && pair.len() > "reel_session=".len(),
        "{set_cookie}"
    );
    assert!(
        set_cookie.to_ascii_lowercase().contains("httponly"),
        "{set_cookie}"
    );
    let (_, body) = json_of(response).await;
    assert_eq!(body["user"]["email"], ADMIN_EMAIL, "{body}");

    let cookies = format!("theme=dark; {pair}");
    let with_cookie = |path: &str| app.ui_get(path, &cookies);
    let (status, me) = json_reply(with_cookie("/api/v1/me")).await;
    assert_eq!(status, StatusCode::OK, "{me}");
    assert_eq!(me["user"]["email"], ADMIN_EMAIL);
    let (status, list) = json_reply(with_cookie("/api/v1/replays")).await;
    assert_eq!(status, StatusCode::OK, "{list}");
    assert_eq!(list["replays"][0]["device_id"], "d-login", "{list}");

    let response = app
        .client
        .post(app.url("/api/v1/logout"))
        .header(COOKIE, pair.clone())
        .json(&json!({}))
        .send()
        .await
        .expect("sent");
    assert!(response.status().is_success(), "{}", response.status());
    let cleared = response
        .headers()
        .get(SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default();
    assert!(
        cleared.starts_with("reel_session=;") && cleared.contains("Max-Age=0"),
        "{cleared}"
    );

    for path in ["/api/v1/me", "/api/v1/replays"] {
        let (status, body) = json_reply(with_cookie(path)).await;
        assert_eq!(
            status,
            StatusCode::UNAUTHORIZED,
            "{path} after logout: {body}"
        );
        assert_eq!(body["error"]["code"], "unauthenticated", "{body}");
    }
    // The admin's API token is unaffected by a browser logout.
    assert_eq!(app.replays().await.len(), 1);
}

/// A recorded page replayed in the player can make the viewer's browser fetch
/// `<img src=/api/v1/me>` or CSS `url(/api/v1/replays)` with the viewer's cookie. Such requests
/// cannot carry a custom header, so the API refuses cookie requests without one.
#[tokio::test]
async fn cookie_requests_without_the_ui_header_are_refused() {
    let app = TestApp::spawn().await;
    let cookie = app.admin_cookie().await;
    for path in ["/api/v1/me", "/api/v1/replays"] {
        // What an <img> or a style sheet sends: the cookie, image Accept, no custom header.
        let (status, body) = json_reply(
            app.client
                .get(app.url(path))
                .header(COOKIE, cookie.clone())
                .header("accept", "image/avif,image/webp,*/*")
                .header("sec-fetch-dest", "image"),
        )
        .await;
        assert_eq!(status, StatusCode::FORBIDDEN, "{path}: {body}");
        assert_eq!(body["error"]["code"], "forbidden", "{body}");
        assert!(
            body["error"]["message"]
                .as_str()
                .is_some_and(|m| m.contains("X-Reel-Request")),
            "{body}"
        );
        let (status, body) = json_reply(app.ui_get(path, &cookie)).await;
        assert_eq!(status, StatusCode::OK, "{path} with the header: {body}");
    }
}

/// Logout (and every other state-changing call) cannot be triggered by a cross-site form.
#[tokio::test]
async fn cross_site_forms_cannot_change_state() {
    let app = TestApp::spawn().await;
    let cookie = app.admin_cookie().await;
    let me = || app.ui_get("/api/v1/me", &cookie);
    let host = app.base_url.trim_start_matches("http://").to_owned();
    type Case<'a> = (
        &'a str,
        Option<&'a str>,
        Vec<(&'a str, String)>,
        StatusCode,
        &'a str,
    );
    let cases: Vec<Case> = vec![
        (
            "form post",
            Some("application/x-www-form-urlencoded"),
            vec![("origin", "https://evil.test".into())],
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
        (
            "text/plain form",
            Some("text/plain"),
            vec![],
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
        (
            "no content type",
            None,
            vec![],
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            "unsupported_media_type",
        ),
        (
            "json from another origin",
            Some("application/json"),
            vec![("origin", "https://evil.test".into())],
            StatusCode::FORBIDDEN,
            "forbidden",
        ),
        (
            "json from another port of the same host",
            Some("application/json"),
            vec![("origin", "http://127.0.0.1:1".into())],
            StatusCode::FORBIDDEN,
            "forbidden",
        ),
        (
            "browser says cross-site",
            Some("application/json"),
            vec![("sec-fetch-site", "cross-site".into())],
            StatusCode::FORBIDDEN,
            "forbidden",
        ),
    ];
    for (name, content_type, headers, want_status, want_code) in cases {
        let mut request = app
            .client
            .post(app.url("/api/v1/logout"))
            .header(COOKIE, cookie.clone())
            .body("{}");
        if let Some(ct) = content_type {
            request = request.header(CONTENT_TYPE, ct);
        }
        for (k, v) in headers {
            request = request.header(k, v);
        }
        let (status, body) = json_reply(request).await;
        assert_eq!(status, want_status, "{name}: {body}");
        assert_eq!(body["error"]["code"], want_code, "{name}: {body}");
        let (status, body) = json_reply(me()).await;
        assert_eq!(
            status,
            StatusCode::OK,
            "{name} must not have logged out: {body}"
        );
    }
    // The UI's own logout: JSON, same origin.
    let response = app
        .client
        .post(app.url("/api/v1/logout"))
        .header(COOKIE, cookie.clone())
        .header("origin", format!("http://{host}"))
        .header("sec-fetch-site", "same-origin")
        .json(&json!({}))
        .send()
        .await
        .expect("sent");
    assert_eq!(response.status(), StatusCode::NO_CONTENT);
    let (status, _) = json_reply(me()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}
