//! Replay search on ClickHouse: the reading half of [`ClickHouseSearch`], with the embedded
//! store's answers, order and cursors (`sqlite/search.rs`) for the same data.
//!
//! **In ClickHouse**: a project's sessions, each kind of row folded to its latest
//! (`argMaxIf`/`minIf`, see `schema.rs`), filtered by everything decided on the session's own
//! fields — time range, facts, browser/OS/device/country, user id, URLs (but globs), console
//! messages that exist or are exactly a text — sorted and paged by the same keys as the
//! embedded store (sort value, then the session's first-sighting number the other way, as
//! its row id). Positive filters on events, clicked elements and text narrow the sessions
//! with `IN` sub-queries on the detail tables: supersets of the matches (names, element
//! words, a phrase's words), never a decision.
//!
//! **In Rust**: what exactness needs — event property conditions, counts and sequences,
//! selectors, element texts, phrases, URL globs, user properties and cohorts — decided for the
//! candidates a batch at a time by the embedded store's own code: its SQL tests of one value
//! run on a scratch SQLite (`sqlite::Conditions`), its phrase folding, `reel_query::selector`,
//! and its user-property rules.
//!
//! Every text of a search reaches ClickHouse through `client::quote` or as a number Rust
//! formatted.
//!
//! A search lists its sessions' keys in order from a fold of only the columns its conditions
//! and sort name, over only the sessions with a version starting in its range; the replays'
//! full rows are read for the page, or — when Rust decides some filters — for each batch of
//! candidates, until the page is full, counting on for at most the embedded store's 500 ms.
//!
//! **Limits** (ways on): a rare match behind many candidates reads all those candidates' rows
//! (the embedded store's "drive from the rarest filter" plan is not here); cohorts' event
//! counts and `user_property_keys` read the whole project's sessions and user-property
//! operations.

use std::collections::{HashMap, HashSet};

use async_trait::async_trait;
use rusqlite::types::Value as SqlValue;

use reel_query::{
    ClickSignal, CohortCondition, Cursor, ElementMatch, EventMatch, Fact, MessageCondition,
    NumberCondition, Phrase, Predicate, Search, SortKey, TextCondition, UrlCondition,
};

use super::client::{quote, unescape};
use super::search_erase::{live_events, live_sessions, live_texts};
use super::sessions::{ClickHouseSearch, session_tuples};
use crate::sqlite::{Conditions, fold_words, holds_phrase, text_token};
use crate::{Replay, ReplayId, Result, SearchPage, SearchStore, SessionFacts, StoreError};

mod decide;

use decide::{
    Decide, Details, Event, cohort_names, event_names_read, reads_texts, reads_user_properties,
    user_key,
};

/// How many candidates are read and decided in Rust at a time (see
/// [`ClickHouseSearch::with_search_batch`]).
pub(super) const BATCH: usize = 200;
/// How long counting every match may take before `total` is left out (the embedded store's).
pub(super) const COUNT_BUDGET: std::time::Duration = std::time::Duration::from_millis(500);

/// The folded session columns: `(alias, aggregate)`; a replay is read from them in this
/// order (then the facts, in `Fact::ALL`'s order).
const COLUMNS: &[(&str, &str)] = &[
    ("s_row", "minIf(seen_row, kind = 0)"),
    // 18.16 and current versions both compare tuples in argMax.
    (
        "s_user_id",
        "argMaxIf(user_id, (user_id_ms, version), kind = 2)",
    ),
    ("s_has_user_id", "countIf(kind = 2) > 0"),
    ("s_start_ms", "argMaxIf(start_ms, version, kind = 1)"),
    ("s_end_ms", "argMaxIf(end_ms, version, kind = 1)"),
    ("s_event_count", "argMaxIf(event_count, version, kind = 1)"),
    (
        "s_stored_bytes",
        "argMaxIf(stored_bytes, version, kind = 1)",
    ),
    ("s_first_url", "argMaxIf(first_url, version, kind = 1)"),
    (
        "s_has_first_url",
        "argMaxIf(has_first_url, version, kind = 1)",
    ),
    ("s_country", "argMaxIf(country, version, kind = 1)"),
    ("s_has_country", "argMaxIf(has_country, version, kind = 1)"),
    ("s_urls", "argMaxIf(urls, version, kind = 1)"),
    (
        "s_viewport_width",
        "argMaxIf(viewport_width, version, kind = 1)",
    ),
    (
        "s_viewport_height",
        "argMaxIf(viewport_height, version, kind = 1)",
    ),
    (
        "s_has_viewport",
        "argMaxIf(has_viewport, version, kind = 1)",
    ),
    ("s_browser", "argMaxIf(browser, version, kind = 1)"),
    ("s_has_browser", "argMaxIf(has_browser, version, kind = 1)"),
    ("s_os", "argMaxIf(os, version, kind = 1)"),
    ("s_has_os", "argMaxIf(has_os, version, kind = 1)"),
    ("s_device", "argMaxIf(device, version, kind = 1)"),
    ("s_has_device", "argMaxIf(has_device, version, kind = 1)"),
    (
        "s_last_upload_ms",
        "argMaxIf(last_upload_ms, version, kind = 1)",
    ),
    (
        "s_has_last_upload",
        "argMaxIf(has_last_upload, version, kind = 1)",
    ),
    (
        "s_processing_due_ms",
        "argMaxIf(processing_due_ms, version, kind = 1)",
    ),
    (
        "s_has_processing_due",
        "argMaxIf(has_processing_due, version, kind = 1)",
    ),
    // Not a replay's field: when the first URL was seen (an upload keeps the earliest).
    (
        "s_first_url_ms",
        "argMaxIf(first_url_ms, version, kind = 1)",
    ),
    ("s_is_replay", "argMaxIf(is_replay, version, kind = 1)"),
    ("s_generation", "argMaxIf(generation, version, kind = 1)"),
];

/// `(device_id, session_id, generation)` of the project's sessions (those `only` keeps) at
/// their current generation: derived events and text in this set are the live ones.
fn current_generations(project_id: i64, only: &str) -> String {
    format!(
        "(device_id, session_id, generation) IN (SELECT device_id, session_id, \
         argMaxIf(generation, version, kind = 1) FROM search_sessions \
         WHERE project = {project_id}{only} AND {} GROUP BY device_id, session_id)",
        live_sessions(project_id)
    )
}

/// The project's sessions that have a replay row and that `only` (a condition on
/// `device_id`, `session_id`) keeps, folded (see `schema.rs`): every column, or those whose
/// alias `named` mentions (and the sighting number, which orders ties).
fn fold_sql(project_id: i64, only: &str, named: Option<&str>) -> String {
    fold_sql_having(
        project_id,
        only,
        named,
        "argMaxIf(is_replay, version, kind = 1) = 1",
    )
}

/// [`fold_sql`] of the sessions `having` keeps (deleted replays too, for writers).
fn fold_sql_having(project_id: i64, only: &str, named: Option<&str>, having: &str) -> String {
    let wanted = |alias: &str| alias == "s_row" || named.is_none_or(|t| t.contains(alias));
    let mut columns: Vec<String> = COLUMNS
        .iter()
        .filter(|(alias, _)| wanted(alias))
        .map(|(alias, e)| format!("{e} AS {alias}"))
        .collect();
    for fact in reel_model::Fact::ALL {
        let name = fact.name();
        if wanted(&format!("s_{name}")) {
            columns.push(format!("argMaxIf({name}, version, kind = 1) AS s_{name}"));
        }
    }
    format!(
        "SELECT device_id, session_id, {} FROM search_sessions WHERE project = {project_id}{only} \
         AND {} GROUP BY device_id, session_id HAVING {having}",
        columns.join(", "),
        live_sessions(project_id)
    )
}

/// The outer columns read back, in [`replay_of`]'s order.
fn outer_columns() -> String {
    let mut columns = vec!["device_id".to_owned(), "session_id".to_owned()];
    columns.extend(COLUMNS.iter().map(|(alias, _)| (*alias).to_owned()));
    columns.extend(
        reel_model::Fact::ALL
            .iter()
            .map(|f| format!("s_{}", f.name())),
    );
    columns.join(", ")
}

/// One `Array(String)` field of a `TabSeparated` row (`['a','b\'c']`, as sent), as its texts.
fn string_array(field: &str) -> Vec<String> {
    let inner = field
        .strip_prefix('[')
        .and_then(|f| f.strip_suffix(']'))
        .unwrap_or("");
    let mut out = Vec::new();
    let mut chars = inner.chars();
    // Inside the array, ClickHouse writes each string quoted with its own escapes; the
    // row's escaping (of the backslashes) was undone by `client::unescape` already.
    while let Some(c) = chars.next() {
        if c != '\'' {
            continue;
        }
        let mut text = String::new();
        while let Some(c) = chars.next() {
            match c {
                '\\' => match chars.next() {
                    Some('0') => text.push('\0'),
                    Some('b') => text.push('\u{8}'),
                    Some('f') => text.push('\u{c}'),
                    Some('n') => text.push('\n'),
                    Some('r') => text.push('\r'),
                    Some('t') => text.push('\t'),
                    Some(other) => text.push(other),
                    None => break,
                },
                '\'' => break,
                c => text.push(c),
            }
        }
        out.push(text);
    }
    out
}

/// Where [`outer_columns`] has the URLs.
const URLS_FIELD: usize = 13;

/// A row's fields as texts: every field is a scalar but the URLs, an array whose strings
/// ClickHouse writes quoted, with the escapes of a quoted string and none of the row's.
fn unescape_but_urls(fields: &[&str]) -> Vec<String> {
    fields
        .iter()
        .enumerate()
        .map(|(i, f)| {
            if i == URLS_FIELD {
                (*f).to_owned()
            } else {
                unescape(f).into_owned()
            }
        })
        .collect()
}

/// A replay and its sighting number from a row of [`outer_columns`].
fn replay_of(r: &[String]) -> Result<(Replay, i64)> {
    let bad = || StoreError::Database(format!("ClickHouse sent a session row {r:?}").into());
    let int = |i: usize| -> Result<i64> { r.get(i).and_then(|v| v.parse().ok()).ok_or_else(bad) };
    let flag = |i: usize| -> Result<bool> { Ok(int(i)? != 0) };
    let text =
        |i: usize, has: usize| -> Result<Option<String>> { Ok(flag(has)?.then(|| r[i].clone())) };
    let device_id = r.first().ok_or_else(bad)?.clone();
    let session_id = int(1)?;
    let mut facts = SessionFacts::default();
    let first_fact = 2 + COLUMNS.len();
    for (i, fact) in reel_model::Fact::ALL.into_iter().enumerate() {
        facts.set(fact, int(first_fact + i)?);
    }
    let replay = Replay {
        id: ReplayId::of(&device_id, session_id),
        user_id: text(3, 4)?,
        start_ms: int(5)?,
        end_ms: int(6)?,
        event_count: int(7)?,
        stored_bytes: int(8)?,
        first_url: text(9, 10)?,
        country: text(11, 12)?,
        facts,
        urls: string_array(r.get(URLS_FIELD).ok_or_else(bad)?),
        viewport: if flag(16)? {
            Some((int(14)?, int(15)?))
        } else {
            None
        },
        browser: text(17, 18)?,
        os: text(19, 20)?,
        device: text(21, 22)?,
        last_upload_ms: flag(24)?.then_some(int(23)?),
        processing_due_ms: flag(26)?.then_some(int(25)?),
        device_id,
        session_id,
    };
    Ok((replay, int(2)?))
}

/// A number as a ClickHouse literal (never an exponent, which 18.16's parser and current
/// versions read differently for large values; integers as integers).
fn number(n: f64) -> String {
    if n.fract() == 0.0 && n.abs() < 9.0e15 {
        format!("{}", n as i64)
    } else {
        format!("{n}")
    }
}

fn sort_expression(key: SortKey) -> &'static str {
    match key {
        SortKey::StartTime => "s_start_ms",
        SortKey::Duration => "(s_end_ms - s_start_ms)",
        SortKey::ActiveTime => "s_active_ms",
        SortKey::Errors => "(s_console_error_count + s_network_error_count)",
    }
}

fn sort_value(key: SortKey, r: &Replay) -> i64 {
    match key {
        SortKey::StartTime => r.start_ms,
        SortKey::Duration => r.end_ms - r.start_ms,
        SortKey::ActiveTime => r.facts.active_ms,
        SortKey::Errors => r.facts.errors(),
    }
}

/// Whether ClickHouse decides a predicate exactly (on the session's own fields).
fn decided_in_clickhouse(p: &Predicate) -> bool {
    match p {
        Predicate::UserId(_) | Predicate::Fact { .. } | Predicate::Attribute { .. } => true,
        Predicate::Url(c) => !matches!(c, UrlCondition::Glob(_)),
        Predicate::ConsoleMessage(c) => !matches!(c, MessageCondition::Contains(_)),
        _ => false,
    }
}

/// A session key `(device_id, session_id)` in `IN`'s left side.
const KEY: &str = "(device_id, session_id)";

/// ClickHouse conditions on the folded session columns.
struct Sql {
    project_id: i64,
}

impl Sql {
    /// An exact condition (for [`decided_in_clickhouse`] predicates).
    fn exact(&self, p: &Predicate) -> String {
        match p {
            Predicate::UserId(c) => self.text("s_user_id", "s_has_user_id", c, false),
            Predicate::Fact { fact, condition } => self.number(*fact, condition),
            Predicate::Attribute {
                attribute,
                condition,
            } => {
                let name = match attribute {
                    reel_query::Attribute::Browser => "browser",
                    reel_query::Attribute::Os => "os",
                    reel_query::Attribute::Device => "device",
                    reel_query::Attribute::Country => "country",
                };
                self.text(
                    &format!("s_{name}"),
                    &format!("s_has_{name}"),
                    condition,
                    true,
                )
            }
            Predicate::Url(c) => Self::url(c),
            Predicate::ConsoleMessage(MessageCondition::Exists) => {
                "(s_console_log_count + s_console_warn_count + s_console_error_count) > 0".into()
            }
            Predicate::ConsoleMessage(MessageCondition::Is(text)) => format!(
                "{KEY} IN (SELECT device_id, session_id FROM search_texts WHERE project = {} \
                 AND console = 1 AND text = {} AND {} AND {})",
                self.project_id,
                quote(text),
                current_generations(self.project_id, ""),
                live_texts(self.project_id)
            ),
            _ => "1".into(),
        }
    }

    /// A text condition on an optional column. SQLite's `lower` and `NOCASE` fold ASCII
    /// letters only, as ClickHouse's `lower` does (not `lowerUTF8`).
    fn text(&self, e: &str, has: &str, c: &TextCondition, ignore_case: bool) -> String {
        let test = match c {
            TextCondition::Is(values) if values.is_empty() => "0".to_owned(),
            TextCondition::Is(values) => {
                // The values folded here: `IN` wants constants on its right.
                let list: Vec<String> = values
                    .iter()
                    .map(|v| {
                        if ignore_case {
                            quote(&v.to_ascii_lowercase())
                        } else {
                            quote(v)
                        }
                    })
                    .collect();
                let e = if ignore_case {
                    format!("lower({e})")
                } else {
                    e.to_owned()
                };
                format!("{e} IN ({})", list.join(", "))
            }
            TextCondition::Contains(s) => {
                format!("position(lower({e}), lower({})) > 0", quote(s))
            }
            TextCondition::Exists => format!("{e} != ''"),
        };
        format!("({has} AND {test})")
    }

    fn number(&self, fact: Fact, c: &NumberCondition) -> String {
        let (e, has) = match fact {
            Fact::Recorded(f) => (format!("s_{}", f.name()), "1"),
            Fact::DurationMs => ("(s_end_ms - s_start_ms)".to_owned(), "1"),
            Fact::Errors => (
                "(s_console_error_count + s_network_error_count)".to_owned(),
                "1",
            ),
            Fact::ViewportWidth => ("s_viewport_width".to_owned(), "s_has_viewport"),
            Fact::ViewportHeight => ("s_viewport_height".to_owned(), "s_has_viewport"),
        };
        // Comparisons, not `IN`: an Int64 column `IN` a Float64 literal is refused.
        let test = match c {
            NumberCondition::Is(values) if values.is_empty() => "0".to_owned(),
            NumberCondition::Is(values) => {
                let parts: Vec<String> = values
                    .iter()
                    .map(|n| format!("{e} = {}", number(*n)))
                    .collect();
                format!("({})", parts.join(" OR "))
            }
            NumberCondition::GreaterThan(n) => format!("{e} > {}", number(*n)),
            NumberCondition::LessThan(n) => format!("{e} < {}", number(*n)),
            NumberCondition::Between(lo, hi) => {
                format!("({e} >= {} AND {e} <= {})", number(*lo), number(*hi))
            }
            NumberCondition::Exists => "1".to_owned(),
        };
        format!("({has} AND {test})")
    }

    fn url(c: &UrlCondition) -> String {
        match c {
            UrlCondition::Exists => "notEmpty(s_urls)".into(),
            UrlCondition::Is(values) if values.is_empty() => "0".into(),
            UrlCondition::Is(values) => {
                let list: Vec<String> = values.iter().map(|v| quote(v)).collect();
                format!("hasAny(s_urls, [{}])", list.join(", "))
            }
            UrlCondition::Contains(s) => format!(
                "arrayExists(u -> position(lower(u), lower({})) > 0, s_urls)",
                quote(s)
            ),
            // A prefix of bytes is a prefix of characters in UTF-8 (SQLite's `substr` counts
            // characters); `startsWith` is not in 18.16.
            UrlCondition::StartsWith(p) => {
                let p = quote(p);
                format!("arrayExists(u -> substring(u, 1, length({p})) = {p}, s_urls)")
            }
            UrlCondition::Glob(_) => "1".into(),
        }
    }

    /// Sessions with an event named `name` matching `extra` (a superset of a filter's
    /// matches).
    fn with_event(&self, name: &str, extra: &str) -> String {
        format!(
            "{KEY} IN (SELECT device_id, session_id FROM search_events WHERE project = {} \
             AND event_type = {}{extra} AND {})",
            self.project_id,
            quote(name),
            live_events(self.project_id)
        )
    }

    /// Sessions with a text (of the console when `console`) having the phrase's words, the
    /// last as a prefix: a superset of the phrase's matches (the order is tested in Rust).
    fn with_phrase(&self, phrase: &Phrase, console: bool) -> String {
        let words = fold_words(phrase.as_str());
        let Some((last, rest)) = words.split_last() else {
            return "0".into();
        };
        // No empty array literal: 18.16 types `[]` as Array(Nothing), which `hasAll` refuses.
        let all: String = rest
            .iter()
            .map(|w| format!(" AND has(words, {})", quote(w)))
            .collect();
        let last = quote(last);
        format!(
            "{KEY} IN (SELECT device_id, session_id FROM search_texts WHERE project = {}{}{all} \
             AND arrayExists(w -> substring(w, 1, length({last})) = {last}, words) AND {})",
            self.project_id,
            if console { " AND console = 1" } else { "" },
            live_texts(self.project_id)
        )
    }

    /// A superset of the sessions a positive Rust-decided filter matches.
    fn narrowing(&self, p: &Predicate) -> Vec<String> {
        match p {
            Predicate::Performed(m) => vec![self.with_event(&m.name, "")],
            Predicate::Sequence(steps) => {
                steps.iter().map(|m| self.with_event(&m.name, "")).collect()
            }
            Predicate::ClickedElement { element, signal } => {
                let name = signal.event_type();
                match element {
                    ElementMatch::Selector(s) => {
                        let mut parts: Vec<String> = s
                            .required_tokens()
                            .iter()
                            .map(|t| {
                                self.with_event(name, &format!(" AND has(tokens, {})", quote(t)))
                            })
                            .collect();
                        parts.push(self.with_event(name, ""));
                        parts
                    }
                    ElementMatch::Text(TextCondition::Is(values)) if !values.is_empty() => {
                        let tokens: Vec<String> =
                            values.iter().map(|v| quote(&text_token(v))).collect();
                        vec![self.with_event(
                            name,
                            &format!(" AND hasAny(tokens, [{}])", tokens.join(", ")),
                        )]
                    }
                    ElementMatch::Text(_) => vec![self.with_event(name, "")],
                }
            }
            Predicate::ConsoleMessage(MessageCondition::Contains(phrase)) => {
                vec![self.with_phrase(phrase, true)]
            }
            _ => Vec::new(),
        }
    }
}

impl ClickHouseSearch {
    /// The replays of these sessions with their sighting numbers, in the order given.
    async fn replays_of(
        &self,
        project_id: i64,
        keys: &[(String, i64)],
    ) -> Result<Vec<(Replay, i64)>> {
        if keys.is_empty() {
            return Ok(Vec::new());
        }
        let only = format!(
            " AND {KEY} IN ({})",
            session_tuples(keys.iter().map(|(d, s)| (d.as_str(), *s)))
        );
        let sql = format!(
            "SELECT {} FROM ({})",
            outer_columns(),
            fold_sql(project_id, &only, None)
        );
        let mut found: HashMap<(String, i64), (Replay, i64)> = HashMap::new();
        self.ch
            .stream(&sql, |fields| {
                let (replay, row) = replay_of(&unescape_but_urls(fields))?;
                found.insert((replay.device_id.clone(), replay.session_id), (replay, row));
                Ok(())
            })
            .await?;
        Ok(keys.iter().filter_map(|k| found.remove(k)).collect())
    }

    /// A session's replay as the list shows it, when its first URL was seen, whether it is
    /// a replay (not deleted) and its generation; `None` before it has a replay row.
    pub(super) async fn replay_state(
        &self,
        session: &crate::SessionRef,
    ) -> Result<Option<(Replay, i64, bool, u32)>> {
        let only = format!(
            " AND device_id = {} AND session_id = {}",
            quote(&session.device_id),
            session.session_id
        );
        let sql = format!(
            "SELECT {}, s_first_url_ms, s_is_replay, s_generation FROM ({})",
            outer_columns(),
            fold_sql_having(session.project_id, &only, None, "countIf(kind = 1) > 0")
        );
        let mut found = None;
        self.ch
            .stream(&sql, |fields| {
                let row = unescape_but_urls(fields);
                let (replay, _) = replay_of(&row)?;
                let tail = |back: usize| -> Option<i64> {
                    row.get(row.len() - back).and_then(|v| v.parse().ok())
                };
                found = Some((
                    replay,
                    tail(3).unwrap_or(0),
                    tail(2) == Some(1),
                    tail(1).map_or(0, |g| g as u32),
                ));
                Ok(())
            })
            .await?;
        Ok(found)
    }

    /// Per (user key, event name), the events of each cohort name in the user's sessions:
    /// those with the user's id, or — for a user known only by device — that device's
    /// sessions without a user id (as the embedded store counts).
    async fn cohort_counts(
        &self,
        project_id: i64,
        names: &[String],
    ) -> Result<HashMap<(String, String), u64>> {
        let mut out = HashMap::new();
        if names.is_empty() {
            return Ok(out);
        }
        let mut users: HashMap<(String, i64), String> = HashMap::new();
        for r in self
            .ch
            .rows(&format!(
                "SELECT device_id, session_id, \
                 argMaxIf(user_id, (user_id_ms, version), kind = 2), countIf(kind = 2) > 0 \
                 FROM search_sessions WHERE project = {project_id} AND {} \
                 GROUP BY device_id, session_id",
                live_sessions(project_id)
            ))
            .await?
        {
            if let [d, s, u, has] = r.as_slice() {
                let key = if has == "1" {
                    format!("u:{u}")
                } else {
                    format!("d:{d}")
                };
                users.insert((d.clone(), s.parse().unwrap_or(0)), key);
            }
        }
        let list: Vec<String> = names.iter().map(|n| quote(n)).collect();
        for r in self
            .ch
            .rows(&format!(
                "SELECT device_id, session_id, event_type, count() FROM search_events \
                 WHERE project = {project_id} AND session_id != 0 AND event_type IN ({}) \
                 AND (derived = 0 OR {}) AND {} GROUP BY device_id, session_id, event_type",
                list.join(", "),
                current_generations(project_id, ""),
                live_events(project_id)
            ))
            .await?
        {
            if let [d, s, name, n] = r.as_slice()
                && let Some(user) = users.get(&(d.clone(), s.parse().unwrap_or(0)))
            {
                *out.entry((user.clone(), name.clone())).or_default() +=
                    n.parse::<u64>().unwrap_or(0);
            }
        }
        Ok(out)
    }

    /// What the Rust-decided filters need for a batch of candidates.
    async fn details(
        &self,
        project_id: i64,
        search: &Search,
        batch: &[(Replay, i64)],
    ) -> Result<Details> {
        let mut details = Details::default();
        let keys = session_tuples(
            batch
                .iter()
                .map(|(r, _)| (r.device_id.as_str(), r.session_id)),
        );
        // Derived events and text of a deleted replay's earlier generations are gone.
        let live = current_generations(project_id, &format!(" AND {KEY} IN ({keys})"));
        let (live_events, live_texts) = (live_events(project_id), live_texts(project_id));
        let names = event_names_read(search);
        if !names.is_empty() {
            let list: Vec<String> = names.iter().map(|n| quote(n)).collect();
            for r in self
                .ch
                .rows(&format!(
                    "SELECT device_id, session_id, event_type, time_ms, props FROM search_events \
                     WHERE project = {project_id} AND {KEY} IN ({keys}) AND event_type IN ({}) \
                     AND (derived = 0 OR {live}) AND {live_events} \
                     ORDER BY device_id, session_id, time_ms, seq",
                    list.join(", ")
                ))
                .await?
            {
                if let Ok([d, s, event_type, t, properties]) = <[String; 5]>::try_from(r) {
                    details
                        .events
                        .entry((d, s.parse().unwrap_or(0)))
                        .or_default()
                        .push(Event {
                            event_type,
                            time_ms: t.parse().unwrap_or(0),
                            properties,
                        });
                }
            }
        }
        if reads_texts(search) {
            for r in self
                .ch
                .rows(&format!(
                    "SELECT device_id, session_id, console, text FROM search_texts \
                     WHERE project = {project_id} AND {KEY} IN ({keys}) AND {live} \
                     AND {live_texts}"
                ))
                .await?
            {
                if let Ok([d, s, console, text]) = <[String; 4]>::try_from(r) {
                    details
                        .texts
                        .entry((d, s.parse().unwrap_or(0)))
                        .or_default()
                        .push((console == "1", text));
                }
            }
        }
        if reads_user_properties(search) {
            let mut user_keys: Vec<String> = batch.iter().map(|(r, _)| user_key(r)).collect();
            user_keys.sort();
            user_keys.dedup();
            details.user_properties = self.user_properties(project_id, Some(&user_keys)).await?;
        }
        Ok(details)
    }

    /// Decides a batch of candidates in Rust: the matching ones, in order.
    async fn decide(
        &self,
        project_id: i64,
        search: &Search,
        batch: Vec<(Replay, i64)>,
        cohort_counts: &HashMap<(String, String), u64>,
    ) -> Result<Vec<(Replay, i64)>> {
        let mut details = self.details(project_id, search, &batch).await?;
        details.cohort_counts = cohort_counts.clone();
        let search = search.clone();
        tokio::task::spawn_blocking(move || {
            let conditions = Conditions::new()?;
            let decide = Decide {
                conditions: &conditions,
                details: &details,
            };
            let mut out = Vec::new();
            for (replay, row) in batch {
                if decide.session(&search, &replay)? {
                    out.push((replay, row));
                }
            }
            Ok(out)
        })
        .await
        .map_err(|e| StoreError::Task(e.to_string()))?
    }
}

#[async_trait]
impl SearchStore for ClickHouseSearch {
    async fn search(&self, project_id: i64, search: Search) -> Result<SearchPage> {
        let sql = Sql { project_id };
        let mut conditions = vec![
            format!("s_start_ms >= {}", search.range.start_ms),
            format!("s_start_ms < {}", search.range.end_ms),
        ];
        let mut in_rust = search.text.is_some();
        for f in &search.filters {
            if decided_in_clickhouse(&f.predicate) {
                let c = sql.exact(&f.predicate);
                conditions.push(if f.negated {
                    format!("NOT ({c})")
                } else {
                    format!("({c})")
                });
            } else {
                in_rust = true;
                if !f.negated {
                    conditions.extend(sql.narrowing(&f.predicate));
                }
            }
        }
        if let Some(phrase) = &search.text {
            conditions.push(sql.with_phrase(phrase, false));
        }
        let sort = sort_expression(search.sort.key);
        let (main, tie) = if search.sort.descending {
            ("DESC", "ASC")
        } else {
            ("ASC", "DESC")
        };
        // What comes after a session of sort value `v` and number `r` in the order.
        let after = |v: i64, r: i64| {
            if search.sort.descending {
                format!("({sort} < {v} OR ({sort} = {v} AND s_row > {r}))")
            } else {
                format!("({sort} > {v} OR ({sort} = {v} AND s_row < {r}))")
            }
        };
        let mut page_conditions = conditions.clone();
        if let Some(cursor) = &search.after {
            page_conditions.push(after(cursor.value, cursor.row));
        }
        // Only sessions with a version starting in the range are folded: the latest version
        // is one of them when the session is in the range, so the outer test stays exact while
        // the aggregation covers the range's sessions, not the project's.
        let in_range = format!(
            " AND {KEY} IN (SELECT device_id, session_id FROM search_sessions \
             WHERE project = {project_id} AND kind = 1 AND start_ms >= {} AND start_ms < {})",
            search.range.start_ms, search.range.end_ms
        );
        // The fold covers only the columns the conditions and the sort name (every alias that
        // appears in their text: one too many when a quoted value spells an alias, never one
        // too few).
        let named = format!("{} {sort}", page_conditions.join(" "));
        let from = format!("FROM ({})", fold_sql(project_id, &in_range, Some(&named)));
        // The sessions' keys in order: the replays' own rows are read for a page (or a batch
        // of candidates) only, so no statement folds every column of every candidate.
        let keys = |conditions: &[String], limit: Option<usize>| {
            let sql = format!(
                "SELECT device_id, session_id {from} WHERE {} ORDER BY {sort} {main}, s_row {tie}{}",
                conditions.join(" AND "),
                limit.map(|n| format!(" LIMIT {n}")).unwrap_or_default()
            );
            async move {
                self.ch
                    .rows(&sql)
                    .await?
                    .into_iter()
                    .map(|r| match <[String; 2]>::try_from(r) {
                        Ok([d, s]) => s.parse::<i64>().map(|s| (d, s)).map_err(|_| {
                            StoreError::Database("a session id that is not a number".into())
                        }),
                        Err(r) => Err(StoreError::Database(
                            format!("ClickHouse sent {r:?}").into(),
                        )),
                    })
                    .collect::<Result<Vec<(String, i64)>>>()
            }
        };
        let want = search.limit + 1;
        let mut rows: Vec<(Replay, i64)> = Vec::new();
        let mut counted: Option<u64> = None;
        if in_rust {
            let counts = self
                .cohort_counts(project_id, &cohort_names(&search))
                .await?;
            // Counting every match (a first page that asks for the total) decides them all,
            // within the time a count may take once the page is full.
            let count_all = search.after.is_none() && search.count_total;
            let count_until = tokio::time::Instant::now() + self.count_budget;
            let mut matches = 0u64;
            let mut counted_all = true;
            let candidates = keys(&page_conditions, None).await?;
            // Batches double (up to 25 times the first): a common match fills the page from
            // the first, a rare one is not read 200 sessions at a time.
            let mut batches = Vec::new();
            let (mut start, mut size) = (0, self.batch);
            while start < candidates.len() {
                let end = (start + size).min(candidates.len());
                batches.push(&candidates[start..end]);
                start = end;
                size = (size * 2).min(self.batch * 25);
            }
            for batch in batches {
                if rows.len() >= want && (!count_all || tokio::time::Instant::now() > count_until) {
                    counted_all = false;
                    break;
                }
                let replays = self.replays_of(project_id, batch).await?;
                let decided = self.decide(project_id, &search, replays, &counts).await?;
                matches += decided.len() as u64;
                for m in decided {
                    if rows.len() < want {
                        rows.push(m);
                    }
                }
            }
            if count_all && counted_all {
                counted = Some(matches);
            }
        } else {
            let page = keys(&page_conditions, Some(want)).await?;
            rows = self.replays_of(project_id, &page).await?;
        }
        let more = rows.len() > search.limit;
        rows.truncate(search.limit);
        let total = match &search.after {
            Some(after) => after.total,
            None if !more => Some(rows.len() as u64),
            None if search.count_total => match counted {
                Some(n) => Some(n),
                // Only a Rust-decided search that gave up counting comes here with nothing:
                // it is not counted again.
                None if in_rust => None,
                None => {
                    let sql = format!("SELECT count() {from} WHERE {}", conditions.join(" AND "));
                    // Left out when counting takes longer than it may (the embedded store's
                    // rule); the request going away stops ClickHouse's query.
                    match tokio::time::timeout(self.count_budget, self.ch.rows(&sql)).await {
                        Ok(n) => n?
                            .first()
                            .and_then(|r| r.first())
                            .and_then(|v| v.parse().ok()),
                        Err(_) => None,
                    }
                }
            },
            None => None,
        };
        let next = more.then(|| {
            let (last, row) = rows.last().expect("a full page");
            Cursor {
                sort: search.sort,
                value: sort_value(search.sort.key, last),
                row: *row,
                total,
            }
        });
        Ok(SearchPage {
            replays: rows.into_iter().map(|(r, _)| r).collect(),
            next,
            total,
        })
    }

    async fn event_names(&self, project_id: i64, limit: usize) -> Result<Vec<String>> {
        // Most used first, each counted up to 10 000 as the embedded store samples, then by
        // name (bytes, as SQLite's BINARY collation).
        Ok(self
            .ch
            .rows(&format!(
                "SELECT event_type FROM search_events WHERE project = {project_id} \
                 AND {} GROUP BY event_type \
                 ORDER BY least(countIf(derived = 0 OR {}), 10000) DESC, event_type LIMIT {limit}",
                live_events(project_id),
                current_generations(project_id, "")
            ))
            .await?
            .into_iter()
            .filter_map(|r| r.into_iter().next())
            .collect())
    }

    async fn user_property_keys(&self, project_id: i64, limit: usize) -> Result<Vec<String>> {
        let mut keys: Vec<String> = self
            .user_properties(project_id, None)
            .await?
            .into_values()
            .flatten()
            .map(|(k, _)| k)
            .collect();
        keys.sort();
        keys.dedup();
        keys.truncate(limit);
        Ok(keys)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn string_arrays_read_back_with_their_escapes() {
        assert_eq!(string_array("[]"), Vec::<String>::new());
        assert_eq!(
            string_array(r"['a','b\'c','d\\e','\0\n\t','x,y]']"),
            vec!["a", "b'c", "d\\e", "\0\n\t", "x,y]"]
        );
    }

    #[test]
    fn numbers_are_literals_without_exponents() {
        assert_eq!(number(3.0), "3");
        assert_eq!(number(-2.5), "-2.5");
        assert_eq!(number(1e-7), "0.0000001");
        assert!(!number(1e300).contains('e'));
    }
}
