//! Bounded decompression. A client controls the compressed bytes, so the output size is the
//! only thing that protects memory: inflating stops as soon as it would pass `limit`.

use std::io::Read;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum InflateError {
    #[error("decompressed payload exceeds the limit of {limit} bytes")]
    TooLarge { limit: usize },
    #[error("body is not valid {format} data")]
    Corrupt { format: &'static str },
}

/// Inflates a gzip stream (all members), refusing to produce more than `limit` bytes.
pub fn gunzip_bounded(input: &[u8], limit: usize) -> Result<Vec<u8>, InflateError> {
    read_bounded(flate2::read::MultiGzDecoder::new(input), limit, "gzip")
}

/// Inflates a zlib stream, refusing to produce more than `limit` bytes.
pub fn zlib_inflate_bounded(input: &[u8], limit: usize) -> Result<Vec<u8>, InflateError> {
    read_bounded(flate2::read::ZlibDecoder::new(input), limit, "zlib")
}

fn read_bounded(
    reader: impl Read,
    limit: usize,
    format: &'static str,
) -> Result<Vec<u8>, InflateError> {
    let mut out = Vec::new();
    // One byte past the limit tells "exactly at the limit" apart from "over it".
    let mut limited = reader.take(limit as u64 + 1);
    limited
        .read_to_end(&mut out)
        .map_err(|_| InflateError::Corrupt { format })?;
    if out.len() > limit {
        return Err(InflateError::TooLarge { limit });
    }
    Ok(out)
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
            let got = gunzip_bounded(&input, limit).map(|v| v.len());
            assert_eq!(got, want, "{name}");
        }
    }
}
