//! The decoder: header and piece table, then the zstd body streamed a buffer at a time, each
//! event rebuilt from its text and markers, within the caller's output limit; the content
//! checksum is checked at the end. Never panics, never recurses.

use std::io::Read;
use std::sync::Arc;

use xxhash_rust::xxh3::xxh3_64;

use super::{
    M_END, M_PIECE, M_VERBATIM, MAGIC, MAX_WINDOW_LOG, PIECE_MAGIC, PIECE_VERSION, PieceRef,
    Registers, SegmentError, SegmentInfo, VERSION, content_checksum, format_i64, is_special,
};

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

/// A source of body bytes: a slice (the encoder's check) or the zstd stream.
pub(super) trait Input {
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

pub(super) struct SliceInput<'a> {
    pub(super) data: &'a [u8],
    pub(super) pos: usize,
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

/// Decodes one transformed event (after its first byte was found not to be `M_VERBATIM`) up
/// to and including its `M_END`, failing once `out` would exceed `max` bytes.
pub(super) fn decode_body<'p>(
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
