//! The real `reel` binary as a child process, for what only a process shows: signals, file
//! descriptor limits, unwritable stderr, system calls (strace), exit codes and messages.

use std::io::{BufRead as _, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use super::{ADMIN_EMAIL, ADMIN_PASSWORD, ADMIN_TOKEN, KEY};

pub fn reel_binary() -> &'static str {
    env!("CARGO_BIN_EXE_reel")
}

/// How to start the server.
pub struct Launch {
    data_dir: PathBuf,
    /// A shell snippet run before `exec`-ing reel, e.g. `ulimit -n 256`.
    shell_prefix: Option<String>,
    /// A program reel runs under, e.g. `strace -f -o FILE`.
    wrapper: Vec<String>,
    env: Vec<(String, String)>,
    stderr: Option<Stdio>,
}

impl Launch {
    pub fn new(data_dir: &Path) -> Self {
        Self {
            data_dir: data_dir.to_path_buf(),
            shell_prefix: None,
            wrapper: Vec::new(),
            env: Vec::new(),
            stderr: None,
        }
    }

    pub fn shell_prefix(mut self, prefix: &str) -> Self {
        self.shell_prefix = Some(prefix.to_owned());
        self
    }

    pub fn wrapper(mut self, wrapper: &[&str]) -> Self {
        self.wrapper = wrapper.iter().map(|s| s.to_string()).collect();
        self
    }

    pub fn env(mut self, name: &str, value: &str) -> Self {
        self.env.push((name.to_owned(), value.to_owned()));
        self
    }

    pub fn stderr(mut self, stderr: Stdio) -> Self {
        self.stderr = Some(stderr);
        self
    }

    /// Starts the server and waits for its "listening" line.
    pub fn start(self) -> RealServer {
        let mut argv: Vec<String> = self.wrapper.clone();
        argv.push(reel_binary().to_owned());
        argv.extend(["serve", "--listen", "127.0.0.1:0", "--data-dir"].map(String::from));
        argv.push(self.data_dir.display().to_string());
        let mut command = match &self.shell_prefix {
            Some(prefix) => {
                let mut c = Command::new("sh");
                c.arg("-c")
                    .arg(format!("{prefix} && exec \"$@\""))
                    .arg("sh")
                    .args(&argv);
                c
            }
            None => {
                let mut c = Command::new(&argv[0]);
                c.args(&argv[1..]);
                c
            }
        };
        command
            .env("REEL_API_KEY", KEY)
            .env("REEL_ADMIN_EMAIL", ADMIN_EMAIL)
            .env("REEL_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .env("REEL_ADMIN_TOKEN", ADMIN_TOKEN)
            .env("REEL_LOG", "warn")
            .env_remove("REEL_CONFIG")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(self.stderr.unwrap_or_else(Stdio::null));
        for (k, v) in &self.env {
            command.env(k, v);
        }
        let mut child = command.spawn().expect("the reel binary starts");
        let stdout = child.stdout.take().expect("piped stdout");
        let (tx, rx) = std::sync::mpsc::channel();
        // Keep reading to the end: a closed pipe would make the server's later writes fail.
        std::thread::spawn(move || {
            let mut tx = Some(tx);
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(url) = line.strip_prefix("reel listening on ")
                    && let Some(tx) = tx.take()
                {
                    let _ = tx.send(url.trim().to_owned());
                }
            }
        });
        let base_url = match rx.recv() {
            Ok(url) => url,
            Err(_) => {
                let status = child.wait();
                panic!("reel exited before listening: {status:?}");
            }
        };
        RealServer { child, base_url }
    }
}

/// The running binary; killed when dropped so a failing test leaves no process behind.
pub struct RealServer {
    child: Child,
    pub base_url: String,
}

impl RealServer {
    pub fn start(data_dir: &Path) -> Self {
        Launch::new(data_dir).start()
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// SIGKILL: no clean-up, no flush.
    pub fn kill(mut self) {
        self.child.kill().expect("SIGKILL");
        self.child.wait().expect("reaped");
    }

    /// Whether the process is still running.
    pub fn is_running(&mut self) -> bool {
        matches!(self.child.try_wait(), Ok(None))
    }
}

impl Drop for RealServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs the binary with `args` to completion: (exit code, stdout, stderr).
pub fn run_reel(args: &[&str]) -> (i32, String, String) {
    run_reel_with(args, &[])
}

/// Runs the binary with `args` and extra environment variables to completion.
pub fn run_reel_with(args: &[&str], env: &[(&str, &str)]) -> (i32, String, String) {
    let output = Command::new(reel_binary())
        .args(args)
        .env_remove("REEL_CONFIG")
        .env("REEL_LOG", "warn")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .output()
        .expect("the reel binary runs");
    (
        output.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}
