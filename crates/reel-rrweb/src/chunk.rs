//! Chunks: the unit in which uploads are stored until compaction rewrites a session into
//! segments.
//!
//! An upload is cut so that every FullSnapshot (with the Meta before it, when that came in the
//! same upload) starts a new chunk: a keyframe, playable without any chunk before it. On disk a
//! chunk is the events' original JSON, one per line, zstd-compressed at a fast level — the
//! upload path stays cheap. Chunks of earlier versions may be compressed against a per-project
//! raw-content dictionary; they name it and decode with it.

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
    /// Starts with a FullSnapshot, or with a Meta and its FullSnapshot: a keyframe. Without
    /// its Meta, the Meta ended the session's previous upload.
    pub starts_with_snapshot: bool,
    /// The time of the Meta that starts the chunk, if one does.
    pub meta_ms: Option<i64>,
    /// The time of the chunk's latest Meta.
    pub last_meta_ms: Option<i64>,
    /// The first Meta event's page URL, with its time.
    pub first_href: Option<(i64, String)>,
    /// A content hash: the same events always give the same hash, so a retried upload is
    /// recognised and stored once.
    pub content_hash: String,
}

/// Orders a batch by time and cuts it before every FullSnapshot — before its Meta when the Meta
/// directly precedes it — so every keyframe starts a chunk, whichever upload its Meta came in.
/// An empty batch gives no chunks.
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
        let bare_snapshot = event.kind == EventKind::FullSnapshot
            && current
                .last()
                .is_none_or(|last| last.kind != EventKind::Meta);
        if (starts_pair || bare_snapshot) && !current.is_empty() {
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
            starts_with_snapshot: match (self.events.first(), self.events.get(1)) {
                (Some(a), _) if a.kind == EventKind::FullSnapshot => true,
                (Some(a), Some(b)) => {
                    a.kind == EventKind::Meta && b.kind == EventKind::FullSnapshot
                }
                _ => false,
            },
            meta_ms: first
                .filter(|e| e.kind == EventKind::Meta)
                .map(|e| e.timestamp),
            last_meta_ms: self
                .events
                .iter()
                .rev()
                .find(|e| e.kind == EventKind::Meta)
                .map(|e| e.timestamp),
            first_href: self
                .events
                .iter()
                .find_map(|e| e.href.clone().map(|h| (e.timestamp, h))),
            content_hash: format!("{:032x}", hasher.digest128()),
        }
    }

    /// Newline-delimited event JSON: what is compressed, and what a dictionary is made of.
    pub fn plain(&self) -> Vec<u8> {
        let mut plain = Vec::new();
        for e in &self.events {
            plain.extend_from_slice(e.json().as_bytes());
            plain.push(b'\n');
        }
        plain
    }

    /// The stored form: [`Chunk::plain`], zstd-compressed, against `dictionary` when given
    /// (raw content: any bytes; chunks of earlier versions were written against the project's
    /// own snapshots).
    pub fn encode(&self, dictionary: Option<&[u8]>) -> Vec<u8> {
        let plain = self.plain();
        let mut compressor = match dictionary {
            Some(dict) => zstd::bulk::Compressor::with_dictionary(ZSTD_LEVEL, dict),
            None => zstd::bulk::Compressor::new(ZSTD_LEVEL),
        }
        .expect("zstd accepts any raw-content dictionary");
        // A checksum makes decoding with the wrong dictionary an error, never wrong events.
        compressor
            .include_checksum(true)
            .expect("a valid zstd parameter");
        compressor
            .compress(&plain)
            .expect("zstd compression of memory cannot fail")
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
/// inflate past `limit` bytes. `dictionary` must be the one the chunk was encoded with.
pub fn decode(
    stored: &[u8],
    dictionary: Option<&[u8]>,
    limit: usize,
) -> Result<Vec<Event>, ChunkDecodeError> {
    let reader = std::io::BufReader::new(stored);
    let decoder = match dictionary {
        Some(dict) => zstd::stream::read::Decoder::with_dictionary(reader, dict),
        None => zstd::stream::read::Decoder::with_buffer(reader),
    }
    .map_err(|_| ChunkDecodeError::Corrupt)?;
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
                "a snapshot whose meta came in the upload before",
                vec![(2, 1), (3, 2), (3, 3)],
                "2@1 3@2 3@3",
            ),
            (
                "a bare snapshot cuts too",
                vec![(3, 1), (2, 2), (3, 3)],
                "3@1 | 2@2 3@3",
            ),
            (
                "a meta ending the upload stays in its chunk",
                vec![(3, 1), (3, 2), (4, 3)],
                "3@1 3@2 4@3",
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
        assert!(facts.self_contained && facts.starts_with_snapshot);
        assert_eq!((facts.meta_ms, facts.last_meta_ms), (Some(10), Some(10)));
        assert_eq!(facts.first_href, Some((10, "https://x.test/p".to_owned())));
        let bare = Chunk {
            events: vec![ev(2, 30), ev(3, 31), ev(4, 40)],
        }
        .facts();
        assert!(!bare.self_contained && bare.starts_with_snapshot);
        assert_eq!((bare.meta_ms, bare.last_meta_ms), (None, Some(40)));
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

        let stored = chunk.encode(None);
        let back = decode(&stored, None, 1 << 20).unwrap();
        let texts: Vec<&str> = back.iter().map(Event::json).collect();
        let orig: Vec<&str> = chunk.events.iter().map(Event::json).collect();
        assert_eq!(texts, orig);
        assert!(matches!(
            decode(&stored, None, 10),
            Err(ChunkDecodeError::TooLarge { .. })
        ));
        assert!(matches!(
            decode(b"garbage", None, 1 << 20),
            Err(ChunkDecodeError::Corrupt)
        ));
    }

    /// A page load that repeats an earlier one: the same snapshot with a different time.
    fn page_load(ts: i64, css: &str) -> Chunk {
        let meta = format!(
            r#"{{"type":4,"data":{{"href":"https://x.test/","width":1280,"height":800}},"timestamp":{ts}}}"#
        );
        let snap = format!(
            r#"{{"type":2,"data":{{"node":{{"type":0,"id":1,"childNodes":[{{"type":2,"tagName":"style","attributes":{{"_cssText":"{css}"}},"childNodes":[],"id":2}}]}},"initialOffset":{{"top":0,"left":0}}}},"timestamp":{ts}}}"#
        );
        Chunk {
            events: vec![Event::parse(&meta).unwrap(), Event::parse(&snap).unwrap()],
        }
    }

    #[test]
    fn dictionary_round_trip_and_gain() {
        // Pseudo-random CSS that zstd cannot shrink much by itself.
        let mut seed = 7u64;
        let css: String = (0..20_000)
            .map(|_| {
                seed = seed.wrapping_mul(6_364_136_223_846_793_005).wrapping_add(1);
                char::from(b'a' + (seed >> 59) as u8)
            })
            .collect();
        let first = page_load(1_000, &css);
        let dict = first.plain();
        let later = page_load(9_000, &css);

        let alone = later.encode(None);
        let with_dict = later.encode(Some(&dict));
        assert!(
            with_dict.len() * 10 < alone.len(),
            "{} vs {}",
            with_dict.len(),
            alone.len()
        );

        let back = decode(&with_dict, Some(&dict), 1 << 20).unwrap();
        let texts: Vec<&str> = back.iter().map(Event::json).collect();
        let orig: Vec<&str> = later.events.iter().map(Event::json).collect();
        assert_eq!(texts, orig);
        assert!(
            decode(&with_dict, None, 1 << 20).is_err(),
            "needs its dictionary"
        );
        assert!(decode(&with_dict, Some(b"another dictionary"), 1 << 20).is_err());
    }
}
