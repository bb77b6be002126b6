//! Garage (a distributed S3-compatible store, <https://garagehq.deuxfleurs.fr>) for a test: one
//! node with its layout applied, a key and a bucket, on free ports of 127.0.0.1 over a
//! temporary folder; stopped when the test ends. Built once outside the clone
//! (`make garage`, into REEL_TOOLS/bin).

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use reel_server::S3Settings;

use crate::s3_server::{BUCKET, ObjectServer, free_port};

/// The nodes' shared secret (64 hex digits).
const RPC_SECRET: &str = "d6b07e577a70929b3c82162cd5d7cbce1270fd15b7ceafb57bbdf0de0011c90f";
/// Garage's key ids are `GK` and 24 hex digits, secrets 64 hex digits.
const KEY_ID: &str = "GKc74509ba2f538dbbe9bd8c28";
const SECRET: &str = "08691ab86d06bcd7a1a99e5e9eb2f3bae672871ef878eefff7ebead8a80b05e9";

fn binary() -> PathBuf {
    if let Some(path) = std::env::var_os("REEL_GARAGE") {
        return PathBuf::from(path);
    }
    let tools = std::env::var_os("REEL_TOOLS").unwrap_or_else(|| "/var/cache/reel-tools".into());
    let cached = Path::new(&tools).join("bin/garage");
    assert!(
        cached.is_file(),
        "Garage is not at {}: `make garage` builds it there (about 15 minutes; `make test-scale` \
         does so first), or set REEL_GARAGE to its path",
        cached.display()
    );
    cached
}

pub struct GarageServer {
    child: Child,
    config: PathBuf,
    pub endpoint: String,
    _root: tempfile::TempDir,
}

impl GarageServer {
    /// Starts a node, applies a one-node layout, imports the key and makes the bucket.
    pub async fn start() -> Self {
        let root = tempfile::tempdir().expect("a temporary folder for Garage");
        let (s3_port, rpc_port) = (free_port(), free_port());
        let config = root.path().join("garage.toml");
        std::fs::write(
            &config,
            format!(
                "metadata_dir = \"{meta}\"\ndata_dir = \"{data}\"\ndb_engine = \"sqlite\"\n\
                 replication_factor = 1\nrpc_bind_addr = \"127.0.0.1:{rpc_port}\"\n\
                 rpc_public_addr = \"127.0.0.1:{rpc_port}\"\nrpc_secret = \"{secret}\"\n\
                 [s3_api]\ns3_region = \"us-east-1\"\napi_bind_addr = \"127.0.0.1:{s3_port}\"\n\
                 root_domain = \".s3.garage.localhost\"\n",
                meta = root.path().join("meta").display(),
                data = root.path().join("data").display(),
                secret = RPC_SECRET,
            ),
        )
        .unwrap();
        let child = Command::new(binary())
            .arg("-c")
            .arg(&config)
            .arg("server")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("run garage");
        let server = Self {
            child,
            config,
            endpoint: format!("http://127.0.0.1:{s3_port}"),
            _root: root,
        };
        server.until_it_answers().await;
        let node = server.admin(&["node", "id", "-q"]);
        let node = node.trim().split('@').next().unwrap().to_owned();
        server.admin(&["layout", "assign", "-z", "dc1", "-c", "1G", &node]);
        server.admin(&["layout", "apply", "--version", "1"]);
        server.admin(&["key", "import", "--yes", KEY_ID, SECRET, "-n", "reel"]);
        server.admin(&["bucket", "create", BUCKET]);
        server.admin(&[
            "bucket", "allow", "--read", "--write", "--owner", BUCKET, "--key", "reel",
        ]);
        server
    }

    /// Runs an admin command against the node; panics with its output when it fails.
    fn admin(&self, args: &[&str]) -> String {
        let out = Command::new(binary())
            .arg("-c")
            .arg(&self.config)
            .args(args)
            .output()
            .expect("run garage");
        assert!(
            out.status.success(),
            "garage {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    async fn until_it_answers(&self) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        loop {
            let status = Command::new(binary())
                .arg("-c")
                .arg(&self.config)
                .arg("status")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .expect("run garage");
            if status.success() {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "Garage did not answer in 60 s"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl ObjectServer for GarageServer {
    fn settings(&self) -> S3Settings {
        S3Settings {
            endpoint: Some(self.endpoint.clone()),
            region: Some("us-east-1".into()),
            access_key_id: Some(KEY_ID.into()),
            secret_access_key: Some(SECRET.into()),
            session_token: None,
        }
    }

    /// Listed through the S3 API (Garage keeps objects as content-addressed blocks), on a
    /// thread of its own so that callers inside a test's runtime can wait for it.
    fn objects(&self, prefix: &str) -> BTreeSet<String> {
        let settings = self.settings();
        let url = format!("s3://{BUCKET}/{prefix}");
        std::thread::scope(|scope| {
            scope
                .spawn(|| {
                    let runtime = tokio::runtime::Builder::new_current_thread()
                        .enable_all()
                        .build()
                        .unwrap();
                    runtime.block_on(async {
                        let blobs = reel_engine::store::Blobs::open(&url, &settings)
                            .await
                            .expect("the bucket");
                        blobs
                            .keys_older_than("", i64::MAX)
                            .await
                            .expect("a listing")
                            .into_iter()
                            .collect()
                    })
                })
                .join()
                .unwrap()
        })
    }
}

impl Drop for GarageServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
