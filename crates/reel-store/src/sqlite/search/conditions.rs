//! Single-value tests of the embedded search for another store (see [`Conditions`]).

use super::*;

/// The embedded store's tests of single values, for a store that selects candidates elsewhere
/// (ClickHouse, `clickhouse/search.rs`) and must decide exactly as this store does: each test
/// is the SQL this module writes for a search, run on a scratch in-memory SQLite with reel's
/// functions — the same comparisons, casts, case folding and JSON extraction, not a copy.
pub(crate) struct Conditions {
    conn: Connection,
}

impl Conditions {
    pub(crate) fn new() -> Result<Self> {
        let conn = Connection::open_in_memory()?;
        let watch = Watch::install(&conn, std::sync::Arc::new(Default::default()));
        crate::sqlite::functions::register(&conn, watch)?;
        conn.execute_batch(
            "CREATE TABLE user_properties (
                 project_id INTEGER NOT NULL, user_key TEXT NOT NULL, key TEXT NOT NULL, value,
                 time_ms INTEGER NOT NULL, PRIMARY KEY (project_id, user_key, key)
             ) WITHOUT ROWID;",
        )?;
        Ok(Self { conn })
    }

    fn ask(&self, sql: &str, params: &[SqlValue]) -> Result<bool> {
        let n: Option<i64> = self
            .conn
            .prepare_cached(&format!("SELECT COALESCE(({sql}), 0)"))?
            .query_row(params_from_iter(params.iter()), |r| r.get(0))?;
        Ok(n.unwrap_or(0) != 0)
    }

    /// Whether the member `key` of the JSON object text `properties` meets `condition`, as
    /// an event property condition of [`Predicate::Performed`] decides.
    pub(crate) fn property(
        &self,
        properties: &str,
        key: &str,
        condition: &ValueCondition,
    ) -> Result<bool> {
        let types = HashMap::new();
        let mut q = Query::new(&types);
        let (p, k) = (q.bind(properties.to_owned()), q.bind(member_path(key)));
        let sql = q.value(&format!("json_extract({p}, {k})"), condition);
        self.ask(&sql, &q.params)
    }

    /// Whether a stored value (as `events::sql_value` keeps user properties) meets
    /// `condition`.
    pub(crate) fn value(&self, value: &SqlValue, condition: &ValueCondition) -> Result<bool> {
        let types = HashMap::new();
        let mut q = Query::new(&types);
        let v = q.bind(value.clone());
        let sql = q.value(&v, condition);
        self.ask(&sql, &q.params)
    }

    /// Whether a clicked element's text (the `[reel] Element Text` member of `properties`)
    /// meets `condition`, as [`ElementMatch::Text`] decides for one event.
    pub(crate) fn element_text(&self, properties: &str, condition: &TextCondition) -> Result<bool> {
        let types = HashMap::new();
        let mut q = Query::new(&types);
        let (p, k) = (
            q.bind(properties.to_owned()),
            q.bind(member_path(reel_query::ELEMENT_TEXT_PROPERTY)),
        );
        let sql = q.text(&format!("json_extract({p}, {k})"), condition, false);
        self.ask(&sql, &q.params)
    }

    /// Whether a glob matches as SQLite's `GLOB` (URL conditions).
    pub(crate) fn glob(&self, text: &str, pattern: &str) -> Result<bool> {
        self.ask(
            "?1 GLOB ?2",
            &[
                SqlValue::Text(text.to_owned()),
                SqlValue::Text(pattern.to_owned()),
            ],
        )
    }

    /// Whether a selector matches the clicked element an event's properties describe, with
    /// the same word pre-test the search statement makes (see [`Query::clicked`]).
    pub(crate) fn element_matches(
        &self,
        properties: &str,
        selector: &reel_query::selector::Selector,
    ) -> Result<bool> {
        let mut params = vec![
            SqlValue::Text(properties.to_owned()),
            SqlValue::Text(selector.as_str().to_owned()),
        ];
        let mut sql = String::new();
        for word in plain_words(selector) {
            params.push(SqlValue::Text(word));
            sql.push_str(&format!("instr(?1, ?{}) > 0 AND ", params.len()));
        }
        sql.push_str("reel_element_matches(?2, ?1)");
        self.ask(&sql, &params)
    }

    /// The user properties that a sequence of events' `user_properties` leave, with the
    /// embedded store's rules (`events::apply_user_properties`, run here): `ops` in arrival
    /// order as `(user key, event time, user_properties JSON)`. Returns `(user key, key,
    /// value)` sorted by user key and key.
    pub(crate) fn fold_user_properties(
        &self,
        ops: &[(String, i64, String)],
    ) -> Result<Vec<(String, String, SqlValue)>> {
        Ok(self
            .fold_user_properties_timed(ops)?
            .into_iter()
            .map(|(user_key, key, value, _)| (user_key, key, value))
            .collect())
    }

    /// [`Self::fold_user_properties`] with the time each value was set (the embedded store's
    /// `time_ms`, what retention goes by).
    pub(crate) fn fold_user_properties_timed(
        &self,
        ops: &[(String, i64, String)],
    ) -> Result<Vec<(String, String, SqlValue, i64)>> {
        self.conn.execute("DELETE FROM user_properties", [])?;
        for (user_key, time_ms, properties) in ops {
            crate::sqlite::events::apply_user_properties(
                &self.conn, 0, user_key, *time_ms, properties,
            )?;
        }
        let rows = self
            .conn
            .prepare(
                "SELECT user_key, key, value, time_ms FROM user_properties ORDER BY user_key, key",
            )?
            .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(rows)
    }
}
