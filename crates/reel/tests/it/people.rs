//! People: invitation links (expiring, single use), accounts made by admins, passwords set and
//! changed, signing out everywhere, disabled accounts (their sessions and tokens stop at once),
//! roles changed and taken away, API tokens with their owner's role and an expiry.

use std::sync::Arc;

use reel_engine::ManualClock;
use reqwest::header::COOKIE;
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::*;

const T0: i64 = 1_767_225_600_000;

/// A call with the UI's session cookie.
async fn call_with_cookie(
    app: &TestApp,
    cookie: &str,
    method: Method,
    path: &str,
    body: Option<&Value>,
) -> StatusCode {
    let mut request = app
        .client
        .request(method, app.url(&format!("/api/v1{path}")))
        .header(COOKIE, cookie)
        .header("x-reel-request", "1");
    if let Some(body) = body {
        request = request.json(body);
    }
    request.send().await.expect("sent").status()
}

async fn login_status(app: &TestApp, email: &str, password: &str) -> (StatusCode, Value) {
    json_of(
        app.client
            .post(app.url("/api/v1/login"))
            .json(&json!({"email": email, "password": password}))
            .send()
            .await
            .expect("sent"),
    )
    .await
}

/// The audit log's actions, newest first.
async fn audit_actions(app: &TestApp) -> Vec<String> {
    let (status, log) = app.call(Method::GET, "/audit-log", None).await;
    assert_eq!(status, StatusCode::OK, "{log}");
    log["entries"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["action"].as_str().unwrap().to_owned())
        .collect()
}

#[tokio::test]
async fn an_invitation_link_works_once_and_not_after_it_expires() {
    let clock = Arc::new(ManualClock::at(T0));
    let app = TestApp::spawn_with_clock(clock.clone(), |_| {}).await;
    let invite = json!({"email": "New.Person@it.test", "role": "member", "expires_in_hours": 24});
    let (status, created) = app
        .call(Method::POST, "/projects/1/invites", Some(&invite))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{created}");
    let path = created["path"].as_str().unwrap().to_owned();
    let token = path.strip_prefix("/invite/").expect("an /invite/ path");
    // Anyone with the link sees what it offers, without signing in.
    let (status, info) = json_of(
        app.client
            .get(app.url(&format!("/api/v1/invites/{token}")))
            .send()
            .await
            .unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{info}");
    assert_eq!(
        (&info["email"], &info["role"]),
        (&json!("new.person@it.test"), &json!("member"))
    );
    let (_, pending) = app.call(Method::GET, "/projects/1/invites", None).await;
    assert_eq!(pending["invites"].as_array().unwrap().len(), 1, "{pending}");
    let accept = |password: &str| {
        app.client
            .post(app.url(&format!("/api/v1/invites/{token}/accept")))
            .json(&json!({"password": password}))
            .send()
    };
    // Too short a password is refused and the link still works.
    assert_eq!(
        accept("short").await.unwrap().status(),
        StatusCode::BAD_REQUEST
    );
    let accepted = accept("a-good-long-password").await.unwrap();
    assert_eq!(accepted.status(), StatusCode::OK);
    let cookie = accepted
        .headers()
        .get(reqwest::header::SET_COOKIE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.split(';').next())
        .expect("accepting signs in")
        .to_owned();
    assert_eq!(
        call_with_cookie(&app, &cookie, Method::GET, "/replays?project=1", None).await,
        StatusCode::OK
    );
    // The invited role: a member saves searches, does not read feedback.
    let search = json!({"name": "mine", "search": {}});
    assert_eq!(
        call_with_cookie(
            &app,
            &cookie,
            Method::POST,
            "/saved-searches?project=1",
            Some(&search)
        )
        .await,
        StatusCode::CREATED
    );
    assert_eq!(
        call_with_cookie(&app, &cookie, Method::GET, "/feedback?project=1", None).await,
        StatusCode::FORBIDDEN
    );
    // Used once: the link is gone, and so is the pending invitation.
    assert_eq!(
        accept("another-long-password").await.unwrap().status(),
        StatusCode::NOT_FOUND
    );
    let (_, pending) = app.call(Method::GET, "/projects/1/invites", None).await;
    assert_eq!(pending["invites"], json!([]), "{pending}");
    // Signing in with the password chosen works.
    let (status, _) = login_status(&app, "new.person@it.test", "a-good-long-password").await;
    assert_eq!(status, StatusCode::OK);

    // A link that has expired offers nothing.
    let (_, late) = app
        .call(
            Method::POST,
            "/projects/1/invites",
            Some(&json!({"email": "late@it.test", "role": "viewer", "expires_in_hours": 24})),
        )
        .await;
    let late_token = late["path"]
        .as_str()
        .unwrap()
        .trim_start_matches("/invite/");
    clock.advance(24 * 3_600_000 + 1);
    let status = app
        .client
        .get(app.url(&format!("/api/v1/invites/{late_token}")))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, StatusCode::NOT_FOUND);
    let status = app
        .client
        .post(app.url(&format!("/api/v1/invites/{late_token}/accept")))
        .json(&json!({"password": "a-good-long-password"}))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, StatusCode::NOT_FOUND);
    let (status, _) = login_status(&app, "late@it.test", "a-good-long-password").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // An email with an account cannot be invited again; a revoked link works no more.
    let (status, _) = app
        .call(
            Method::POST,
            "/projects/1/invites",
            Some(&json!({"email": "new.person@it.test", "role": "viewer"})),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (_, revoked) = app
        .call(
            Method::POST,
            "/projects/1/invites",
            Some(&json!({"email": "revoked@it.test", "role": "viewer"})),
        )
        .await;
    let (status, _) = app
        .call(
            Method::DELETE,
            &format!("/projects/1/invites/{}", revoked["id"]),
            None,
        )
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let revoked_token = revoked["path"]
        .as_str()
        .unwrap()
        .trim_start_matches("/invite/");
    let status = app
        .client
        .get(app.url(&format!("/api/v1/invites/{revoked_token}")))
        .send()
        .await
        .unwrap()
        .status();
    assert_eq!(status, StatusCode::NOT_FOUND);
    let actions = audit_actions(&app).await;
    for action in [
        "invite_created",
        "invite_accepted",
        "invite_revoked",
        "login",
    ] {
        assert!(actions.iter().any(|a| a == action), "{action}: {actions:?}");
    }
}

#[tokio::test]
async fn admins_make_accounts_and_people_change_their_password_and_sign_out_everywhere() {
    let app = TestApp::spawn().await;
    let (_, token) = app.person("ana@it.test", "viewer", 1).await;
    // The same email twice is a conflict; a short password is refused.
    let (status, _) = app
        .call(
            Method::POST,
            "/users?project=1",
            Some(
                &json!({"email": "ANA@it.test", "password": "another-password", "role": "viewer"}),
            ),
        )
        .await;
    assert_eq!(status, StatusCode::CONFLICT);
    let (status, _) = app
        .call(
            Method::POST,
            "/users?project=1",
            Some(&json!({"email": "bo@it.test", "password": "short", "role": "viewer"})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    let first = app.sign_in("ana@it.test", PERSON_PASSWORD).await;
    let second = app.sign_in("ana@it.test", PERSON_PASSWORD).await;
    // The current password is needed to set a new one.
    let change =
        |current: &str| json!({"current_password": current, "new_password": "ana-new-password"});
    let wrong = change("not-the-password");
    assert_eq!(
        call_with_cookie(&app, &first, Method::PUT, "/me/password", Some(&wrong)).await,
        StatusCode::UNAUTHORIZED
    );
    let right = change(PERSON_PASSWORD);
    assert_eq!(
        call_with_cookie(&app, &first, Method::PUT, "/me/password", Some(&right)).await,
        StatusCode::NO_CONTENT
    );
    // This session goes on; the other browser is signed out; the API token still works.
    assert_eq!(
        call_with_cookie(&app, &first, Method::GET, "/me", None).await,
        StatusCode::OK
    );
    assert_eq!(
        call_with_cookie(&app, &second, Method::GET, "/me", None).await,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        app.call_as(&token, Method::GET, "/me", None).await.0,
        StatusCode::OK
    );
    assert_eq!(
        login_status(&app, "ana@it.test", PERSON_PASSWORD).await.0,
        StatusCode::UNAUTHORIZED
    );
    let third = app.sign_in("ana@it.test", "ana-new-password").await;
    // Signing out everywhere ends every browser session, this one included.
    assert_eq!(
        call_with_cookie(
            &app,
            &third,
            Method::POST,
            "/me/sign-out-everywhere",
            Some(&json!({}))
        )
        .await,
        StatusCode::OK
    );
    for cookie in [&first, &third] {
        assert_eq!(
            call_with_cookie(&app, cookie, Method::GET, "/me", None).await,
            StatusCode::UNAUTHORIZED
        );
    }
    let actions = audit_actions(&app).await;
    for action in ["user_created", "password_changed", "signed_out_everywhere"] {
        assert!(actions.iter().any(|a| a == action), "{action}: {actions:?}");
    }
}

#[tokio::test]
async fn a_disabled_account_stops_at_once_everywhere() {
    let app = TestApp::spawn().await;
    let (id, token) = app.person("carl@it.test", "manager", 1).await;
    let cookie = app.sign_in("carl@it.test", PERSON_PASSWORD).await;
    assert_eq!(
        app.call_as(&token, Method::GET, "/projects/1/settings", None)
            .await
            .0,
        StatusCode::OK
    );
    let (status, person) = app
        .call(
            Method::PATCH,
            &format!("/accounts/{id}"),
            Some(&json!({"disabled": true})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{person}");
    assert_eq!(person["disabled"], true);
    // The next request of each is refused: no cache stands between a disabling and a check.
    assert_eq!(
        app.call_as(&token, Method::GET, "/me", None).await.0,
        StatusCode::UNAUTHORIZED
    );
    assert_eq!(
        call_with_cookie(&app, &cookie, Method::GET, "/me", None).await,
        StatusCode::UNAUTHORIZED
    );
    let (status, refusal) = login_status(&app, "carl@it.test", PERSON_PASSWORD).await;
    assert_eq!(
        (status, &refusal["error"]["code"]),
        (StatusCode::FORBIDDEN, &json!("account_disabled"))
    );
    // A wrong password does not tell the account is disabled.
    let (status, _) = login_status(&app, "carl@it.test", "not-the-password").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    // Enabled again, the person signs in anew; the old token stays revoked.
    app.call(
        Method::PATCH,
        &format!("/accounts/{id}"),
        Some(&json!({"disabled": false})),
    )
    .await;
    assert_eq!(
        login_status(&app, "carl@it.test", PERSON_PASSWORD).await.0,
        StatusCode::OK
    );
    assert_eq!(
        app.call_as(&token, Method::GET, "/me", None).await.0,
        StatusCode::UNAUTHORIZED
    );
    // An organization admin cannot disable themselves.
    let (_, me) = app.call(Method::GET, "/me", None).await;
    let (status, _) = app
        .call(
            Method::PATCH,
            &format!("/accounts/{}", me["user"]["id"]),
            Some(&json!({"disabled": true})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let actions = audit_actions(&app).await;
    assert!(
        actions.iter().any(|a| a == "account_disabled"),
        "{actions:?}"
    );
    assert!(
        actions.iter().any(|a| a == "account_enabled"),
        "{actions:?}"
    );
}

#[tokio::test]
async fn roles_change_and_go_and_tokens_act_with_their_owners_role_until_they_expire() {
    let clock = Arc::new(ManualClock::at(T0));
    let app = TestApp::spawn_with_clock(clock.clone(), |_| {}).await;
    let (id, token) = app.person("dee@it.test", "viewer", 1).await;
    let save = json!({"name": "dee's", "search": {}});
    let saves = |token: String| {
        let app = &app;
        let save = save.clone();
        async move {
            app.call_as(
                &token,
                Method::POST,
                "/saved-searches?project=1",
                Some(&save),
            )
            .await
            .0
        }
    };
    assert_eq!(saves(token.clone()).await, StatusCode::FORBIDDEN);
    let (status, person) = app
        .call(
            Method::PUT,
            &format!("/projects/1/members/{id}"),
            Some(&json!({"role": "member"})),
        )
        .await;
    assert_eq!(status, StatusCode::OK, "{person}");
    assert_eq!(person["role"], "member");
    // The same token, the new role.
    assert_eq!(saves(token.clone()).await, StatusCode::CREATED);
    let (_, me) = app.call_as(&token, Method::GET, "/me", None).await;
    assert_eq!(me["projects"][0]["role"], "member", "{me}");
    // Access taken away: the project is not found any more.
    let (status, _) = app
        .call(Method::DELETE, &format!("/projects/1/members/{id}"), None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    assert_eq!(
        app.call_as(&token, Method::GET, "/replays?project=1", None)
            .await
            .0,
        StatusCode::NOT_FOUND
    );
    let (_, me) = app.call_as(&token, Method::GET, "/me", None).await;
    assert_eq!(me["projects"], json!([]), "{me}");
    // Organization admins are admins of every project: their role is not a project's.
    let (_, admin) = app.call(Method::GET, "/me", None).await;
    let (status, _) = app
        .call(
            Method::PUT,
            &format!("/projects/1/members/{}", admin["user"]["id"]),
            Some(&json!({"role": "viewer"})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // A token made to last a day stops after it; the list says when.
    let (status, made) = app
        .call(
            Method::POST,
            "/tokens",
            Some(&json!({"name": "ci", "expires_in_days": 1})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{made}");
    assert_eq!(made["expires_at"], rfc3339(T0 + DAY_MS));
    let short = made["token"].as_str().unwrap().to_owned();
    assert_eq!(
        app.call_as(&short, Method::GET, "/me", None).await.0,
        StatusCode::OK
    );
    clock.advance(DAY_MS);
    assert_eq!(
        app.call_as(&short, Method::GET, "/me", None).await.0,
        StatusCode::UNAUTHORIZED
    );
    let (status, _) = app
        .call(
            Method::POST,
            "/tokens",
            Some(&json!({"name": "x", "expires_in_days": 0})),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    let actions = audit_actions(&app).await;
    for action in ["role_changed", "access_removed", "token_created"] {
        assert!(actions.iter().any(|a| a == action), "{action}: {actions:?}");
    }
}
