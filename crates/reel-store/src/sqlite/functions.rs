//! SQL functions the SQLite backend registers on every connection (migrations use some).

use std::sync::Arc;

use rusqlite::Connection;
use rusqlite::functions::FunctionFlags;
use rusqlite::types::ValueRef;

use reel_query::selector::{ClickedElement, Selector};

use super::watch::Watch;

/// Registers reel's functions on `conn`. Those that do real work per row look at the
/// connection's `watch` first, so a statement stops within one row of its deadline.
pub(super) fn register(conn: &Connection, watch: Arc<Watch>) -> rusqlite::Result<()> {
    let pure = FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC;
    conn.create_scalar_function("reel_replay_key", 2, pure, |ctx| {
        Ok(reel_model::ReplayId::of(&ctx.get::<String>(0)?, ctx.get::<i64>(1)?).into_string())
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
    let seen = watch.clone();
    conn.create_scalar_function("reel_element_matches", 2, pure, move |ctx| {
        seen.check()?;
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
    // reel_phrase(text, phrase): whether the text holds the phrase's words in order, the last
    // one also as the start of a longer word — what the full-text index answers for a phrase
    // query, for one session's few texts at a time (see `sqlite/search.rs`).
    conn.create_scalar_function("reel_phrase", 2, pure, move |ctx| {
        watch.check()?;
        let phrase = ctx.get_or_create_aux(1, |v| -> Result<Vec<String>, BoxError> {
            Ok(fold_words(v.as_str()?))
        })?;
        let ValueRef::Text(text) = ctx.get_raw(0) else {
            return Ok(false);
        };
        Ok(holds_phrase(
            &fold_words(&String::from_utf8_lossy(text)),
            &phrase,
        ))
    })?;
    Ok(())
}

/// The words of a text as the full-text index's tokenizer (`unicode61`, diacritics removed)
/// makes them: runs of letters and digits, lower-cased, Latin letters without their accents.
pub(crate) fn fold_words(text: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut word = String::new();
    for c in text.chars() {
        if ('\u{300}'..='\u{36f}').contains(&c) {
            // A combining accent belongs to its word and is removed with the diacritics.
            continue;
        }
        if c.is_alphanumeric() {
            for lower in c.to_lowercase() {
                word.push(without_accent(lower));
            }
        } else if !word.is_empty() {
            words.push(std::mem::take(&mut word));
        }
    }
    if !word.is_empty() {
        words.push(word);
    }
    words
}

/// Whether `words` holds `phrase` in order, its last word matching as a prefix.
pub(crate) fn holds_phrase(words: &[String], phrase: &[String]) -> bool {
    let Some((last, rest)) = phrase.split_last() else {
        return false;
    };
    words
        .windows(phrase.len())
        .any(|w| w[..rest.len()] == *rest && w[rest.len()].starts_with(last.as_str()))
}

/// A lower-case Latin letter without its accent (what `unicode61`'s diacritic removal does
/// for the letters of Western and Central European languages); any other character as is.
fn without_accent(c: char) -> char {
    match c {
        'à'..='å' | 'ā' | 'ă' | 'ą' => 'a',
        'ç' | 'ć' | 'ĉ' | 'ċ' | 'č' => 'c',
        'ď' => 'd',
        'è'..='ë' | 'ē' | 'ĕ' | 'ė' | 'ę' | 'ě' => 'e',
        'ĝ' | 'ğ' | 'ġ' | 'ģ' => 'g',
        'ĥ' => 'h',
        'ì'..='ï' | 'ĩ' | 'ī' | 'ĭ' | 'į' => 'i',
        'ĵ' => 'j',
        'ķ' => 'k',
        'ĺ' | 'ļ' | 'ľ' => 'l',
        'ñ' | 'ń' | 'ņ' | 'ň' => 'n',
        'ò'..='ö' | 'ō' | 'ŏ' | 'ő' => 'o',
        'ŕ' | 'ŗ' | 'ř' => 'r',
        'ś' | 'ŝ' | 'ş' | 'š' => 's',
        'ţ' | 'ť' => 't',
        'ù'..='ü' | 'ũ' | 'ū' | 'ŭ' | 'ů' | 'ű' | 'ų' => 'u',
        'ŵ' => 'w',
        'ý' | 'ÿ' | 'ŷ' => 'y',
        'ź' | 'ż' | 'ž' => 'z',
        other => other,
    }
}

type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// A session's text is kept once per kind and content: this names it.
pub(super) fn text_hash(kind: &str, text: &str) -> i64 {
    xxhash_rust::xxh3::xxh3_64(format!("{kind}\n{text}").as_bytes()) as i64
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `reel_phrase` answers what the full-text index answers for the same phrase.
    #[test]
    fn phrase_matching_agrees_with_the_full_text_index() {
        let texts = [
            "Thank you for your order",
            "Thank you for your orders!",
            "thank-you: for YOUR order #42",
            "Payment failed: payment service unavailable (503)",
            "Crème Brûlée — Ünïcode café",
            "Cafe\u{301} con leche",
            "Straße 12, Zürich",
            "a b a b c",
            "",
            "*** ****",
        ];
        let phrases = [
            "thank you for your order",
            "your ord",
            "order 42",
            "payment failed",
            "service unavailable 50",
            "creme brulee",
            "unicode cafe",
            "café con",
            "strasse",
            "straße 1",
            "zurich",
            "a b c",
            "b a b",
            "missing",
        ];
        let conn = Connection::open_in_memory().unwrap();
        let watch = Watch::install(&conn, Default::default());
        register(&conn, watch).unwrap();
        conn.execute_batch(
            "CREATE VIRTUAL TABLE t USING fts5 (text, tokenize = 'unicode61', columnsize = 0)",
        )
        .unwrap();
        for text in texts {
            conn.execute("INSERT INTO t (text) VALUES (?1)", [text])
                .unwrap();
        }
        for phrase in phrases {
            let query = format!("\"{}\" *", phrase.replace('"', "\"\""));
            let by_index: Vec<i64> = conn
                .prepare("SELECT rowid FROM t WHERE t MATCH ?1 ORDER BY rowid")
                .unwrap()
                .query_map([&query], |r| r.get(0))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            let by_function: Vec<i64> = conn
                .prepare("SELECT rowid FROM t WHERE reel_phrase(text, ?1) ORDER BY rowid")
                .unwrap()
                .query_map([phrase], |r| r.get(0))
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            assert_eq!(by_function, by_index, "{phrase:?}");
        }
    }
}
