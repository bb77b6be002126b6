//! The recordings kept in the repository's `testdata/`, read the one way every crate's tests,
//! examples and benchmarks read them:
//!
//! - [`corpus`]: rrweb's own test recordings (`testdata/rrweb-corpus/*.json`, see its README).
//! - [`workload`]: the recorded workload (`testdata/workload/*.json.gz`: gzip of a JSON array of
//!   rrweb events, one file per session).
//!
//! Each recording is its events' JSON texts exactly as recorded. For tests and measurements
//! only: it panics, with the file's name, on anything it cannot read.

use std::io::Read as _;
use std::path::{Path, PathBuf};

use serde_json::value::RawValue;

/// One recorded session.
pub struct Recording {
    /// The file's name (`hover.json`, `shop-1.json.gz`).
    pub name: String,
    /// The events' JSON texts, in recorded order, each exactly as recorded.
    pub events: Vec<String>,
}

/// The repository's root.
fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

/// The folder of rrweb's test recordings.
fn corpus_dir() -> PathBuf {
    repo_root().join("testdata/rrweb-corpus")
}

/// The folder of the recorded workload.
pub fn workload_dir() -> PathBuf {
    repo_root().join("testdata/workload")
}

/// rrweb's test recordings, by file name.
pub fn corpus() -> Vec<Recording> {
    files(&corpus_dir(), ".json")
        .iter()
        .map(|path| recording(path, std::fs::read_to_string(path)))
        .collect()
}

/// The recorded workload, by file name.
pub fn workload() -> Vec<Recording> {
    gzipped_recordings(&workload_dir())
}

/// Every `*.json.gz` recording in `dir` (the workload's format), by file name.
pub fn gzipped_recordings(dir: &Path) -> Vec<Recording> {
    files(dir, ".json.gz")
        .iter()
        .map(|path| {
            let mut json = String::new();
            let read = std::fs::File::open(path)
                .and_then(|f| flate2::read::GzDecoder::new(f).read_to_string(&mut json));
            recording(path, read.map(|_| json))
        })
        .collect()
}

/// The files in `dir` whose names end in `suffix`, sorted.
fn files(dir: &Path, suffix: &str) -> Vec<PathBuf> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("the recordings must exist at {}: {e}", dir.display()))
        .map(|entry| entry.expect("directory entry").path())
        .filter(|p| p.to_string_lossy().ends_with(suffix))
        .collect();
    files.sort();
    files
}

/// A recording's file name and its JSON array's elements, each as its exact text.
fn recording(path: &Path, json: std::io::Result<String>) -> Recording {
    let name = path
        .file_name()
        .expect("a file name")
        .to_string_lossy()
        .into_owned();
    let json = json.unwrap_or_else(|e| panic!("{name}: {e}"));
    let raw: Vec<&RawValue> = serde_json::from_str(&json).unwrap_or_else(|e| panic!("{name}: {e}"));
    let events = raw.iter().map(|r| r.get().to_owned()).collect();
    Recording { name, events }
}
