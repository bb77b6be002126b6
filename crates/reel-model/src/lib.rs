//! reel's shared vocabulary, used from the rrweb analyzer to the API: what every other crate
//! names the same way, defined once.
//!
//! - [`SessionFacts`] and [`Fact`]: the thirteen counts reel works out of a recording.
//! - [`ReplayId`]: a replay's URL-safe id, reversible to its device and session.
//! - [`Clock`]: the time, injected (tests move it instead of sleeping).
//! - [`content_hash`]: the hash that names stored content (chunks, heatmap uploads).
//! - [`nesting_depth`]: how deeply a JSON text nests, the count every depth limit uses.
//! - [`identify`]: what Amplitude's identify operations do to a user's properties.
//!
//! No IO, no async, no backend.

mod clock;
mod facts;
mod hash;
pub mod identify;
mod json_depth;
mod replay_id;

pub use clock::{Clock, ManualClock, SystemClock, month_of};
pub use facts::{Fact, SessionFacts};
pub use hash::{ContentHasher, content_hash};
pub use json_depth::nesting_depth;
pub use replay_id::{ReplayId, ReplayIdError};
