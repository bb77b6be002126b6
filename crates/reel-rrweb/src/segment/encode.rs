//! The encoder: the exactly reversible transform of each event's JSON text (delta-coded ids
//! and timestamps, large strings cut out into pieces), checked by decoding every transformed
//! event; then the header and zstd. Also how a piece is stored.

use std::collections::HashMap;

use xxhash_rust::xxh3::xxh3_64;

use super::decode::{SliceInput, decode_body};
use super::{
    EncodedSegment, M_END, M_ID, M_PARENT, M_PIECE, M_SIBLING, M_TIMESTAMP, M_VERBATIM, MAGIC,
    MAX_WINDOW_LOG, PIECE_MAGIC, PIECE_VERSION, Piece, Registers, SegmentOptions, VERSION,
    content_checksum, format_i64, is_special, piece_hash,
};

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
