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

use std::collections::HashMap;
use std::io::Read;
use std::ops::Range;
use std::sync::Arc;

use sha2::{Digest, Sha256};
use xxhash_rust::xxh3::{Xxh3, xxh3_64};

use crate::event::{Event, EventKind};

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

// ---------------------------------------------------------------------------------------------
// Encoding

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

/// The number marker for a key's value, if it is one reel delta-codes. `depth` is the nesting
/// depth of the object holding the key (1: the event itself).
fn number_marker(key: &[u8], depth: usize) -> Option<u8> {
    match key {
        b"id" => Some(M_ID),
        b"parentId" => Some(M_PARENT),
        b"nextId" | b"previousId" => Some(M_SIBLING),
        b"timestamp" if depth == 1 => Some(M_TIMESTAMP),
        _ => None,
    }
}

/// The value of an integer token written canonically (`-?(0|[1-9][0-9]*)`, not `-0`, within
/// `i64`): exactly the tokens that formatting their value gives back.
fn canonical_int(token: &[u8]) -> Option<i64> {
    let digits = token.strip_prefix(b"-").unwrap_or(token);
    if digits.is_empty() || digits.len() > 19 || !digits.iter().all(u8::is_ascii_digit) {
        return None;
    }
    if digits[0] == b'0' && token.len() > 1 {
        return None; // leading zero, or "-0"
    }
    std::str::from_utf8(token).ok()?.parse::<i64>().ok()
}

fn put_varint(out: &mut Vec<u8>, mut v: u64) {
    while v >= 0x80 {
        out.push((v as u8) | 0x80);
        v >>= 7;
    }
    out.push(v as u8);
}

/// Index of the closing quote of the string whose content starts at `from`.
fn string_end(b: &[u8], from: usize) -> Option<usize> {
    let mut i = from;
    while i < b.len() {
        let p = b[i..].iter().position(|&c| c == b'"' || c == b'\\')?;
        let at = i + p;
        if b[at] == b'"' {
            return Some(at);
        }
        i = at + 2;
    }
    None
}

struct Encoder<'o> {
    options: &'o SegmentOptions,
    regs: Registers,
    pieces: Vec<Piece>,
    piece_index: HashMap<[u8; 16], usize>,
    stream: Vec<u8>,
    verbatim: usize,
    scratch: Vec<u8>,
}

impl Encoder<'_> {
    fn push_event(&mut self, text: &str) {
        let start = self.stream.len();
        let regs = self.regs;
        let pieces = self.pieces.len();
        if self.transform(text.as_bytes()) && self.verify(start, regs, text.as_bytes()) {
            return;
        }
        // Undo what the transform did and keep the event as it is.
        self.stream.truncate(start);
        self.regs = regs;
        for piece in self.pieces.drain(pieces..) {
            self.piece_index.remove(&piece.hash);
        }
        self.stream.push(M_VERBATIM);
        put_varint(&mut self.stream, text.len() as u64);
        self.stream.extend_from_slice(text.as_bytes());
        self.verbatim += 1;
    }

    fn emit_number(&mut self, marker: u8, value: i64) {
        let (register, update) = self.regs.slot(marker).expect("a number marker");
        let delta = value.wrapping_sub(*register);
        if update {
            *register = value;
        }
        self.stream.push(marker);
        let mut buf = [0u8; 20];
        self.stream.extend_from_slice(format_i64(delta, &mut buf));
    }

    fn emit_piece(&mut self, bytes: &[u8]) {
        let hash = piece_hash(bytes);
        let next = self.pieces.len();
        let index = *self.piece_index.entry(hash).or_insert(next);
        if index == next {
            self.pieces.push(Piece {
                hash,
                bytes: bytes.to_vec(),
            });
        }
        self.stream.push(M_PIECE);
        put_varint(&mut self.stream, index as u64);
    }

    /// Appends the transformed form of `b`, or returns `false` when it must stay verbatim.
    ///
    /// A flat scan: strings are skipped as units (a string followed by `:` is a key and names
    /// the next value), number tokens after a delta-coded key become number markers when
    /// canonical, long string values become piece markers, everything else is copied. It does
    /// not validate JSON: whatever it does is checked by [`Encoder::verify`].
    fn transform(&mut self, b: &[u8]) -> bool {
        if b.iter().any(|&c| is_special(c)) {
            return false;
        }
        let min_piece = self.options.piece_min_bytes;
        let (mut i, mut copied, mut depth) = (0, 0, 0usize);
        let mut pending: Option<u8> = None;
        while i < b.len() {
            match b[i] {
                b'"' => {
                    let Some(end) = string_end(b, i + 1) else {
                        return false;
                    };
                    let mut j = end + 1;
                    while j < b.len() && matches!(b[j], b' ' | b'\t' | b'\n' | b'\r') {
                        j += 1;
                    }
                    if b.get(j) == Some(&b':') {
                        pending = number_marker(&b[i + 1..end], depth);
                        i = j + 1;
                        continue;
                    }
                    pending = None;
                    if min_piece > 0 && end - (i + 1) >= min_piece {
                        self.stream.extend_from_slice(&b[copied..=i]);
                        self.emit_piece(&b[i + 1..end]);
                        copied = end;
                    }
                    i = end + 1;
                }
                b'-' | b'0'..=b'9' => {
                    let mut j = i + 1;
                    while j < b.len()
                        && matches!(b[j], b'0'..=b'9' | b'-' | b'+' | b'.' | b'e' | b'E')
                    {
                        j += 1;
                    }
                    if let Some(marker) = pending.take()
                        && let Some(value) = canonical_int(&b[i..j])
                    {
                        self.stream.extend_from_slice(&b[copied..i]);
                        self.emit_number(marker, value);
                        copied = j;
                    }
                    i = j;
                }
                b'{' | b'[' => {
                    depth += 1;
                    pending = None;
                    i += 1;
                }
                b'}' | b']' => {
                    depth = depth.saturating_sub(1);
                    pending = None;
                    i += 1;
                }
                b' ' | b'\t' | b'\n' | b'\r' => i += 1,
                _ => {
                    pending = None;
                    i += 1;
                }
            }
        }
        self.stream.extend_from_slice(&b[copied..]);
        self.stream.push(M_END);
        true
    }

    /// Decodes the event just transformed (from `start`, with the registers it started with)
    /// and compares it with the original.
    fn verify(&mut self, start: usize, mut regs: Registers, original: &[u8]) -> bool {
        let mut out = std::mem::take(&mut self.scratch);
        out.clear();
        let pieces = &self.pieces;
        let mut input = SliceInput {
            data: &self.stream[start..],
            pos: 0,
        };
        let ok = decode_body(
            &mut input,
            &mut regs,
            |i| pieces.get(i).map(|p| p.bytes.as_slice()),
            &mut out,
            original.len(),
        )
        .is_ok()
            && input.pos == input.data.len()
            && out == original;
        self.scratch = out;
        ok
    }
}

fn content_checksum<'a>(events: impl Iterator<Item = &'a [u8]>) -> u64 {
    let mut hasher = Xxh3::new();
    for e in events {
        hasher.update(&(e.len() as u64).to_le_bytes());
        hasher.update(e);
    }
    hasher.digest()
}

/// Encodes a time-ordered run of events (each one's JSON text as received) into a segment.
/// Never fails: an event the transform cannot give back exactly is kept verbatim.
pub fn encode_segment(events: &[&str], options: &SegmentOptions) -> EncodedSegment {
    let mut enc = Encoder {
        options,
        regs: Registers::default(),
        pieces: Vec::new(),
        piece_index: HashMap::new(),
        stream: Vec::new(),
        verbatim: 0,
        scratch: Vec::new(),
    };
    let mut raw_bytes = 0usize;
    for e in events {
        raw_bytes += e.len();
        enc.push_event(e);
    }

    let mut bytes = Vec::with_capacity(enc.stream.len() / 4 + 64);
    bytes.extend_from_slice(MAGIC);
    bytes.push(VERSION);
    bytes.push(0);
    put_varint(&mut bytes, events.len() as u64);
    put_varint(&mut bytes, raw_bytes as u64);
    put_varint(&mut bytes, enc.pieces.len() as u64);
    for p in &enc.pieces {
        bytes.extend_from_slice(&p.hash);
        put_varint(&mut bytes, p.bytes.len() as u64);
    }
    let checksum = content_checksum(events.iter().map(|e| e.as_bytes()));
    bytes.extend_from_slice(&checksum.to_le_bytes());
    let header_checksum = xxh3_64(&bytes);
    bytes.extend_from_slice(&header_checksum.to_le_bytes());
    bytes.extend_from_slice(&compress(
        &enc.stream,
        options.zstd_level,
        options.window_log,
    ));
    EncodedSegment {
        bytes,
        pieces: enc.pieces,
        raw_bytes,
        verbatim_events: enc.verbatim,
    }
}

fn compress(data: &[u8], level: i32, window_log: u32) -> Vec<u8> {
    use zstd::zstd_safe::CParameter;
    let mut c = zstd::bulk::Compressor::new(level).expect("zstd accepts any level");
    for parameter in [
        CParameter::ChecksumFlag(true),
        CParameter::EnableLongDistanceMatching(true),
        CParameter::WindowLog(window_log.clamp(10, MAX_WINDOW_LOG)),
    ] {
        c.set_parameter(parameter).expect("a valid zstd parameter");
    }
    c.compress(data)
        .expect("zstd compression of memory cannot fail")
}

/// Stores a piece: zstd at level 19 (content checksum on), behind a versioned header.
pub fn compress_piece(piece: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(piece.len() / 3 + 16);
    out.extend_from_slice(PIECE_MAGIC);
    out.push(PIECE_VERSION);
    out.extend_from_slice(&compress(piece, 19, MAX_WINDOW_LOG));
    out
}

/// Reads a stored piece back, refusing to produce more than `limit` bytes.
pub fn decompress_piece(stored: &[u8], limit: usize) -> Result<Vec<u8>, SegmentError> {
    if stored.len() < 5 || &stored[..4] != PIECE_MAGIC || stored[4] != PIECE_VERSION {
        return Err(SegmentError::UnknownFormat);
    }
    let mut input = StreamInput::new(&stored[5..])?;
    let mut out = Vec::new();
    loop {
        if input.pos == input.end && !input.refill()? {
            return Ok(out);
        }
        let chunk = &input.buf[input.pos..input.end];
        if out.len() + chunk.len() > limit {
            return Err(SegmentError::TooLarge { limit });
        }
        out.extend_from_slice(chunk);
        input.pos = input.end;
    }
}

// ---------------------------------------------------------------------------------------------
// Decoding

/// A source of body bytes: a slice (the encoder's check) or the zstd stream.
trait Input {
    /// The next byte, not consumed; `None` at the end of the data.
    fn peek(&mut self) -> Result<Option<u8>, SegmentError>;
    /// The next byte; `Corrupt` at the end of the data.
    fn byte(&mut self) -> Result<u8, SegmentError>;
    /// Copies bytes up to the next marker byte (or the end of the data) into `out`, failing
    /// once `out` would hold more than `max` bytes.
    fn copy_text(&mut self, out: &mut Vec<u8>, max: usize) -> Result<(), SegmentError>;
    /// Copies exactly `n` bytes into `out`.
    fn copy_exact(&mut self, n: usize, out: &mut Vec<u8>) -> Result<(), SegmentError>;
}

/// Position of the first marker byte in `b`, eight bytes at a time.
fn find_special(b: &[u8]) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let mut i = 0;
    while i + 8 <= b.len() {
        let mut word = [0u8; 8];
        word.copy_from_slice(&b[i..i + 8]);
        let w = u64::from_le_bytes(word);
        // Flags every byte below 0x20 (and maybe bytes above a flagged one): check them.
        let below = w.wrapping_sub(LO * 0x20) & !w & HI;
        if below != 0 {
            let first = i + (below.trailing_zeros() / 8) as usize;
            if let Some(p) = b[first..i + 8].iter().position(|&c| is_special(c)) {
                return Some(first + p);
            }
        }
        i += 8;
    }
    b[i..].iter().position(|&c| is_special(c)).map(|p| i + p)
}

struct SliceInput<'a> {
    data: &'a [u8],
    pos: usize,
}

impl Input for SliceInput<'_> {
    fn peek(&mut self) -> Result<Option<u8>, SegmentError> {
        Ok(self.data.get(self.pos).copied())
    }

    fn byte(&mut self) -> Result<u8, SegmentError> {
        let b = *self.data.get(self.pos).ok_or(SegmentError::Corrupt)?;
        self.pos += 1;
        Ok(b)
    }

    fn copy_text(&mut self, out: &mut Vec<u8>, max: usize) -> Result<(), SegmentError> {
        let rest = &self.data[self.pos..];
        let n = find_special(rest).unwrap_or(rest.len());
        if out.len() + n > max {
            return Err(SegmentError::TooLarge { limit: max });
        }
        out.extend_from_slice(&rest[..n]);
        self.pos += n;
        Ok(())
    }

    fn copy_exact(&mut self, n: usize, out: &mut Vec<u8>) -> Result<(), SegmentError> {
        let rest = &self.data[self.pos..];
        let bytes = rest.get(..n).ok_or(SegmentError::Corrupt)?;
        out.extend_from_slice(bytes);
        self.pos += n;
        Ok(())
    }
}

/// The zstd body, decompressed a buffer at a time.
struct StreamInput<'a> {
    decoder: zstd::stream::read::Decoder<'static, &'a [u8]>,
    buf: Vec<u8>,
    pos: usize,
    end: usize,
}

impl<'a> StreamInput<'a> {
    fn new(frame: &'a [u8]) -> Result<Self, SegmentError> {
        let mut decoder =
            zstd::stream::read::Decoder::with_buffer(frame).map_err(|_| SegmentError::Corrupt)?;
        decoder
            .window_log_max(MAX_WINDOW_LOG)
            .map_err(|_| SegmentError::Corrupt)?;
        Ok(Self {
            decoder,
            buf: vec![0; 128 * 1024],
            pos: 0,
            end: 0,
        })
    }

    /// Reads more; `false` at the end of the frame (its checksum then verified).
    fn refill(&mut self) -> Result<bool, SegmentError> {
        loop {
            match self.decoder.read(&mut self.buf) {
                Ok(n) => {
                    self.pos = 0;
                    self.end = n;
                    return Ok(n > 0);
                }
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(_) => return Err(SegmentError::Corrupt),
            }
        }
    }

    fn at_end(&mut self) -> Result<bool, SegmentError> {
        Ok(self.pos == self.end && !self.refill()?)
    }
}

impl Input for StreamInput<'_> {
    fn peek(&mut self) -> Result<Option<u8>, SegmentError> {
        if self.pos == self.end && !self.refill()? {
            return Ok(None);
        }
        Ok(Some(self.buf[self.pos]))
    }

    fn byte(&mut self) -> Result<u8, SegmentError> {
        let b = self.peek()?.ok_or(SegmentError::Corrupt)?;
        self.pos += 1;
        Ok(b)
    }

    fn copy_text(&mut self, out: &mut Vec<u8>, max: usize) -> Result<(), SegmentError> {
        loop {
            if self.pos == self.end && !self.refill()? {
                return Ok(());
            }
            let rest = &self.buf[self.pos..self.end];
            let (n, found) = match find_special(rest) {
                Some(n) => (n, true),
                None => (rest.len(), false),
            };
            if out.len() + n > max {
                return Err(SegmentError::TooLarge { limit: max });
            }
            out.extend_from_slice(&rest[..n]);
            self.pos += n;
            if found {
                return Ok(());
            }
        }
    }

    fn copy_exact(&mut self, mut n: usize, out: &mut Vec<u8>) -> Result<(), SegmentError> {
        while n > 0 {
            if self.pos == self.end && !self.refill()? {
                return Err(SegmentError::Corrupt);
            }
            let take = n.min(self.end - self.pos);
            out.extend_from_slice(&self.buf[self.pos..self.pos + take]);
            self.pos += take;
            n -= take;
        }
        Ok(())
    }
}

/// A decimal `i64` (`-?[0-9]+`), read up to the first byte that is not a digit.
fn read_decimal(input: &mut impl Input) -> Result<i64, SegmentError> {
    let negative = input.peek()? == Some(b'-');
    if negative {
        input.byte()?;
    }
    let mut magnitude: u64 = 0;
    let mut digits = 0;
    while let Some(d @ b'0'..=b'9') = input.peek()? {
        input.byte()?;
        magnitude = magnitude
            .checked_mul(10)
            .and_then(|m| m.checked_add(u64::from(d - b'0')))
            .ok_or(SegmentError::Corrupt)?;
        digits += 1;
    }
    if digits == 0 {
        return Err(SegmentError::Corrupt);
    }
    if negative {
        0i64.checked_sub_unsigned(magnitude)
            .ok_or(SegmentError::Corrupt)
    } else {
        i64::try_from(magnitude).map_err(|_| SegmentError::Corrupt)
    }
}

fn read_varint(input: &mut impl Input) -> Result<u64, SegmentError> {
    let mut v = 0u64;
    for shift in (0..70).step_by(7) {
        let b = input.byte()?;
        if shift == 63 && b > 1 {
            return Err(SegmentError::Corrupt);
        }
        v |= u64::from(b & 0x7F) << shift;
        if b & 0x80 == 0 {
            return Ok(v);
        }
    }
    Err(SegmentError::Corrupt)
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

/// Decodes one transformed event (after its first byte was found not to be `M_VERBATIM`) up
/// to and including its `M_END`, failing once `out` would exceed `max` bytes.
fn decode_body<'p>(
    input: &mut impl Input,
    regs: &mut Registers,
    piece: impl Fn(usize) -> Option<&'p [u8]>,
    out: &mut Vec<u8>,
    max: usize,
) -> Result<(), SegmentError> {
    loop {
        input.copy_text(out, max)?;
        let marker = input.byte()?;
        match marker {
            M_END => return Ok(()),
            M_PIECE => {
                let bytes = usize::try_from(read_varint(input)?)
                    .ok()
                    .and_then(&piece)
                    .ok_or(SegmentError::Corrupt)?;
                if out.len() + bytes.len() > max {
                    return Err(SegmentError::TooLarge { limit: max });
                }
                out.extend_from_slice(bytes);
            }
            _ => {
                let (register, update) = regs.slot(marker).ok_or(SegmentError::Corrupt)?;
                let value = register.wrapping_add(read_decimal(input)?);
                if update {
                    *register = value;
                }
                let mut buf = [0u8; 20];
                let text = format_i64(value, &mut buf);
                if out.len() + text.len() > max {
                    return Err(SegmentError::TooLarge { limit: max });
                }
                out.extend_from_slice(text);
            }
        }
    }
}

struct Header {
    info: SegmentInfo,
    checksum: u64,
    body: usize,
}

fn parse_header(s: &[u8]) -> Result<Header, SegmentError> {
    if s.len() < 6 || &s[..4] != MAGIC || s[4] != VERSION || s[5] != 0 {
        return Err(SegmentError::UnknownFormat);
    }
    let mut input = SliceInput { data: s, pos: 6 };
    let mut count = || -> Result<usize, SegmentError> {
        usize::try_from(read_varint(&mut input)?).map_err(|_| SegmentError::Corrupt)
    };
    let event_count = count()?;
    let raw_bytes = count()?;
    let piece_count = count()?;
    // Each entry takes at least 17 bytes: a lying count cannot make a large allocation.
    if piece_count > s.len() / 17 {
        return Err(SegmentError::Corrupt);
    }
    let mut pieces = Vec::with_capacity(piece_count);
    for _ in 0..piece_count {
        let hash: [u8; 16] = input
            .data
            .get(input.pos..input.pos + 16)
            .and_then(|h| h.try_into().ok())
            .ok_or(SegmentError::Corrupt)?;
        input.pos += 16;
        let len = usize::try_from(read_varint(&mut input)?).map_err(|_| SegmentError::Corrupt)?;
        pieces.push(PieceRef { hash, len });
    }
    let pos = input.pos;
    let word = |at: usize| -> Result<u64, SegmentError> {
        let b: [u8; 8] = s
            .get(at..at + 8)
            .and_then(|b| b.try_into().ok())
            .ok_or(SegmentError::Corrupt)?;
        Ok(u64::from_le_bytes(b))
    };
    let checksum = word(pos)?;
    if word(pos + 8)? != xxh3_64(&s[..pos + 8]) {
        return Err(SegmentError::Corrupt);
    }
    Ok(Header {
        info: SegmentInfo {
            event_count,
            raw_bytes,
            pieces,
        },
        checksum,
        body: pos + 16,
    })
}

/// A segment's header: event count, raw size and the pieces it needs.
pub fn segment_info(segment: &[u8]) -> Result<SegmentInfo, SegmentError> {
    parse_header(segment).map(|h| h.info)
}

/// The pieces to fetch before decoding `segment`, each once.
pub fn piece_hashes(segment: &[u8]) -> Result<Vec<[u8; 16]>, SegmentError> {
    Ok(segment_info(segment)?
        .pieces
        .into_iter()
        .map(|p| p.hash)
        .collect())
}

/// Decodes a segment into its events' original texts, in order. `piece` returns the bytes of
/// a piece by hash (as [`decompress_piece`] gives them back); it is asked once per piece of the
/// table before any decompression. Fails with [`SegmentError::TooLarge`] before producing more
/// than `limit` bytes (event lengths plus one per event).
#[allow(clippy::type_complexity)]
pub fn decode_segment(
    segment: &[u8],
    piece: &mut dyn FnMut(&[u8; 16]) -> Option<Arc<[u8]>>,
    limit: usize,
) -> Result<Vec<String>, SegmentError> {
    let header = parse_header(segment)?;
    let info = &header.info;
    if info.raw_bytes.saturating_add(info.event_count) > limit {
        return Err(SegmentError::TooLarge { limit });
    }
    let mut resolved: Vec<Arc<[u8]>> = Vec::with_capacity(info.pieces.len());
    for p in &info.pieces {
        let bytes = piece(&p.hash).ok_or(SegmentError::MissingPiece(p.hash))?;
        if bytes.len() != p.len {
            return Err(SegmentError::Corrupt);
        }
        resolved.push(bytes);
    }

    let mut input = StreamInput::new(&segment[header.body..])?;
    let mut regs = Registers::default();
    let mut events = Vec::with_capacity(info.event_count.min(1 << 16));
    let mut used = 0usize;
    while !input.at_end()? {
        // Every event costs its length plus one.
        let max = limit
            .checked_sub(used + 1)
            .ok_or(SegmentError::TooLarge { limit })?;
        let mut out = Vec::new();
        if input.peek()? == Some(M_VERBATIM) {
            input.pos += 1;
            let n = usize::try_from(read_varint(&mut input)?).map_err(|_| SegmentError::Corrupt)?;
            if n > max {
                return Err(SegmentError::TooLarge { limit });
            }
            input.copy_exact(n, &mut out)?;
        } else {
            decode_body(
                &mut input,
                &mut regs,
                |i| resolved.get(i).map(|p| &p[..]),
                &mut out,
                max,
            )
            .map_err(|e| match e {
                SegmentError::TooLarge { .. } => SegmentError::TooLarge { limit },
                other => other,
            })?;
        }
        used += out.len() + 1;
        events.push(String::from_utf8(out).map_err(|_| SegmentError::Corrupt)?);
        if events.len() > info.event_count {
            return Err(SegmentError::Corrupt);
        }
    }
    if events.len() != info.event_count
        || used != info.raw_bytes + info.event_count
        || content_checksum(events.iter().map(|e| e.as_bytes())) != header.checksum
    {
        return Err(SegmentError::Corrupt);
    }
    Ok(events)
}

/// The decompressed body stream of a segment (at most `limit` bytes), for measurements only:
/// its layout is the format's business.
#[doc(hidden)]
pub fn segment_stream(segment: &[u8], limit: usize) -> Result<Vec<u8>, SegmentError> {
    let header = parse_header(segment)?;
    let mut input = StreamInput::new(&segment[header.body..])?;
    let mut out = Vec::new();
    while !input.at_end()? {
        let chunk = &input.buf[input.pos..input.end];
        if out.len() + chunk.len() > limit {
            return Err(SegmentError::TooLarge { limit });
        }
        out.extend_from_slice(chunk);
        input.pos = input.end;
    }
    Ok(out)
}

// ---------------------------------------------------------------------------------------------
// Cutting a session into segments

/// Where a time-ordered session is cut into segments: each range starts at a keyframe (a Meta
/// directly followed by a FullSnapshot) — except the first, which starts at the first event —
/// and takes whole keyframe-to-keyframe runs while its raw size stays within
/// `target_raw_bytes`. A run larger than the target is a segment of its own.
pub fn plan_segments(events: &[Event], target_raw_bytes: usize) -> Vec<Range<usize>> {
    let is_key = |i: usize| {
        events[i].kind == EventKind::Meta
            && events
                .get(i + 1)
                .is_some_and(|e| e.kind == EventKind::FullSnapshot)
    };
    // Keyframe-to-keyframe runs, with their sizes.
    let mut runs: Vec<(Range<usize>, usize)> = Vec::new();
    for (i, e) in events.iter().enumerate() {
        if i == 0 || is_key(i) {
            runs.push((i..i, 0));
        }
        let last = runs.last_mut().expect("a run was started at 0");
        last.0.end = i + 1;
        last.1 += e.json().len();
    }
    let mut segments: Vec<(Range<usize>, usize)> = Vec::new();
    for (run, size) in runs {
        match segments.last_mut() {
            Some((range, total)) if *total + size <= target_raw_bytes => {
                range.end = run.end;
                *total += size;
            }
            _ => segments.push((run, size)),
        }
    }
    segments.into_iter().map(|(r, _)| r).collect()
}
