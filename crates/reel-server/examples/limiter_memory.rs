//! What the login limiter holds after a flood of failed logins for invented accounts, each
//! with a 16 KB email (the largest a login body carried before emails were capped): the
//! process's resident memory before and after, beside the same flood kept the way the limiter
//! kept keys before (the email itself as a map key, up to 100,000 of them), in one run.
//!
//! `cargo run --release -p reel-server --example limiter_memory [-- 100000]`

use std::collections::HashMap;

use reel_server::ratelimit::{FailureLimiter, MAX_ENTRIES};

fn resident_bytes() -> u64 {
    let statm = std::fs::read_to_string("/proc/self/statm").unwrap_or_default();
    let pages: u64 = statm
        .split_whitespace()
        .nth(1)
        .and_then(|v| v.parse().ok())
        .unwrap_or(0);
    pages * 4096
}

fn email(i: usize) -> String {
    format!("{i:08}-{}@example.com", "x".repeat(16_000))
}

fn main() {
    let logins: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap_or(100_000);
    let before = resident_bytes();
    let limiter = FailureLimiter::with_capacity(10, 300_000, MAX_ENTRIES);
    for i in 0..logins {
        limiter.fail(&email(i), i as i64);
    }
    let bounded = resident_bytes().saturating_sub(before);
    println!(
        "limiter: {logins} distinct failed logins -> {} entries, +{:.1} MB resident",
        limiter.len(),
        bounded as f64 / 1e6
    );

    // The earlier limiter: emails as keys, at most 100,000 of them.
    let before = resident_bytes();
    let mut earlier: HashMap<String, (i64, u32)> = HashMap::new();
    for i in 0..logins {
        if earlier.len() >= 100_000 {
            earlier.clear();
        }
        earlier.insert(email(i), (i as i64, 1));
    }
    let unbounded = resident_bytes().saturating_sub(before);
    println!(
        "earlier limiter (emails as keys): {} entries, +{:.1} MB resident ({:.0}x)",
        earlier.len(),
        unbounded as f64 / 1e6,
        unbounded as f64 / bounded.max(1) as f64
    );
}
