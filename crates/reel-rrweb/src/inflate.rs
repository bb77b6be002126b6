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
mod tests {
    use super::*;
    use std::io::Write;

    fn gzip(data: &[u8]) -> Vec<u8> {
        let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        enc.write_all(data).unwrap();
        enc.finish().unwrap()
    }

    #[test]
    fn gunzip_cases() {
        let small = gzip(b"hello");
        let zeros = gzip(&vec![0u8; 1 << 20]);
        let cases: Vec<(&str, Vec<u8>, usize, Result<usize, InflateError>)> = vec![
            ("fits", small.clone(), 100, Ok(5)),
            ("exactly at limit", small.clone(), 5, Ok(5)),
            (
                "one over",
                small,
                4,
                Err(InflateError::TooLarge { limit: 4 }),
            ),
            (
                "bomb stops at limit",
                zeros,
                1000,
                Err(InflateError::TooLarge { limit: 1000 }),
            ),
            (
                "not gzip",
                b"{\"a\":1}".to_vec(),
                100,
                Err(InflateError::Corrupt { format: "gzip" }),
            ),
        ];
        for (name, input, limit, want) in cases {
            let got = gunzip_bounded(&input, limit, &mut Unmetered).map(|v| v.len());
            assert_eq!(got, want, "{name}");
        }
    }

    /// Counts what was charged; refuses past `allow`.
    struct Counting {
        charged: usize,
        allow: usize,
    }

    impl Meter for Counting {
        fn charge(&mut self, bytes: usize) -> bool {
            if self.charged + bytes > self.allow {
                return false;
            }
            self.charged += bytes;
            true
        }
    }

    #[test]
    fn output_is_charged_before_it_is_kept() {
        let three_mib = gzip(&vec![b'a'; 3 << 20]);
        let cases: Vec<(&str, usize, usize, Result<usize, InflateError>, usize)> = vec![
            // (name, limit, allowed by the meter, result, charged)
            ("small", 100, usize::MAX, Ok(5), 100),
            ("steps of a MiB", 10 << 20, usize::MAX, Ok(3 << 20), 3 << 20),
            (
                "meter refuses",
                10 << 20,
                2 << 20,
                Err(InflateError::OutOfMemory),
                2 << 20,
            ),
            (
                "limit first",
                1 << 20,
                usize::MAX,
                Err(InflateError::TooLarge { limit: 1 << 20 }),
                1 << 20,
            ),
        ];
        for (name, limit, allow, want, want_charged) in cases {
            let input = if name == "small" {
                gzip(b"hello")
            } else {
                three_mib.clone()
            };
            let mut meter = Counting { charged: 0, allow };
            let got = gunzip_bounded(&input, limit, &mut meter).map(|v| {
                assert!(v.capacity() <= meter.charged, "{name}: capacity is charged");
                v.len()
            });
            assert_eq!(got, want, "{name}");
            assert_eq!(meter.charged, want_charged, "{name}");
        }
    }
}
