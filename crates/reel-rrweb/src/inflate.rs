//! Bounded decompression. A client controls the compressed bytes, so the output size is the
//! only thing that protects memory: inflating stops as soon as it would pass `limit`.

use std::io::Read;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum InflateError {
    #[error("decompressed payload exceeds the limit of {limit} bytes")]
    TooLarge { limit: usize },
    #[error("body is not valid {format} data")]
    Corrupt { format: &'static str },
    /// The caller's [`Meter`] refused to pay for more memory.
    #[error("no memory to decode the body now")]
    OutOfMemory,
}

/// Pays for memory as decoding allocates it. Returning false stops decoding: the caller's
/// budget is spent. Lets a caller bound what many requests decode at once, not only one.
pub trait Meter {
    fn charge(&mut self, bytes: usize) -> bool;
}

/// A meter that pays for everything (tools, tests, the demo seeder).
pub struct Unmetered;

impl Meter for Unmetered {
    fn charge(&mut self, _bytes: usize) -> bool {
        true
    }
}

/// Output grows (and is charged) in steps of this many bytes.
const STEP: usize = 1 << 20;

/// Inflates a gzip stream (all members), refusing to produce more than `limit` bytes.
pub fn gunzip_bounded(
    input: &[u8],
    limit: usize,
    meter: &mut dyn Meter,
) -> Result<Vec<u8>, InflateError> {
    read_bounded(
        flate2::read::MultiGzDecoder::new(input),
        limit,
        "gzip",
        meter,
    )
}

/// Inflates a zlib stream, refusing to produce more than `limit` bytes.
pub fn zlib_inflate_bounded(
    input: &[u8],
    limit: usize,
    meter: &mut dyn Meter,
) -> Result<Vec<u8>, InflateError> {
    read_bounded(flate2::read::ZlibDecoder::new(input), limit, "zlib", meter)
}

fn read_bounded(
    mut reader: impl Read,
    limit: usize,
    format: &'static str,
    meter: &mut dyn Meter,
) -> Result<Vec<u8>, InflateError> {
    let mut out: Vec<u8> = Vec::new();
    let mut buf = [0u8; 64 * 1024];
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => return Ok(out),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => return Err(InflateError::Corrupt { format }),
        };
        if out.len() + n > limit {
            return Err(InflateError::TooLarge { limit });
        }
        if out.len() + n > out.capacity() {
            // Capacity is only ever what was charged: grow by one step, exactly.
            let step = STEP.max(n).min(limit - out.len());
            if !meter.charge(step) {
                return Err(InflateError::OutOfMemory);
            }
            out.reserve_exact(step);
        }
        out.extend_from_slice(&buf[..n]);
    }
}

#[cfg(test)]
#[path = "inflate_tests.rs"]
mod tests;
