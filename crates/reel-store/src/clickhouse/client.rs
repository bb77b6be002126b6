//! ClickHouse's HTTP interface: a statement is POSTed as the body, rows come back as
//! `TabSeparated` and are read as they arrive; rows go in as `JSONEachRow` in an INSERT's body.
//! No value is ever spliced into a statement except through [`quote`] (text) or as a number
//! Rust formatted: 18.16 has no query parameters (`{name:Type}` came in 19.x).

use reqwest::Url;

use crate::{Result, StoreError};

/// A ClickHouse server and database, as `events_url` names them.
#[derive(Clone)]
pub struct ClickHouse {
    http: reqwest::Client,
    /// `http://host:port/`.
    endpoint: Url,
    database: String,
    /// As configured, for messages (the password shown as `***`).
    url: String,
    /// The user and password from the URL, sent with every request as HTTP basic
    /// authentication (never in the request's URL, which errors may show).
    credentials: Option<(String, String)>,
    /// Where every statement that succeeded is written, with its data and its rows (a JSON
    /// object a line): what `scripts/clickhouse-statements.py` runs again on another ClickHouse
    /// version.
    log: Option<std::sync::Arc<std::sync::Mutex<std::fs::File>>>,
}

impl std::fmt::Debug for ClickHouse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ClickHouse")
            .field("url", &self.url)
            .finish()
    }
}

fn database_error(message: String) -> StoreError {
    StoreError::Database(message.into())
}

/// `text` as a ClickHouse string literal. Inside quotes only the backslash (ClickHouse's escape
/// character) and the quote end a literal early; every other byte, a NUL or a newline
/// included, stands for itself in 18.16 and in current versions alike.
pub(crate) fn quote(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 2);
    out.push('\'');
    for c in text.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            c => out.push(c),
        }
    }
    out.push('\'');
    out
}

/// One `TabSeparated` field as the text it stands for (ClickHouse escapes `\0 \b \f \n \r \t
/// \' \\`; `\N` is NULL, read as empty).
pub(crate) fn unescape(field: &str) -> std::borrow::Cow<'_, str> {
    if !field.contains('\\') {
        return field.into();
    }
    let mut out = String::with_capacity(field.len());
    let mut chars = field.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('0') => out.push('\0'),
            Some('b') => out.push('\u{8}'),
            Some('f') => out.push('\u{c}'),
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some('t') => out.push('\t'),
            Some('N') => {}
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out.into()
}

impl ClickHouse {
    /// `clickhouse://[user[:password]@]host:port/db` (the HTTP interface's port; `db` made if
    /// missing; without a user, ClickHouse's `default`). Fails, naming `events_url`, when the
    /// server does not answer or refuses the user.
    pub async fn connect(url: &str) -> Result<Self> {
        Self::connect_logging(url, None).await
    }

    /// [`Self::connect`], writing every statement that succeeds to `log` (appended).
    pub async fn connect_logging(url: &str, log: Option<&std::path::Path>) -> Result<Self> {
        // Never a password in a message.
        let shown = match Url::parse(url) {
            Ok(mut u) if u.password().is_some() => {
                let _ = u.set_password(Some("***"));
                u.to_string()
            }
            Ok(_) => url.to_owned(),
            Err(_) => "(not a URL)".to_owned(),
        };
        let bad = |why: &str| {
            StoreError::Invalid(format!(
                "events_url {shown:?}: {why} (expected clickhouse://host:port/database)"
            ))
        };
        let parsed = Url::parse(url).map_err(|e| bad(&e.to_string()))?;
        if parsed.scheme() != "clickhouse" {
            return Err(bad("the scheme is not clickhouse"));
        }
        let host = parsed.host_str().ok_or_else(|| bad("no host"))?;
        let port = parsed.port().unwrap_or(8123);
        let database = parsed.path().trim_start_matches('/');
        let database = if database.is_empty() {
            "default"
        } else {
            database
        };
        // The database is named in DDL, where no quoting of ours applies: only a plain name.
        if !database
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_')
        {
            return Err(bad("the database name is not letters, digits and _"));
        }
        let decoded = |part: &str| {
            percent_encoding::percent_decode_str(part)
                .decode_utf8()
                .map(|p| p.into_owned())
                .map_err(|_| bad("the user or password is not valid UTF-8"))
        };
        let credentials = match parsed.username() {
            "" => None,
            user => Some((decoded(user)?, decoded(parsed.password().unwrap_or(""))?)),
        };
        let endpoint =
            Url::parse(&format!("http://{host}:{port}/")).map_err(|e| bad(&e.to_string()))?;
        let ch = Self {
            http: reqwest::Client::new(),
            endpoint,
            database: database.to_owned(),
            url: shown.clone(),
            credentials,
            log: match log {
                None => None,
                Some(path) => Some(std::sync::Arc::new(std::sync::Mutex::new(
                    std::fs::OpenOptions::new()
                        .create(true)
                        .append(true)
                        .open(path)?,
                ))),
            },
        };
        ch.post_to(None, "SELECT 1".into(), false)
            .await
            .map_err(|e| {
                let e = e.to_string();
                // 18.16 answers 401 with code 192 (unknown user), 193 (wrong password) or 194
                // (password required); current versions 516 (authentication failed).
                let refused = [
                    "401 Unauthorized",
                    "403 Forbidden",
                    "Code: 192,",
                    "Code: 193,",
                    "Code: 194,",
                    "Code: 516,",
                ]
                .iter()
                .any(|code| e.contains(code));
                let user = ch
                    .credentials
                    .as_ref()
                    .map_or("default", |(u, _)| u.as_str());
                database_error(if refused {
                    format!(
                        "events_url {shown}: ClickHouse at {} refused the user {user:?} (check \
                         the user and password in the URL)",
                        ch.endpoint
                    )
                } else {
                    format!(
                        "events_url {shown}: ClickHouse does not answer at {}: {e}",
                        ch.endpoint
                    )
                })
            })?;
        ch.post_to(
            None,
            format!("CREATE DATABASE IF NOT EXISTS {}", ch.database),
            false,
        )
        .await?;
        Ok(ch)
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// Sends a statement (with `query` in the URL and `body` as its data, for an INSERT) and
    /// returns the answer once its headers came.
    async fn send(
        &self,
        query: Option<&str>,
        body: String,
        database: bool,
        settings: &[(&str, String)],
    ) -> Result<reqwest::Response> {
        let mut endpoint = self.endpoint.clone();
        {
            let mut pairs = endpoint.query_pairs_mut();
            if database {
                pairs.append_pair("database", &self.database);
            }
            for (name, value) in settings {
                pairs.append_pair(name, value);
            }
            if let Some(q) = query {
                pairs.append_pair("query", q);
            }
        }
        let mut request = self.http.post(endpoint).body(body);
        if let Some((user, password)) = &self.credentials {
            request = request.basic_auth(user, Some(password));
        }
        let response = request
            .send()
            .await
            .map_err(|e| database_error(format!("ClickHouse at {}: {e}", self.url)))?;
        if !response.status().is_success() {
            let status = response.status();
            let text = response.text().await.unwrap_or_default();
            return Err(database_error(format!(
                "ClickHouse at {} answered {status}: {}",
                self.url,
                text.trim()
            )));
        }
        Ok(response)
    }

    async fn post(&self, query: Option<&str>, body: String) -> Result<String> {
        self.post_to(query, body, true).await
    }

    /// `database`: whether the statement runs in the configured database (not before it
    /// exists).
    async fn post_to(&self, query: Option<&str>, body: String, database: bool) -> Result<String> {
        let logged = self.log.as_ref().map(|_| match query {
            Some(q) => serde_json::json!({"sql": q, "data": body, "database": database}),
            None => serde_json::json!({"sql": body, "database": database}),
        });
        let response = self.send(query, body, database, &[]).await?;
        let text = response
            .text()
            .await
            .map_err(|e| database_error(format!("ClickHouse at {}: {e}", self.url)))?;
        if let Some(mut entry) = logged {
            entry["rows"] = text.clone().into();
            self.write_log(&entry);
        }
        Ok(text)
    }

    fn write_log(&self, entry: &serde_json::Value) {
        use std::io::Write as _;
        if let Some(log) = &self.log {
            let mut file = log
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            // A log that cannot be written is the check's loss, not the store's error.
            let _ = writeln!(file, "{entry}");
        }
    }

    /// Sends `text` as a string literal and reads it back: on a real server, the check that
    /// [`quote`] and [`unescape`] undo each other.
    pub async fn echo(&self, text: &str) -> Result<String> {
        let rows = self.rows(&format!("SELECT {}", quote(text))).await?;
        match rows.as_slice() {
            [row] if row.len() == 1 => Ok(row[0].clone()),
            other => Err(database_error(format!("echo answered {other:?}"))),
        }
    }

    /// Runs a statement that returns no rows (DDL).
    pub(crate) async fn execute(&self, sql: &str) -> Result<()> {
        self.post(None, sql.to_owned()).await.map(|_| ())
    }

    /// Inserts rows, each a JSON object on its own line.
    pub(crate) async fn insert(&self, table: &str, rows: String) -> Result<()> {
        if rows.is_empty() {
            return Ok(());
        }
        self.post(
            Some(&format!("INSERT INTO {table} FORMAT JSONEachRow")),
            rows,
        )
        .await
        .map(|_| ())
    }

    /// The largest of the numbers `statements` give (each a one-value answer; none: 0): where
    /// a node's arrival numbers go on from.
    pub(crate) async fn largest(&self, statements: &[&str]) -> Result<u64> {
        let mut last = 0u64;
        for sql in statements {
            let rows = self.rows(sql).await?;
            let n = rows
                .first()
                .and_then(|r| r.first())
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            last = last.max(n);
        }
        Ok(last)
    }

    /// Every row of a query, each field unescaped.
    pub(crate) async fn rows(&self, sql: &str) -> Result<Vec<Vec<String>>> {
        let mut out = Vec::new();
        self.stream(sql, |fields| {
            out.push(fields.iter().map(|f| unescape(f).into_owned()).collect());
            Ok(())
        })
        .await?;
        Ok(out)
    }

    /// `f(fields)` for each row of a query as it arrives (fields still escaped: see
    /// [`unescape`]). A row with another number of fields than the first is an error: when a
    /// query fails after its first rows were sent, ClickHouse can only end the body with the
    /// exception's text.
    pub(crate) async fn stream(
        &self,
        sql: &str,
        f: impl FnMut(&[&str]) -> Result<()>,
    ) -> Result<()> {
        self.stream_within(sql, None, f).await
    }

    /// [`Self::stream`], ClickHouse itself stopping the query after `seconds` (its
    /// `max_execution_time`, a setting in 18.16 and current versions alike).
    pub(crate) async fn stream_within(
        &self,
        sql: &str,
        seconds: Option<u64>,
        mut f: impl FnMut(&[&str]) -> Result<()>,
    ) -> Result<()> {
        let statement = format!("{sql} FORMAT TabSeparated");
        let settings: Vec<(&str, String)> = seconds
            .map(|s| ("max_execution_time", s.max(1).to_string()))
            .into_iter()
            .collect();
        let mut response = self.send(None, statement.clone(), true, &settings).await?;
        let mut logged: Option<Vec<u8>> = self.log.as_ref().map(|_| Vec::new());
        let mut pending: Vec<u8> = Vec::new();
        let mut width: Option<usize> = None;
        let url = &self.url;
        let mut line_of = |line: &[u8]| -> Result<()> {
            let text = std::str::from_utf8(line)
                .map_err(|_| database_error("ClickHouse sent a row that is not UTF-8".into()))?;
            let fields: Vec<&str> = text.split('\t').collect();
            match width {
                None => width = Some(fields.len()),
                Some(w) if w != fields.len() => {
                    return Err(database_error(format!("ClickHouse at {url}: {text}")));
                }
                Some(_) => {}
            }
            f(&fields)
        };
        loop {
            let chunk = response
                .chunk()
                .await
                .map_err(|e| database_error(format!("ClickHouse at {url}: {e}")))?;
            let Some(chunk) = chunk else { break };
            if let Some(text) = &mut logged {
                text.extend_from_slice(&chunk);
            }
            pending.extend_from_slice(&chunk);
            let mut start = 0;
            while let Some(end) = pending[start..].iter().position(|b| *b == b'\n') {
                line_of(&pending[start..start + end])?;
                start += end + 1;
            }
            pending.drain(..start);
        }
        if !pending.is_empty() {
            line_of(&pending)?;
        }
        if let Some(text) = logged {
            self.write_log(&serde_json::json!({
                "sql": statement,
                "database": true,
                "rows": String::from_utf8_lossy(&text),
            }));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quoting_leaves_no_way_out_of_the_literal() {
        let cases = [
            ("plain", "'plain'"),
            ("it's", r"'it\'s'"),
            (r"back\", r"'back\\'"),
            (r"\'; DROP TABLE x; --", r"'\\\'; DROP TABLE x; --'"),
            ("new\nline\0", "'new\nline\0'"),
        ];
        for (text, want) in cases {
            assert_eq!(quote(text), want, "{text:?}");
        }
    }

    #[tokio::test]
    async fn a_bad_or_unreachable_events_url_is_named_in_the_error() {
        // A port nothing listens on: bound, then let go.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .unwrap()
            .port();
        let url = format!("clickhouse://127.0.0.1:{port}/reel");
        let cases = [
            (url.as_str(), "does not answer"),
            ("http://127.0.0.1:8123/reel", "the scheme is not clickhouse"),
            ("clickhouse://127.0.0.1:8123/re;el", "the database name"),
            ("not a url", "expected clickhouse://host:port/database"),
        ];
        for (url, why) in cases {
            let message = ClickHouse::connect(url).await.unwrap_err().to_string();
            assert!(message.contains("events_url"), "{url}: {message}");
            assert!(message.contains(why), "{url}: {message}");
        }
    }

    #[test]
    fn tab_separated_fields_unescape() {
        let cases = [
            ("plain", "plain"),
            (r"a\tb\nc\\d\'e", "a\tb\nc\\d'e"),
            (r"\0\b\f\r", "\0\u{8}\u{c}\r"),
            (r"\N", ""),
        ];
        for (field, want) in cases {
            assert_eq!(unescape(field), want, "{field:?}");
        }
    }
}
