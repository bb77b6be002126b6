//! `reel`: the command line. Parses arguments and configuration, then hands over to
//! `reel_server::Application`. Nothing here is needed by tests of the server itself.

mod cli;
mod demo;

use std::io::Write as _;

use anyhow::Context as _;
use reel_server::Application;

fn main() -> std::process::ExitCode {
    let command = match cli::parse(std::env::args().skip(1).collect(), &|k| {
        std::env::var(k).ok()
    }) {
        Ok(cmd) => cmd,
        Err(message) => {
            eprintln!("reel: {message}\n\n{}", cli::USAGE);
            return std::process::ExitCode::from(2);
        }
    };
    let (config, demo) = match command {
        cli::Command::Help => {
            println!("{}", cli::USAGE);
            return std::process::ExitCode::SUCCESS;
        }
        cli::Command::Version => {
            println!("reel {}", env!("CARGO_PKG_VERSION"));
            return std::process::ExitCode::SUCCESS;
        }
        cli::Command::Serve(config) => (config, false),
        cli::Command::Demo(config) => (config, true),
    };
    tracing_subscriber::fmt()
        .with_writer(std::io::stderr)
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_env("REEL_LOG")
                .unwrap_or_else(|_| "info".into()),
        )
        .init();
    let runtime = tokio::runtime::Runtime::new().expect("tokio runtime starts");
    match runtime.block_on(run(config, demo)) {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("reel: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

async fn run(config: reel_server::Config, demo: bool) -> anyhow::Result<()> {
    let app = Application::build(config).await.context("cannot start")?;
    let base = format!("http://{}", app.local_addr());
    let report = app.bootstrap().clone();
    if demo && report.created {
        let seeded = demo::seed(app.state(), &base, epoch_ms())
            .await
            .context("seeding demo sessions")?;
        tracing::info!(sessions = seeded, "seeded demo sessions");
    }
    let mut out = std::io::stdout().lock();
    writeln!(out, "reel listening on {base}")?;
    if demo {
        writeln!(out, "  demo shop:  {base}/demo/")?;
    }
    writeln!(out, "  replays:    {base}/replays")?;
    writeln!(out, "  project:    {}", report.project_name)?;
    writeln!(out, "  api key: {}", report.api_key)?;
    match (
        &report.generated_password,
        app.state().config.admin_password.as_deref(),
    ) {
        (Some(p), _) => writeln!(
            out,
            "  login: {} / {p}   (generated now: keep it, it is not shown again)",
            report.admin_email
        )?,
        (None, Some(p)) if demo => writeln!(out, "  login: {} / {p}", report.admin_email)?,
        _ => writeln!(out, "  login: {} (password as set)", report.admin_email)?,
    }
    out.flush()?;
    drop(out);
    app.run_until(shutdown_signal())
        .await
        .context("server failed")?;
    Ok(())
}

fn epoch_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64)
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
