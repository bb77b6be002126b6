//! Cursors: where a page ended, as an opaque URL-safe string. Keyset paging (the sort value
//! and row of the last replay shown), so replays that arrive meanwhile neither repeat nor push
//! others off the next page.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::{Cursor, QueryError, Sort, SortKey};

const VERSION: &str = "c1";

pub fn encode_cursor(c: &Cursor) -> String {
    let total = c.total.map_or_else(|| "-".to_owned(), |t| t.to_string());
    let text = format!(
        "{VERSION}.{}.{}.{}.{}.{total}",
        c.sort.key.as_str(),
        if c.sort.descending { "d" } else { "a" },
        c.value,
        c.row
    );
    URL_SAFE_NO_PAD.encode(text)
}

pub fn decode_cursor(text: &str) -> Result<Cursor, QueryError> {
    let bad = || QueryError("the cursor is not one this server gave out".into());
    let bytes = URL_SAFE_NO_PAD.decode(text.trim()).map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    let parts: Vec<&str> = text.split('.').collect();
    let [VERSION, key, order, value, row, total] = parts.as_slice() else {
        return Err(bad());
    };
    Ok(Cursor {
        sort: Sort {
            key: SortKey::parse(key).ok_or_else(bad)?,
            descending: match *order {
                "d" => true,
                "a" => false,
                _ => return Err(bad()),
            },
        },
        value: value.parse().map_err(|_| bad())?,
        row: row.parse().map_err(|_| bad())?,
        total: match *total {
            "-" => None,
            t => Some(t.parse().map_err(|_| bad())?),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_and_refuses_forgeries() {
        for cursor in [
            Cursor {
                sort: Sort::default(),
                value: 1_767_225_600_000,
                row: 42,
                total: Some(150),
            },
            Cursor {
                sort: Sort {
                    key: SortKey::Errors,
                    descending: false,
                },
                value: -3,
                row: i64::MAX,
                total: None,
            },
        ] {
            let text = encode_cursor(&cursor);
            assert!(
                text.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            );
            assert_eq!(decode_cursor(&text), Ok(cursor));
        }
        for forged in [
            "",
            "!!",
            "YWJj",
            &URL_SAFE_NO_PAD.encode("c1.start_time.d.x.1.-"),
            &URL_SAFE_NO_PAD.encode("c1.size.d.1.1.-"),
            &URL_SAFE_NO_PAD.encode("c2.start_time.d.1.1.-"),
        ] {
            assert!(decode_cursor(forged).is_err(), "{forged}");
        }
    }
}
