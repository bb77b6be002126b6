//! Dates in a project's timezone: a day is the project's day, not the server's or UTC's.

use chrono::{DateTime, Duration, NaiveDate, TimeZone as _};
use chrono_tz::Tz;

/// `YYYY-MM-DD` (the start of that day in `tz`, or with `end_of_day` the start of the next, so
/// the day is included) or RFC 3339, as epoch milliseconds.
pub fn parse_instant(s: &str, tz: Tz, end_of_day: bool) -> Result<i64, String> {
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Ok(t.timestamp_millis());
    }
    if let Ok(d) = NaiveDate::parse_from_str(s, "%Y-%m-%d") {
        let day = if end_of_day {
            d.succ_opt().unwrap_or(d)
        } else {
            d
        };
        return Ok(day_start(day, tz));
    }
    Err(format!(
        "must be a date (2026-01-31) or RFC 3339 (2026-01-31T12:00:00Z), got {s:?}"
    ))
}

/// `[start, end)` of the local days `first..=last` in `tz`.
pub fn local_day_range(first: NaiveDate, last: NaiveDate, tz: Tz) -> (i64, i64) {
    (
        day_start(first, tz),
        day_start(last.succ_opt().unwrap_or(last), tz),
    )
}

/// The first instant of a local day. Where the clocks skip midnight (a DST change at 00:00),
/// the day starts at the first local time that exists.
fn day_start(day: NaiveDate, tz: Tz) -> i64 {
    let midnight = day.and_hms_opt(0, 0, 0).expect("midnight exists");
    for minutes in (0..=180).step_by(15) {
        if let Some(t) = tz
            .from_local_datetime(&(midnight + Duration::minutes(minutes)))
            .earliest()
        {
            return t.timestamp_millis();
        }
    }
    midnight.and_utc().timestamp_millis()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants() {
        let berlin: Tz = "Europe/Berlin".parse().unwrap();
        let utc = Tz::UTC;
        let sao_paulo: Tz = "America/Sao_Paulo".parse().unwrap();
        let ms = |s: &str| DateTime::parse_from_rfc3339(s).unwrap().timestamp_millis();
        // (text, timezone, end of day, want)
        let cases: Vec<(&str, Tz, bool, Result<i64, &str>)> = vec![
            ("2026-01-01", utc, false, Ok(ms("2026-01-01T00:00:00Z"))),
            ("2026-01-01", utc, true, Ok(ms("2026-01-02T00:00:00Z"))),
            ("2026-01-01", berlin, false, Ok(ms("2025-12-31T23:00:00Z"))),
            ("2026-01-01", berlin, true, Ok(ms("2026-01-01T23:00:00Z"))),
            // Summer time: Berlin is UTC+2.
            ("2026-07-01", berlin, false, Ok(ms("2026-06-30T22:00:00Z"))),
            // The day the clocks go forward is 23 hours long.
            ("2026-03-29", berlin, true, Ok(ms("2026-03-29T22:00:00Z"))),
            // São Paulo skipped midnight in 2018: that day began at 01:00 local time.
            (
                "2018-11-04",
                sao_paulo,
                false,
                Ok(ms("2018-11-04T03:00:00Z")),
            ),
            (
                "2026-01-01T12:00:00+01:00",
                berlin,
                false,
                Ok(ms("2026-01-01T11:00:00Z")),
            ),
            ("2026-02-30", utc, false, Err("must be a date")),
            ("yesterday", utc, false, Err("must be a date")),
        ];
        for (text, tz, end, want) in cases {
            match (parse_instant(text, tz, end), want) {
                (Ok(got), Ok(want)) => assert_eq!(got, want, "{text} {tz} {end}"),
                (Err(e), Err(w)) => assert!(e.contains(w), "{text}: {e}"),
                (got, want) => panic!("{text}: got {got:?}, want {want:?}"),
            }
        }
    }
}
