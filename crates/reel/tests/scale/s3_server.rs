//! An S3-compatible server for a test: s3s-fs on a free port of 127.0.0.1, serving a temporary
//! folder, with one bucket ready and path-style requests.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use reel_server::S3Settings;

use crate::support::files_under;

pub const BUCKET: &str = "reel-recordings";
pub const ACCESS_KEY: &str = "reel-scale-key";
pub const SECRET_KEY: &str = "reel-scale-secret";

/// The s3s-fs binary: `REEL_S3S_FS`, else where `make s3s-fs` installs it (`REEL_TOOLS/bin`,
/// default /var/cache/reel-tools/bin). Missing, the test fails saying how to build it.
fn binary() -> PathBuf {
    if let Some(path) = std::env::var_os("REEL_S3S_FS") {
        return PathBuf::from(path);
    }
    let tools = std::env::var_os("REEL_TOOLS").unwrap_or_else(|| "/var/cache/reel-tools".into());
    let cached = Path::new(&tools).join("bin/s3s-fs");
    assert!(
        cached.is_file(),
        "the S3-compatible test server s3s-fs is not at {}: `make s3s-fs` builds it there \
         (`make test-scale` does so first), or set REEL_S3S_FS to its path",
        cached.display()
    );
    cached
}

/// An S3-compatible server of the suite: how reel reaches it, and what it holds.
pub trait ObjectServer {
    /// What reel reads from the `AWS_*` variables to reach this server.
    fn settings(&self) -> S3Settings;
    /// The keys of the objects under `prefix` in the bucket, below the prefix: what the
    /// server holds, read without reel.
    fn objects(&self, prefix: &str) -> BTreeSet<String>;
}

pub struct S3Server {
    child: Child,
    pub endpoint: String,
    root: tempfile::TempDir,
}

impl S3Server {
    /// Starts the server and returns once it answers HTTP.
    pub async fn start() -> Self {
        let root = tempfile::tempdir().expect("a temporary folder for the bucket");
        std::fs::create_dir(root.path().join(BUCKET)).expect("the bucket's folder");
        let binary = binary();
        // A free port may be taken between finding it and the server binding it: try again.
        for _ in 0..5 {
            let port = free_port();
            let mut child = Command::new(&binary)
                .args(["--host", "127.0.0.1", "--port", &port.to_string()])
                .args(["--access-key", ACCESS_KEY, "--secret-key", SECRET_KEY])
                .arg(root.path())
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| panic!("cannot run {}: {e}", binary.display()));
            if answers(&mut child, port).await {
                return Self {
                    child,
                    endpoint: format!("http://127.0.0.1:{port}"),
                    root,
                };
            }
        }
        panic!("s3s-fs did not start on any of five free ports");
    }
}

impl ObjectServer for S3Server {
    fn settings(&self) -> S3Settings {
        S3Settings {
            endpoint: Some(self.endpoint.clone()),
            region: Some("us-east-1".into()),
            access_key_id: Some(ACCESS_KEY.into()),
            secret_access_key: Some(SECRET_KEY.into()),
            session_token: None,
        }
    }

    /// Read from its folder.
    fn objects(&self, prefix: &str) -> BTreeSet<String> {
        files_under(&self.root.path().join(BUCKET).join(prefix))
    }
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// Polls until the server answers an HTTP request; false when it exited first (its port was
/// taken).
async fn answers(child: &mut Child, port: u16) -> bool {
    let client = reqwest::Client::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
    loop {
        if let Ok(Some(_)) = child.try_wait() {
            return false;
        }
        if client
            .get(format!("http://127.0.0.1:{port}/"))
            .send()
            .await
            .is_ok()
        {
            return true;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "s3s-fs did not answer on port {port}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
