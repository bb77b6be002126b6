//! Control data on PostgreSQL (`database_url = postgres://…`): the shared backend suite's
//! checks against a real server, migrations run once whichever node starts first, and a clear
//! error when the database cannot be reached.

use reel_store::PgStore;

use crate::postgres_server::PgServer;

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
