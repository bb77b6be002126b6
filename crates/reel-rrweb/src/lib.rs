//! Pure rrweb handling: everything reel knows about the recording format, with no IO.
//!
//! Storage path:
//! - [`inflate`]: gzip / zlib decompression that never allocates past a caller-given limit.
//! - [`upload`]: the body of `POST /sessions/v2/track` (Amplitude's replay wire format,
//!   including the "packed" per-event encoding of older SDKs) → typed [`Event`]s.
//! - [`event`]: a tolerant view of one rrweb event. The original JSON is kept byte for byte;
//!   only the fields reel needs are read out of it.
//! - [`capture_filter`]: what a project's Session Replay settings leave out of an upload
//!   (console or network records, pages on blocked URLs: [`url_pattern`]).
//! - [`chunk`]: cutting a batch into chunks that start at a Meta+FullSnapshot pair, and the
//!   on-disk chunk encoding (zstd-compressed newline-delimited JSON).
//! - [`segment`]: the compacted form of a recording. [`segment::plan_segments`] cuts a session
//!   at keyframes up to a size target; [`segment::encode_segment`] rewrites a run of events
//!   with an exactly reversible transform on their JSON text (node ids and timestamps
//!   delta-coded, large strings cut out into content-addressed pieces stored once per project)
//!   and zstd -19 with long-distance matching; [`segment::decode_segment`] gives every event's
//!   original text back, bounded by a caller's limit.
//!
//! Reading path (what the player is sent):
//! - [`keyframes`]: [`keyframes::KeyframeWindow`], where a window that shows a given time
//!   starts (the latest Meta+FullSnapshot at or before it), found while the events are read.
//! - [`timeline`]: the whole recording's console records, network requests, custom events,
//!   page loads and inactive stretches in one pass ([`timeline::TimelineBuilder`]), capped.
//!
//! Signals path (what the server derives from a stored stream):
//! - [`json`]: a non-recursive pull reader over JSON text; strings are borrowed and decoded
//!   only on request, so large snapshots are scanned, not copied.
//! - [`model`]: a typed, tolerant reading of events (every EventType and IncrementalSource;
//!   unknown ones are `Other`, never errors), with bounded work on hostile input.
//! - [`devtools`]: the one reader of console records (the console plugin's and pre-1.0
//!   rrweb's), network requests and runtime errors, for the analyzer and the timeline.
//! - [`mirror`]: the recorded page's DOM, kept up to date from snapshots and mutations
//!   (shadow roots, iframes), bounded in nodes and string bytes.
//! - [`attribution`]: what an event's node is: tag, id, classes, text, role, labels, a CSS
//!   selector path, whether it looks interactive; targets inside interactive elements are
//!   attributed to them.
//! - [`signals`]: the incremental [`signals::Analyzer`]: session facts, rage/dead/error
//!   clicks, derived `[reel] ...` events, on-screen and console text, with a resumable output
//!   contract (see its documentation).
//! - [`user_agent`]: browser, OS and device class from a `User-Agent` header.
//! - [`text`]: URL stripping, whitespace, masking helpers.
//!
//! The larger modules are folders whose `mod.rs` says what each file holds; every module's
//! tests are in a file of their own (`foo_tests.rs`, or `tests.rs` in a folder).
//!
//! Invariants:
//! - Nothing here re-serializes an event. What the browser recorded is what the player gets
//!   back, so a parsing gap in reel can never corrupt a replay. The segment codec transforms
//!   event text only where it checked, at encode time, that the event comes back byte for
//!   byte (otherwise it keeps the event verbatim), and checks a checksum when decoding. (The
//!   timeline shows values that are not strings, such as custom event payloads, as compact
//!   JSON: text for a panel, not an event.)
//! - Nothing panics or recurses on input: any nesting depth is walked with explicit stacks,
//!   and every structure built from input has a cap (nodes, strings, lists, pending windows).
//! - Privacy: typed input values are never read into the model or the mirror, masked text
//!   (only `*` and whitespace) never becomes a label or on-screen text, and URLs leave the
//!   signals without query string or fragment. The timeline shows URLs as recorded, for the
//!   player (which hides the query values of requests).
//! - Signals are a pure function of the event stream: the same events give the same outputs,
//!   however they are fed and drained.

pub mod attribution;
pub mod capture_filter;
pub mod chunk;
pub mod devtools;
pub mod event;
#[cfg(test)]
mod fuzz_tests;
pub mod inflate;
pub mod json;
pub mod keyframes;
pub mod mirror;
pub mod model;
pub mod segment;
pub mod signals;
#[cfg(test)]
mod test_support;
pub mod text;
pub mod timeline;
pub mod upload;
pub mod url_pattern;
pub mod user_agent;

pub use chunk::{Chunk, ChunkFacts};
pub use event::Event;
pub use model::EventType;
pub use upload::{TrackBody, UploadError};
