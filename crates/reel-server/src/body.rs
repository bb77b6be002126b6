//! Reading request bodies under three bounds: a size limit (413 without reading the rest), a
//! deadline (a stalled body does not hold a connection and its memory forever) and the
//! process-wide [`MemoryBudget`] (bytes are paid for before they are buffered).

use std::time::Duration;

use axum::body::Body;
use axum::http::HeaderMap;
use axum::http::header::CONTENT_LENGTH;
use bytes::{Bytes, BytesMut};
use http_body_util::BodyExt as _;

use reel_engine::budget::{Exhausted, MemoryBudget, Reservation};

#[derive(Debug)]
pub enum BodyError {
    TooLarge(usize),
    Timeout,
    /// The memory budget is spent.
    Busy,
    /// The client broke the transfer.
    Broken(String),
}

/// A body read in full, with the budget reservation that pays for it (and for whatever the
/// request decodes from it later: grow the same reservation).
pub struct ReadBody {
    pub bytes: Bytes,
    pub reservation: Reservation,
}

pub async fn read(
    body: Body,
    headers: &HeaderMap,
    limit: usize,
    budget: &MemoryBudget,
    timeout: Duration,
) -> Result<ReadBody, BodyError> {
    let declared = headers
        .get(CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > limit as u64) {
        return Err(BodyError::TooLarge(limit));
    }
    // More than the whole budget can never be read: the body is too large for this server.
    let refused = |e: Exhausted| {
        if e.never {
            BodyError::TooLarge(limit.min(budget.total()))
        } else {
            BodyError::Busy
        }
    };
    let mut reservation = budget.empty();
    if let Some(n) = declared {
        reservation.grow(n as usize).await.map_err(refused)?;
    }
    let collect = async {
        let mut body = body;
        let mut buf = BytesMut::with_capacity(declared.unwrap_or(0) as usize);
        while let Some(frame) = body.frame().await {
            let frame = frame.map_err(|e| BodyError::Broken(e.to_string()))?;
            let Ok(data) = frame.into_data() else {
                continue; // trailers
            };
            if buf.len() + data.len() > limit {
                return Err(BodyError::TooLarge(limit));
            }
            let needed = (buf.len() + data.len()).saturating_sub(reservation.bytes());
            if needed > 0 {
                reservation.grow(needed).await.map_err(refused)?;
            }
            buf.extend_from_slice(&data);
        }
        Ok(buf.freeze())
    };
    let bytes = tokio::time::timeout(timeout, collect)
        .await
        .map_err(|_| BodyError::Timeout)??;
    Ok(ReadBody { bytes, reservation })
}
