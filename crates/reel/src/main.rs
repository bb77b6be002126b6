//! `reel`: the command line. Parses arguments and configuration, then hands over to
//! `reel_server::Application`. Nothing here is needed by tests of the server itself.

mod cli;
mod demo;
mod generate;
mod migrate;

use std::io::Write as _;
use std::sync::Arc;

use anyhow::Context as _;
use reel_server::Application;

/// glibc's allocator raises its mmap threshold each time a large block is freed, after which
/// large request buffers come from per-thread heaps and stay resident when freed: under hostile
/// traffic that kept over a gigabyte resident while live data stayed within the 384 MiB request
/// budget. A fixed threshold keeps large buffers mapped on their own and returned on free (the
/// hostile benchmark's peak fell from 1.3 GB to under 0.3 GB). It is 4 MiB, not the 128 KiB
/// default: an upload's buffers (its inflated body, its chunk) are a few hundred KiB, and mapping
/// and unmapping each of them cost a fifth of an upload's CPU time in page faults (the load
/// benchmark: 3.75 → 2.97 CPU ms an upload), while the hostile benchmark's peak stays near
/// 0.3 GB (294 → 308 MB). The setting only takes effect at process start, so reel re-executes
/// itself once with it; an operator's own setting is kept.
fn tune_allocator() {
    const TUNABLE: &str = "glibc.malloc.mmap_threshold";
    const MMAP_THRESHOLD: usize = 4 << 20;
    let current = std::env::var("GLIBC_TUNABLES").unwrap_or_default();
    if current.contains(TUNABLE) || !cfg!(all(target_os = "linux", target_env = "gnu")) {
        return;
    }
    let Ok(exe) = std::env::current_exe() else {
        return;
    };
    let tunables = if current.is_empty() {
        format!("{TUNABLE}={MMAP_THRESHOLD}")
    } else {
        format!("{current}:{TUNABLE}={MMAP_THRESHOLD}")
    };
    use std::os::unix::process::CommandExt as _;
    let error = std::process::Command::new(exe)
        .args(std::env::args_os().skip(1))
        .env("GLIBC_TUNABLES", tunables)
        .exec();
    // Only returns on failure: run as we are.
    let _ = writeln!(
        std::io::stderr(),
        "reel: could not tune the allocator ({error}); going on"
    );
}

fn main() -> std::process::ExitCode {
    let command = match cli::parse(std::env::args().skip(1).collect(), &|k| {
        std::env::var(k).ok()
    }) {
        Ok(cmd) => cmd,
        Err(message) if message == cli::NO_COMMAND => {
            let _ = writeln!(std::io::stderr(), "reel: {message}\n\n{}", cli::USAGE);
            return std::process::ExitCode::from(2);
        }
        Err(message) => {
            let _ = writeln!(
                std::io::stderr(),
                "reel: {message}\n(run `reel help` for the options)"
            );
            return std::process::ExitCode::from(2);
        }
    };
    let (config, demo) = match command {
        cli::Command::Help => {
            let _ = writeln!(std::io::stdout(), "{}", cli::USAGE);
            return std::process::ExitCode::SUCCESS;
        }
        cli::Command::Generate {
            config,
            project,
            sessions,
            events,
            days,
            seed,
        } => {
            init_logging("warn");
            let runtime = tokio::runtime::Runtime::new().expect("tokio runtime starts");
            let events = events.unwrap_or(sessions * 20);
            return match runtime.block_on(generate(config, project, sessions, events, days, seed)) {
                Ok(()) => std::process::ExitCode::SUCCESS,
                Err(e) => {
                    let _ = writeln!(std::io::stderr(), "reel: {}", error_chain(&e));
                    std::process::ExitCode::FAILURE
                }
            };
        }
        cli::Command::Migrate {
            from,
            to,
            blobs,
            s3,
        } => {
            init_logging("warn");
            let runtime = tokio::runtime::Runtime::new().expect("tokio runtime starts");
            return match runtime.block_on(migrate::run(&from, &to, blobs.as_deref(), &s3)) {
                Ok(()) => std::process::ExitCode::SUCCESS,
                Err(e) => {
                    let _ = writeln!(std::io::stderr(), "reel: {}", error_chain(&e));
                    std::process::ExitCode::FAILURE
                }
            };
        }
        cli::Command::OpenApi => {
            let _ = write!(std::io::stdout(), "{}", reel_server::openapi_json());
            return std::process::ExitCode::SUCCESS;
        }
        cli::Command::Version => {
            let _ = writeln!(std::io::stdout(), "reel {}", env!("CARGO_PKG_VERSION"));
            return std::process::ExitCode::SUCCESS;
        }
        cli::Command::Serve(config) => {
            tune_allocator();
            (config, false)
        }
        cli::Command::Demo(config) => {
            tune_allocator();
            (config, true)
        }
        cli::Command::Reprocess {
            config,
            project,
            since_ms,
        } => {
            init_logging("warn");
            let runtime = tokio::runtime::Runtime::new().expect("tokio runtime starts");
            return match runtime.block_on(reprocess(config, project, since_ms)) {
                Ok(()) => std::process::ExitCode::SUCCESS,
                Err(e) => {
                    let _ = writeln!(std::io::stderr(), "reel: {}", error_chain(&e));
                    std::process::ExitCode::FAILURE
                }
            };
        }
    };
    init_logging("info");
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime starts");
    let served = runtime.block_on(run(config, demo));
    // Work still on the blocking threads (a compaction, a write) is crash-safe: do not wait
    // for it beyond a moment, so a stop takes the grace period and no more.
    runtime.shutdown_timeout(std::time::Duration::from_secs(2));
    match served {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            let _ = writeln!(std::io::stderr(), "reel: {}", error_chain(&e));
            std::process::ExitCode::FAILURE
        }
    }
}

/// Logs to stderr, filtered by `REEL_LOG` (else `default`). A log line that cannot be written
/// (stderr closed, a full disk behind it) is dropped; it must never cost a request its answer,
/// nor the server its life.
fn init_logging(default: &str) {
    tracing_subscriber::fmt()
        .with_writer(|| LossyStderr)
        .log_internal_errors(false)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("REEL_LOG")
                .unwrap_or_else(|_| default.into()),
        )
        .init();
}

/// `reel reprocess`: recomputes what the processing stage derives, with a progress bar when
/// stderr is a terminal.
async fn reprocess(
    config: reel_server::Config,
    project: Option<i64>,
    since_ms: Option<i64>,
) -> anyhow::Result<()> {
    use std::io::IsTerminal as _;
    let state = reel_server::open_state(config, Arc::new(reel_engine::SystemClock))
        .await
        .context("cannot open the data directory")?;
    let terminal = std::io::stderr().is_terminal();
    let report = state
        .engine
        .reprocess(project, since_ms, |done, total| {
            if terminal {
                let _ = write!(std::io::stderr(), "\r{}", progress_bar(done, total, 30));
            }
        })
        .await
        .map_err(anyhow::Error::msg)?;
    if terminal {
        let _ = writeln!(std::io::stderr());
    }
    let _ = writeln!(
        std::io::stdout(),
        "reprocessed {} session(s){}",
        report.done - report.failed,
        if report.failed > 0 {
            format!(
                "; {} could not be read (see the log; the server retries them)",
                report.failed
            )
        } else {
            String::new()
        }
    );
    Ok(())
}

/// `reel generate`: synthetic sessions into a project, with a progress bar on a terminal.
async fn generate(
    config: reel_server::Config,
    project: Option<i64>,
    sessions: u64,
    events: u64,
    days: u32,
    seed: u64,
) -> anyhow::Result<()> {
    use std::io::IsTerminal as _;
    let state = reel_server::open_state(config, Arc::new(reel_engine::SystemClock))
        .await
        .context("cannot open the data directory")?;
    // An empty data dir gets its installation as `reel serve` would make it.
    let report = reel_server::bootstrap::run(&state).await?;
    if let Some(password) = &report.generated_password {
        let _ = writeln!(
            std::io::stdout(),
            "created project {:?}; login: {} / {password} (generated now: keep it)",
            report.project_name,
            report.admin_email
        );
    }
    let project_id = match project {
        Some(id) => id,
        None => {
            state
                .store()
                .first_project()
                .await?
                .context("the installation has no project")?
                .id
        }
    };
    // Generated sessions reach back `days`: the project keeps them (a shorter retention would
    // delete them at its next run).
    if let Some(project) = state.store().project(project_id).await?
        && project.retention_days < i64::from(days) + 1
    {
        let keep = (i64::from(days) + 1).min(reel_engine::retention::MAX_RETENTION_DAYS);
        let changes = reel_engine::store::ProjectChanges {
            retention_days: Some(keep),
            ..Default::default()
        };
        state.store().update_project(project_id, changes).await?;
        let _ = writeln!(
            std::io::stdout(),
            "project {project_id} now keeps data for {keep} days (it kept {})",
            project.retention_days
        );
    }
    let plan = generate::Plan {
        project_id,
        sessions,
        events,
        days,
        seed,
        now_ms: state.now_ms(),
    };
    let terminal = std::io::stderr().is_terminal();
    let started = std::time::Instant::now();
    let written = generate::run(state.store().as_ref(), &plan, |done, total| {
        if terminal {
            let _ = write!(
                std::io::stderr(),
                "\r{}",
                progress_bar(done as usize, total as usize, 30)
            );
        }
    })
    .await?;
    if terminal {
        let _ = writeln!(std::io::stderr());
    }
    let _ = writeln!(
        std::io::stdout(),
        "generated {sessions} session(s) with {written} event(s) in project {project_id} ({:.1} s)",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

/// `[#######.............]  35/100 sessions`
fn progress_bar(done: usize, total: usize, width: usize) -> String {
    let filled = (done * width)
        .checked_div(total)
        .unwrap_or(width)
        .min(width);
    format!(
        "[{}{}] {done:>w$}/{total} sessions",
        "#".repeat(filled),
        ".".repeat(width - filled),
        w = total.to_string().len()
    )
}

/// stderr, where a failed write is a dropped line rather than an error.
struct LossyStderr;

impl std::io::Write for LossyStderr {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let _ = std::io::stderr().write_all(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        let _ = std::io::stderr().flush();
        Ok(())
    }
}

async fn run(config: reel_server::Config, demo: bool) -> anyhow::Result<()> {
    let app = Application::build(config).await.context("cannot start")?;
    let base = format!("http://{}", app.local_addr());
    let report = app.bootstrap().clone();
    let state = app.state();
    if demo && report.created {
        let seeded = demo::seed(state, &base, state.now_ms())
            .await
            .context("seeding demo sessions")?;
        let password = state.config.admin_password.clone().unwrap_or_default();
        demo::seed_team(state, &base, state.now_ms(), &password)
            .await
            .context("seeding the demo's team")?;
        demo::seed_dashboard(state, &report.admin_email, &seeded, state.now_ms())
            .await
            .context("seeding the demo dashboard")?;
        tracing::info!(sessions = seeded.len(), "seeded demo sessions");
    }
    let projects = state.store().projects().await?;
    // What the operator needs to start using reel. Printed best effort: a closed stdout must not
    // stop the server.
    let mut out = Vec::new();
    writeln!(out, "reel listening on {base}")?;
    if demo {
        writeln!(out, "  demo shop:  {base}/demo/")?;
    }
    writeln!(out, "  replays:    {base}/replays")?;
    for project in &projects {
        writeln!(
            out,
            "  project:    {} (id {}), api key: {}",
            project.name, project.id, project.api_key
        )?;
    }
    match (
        &report.generated_password,
        app.state().config.admin_password.as_deref(),
    ) {
        (Some(p), _) => writeln!(
            out,
            "  login: {} / {p}   (generated now: keep it, it is not shown again)",
            report.admin_email
        )?,
        (None, Some(p)) if demo => {
            writeln!(
                out,
                "  login: {} / {p}   (organization admin)",
                report.admin_email
            )?;
            for (email, role) in demo::PEOPLE {
                writeln!(out, "  login: {email} / {p}   ({role} of both projects)")?;
            }
        }
        _ => writeln!(out, "  login: {} (password as set)", report.admin_email)?,
    }
    let mut stdout = std::io::stdout().lock();
    let _ = stdout.write_all(&out).and_then(|()| stdout.flush());
    drop(stdout);
    app.run_until(shutdown_signal())
        .await
        .context("server failed")?;
    Ok(())
}

/// The error and its causes on one line, each said once: many errors already include their
/// cause's text in their own message.
fn error_chain(e: &anyhow::Error) -> String {
    let mut out = String::new();
    for cause in e.chain() {
        let text = cause.to_string();
        if out.contains(&text) {
            continue;
        }
        if !out.is_empty() {
            out.push_str(": ");
        }
        out.push_str(&text);
    }
    out
}

async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending().await,
        }
    };
    tokio::select! { () = ctrl_c => {}, () = term => {} }
    tracing::info!("shutting down");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn progress_bars() {
        let cases = [
            (0, 10, "[....]  0/10 sessions"),
            (5, 10, "[##..]  5/10 sessions"),
            (10, 10, "[####] 10/10 sessions"),
            (0, 0, "[####] 0/0 sessions"),
        ];
        for (done, total, want) in cases {
            assert_eq!(progress_bar(done, total, 4), want);
        }
    }

    #[test]
    fn causes_are_said_once() {
        let io = std::io::Error::new(
            std::io::ErrorKind::AddrInUse,
            "Address already in use (os error 98)",
        );
        let start = reel_server::StartError::Listen {
            addr: "127.0.0.1:1".into(),
            source: io,
        };
        let e = anyhow::Error::new(start).context("cannot start");
        let text = error_chain(&e);
        assert_eq!(text.matches("Address already in use").count(), 1, "{text}");
        assert!(
            text.starts_with("cannot start: cannot listen on 127.0.0.1:1"),
            "{text}"
        );
    }
}
