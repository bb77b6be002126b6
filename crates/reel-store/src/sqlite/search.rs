//! A [`Search`] in SQLite.
//!
//! Every filter becomes a condition on one session row `s`, answered through an index: events
//! by (session row, name, time), user properties by (project, user, key), clicked-element words
//! by (click kind, word, session), the full-text index by rowid ranges (a text's id carries its
//! session). Negation is `NOT COALESCE(condition, 0)`, so a missing value (NULL) counts as "not
//! matching" and a negated filter keeps it.
//!
//! Two plans:
//! - **probe**: walk the project's sessions in sort order (by start time: the start-time index)
//!   and test each, stopping once a page is full. Fast when matches are common.
//! - **drive**: when a positive filter has few candidate sessions (an event name, a user
//!   property value, a selector's rarest word, a full-text phrase), take those candidates
//!   first, then test and sort only them. Fast when matches are rare.
//!
//! Driving tests every candidate; probing tests about `limit × sessions / candidates` sessions
//! before the page is full. So a search drives when its smallest candidate set is below
//! √(limit × sessions) index entries ([`drive_threshold`]), and the estimate of each set is
//! capped there.
//!
//! Full-text conditions are tested in one of two ways ([`TextPlan`]). A search with a phrase
//! first tests each session it looks at by reading that session's few texts (`reel_phrase`, the
//! index's tokenizer rules in Rust): for a common phrase a page fills after a few hundred
//! sessions, where listing every match from the index would take half a second on a million
//! sessions. If that has not answered within 60 ms the phrase is rare, and the search runs again
//! with the index's list of matches as a set (computed once per statement) or as the driver.
//! Asking the index per session is no option: FTS5 expands the last word's prefix over the whole
//! index for every query.

use std::borrow::Cow;
use std::collections::HashMap;

use async_trait::async_trait;
use std::time::{Duration, Instant};

use rusqlite::types::Value as SqlValue;
use rusqlite::{Connection, OptionalExtension, params, params_from_iter};

use reel_query::{
    Attribute, ClickSignal, CohortCondition, Cursor, ElementMatch, EventMatch, Fact, Filter,
    MessageCondition, NumberCondition, Phrase, Predicate, Scalar, Search, SortKey, TextCondition,
    UrlCondition, ValueCondition,
};

use super::events::{TEXT_SESSION_SHIFT, text_token};
use super::watch::Watch;
use super::{REPLAY_COLUMNS, SqliteStore, replay_from_row};
use crate::{Replay, Result, SearchPage, SearchStore};

mod conditions;

pub(crate) use conditions::Conditions;

#[async_trait]
impl SearchStore for SqliteStore {
    async fn search(&self, project_id: i64, query: reel_query::Search) -> Result<SearchPage> {
        self.searchers
            .run(move |c, watch| search(c, watch, project_id, &query))
            .await
    }

    async fn event_names(&self, project_id: i64, limit: usize) -> Result<Vec<String>> {
        // Most used first, counted from the names index (a sample of each is enough).
        self.names(
            "SELECT t.name FROM event_types t WHERE t.project_id = ?1
             ORDER BY (SELECT COUNT(*) FROM (SELECT 1 FROM events e WHERE e.type_id = t.id LIMIT 10000)) DESC,
                      t.name LIMIT ?2",
            project_id,
            limit,
        )
        .await
    }

    async fn user_property_keys(&self, project_id: i64, limit: usize) -> Result<Vec<String>> {
        self.names(
            "SELECT DISTINCT key FROM user_properties WHERE project_id = ?1 ORDER BY key LIMIT ?2",
            project_id,
            limit,
        )
        .await
    }
}

impl SqliteStore {
    /// The names a catalog query lists (its first column) for a project (`?1`), at most `limit`
    /// (`?2`).
    async fn names(&self, sql: &'static str, project_id: i64, limit: usize) -> Result<Vec<String>> {
        self.read(move |c| {
            let mut stmt = c.prepare_cached(sql)?;
            let rows = stmt
                .query_map(params![project_id, limit as i64], |r| r.get(0))?
                .collect::<Result<Vec<String>, _>>()?;
            Ok(rows)
        })
        .await
    }
}

/// Driving never pays below this many candidates, nor above this many.
const DRIVE_MIN: i64 = 500;
const DRIVE_MAX: i64 = 50_000;
/// How long counting every match may take before `total` is left out.
const COUNT_BUDGET: Duration = Duration::from_millis(500);

/// The session's user as user properties are keyed: its user id, else its device.
const USER_KEY: &str =
    "(CASE WHEN s.user_id IS NOT NULL THEN 'u:' || s.user_id ELSE 'd:' || s.device_id END)";

pub(super) fn search(
    conn: &Connection,
    watch: &Watch,
    project_id: i64,
    search: &Search,
) -> Result<SearchPage> {
    let drive_below = drive_threshold(conn, search.limit)?;
    if has_phrase(search) {
        // A common phrase fills a page after a few sessions tested one by one, long before the
        // index has listed all its matches; a rare one does not. Try testing one by one for a
        // moment, then take the index's list.
        let deadline = Instant::now() + PER_SESSION_TEXT_BUDGET;
        let attempt = watch.within(deadline, || {
            search_with(
                conn,
                watch,
                project_id,
                search,
                drive_below,
                TextPlan::PerSession,
            )
        })?;
        if let Some(answer) = attempt {
            return Ok(answer);
        }
    }
    search_with(conn, watch, project_id, search, drive_below, TextPlan::Set)
}

/// How long a search tests full-text conditions session by session before it asks the index
/// for every match instead.
const PER_SESSION_TEXT_BUDGET: Duration = Duration::from_millis(60);

fn has_phrase(search: &Search) -> bool {
    search.text.is_some()
        || search.filters.iter().any(|f| {
            matches!(
                f.predicate,
                Predicate::ConsoleMessage(MessageCondition::Contains(_))
            )
        })
}

/// Below how many candidate index entries a search drives from them: √(limit × sessions), the
/// point where testing every candidate costs what probing in order would (see the module).
fn drive_threshold(conn: &Connection, limit: usize) -> Result<i64> {
    let sessions: i64 = conn.query_row("SELECT COALESCE(MAX(id), 0) FROM sessions", [], |r| {
        r.get(0)
    })?;
    let threshold = ((limit.max(1) as f64) * sessions as f64).sqrt() as i64;
    Ok(threshold.clamp(DRIVE_MIN, DRIVE_MAX))
}

/// [`search`] with a given threshold for driving (tests use 0 to force probing) and way of
/// testing text, within the deadline of `watch`'s run.
pub(super) fn search_with(
    conn: &Connection,
    watch: &Watch,
    project_id: i64,
    search: &Search,
    drive_below: i64,
    text_plan: TextPlan,
) -> Result<SearchPage> {
    let types = event_type_ids(conn, project_id, search)?;
    let mut q = Query::new(&types);
    q.text_plan = text_plan;
    let project = q.bind(project_id);
    let mut conditions = vec![
        format!("s.project_id = {project}"),
        "s.start_ms IS NOT NULL".to_owned(),
        format!("s.start_ms >= {}", q.bind(search.range.start_ms)),
        format!("s.start_ms < {}", q.bind(search.range.end_ms)),
    ];
    for filter in &search.filters {
        conditions.push(q.filter(filter));
    }
    if let Some(phrase) = &search.text {
        conditions.push(q.full_text(phrase, None));
    }
    let driver = choose_driver(conn, &mut q, project_id, search, drive_below)?;
    let from = match &driver {
        Some(candidates) => format!(
            "WITH c(id) AS MATERIALIZED ({candidates}) SELECT {{columns}} FROM c CROSS JOIN sessions s ON s.id = c.id"
        ),
        None => "SELECT {columns} FROM sessions s".to_owned(),
    };
    let sort = sort_expression(search.sort.key);
    let (main, tie) = if search.sort.descending {
        ("DESC", "ASC")
    } else {
        ("ASC", "DESC")
    };
    let mut page_conditions = conditions.clone();
    if let Some(after) = &search.after {
        let (v, r) = (q.bind(after.value), q.bind(after.row));
        page_conditions.push(if search.sort.descending {
            format!("{sort} <= {v} AND ({sort} < {v} OR s.id > {r})")
        } else {
            format!("{sort} >= {v} AND ({sort} > {v} OR s.id < {r})")
        });
    }
    let sql = format!(
        "{} WHERE {} ORDER BY {sort} {main}, s.id {tie} LIMIT {}",
        from.replace("{columns}", &format!("{REPLAY_COLUMNS}, s.id")),
        page_conditions.join(" AND "),
        search.limit + 1
    );
    let mut rows: Vec<(Replay, i64)> = conn
        .prepare(&sql)?
        .query_map(params_from_iter(q.params.iter()), |r| {
            Ok((replay_from_row(r)?, r.get::<_, i64>(31)?))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    let more = rows.len() > search.limit;
    rows.truncate(search.limit);
    let total = match &search.after {
        Some(after) => after.total,
        None if !more => Some(rows.len() as u64),
        None if search.count_total => {
            let sql = format!(
                "{} WHERE {}",
                from.replace("{columns}", "COUNT(*)"),
                conditions.join(" AND ")
            );
            count(conn, watch, &sql, &q.params)?
        }
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

/// Counts within [`COUNT_BUDGET`]; `None` when that was not enough.
fn count(conn: &Connection, watch: &Watch, sql: &str, params: &[SqlValue]) -> Result<Option<u64>> {
    let n = watch.within(Instant::now() + COUNT_BUDGET, || {
        Ok(conn.query_row(sql, params_from_iter(params.iter()), |r| r.get::<_, i64>(0))?)
    })?;
    Ok(n.map(|n| n as u64))
}

/// The JSON path of an object's member named `key`, whatever its characters: `$."key"`, with
/// quotes, backslashes and control characters written as `\uXXXX` escapes, which SQLite
/// decodes when it compares labels (a quote cannot be escaped otherwise: a label ends at the
/// next `"`).
pub(super) fn member_path(key: &str) -> String {
    let mut path = String::with_capacity(key.len() + 4);
    path.push_str("$.\"");
    for c in key.chars() {
        match c {
            '"' | '\\' | '\u{0}'..='\u{1f}' => path.push_str(&format!("\\u{:04x}", c as u32)),
            c => path.push(c),
        }
    }
    path.push('"');
    path
}

fn sort_expression(key: SortKey) -> &'static str {
    match key {
        SortKey::StartTime => "s.start_ms",
        SortKey::Duration => "(s.end_ms - s.start_ms)",
        SortKey::ActiveTime => "s.active_ms",
        SortKey::Errors => "(s.console_error_count + s.network_error_count)",
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

/// The ids of the event names a search mentions (names the project never saw are absent).
fn event_type_ids(
    conn: &Connection,
    project_id: i64,
    search: &Search,
) -> Result<HashMap<String, i64>> {
    let mut names: Vec<&str> = Vec::new();
    for f in &search.filters {
        match &f.predicate {
            Predicate::Performed(m) => names.push(&m.name),
            Predicate::Sequence(steps) => names.extend(steps.iter().map(|m| m.name.as_str())),
            Predicate::ClickedElement { signal, .. } => names.push(signal.event_type()),
            Predicate::Cohort(c) => {
                for condition in &c.conditions {
                    if let CohortCondition::Performed { name, .. } = condition {
                        names.push(name);
                    }
                }
            }
            _ => {}
        }
    }
    let mut ids = HashMap::new();
    let mut stmt =
        conn.prepare_cached("SELECT id FROM event_types WHERE project_id = ?1 AND name = ?2")?;
    for name in names {
        if let Some(id) = stmt
            .query_row(rusqlite::params![project_id, name], |r| r.get::<_, i64>(0))
            .optional()?
        {
            ids.insert(name.to_owned(), id);
        }
    }
    Ok(ids)
}

/// SQL text and its parameters, bound by number so pieces can be built in any order.
struct Query<'t> {
    params: Vec<SqlValue>,
    types: &'t HashMap<String, i64>,
    /// How full-text conditions are asked (see [`TextPlan`]).
    text_plan: TextPlan,
}

/// How a full-text condition is tested for the sessions a search looks at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum TextPlan {
    /// One pass of the full-text index lists every session with the phrase; each session is
    /// looked up in that set. Its cost grows with the phrase's matches in the whole project.
    Set,
    /// Each session's own few texts are read and tested (`reel_phrase`). Its cost grows with
    /// the sessions tested: cheap when the phrase is common and a page fills quickly.
    PerSession,
}

impl<'t> Query<'t> {
    fn new(types: &'t HashMap<String, i64>) -> Self {
        Self {
            params: Vec::new(),
            types,
            text_plan: TextPlan::Set,
        }
    }

    fn bind(&mut self, value: impl Into<SqlValue>) -> String {
        self.params.push(value.into());
        format!("?{}", self.params.len())
    }

    fn bind_number(&mut self, n: f64) -> String {
        if n.fract() == 0.0 && n.abs() < 9.0e15 {
            self.bind(n as i64)
        } else {
            self.bind(n)
        }
    }

    fn type_id(&mut self, name: &str) -> Option<String> {
        let id = *self.types.get(name)?;
        Some(self.bind(id))
    }

    fn filter(&mut self, f: &Filter) -> String {
        let condition = self.predicate(&f.predicate);
        if f.negated {
            format!("NOT COALESCE(({condition}), 0)")
        } else {
            format!("({condition})")
        }
    }

    fn predicate(&mut self, p: &Predicate) -> String {
        match p {
            Predicate::Performed(m) => self.performed(m),
            Predicate::Sequence(steps) => self.sequence(steps),
            Predicate::UserId(c) => self.text("s.user_id", c, false),
            Predicate::UserProperty { key, condition } => {
                self.user_property(key.as_str(), condition)
            }
            Predicate::Cohort(cohort) => {
                let parts: Vec<String> = cohort
                    .conditions
                    .iter()
                    .map(|c| self.cohort_condition(c))
                    .collect();
                parts.join(" AND ")
            }
            Predicate::Fact { fact, condition } => self.number(&fact_expression(*fact), condition),
            Predicate::Attribute {
                attribute,
                condition,
            } => {
                let column = match attribute {
                    Attribute::Browser => "s.browser",
                    Attribute::Os => "s.os",
                    Attribute::Device => "s.device",
                    Attribute::Country => "s.country",
                };
                self.text(column, condition, true)
            }
            Predicate::Url(c) => self.url(c),
            Predicate::ClickedElement { element, signal } => self.clicked(element, *signal),
            Predicate::ConsoleMessage(c) => self.console(c),
        }
    }

    /// The conditions one event (alias `e`) must meet to match `m`, or `None` when the project
    /// never saw the event.
    fn event_conditions(&mut self, e: &str, m: &EventMatch) -> Option<String> {
        let type_id = self.type_id(&m.name)?;
        let mut parts = vec![
            format!("{e}.session_row = s.id"),
            format!("{e}.type_id = {type_id}"),
        ];
        for p in &m.properties {
            let path = self.bind(member_path(p.key.as_str()));
            let value = format!("json_extract({e}.event_properties, {path})");
            let condition = self.value(&value, &p.condition);
            parts.push(if p.negated {
                format!("NOT COALESCE(({condition}), 0)")
            } else {
                format!("({condition})")
            });
        }
        Some(parts.join(" AND "))
    }

    fn performed(&mut self, m: &EventMatch) -> String {
        let Some(conditions) = self.event_conditions("e", m) else {
            return "0".into();
        };
        if m.min_count <= 1 {
            format!("EXISTS (SELECT 1 FROM events e WHERE {conditions})")
        } else {
            let n = m.min_count;
            format!(
                "(SELECT COUNT(*) FROM (SELECT 1 FROM events e WHERE {conditions} LIMIT {n})) >= {n}"
            )
        }
    }

    /// The earliest time each step can happen after the one before; the sequence happened if
    /// the last step has one (taking each step at its earliest is never worse).
    fn sequence(&mut self, steps: &[EventMatch]) -> String {
        let mut previous: Option<String> = None;
        for (i, step) in steps.iter().enumerate() {
            let e = format!("e{i}");
            let Some(conditions) = self.event_conditions(&e, step) else {
                return "0".into();
            };
            let after = previous
                .map(|p| format!(" AND {e}.time_ms > {p}"))
                .unwrap_or_default();
            previous = Some(format!(
                "(SELECT MIN({e}.time_ms) FROM events {e} WHERE {conditions}{after})"
            ));
        }
        format!("{} IS NOT NULL", previous.expect("at least two steps"))
    }

    fn user_property(&mut self, key: &str, condition: &ValueCondition) -> String {
        let key = self.bind(key.to_owned());
        let test = match condition {
            ValueCondition::Exists => String::new(),
            c => format!(" AND ({})", self.value("p.value", c)),
        };
        format!(
            "EXISTS (SELECT 1 FROM user_properties p WHERE p.project_id = s.project_id \
             AND p.user_key = {USER_KEY} AND p.key = {key}{test})"
        )
    }

    fn cohort_condition(&mut self, c: &CohortCondition) -> String {
        let (negated, condition) = match c {
            CohortCondition::UserProperty {
                key,
                negated,
                condition,
            } => (*negated, self.user_property(key.as_str(), condition)),
            CohortCondition::Performed {
                name,
                negated,
                min_count,
            } => {
                let condition = match self.type_id(name) {
                    None => "0".to_owned(),
                    Some(t) => {
                        let n = (*min_count).max(1);
                        // The user's sessions: those with their user id, or — for a user known
                        // only by device — that device's sessions without a user id.
                        format!(
                            "(SELECT COUNT(*) FROM (\
                             SELECT 1 FROM sessions s2 JOIN events c ON c.session_row = s2.id AND c.type_id = {t} \
                             WHERE s.user_id IS NOT NULL AND s2.project_id = s.project_id AND s2.user_id = s.user_id \
                             UNION ALL \
                             SELECT 1 FROM sessions s2 JOIN events c ON c.session_row = s2.id AND c.type_id = {t} \
                             WHERE s.user_id IS NULL AND s2.project_id = s.project_id AND s2.device_id = s.device_id \
                             AND s2.user_id IS NULL LIMIT {n})) >= {n}"
                        )
                    }
                };
                (*negated, condition)
            }
        };
        if negated {
            format!("NOT COALESCE(({condition}), 0)")
        } else {
            format!("({condition})")
        }
    }

    /// A condition on a value of any JSON type (`v` an SQL expression).
    fn value(&mut self, v: &str, c: &ValueCondition) -> String {
        match c {
            ValueCondition::Is(values) => {
                let mut binds = Vec::new();
                for value in values {
                    match value {
                        Scalar::Text(t) => {
                            binds.push(self.bind(t.clone()));
                            // What a person types cannot say whether it is a number or a
                            // boolean: "42" finds 42, "true" finds true.
                            if let Ok(n) = t.trim().parse::<f64>()
                                && n.is_finite()
                            {
                                binds.push(self.bind_number(n));
                            } else if t == "true" || t == "false" {
                                binds.push(self.bind(i64::from(t == "true")));
                            }
                        }
                        Scalar::Number(n) => binds.push(self.bind_number(*n)),
                        Scalar::Bool(b) => binds.push(self.bind(i64::from(*b))),
                    }
                }
                format!("{v} IN ({})", binds.join(", "))
            }
            ValueCondition::Contains(s) => {
                format!(
                    "instr(lower(CAST({v} AS TEXT)), lower({})) > 0",
                    self.bind(s.clone())
                )
            }
            ValueCondition::Exists => format!("{v} IS NOT NULL"),
            ValueCondition::GreaterThan(n) => format!("reel_number({v}) > {}", self.bind(*n)),
            ValueCondition::LessThan(n) => format!("reel_number({v}) < {}", self.bind(*n)),
            ValueCondition::Between(lo, hi) => format!(
                "reel_number({v}) BETWEEN {} AND {}",
                self.bind(*lo),
                self.bind(*hi)
            ),
        }
    }

    fn number(&mut self, e: &str, c: &NumberCondition) -> String {
        match c {
            NumberCondition::Is(values) => {
                let binds: Vec<String> = values.iter().map(|n| self.bind_number(*n)).collect();
                format!("{e} IN ({})", binds.join(", "))
            }
            NumberCondition::GreaterThan(n) => format!("{e} > {}", self.bind_number(*n)),
            NumberCondition::LessThan(n) => format!("{e} < {}", self.bind_number(*n)),
            NumberCondition::Between(lo, hi) => format!(
                "{e} BETWEEN {} AND {}",
                self.bind_number(*lo),
                self.bind_number(*hi)
            ),
            NumberCondition::Exists => format!("{e} IS NOT NULL"),
        }
    }

    fn text(&mut self, e: &str, c: &TextCondition, ignore_case: bool) -> String {
        match c {
            TextCondition::Is(values) => {
                let binds: Vec<String> = values.iter().map(|v| self.bind(v.clone())).collect();
                let collate = if ignore_case { " COLLATE NOCASE" } else { "" };
                format!("{e}{collate} IN ({})", binds.join(", "))
            }
            TextCondition::Contains(s) => {
                format!("instr(lower({e}), lower({})) > 0", self.bind(s.clone()))
            }
            TextCondition::Exists => format!("({e} IS NOT NULL AND {e} <> '')"),
        }
    }

    fn url(&mut self, c: &UrlCondition) -> String {
        let test = match c {
            UrlCondition::Exists => return "json_array_length(s.urls) > 0".into(),
            UrlCondition::Is(values) => {
                let binds: Vec<String> = values.iter().map(|v| self.bind(v.clone())).collect();
                format!("u.value IN ({})", binds.join(", "))
            }
            UrlCondition::Contains(s) => {
                format!("instr(lower(u.value), lower({})) > 0", self.bind(s.clone()))
            }
            UrlCondition::StartsWith(p) => {
                let p = self.bind(p.clone());
                format!("substr(u.value, 1, length({p})) = {p}")
            }
            UrlCondition::Glob(g) => format!("u.value GLOB {}", self.bind(g.clone())),
        };
        format!("EXISTS (SELECT 1 FROM json_each(s.urls) u WHERE {test})")
    }

    fn clicked(&mut self, element: &ElementMatch, signal: ClickSignal) -> String {
        let Some(t) = self.type_id(signal.event_type()) else {
            return "0".into();
        };
        match element {
            ElementMatch::Text(c) => {
                let path = self.bind(member_path(reel_query::ELEMENT_TEXT_PROPERTY));
                let value = format!("json_extract(e.event_properties, {path})");
                let test = self.text(&value, c, false);
                let prefilter = match c {
                    TextCondition::Is(values) => {
                        let tokens: Vec<String> =
                            values.iter().map(|v| self.bind(text_token(v))).collect();
                        format!(
                            "EXISTS (SELECT 1 FROM element_tokens k WHERE k.type_id = {t} \
                             AND k.token IN ({}) AND k.session_row = s.id) AND ",
                            tokens.join(", ")
                        )
                    }
                    _ => String::new(),
                };
                format!(
                    "{prefilter}EXISTS (SELECT 1 FROM events e WHERE e.session_row = s.id \
                     AND e.type_id = {t} AND {test})"
                )
            }
            ElementMatch::Selector(selector) => {
                let mut parts: Vec<String> = selector
                    .required_tokens()
                    .into_iter()
                    .map(|token| {
                        format!(
                            "EXISTS (SELECT 1 FROM element_tokens k WHERE k.type_id = {t} \
                             AND k.token = {} AND k.session_row = s.id)",
                            self.bind(token)
                        )
                    })
                    .collect();
                // Each word the element must have is in its properties' text (its path, tag or
                // classes): a cheap test before reading the properties as JSON. Only plain words:
                // others may be written escaped there.
                let words: Vec<String> = plain_words(selector)
                    .into_iter()
                    .map(|word| format!("instr(e.event_properties, {}) > 0", self.bind(word)))
                    .collect();
                parts.push(format!(
                    "EXISTS (SELECT 1 FROM events e WHERE e.session_row = s.id AND e.type_id = {t} \
                     AND {}reel_element_matches({}, e.event_properties))",
                    words
                        .iter()
                        .map(|w| format!("{w} AND "))
                        .collect::<String>(),
                    self.bind(selector.as_str().to_owned())
                ));
                parts.join(" AND ")
            }
        }
    }

    fn console(&mut self, c: &MessageCondition) -> String {
        match c {
            MessageCondition::Exists => {
                "(s.console_log_count + s.console_warn_count + s.console_error_count) > 0".into()
            }
            MessageCondition::Contains(phrase) => self.full_text(phrase, Some(true)),
            MessageCondition::Is(text) => {
                let text = self.bind(text.clone());
                let (lo, hi) = id_range_of_session(Some(true));
                format!(
                    "EXISTS (SELECT 1 FROM session_text t WHERE t.id BETWEEN {lo} AND {hi} \
                     AND t.text = {text})"
                )
            }
        }
    }

    /// The session showed (`console`: `None`), or logged (`Some(true)`), the phrase: one of
    /// the sessions the phrase's matches name (computed once per statement).
    fn full_text(&mut self, phrase: &Phrase, console: Option<bool>) -> String {
        if self.text_plan == TextPlan::PerSession {
            let phrase = self.bind(phrase.as_str().to_owned());
            let (lo, hi) = id_range_of_session(console);
            return format!(
                "EXISTS (SELECT 1 FROM session_text t WHERE t.id BETWEEN {lo} AND {hi} \
                 AND reel_phrase(t.text, {phrase}))"
            );
        }
        let query = self.bind(fts_phrase(phrase));
        let console = if console.is_some() {
            " AND (rowid & 8388608) <> 0"
        } else {
            ""
        };
        format!(
            "s.id IN (SELECT rowid >> {TEXT_SESSION_SHIFT} FROM session_text_fts \
             WHERE session_text_fts MATCH {query}{console})"
        )
    }
}

/// The words a selector's element must have that are plain (letters, digits, `-`, `_`), so
/// they appear as they are in its properties' JSON text (its path, tag or classes).
fn plain_words(selector: &reel_query::selector::Selector) -> Vec<String> {
    selector
        .required_tokens()
        .iter()
        .filter(|token| {
            token
                .trim_start_matches(['#', '.'])
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        })
        .map(|token| token.trim_start_matches(['#', '.']).to_owned())
        .collect()
}

/// SQL for the id range of the session `s`'s text (see `events::text_id_range`).
fn id_range_of_session(console: Option<bool>) -> (String, String) {
    let base = format!("(s.id << {TEXT_SESSION_SHIFT})");
    match console {
        None => (base.clone(), format!("({base} | 16777215)")),
        Some(false) => (base.clone(), format!("({base} | 8388607)")),
        Some(true) => (
            format!("({base} | 8388608)"),
            format!("({base} | 16777215)"),
        ),
    }
}

/// A phrase as an FTS5 query: its words in order, the last one also as a prefix.
fn fts_phrase(phrase: &Phrase) -> String {
    format!("\"{}\" *", phrase.as_str().replace('"', "\"\""))
}

fn fact_expression(fact: Fact) -> Cow<'static, str> {
    match fact {
        // The sessions table names its columns after the facts.
        Fact::Recorded(fact) => format!("s.{}", fact.name()).into(),
        Fact::DurationMs => "(s.end_ms - s.start_ms)".into(),
        Fact::Errors => "(s.console_error_count + s.network_error_count)".into(),
        Fact::ViewportWidth => "s.viewport_width".into(),
        Fact::ViewportHeight => "s.viewport_height".into(),
    }
}

/// Where candidate sessions of a positive filter can be listed from an index.
enum Source<'a> {
    /// Sessions with an event of this type.
    EventType(i64),
    UserIds(&'a [String]),
    /// Sessions whose user has the property with one of the values.
    UserProperty(&'a str, &'a ValueCondition),
    /// Sessions with a clicked element of this kind (type) having any of these words.
    Tokens(i64, Vec<String>),
    /// Sessions whose text (or console, `Some(true)`) holds the phrase.
    Phrase(&'a Phrase, Option<bool>),
}

/// SQL listing a source's session rows (with repeats), its parameters bound into `q`.
fn source_sql(q: &mut Query<'_>, project_id: i64, source: &Source<'_>) -> String {
    match source {
        Source::EventType(t) => format!(
            "SELECT session_row FROM events WHERE type_id = {} AND session_row IS NOT NULL",
            q.bind(*t)
        ),
        Source::UserIds(ids) => {
            let p = q.bind(project_id);
            let marks: Vec<String> = ids.iter().map(|v| q.bind(v.clone())).collect();
            format!(
                "SELECT id FROM sessions WHERE project_id = {p} AND user_id IN ({})",
                marks.join(", ")
            )
        }
        Source::UserProperty(key, condition) => {
            let (p, k) = (q.bind(project_id), q.bind((*key).to_owned()));
            let test = q.value("p.value", condition);
            let users = format!("p.project_id = {p} AND p.key = {k} AND {test}");
            format!(
                "SELECT s2.id FROM user_properties p JOIN sessions s2 ON s2.project_id = p.project_id \
                 AND s2.user_id = substr(p.user_key, 3) \
                 WHERE {users} AND p.user_key >= 'u:' AND p.user_key < 'u;' \
                 UNION ALL \
                 SELECT s2.id FROM user_properties p JOIN sessions s2 ON s2.project_id = p.project_id \
                 AND s2.device_id = substr(p.user_key, 3) AND s2.user_id IS NULL \
                 WHERE {users} AND p.user_key >= 'd:' AND p.user_key < 'd;'"
            )
        }
        Source::Tokens(t, tokens) => {
            let t = q.bind(*t);
            let marks: Vec<String> = tokens.iter().map(|v| q.bind(v.clone())).collect();
            format!(
                "SELECT session_row FROM element_tokens WHERE type_id = {t} AND token IN ({})",
                marks.join(", ")
            )
        }
        Source::Phrase(phrase, console) => {
            let query = q.bind(fts_phrase(phrase));
            let console = if console.is_some() {
                " AND (rowid & 8388608) <> 0"
            } else {
                ""
            };
            format!(
                "SELECT rowid >> {TEXT_SESSION_SHIFT} FROM session_text_fts \
                 WHERE session_text_fts MATCH {query}{console}"
            )
        }
    }
}

/// The positive filter with the fewest candidate sessions, as SQL listing their rows (bound
/// into `q`), when it has fewer than `drive_below` index entries.
fn choose_driver(
    conn: &Connection,
    q: &mut Query<'_>,
    project_id: i64,
    search: &Search,
    drive_below: i64,
) -> Result<Option<String>> {
    let types = q.types;
    let type_of = |name: &str| types.get(name).copied();
    let mut sources: Vec<Source<'_>> = Vec::new();
    for f in search.filters.iter().filter(|f| !f.negated) {
        match &f.predicate {
            Predicate::Performed(m) => sources.extend(type_of(&m.name).map(Source::EventType)),
            Predicate::Sequence(steps) => {
                sources.extend(
                    steps
                        .iter()
                        .filter_map(|m| type_of(&m.name))
                        .map(Source::EventType),
                );
            }
            Predicate::UserId(TextCondition::Is(values)) => sources.push(Source::UserIds(values)),
            Predicate::UserProperty {
                key,
                condition: condition @ ValueCondition::Is(_),
            } => sources.push(Source::UserProperty(key.as_str(), condition)),
            Predicate::ClickedElement { element, signal } => {
                let Some(t) = type_of(signal.event_type()) else {
                    continue;
                };
                match element {
                    ElementMatch::Selector(s) => sources.extend(
                        s.required_tokens()
                            .into_iter()
                            .map(|token| Source::Tokens(t, vec![token])),
                    ),
                    ElementMatch::Text(TextCondition::Is(values)) => sources.push(Source::Tokens(
                        t,
                        values.iter().map(|v| text_token(v)).collect(),
                    )),
                    ElementMatch::Text(_) => {}
                }
            }
            Predicate::ConsoleMessage(MessageCondition::Contains(phrase)) => {
                sources.push(Source::Phrase(phrase, Some(true)));
            }
            _ => {}
        }
    }
    if let Some(phrase) = &search.text {
        sources.push(Source::Phrase(phrase, None));
    }
    if q.text_plan == TextPlan::PerSession {
        // Testing text session by session is the bet that the phrase is common: asking the
        // index how common would cost what that bet saves.
        sources.retain(|s| !matches!(s, Source::Phrase(..)));
    }
    let mut best: Option<(i64, usize)> = None;
    for (i, source) in sources.iter().enumerate() {
        let mut sub = Query::new(types);
        let sql = source_sql(&mut sub, project_id, source);
        let n: i64 = conn.query_row(
            &format!("SELECT COUNT(*) FROM ({sql} LIMIT {drive_below})"),
            params_from_iter(sub.params.iter()),
            |r| r.get(0),
        )?;
        if n < drive_below && best.is_none_or(|(m, _)| n < m) {
            best = Some((n, i));
        }
    }
    Ok(best.map(|(_, i)| {
        format!(
            "SELECT DISTINCT * FROM ({})",
            source_sql(q, project_id, &sources[i])
        )
    }))
}
