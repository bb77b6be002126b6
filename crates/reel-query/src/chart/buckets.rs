//! A chart's range cut into intervals in the project's timezone: hours, days, weeks (from
//! Monday) and months are the project's, not UTC's.

use chrono::{Datelike, Duration, NaiveDate, TimeZone as _, Timelike};
use chrono_tz::Tz;

use super::wire::Interval;

/// The intervals of a range: `starts[i]..starts[i + 1]` is interval `i`, the last ending at
/// `end_ms`. The first interval starts at the range's start (which may fall inside it).
#[derive(Debug, Clone, PartialEq)]
pub struct Buckets {
    pub interval: Interval,
    pub timezone: Tz,
    pub starts: Vec<i64>,
    pub end_ms: i64,
}

/// The most intervals a chart has.
pub const MAX_BUCKETS: usize = 1_000;

impl Buckets {
    /// The intervals of `[start_ms, end_ms)`, or what is wrong (too many).
    pub fn new(
        interval: Interval,
        timezone: Tz,
        start_ms: i64,
        end_ms: i64,
    ) -> Result<Self, String> {
        let mut starts = vec![start_ms];
        let mut at = next_boundary(interval, timezone, start_ms);
        while at < end_ms {
            if starts.len() >= MAX_BUCKETS {
                return Err(format!(
                    "the range holds more than {MAX_BUCKETS} intervals: choose a longer interval or a shorter range"
                ));
            }
            starts.push(at);
            at = next_boundary(interval, timezone, at);
        }
        Ok(Self {
            interval,
            timezone,
            starts,
            end_ms,
        })
    }

    /// The whole range as one interval (charts without intervals).
    pub fn whole(timezone: Tz, start_ms: i64, end_ms: i64) -> Self {
        Self {
            interval: Interval::Day,
            timezone,
            starts: vec![start_ms],
            end_ms,
        }
    }

    pub fn len(&self) -> usize {
        self.starts.len()
    }

    pub fn is_empty(&self) -> bool {
        self.starts.is_empty()
    }

    /// The interval `ms` falls in, if it is in the range.
    pub fn index(&self, ms: i64) -> Option<usize> {
        if ms < self.starts[0] || ms >= self.end_ms {
            return None;
        }
        Some(self.starts.partition_point(|s| *s <= ms) - 1)
    }

    /// `[start, end)` of interval `i`.
    pub fn span(&self, i: usize) -> (i64, i64) {
        (
            self.starts[i],
            self.starts.get(i + 1).copied().unwrap_or(self.end_ms),
        )
    }

    /// Interval `i`'s start as RFC 3339 in the project's timezone.
    pub fn label(&self, i: usize) -> String {
        self.timezone
            .timestamp_millis_opt(self.starts[i])
            .single()
            .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Secs, false))
            .unwrap_or_default()
    }
}

/// An instant as RFC 3339 in UTC, to the millisecond.
pub fn rfc3339(ms: i64) -> String {
    chrono::DateTime::from_timestamp_millis(ms)
        .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
        .unwrap_or_default()
}

/// The first interval boundary after `ms`.
fn next_boundary(interval: Interval, tz: Tz, ms: i64) -> i64 {
    let local = tz
        .timestamp_millis_opt(ms)
        .single()
        .expect("every instant has one local time")
        .naive_local();
    match interval {
        Interval::Hour => {
            // Hours are UTC hours shifted by the zone's offset; where the offset is not whole
            // hours (India, Nepal) the local hour still starts at a local :00.
            let hour_start = local
                .date()
                .and_hms_opt(local.hour(), 0, 0)
                .expect("valid hour");
            let next = local_instant(tz, hour_start + Duration::hours(1));
            if next > ms { next } else { ms + 3_600_000 }
        }
        Interval::Day => local_instant(tz, day(local.date().succ_opt().unwrap_or(local.date()))),
        Interval::Week => {
            let monday =
                local.date() - Duration::days(local.weekday().num_days_from_monday() as i64);
            local_instant(tz, day(monday + Duration::days(7)))
        }
        Interval::Month => {
            let first = NaiveDate::from_ymd_opt(local.year(), local.month(), 1).expect("valid");
            let next = if local.month() == 12 {
                NaiveDate::from_ymd_opt(local.year() + 1, 1, 1)
            } else {
                NaiveDate::from_ymd_opt(local.year(), local.month() + 1, 1)
            }
            .unwrap_or(first);
            local_instant(tz, day(next))
        }
    }
}

fn day(d: NaiveDate) -> chrono::NaiveDateTime {
    d.and_hms_opt(0, 0, 0).expect("midnight")
}

/// The instant of a local time; where the clocks skip it, the first local time after that
/// exists.
fn local_instant(tz: Tz, local: chrono::NaiveDateTime) -> i64 {
    for minutes in (0..=180).step_by(15) {
        if let Some(t) = tz
            .from_local_datetime(&(local + Duration::minutes(minutes)))
            .earliest()
        {
            return t.timestamp_millis();
        }
    }
    local.and_utc().timestamp_millis()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ms(s: &str) -> i64 {
        chrono::DateTime::parse_from_rfc3339(s)
            .unwrap()
            .timestamp_millis()
    }

    #[test]
    fn intervals_follow_the_project_timezone() {
        let berlin: Tz = "Europe/Berlin".parse().unwrap();
        let kolkata: Tz = "Asia/Kolkata".parse().unwrap();
        // (interval, timezone, start, end, want starts)
        let cases: Vec<(Interval, Tz, &str, &str, Vec<&str>)> = vec![
            (
                Interval::Day,
                Tz::UTC,
                "2026-01-01T00:00:00Z",
                "2026-01-03T00:00:00Z",
                vec!["2026-01-01T00:00:00Z", "2026-01-02T00:00:00Z"],
            ),
            // Berlin's days start at 23:00 UTC in winter.
            (
                Interval::Day,
                berlin,
                "2025-12-31T23:00:00Z",
                "2026-01-02T23:00:00Z",
                vec!["2025-12-31T23:00:00Z", "2026-01-01T23:00:00Z"],
            ),
            // The day the clocks go forward is 23 hours long.
            (
                Interval::Day,
                berlin,
                "2026-03-28T23:00:00Z",
                "2026-03-30T22:00:00Z",
                vec!["2026-03-28T23:00:00Z", "2026-03-29T22:00:00Z"],
            ),
            // A range starting mid-day: the first interval is partial.
            (
                Interval::Day,
                Tz::UTC,
                "2026-01-01T12:00:00Z",
                "2026-01-02T12:00:00Z",
                vec!["2026-01-01T12:00:00Z", "2026-01-02T00:00:00Z"],
            ),
            // Weeks start on Monday (2026-01-05 is one).
            (
                Interval::Week,
                Tz::UTC,
                "2026-01-01T00:00:00Z",
                "2026-01-13T00:00:00Z",
                vec![
                    "2026-01-01T00:00:00Z",
                    "2026-01-05T00:00:00Z",
                    "2026-01-12T00:00:00Z",
                ],
            ),
            (
                Interval::Month,
                Tz::UTC,
                "2025-12-15T00:00:00Z",
                "2026-02-02T00:00:00Z",
                vec![
                    "2025-12-15T00:00:00Z",
                    "2026-01-01T00:00:00Z",
                    "2026-02-01T00:00:00Z",
                ],
            ),
            // Kolkata is UTC+5:30: its hours start at :30 UTC.
            (
                Interval::Hour,
                kolkata,
                "2026-01-01T00:30:00Z",
                "2026-01-01T02:30:00Z",
                vec!["2026-01-01T00:30:00Z", "2026-01-01T01:30:00Z"],
            ),
        ];
        for (interval, tz, start, end, want) in cases {
            let b = Buckets::new(interval, tz, ms(start), ms(end)).unwrap();
            let want: Vec<i64> = want.into_iter().map(ms).collect();
            assert_eq!(b.starts, want, "{interval:?} {tz} {start}");
        }
    }

    #[test]
    fn instants_find_their_interval() {
        let b = Buckets::new(
            Interval::Day,
            Tz::UTC,
            ms("2026-01-01T00:00:00Z"),
            ms("2026-01-03T00:00:00Z"),
        )
        .unwrap();
        let cases = [
            ("2025-12-31T23:59:59Z", None),
            ("2026-01-01T00:00:00Z", Some(0)),
            ("2026-01-01T23:59:59Z", Some(0)),
            ("2026-01-02T00:00:00Z", Some(1)),
            ("2026-01-03T00:00:00Z", None),
        ];
        for (at, want) in cases {
            assert_eq!(b.index(ms(at)), want, "{at}");
        }
        assert_eq!(b.label(1), "2026-01-02T00:00:00+00:00");
    }

    #[test]
    fn too_many_intervals_are_refused() {
        let e = Buckets::new(Interval::Hour, Tz::UTC, 0, 2_000 * 3_600_000).unwrap_err();
        assert!(e.contains("more than 1000 intervals"), "{e}");
    }
}
