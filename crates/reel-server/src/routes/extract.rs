//! Request extractors whose refusals are the query API's JSON errors, never axum's plain text.

use axum::extract::{FromRequest, Request};
use serde::de::DeserializeOwned;

use crate::error::ApiError;

/// A JSON body; invalid JSON or a wrong shape is a 400 in the API's error shape. (Whether a
/// state-changing call sent JSON at all is checked before, for every route: 415.)
pub struct ApiJson<T>(pub T);

impl<T: DeserializeOwned, S: Send + Sync> FromRequest<S> for ApiJson<T> {
    type Rejection = ApiError;

    async fn from_request(request: Request, state: &S) -> Result<Self, ApiError> {
        match axum::Json::<T>::from_request(request, state).await {
            Ok(axum::Json(value)) => Ok(Self(value)),
            Err(e) => Err(ApiError::InvalidParameter(e.body_text())),
        }
    }
}

/// An optional free text a client sent (a name, a comment): trimmed, empty as none, refused
/// when longer than `max_chars`.
pub(super) fn optional_text(
    value: Option<String>,
    max_chars: usize,
    field: &str,
) -> Result<Option<String>, ApiError> {
    let text = value.map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    if text.as_ref().is_some_and(|t| t.chars().count() > max_chars) {
        return Err(ApiError::InvalidParameter(format!(
            "{field} must be at most {max_chars} characters"
        )));
    }
    Ok(text)
}
