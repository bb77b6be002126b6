//! The tables, made idempotently: every statement is `CREATE TABLE IF NOT EXISTS`, so two nodes
//! starting at once both succeed, and `reel_schema` records the version the tables are at.
//! Every column type and engine here is in ClickHouse 18.16 and current versions alike.

use super::client::ClickHouse;
use crate::{Result, StoreError};

/// The tables' version. A later change adds statements below and a row with its number.
pub const SCHEMA_VERSION: u32 = 4;

/// Times are `Int64` milliseconds: 18.16 has no `DateTime64`, and reel's times are `i64` in
/// Rust. Properties are three parallel arrays (18.16 has no `JSONExtract` and no `Map` type):
/// the key, its kind (see `record::Kind`; 0 where `indexOf` found no key, because an array's
/// element 0 is the type's default) and its value as text (numbers as Rust writes them, so they
/// read back exactly).
pub(crate) const STATEMENTS: &[&str] = &[
    "CREATE TABLE IF NOT EXISTS reel_schema (version UInt32, applied_ms Int64)
     ENGINE = MergeTree ORDER BY version",
    // Events for charts, clustered as charts read them: one name's time range is one run.
    // `seq` orders events of the same millisecond by arrival, as the embedded store's event id
    // does; `user` is the user at write time (see `chart_users` for later merges), `session`
    // the session's number (0: none).
    "CREATE TABLE IF NOT EXISTS chart_events (
         project Int64, event_type String, time_ms Int64, seq UInt64,
         user Int64, session Int64,
         prop_keys Array(String), prop_kinds Array(UInt8), prop_values Array(String),
         device_id String, display_name String, has_display_name UInt8, props_json String,
         derived UInt8, generation UInt32)
     ENGINE = MergeTree ORDER BY (project, event_type, time_ms, seq)",
    // Users: `merged_into` is the identified user an anonymous one was merged into (0: none).
    // Rows are versions; the latest (argMax by version) is the state. `first_ms`/`last_ms`
    // are first and last seen as the embedded store keeps them (the creating event's time, then
    // every event recorded, deleted ones too); `created` the version that made the user (the
    // embedded store's row order); `erased` 1 once the user was deleted (a later event makes
    // them anew).
    "CREATE TABLE IF NOT EXISTS chart_users (
         project Int64, user Int64, user_id String, anonymous UInt8, merged_into Int64,
         version UInt64, first_ms Int64, last_ms Int64, created UInt64, erased UInt8)
     ENGINE = ReplacingMergeTree(version) ORDER BY (project, user)",
    // Each device's current user (0: forgotten) and when it was first seen.
    "CREATE TABLE IF NOT EXISTS chart_devices (
         project Int64, device_id String, user Int64, version UInt64, first_ms Int64)
     ENGINE = ReplacingMergeTree(version) ORDER BY (project, device_id)",
    // Users' current properties, kinds as `OwnedValue`'s (2 integer, 3 float, 4 text).
    "CREATE TABLE IF NOT EXISTS chart_user_properties (
         project Int64, user Int64, key String, kind UInt8, value String, deleted UInt8,
         version UInt64)
     ENGINE = ReplacingMergeTree(version) ORDER BY (project, user, key)",
    // Sessions as the Microscope shows them: the user id set last (by event time) and whether
    // the session has a recording.
    "CREATE TABLE IF NOT EXISTS chart_sessions (
         project Int64, session Int64, device_id String, session_id Int64,
         user_id String, user_id_ms Int64, has_replay UInt8, version UInt64)
     ENGINE = ReplacingMergeTree(version) ORDER BY (project, session)",
    // The insert ids kept: a retried upload's events are recorded once, as the embedded store
    // skips an insert id it has.
    "CREATE TABLE IF NOT EXISTS chart_inserted (
         project Int64, insert_id String, version UInt64)
     ENGINE = ReplacingMergeTree(version) ORDER BY (project, insert_id)",
    // Version 2: replay search (`sessions.rs`, `search.rs`).
    //
    // Sessions as the replay list shows them and search filters on, one row kind per way a
    // session's state is settled; a read takes each kind's latest with `argMaxIf`/`minIf` over
    // a project's rows, never `FINAL`, so it does not depend on when parts were merged:
    // - kind 0: the session was seen (`seen_row`, its arrival number: the order ties are listed in,
    //   as the embedded store's session row id). `version` is `u64::MAX - seen_row`, so a merge
    //   keeps the first sighting, and reads take the least `seen_row`.
    // - kind 1: the replay's fields (start, end, facts, URLs, user agent…), latest `version`;
    //   `is_replay` 0 once the replay was deleted (the session stays, as in the embedded
    //   store), `generation` how many times it was: derived events and text carry the
    //   generation they were written in, and only the session's current generation's count.
    // - kind 2: a user id set by an event at `user_id_ms`; the session's user is the one set
    //   last by event time, ties to the later arrival (`argMax` by `(user_id_ms, version)`).
    //   `user_id_ms` is in the sort key so a merge keeps one row per event time.
    // `has_*` say whether a nullable field of the embedded store is set (18.16's Nullable
    // columns behave differently from current versions' in `IN` and sorting; flags do not).
    "CREATE TABLE IF NOT EXISTS search_sessions (
         project Int64, device_id String, session_id Int64, kind UInt8, version UInt64,
         seen_row UInt64, user_id String, user_id_ms Int64,
         start_ms Int64, end_ms Int64, event_count Int64, stored_bytes Int64,
         first_url String, has_first_url UInt8, first_url_ms Int64, country String, has_country UInt8,
         active_ms Int64, click_count Int64, keypress_count Int64, mouse_activity_count Int64,
         page_view_count Int64, console_log_count Int64, console_warn_count Int64,
         console_error_count Int64, network_error_count Int64, runtime_error_count Int64,
         rage_click_count Int64, dead_click_count Int64, error_click_count Int64,
         urls Array(String), viewport_width Int64, viewport_height Int64, has_viewport UInt8,
         browser String, has_browser UInt8, os String, has_os UInt8, device String,
         has_device UInt8, last_upload_ms Int64, has_last_upload UInt8,
         processing_due_ms Int64, has_processing_due UInt8,
         is_replay UInt8, generation UInt32)
     ENGINE = ReplacingMergeTree(version)
     ORDER BY (project, device_id, session_id, kind, user_id_ms)",
    // Every analytics event (sent and derived) as search reads it: by session, then name.
    // `props` is the event's properties as the embedded store keeps them (bounded JSON text);
    // `tokens` the words of a clicked element (`reel_query::selector::element_tokens` and the
    // `=text` word), so ClickHouse narrows a selector's sessions before Rust matches exactly.
    // Events without a session have `device_id` '' and `session_id` 0.
    "CREATE TABLE IF NOT EXISTS search_events (
         project Int64, device_id String, session_id Int64, event_type String, time_ms Int64,
         seq UInt64, insert_id String, derived UInt8, props String, tokens Array(String),
         generation UInt32, user_id String, device String)
     ENGINE = MergeTree ORDER BY (project, device_id, session_id, event_type, time_ms, seq)",
    // Text a session showed (`console` 0) or logged (`console` 1), with its words as the
    // phrase test folds them (`words`), for narrowing in ClickHouse.
    "CREATE TABLE IF NOT EXISTS search_texts (
         project Int64, device_id String, session_id Int64, console UInt8, level String,
         ts_ms Int64, text String, words Array(String), seq UInt64, generation UInt32)
     ENGINE = MergeTree ORDER BY (project, device_id, session_id, console, seq)",
    // The user-property operations of each event (its bounded `user_properties`), by the
    // user key the embedded store keys them by (`u:` user id, else `d:` device id), in arrival
    // order: folded in Rust with the embedded store's rules when read (`$set`, `$setOnce`,
    // `$unset`, `$add`, `$clearAll` depend on the order they came in, which no merge keeps).
    "CREATE TABLE IF NOT EXISTS search_user_ops (
         project Int64, user_key String, seq UInt64, time_ms Int64, props String)
     ENGINE = MergeTree ORDER BY (project, user_key, seq)",
    // Version 3: User Look-Up and deletion. The columns added to the tables above (see
    // `ADDED`), and tombstones: a deleted row is named here the moment it is deleted and every
    // read leaves it out, so no answer waits for ClickHouse's asynchronous `ALTER … DELETE`,
    // which removes the rows themselves later (`erase.rs`).
    //
    // Chart events deleted, by `(time_ms, seq)`; `batch` names the deletion that wrote them.
    "CREATE TABLE IF NOT EXISTS chart_gone (project Int64, time_ms Int64, seq UInt64, batch UInt64)
     ENGINE = MergeTree ORDER BY (project, time_ms, seq)",
    // The user id each event named on its device (every event with both), by arrival: what a
    // user id's erasure follows to find the anonymous events charts counted as the user's.
    // Kept when the events' sessions are deleted, as the embedded store keeps its devices'
    // users; `seq` is the event's.
    "CREATE TABLE IF NOT EXISTS search_bindings (
         project Int64, device String, user_id String, seq UInt64)
     ENGINE = MergeTree ORDER BY (project, device, seq)",
    // Replay search's rows deleted: `tbl` 1 `search_sessions` (`key` the device, `seq` the
    // row's arrival number: `seen_row` for kind 0, else `version`), 2 `search_events` (the
    // device column `device_id`, `seq`), 3 `search_texts` (likewise), 4 `search_user_ops`
    // (`key` the user key), 5 `search_bindings` (`key` the device).
    "CREATE TABLE IF NOT EXISTS search_gone (
         project Int64, tbl UInt8, key String, seq UInt64, batch UInt64)
     ENGINE = MergeTree ORDER BY (project, tbl, key, seq)",
];

/// Columns a later version added to a table an earlier one made: added to a database made
/// before them (18.16 has no `ADD COLUMN IF NOT EXISTS`, so `system.columns` is read first).
/// The `CREATE` statements above have them already.
const ADDED: &[(&str, &str, &str)] = &[
    ("chart_events", "device_id", "String"),
    ("chart_events", "display_name", "String"),
    ("chart_events", "has_display_name", "UInt8"),
    ("chart_events", "props_json", "String"),
    // Version 4: whether an event was derived from a recording, and its session's generation
    // then, so a replay's deletion or reprocessing deletes its derived events from charts.
    ("chart_events", "derived", "UInt8"),
    ("chart_events", "generation", "UInt32"),
    ("chart_users", "first_ms", "Int64"),
    ("chart_users", "last_ms", "Int64"),
    ("chart_users", "created", "UInt64"),
    ("chart_users", "erased", "UInt8"),
    ("chart_devices", "first_ms", "Int64"),
    ("search_events", "user_id", "String"),
    ("search_events", "device", "String"),
];

/// Adds the columns of [`ADDED`] a table lacks. Two nodes may both add one: the loser's
/// error is taken back when the column is there after all.
async fn add_columns(ch: &ClickHouse) -> Result<()> {
    let present = |rows: Vec<Vec<String>>| -> std::collections::HashSet<(String, String)> {
        rows.into_iter()
            .filter_map(|r| match <[String; 2]>::try_from(r) {
                Ok([t, c]) => Some((t, c)),
                Err(_) => None,
            })
            .collect()
    };
    let sql = "SELECT table, name FROM system.columns WHERE database = currentDatabase()";
    let have = present(ch.rows(sql).await?);
    for (table, column, kind) in ADDED {
        if have.contains(&((*table).to_owned(), (*column).to_owned())) {
            continue;
        }
        if let Err(e) = ch
            .execute(&format!("ALTER TABLE {table} ADD COLUMN {column} {kind}"))
            .await
            && !present(ch.rows(sql).await?).contains(&((*table).to_owned(), (*column).to_owned()))
        {
            return Err(e);
        }
    }
    Ok(())
}

/// Makes the tables if missing and checks their version: a database written by a later reel
/// is refused rather than misread.
pub(crate) async fn ensure(ch: &ClickHouse) -> Result<()> {
    for sql in STATEMENTS {
        ch.execute(sql).await?;
    }
    add_columns(ch).await?;
    let rows = ch.rows("SELECT max(version) FROM reel_schema").await?;
    let stored: u32 = rows
        .first()
        .and_then(|r| r.first())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    if stored > SCHEMA_VERSION {
        return Err(StoreError::Invalid(format!(
            "events_url {}: the ClickHouse tables are at version {stored}, newer than this \
             reel's {SCHEMA_VERSION}",
            ch.url()
        )));
    }
    if stored < SCHEMA_VERSION {
        // Two nodes may both write this row; the version is the maximum, so a repeat is harmless.
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        ch.insert(
            "reel_schema",
            format!("{{\"version\":{SCHEMA_VERSION},\"applied_ms\":{now_ms}}}\n"),
        )
        .await?;
    }
    Ok(())
}
