//! Pure rrweb handling: everything reel knows about the recording format, with no IO.
//!
//! - [`inflate`]: gzip / zlib decompression that never allocates past a caller-given limit.
//! - [`upload`]: the body of `POST /sessions/v2/track` (Amplitude's replay wire format,
//!   including the "packed" per-event encoding of older SDKs) → typed [`Event`]s.
//! - [`event`]: a tolerant view of one rrweb event. The original JSON is kept byte for byte;
//!   only the fields reel needs are read out of it.
//! - [`chunk`]: cutting a batch into chunks that start at a Meta+FullSnapshot pair, and the
//!   on-disk chunk encoding (zstd-compressed newline-delimited JSON).
//!
//! Invariant: nothing here re-serializes an event. What the browser recorded is what the
//! player gets back, so a parsing gap in reel can never corrupt a replay.

pub mod attribution;
pub mod chunk;
pub mod event;
#[cfg(test)]
mod fuzz_tests;
pub mod inflate;
pub mod json;
pub mod mirror;
pub mod model;
pub mod signals;
pub mod text;
pub mod upload;
pub mod user_agent;

pub use chunk::{Chunk, ChunkFacts};
pub use event::{Event, EventKind};
pub use upload::{TrackBody, UploadError};
