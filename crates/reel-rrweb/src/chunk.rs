//! Chunks: the unit in which recordings are stored.
//!
//! An upload is cut so that every Meta+FullSnapshot pair starts a new chunk; a chunk that
//! starts with such a pair can be played without any chunk before it. On disk a chunk is the
//! events' original JSON, one per line, compressed with zstd.

use std::io::Read;

use xxhash_rust::xxh3::Xxh3;

use crate::event::{Event, EventKind};

/// zstd level for chunks: level 3 is zstd's default and the best size/CPU trade for JSON here.
const ZSTD_LEVEL: i32 = 3;

#[derive(Debug, Clone)]
pub struct Chunk {
    pub events: Vec<Event>,
}

/// What the store keeps about a chunk next to its bytes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChunkFacts {
    pub start_ms: i64,
    pub end_ms: i64,
    pub event_count: usize,
    /// Bytes of the events' JSON, uncompressed.
    pub raw_bytes: usize,
    /// Starts with Meta followed by FullSnapshot: playable on its own.
    pub self_contained: bool,
    /// The first Meta event's page URL, with its time.
    pub first_href: Option<(i64, String)>,
    /// A content hash: the same events always give the same hash, so a retried upload is
    /// recognised and stored once.
    pub content_hash: String,
}

/// Orders a batch by time and cuts it before every Meta that is directly followed by a
/// FullSnapshot. An empty batch gives no chunks.
pub fn split_at_snapshots(mut events: Vec<Event>) -> Vec<Chunk> {
    // Stable: a Meta and its FullSnapshot often share a timestamp and must keep their order.
    events.sort_by_key(|e| e.timestamp);
    let mut chunks: Vec<Chunk> = Vec::new();
    let mut current: Vec<Event> = Vec::new();
    let mut iter = events.into_iter().peekable();
    while let Some(event) = iter.next() {
        let starts_pair = event.kind == EventKind::Meta
            && iter
                .peek()
                .is_some_and(|next| next.kind == EventKind::FullSnapshot);
        if starts_pair && !current.is_empty() {
            chunks.push(Chunk {
                events: std::mem::take(&mut current),
            });
        }
        current.push(event);
    }
    if !current.is_empty() {
        chunks.push(Chunk { events: current });
    }
    chunks
}

impl Chunk {
    pub fn facts(&self) -> ChunkFacts {
        let mut hasher = Xxh3::new();
        let mut raw_bytes = 0;
        for e in &self.events {
            hasher.update(e.json().as_bytes());
            hasher.update(b"\n");
            raw_bytes += e.json().len();
        }
        let first = self.events.first();
        ChunkFacts {
            start_ms: first.map_or(0, |e| e.timestamp),
            end_ms: self.events.last().map_or(0, |e| e.timestamp),
            event_count: self.events.len(),
            raw_bytes,
            self_contained: matches!(
                (self.events.first(), self.events.get(1)),
                (Some(a), Some(b)) if a.kind == EventKind::Meta && b.kind == EventKind::FullSnapshot
            ),
            first_href: self
                .events
                .iter()
                .find_map(|e| e.href.clone().map(|h| (e.timestamp, h))),
            content_hash: format!("{:032x}", hasher.digest128()),
        }
    }

    /// The stored form: newline-delimited event JSON, zstd-compressed.
    pub fn encode(&self) -> Vec<u8> {
        let mut plain = Vec::new();
        for e in &self.events {
            plain.extend_from_slice(e.json().as_bytes());
            plain.push(b'\n');
        }
        zstd::bulk::compress(&plain, ZSTD_LEVEL).expect("zstd compression of memory cannot fail")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ChunkDecodeError {
    #[error("chunk is not valid zstd data")]
    Corrupt,
    #[error("chunk inflates past {limit} bytes")]
    TooLarge { limit: usize },
}

/// Reads a stored chunk back into its events' JSON texts (in stored order), refusing to
/// inflate past `limit` bytes.
pub fn decode(stored: &[u8], limit: usize) -> Result<Vec<Event>, ChunkDecodeError> {
    let decoder =
        zstd::stream::read::Decoder::new(stored).map_err(|_| ChunkDecodeError::Corrupt)?;
    let mut plain = Vec::new();
    decoder
        .take(limit as u64 + 1)
        .read_to_end(&mut plain)
        .map_err(|_| ChunkDecodeError::Corrupt)?;
    if plain.len() > limit {
        return Err(ChunkDecodeError::TooLarge { limit });
    }
    let text = std::str::from_utf8(&plain).map_err(|_| ChunkDecodeError::Corrupt)?;
    text.lines()
        .filter(|l| !l.is_empty())
        .map(|l| Event::parse(l).map_err(|_| ChunkDecodeError::Corrupt))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(kind: i64, ts: i64) -> Event {
        Event::parse(&format!(
            r#"{{"type":{kind},"data":{{}},"timestamp":{ts}}}"#
        ))
        .unwrap()
    }

    /// Renders chunks as "kinds@ts" groups, e.g. "4@1 2@1 3@2 | 4@5 2@5".
    fn shape(chunks: &[Chunk]) -> String {
        chunks
            .iter()
            .map(|c| {
                c.events
                    .iter()
                    .map(|e| format!("{}@{}", kind_code(e.kind), e.timestamp))
                    .collect::<Vec<_>>()
                    .join(" ")
            })
            .collect::<Vec<_>>()
            .join(" | ")
    }

    fn kind_code(k: EventKind) -> i64 {
        match k {
            EventKind::DomContentLoaded => 0,
            EventKind::Load => 1,
            EventKind::FullSnapshot => 2,
            EventKind::IncrementalSnapshot => 3,
            EventKind::Meta => 4,
            EventKind::Custom => 5,
            EventKind::Plugin => 6,
            EventKind::Other(n) => n,
        }
    }

    #[test]
    fn split_cases() {
        let cases: Vec<(&str, Vec<(i64, i64)>, &str)> = vec![
            ("empty", vec![], ""),
            ("one snapshot", vec![(4, 1), (2, 1), (3, 2)], "4@1 2@1 3@2"),
            ("no snapshot", vec![(3, 1), (3, 2)], "3@1 3@2"),
            (
                "cut at checkout",
                vec![(4, 1), (2, 1), (3, 2), (4, 5), (2, 5), (3, 6)],
                "4@1 2@1 3@2 | 4@5 2@5 3@6",
            ),
            (
                "tail then snapshot",
                vec![(3, 1), (4, 2), (2, 2)],
                "3@1 | 4@2 2@2",
            ),
            (
                "meta alone does not cut",
                vec![(3, 1), (4, 2), (3, 3)],
                "3@1 4@2 3@3",
            ),
            (
                "sorted by time first",
                vec![(3, 9), (4, 2), (2, 2)],
                "4@2 2@2 3@9",
            ),
        ];
        for (name, input, want) in cases {
            let chunks = split_at_snapshots(input.into_iter().map(|(k, t)| ev(k, t)).collect());
            assert_eq!(shape(&chunks), want, "{name}");
        }
    }

    #[test]
    fn facts_and_round_trip() {
        let meta = Event::parse(r#"{"type":4,"data":{"href":"https://x.test/p"},"timestamp":10}"#)
            .unwrap();
        let chunk = Chunk {
            events: vec![meta, ev(2, 10), ev(3, 25)],
        };
        let facts = chunk.facts();
        assert_eq!(
            (facts.start_ms, facts.end_ms, facts.event_count),
            (10, 25, 3)
        );
        assert!(facts.self_contained);
        assert_eq!(facts.first_href, Some((10, "https://x.test/p".to_owned())));
        let again = Chunk {
            events: chunk.events.clone(),
        }
        .facts();
        assert_eq!(facts.content_hash, again.content_hash);
        let other = Chunk {
            events: vec![ev(3, 25)],
        }
        .facts();
        assert_ne!(facts.content_hash, other.content_hash);
        assert!(!other.self_contained);

        let stored = chunk.encode();
        let back = decode(&stored, 1 << 20).unwrap();
        let texts: Vec<&str> = back.iter().map(Event::json).collect();
        let orig: Vec<&str> = chunk.events.iter().map(Event::json).collect();
        assert_eq!(texts, orig);
        assert!(matches!(
            decode(&stored, 10),
            Err(ChunkDecodeError::TooLarge { .. })
        ));
        assert!(matches!(
            decode(b"garbage", 1 << 20),
            Err(ChunkDecodeError::Corrupt)
        ));
    }
}
