//! The ClickHouse server of the suite: reel-bench's (the scale benchmark starts the same one);
//! and the embedded store the comparisons ask beside it.

use std::path::Path;

pub use reel_bench::clickhouse_server::ClickHouseServer;
use reel_engine::store::prelude::*;
use reel_engine::store::{NewInstallation, Project, SqliteStore};

/// The time the comparisons' installations are made at: 2026-01-05 00:00 UTC.
const T0: i64 = 1_767_571_200_000;

/// An embedded store in `dir` with its installation: the project the comparisons write to.
pub async fn embedded_with_project(dir: &Path) -> (SqliteStore, Project) {
    let sqlite = SqliteStore::open(&dir.join("reel.db")).expect("SQLite opens");
    let (project, _) = sqlite
        .create_installation(
            NewInstallation {
                organization_name: "o".into(),
                project_name: "shop".into(),
                api_key: "k1".into(),
                admin_email: "a@b.test".into(),
                admin_password_hash: "x".into(),
            },
            T0,
        )
        .await
        .unwrap()
        .expect("a new store");
    (sqlite, project)
}
