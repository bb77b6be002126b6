//! A ClickHouse server for a test or a benchmark: Debian's `clickhouse-server` (18.16 here) on
//! free ports of 127.0.0.1, its data in a temporary folder, from a configuration written for
//! it; stopped when dropped. The scale suite (`crates/reel/tests/scale`) and `bin/scale.rs`
//! share it.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// The server binary: `REEL_CLICKHOUSE_SERVER`, else Debian's path. Missing, the test fails
/// saying how to install it.
fn binary() -> PathBuf {
    let path = std::env::var_os("REEL_CLICKHOUSE_SERVER").map_or_else(
        || PathBuf::from("/usr/sbin/clickhouse-server"),
        PathBuf::from,
    );
    assert!(
        path.is_file(),
        "ClickHouse is not at {}: `apt-get install clickhouse-server` installs it, or set \
         REEL_CLICKHOUSE_SERVER to its path",
        path.display()
    );
    path
}

pub struct ClickHouseServer {
    child: Child,
    pub http_port: u16,
    _root: tempfile::TempDir,
}

impl ClickHouseServer {
    /// Starts the server and returns once it answers `/ping`.
    pub async fn start() -> Self {
        let root = tempfile::tempdir().expect("a temporary folder for ClickHouse");
        let binary = binary();
        // A free port may be taken between finding it and the server binding it: try again.
        for _ in 0..5 {
            let (http_port, tcp_port) = (free_port(), free_port());
            let dir = root.path();
            // The interserver port is left out: without replicated tables nothing listens
            // there. The TCP port must be set, or the server takes 9000.
            std::fs::write(
                dir.join("config.xml"),
                format!(
                    "<yandex>
  <logger><level>warning</level><console>1</console></logger>
  <http_port>{http_port}</http_port>
  <tcp_port>{tcp_port}</tcp_port>
  <listen_host>127.0.0.1</listen_host>
  <path>{data}/</path>
  <tmp_path>{data}/tmp/</tmp_path>
  <user_files_path>{data}/user_files/</user_files_path>
  <format_schema_path>{data}/format_schemas/</format_schema_path>
  <mark_cache_size>67108864</mark_cache_size>
  <users_config>{dir}/users.xml</users_config>
  <default_profile>default</default_profile>
  <default_database>default</default_database>
</yandex>
",
                    data = dir.join("data").display(),
                    dir = dir.display(),
                ),
            )
            .expect("ClickHouse's configuration");
            std::fs::write(
                dir.join("users.xml"),
                "<yandex>
  <profiles><default></default></profiles>
  <users><default><password></password><networks><ip>127.0.0.1</ip></networks>
    <profile>default</profile><quota>default</quota></default>
    <reel><password>p@ss w:rd</password><networks><ip>127.0.0.1</ip></networks>
    <profile>default</profile><quota>default</quota></reel></users>
  <quotas><default></default></quotas>
</yandex>
",
            )
            .expect("ClickHouse's users");
            let mut child = Command::new(&binary)
                .arg(format!(
                    "--config-file={}",
                    dir.join("config.xml").display()
                ))
                .current_dir(dir)
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .unwrap_or_else(|e| panic!("cannot run {}: {e}", binary.display()));
            if answers(&mut child, http_port).await {
                return Self {
                    child,
                    http_port,
                    _root: root,
                };
            }
        }
        panic!("clickhouse-server did not start on any of five pairs of free ports");
    }

    /// `events_url` for a database of this server.
    pub fn url(&self, database: &str) -> String {
        format!("clickhouse://127.0.0.1:{}/{database}", self.http_port)
    }

    /// [`Self::url`] as the server's second user, `reel`, whose password is [`PASSWORD`]
    /// (`password` goes in the URL as given: escape it with `%XX` as URLs need).
    pub fn url_as(&self, password: &str, database: &str) -> String {
        format!(
            "clickhouse://reel:{password}@127.0.0.1:{}/{database}",
            self.http_port
        )
    }
}

/// The password of the server's user `reel` (the default user has none).
pub const PASSWORD: &str = "p@ss w:rd";

impl Drop for ClickHouseServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// Polls until `/ping` answers; false when the server exited first (a port was taken).
async fn answers(child: &mut Child, port: u16) -> bool {
    let client = reqwest::Client::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(Some(_)) = child.try_wait() {
            return false;
        }
        if let Ok(r) = client
            .get(format!("http://127.0.0.1:{port}/ping"))
            .send()
            .await
            && r.status().is_success()
        {
            return true;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "clickhouse-server did not answer on port {port}"
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}
