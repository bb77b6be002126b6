//! Arguments and configuration: defaults < config file < `REEL_*` environment < flags.

use std::path::PathBuf;

use reel_server::Config;

pub const USAGE: &str = "\
usage: reel <command> [options]

commands:
  serve       run the server
  demo        run the server with the demo shop at /demo and seeded sessions
  reprocess   recompute facts, frustration signals, derived events and on-screen text of stored
              recordings (after a definition or setting changed); running it twice changes
              nothing. Options: --project ID, --since YYYY-MM-DD (sessions started that day or
              later), and --config / --data-dir as for serve
  generate    fill a project with realistic synthetic sessions (facts, events, user properties,
              on-screen and console text; no recordings) for benchmarks and trying search.
              Options: --sessions N (default 1000), --events M (default 20 per session),
              --project ID (default the first), --days D (sessions over the last D days,
              default 90), --seed S, and --config / --data-dir as for serve
  migrate     move a data dir's control data (organizations, projects, people, tokens, saved
              searches, dashboards, audit log) into PostgreSQL and, with --blobs, its
              recordings' objects into an S3-compatible store; ids are kept, counts and object
              hashes verified at the end; run it again after an interruption. Options:
              --from sqlite://DIR (the data dir), --to postgres://USER:PASSWORD@HOST:PORT/DB,
              --blobs s3://BUCKET/PREFIX (AWS_* variables as for REEL_BLOB_URL). Then start
              reel with REEL_DATABASE_URL (and REEL_BLOB_URL) set to them on the same data dir
  openapi     print the query API's OpenAPI document (what /api/v1/openapi.json serves)
  help        show this help (also: reel <command> --help)
  version     show the version

options (serve, demo):
  --config FILE      TOML configuration file (env: REEL_CONFIG)
  --listen ADDR      address to listen on, HOST:PORT (default 127.0.0.1:8080; env: REEL_LISTEN)
  --data-dir DIR     where data is kept (default ./reel-data, demo: ./reel-demo-data; env: REEL_DATA_DIR)
  -h, --help         show this help

Every setting can also be given in the file (lower case, without REEL_) or as an environment
variable; see README.md for what each one does:
  REEL_DATABASE_URL (where the control data lives: sqlite://DIR, default DATA_DIR, or
  postgres://USER:PASSWORD@HOST:PORT/DB, shared by every node),
  REEL_EVENTS_URL (where charts and User Look-Up are answered: clickhouse://HOST:PORT/DB,
  shared by every node, each handing its stored events on; default: the data dir's SQLite),
  REEL_BLOB_URL (where recordings' objects live: file:///DIR, default DATA_DIR/objects, or
  s3://BUCKET/PREFIX with AWS_ENDPOINT_URL, AWS_REGION, AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY
  and optionally AWS_SESSION_TOKEN from the environment),
  REEL_PUBLIC_URL, REEL_TRUSTED_PROXIES (comma-separated addresses), REEL_API_KEY,
  REEL_ADMIN_EMAIL + REEL_ADMIN_PASSWORD, REEL_ADMIN_TOKEN, REEL_COUNTRY_DATABASE,
  REEL_COUNTRY_HEADER,
  REEL_SESSION_TTL_HOURS, REEL_MAX_BODY_BYTES, REEL_MAX_DECOMPRESSED_BYTES,
  REEL_MAX_EVENTS_PER_UPLOAD, REEL_MAX_EVENT_DEPTH, REEL_MEMORY_BUDGET_BYTES, REEL_MEMORY_WAIT_MS,
  REEL_MAX_CONCURRENT_PASSWORD_CHECKS, REEL_LOGIN_ATTEMPTS_PER_ADDRESS,
  REEL_LOGIN_ATTEMPTS_PER_ACCOUNT, REEL_LOGIN_WINDOW_SECONDS, REEL_LOGIN_LIMITER_ENTRIES,
  REEL_MAX_CONNECTIONS,
  REEL_HEADER_TIMEOUT_SECONDS, REEL_BODY_TIMEOUT_SECONDS, REEL_ORPHAN_GRACE_SECONDS,
  REEL_PROCESSING_DELAY_MS, REEL_COMPACTION_IDLE_SECONDS, REEL_PROCESSING_CPU_SHARE,
  REEL_PROCESSING_LEASE_SECONDS, REEL_COMPACTION_OPEN_BYTES, REEL_REPLACED_OBJECT_GRACE_SECONDS,
  REEL_GAP_THRESHOLD_SECONDS,
  REEL_INGEST_EVENTS_PER_SECOND, REEL_INGEST_BYTES_PER_SECOND, REEL_MONTHLY_SESSION_QUOTA,
  REEL_LOG (log filter, default info)";

#[derive(Debug)]
pub enum Command {
    Serve(Config),
    Demo(Config),
    Reprocess {
        config: Config,
        project: Option<i64>,
        /// Epoch ms of the day given with `--since` (UTC).
        since_ms: Option<i64>,
    },
    Generate {
        config: Config,
        project: Option<i64>,
        sessions: u64,
        events: Option<u64>,
        days: u32,
        seed: u64,
    },
    Migrate {
        /// The data dir (`--from sqlite://DIR`).
        from: PathBuf,
        /// `--to postgres://…`.
        to: String,
        /// `--blobs s3://…`.
        blobs: Option<String>,
        s3: reel_server::S3Settings,
    },
    OpenApi,
    Help,
    Version,
}

pub const NO_COMMAND: &str = "no command given";

/// The demo's admin when none is configured; printed at start.
pub const DEMO_EMAIL: &str = "demo@reel.local";
pub const DEMO_PASSWORD: &str = "reel-demo";

pub fn parse(args: Vec<String>, env: &dyn Fn(&str) -> Option<String>) -> Result<Command, String> {
    let mut args = args.into_iter();
    let command = args.next();
    let (demo, reprocess, generate) = match command.as_deref() {
        Some("serve") => (false, false, false),
        Some("demo") => (true, false, false),
        Some("reprocess") => (false, true, false),
        Some("generate") => (false, false, true),
        Some("migrate") => return parse_migrate(args, env),
        Some("openapi") => return Ok(Command::OpenApi),
        Some("help" | "--help" | "-h") => return Ok(Command::Help),
        Some("version" | "--version" | "-V") => return Ok(Command::Version),
        None => return Err(NO_COMMAND.into()),
        Some(other) => return Err(format!("unknown command {other:?}")),
    };
    let mut flags: Vec<(String, String)> = Vec::new();
    while let Some(arg) = args.next() {
        if matches!(arg.as_str(), "--help" | "-h" | "help") {
            return Ok(Command::Help);
        }
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) => (n.to_owned(), Some(v.to_owned())),
            None => (arg.clone(), None),
        };
        let known: &[&str] = if reprocess {
            &["--config", "--data-dir", "--project", "--since"]
        } else if generate {
            &[
                "--config",
                "--data-dir",
                "--project",
                "--sessions",
                "--events",
                "--days",
                "--seed",
            ]
        } else {
            &["--config", "--listen", "--data-dir"]
        };
        if !known.contains(&name.as_str()) {
            return Err(format!("unknown option {arg:?}"));
        }
        let value = match inline {
            Some(v) => v,
            None => args.next().ok_or_else(|| format!("{name} needs a value"))?,
        };
        flags.push((name, value));
    }
    let flag = |name: &str| {
        flags
            .iter()
            .rev()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.clone())
    };

    let mut config = match flag("--config").or_else(|| env("REEL_CONFIG")) {
        Some(path) => {
            let text = std::fs::read_to_string(&path)
                .map_err(|e| format!("cannot read config file {path}: {e}"))?;
            toml::from_str::<Config>(&text).map_err(|e| format!("config file {path}: {e}"))?
        }
        None => Config::default(),
    };
    if demo && config.data_dir == Config::default().data_dir {
        config.data_dir = PathBuf::from("reel-demo-data");
    }
    apply_env(&mut config, env)?;
    if let Some(v) = flag("--listen") {
        config.listen = v;
    }
    if let Some(v) = flag("--data-dir") {
        config.data_dir = PathBuf::from(v);
    }
    if generate {
        let count = |name: &str| -> Result<Option<u64>, String> {
            flag(name)
                .map(|v| {
                    v.trim()
                        .parse::<u64>()
                        .map_err(|_| format!("{name} must be a whole number, got {v:?}"))
                })
                .transpose()
        };
        let project = count("--project")?.map(|p| p as i64);
        let days = count("--days")?.unwrap_or(90);
        if !(1..=3650).contains(&days) {
            return Err(format!("--days must be 1 to 3650, got {days}"));
        }
        return Ok(Command::Generate {
            config,
            project,
            sessions: count("--sessions")?.unwrap_or(1_000),
            events: count("--events")?,
            days: days as u32,
            seed: count("--seed")?.unwrap_or(1),
        });
    }
    if reprocess {
        let project = flag("--project")
            .map(|p| {
                p.parse::<i64>()
                    .map_err(|_| format!("--project must be a project id (a number), got {p:?}"))
            })
            .transpose()?;
        let since_ms = flag("--since").map(|d| parse_day(&d)).transpose()?;
        return Ok(Command::Reprocess {
            config,
            project,
            since_ms,
        });
    }
    check_listen(&config.listen)?;
    if demo {
        config.demo = true;
        if config.admin_email.is_none() && config.admin_password.is_none() {
            config.admin_email = Some(DEMO_EMAIL.into());
            config.admin_password = Some(DEMO_PASSWORD.into());
        }
        return Ok(Command::Demo(config));
    }
    Ok(Command::Serve(config))
}

/// `reel migrate --from sqlite://DIR --to postgres://… [--blobs s3://…]`.
fn parse_migrate(
    args: impl Iterator<Item = String>,
    env: &dyn Fn(&str) -> Option<String>,
) -> Result<Command, String> {
    let mut args = args.peekable();
    let (mut from, mut to, mut blobs) = (None, None, None);
    while let Some(arg) = args.next() {
        if matches!(arg.as_str(), "--help" | "-h" | "help") {
            return Ok(Command::Help);
        }
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) => (n.to_owned(), Some(v.to_owned())),
            None => (arg.clone(), None),
        };
        let slot = match name.as_str() {
            "--from" => &mut from,
            "--to" => &mut to,
            "--blobs" => &mut blobs,
            "--events" => {
                return Err(
                    "--events: events, sessions and search stay in the data dir's SQLite for \
                     now (ClickHouse is not supported yet); leave --events out"
                        .into(),
                );
            }
            _ => return Err(format!("unknown option {arg:?}")),
        };
        let value = match inline {
            Some(v) => v,
            None => args.next().ok_or_else(|| format!("{name} needs a value"))?,
        };
        *slot = Some(value);
    }
    let from = from.ok_or("--from sqlite://DIR is needed: the data dir to migrate")?;
    let from = from
        .strip_prefix("sqlite://")
        .filter(|dir| !dir.is_empty())
        .ok_or_else(|| format!("--from must be sqlite://DIR (a data dir), got {from:?}"))?;
    let to = to.ok_or("--to postgres://USER:PASSWORD@HOST:PORT/DB is needed")?;
    if !(to.starts_with("postgres://") || to.starts_with("postgresql://")) {
        return Err("--to must be postgres://USER:PASSWORD@HOST:PORT/DB".into());
    }
    if let Some(b) = &blobs
        && !b.starts_with("s3://")
    {
        return Err(format!("--blobs must be s3://BUCKET/PREFIX, got {b:?}"));
    }
    let mut config = Config::default();
    apply_env(&mut config, env)?;
    Ok(Command::Migrate {
        from: PathBuf::from(from),
        to,
        blobs,
        s3: config.s3,
    })
}

/// `YYYY-MM-DD` → epoch ms of that day's start (UTC).
fn parse_day(day: &str) -> Result<i64, String> {
    let bad = || format!("--since must be a date like 2026-11-01, got {day:?}");
    let parts: Vec<&str> = day.trim().split('-').collect();
    let [y, m, d] = parts.as_slice() else {
        return Err(bad());
    };
    let (y, m, d): (i64, i64, i64) = (
        y.parse().map_err(|_| bad())?,
        m.parse().map_err(|_| bad())?,
        d.parse().map_err(|_| bad())?,
    );
    if !(1970..=9999).contains(&y) || !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return Err(bad());
    }
    // Howard Hinnant's days_from_civil.
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let doy = (153 * (m + if m > 2 { -3 } else { 9 }) + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    Ok((era * 146_097 + doe - 719_468) * 86_400_000)
}

/// A listen address is HOST:PORT; the host may be a name (`localhost:8080`) or an address.
fn check_listen(listen: &str) -> Result<(), String> {
    let example = "e.g. 127.0.0.1:8080, 0.0.0.0:80 or localhost:8080 (port 0: any free port)";
    let (host, port) = listen.rsplit_once(':').ok_or_else(|| {
        format!("listen address {listen:?} has no port: use HOST:PORT, {example}")
    })?;
    if host.is_empty() {
        return Err(format!("listen address {listen:?} has no host: {example}"));
    }
    port.parse::<u16>()
        .map_err(|_| format!("listen address {listen:?} has no valid port (0-65535): {example}"))?;
    Ok(())
}

type Setter = fn(&mut Config, &str, &str) -> Result<(), String>;

fn number<T: std::str::FromStr>(name: &str, v: &str) -> Result<T, String> {
    v.trim()
        .parse::<T>()
        .map_err(|_| format!("{name} must be a whole number, got {v:?}"))
}

/// Every `REEL_*` variable and where it goes.
const ENV: &[(&str, Setter)] = &[
    ("REEL_LISTEN", |c, _, v| {
        c.listen = v.into();
        Ok(())
    }),
    ("REEL_DATA_DIR", |c, _, v| {
        c.data_dir = v.into();
        Ok(())
    }),
    ("REEL_DATABASE_URL", |c, _, v| {
        c.database_url = Some(v.into());
        Ok(())
    }),
    ("REEL_EVENTS_URL", |c, _, v| {
        c.events_url = Some(v.into());
        Ok(())
    }),
    ("REEL_BLOB_URL", |c, _, v| {
        c.blob_url = Some(v.into());
        Ok(())
    }),
    ("REEL_PUBLIC_URL", |c, _, v| {
        c.public_url = Some(v.into());
        Ok(())
    }),
    ("REEL_TRUSTED_PROXIES", |c, n, v| {
        c.trusted_proxies = v
            .split(',')
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .map(|a| {
                a.parse()
                    .map_err(|_| format!("{n}: {a:?} is not an IP address"))
            })
            .collect::<Result<_, _>>()?;
        Ok(())
    }),
    ("REEL_MAX_BODY_BYTES", |c, n, v| {
        c.max_body_bytes = number(n, v)?;
        Ok(())
    }),
    ("REEL_MAX_DECOMPRESSED_BYTES", |c, n, v| {
        c.max_decompressed_bytes = number(n, v)?;
        Ok(())
    }),
    ("REEL_MAX_EVENTS_PER_UPLOAD", |c, n, v| {
        c.max_events_per_upload = number(n, v)?;
        Ok(())
    }),
    ("REEL_MAX_EVENT_DEPTH", |c, n, v| {
        c.max_event_depth = number(n, v)?;
        Ok(())
    }),
    ("REEL_MEMORY_BUDGET_BYTES", |c, n, v| {
        c.memory_budget_bytes = number(n, v)?;
        Ok(())
    }),
    ("REEL_MEMORY_WAIT_MS", |c, n, v| {
        c.memory_wait_ms = number(n, v)?;
        Ok(())
    }),
    ("REEL_MAX_CONCURRENT_PASSWORD_CHECKS", |c, n, v| {
        c.max_concurrent_password_checks = number(n, v)?;
        Ok(())
    }),
    ("REEL_LOGIN_ATTEMPTS_PER_ADDRESS", |c, n, v| {
        c.login_attempts_per_address = number(n, v)?;
        Ok(())
    }),
    ("REEL_LOGIN_ATTEMPTS_PER_ACCOUNT", |c, n, v| {
        c.login_attempts_per_account = number(n, v)?;
        Ok(())
    }),
    ("REEL_LOGIN_WINDOW_SECONDS", |c, n, v| {
        c.login_window_seconds = number(n, v)?;
        Ok(())
    }),
    ("REEL_LOGIN_LIMITER_ENTRIES", |c, n, v| {
        c.login_limiter_entries = number(n, v)?;
        Ok(())
    }),
    ("REEL_MAX_CONNECTIONS", |c, n, v| {
        c.max_connections = number(n, v)?;
        Ok(())
    }),
    ("REEL_HEADER_TIMEOUT_SECONDS", |c, n, v| {
        c.header_timeout_seconds = number(n, v)?;
        Ok(())
    }),
    ("REEL_BODY_TIMEOUT_SECONDS", |c, n, v| {
        c.body_timeout_seconds = number(n, v)?;
        Ok(())
    }),
    ("REEL_PROCESSING_DELAY_MS", |c, n, v| {
        c.processing_delay_ms = number(n, v)?;
        Ok(())
    }),
    ("REEL_COMPACTION_IDLE_SECONDS", |c, n, v| {
        c.compaction_idle_seconds = number(n, v)?;
        Ok(())
    }),
    ("REEL_PROCESSING_CPU_SHARE", |c, n, v| {
        let share: f64 = v
            .trim()
            .parse()
            .ok()
            .filter(|s: &f64| *s > 0.0 && *s <= 1.0)
            .ok_or_else(|| format!("{n} must be a number above 0 and at most 1, got {v:?}"))?;
        c.processing_cpu_share = share;
        Ok(())
    }),
    ("REEL_PROCESSING_LEASE_SECONDS", |c, n, v| {
        c.processing_lease_seconds = number(n, v)?;
        if c.processing_lease_seconds == 0 {
            return Err(format!("{n} must be at least 1, got {v:?}"));
        }
        Ok(())
    }),
    ("REEL_COMPACTION_OPEN_BYTES", |c, n, v| {
        c.compaction_open_bytes = number(n, v)?;
        Ok(())
    }),
    ("REEL_GAP_THRESHOLD_SECONDS", |c, n, v| {
        c.gap_threshold_seconds = number(n, v)?;
        Ok(())
    }),
    ("REEL_REPLACED_OBJECT_GRACE_SECONDS", |c, n, v| {
        c.replaced_object_grace_seconds = number(n, v)?;
        Ok(())
    }),
    ("REEL_ORPHAN_GRACE_SECONDS", |c, n, v| {
        c.orphan_grace_seconds = number(n, v)?;
        Ok(())
    }),
    ("REEL_SESSION_TTL_HOURS", |c, n, v| {
        c.session_ttl_hours = number(n, v)?;
        Ok(())
    }),
    ("REEL_COUNTRY_DATABASE", |c, _, v| {
        c.country_database = Some(v.into());
        Ok(())
    }),
    ("REEL_COUNTRY_HEADER", |c, _, v| {
        c.country_header = Some(v.into());
        Ok(())
    }),
    ("REEL_API_KEY", |c, _, v| {
        c.api_key = Some(v.into());
        Ok(())
    }),
    ("REEL_ADMIN_EMAIL", |c, _, v| {
        c.admin_email = Some(v.into());
        Ok(())
    }),
    ("REEL_ADMIN_PASSWORD", |c, _, v| {
        c.admin_password = Some(v.into());
        Ok(())
    }),
    ("REEL_ADMIN_TOKEN", |c, _, v| {
        c.admin_token = Some(v.into());
        Ok(())
    }),
    ("REEL_INGEST_EVENTS_PER_SECOND", |c, n, v| {
        c.ingest_events_per_second = number(n, v)?;
        Ok(())
    }),
    ("REEL_INGEST_BYTES_PER_SECOND", |c, n, v| {
        c.ingest_bytes_per_second = number(n, v)?;
        Ok(())
    }),
    ("REEL_MONTHLY_SESSION_QUOTA", |c, n, v| {
        c.monthly_session_quota = Some(number(n, v)?);
        Ok(())
    }),
];

fn apply_env(config: &mut Config, env: &dyn Fn(&str) -> Option<String>) -> Result<(), String> {
    for (name, set) in ENV {
        if let Some(v) = env(name).filter(|v| !v.is_empty()) {
            set(config, name, &v)?;
        }
    }
    // An S3 `blob_url`'s endpoint, region and credentials: the standard variables every S3
    // tool reads, never the config file.
    let var = |name: &str| env(name).filter(|v| !v.is_empty());
    config.s3 = reel_server::S3Settings {
        endpoint: var("AWS_ENDPOINT_URL"),
        region: var("AWS_REGION").or_else(|| var("AWS_DEFAULT_REGION")),
        access_key_id: var("AWS_ACCESS_KEY_ID"),
        secret_access_key: var("AWS_SECRET_ACCESS_KEY"),
        session_token: var("AWS_SESSION_TOKEN"),
    };
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn run(args: &[&str], env: &[(&str, &str)], file: Option<&str>) -> Result<Config, String> {
        let dir = tempfile::tempdir().unwrap();
        let mut env: HashMap<String, String> = env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string()))
            .collect();
        if let Some(text) = file {
            let path = dir.path().join("reel.toml");
            std::fs::write(&path, text).unwrap();
            env.insert("REEL_CONFIG".into(), path.display().to_string());
        }
        let args = args.iter().map(|s| s.to_string()).collect();
        match parse(args, &|k| env.get(k).cloned())? {
            Command::Serve(c) | Command::Demo(c) => Ok(c),
            other => Err(format!("{other:?}")),
        }
    }

    #[test]
    fn precedence_cases() {
        let file = "listen = \"0.0.0.0:9000\"\ndata_dir = \"/from-file\"\nmax_body_bytes = 5\n";
        type Case<'a> = (
            &'a str,
            Vec<&'a str>,
            Vec<(&'a str, &'a str)>,
            Option<&'a str>,
            Result<(&'a str, &'a str, usize), &'a str>,
        );
        let cases: Vec<Case> = vec![
            (
                "defaults",
                vec!["serve"],
                vec![],
                None,
                Ok(("127.0.0.1:8080", "reel-data", 10_000_000)),
            ),
            (
                "demo data dir",
                vec!["demo"],
                vec![],
                None,
                Ok(("127.0.0.1:8080", "reel-demo-data", 10_000_000)),
            ),
            (
                "file",
                vec!["serve"],
                vec![],
                Some(file),
                Ok(("0.0.0.0:9000", "/from-file", 5)),
            ),
            (
                "env over file",
                vec!["serve"],
                vec![("REEL_LISTEN", "1.2.3.4:1"), ("REEL_MAX_BODY_BYTES", "7")],
                Some(file),
                Ok(("1.2.3.4:1", "/from-file", 7)),
            ),
            (
                "flags over env",
                vec!["serve", "--listen", "127.0.0.1:0", "--data-dir=/x"],
                vec![("REEL_LISTEN", "1.2.3.4:1")],
                Some(file),
                Ok(("127.0.0.1:0", "/x", 5)),
            ),
            (
                "bad number",
                vec!["serve"],
                vec![("REEL_MAX_BODY_BYTES", "lots")],
                None,
                Err("REEL_MAX_BODY_BYTES must be a whole number"),
            ),
            (
                "unknown flag",
                vec!["serve", "--port", "1"],
                vec![],
                None,
                Err("unknown option"),
            ),
            (
                "missing value",
                vec!["serve", "--listen"],
                vec![],
                None,
                Err("--listen needs a value"),
            ),
            (
                "unknown key in file",
                vec!["serve"],
                vec![],
                Some("lisen = \"x\""),
                Err("unknown field"),
            ),
            (
                "unknown command",
                vec!["start"],
                vec![],
                None,
                Err("unknown command"),
            ),
            ("no command", vec![], vec![], None, Err("no command given")),
            (
                "listen without port",
                vec!["serve", "--listen", "localhost"],
                vec![],
                None,
                Err("has no port: use HOST:PORT, e.g. 127.0.0.1:8080"),
            ),
            (
                "listen with a bad port",
                vec!["serve", "--listen", "0.0.0.0:http"],
                vec![],
                None,
                Err("has no valid port"),
            ),
            (
                "listen by host name",
                vec!["serve", "--listen", "localhost:0"],
                vec![],
                None,
                Ok(("localhost:0", "reel-data", 10_000_000)),
            ),
            (
                "bad trusted proxy",
                vec!["serve"],
                vec![("REEL_TRUSTED_PROXIES", "10.0.0.1, proxy")],
                None,
                Err("\"proxy\" is not an IP address"),
            ),
        ];
        for (name, args, env, file, want) in cases {
            let got = run(&args, &env, file);
            match (got, want) {
                (Ok(c), Ok((listen, dir, body))) => {
                    assert_eq!(
                        (
                            c.listen.as_str(),
                            c.data_dir.to_str().unwrap(),
                            c.max_body_bytes
                        ),
                        (listen, dir, body),
                        "{name}"
                    );
                }
                (Err(e), Err(msg)) => assert!(e.contains(msg), "{name}: {e}"),
                (got, want) => panic!("{name}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn blob_url_comes_from_the_file_too_but_s3_credentials_only_from_the_environment() {
        let c = run(&["serve"], &[], Some("blob_url = \"s3://b/p\"\n")).unwrap();
        assert_eq!(c.blob_url.as_deref(), Some("s3://b/p"));
        assert_eq!(c.s3, reel_server::S3Settings::default());
        let refused = run(&["serve"], &[], Some("[s3]\naccess_key_id = \"GK1\"\n"));
        assert!(refused.is_err_and(|e| e.contains("s3")));
    }

    #[test]
    fn reprocess_options() {
        let parse_args =
            |args: &[&str]| parse(args.iter().map(|s| s.to_string()).collect(), &|_| None);
        let cases: Vec<(&[&str], Result<(Option<i64>, Option<i64>), &str>)> = vec![
            (&["reprocess"], Ok((None, None))),
            (&["reprocess", "--project", "3"], Ok((Some(3), None))),
            (
                &["reprocess", "--since", "2026-01-01"],
                Ok((None, Some(1_767_225_600_000))),
            ),
            (
                &["reprocess", "--since=1970-01-02"],
                Ok((None, Some(86_400_000))),
            ),
            (
                &["reprocess", "--since", "yesterday"],
                Err("--since must be a date"),
            ),
            (
                &["reprocess", "--project", "x"],
                Err("--project must be a project id"),
            ),
            (
                &["reprocess", "--listen", "1.2.3.4:5"],
                Err("unknown option"),
            ),
        ];
        for (args, want) in cases {
            match (parse_args(args), want) {
                (
                    Ok(Command::Reprocess {
                        project, since_ms, ..
                    }),
                    Ok(w),
                ) => {
                    assert_eq!((project, since_ms), w, "{args:?}")
                }
                (Err(e), Err(msg)) => assert!(e.contains(msg), "{args:?}: {e}"),
                (got, want) => panic!("{args:?}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn generate_options() {
        let parse_args =
            |args: &[&str]| parse(args.iter().map(|s| s.to_string()).collect(), &|_| None);
        type Want<'a> = Result<(Option<i64>, u64, Option<u64>, u32, u64), &'a str>;
        let cases: Vec<(&[&str], Want)> = vec![
            (&["generate"], Ok((None, 1_000, None, 90, 1))),
            (
                &[
                    "generate",
                    "--sessions",
                    "1000000",
                    "--events=20000000",
                    "--project",
                    "2",
                ],
                Ok((Some(2), 1_000_000, Some(20_000_000), 90, 1)),
            ),
            (
                &["generate", "--days", "7", "--seed", "9"],
                Ok((None, 1_000, None, 7, 9)),
            ),
            (
                &["generate", "--sessions", "lots"],
                Err("--sessions must be a whole number"),
            ),
            (
                &["generate", "--days", "0"],
                Err("--days must be 1 to 3650"),
            ),
            (
                &["generate", "--listen", "1.2.3.4:5"],
                Err("unknown option"),
            ),
        ];
        for (args, want) in cases {
            match (parse_args(args), want) {
                (
                    Ok(Command::Generate {
                        project,
                        sessions,
                        events,
                        days,
                        seed,
                        ..
                    }),
                    Ok(w),
                ) => assert_eq!((project, sessions, events, days, seed), w, "{args:?}"),
                (Err(e), Err(msg)) => assert!(e.contains(msg), "{args:?}: {e}"),
                (got, want) => panic!("{args:?}: got {got:?}, want {want:?}"),
            }
        }
    }

    #[test]
    fn help_is_help_wherever_it_is_asked_for() {
        for args in [
            vec!["help"],
            vec!["--help"],
            vec!["-h"],
            vec!["serve", "--help"],
            vec!["demo", "-h"],
            vec!["serve", "--listen", "127.0.0.1:1", "--help"],
        ] {
            let args = args.iter().map(|s| s.to_string()).collect();
            assert!(matches!(parse(args, &|_| None), Ok(Command::Help)));
        }
    }

    #[test]
    fn every_setting_has_an_environment_variable() {
        let env: HashMap<&str, &str> = [
            ("REEL_PUBLIC_URL", "https://r.test"),
            ("REEL_TRUSTED_PROXIES", "10.0.0.1,::1"),
            ("REEL_DATABASE_URL", "postgres://reel:pw@db:5432/reel"),
            ("REEL_EVENTS_URL", "clickhouse://ch:8123/reel"),
            ("REEL_PROCESSING_LEASE_SECONDS", "90"),
            ("REEL_MAX_EVENTS_PER_UPLOAD", "7"),
            ("REEL_MAX_EVENT_DEPTH", "70"),
            ("REEL_MEMORY_BUDGET_BYTES", "8"),
            ("REEL_MEMORY_WAIT_MS", "9"),
            ("REEL_MAX_CONCURRENT_PASSWORD_CHECKS", "10"),
            ("REEL_LOGIN_ATTEMPTS_PER_ADDRESS", "11"),
            ("REEL_LOGIN_ATTEMPTS_PER_ACCOUNT", "12"),
            ("REEL_LOGIN_WINDOW_SECONDS", "13"),
            ("REEL_MAX_CONNECTIONS", "14"),
            ("REEL_HEADER_TIMEOUT_SECONDS", "15"),
            ("REEL_BODY_TIMEOUT_SECONDS", "16"),
            ("REEL_ORPHAN_GRACE_SECONDS", "17"),
            ("REEL_LOGIN_LIMITER_ENTRIES", "18"),
            ("REEL_COUNTRY_DATABASE", "/var/lib/GeoLite2-Country.mmdb"),
            ("REEL_INGEST_EVENTS_PER_SECOND", "19"),
            ("REEL_INGEST_BYTES_PER_SECOND", "20"),
            ("REEL_MONTHLY_SESSION_QUOTA", "21"),
            ("REEL_BLOB_URL", "s3://recordings/reel"),
            ("AWS_ENDPOINT_URL", "http://127.0.0.1:3900"),
            ("AWS_DEFAULT_REGION", "garage"),
            ("AWS_ACCESS_KEY_ID", "GK1"),
            ("AWS_SECRET_ACCESS_KEY", "s3cret"),
        ]
        .into_iter()
        .collect();
        let Ok(Command::Serve(c)) =
            parse(vec!["serve".into()], &|k| env.get(k).map(|v| v.to_string()))
        else {
            panic!("parses");
        };
        assert_eq!(c.public_url.as_deref(), Some("https://r.test"));
        assert_eq!(c.trusted_proxies.len(), 2);
        assert_eq!(c.max_event_depth, 70);
        assert_eq!(
            c.country_database.as_deref(),
            Some(std::path::Path::new("/var/lib/GeoLite2-Country.mmdb"))
        );
        assert_eq!(
            (
                c.max_events_per_upload,
                c.memory_budget_bytes,
                c.memory_wait_ms,
                c.max_concurrent_password_checks,
                c.login_attempts_per_address,
                c.login_attempts_per_account,
                c.login_window_seconds,
                c.max_connections,
                c.header_timeout_seconds,
                c.body_timeout_seconds,
                c.orphan_grace_seconds,
                c.login_limiter_entries
            ),
            (7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18)
        );
        assert_eq!(
            (
                c.ingest_events_per_second,
                c.ingest_bytes_per_second,
                c.monthly_session_quota
            ),
            (19, 20, Some(21))
        );
        assert_eq!(c.blob_url.as_deref(), Some("s3://recordings/reel"));
        assert_eq!(
            c.database_url.as_deref(),
            Some("postgres://reel:pw@db:5432/reel")
        );
        assert_eq!(c.events_url.as_deref(), Some("clickhouse://ch:8123/reel"));
        assert_eq!(c.processing_lease_seconds, 90);
        assert_eq!(
            c.s3,
            reel_server::S3Settings {
                endpoint: Some("http://127.0.0.1:3900".into()),
                region: Some("garage".into()),
                access_key_id: Some("GK1".into()),
                secret_access_key: Some("s3cret".into()),
                session_token: None,
            }
        );
        // Every field of Config but `demo` (the command decides that one) and `s3` (the
        // standard AWS_* variables, checked above).
        assert_eq!(
            ENV.len(),
            39,
            "a new setting needs its variable here and in USAGE"
        );
    }

    #[test]
    fn demo_gets_a_known_login() {
        let c = run(&["demo"], &[], None).unwrap();
        assert!(c.demo);
        assert_eq!(c.admin_email.as_deref(), Some(DEMO_EMAIL));
        let c = run(
            &["demo"],
            &[("REEL_ADMIN_EMAIL", "a@b.c"), ("REEL_ADMIN_PASSWORD", "pw")],
            None,
        )
        .unwrap();
        assert_eq!(
            (c.admin_email.as_deref(), c.admin_password.as_deref()),
            (Some("a@b.c"), Some("pw"))
        );
    }
}
