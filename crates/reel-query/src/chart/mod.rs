//! Charts: Event Segmentation, Funnel Analysis, User Sessions, Journeys and Experiment, and
//! the Microscope's data points — one model that every backend answers.
//!
//! - [`wire`]: the requests and answers as clients see them (in the OpenAPI document).
//! - [`parse_chart`], [`parse_point`]: checked once into a typed [`Chart`] and [`DataPoint`],
//!   dates and intervals in the project's timezone ([`buckets`]), filters as replay search's.
//! - What each measure counts, from rows a backend reads: [`segmentation`], [`funnel`],
//!   [`sessions`], [`paths`], [`experiment`]. The embedded store feeds them events; a backend
//!   that can count in its own query language (ClickHouse) answers the same [`Chart`] there, and
//!   these modules' tests are the reference its answers must equal.
//! - [`values`]: what a condition on a property value means (the same as in replay search).
//!
//! No IO here: a backend reads, these modules count.

pub mod buckets;
pub mod experiment;
pub mod funnel;
pub mod model;
mod parse;
pub mod paths;
pub mod segmentation;
pub mod sessions;
pub mod values;
pub mod wire;

#[cfg(test)]
mod tests;

pub use model::*;
pub use parse::{
    ChartContext, DEFAULT_EXPOSURE_EVENT, DEFAULT_VARIANT_PROPERTY, FLAG_KEY_PROPERTY,
    MAX_SESSION_PAGE, decode_session_cursor, encode_session_cursor, parse_chart, parse_point,
    parse_session_page,
};

/// One event as the chart computations see it: whose, in which session, when.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Hit {
    /// The user (after merging devices), as the backend numbers users.
    pub user: i64,
    /// The session, as the backend numbers sessions (none: out of session).
    pub session: Option<i64>,
    pub time_ms: i64,
}

/// A set of users as a backend numbers them, for counting uniques. Users are integers the
/// backend assigns, not values a client picks, so one multiplication hashes them instead of
/// SipHash: a month's segmentation of 1.5 M events takes about half the time it did.
pub type UserSet = std::collections::HashSet<i64, std::hash::BuildHasherDefault<UserHasher>>;

/// The hasher of [`UserSet`]: a multiplication by an odd constant, its high half folded in.
#[derive(Debug, Default, Clone, Copy)]
pub struct UserHasher(u64);

impl std::hash::Hasher for UserHasher {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.write_u64(u64::from(*b));
        }
    }

    fn write_u64(&mut self, n: u64) {
        let x = (self.0 ^ n).wrapping_mul(0x9E37_79B9_7F4A_7C15);
        self.0 = x ^ (x >> 32);
    }

    fn write_i64(&mut self, n: i64) {
        self.write_u64(n as u64);
    }
}

/// The `limit` groups with the most weight (ties by label), never `(other)` itself.
pub(crate) fn top_groups(
    mut weights: Vec<(u32, f64)>,
    limit: usize,
    labels: &[String],
) -> std::collections::HashSet<u32> {
    let label = |g: u32| labels[g as usize].as_str();
    weights.sort_by(|a, b| b.1.total_cmp(&a.1).then_with(|| label(a.0).cmp(label(b.0))));
    weights
        .into_iter()
        .filter(|(g, _)| label(*g) != OTHER_GROUP)
        .take(limit)
        .map(|(g, _)| g)
        .collect()
}

/// Each group id's label as shown: its own when among `top`, else `(other)`.
pub(crate) fn shown_labels(labels: &[String], top: &std::collections::HashSet<u32>) -> Vec<String> {
    labels
        .iter()
        .enumerate()
        .map(|(id, label)| {
            if top.contains(&(id as u32)) {
                label.clone()
            } else {
                OTHER_GROUP.to_owned()
            }
        })
        .collect()
}

/// The median of some durations: the mean of the two middle ones for an even count, rounded
/// down.
pub fn median(values: &mut [i64]) -> Option<i64> {
    if values.is_empty() {
        return None;
    }
    values.sort_unstable();
    let n = values.len();
    Some(if n % 2 == 1 {
        values[n / 2]
    } else {
        (values[n / 2 - 1] + values[n / 2]).div_euclid(2)
    })
}
