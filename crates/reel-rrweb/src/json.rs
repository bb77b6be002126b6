//! A small pull parser over JSON text, for reading rrweb events without building a value tree.
//!
//! Recordings are mostly large full snapshots, and reel needs only a few fields out of them.
//! This reader walks the text once, hands out strings as borrowed slices that are decoded only
//! when asked ([`JsonStr`]), and skips everything else without allocating.
//!
//! Invariants:
//! - Nothing here recurses: skipping a value keeps a depth counter, so a 100 000-deep nesting
//!   costs a linear scan and no stack.
//! - It never panics on any input (valid UTF-8, as `&str` guarantees). Malformed JSON gives
//!   [`Invalid`]; it is tolerant rather than validating (e.g. `[1}` skips as a value).
//! - Slices are only ever cut at ASCII delimiters, so every `&str` handed out is valid UTF-8.

use std::borrow::Cow;

/// The text is not the JSON the caller was reading.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Invalid;

pub type Res<T> = Result<T, Invalid>;

/// A JSON string as written between its quotes; decoded only on request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct JsonStr<'a> {
    raw: &'a str,
    escaped: bool,
}

impl<'a> JsonStr<'a> {
    /// A string that needs no decoding (tests and constants).
    pub fn plain(raw: &'a str) -> Self {
        Self {
            raw,
            escaped: false,
        }
    }

    /// The text between the quotes, escapes included.
    pub fn raw(&self) -> &'a str {
        self.raw
    }

    pub fn is_empty(&self) -> bool {
        self.raw.is_empty()
    }

    /// Length of the encoded text in bytes: an upper bound of the decoded length.
    pub fn raw_len(&self) -> usize {
        self.raw.len()
    }

    /// The decoded string. Borrowed when there is no escape in it.
    pub fn decode(&self) -> Cow<'a, str> {
        self.decode_prefix(usize::MAX)
    }

    /// At most `max_bytes` of the decoded string (cut at a character boundary), so a capped
    /// copy of a huge string never decodes all of it.
    pub fn decode_prefix(&self, max_bytes: usize) -> Cow<'a, str> {
        if !self.escaped {
            return Cow::Borrowed(truncate_str(self.raw, max_bytes));
        }
        let mut out = String::with_capacity(self.raw.len().min(max_bytes.saturating_add(4)));
        let bytes = self.raw.as_bytes();
        let mut i = 0;
        let mut copied_from = 0;
        while i < bytes.len() {
            if bytes[i] != b'\\' {
                i += 1;
                if out.len() + (i - copied_from) > max_bytes {
                    break;
                }
                continue;
            }
            out.push_str(&self.raw[copied_from..i]);
            let (ch, used) = decode_escape(&bytes[i + 1..]);
            out.push(ch);
            i += 1 + used;
            copied_from = i;
            if out.len() >= max_bytes {
                break;
            }
        }
        // `i` may stop inside a character; copy up to the boundary before it.
        let tail_end = floor_char_boundary(self.raw, i).max(copied_from);
        out.push_str(&self.raw[copied_from..tail_end]);
        let end = floor_char_boundary(&out, max_bytes);
        out.truncate(end);
        Cow::Owned(out)
    }

    /// Whether the decoded string equals `s` (no allocation for unescaped strings).
    pub fn eq_str(&self, s: &str) -> bool {
        if self.escaped {
            self.decode() == s
        } else {
            self.raw == s
        }
    }
}

/// Decodes the escape whose backslash was just before `rest`; returns the character and how
/// many bytes of `rest` it used. Malformed escapes give U+FFFD and use as little as possible,
/// never splitting a UTF-8 sequence.
fn decode_escape(rest: &[u8]) -> (char, usize) {
    let Some(&c) = rest.first() else {
        return ('\u{fffd}', 0);
    };
    match c {
        b'"' => ('"', 1),
        b'\\' => ('\\', 1),
        b'/' => ('/', 1),
        b'b' => ('\u{8}', 1),
        b'f' => ('\u{c}', 1),
        b'n' => ('\n', 1),
        b'r' => ('\r', 1),
        b't' => ('\t', 1),
        b'u' => {
            let Some(hi) = hex4(&rest[1..]) else {
                return ('\u{fffd}', 1);
            };
            if (0xD800..0xDC00).contains(&hi) {
                // A high surrogate: a low one must follow as `\uXXXX`.
                if rest.get(5) == Some(&b'\\')
                    && rest.get(6) == Some(&b'u')
                    && let Some(lo) = hex4(&rest[7..])
                    && (0xDC00..0xE000).contains(&lo)
                {
                    let code = 0x10000 + ((hi - 0xD800) << 10) + (lo - 0xDC00);
                    return (char::from_u32(code).unwrap_or('\u{fffd}'), 11);
                }
                return ('\u{fffd}', 5);
            }
            (char::from_u32(hi).unwrap_or('\u{fffd}'), 5)
        }
        c if c.is_ascii() => ('\u{fffd}', 1),
        // A backslash before a multi-byte character: leave the character to be copied.
        _ => ('\u{fffd}', 0),
    }
}

fn hex4(b: &[u8]) -> Option<u32> {
    let digits = b.get(..4)?;
    let mut v = 0u32;
    for &d in digits {
        v = v * 16 + (d as char).to_digit(16)?;
    }
    Some(v)
}

/// The largest prefix of `s` of at most `max` bytes that ends at a character boundary.
pub fn truncate_str(s: &str, max: usize) -> &str {
    &s[..floor_char_boundary(s, max)]
}

pub fn floor_char_boundary(s: &str, max: usize) -> usize {
    if max >= s.len() {
        return s.len();
    }
    let mut end = max;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    end
}

/// A cursor over JSON text.
pub struct Parser<'a> {
    text: &'a str,
    pos: usize,
}

impl<'a> Parser<'a> {
    pub fn new(text: &'a str) -> Self {
        Self { text, pos: 0 }
    }

    fn bytes(&self) -> &'a [u8] {
        self.text.as_bytes()
    }

    fn skip_ws(&mut self) {
        let bytes = self.bytes();
        while let Some(&b) = bytes.get(self.pos) {
            if matches!(b, b' ' | b'\n' | b'\r' | b'\t') {
                self.pos += 1;
            } else {
                break;
            }
        }
    }

    /// The next significant byte, without consuming it.
    pub fn peek(&mut self) -> Option<u8> {
        self.skip_ws();
        self.bytes().get(self.pos).copied()
    }

    fn expect(&mut self, c: u8) -> Res<()> {
        if self.peek() == Some(c) {
            self.pos += 1;
            Ok(())
        } else {
            Err(Invalid)
        }
    }

    /// Starts an object: `true` after its `{`; `false` when the value is something else, which
    /// is then skipped.
    pub fn begin_object(&mut self) -> Res<bool> {
        if self.peek() == Some(b'{') {
            self.pos += 1;
            Ok(true)
        } else {
            self.skip_value()?;
            Ok(false)
        }
    }

    /// Starts an array: `true` after its `[`; `false` when the value is something else, which is
    /// then skipped.
    pub fn begin_array(&mut self) -> Res<bool> {
        if self.peek() == Some(b'[') {
            self.pos += 1;
            Ok(true)
        } else {
            self.skip_value()?;
            Ok(false)
        }
    }

    /// The next key of the object being read (the reader is then at its value), or `None` after
    /// the closing `}`. `first` starts `true` for each object.
    pub fn next_key(&mut self, first: &mut bool) -> Res<Option<JsonStr<'a>>> {
        if self.peek() == Some(b'}') {
            self.pos += 1;
            return Ok(None);
        }
        if !*first {
            self.expect(b',')?;
        }
        *first = false;
        if self.peek() != Some(b'"') {
            return Err(Invalid);
        }
        let key = self.string_raw()?;
        self.expect(b':')?;
        Ok(Some(key))
    }

    /// Whether another item follows in the array being read (the reader is then at it);
    /// `false` after the closing `]`. `first` starts `true` for each array.
    pub fn next_item(&mut self, first: &mut bool) -> Res<bool> {
        if self.peek() == Some(b']') {
            self.pos += 1;
            return Ok(false);
        }
        if !*first {
            self.expect(b',')?;
        }
        *first = false;
        match self.peek() {
            None | Some(b']') => Err(Invalid),
            Some(_) => Ok(true),
        }
    }

    /// Reads a string starting at its opening quote.
    fn string_raw(&mut self) -> Res<JsonStr<'a>> {
        let bytes = self.bytes();
        debug_assert_eq!(bytes.get(self.pos), Some(&b'"'));
        let start = self.pos + 1;
        let mut i = start;
        let mut escaped = false;
        loop {
            i = find_quote_or_backslash(bytes, i).ok_or(Invalid)?;
            if bytes[i] == b'"' {
                break;
            }
            escaped = true;
            i += 2;
        }
        self.pos = i + 1;
        Ok(JsonStr {
            raw: &self.text[start..i],
            escaped,
        })
    }

    /// A string value; `None` (the value skipped) when it is not a string.
    pub fn str_value(&mut self) -> Res<Option<JsonStr<'a>>> {
        if self.peek() == Some(b'"') {
            self.string_raw().map(Some)
        } else {
            self.skip_value().map(|()| None)
        }
    }

    /// The text of a number at the cursor (consumed), or `None` (nothing consumed).
    fn number_text(&mut self) -> Option<&'a str> {
        match self.peek() {
            Some(b'-' | b'0'..=b'9') => {}
            _ => return None,
        }
        let bytes = self.bytes();
        let start = self.pos;
        let mut i = start;
        while let Some(&b) = bytes.get(i) {
            if b.is_ascii_digit() || matches!(b, b'-' | b'+' | b'.' | b'e' | b'E') {
                i += 1;
            } else {
                break;
            }
        }
        self.pos = i;
        Some(&self.text[start..i])
    }

    /// A finite number; `None` (the value skipped) for anything else.
    pub fn number(&mut self) -> Res<Option<f64>> {
        match self.number_text() {
            Some(t) => Ok(t.parse::<f64>().ok().filter(|f| f.is_finite())),
            None => self.skip_value().map(|()| None),
        }
    }

    /// An integer; fractions are truncated and out-of-range values saturate (as `f64 as i64`).
    /// `None` (the value skipped) for anything that is not a number.
    pub fn int(&mut self) -> Res<Option<i64>> {
        match self.number_text() {
            Some(t) => Ok(parse_int(t)),
            None => self.skip_value().map(|()| None),
        }
    }

    /// `true`/`false`; `None` (the value skipped) for anything else.
    pub fn boolean(&mut self) -> Res<Option<bool>> {
        match self.peek() {
            Some(b't') if self.text[self.pos..].starts_with("true") => {
                self.pos += 4;
                Ok(Some(true))
            }
            Some(b'f') if self.text[self.pos..].starts_with("false") => {
                self.pos += 5;
                Ok(Some(false))
            }
            _ => self.skip_value().map(|()| None),
        }
    }

    /// Consumes a `null` if one is next.
    pub fn null(&mut self) -> bool {
        if self.peek() == Some(b'n') && self.text[self.pos..].starts_with("null") {
            self.pos += 4;
            true
        } else {
            false
        }
    }

    /// The text of the next value, consumed.
    pub fn raw_value(&mut self) -> Res<&'a str> {
        self.skip_ws();
        let start = self.pos;
        self.skip_value()?;
        Ok(&self.text[start..self.pos])
    }

    /// Skips one value of any kind and depth, without recursion.
    pub fn skip_value(&mut self) -> Res<()> {
        let mut depth = 0usize;
        loop {
            match self.peek() {
                None => return Err(Invalid),
                Some(b'{' | b'[') => {
                    self.pos += 1;
                    depth += 1;
                    continue;
                }
                Some(b'}' | b']') => {
                    if depth == 0 {
                        return Err(Invalid);
                    }
                    self.pos += 1;
                    depth -= 1;
                }
                Some(b',' | b':') => {
                    if depth == 0 {
                        return Err(Invalid);
                    }
                    self.pos += 1;
                    continue;
                }
                Some(b'"') => {
                    self.string_raw()?;
                }
                Some(_) => {
                    let bytes = self.bytes();
                    let start = self.pos;
                    while let Some(&b) = bytes.get(self.pos) {
                        if matches!(
                            b,
                            b' ' | b'\n'
                                | b'\r'
                                | b'\t'
                                | b','
                                | b':'
                                | b'{'
                                | b'}'
                                | b'['
                                | b']'
                                | b'"'
                        ) {
                            break;
                        }
                        self.pos += 1;
                    }
                    if self.pos == start {
                        return Err(Invalid);
                    }
                }
            }
            if depth == 0 {
                return Ok(());
            }
        }
    }

    /// Whether only whitespace is left.
    pub fn at_end(&mut self) -> bool {
        self.peek().is_none()
    }
}

/// Calls `item` for each element of an array (skipping the value if it is not one), at most
/// `max_items` times; further items are skipped.
pub fn for_each_item<'a>(
    p: &mut Parser<'a>,
    max_items: usize,
    mut item: impl FnMut(&mut Parser<'a>) -> Res<()>,
) -> Res<()> {
    if !p.begin_array()? {
        return Ok(());
    }
    let mut first = true;
    let mut n = 0usize;
    while p.next_item(&mut first)? {
        if n < max_items {
            item(p)?;
        } else {
            p.skip_value()?;
        }
        n += 1;
    }
    Ok(())
}

/// Calls `field` for each key of an object (skipping the value if it is not one). Returns
/// whether it was an object.
pub fn for_each_field<'a>(
    p: &mut Parser<'a>,
    mut field: impl FnMut(&mut Parser<'a>, &str) -> Res<()>,
) -> Res<bool> {
    if !p.begin_object()? {
        return Ok(false);
    }
    let mut first = true;
    while let Some(key) = p.next_key(&mut first)? {
        field(p, key.raw())?;
    }
    Ok(true)
}

fn parse_int(t: &str) -> Option<i64> {
    let (neg, digits) = match t.strip_prefix('-') {
        Some(d) => (true, d),
        None => (false, t),
    };
    if !digits.is_empty() && digits.len() <= 18 && digits.bytes().all(|b| b.is_ascii_digit()) {
        let mut v: i64 = 0;
        for b in digits.bytes() {
            v = v * 10 + i64::from(b - b'0');
        }
        return Some(if neg { -v } else { v });
    }
    t.parse::<f64>()
        .ok()
        .filter(|f| !f.is_nan())
        .map(|f| f as i64)
}

/// Position of the next `"` or `\` at or after `from`, eight bytes at a time.
fn find_quote_or_backslash(bytes: &[u8], from: usize) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    const QUOTE: u64 = LO * b'"' as u64;
    const BACKSLASH: u64 = LO * b'\\' as u64;
    let mut i = from;
    while i + 8 <= bytes.len() {
        let mut word = [0u8; 8];
        word.copy_from_slice(&bytes[i..i + 8]);
        let w = u64::from_le_bytes(word);
        let q = w ^ QUOTE;
        let s = w ^ BACKSLASH;
        let found = (q.wrapping_sub(LO) & !q & HI) | (s.wrapping_sub(LO) & !s & HI);
        if found != 0 {
            return Some(i + (found.trailing_zeros() / 8) as usize);
        }
        i += 8;
    }
    bytes[i.min(bytes.len())..]
        .iter()
        .position(|&b| b == b'"' || b == b'\\')
        .map(|p| i + p)
}

#[cfg(test)]
#[path = "json_tests.rs"]
mod tests;
