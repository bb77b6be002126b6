//! Arguments and configuration: defaults < config file < `REEL_*` environment < flags.

use std::path::PathBuf;

use reel_server::Config;

pub const USAGE: &str = "\
usage: reel <command> [options]

commands:
  serve     run the server
  demo      run the server with the demo shop at /demo and seeded sessions
  help      show this help
  version   show the version

options (serve, demo):
  --config FILE      TOML configuration file (env: REEL_CONFIG)
  --listen ADDR      address to listen on (default 127.0.0.1:8080; env: REEL_LISTEN)
  --data-dir DIR     where data is kept (default ./reel-data, demo: ./reel-demo-data; env: REEL_DATA_DIR)

environment (also settable in the file, same names in lower case without REEL_):
  REEL_API_KEY, REEL_ADMIN_EMAIL + REEL_ADMIN_PASSWORD, REEL_ADMIN_TOKEN,
  REEL_MAX_BODY_BYTES, REEL_MAX_DECOMPRESSED_BYTES, REEL_COUNTRY_HEADER,
  REEL_SESSION_TTL_HOURS, REEL_LOG (log filter, default info)";

#[derive(Debug)]
pub enum Command {
    Serve(Config),
    Demo(Config),
    Help,
    Version,
}

/// The demo's admin when none is configured; printed at start.
pub const DEMO_EMAIL: &str = "demo@reel.local";
pub const DEMO_PASSWORD: &str = "reel-demo";

pub fn parse(args: Vec<String>, env: &dyn Fn(&str) -> Option<String>) -> Result<Command, String> {
    let mut args = args.into_iter();
    let demo = match args.next().as_deref() {
        Some("serve") => false,
        Some("demo") => true,
        Some("help" | "--help" | "-h") | None => return Ok(Command::Help),
        Some("version" | "--version" | "-V") => return Ok(Command::Version),
        Some(other) => return Err(format!("unknown command {other:?}")),
    };
    let mut flags: Vec<(String, String)> = Vec::new();
    while let Some(arg) = args.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((n, v)) => (n.to_owned(), Some(v.to_owned())),
            None => (arg.clone(), None),
        };
        if !matches!(name.as_str(), "--config" | "--listen" | "--data-dir") {
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

fn apply_env(config: &mut Config, env: &dyn Fn(&str) -> Option<String>) -> Result<(), String> {
    let get = |name: &str| env(name).filter(|v| !v.is_empty());
    let number = |name: &str| -> Result<Option<usize>, String> {
        get(name)
            .map(|v| {
                v.parse::<usize>()
                    .map_err(|_| format!("{name} must be a number of bytes, got {v:?}"))
            })
            .transpose()
    };
    if let Some(v) = get("REEL_LISTEN") {
        config.listen = v;
    }
    if let Some(v) = get("REEL_DATA_DIR") {
        config.data_dir = PathBuf::from(v);
    }
    if let Some(v) = number("REEL_MAX_BODY_BYTES")? {
        config.max_body_bytes = v;
    }
    if let Some(v) = number("REEL_MAX_DECOMPRESSED_BYTES")? {
        config.max_decompressed_bytes = v;
    }
    if let Some(v) = number("REEL_SESSION_TTL_HOURS")? {
        config.session_ttl_hours = v as u64;
    }
    for (name, slot) in [
        ("REEL_COUNTRY_HEADER", &mut config.country_header),
        ("REEL_API_KEY", &mut config.api_key),
        ("REEL_ADMIN_EMAIL", &mut config.admin_email),
        ("REEL_ADMIN_PASSWORD", &mut config.admin_password),
        ("REEL_ADMIN_TOKEN", &mut config.admin_token),
    ] {
        if let Some(v) = get(name) {
            *slot = Some(v);
        }
    }
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
                Err("REEL_MAX_BODY_BYTES must be a number"),
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
