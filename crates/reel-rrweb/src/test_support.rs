//! What several of the crate's test modules build: a deterministic random source and
//! deeply nested snapshots.

/// splitmix64: small, fast, and the same on every machine.
pub(crate) struct Rng(pub(crate) u64);

impl Rng {
    pub(crate) fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (0 when `n` is 0).
    pub(crate) fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }

    pub(crate) fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }

    pub(crate) fn pick<'a, T>(&mut self, items: &'a [T]) -> &'a T {
        &items[self.below(items.len() as u64) as usize]
    }
}

/// A FullSnapshot at `ts` whose tree is `depth` `div`s, each inside the one before (ids 1 up).
pub(crate) fn deep_snapshot(ts: i64, depth: usize) -> String {
    let mut s = format!(r#"{{"type":2,"timestamp":{ts},"data":{{"node":"#);
    for i in 0..depth {
        s.push_str(&format!(
            r#"{{"type":2,"tagName":"div","id":{},"attributes":{{}},"childNodes":["#,
            i + 1
        ));
    }
    s.push_str(&"]}".repeat(depth));
    s.push_str("}}");
    s
}
