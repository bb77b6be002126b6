//! The crates' boundaries, checked where they are declared: HTTP only in the server, SQL only in
//! the store, no IO in the pure crates, and the server reaching storage only through the engine.

use std::path::PathBuf;

fn repo() -> PathBuf {
    PathBuf::from(std::env::var("CARGO_MANIFEST_DIR").expect("cargo sets CARGO_MANIFEST_DIR"))
        .join("../..")
}

/// The names under `[dependencies]` of a crate's manifest.
fn dependencies(krate: &str) -> Vec<String> {
    let text = std::fs::read_to_string(repo().join("crates").join(krate).join("Cargo.toml"))
        .unwrap_or_else(|e| panic!("{krate}: {e}"));
    let section = text
        .split("\n[")
        .find(|s| s.starts_with("dependencies]"))
        .unwrap_or_default();
    section
        .lines()
        .skip(1)
        .filter_map(|l| l.split(['=', '.']).next())
        .map(|n| n.trim().to_owned())
        .filter(|n| !n.is_empty() && !n.starts_with('#'))
        .collect()
}

#[test]
fn each_crate_depends_only_on_what_its_room_needs() {
    // (crate, dependencies it must not have)
    let rules: &[(&str, &[&str])] = &[
        (
            "reel-model",
            &["tokio", "axum", "rusqlite", "reel-store", "reel-rrweb"],
        ),
        ("reel-query", &["tokio", "axum", "rusqlite", "reel-store"]),
        (
            "reel-rrweb",
            &["tokio", "axum", "rusqlite", "reel-store", "object_store"],
        ),
        (
            "reel-store",
            &["axum", "hyper", "reel-engine", "reel-server"],
        ),
        (
            "reel-engine",
            &[
                "axum",
                "hyper",
                "tower",
                "rusqlite",
                "object_store",
                "reel-server",
            ],
        ),
        (
            "reel-server",
            &["reel-store", "rusqlite", "object_store", "zstd", "flate2"],
        ),
    ];
    for (krate, forbidden) in rules {
        let deps = dependencies(krate);
        assert!(!deps.is_empty(), "{krate} has dependencies");
        for name in *forbidden {
            assert!(!deps.iter().any(|d| d == name), "{krate} depends on {name}");
        }
    }
}

#[test]
fn sql_lives_in_the_store_only() {
    let mut offenders = Vec::new();
    let mut pending = vec![repo().join("crates")];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                if !path.ends_with("reel-store") && !path.ends_with("target") {
                    pending.push(path);
                }
            } else if path.extension().is_some_and(|e| e == "rs")
                && !path.ends_with("boundaries.rs")
                && std::fs::read_to_string(&path).unwrap().contains("rusqlite")
            {
                offenders.push(path.display().to_string());
            }
        }
    }
    assert!(
        offenders.is_empty(),
        "SQLite used outside reel-store: {offenders:?}"
    );
}
