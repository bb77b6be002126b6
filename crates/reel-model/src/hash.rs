//! The hash that names stored content: 128-bit XXH3, as 32 lower-case hex digits. Fast enough
//! for every upload; collisions are out of reach for content nobody chose to collide (what an
//! attacker could choose only names their own project's content twice).

use xxhash_rust::xxh3::{Xxh3, xxh3_128};

/// The content hash of `bytes`.
pub fn content_hash(bytes: &[u8]) -> String {
    hex(xxh3_128(bytes))
}

/// The content hash of bytes given in parts (the same as [`content_hash`] of them joined).
#[derive(Default)]
pub struct ContentHasher(Xxh3);

impl ContentHasher {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn update(&mut self, bytes: &[u8]) {
        self.0.update(bytes);
    }

    pub fn finish(&self) -> String {
        hex(self.0.digest128())
    }
}

fn hex(hash: u128) -> String {
    format!("{hash:032x}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parts_hash_as_the_whole() {
        let mut hasher = ContentHasher::new();
        hasher.update(b"{\"a\":");
        hasher.update(b"1}");
        assert_eq!(hasher.finish(), content_hash(b"{\"a\":1}"));
        assert_eq!(content_hash(b"").len(), 32);
        assert_ne!(content_hash(b"a"), content_hash(b"b"));
    }
}
