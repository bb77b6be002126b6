//! Every role against every route: what each answers, as a table. Columns are a viewer, a
//! member, a manager and an admin of the project, an organization admin, an outsider (a role
//! on another project only) and nobody (no token). Routes that change or delete something get
//! a fresh one for every column (`{replay}`, `{saved}`, …), so each column meets the same
//! situation.

use std::sync::atomic::{AtomicUsize, Ordering};

use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::support::*;

/// Columns of the table.
const VIEWER: usize = 0;
const MEMBER: usize = 1;
const MANAGER: usize = 2;
const ADMIN: usize = 3;
const ORG_ADMIN: usize = 4;
const OUTSIDER: usize = 5;
const NOBODY: usize = 6;

/// (method, path, body, statuses by column). `P` is the project; placeholders in braces get a
/// fresh resource per column.
type Row = (Method, &'static str, Option<Value>, [u16; 7]);

#[rustfmt::skip]
fn table() -> Vec<Row> {
    use Method as M;
    let j = |v: Value| Some(v);
    vec![
        // Yours, whatever your roles.
        (M::GET, "/me", None, [200, 200, 200, 200, 200, 200, 401]),
        (M::GET, "/tokens", None, [200, 200, 200, 200, 200, 200, 401]),
        (M::POST, "/tokens", j(json!({"name": "t", "expires_in_days": 1})), [201, 201, 201, 201, 201, 201, 401]),
        (M::GET, "/portfolio/replays", None, [200, 200, 200, 200, 200, 200, 401]),
        // Watching replays.
        (M::GET, "/replays?project=P", None, [200, 200, 200, 200, 200, 404, 401]),
        (M::POST, "/replays/search?project=P", j(json!({})), [200, 200, 200, 200, 200, 404, 401]),
        (M::GET, "/replays/{replay}?project=P", None, [200, 200, 200, 200, 200, 404, 401]),
        (M::GET, "/replays/{replay}/events?project=P", None, [200, 200, 200, 200, 200, 404, 401]),
        (M::GET, "/replays/{replay}/manifest?project=P", None, [200, 200, 200, 200, 200, 404, 401]),
        (M::GET, "/replays/{replay}/activity?project=P", None, [200, 200, 200, 200, 200, 404, 401]),
        (M::GET, "/replays/{replay}/timeline?project=P", None, [200, 200, 200, 200, 200, 404, 401]),
        (M::POST, "/replays/{replay}/feedback?project=P", j(json!({"rating": "up"})), [201, 201, 201, 201, 201, 404, 401]),
        (M::GET, "/catalog?project=P", None, [200, 200, 200, 200, 200, 404, 401]),
        (M::GET, "/saved-searches?project=P", None, [200, 200, 200, 200, 200, 404, 401]),
        (M::GET, "/cohorts?project=P", None, [200, 200, 200, 200, 200, 404, 401]),
        // Saving searches and cohorts: members and up (a project's library is shared).
        (M::POST, "/saved-searches?project=P", j(json!({"name": "s", "search": {}})), [403, 201, 201, 201, 201, 404, 401]),
        (M::DELETE, "/saved-searches/{saved}?project=P", None, [403, 204, 204, 204, 204, 404, 401]),
        (M::POST, "/cohorts?project=P", j(cohort()), [403, 201, 201, 201, 201, 404, 401]),
        (M::PUT, "/cohorts/{cohort}?project=P", j(cohort()), [403, 200, 200, 200, 200, 404, 401]),
        (M::DELETE, "/cohorts/{cohort}?project=P", None, [403, 204, 204, 204, 204, 404, 401]),
        // Analytics: everyone with access reads charts, users and boards; members and up save.
        (M::POST, "/charts/segmentation?project=P", j(json!({"events": [{"event_type": "view"}], "start": "2026-01-05", "end": "2026-01-06"})), [200, 200, 200, 200, 200, 404, 401]),
        (M::POST, "/charts/funnel?project=P", j(json!({"steps": [{"event_type": "view"}, {"event_type": "buy"}], "start": "2026-01-05", "end": "2026-01-06"})), [200, 200, 200, 200, 200, 404, 401]),
        (M::GET, "/users?project=P&user_id=someone", None, [200, 200, 200, 200, 200, 404, 401]),
        (M::GET, "/users/someone?project=P", None, [404, 404, 404, 404, 404, 404, 401]),
        (M::GET, "/dashboards?project=P", None, [200, 200, 200, 200, 200, 404, 401]),
        (M::GET, "/dashboards/{dashboard}?project=P", None, [200, 200, 200, 200, 200, 404, 401]),
        (M::POST, "/dashboards?project=P", j(json!({"name": "d"})), [403, 201, 201, 201, 201, 404, 401]),
        (M::PUT, "/dashboards/{dashboard}?project=P", j(json!({"name": "d2", "items": []})), [403, 200, 200, 200, 200, 404, 401]),
        (M::DELETE, "/dashboards/{dashboard}?project=P", None, [403, 204, 204, 204, 204, 404, 401]),
        (M::GET, "/notebooks?project=P", None, [200, 200, 200, 200, 200, 404, 401]),
        (M::POST, "/notebooks?project=P", j(json!({"name": "n"})), [403, 201, 201, 201, 201, 404, 401]),
        // Managers: feedback, ingestion, billing, settings.
        (M::GET, "/feedback?project=P", None, [403, 403, 200, 200, 200, 404, 401]),
        (M::GET, "/projects/P/ingestion", None, [403, 403, 200, 200, 200, 404, 401]),
        (M::GET, "/usage?project=P", None, [403, 403, 200, 200, 200, 404, 401]),
        (M::PATCH, "/projects/P", j(json!({"timezone": "UTC"})), [403, 403, 200, 200, 200, 404, 401]),
        (M::GET, "/projects/P/settings", None, [403, 403, 200, 200, 200, 404, 401]),
        (M::PATCH, "/projects/P/settings", j(json!({"console_logs": true})), [403, 403, 200, 200, 200, 404, 401]),
        // Admins: retention, deletion, keys, people, the audit log.
        (M::PATCH, "/projects/P/settings", j(json!({"retention_days": 30})), [403, 403, 403, 200, 200, 404, 401]),
        (M::DELETE, "/replays/{replay}?project=P", None, [403, 403, 403, 204, 204, 404, 401]),
        (M::DELETE, "/projects/P/users/someone", None, [403, 403, 403, 200, 200, 404, 401]),
        (M::DELETE, "/projects/P/devices/some-device", None, [403, 403, 403, 200, 200, 404, 401]),
        (M::GET, "/projects/P/keys", None, [403, 403, 403, 200, 200, 404, 401]),
        (M::POST, "/projects/P/keys/rotate", j(json!({"overlap_hours": 24})), [403, 403, 403, 200, 200, 404, 401]),
        (M::GET, "/projects/P/members", None, [403, 403, 403, 200, 200, 404, 401]),
        (M::PUT, "/projects/P/members/{member}", j(json!({"role": "member"})), [403, 403, 403, 200, 200, 404, 401]),
        (M::DELETE, "/projects/P/members/{member}", None, [403, 403, 403, 204, 204, 404, 401]),
        (M::GET, "/projects/P/invites", None, [403, 403, 403, 200, 200, 404, 401]),
        (M::POST, "/projects/P/invites", j(json!({"email": "{email}", "role": "viewer"})), [403, 403, 403, 201, 201, 404, 401]),
        (M::DELETE, "/projects/P/invites/{invite}", None, [403, 403, 403, 204, 204, 404, 401]),
        (M::POST, "/users?project=P", j(json!({"email": "{email}", "password": "a-long-password", "role": "viewer"})), [403, 403, 403, 201, 201, 404, 401]),
        (M::GET, "/audit-log?project=P", None, [403, 403, 403, 200, 200, 404, 401]),
        // Organization admins alone.
        (M::POST, "/projects", j(json!({"name": "another"})), [403, 403, 403, 403, 201, 403, 401]),
        (M::GET, "/accounts", None, [403, 403, 403, 403, 200, 403, 401]),
        (M::PATCH, "/accounts/{member}", j(json!({"disabled": false})), [403, 403, 403, 403, 200, 403, 401]),
        (M::PUT, "/organization/quota", j(json!({"monthly_session_quota": null})), [403, 403, 403, 403, 204, 403, 401]),
    ]
}

fn cohort() -> Value {
    json!({"name": "c", "definition": {"conditions": [
        {"performed": "Purchase", "min_count": 1}
    ]}})
}

/// A fresh name for each use.
fn fresh(what: &str) -> String {
    static N: AtomicUsize = AtomicUsize::new(0);
    format!("{what}-{}", N.fetch_add(1, Ordering::Relaxed))
}

struct World {
    project: i64,
    /// Tokens by column (none for nobody).
    tokens: Vec<Option<String>>,
}

async fn world(app: &TestApp) -> World {
    let (me_status, me) = app.call(Method::GET, "/me", None).await;
    assert_eq!(me_status, StatusCode::OK, "{me}");
    let project = me["projects"][0]["id"].as_i64().expect("the first project");
    let (elsewhere, _) = app.project("Elsewhere").await;
    let mut tokens = Vec::new();
    for role in ["viewer", "member", "manager", "admin"] {
        let email = format!("project-{role}@it.test");
        tokens.push(Some(app.person(&email, role, project).await.1));
    }
    tokens.push(Some(ADMIN_TOKEN.to_owned()));
    tokens.push(Some(
        app.person("outsider@it.test", "admin", elsewhere).await.1,
    ));
    tokens.push(None);
    World { project, tokens }
}

/// The path with `P` and every placeholder filled in, making what they name.
async fn materialize(app: &TestApp, world: &World, text: &str) -> String {
    let p = world.project;
    let mut text = text.replace("P", &p.to_string());
    if text.contains("{replay}") {
        let device = fresh("device");
        let session = now_ms() - 60_000;
        app.track_ok(&device, session, &page(session, "https://shop.test/"))
            .await;
        text = text.replace("{replay}", &replay_id(&device, session));
    }
    if text.contains("{saved}") {
        let body = json!({"name": fresh("saved"), "search": {}});
        let (_, saved) = app
            .call(
                Method::POST,
                &format!("/saved-searches?project={p}"),
                Some(&body),
            )
            .await;
        text = text.replace("{saved}", &saved["id"].to_string());
    }
    if text.contains("{cohort}") {
        let (_, made) = app
            .call(
                Method::POST,
                &format!("/cohorts?project={p}"),
                Some(&cohort()),
            )
            .await;
        text = text.replace("{cohort}", &made["id"].to_string());
    }
    if text.contains("{dashboard}") {
        let (_, made) = app
            .call(
                Method::POST,
                &format!("/dashboards?project={p}"),
                Some(&json!({"name": fresh("dashboard")})),
            )
            .await;
        text = text.replace("{dashboard}", &made["id"].to_string());
    }
    if text.contains("{invite}") {
        let body = json!({"email": format!("{}@it.test", fresh("invited")), "role": "viewer"});
        let (_, invite) = app
            .call(Method::POST, &format!("/projects/{p}/invites"), Some(&body))
            .await;
        text = text.replace("{invite}", &invite["id"].to_string());
    }
    if text.contains("{member}") {
        let email = format!("{}@it.test", fresh("member"));
        let body = json!({"email": email, "password": PERSON_PASSWORD, "role": "viewer"});
        let (_, person) = app
            .call(Method::POST, &format!("/users?project={p}"), Some(&body))
            .await;
        text = text.replace("{member}", &person["user"]["id"].to_string());
    }
    if text.contains("{email}") {
        text = text.replace("{email}", &format!("{}@it.test", fresh("new")));
    }
    text
}

#[tokio::test]
async fn every_role_gets_what_the_table_says_on_every_route() {
    let app = TestApp::spawn().await;
    let world = world(&app).await;
    let mut wrong = Vec::new();
    for (method, path, body, statuses) in table() {
        for (column, want) in statuses.iter().enumerate() {
            let path = materialize(&app, &world, path).await;
            let body = match &body {
                Some(b) => Some(
                    serde_json::from_str::<Value>(&materialize(&app, &world, &b.to_string()).await)
                        .expect("a body"),
                ),
                None => None,
            };
            let (status, answer) = match &world.tokens[column] {
                Some(token) => {
                    app.call_as(token, method.clone(), &path, body.as_ref())
                        .await
                }
                None => {
                    let mut request = app
                        .client
                        .request(method.clone(), app.url(&format!("/api/v1{path}")));
                    if let Some(body) = &body {
                        request = request.json(body);
                    }
                    let response = request.send().await.expect("sent");
                    (response.status(), Value::Null)
                }
            };
            if status.as_u16() != *want {
                wrong.push(format!(
                    "{method} {path} as column {column}: {status}, wanted {want}: {answer}"
                ));
            }
            if status == StatusCode::FORBIDDEN {
                assert_eq!(answer["error"]["code"], "forbidden", "{method} {path}");
            }
            if status == StatusCode::NOT_FOUND && column == OUTSIDER {
                // Nothing tells an outsider the project exists.
                assert_eq!(answer["error"]["code"], "not_found", "{method} {path}");
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "{} wrong answers:\n{}",
        wrong.len(),
        wrong.join("\n")
    );
    // /metrics is outside the API: organization admins only.
    for (column, want) in [
        (VIEWER, 403),
        (ADMIN, 403),
        (ORG_ADMIN, 200),
        (OUTSIDER, 403),
    ] {
        let token = world.tokens[column].as_deref().expect("a token");
        let response = app
            .client
            .get(app.url("/metrics"))
            .bearer_auth(token)
            .send()
            .await
            .expect("sent");
        assert_eq!(
            response.status().as_u16(),
            want,
            "/metrics as column {column}"
        );
    }
    let response = app
        .client
        .get(app.url("/metrics"))
        .send()
        .await
        .expect("sent");
    assert_eq!(
        response.status(),
        StatusCode::UNAUTHORIZED,
        "/metrics as nobody"
    );
    let _ = (MEMBER, MANAGER, NOBODY);
}
