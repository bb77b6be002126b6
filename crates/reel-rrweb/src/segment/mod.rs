//! Segments: the compacted, long-term form of a recording.
//!
//! After a session goes idle, its per-upload chunks are rewritten into segments. A segment holds
//! a time-ordered run of events that starts at a keyframe (a Meta + FullSnapshot pair, see
//! [`plan_segments`]) and is encoded by a structure-aware, exactly reversible transform followed
//! by strong zstd compression. Large strings are cut out into *pieces*: content-addressed blobs
//! that the server stores once per project and that any number of segments refer to.
//!
//! # Invariants
//!
//! - **Byte-exact.** [`decode_segment`] returns each event's original text, byte for byte, as it
//!   was given to [`encode_segment`] — whatever it contains: whitespace, escapes such as `\u00e9`
//!   or lone surrogates, numbers such as `1.50`, `1e3` or `-0`, integers beyond `i64`. The
//!   transform works on the JSON *text* (a flat tokenizer, never a parse tree that would be
//!   re-serialized), only rewrites tokens whose canonical form round-trips, and the encoder
//!   decodes every event it transformed and compares: an event that would not come back exactly
//!   (or is not JSON at all) is stored verbatim. A checksum of all event texts, kept in the
//!   header, is checked after decoding, so a wrong piece or a damaged segment is an error, never
//!   a wrong replay.
//! - **Bounded and total decoding.** Decoding never panics on any input, never recurses, stops
//!   as soon as the output would exceed the caller's `limit` (the events' bytes plus one per
//!   event, as in newline-delimited form), holds only a small decompression buffer beyond the
//!   output, and bounds zstd's window ([`MAX_WINDOW_LOG`]). Corrupt, truncated or trailing
//!   data, an unknown version, a missing piece or a piece of the wrong length are errors.
//! - **Deterministic.** The same events and options give the same bytes: fixed hash functions,
//!   explicit byte order (LEB128 varints, little-endian checksums), no iteration over hash maps.
//!
//! # Why each transform exists
//!
//! Measured on rrweb sessions (admin, docs and shop sites; see `examples/segment_size.rs`):
//!
//! - **Node ids are delta-coded.** Most bytes of interactive pages are mutation `adds`, and
//!   with ids left out almost every added subtree was seen before in the session (re-rendered
//!   rows, lists, dialogs). But ids climb steadily, so each repeat differs in every id and a
//!   general compressor finds only short matches. Written as differences, ids of a repeated
//!   structure become the same bytes: `id` relative to the previous `id`, `parentId` relative
//!   to the previous `parentId`, `nextId`/`previousId` relative to the previous `id`.
//! - **Event timestamps are delta-coded** (the top-level `timestamp` of each event, relative to
//!   the previous one): 13 climbing digits become the few digits of the gap.
//! - **Large strings become pieces.** `_cssText`, style text, `data:` URLs and big text nodes
//!   are most of a snapshot's bytes and repeat across page loads, sessions and segments.
//!   A string value of at least [`SegmentOptions::piece_min_bytes`] bytes (as written, between
//!   its quotes) is replaced by a reference to a piece whose bytes are exactly that text, and
//!   whose hash is its address: identical strings in any segment of any session are stored
//!   once. Pieces use a cryptographic hash (SHA-256, first 16 bytes) because clients choose
//!   their content and pieces are shared across sessions: a crafted collision must not be able
//!   to put one client's text into another client's replay.
//! - **zstd at a high level with long-distance matching** finds the repeats inside a segment
//!   (typically several page loads), which is where the delta coding pays.
//!
//! Tried and not kept (segment bytes on the workload): a single register for all four id
//! keys (+12 %), every id key relative to the last `id` (+6 %), a register per key (same size,
//! more state); deltas as zigzag varints instead of decimal text (+1.6 %: zstd models digits
//! among JSON text better); pieces from 1 KiB or 4 KiB instead of 2 KiB (within 1 %: 2 KiB
//! keeps small strings, which rarely repeat across sessions, out of the piece store).
//! Not done yet: sharing structure across sessions. `segment_size` with `WHAT_IF=1` measures
//! it: a session's segment bodies compressed against its site's earlier sessions shrink by
//! about 40 %; the full snapshots alone (the most that pieces made of large element subtrees
//! could share) account for about two thirds of that. Either would be a new format version.
//!
//! # Format (version 1)
//!
//! ```text
//! segment  = "RLSG" version:u8(=1) flags:u8(=0)
//!            event_count:varint raw_bytes:varint piece_count:varint
//!            piece_count × (hash:[u8;16] length:varint)
//!            content_checksum:u64le   xxh3-64 over each event as (length:u64le, bytes)
//!            header_checksum:u64le    xxh3-64 of every header byte before it
//!            body: one zstd frame (content checksum on, window ≤ 2^27) of the stream below
//! stream   = event*                   exactly event_count of them, nothing after
//! event    = 0x1F length:varint byte*  an event kept verbatim
//!          | (text | marker)* 0x1E     a transformed event
//! text     = any byte but 0x00..=0x1F; 0x09, 0x0A, 0x0D are text too (other control
//!            bytes are markers or invalid)
//! marker   = 0x01 delta                an `id`: R_ID + delta; then R_ID = it
//!          | 0x02 delta                a `parentId`: R_PARENT + delta; then R_PARENT = it
//!          | 0x03 delta                a `nextId`/`previousId`: R_ID + delta
//!          | 0x04 delta                an event's `timestamp`: R_TS + delta; then R_TS = it
//!          | 0x05 index:varint         the bytes of piece `index` of the header's table
//! delta    = "-"? digit+               an i64 in decimal, read up to the first non-digit
//! ```
//!
//! Varints are LEB128 (at most 10 bytes). Registers are `i64`, start at 0 in each segment and
//! wrap on overflow; a number marker writes its value in canonical decimal. A delta needs no
//! terminator: the token it replaced was a whole JSON number, so the text after it never starts
//! with a digit. Every marker byte is a control character that valid JSON text cannot contain
//! raw, inside or outside strings, so a transformed event is its own text with some tokens
//! swapped for markers. The piece table lists each piece once, in order of first use. A stored piece ([`compress_piece`]) is
//! `"RLPC" version:u8(=1)` followed by one zstd frame with a content checksum.
//!
//! # Rooms
//!
//! This file: the format's constants, the public types, what encoder and decoder share (the
//! delta registers, marker bytes, canonical decimals, the content checksum). `encode`: the
//! transform and [`encode_segment`], piece storage. `decode`: [`decode_segment`] and the
//! header readers. `plan`: [`plan_segments`], where a session is cut.

mod decode;
mod encode;
mod plan;
#[cfg(test)]
mod tests;

use sha2::{Digest, Sha256};
use xxhash_rust::xxh3::Xxh3;

pub use decode::{decode_segment, decompress_piece, piece_hashes, segment_info, segment_stream};
pub use encode::{compress_piece, encode_segment};
pub use plan::plan_segments;

const MAGIC: &[u8; 4] = b"RLSG";
const VERSION: u8 = 1;
const PIECE_MAGIC: &[u8; 4] = b"RLPC";
const PIECE_VERSION: u8 = 1;

/// The largest zstd window a segment or piece may use (128 MiB), and so the most memory a
/// decoder's window takes.
pub const MAX_WINDOW_LOG: u32 = 27;

const M_ID: u8 = 0x01;
const M_PARENT: u8 = 0x02;
const M_SIBLING: u8 = 0x03;
const M_TIMESTAMP: u8 = 0x04;
const M_PIECE: u8 = 0x05;
const M_END: u8 = 0x1E;
const M_VERBATIM: u8 = 0x1F;

/// How segments are encoded. The defaults are what reel stores; the decoder needs none of it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentOptions {
    /// zstd level of the segment body (19: strong and still fast to decode).
    pub zstd_level: i32,
    /// log2 of zstd's window, clamped to 10..=[`MAX_WINDOW_LOG`]; zstd shrinks it to the
    /// body's size. Long-distance matching is always on.
    pub window_log: u32,
    /// A string value this long or longer (bytes between its quotes, as written) becomes a
    /// piece. 0 turns pieces off.
    pub piece_min_bytes: usize,
}

impl Default for SegmentOptions {
    fn default() -> Self {
        Self {
            zstd_level: 19,
            window_log: MAX_WINDOW_LOG,
            piece_min_bytes: 2048,
        }
    }
}

/// A large string cut out of a segment, addressed by its content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Piece {
    /// [`piece_hash`] of `bytes`.
    pub hash: [u8; 16],
    /// Exactly the text it replaces: a JSON string as written between its quotes.
    pub bytes: Vec<u8>,
}

/// What [`encode_segment`] produced.
#[derive(Debug, Clone)]
pub struct EncodedSegment {
    /// The segment object to store.
    pub bytes: Vec<u8>,
    /// The pieces it refers to, each once, in the order of the segment's table. The store keeps
    /// each piece once per project (by hash) and records that this segment uses it.
    pub pieces: Vec<Piece>,
    /// Sum of the events' lengths.
    pub raw_bytes: usize,
    /// Events kept as they are because the transform would not have given them back exactly
    /// (in practice: events that are not JSON text).
    pub verbatim_events: usize,
}

/// A piece a segment refers to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PieceRef {
    pub hash: [u8; 16],
    pub len: usize,
}

/// A segment's header, read without decompressing it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SegmentInfo {
    pub event_count: usize,
    /// Sum of the events' lengths: `raw_bytes + event_count` is the `limit` decoding needs.
    pub raw_bytes: usize,
    pub pieces: Vec<PieceRef>,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SegmentError {
    #[error("not a segment or piece of a known format version")]
    UnknownFormat,
    #[error("segment or piece is corrupt")]
    Corrupt,
    #[error("piece {} is missing", hex(.0))]
    MissingPiece([u8; 16]),
    #[error("decoded data exceeds {limit} bytes")]
    TooLarge { limit: usize },
}

/// Lower-case hex of a piece hash (for keys and messages).
pub fn hex(hash: &[u8; 16]) -> String {
    hash.iter().map(|b| format!("{b:02x}")).collect()
}

/// A piece's address: the first 16 bytes of SHA-256 of its bytes.
pub fn piece_hash(bytes: &[u8]) -> [u8; 16] {
    let digest = Sha256::digest(bytes);
    let mut hash = [0u8; 16];
    hash.copy_from_slice(&digest[..16]);
    hash
}

/// The decoder's state between markers: the delta registers.
#[derive(Clone, Copy, Default)]
struct Registers {
    id: i64,
    parent: i64,
    timestamp: i64,
}

impl Registers {
    /// The register a number marker is relative to, and whether the marker updates it.
    fn slot(&mut self, marker: u8) -> Option<(&mut i64, bool)> {
        match marker {
            M_ID => Some((&mut self.id, true)),
            M_PARENT => Some((&mut self.parent, true)),
            M_SIBLING => Some((&mut self.id, false)),
            M_TIMESTAMP => Some((&mut self.timestamp, true)),
            _ => None,
        }
    }
}

/// Bytes that can never be JSON text: the markers' space.
fn is_special(b: u8) -> bool {
    b < 0x20 && b != b'\t' && b != b'\n' && b != b'\r'
}

fn content_checksum<'a>(events: impl Iterator<Item = &'a [u8]>) -> u64 {
    let mut hasher = Xxh3::new();
    for e in events {
        hasher.update(&(e.len() as u64).to_le_bytes());
        hasher.update(e);
    }
    hasher.digest()
}

/// `v` in decimal, in the tail of `buf` (an `i64` takes at most 20 bytes).
fn format_i64(v: i64, buf: &mut [u8; 20]) -> &[u8] {
    let mut i = buf.len();
    let mut n = v.unsigned_abs();
    loop {
        i -= 1;
        buf[i] = b'0' + (n % 10) as u8;
        n /= 10;
        if n == 0 {
            break;
        }
    }
    if v < 0 {
        i -= 1;
        buf[i] = b'-';
    }
    &buf[i..]
}
