//! The Rust half of a ClickHouse replay search: the filters ClickHouse cannot decide exactly
//! (event properties, counts and sequences, selectors, element text, phrases, URL globs, user
//! properties, cohorts), decided on one session at a time from what a batch read, with the
//! embedded store's own tests (`sqlite::Conditions`).

use super::*;

/// An event as the Rust tests read it.
pub(super) struct Event {
    pub(super) event_type: String,
    pub(super) time_ms: i64,
    pub(super) properties: String,
}

/// What the Rust-decided filters of one batch read.
#[derive(Default)]
pub(super) struct Details {
    /// Per session, its events of the names the search mentions, in time (then arrival)
    /// order.
    pub(super) events: HashMap<(String, i64), Vec<Event>>,
    /// Per session, its texts: (console, text).
    pub(super) texts: HashMap<(String, i64), Vec<(bool, String)>>,
    /// Per user key, the current user properties.
    pub(super) user_properties: HashMap<String, Vec<(String, SqlValue)>>,
    /// Per (user key, event name), events of that name in the user's sessions.
    pub(super) cohort_counts: HashMap<(String, String), u64>,
}

/// The key user properties are kept under for a session (`sqlite/search.rs`'s `USER_KEY`).
pub(super) fn user_key(r: &Replay) -> String {
    match &r.user_id {
        Some(u) => format!("u:{u}"),
        None => format!("d:{}", r.device_id),
    }
}

/// The Rust half of a search: its Rust-decided filters and text phrase, on one session.
pub(super) struct Decide<'a> {
    pub(super) conditions: &'a Conditions,
    pub(super) details: &'a Details,
}

impl Decide<'_> {
    pub(super) fn session(&self, search: &Search, r: &Replay) -> Result<bool> {
        let key = (r.device_id.clone(), r.session_id);
        for f in &search.filters {
            if decided_in_clickhouse(&f.predicate) {
                continue;
            }
            if self.predicate(&f.predicate, r, &key)? == f.negated {
                return Ok(false);
            }
        }
        if let Some(phrase) = &search.text
            && !self.phrase(&key, phrase, false)
        {
            return Ok(false);
        }
        Ok(true)
    }

    fn events(&self, key: &(String, i64), name: &str) -> impl Iterator<Item = &Event> {
        self.details
            .events
            .get(key)
            .into_iter()
            .flatten()
            .filter(move |e| e.event_type == name)
    }

    fn phrase(&self, key: &(String, i64), phrase: &Phrase, console_only: bool) -> bool {
        let words = fold_words(phrase.as_str());
        self.details
            .texts
            .get(key)
            .into_iter()
            .flatten()
            .filter(|(console, _)| *console || !console_only)
            .any(|(_, text)| holds_phrase(&fold_words(text), &words))
    }

    /// Whether an event meets an event match's property conditions.
    fn event_matches(&self, e: &Event, m: &EventMatch) -> Result<bool> {
        for p in &m.properties {
            let holds = self
                .conditions
                .property(&e.properties, p.key.as_str(), &p.condition)?;
            if holds == p.negated {
                return Ok(false);
            }
        }
        Ok(true)
    }

    fn predicate(&self, p: &Predicate, r: &Replay, key: &(String, i64)) -> Result<bool> {
        Ok(match p {
            Predicate::Performed(m) => {
                let need = u64::from(m.min_count.max(1));
                let mut n = 0;
                for e in self.events(key, &m.name) {
                    if self.event_matches(e, m)? {
                        n += 1;
                        if n >= need {
                            break;
                        }
                    }
                }
                n >= need
            }
            Predicate::Sequence(steps) => {
                // Each step at its earliest after the one before (as the embedded store).
                let mut previous: Option<i64> = None;
                for step in steps {
                    let mut earliest: Option<i64> = None;
                    for e in self.events(key, &step.name) {
                        if previous.is_some_and(|p| e.time_ms <= p) {
                            continue;
                        }
                        if earliest.is_some_and(|t| t <= e.time_ms) {
                            continue;
                        }
                        if self.event_matches(e, step)? {
                            earliest = Some(e.time_ms);
                        }
                    }
                    match earliest {
                        None => return Ok(false),
                        t => previous = t,
                    }
                }
                true
            }
            Predicate::UserProperty { key: k, condition } => {
                self.user_property(r, k.as_str(), condition)?
            }
            Predicate::Cohort(cohort) => {
                for c in &cohort.conditions {
                    let (negated, holds) = match c {
                        CohortCondition::UserProperty {
                            key: k,
                            negated,
                            condition,
                        } => (*negated, self.user_property(r, k.as_str(), condition)?),
                        CohortCondition::Performed {
                            name,
                            negated,
                            min_count,
                        } => {
                            let n = self
                                .details
                                .cohort_counts
                                .get(&(user_key(r), name.clone()))
                                .copied()
                                .unwrap_or(0);
                            (*negated, n >= u64::from((*min_count).max(1)))
                        }
                    };
                    if holds == negated {
                        return Ok(false);
                    }
                }
                true
            }
            Predicate::ClickedElement { element, signal } => self.clicked(key, element, *signal)?,
            Predicate::ConsoleMessage(MessageCondition::Contains(phrase)) => {
                self.phrase(key, phrase, true)
            }
            Predicate::Url(UrlCondition::Glob(g)) => {
                let mut any = false;
                for u in &r.urls {
                    if self.conditions.glob(u, g)? {
                        any = true;
                        break;
                    }
                }
                any
            }
            // Decided in ClickHouse (see `decided_in_clickhouse`): never asked here.
            _ => true,
        })
    }

    fn user_property(
        &self,
        r: &Replay,
        key: &str,
        condition: &reel_query::ValueCondition,
    ) -> Result<bool> {
        let Some(props) = self.details.user_properties.get(&user_key(r)) else {
            return Ok(false);
        };
        let Some((_, value)) = props.iter().find(|(k, _)| k == key) else {
            return Ok(false);
        };
        match condition {
            // A stored property always has a value (null is never kept).
            reel_query::ValueCondition::Exists => Ok(true),
            c => self.conditions.value(value, c),
        }
    }

    fn clicked(
        &self,
        key: &(String, i64),
        element: &ElementMatch,
        signal: ClickSignal,
    ) -> Result<bool> {
        let name = signal.event_type();
        // The session's element words of this kind of click (the embedded store's
        // `element_tokens`), which its statement requires before the exact test.
        let tokens: HashSet<String> = self
            .events(key, name)
            .flat_map(|e| crate::clickhouse::sessions::tokens_of(&e.properties))
            .collect();
        match element {
            ElementMatch::Text(c) => {
                if let TextCondition::Is(values) = c
                    && !values.iter().any(|v| tokens.contains(&text_token(v)))
                {
                    return Ok(false);
                }
                for e in self.events(key, name) {
                    if self.conditions.element_text(&e.properties, c)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
            ElementMatch::Selector(selector) => {
                if !selector
                    .required_tokens()
                    .iter()
                    .all(|t| tokens.contains(t))
                {
                    return Ok(false);
                }
                for e in self.events(key, name) {
                    if self.conditions.element_matches(&e.properties, selector)? {
                        return Ok(true);
                    }
                }
                Ok(false)
            }
        }
    }
}

/// The event names a search's Rust-decided filters read events of.
pub(super) fn event_names_read(search: &Search) -> Vec<String> {
    let mut names = Vec::new();
    for f in &search.filters {
        match &f.predicate {
            Predicate::Performed(m) => names.push(m.name.clone()),
            Predicate::Sequence(steps) => names.extend(steps.iter().map(|m| m.name.clone())),
            Predicate::ClickedElement { signal, .. } => {
                names.push(signal.event_type().to_owned());
            }
            _ => {}
        }
    }
    names.sort();
    names.dedup();
    names
}

pub(super) fn cohort_names(search: &Search) -> Vec<String> {
    let mut names = Vec::new();
    for f in &search.filters {
        if let Predicate::Cohort(c) = &f.predicate {
            for condition in &c.conditions {
                if let CohortCondition::Performed { name, .. } = condition {
                    names.push(name.clone());
                }
            }
        }
    }
    names.sort();
    names.dedup();
    names
}

pub(super) fn reads_user_properties(search: &Search) -> bool {
    search.filters.iter().any(|f| match &f.predicate {
        Predicate::UserProperty { .. } => true,
        Predicate::Cohort(c) => c
            .conditions
            .iter()
            .any(|c| matches!(c, CohortCondition::UserProperty { .. })),
        _ => false,
    })
}

pub(super) fn reads_texts(search: &Search) -> bool {
    search.text.is_some()
        || search.filters.iter().any(|f| {
            matches!(
                f.predicate,
                Predicate::ConsoleMessage(MessageCondition::Contains(_))
            )
        })
}
