//! Event properties as charts read them: a compact encoding beside each event row, so a chart
//! that filters or groups by a property reads it in the same scan, without parsing JSON.
//!
//! The encoding is a run of `(key, tag, value)`: the key is the property name's id
//! (`analytics_keys`, interned per project) as a varint; the tag says the type — false, true,
//! an integer (zigzag varint), a float (8 bytes, little-endian), text or JSON text of an array
//! or object (varint length, then UTF-8). `null` values are not kept.

use reel_query::chart::values::PropRef;
use rusqlite::{Connection, OptionalExtension, params};

use super::super::events::Names;
use serde_json::Value;

use crate::Result;

const FALSE: u8 = 0;
const TRUE: u8 = 1;
const INT: u8 = 2;
const FLOAT: u8 = 3;
const TEXT: u8 = 4;
const JSON: u8 = 5;

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

fn get_varint(bytes: &[u8], at: &mut usize) -> Option<u64> {
    let mut v = 0u64;
    for shift in (0..64).step_by(7) {
        let b = *bytes.get(*at)?;
        *at += 1;
        v |= u64::from(b & 0x7f) << shift;
        if b < 0x80 {
            return Some(v);
        }
    }
    None
}

fn put_text(out: &mut Vec<u8>, tag: u8, text: &str) {
    out.push(tag);
    put_varint(out, text.len() as u64);
    out.extend_from_slice(text.as_bytes());
}

/// The id of a property name, if the project has seen it.
pub(crate) fn key_id(c: &Connection, project_id: i64, name: &str) -> Result<Option<i64>> {
    Ok(
        c.prepare_cached("SELECT id FROM analytics_keys WHERE project_id = ?1 AND name = ?2")?
            .query_row(params![project_id, name], |r| r.get(0))
            .optional()?,
    )
}

/// Encodes an event's properties (a JSON object's text; anything else is no properties).
pub(crate) fn encode(
    tx: &Connection,
    project_id: i64,
    keys: &mut Names,
    properties: &str,
) -> Result<Vec<u8>> {
    let mut out = Vec::new();
    if properties.len() <= 2 {
        return Ok(out);
    }
    let Ok(Value::Object(map)) = serde_json::from_str::<Value>(properties) else {
        return Ok(out);
    };
    for (name, value) in &map {
        if value.is_null() {
            continue;
        }
        put_varint(&mut out, keys.id(tx, project_id, name)? as u64);
        match value {
            Value::Bool(b) => out.push(if *b { TRUE } else { FALSE }),
            Value::Number(n) => match n.as_i64() {
                Some(i) => {
                    out.push(INT);
                    put_varint(&mut out, ((i << 1) ^ (i >> 63)) as u64);
                }
                None => {
                    out.push(FLOAT);
                    out.extend_from_slice(&n.as_f64().unwrap_or(0.0).to_le_bytes());
                }
            },
            Value::String(s) => put_text(&mut out, TEXT, s),
            other => put_text(&mut out, JSON, &other.to_string()),
        }
    }
    Ok(out)
}

/// Each `(key id, value)` of an encoded set of properties; stops at anything unreadable.
pub(crate) fn decode(bytes: &[u8]) -> impl Iterator<Item = (i64, PropRef<'_>)> {
    let mut at = 0;
    std::iter::from_fn(move || {
        if at >= bytes.len() {
            return None;
        }
        let key = get_varint(bytes, &mut at)? as i64;
        let tag = *bytes.get(at)?;
        at += 1;
        let value = match tag {
            FALSE => PropRef::Bool(false),
            TRUE => PropRef::Bool(true),
            INT => {
                let z = get_varint(bytes, &mut at)?;
                PropRef::Int(((z >> 1) as i64) ^ -((z & 1) as i64))
            }
            FLOAT => {
                let raw: [u8; 8] = bytes.get(at..at + 8)?.try_into().ok()?;
                at += 8;
                PropRef::Float(f64::from_le_bytes(raw))
            }
            TEXT | JSON => {
                let len = get_varint(bytes, &mut at)? as usize;
                let text = std::str::from_utf8(bytes.get(at..at.checked_add(len)?)?).ok()?;
                at += len;
                if tag == TEXT {
                    PropRef::Text(text)
                } else {
                    PropRef::Json(text)
                }
            }
            _ => return None,
        };
        Some((key, value))
    })
}

/// The value of one property, if the event has it.
pub(crate) fn find(bytes: &[u8], key: Option<i64>) -> Option<PropRef<'_>> {
    let key = key?;
    decode(bytes).find(|(k, _)| *k == key).map(|(_, v)| v)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_come_back_as_they_went_in() {
        let conn = Connection::open_in_memory().unwrap();
        conn.execute_batch(
            "CREATE TABLE analytics_keys (id INTEGER PRIMARY KEY, project_id INTEGER, name TEXT,
             UNIQUE (project_id, name));",
        )
        .unwrap();
        let mut keys = Names::property_keys();
        let text =
            r#"{"a":true,"b":-5,"c":2.5,"d":"Pay now","e":[1,"x"],"f":null,"g":1234567890123}"#;
        let bytes = encode(&conn, 1, &mut keys, text).unwrap();
        let id = |n: &str| key_id(&conn, 1, n).unwrap();
        let cases = [
            ("a", Some(PropRef::Bool(true))),
            ("b", Some(PropRef::Int(-5))),
            ("c", Some(PropRef::Float(2.5))),
            ("d", Some(PropRef::Text("Pay now"))),
            ("e", Some(PropRef::Json("[1,\"x\"]"))),
            ("f", None),
            ("g", Some(PropRef::Int(1_234_567_890_123))),
        ];
        for (name, want) in cases {
            assert_eq!(find(&bytes, id(name)), want, "{name}");
        }
        assert_eq!(decode(&bytes).count(), 6);
        assert!(encode(&conn, 1, &mut keys, "[1]").unwrap().is_empty());
        // A cut-off encoding yields what it can and stops.
        assert_eq!(decode(&bytes[..bytes.len() - 3]).count(), 5);
    }
}
