//! SQL functions the SQLite backend registers on every connection (migrations use some).

use rusqlite::Connection;
use rusqlite::functions::FunctionFlags;
use rusqlite::types::ValueRef;

use reel_query::selector::{ClickedElement, Selector};

pub(super) fn register(conn: &Connection) -> rusqlite::Result<()> {
    let pure = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC;
    conn.create_scalar_function("reel_replay_key", 2, pure, |ctx| {
        Ok(crate::replay_key(
            &ctx.get::<String>(0)?,
            ctx.get::<i64>(1)?,
        ))
    })?;
    conn.create_scalar_function("reel_text_hash", 2, pure, |ctx| {
        Ok(text_hash(&ctx.get::<String>(0)?, &ctx.get::<String>(1)?))
    })?;
    // reel_number(v): a number as itself, text that is a number as that number, else NULL —
    // so "greater than 30" finds 42 and "42" alike.
    conn.create_scalar_function("reel_number", 1, pure, |ctx| {
        Ok(match ctx.get_raw(0) {
            ValueRef::Integer(i) => Some(i as f64),
            ValueRef::Real(r) => Some(r),
            ValueRef::Text(t) => std::str::from_utf8(t)
                .ok()
                .and_then(|t| t.trim().parse::<f64>().ok())
                .filter(|n| n.is_finite()),
            _ => None,
        })
    })?;
    // reel_element_matches(selector, event_properties): whether the clicked element an
    // event's properties describe matches the selector (parsed once per statement).
    conn.create_scalar_function("reel_element_matches", 2, pure, |ctx| {
        let selector = ctx.get_or_create_aux(0, |v| -> Result<Selector, BoxError> {
            Ok(Selector::parse(v.as_str()?)?)
        })?;
        let ValueRef::Text(properties) = ctx.get_raw(1) else {
            return Ok(false);
        };
        let Ok(serde_json::Value::Object(properties)) = serde_json::from_slice(properties) else {
            return Ok(false);
        };
        Ok(ClickedElement::from_properties(&properties).is_some_and(|e| selector.matches(&e)))
    })?;
    Ok(())
}

type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A session's text is kept once per kind and content: this names it.
pub(super) fn text_hash(kind: &str, text: &str) -> i64 {
    xxhash_rust::xxh3::xxh3_64(format!("{kind}\n{text}").as_bytes()) as i64
}
