//! A PostgreSQL server for a test or a benchmark (the scale suite's and `nodes`'): Debian's `postgresql` (15) binaries, a new cluster in a
//! temporary folder, listening on a free port of 127.0.0.1 with a password, stopped (fast
//! shutdown) when the test ends. PostgreSQL refuses to run as root, so as root the server runs
//! as the `postgres` user.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A port nothing listens on now.
fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

pub const USER: &str = "reel";
pub const PASSWORD: &str = "reel-scale-password";

/// The folder of `initdb` and `postgres`: `REEL_PG_BIN`, else the newest under
/// /usr/lib/postgresql. Missing, the test fails saying what to install.
fn bin_dir() -> PathBuf {
    if let Some(dir) = std::env::var_os("REEL_PG_BIN") {
        return PathBuf::from(dir);
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path().join("bin"))
        .filter(|p| p.join("postgres").is_file())
        .collect();
    versions.sort();
    versions.pop().unwrap_or_else(|| {
        panic!(
            "PostgreSQL is not installed: `apt-get install postgresql` (.ci/run does), \
             or set REEL_PG_BIN to the folder of initdb and postgres"
        )
    })
}

/// Whether this process runs as root (the owner of /proc/self is the process's user).
fn is_root() -> bool {
    use std::os::unix::fs::MetadataExt;
    std::fs::metadata("/proc/self").is_ok_and(|m| m.uid() == 0)
}

/// `program args…`, as the `postgres` user when we are root.
fn command(program: &Path) -> Command {
    if is_root() {
        let mut c = Command::new("runuser");
        c.args(["-u", "postgres", "--"]).arg(program);
        c
    } else {
        Command::new(program)
    }
}

pub struct PgServer {
    child: Child,
    data: PathBuf,
    port: u16,
    _root: tempfile::TempDir,
}

impl PgServer {
    /// A new cluster, started; returns once it accepts connections.
    pub async fn start() -> Self {
        let bin = bin_dir();
        let root = tempfile::tempdir().expect("a temporary folder for the cluster");
        let data = root.path().join("data");
        let pwfile = root.path().join("pw");
        std::fs::write(&pwfile, PASSWORD).unwrap();
        if is_root() {
            let status = Command::new("chown")
                .args(["-R", "postgres:postgres"])
                .arg(root.path())
                .status()
                .expect("chown");
            assert!(
                status.success(),
                "cannot give the cluster's folder to postgres"
            );
        }
        let out = command(&bin.join("initdb"))
            .arg("-D")
            .arg(&data)
            .args(["-U", USER, "-A", "scram-sha-256", "-E", "UTF8", "--no-sync"])
            .arg(format!("--pwfile={}", pwfile.display()))
            .output()
            .expect("run initdb");
        assert!(
            out.status.success(),
            "initdb failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        for _ in 0..5 {
            let port = free_port();
            let mut child = command(&bin.join("postgres"))
                .arg("-D")
                .arg(&data)
                .args(["-p", &port.to_string(), "-c", "listen_addresses=127.0.0.1"])
                .arg("-c")
                .arg(format!("unix_socket_directories={}", root.path().display()))
                // A test's cluster need not survive a power cut.
                .args(["-c", "fsync=off", "-c", "synchronous_commit=off"])
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("run postgres");
            if accepts(&mut child, port).await {
                return Self {
                    child,
                    data,
                    port,
                    _root: root,
                };
            }
        }
        panic!("PostgreSQL did not start on any of five free ports");
    }

    /// A URL of a new, empty database of this server. Its collation is ICU's English, which
    /// sorts unlike byte order, as a production database created under en_US does (a test
    /// machine's cluster often gets C.UTF-8, which sorts as bytes and would hide it): a query
    /// that leaves an order to the database's collation where SQLite's differs fails here.
    pub async fn new_database(&self, name: &str) -> String {
        let (client, connection) =
            tokio_postgres::connect(&self.url("postgres"), tokio_postgres::NoTls)
                .await
                .expect("connect to the test server");
        tokio::spawn(connection);
        client
            .batch_execute(&format!(
                "CREATE DATABASE \"{name}\" TEMPLATE template0 \
                 LOCALE_PROVIDER icu ICU_LOCALE 'en-US'"
            ))
            .await
            .expect("create a database");
        self.url(name)
    }

    /// The single number `sql` gives on the database at `url`, read directly (not through reel).
    pub async fn count(&self, url: &str, sql: &str) -> i64 {
        let (client, connection) = tokio_postgres::connect(url, tokio_postgres::NoTls)
            .await
            .expect("connect to the test database");
        tokio::spawn(connection);
        client.query_one(sql, &[]).await.expect(sql).get(0)
    }

    pub fn url(&self, database: &str) -> String {
        format!(
            "postgres://{USER}:{PASSWORD}@127.0.0.1:{}/{database}",
            self.port
        )
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        // The postmaster is a child of `runuser` when we are root: signal it by its pid file
        // (SIGINT: fast shutdown, without waiting for clients).
        if let Ok(pidfile) = std::fs::read_to_string(self.data.join("postmaster.pid"))
            && let Some(pid) = pidfile.lines().next()
        {
            let _ = Command::new("kill").args(["-INT", pid]).status();
        }
        let _ = self.child.wait();
    }
}

/// Polls until the server accepts a connection; false when it exited first (port taken).
async fn accepts(child: &mut Child, port: u16) -> bool {
    let url = format!("postgres://{USER}:{PASSWORD}@127.0.0.1:{port}/postgres");
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    loop {
        if let Ok(Some(_)) = child.try_wait() {
            return false;
        }
        if let Ok((client, connection)) = tokio_postgres::connect(&url, tokio_postgres::NoTls).await
        {
            drop(client);
            drop(connection);
            return true;
        }
        assert!(
            tokio::time::Instant::now() < deadline,
            "PostgreSQL did not accept connections on port {port}"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
