//! Answers compressed the way the client accepts (the events of a long session run to
//! megabytes, its lists to hundreds of kilobytes), with the compression itself on blocking
//! threads: nothing CPU-heavy runs on the async workers that serve every other request.

use std::io::Write as _;

use bytes::Bytes;

use crate::ReadError;
use crate::reader::Window;

/// A response compression the client accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encoding {
    Identity,
    Gzip,
    Zstd,
}

/// Below this, a JSON answer is sent as it is.
const COMPRESS_FROM_BYTES: usize = 1024;
/// Events are sent in pieces of about this many bytes (before compression): small enough to
/// start the player quickly.
const PIECE_BYTES: usize = 64 * 1024;

impl Encoding {
    /// From `Accept-Encoding` values: zstd when accepted (cheaper and smaller), else gzip, else
    /// none. `q=0` refuses.
    pub fn negotiate<'a>(accept_encoding: impl IntoIterator<Item = &'a str>) -> Self {
        let accepted: Vec<String> = accept_encoding
            .into_iter()
            .flat_map(|v| v.split(','))
            .filter_map(|part| {
                let mut it = part.split(';');
                let name = it.next()?.trim().to_ascii_lowercase();
                let refused = it.any(|p| {
                    p.trim()
                        .strip_prefix("q=")
                        .and_then(|q| q.trim().parse::<f32>().ok())
                        .is_some_and(|q| q <= 0.0)
                });
                (!refused).then_some(name)
            })
            .collect();
        if accepted.iter().any(|e| e == "zstd") {
            Self::Zstd
        } else if accepted.iter().any(|e| e == "gzip") {
            Self::Gzip
        } else {
            Self::Identity
        }
    }

    /// The `Content-Encoding` it answers with.
    pub fn header(self) -> Option<&'static str> {
        match self {
            Self::Identity => None,
            Self::Gzip => Some("gzip"),
            Self::Zstd => Some("zstd"),
        }
    }
}

/// A whole answer compressed (small ones are sent as they are): the bytes and how they are
/// encoded.
pub async fn compress_answer(plain: Vec<u8>, accepted: Encoding) -> (Vec<u8>, Encoding) {
    if plain.len() < COMPRESS_FROM_BYTES || accepted == Encoding::Identity {
        return (plain, Encoding::Identity);
    }
    let compressed = tokio::task::spawn_blocking(move || {
        let mut compressor = Compressor::new(accepted);
        let mut out = compressor.piece(plain)?;
        out.extend(compressor.finish()?);
        Ok::<_, std::io::Error>(out)
    })
    .await;
    match compressed {
        Ok(Ok(bytes)) => (bytes, accepted),
        // Compressing into memory does not fail; if it did, nothing was sent yet.
        _ => (Vec::new(), accepted),
    }
}

/// A streaming compressor whose output is taken after each piece.
enum Compressor {
    Identity,
    Gzip(flate2::write::GzEncoder<Vec<u8>>),
    Zstd(zstd::stream::write::Encoder<'static, Vec<u8>>),
}

impl Compressor {
    fn new(encoding: Encoding) -> Self {
        match encoding {
            Encoding::Identity => Self::Identity,
            Encoding::Gzip => Self::Gzip(flate2::write::GzEncoder::new(
                Vec::new(),
                flate2::Compression::new(6),
            )),
            Encoding::Zstd => Self::Zstd(
                zstd::stream::write::Encoder::new(Vec::new(), 3).expect("zstd level 3 is valid"),
            ),
        }
    }

    /// Compresses `plain` and returns what can be sent now (flushed, so the client can start).
    fn piece(&mut self, plain: Vec<u8>) -> std::io::Result<Vec<u8>> {
        match self {
            Self::Identity => Ok(plain),
            Self::Gzip(e) => {
                e.write_all(&plain)?;
                e.flush()?;
                Ok(std::mem::take(e.get_mut()))
            }
            Self::Zstd(e) => {
                e.write_all(&plain)?;
                e.flush()?;
                Ok(std::mem::take(e.get_mut()))
            }
        }
    }

    fn finish(self) -> std::io::Result<Vec<u8>> {
        match self {
            Self::Identity => Ok(Vec::new()),
            Self::Gzip(e) => e.finish(),
            Self::Zstd(e) => e.finish(),
        }
    }
}

/// A window's events as one JSON array (each event's text as recorded), compressed, in pieces:
/// what the events API streams.
pub struct EventsJson {
    window: Window,
    compressor: Option<Compressor>,
    started: bool,
}

impl EventsJson {
    pub fn new(window: Window, encoding: Encoding) -> Self {
        Self {
            window,
            compressor: Some(Compressor::new(encoding)),
            started: false,
        }
    }

    /// The next piece to send; `None` after the last.
    pub async fn next_piece(&mut self) -> Result<Option<Bytes>, ReadError> {
        let Some(mut compressor) = self.compressor.take() else {
            return Ok(None);
        };
        let mut out = Vec::with_capacity(PIECE_BYTES);
        if !self.started {
            out.push(b'[');
        }
        let mut done = false;
        while out.len() < PIECE_BYTES {
            match self.window.next().await? {
                Some(event) => {
                    if self.started {
                        out.push(b',');
                    }
                    self.started = true;
                    out.extend_from_slice(event.json().as_bytes());
                }
                None => {
                    self.started = true;
                    out.push(b']');
                    done = true;
                    break;
                }
            }
        }
        let unreadable = |e: &dyn std::fmt::Display| ReadError::Unreadable(e.to_string());
        let (bytes, compressor) = tokio::task::spawn_blocking(move || {
            let mut bytes = compressor.piece(out)?;
            if done {
                bytes.extend(compressor.finish()?);
                return Ok::<_, std::io::Error>((bytes, None));
            }
            Ok((bytes, Some(compressor)))
        })
        .await
        .map_err(|e| unreadable(&e))?
        .map_err(|e| unreadable(&e))?;
        self.compressor = compressor;
        Ok(Some(Bytes::from(bytes)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn negotiation_cases() {
        let cases: [(&[&str], Encoding); 7] = [
            (&[], Encoding::Identity),
            (&["gzip, deflate, br"], Encoding::Gzip),
            (&["gzip, zstd"], Encoding::Zstd),
            (&["gzip", "zstd;q=0.5"], Encoding::Zstd),
            (&["zstd;q=0, gzip"], Encoding::Gzip),
            (&["ZSTD"], Encoding::Zstd),
            (&["identity, br"], Encoding::Identity),
        ];
        for (values, want) in cases {
            assert_eq!(
                Encoding::negotiate(values.iter().copied()),
                want,
                "{values:?}"
            );
        }
    }

    #[tokio::test]
    async fn small_answers_go_as_they_are_and_large_ones_come_back_whole() {
        let (small, encoding) = compress_answer(b"[1,2]".to_vec(), Encoding::Zstd).await;
        assert_eq!(
            (small.as_slice(), encoding),
            (&b"[1,2]"[..], Encoding::Identity)
        );
        let plain = "[".to_owned() + &"{\"a\":1},".repeat(1000) + "{}]";
        let (zst, encoding) = compress_answer(plain.clone().into_bytes(), Encoding::Zstd).await;
        assert_eq!(encoding, Encoding::Zstd);
        assert_eq!(zstd::decode_all(zst.as_slice()).unwrap(), plain.as_bytes());
        let (gz, _) = compress_answer(plain.clone().into_bytes(), Encoding::Gzip).await;
        let mut text = String::new();
        std::io::Read::read_to_string(&mut flate2::read::GzDecoder::new(gz.as_slice()), &mut text)
            .unwrap();
        assert_eq!(text, plain);
    }
}
