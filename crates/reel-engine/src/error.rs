//! The engine's errors. They say what went wrong in the engine's terms; the server decides
//! what a client is told (its one error table) and never passes internal detail on.

use reel_store::StoreError;

/// Why an upload was not stored.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The upload cannot be read (not the wire format, invalid JSON, a field of the wrong type).
    #[error("{0}")]
    Malformed(String),
    #[error("missing field {0}")]
    MissingField(&'static str),
    /// Larger than a limit allows: the SDKs halve their batch.
    #[error("{0}")]
    TooLarge(String),
    /// The memory budget is spent right now; retrying later can succeed.
    #[error("the memory budget is spent")]
    Busy,
    /// The project sends more than its limits allow; retrying after the wait succeeds.
    #[error("over the project's ingestion limits; retry in {retry_after_seconds} s")]
    Throttled { retry_after_seconds: u64 },
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A blocking task failed (panicked or was cancelled).
    #[error("ingest task failed: {0}")]
    Task(String),
}

/// Why a stored recording could not be read back.
#[derive(Debug, thiserror::Error)]
pub enum ReadError {
    #[error("stored recording is unreadable: {0}")]
    Unreadable(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}
