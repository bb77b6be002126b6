//! Control data on PostgreSQL (`database_url = postgres://…`): the shared backend suite's
//! checks against a real server, migrations run once whichever node starts first, and a clear
//! error when the database cannot be reached.

use reel_store::PgStore;
use reqwest::{Method, StatusCode};
use serde_json::json;

use crate::postgres_server::PgServer;
use crate::support::*;

#[tokio::test]
async fn accounts_on_postgres() {
    let server = PgServer::start().await;
    let url = server.new_database("accounts").await;
    let store = PgStore::connect(&url).await.expect("connect and migrate");
    reel_store::conformance::accounts(&store).await;
}

#[tokio::test]
async fn people_on_postgres() {
    let server = PgServer::start().await;
    let url = server.new_database("people").await;
    let store = PgStore::connect(&url).await.expect("connect and migrate");
    reel_store::conformance::people(&store).await;
}

#[tokio::test]
async fn library_on_postgres() {
    let server = PgServer::start().await;
    let url = server.new_database("library").await;
    let store = PgStore::connect(&url).await.expect("connect and migrate");
    reel_store::conformance::library(&store).await;
}

#[tokio::test]
async fn boards_on_postgres() {
    let server = PgServer::start().await;
    let url = server.new_database("boards").await;
    let store = PgStore::connect(&url).await.expect("connect and migrate");
    reel_store::conformance::boards(&store).await;
}

#[tokio::test]
async fn operations_on_postgres() {
    let server = PgServer::start().await;
    let url = server.new_database("operations").await;
    let store = PgStore::connect(&url).await.expect("connect and migrate");
    reel_store::conformance::operations(&store).await;
}

/// Two nodes starting at once against an empty database: both migrate-or-wait under the
/// advisory lock, neither fails, and both see one schema.
#[tokio::test]
async fn two_nodes_start_at_once_on_one_database() {
    let server = PgServer::start().await;
    let url = server.new_database("race").await;
    let (a, b) = tokio::join!(PgStore::connect(&url), PgStore::connect(&url));
    let (a, b) = (a.expect("first node"), b.expect("second node"));
    use reel_store::AccountStore;
    assert!(a.is_empty().await.unwrap() && b.is_empty().await.unwrap());
    // A third start finds everything applied.
    PgStore::connect(&url).await.expect("a later node");
}

/// Two reel nodes started together on an empty database: one makes the installation, the
/// other joins it; both serve the same organization.
#[tokio::test]
async fn two_nodes_started_together_make_one_installation() {
    let server = PgServer::start().await;
    let url = server.new_database("together").await;
    let on = |url: String| move |c: &mut reel_server::Config| c.database_url = Some(url);
    let (a, b) = tokio::join!(
        TestApp::spawn_with(on(url.clone())),
        TestApp::spawn_with(on(url.clone()))
    );
    assert_eq!(
        server
            .count(&url, "SELECT COUNT(*) FROM organizations")
            .await,
        1
    );
    let (_, me_a) = a.call(Method::GET, "/me", None).await;
    let (_, me_b) = b.call(Method::GET, "/me", None).await;
    assert_eq!(me_a["organization"], me_b["organization"], "{me_a} {me_b}");
    assert_eq!(me_a["user"]["id"], me_b["user"]["id"]);
}

#[tokio::test]
async fn an_unreachable_database_is_one_error_naming_the_setting() {
    let port = crate::s3_server::free_port();
    let url = format!("postgres://reel:secret-pw@127.0.0.1:{port}/reel");
    let err = PgStore::connect(&url)
        .await
        .err()
        .expect("nothing listens there");
    let text = err.to_string();
    assert!(text.contains("database_url"), "{text}");
    assert!(text.contains(&format!("127.0.0.1:{port}")), "{text}");
    assert!(
        !text.contains("secret-pw"),
        "the password stays out: {text}"
    );
    let err = PgStore::connect("mysql://x")
        .await
        .err()
        .expect("not PostgreSQL");
    assert!(err.to_string().contains("database_url"), "{err}");
}

/// Two reel nodes with their own data dirs and one PostgreSQL: the second joins what the first
/// set up (organization, project, key, admin) instead of making its own, and what an admin
/// changes on one (a new project, a person, a token) holds on the other at once.
#[tokio::test]
async fn a_second_node_joins_the_control_data_a_first_node_set_up() {
    let server = PgServer::start().await;
    let url = server.new_database("nodes").await;
    let on_postgres = |url: String| move |c: &mut reel_server::Config| c.database_url = Some(url);
    let a = TestApp::spawn_with(on_postgres(url.clone())).await;
    let b = TestApp::spawn_with(on_postgres(url.clone())).await;
    assert_eq!(
        server
            .count(&url, "SELECT COUNT(*) FROM organizations")
            .await,
        1,
        "node B found the installation instead of making one"
    );

    let (_, me_a) = a.call(Method::GET, "/me", None).await;
    let (status, me_b) = b.call(Method::GET, "/me", None).await;
    assert_eq!(status, StatusCode::OK, "{me_b}");
    assert_eq!(
        me_a["projects"], me_b["projects"],
        "one organization, one project"
    );

    // A project made on A takes uploads on B with its key; a person made on B signs in on A.
    let (docs, docs_key) = a.project("Docs").await;
    let now = now_ms();
    assert_eq!(
        b.track_with_key(&docs_key, "docs-device", now).await,
        StatusCode::OK
    );
    let (_, listed) = b
        .call(Method::GET, &format!("/replays?project={docs}"), None)
        .await;
    assert_eq!(
        listed["replays"].as_array().map(Vec::len),
        Some(1),
        "{listed}"
    );
    let (writer, token) = b.person("writer@it.test", "viewer", docs).await;
    let (status, their_me) = a.call_as(&token, Method::GET, "/me", None).await;
    assert_eq!(status, StatusCode::OK, "{their_me}");
    assert_eq!(their_me["user"]["id"], writer, "{their_me}");

    // The month's captured sessions count every node's: one recorded on each.
    assert_eq!(
        a.track_with_key(&docs_key, "docs-device-2", now).await,
        StatusCode::OK
    );
    for node in [&a, &b] {
        let (_, usage) = node.call(Method::GET, "/usage", None).await;
        assert_eq!(usage["sessions_captured"], 2, "{usage}");
    }

    // A viewer's verdict on B's replay names them (their account lives in PostgreSQL).
    let replay = listed["replays"][0]["id"].as_str().unwrap().to_owned();
    let (status, verdict) = b
        .call_as(
            &token,
            Method::POST,
            &format!("/replays/{replay}/feedback?project={docs}"),
            Some(&json!({"rating": "up"})),
        )
        .await;
    assert_eq!(status, StatusCode::CREATED, "{verdict}");
    let (_, feedback) = b
        .call(Method::GET, &format!("/feedback?project={docs}"), None)
        .await;
    assert_eq!(
        feedback["feedback"][0]["user"]["email"], "writer@it.test",
        "{feedback}"
    );

    // Disabling the account on A stops its token on B at once.
    let (status, _) = a
        .call(
            Method::PATCH,
            &format!("/accounts/{writer}"),
            Some(&json!({"disabled": true})),
        )
        .await;
    assert_eq!(status, StatusCode::OK);
    let (status, _) = b.call_as(&token, Method::GET, "/me", None).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);

    // The data dirs hold the recordings' side: the admin's account and its token are in
    // PostgreSQL only (the viewer's email is copied beside their verdict, on B).
    for node in [&a, &b] {
        let places = stored(node.data_dir()).places_holding(ADMIN_EMAIL).unwrap();
        assert!(places.is_empty(), "the admin's email in SQLite: {places:?}");
    }
    assert!(
        stored(a.data_dir())
            .places_holding("writer@it.test")
            .unwrap()
            .is_empty()
    );
}

/// The recordings' index on PostgreSQL, through a node's store (PostgreSQL beside its own
/// SQLite) and the same traits as the embedded store's check.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn recordings_on_postgres() {
    let server = PgServer::start().await;
    let url = server.new_database("recordings").await;
    let dir = tempfile::tempdir().unwrap();
    let control = PgStore::connect(&url).await.expect("connect and migrate");
    let events = reel_store::SqliteStore::open(&dir.path().join("reel.db")).unwrap();
    let store = reel_store::SplitStore::new(control, events).await.unwrap();
    reel_store::conformance::recordings(&store).await;
}

/// Leases on PostgreSQL's processing queue, through a node's store.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn work_leases_on_postgres() {
    let server = PgServer::start().await;
    let url = server.new_database("leases").await;
    let dir = tempfile::tempdir().unwrap();
    let control = PgStore::connect(&url).await.expect("connect and migrate");
    let events = reel_store::SqliteStore::open(&dir.path().join("reel.db")).unwrap();
    let store = reel_store::SplitStore::new(control, events).await.unwrap();
    reel_store::conformance::work_leases(&store).await;
}
