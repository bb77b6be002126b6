//! `reel migrate`: a data dir's control data into PostgreSQL and, optionally, its recordings'
//! objects into an S3-compatible store, so the same data dir runs with `database_url` and
//! `blob_url` pointing at them (and other nodes share them).
//!
//! Safe to interrupt and run again: the control data moves in one PostgreSQL transaction (all
//! or nothing; a second run finds it there and goes on), and an object already in the bucket
//! with the same bytes is not sent again. At the end every table's rows are counted on both
//! sides and every object is read back from the bucket and compared with the file.

use std::io::{IsTerminal as _, Write as _};
use std::path::Path;

use anyhow::{Context as _, bail};
use reel_engine::store::postgres::ImportOutcome;
use reel_engine::store::{Blobs, PgStore, S3Settings, SqliteStore};
use reel_server::config::redact_url;

pub async fn run(
    from: &Path,
    to: &str,
    blobs: Option<&str>,
    s3: &S3Settings,
) -> anyhow::Result<()> {
    let db = from.join("reel.db");
    if !db.is_file() {
        bail!(
            "--from: {} holds no reel.db: name a reel data dir",
            from.display()
        );
    }
    // Brings the data dir's schema up to this reel first, as `reel serve` would.
    drop(SqliteStore::open(&db).context("opening the data dir")?);
    let pg = PgStore::connect(to).await?;
    let mut bar = Progress::new("control data");
    let outcome = pg
        .import_control(&db, |table, done, total| {
            bar.show(table, done as u64, total as u64)
        })
        .await?;
    bar.done();
    let (verb, copied) = match &outcome {
        ImportOutcome::Copied(c) => ("copied", c),
        ImportOutcome::AlreadyThere(c) => ("already there (an earlier run), verified", c),
    };
    let rows: i64 = copied.iter().map(|c| c.rows).sum();
    println!(
        "control data {verb}: {rows} rows in {} tables, counts equal",
        copied.len()
    );
    for c in copied.iter().filter(|c| c.rows > 0) {
        println!("  {:<18} {:>8}", c.table, c.rows);
    }
    // The recordings' index goes too (a node on PostgreSQL would copy it at its first start).
    let local = SqliteStore::open(&db).context("opening the data dir")?;
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_millis() as i64);
    match pg.adopt_recordings(&local, now_ms).await? {
        Some(a) => println!(
            "recordings' index copied: {} sessions, {} chunks and segments, {} pieces",
            a.sessions, a.chunks, a.pieces
        ),
        None => println!("recordings' index: already there (an earlier run)"),
    }
    drop(local);

    if let Some(url) = blobs {
        let source = Blobs::local(&from.join("objects")).context("the data dir's objects")?;
        let target = Blobs::open(url, s3).await.map_err(anyhow::Error::msg)?;
        let keys = source.keys_older_than("", i64::MAX).await?;
        let mut bar = Progress::new("objects");
        let (mut sent, mut kept, mut bytes) = (0u64, 0u64, 0u64);
        for (i, key) in keys.iter().enumerate() {
            let data = source
                .get(key)
                .await
                .with_context(|| format!("reading {key}"))?;
            let there = target
                .get_if_present(key)
                .await
                .with_context(|| format!("reading {key} from {url}"))?;
            if there.as_deref() == Some(&data[..]) {
                kept += 1;
            } else {
                target
                    .put(key, data.to_vec())
                    .await
                    .with_context(|| format!("writing {key} to {url}"))?;
                let back = target.get(key).await?;
                if back != data {
                    bail!("{key}: the bucket's copy differs from the file after writing it");
                }
                sent += 1;
            }
            bytes += data.len() as u64;
            bar.show(key, i as u64 + 1, keys.len() as u64);
        }
        bar.done();
        println!(
            "objects: {} verified in {url} ({sent} sent, {kept} there already, {:.1} MB)",
            keys.len(),
            bytes as f64 / 1e6
        );
    }
    println!(
        "\nstart reel on the same data dir with\n  REEL_DATABASE_URL={}",
        redact_url(to)
    );
    if let Some(url) = blobs {
        println!("  REEL_BLOB_URL={url}");
    }
    Ok(())
}

/// A progress bar on a terminal; a line per step otherwise (logs, CI).
struct Progress {
    what: &'static str,
    terminal: bool,
    last_percent: u64,
}

impl Progress {
    fn new(what: &'static str) -> Self {
        Self {
            what,
            terminal: std::io::stderr().is_terminal(),
            last_percent: u64::MAX,
        }
    }

    fn show(&mut self, item: &str, done: u64, total: u64) {
        let percent = (done * 100).checked_div(total).unwrap_or(100);
        let mut err = std::io::stderr();
        if self.terminal {
            let filled = (percent / 5) as usize;
            let _ = write!(
                err,
                "\r{} [{}{}] {done}/{total} {:<40.40}",
                self.what,
                "#".repeat(filled),
                " ".repeat(20 - filled),
                item
            );
        } else if percent / 10 != self.last_percent / 10 || done == total {
            let _ = writeln!(err, "{}: {done}/{total} ({percent}%)", self.what);
        }
        self.last_percent = percent;
    }

    fn done(&self) {
        if self.terminal {
            let _ = writeln!(std::io::stderr());
        }
    }
}
