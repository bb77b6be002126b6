//! Who is calling the query API: a browser with the `reel_session` cookie, or a tool with
//! `Authorization: Bearer <token>`. Tokens are random; only their SHA-256 is stored.

use argon2::Argon2;
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use axum::extract::FromRequestParts;
use axum::http::header::{AUTHORIZATION, COOKIE};
use axum::http::request::Parts;
use base64::Engine as _;
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::error::ApiError;
use crate::ratelimit::FailureLimiter;

pub const SESSION_COOKIE: &str = "reel_session";

/// Cookie-authenticated API calls must carry this header. Recorded pages replayed in the player
/// can make the viewer's browser send GETs to reel (a relative `<img src>`, a CSS `url()`), with
/// the viewer's cookie — but a plain image or style-sheet fetch cannot carry a custom header, and
/// a cross-origin page cannot add one without a CORS preflight that reel does not grant.
pub const UI_REQUEST_HEADER: &str = "x-reel-request";

const MISSING_UI_HEADER: &str = "requests signed in with the session cookie must send the header \
     X-Reel-Request: 1 (tools: use Authorization: Bearer <token>)";

/// The signed-in user with the organization and projects they can see, and the token (or
/// browser session) they signed in with.
pub struct CurrentUser(
    pub reel_engine::store::UserContext,
    pub reel_engine::store::TokenInfo,
);

impl FromRequestParts<AppState> for CurrentUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let (token, via_cookie) = match bearer(&parts.headers, Scheme::BearerOnly) {
            Some(token) => (token, false),
            None => (
                session_cookie(&parts.headers).ok_or(ApiError::Unauthenticated)?,
                true,
            ),
        };
        let now = state.now_ms();
        let (user, token) = state
            .store()
            .token_user(&token_hash(&token), now)
            .await?
            .ok_or(ApiError::Unauthenticated)?;
        if via_cookie && !parts.headers.contains_key(UI_REQUEST_HEADER) {
            return Err(ApiError::Forbidden(MISSING_UI_HEADER));
        }
        if token
            .last_used_ms
            .is_none_or(|t| now - t >= TOUCH_INTERVAL_MS)
        {
            // Best effort: a failed bookkeeping write must not refuse a valid token.
            if let Err(e) = state.store().touch_token(token.id, now).await {
                tracing::warn!(error = %e, "could not record a token's use");
            }
        }
        let context = state
            .store()
            .user_context(user.id)
            .await?
            .ok_or(ApiError::Unauthenticated)?;
        Ok(Self(context, token))
    }
}

/// A token's last use is written at most this often.
const TOUCH_INTERVAL_MS: i64 = 60_000;

/// Guards the login endpoint: failures counted per client address and per account, and a
/// bounded number of password checks at once (each argon2 check holds ~19 MiB for tens of ms).
pub struct LoginGuard {
    pub by_address: FailureLimiter,
    pub by_account: FailureLimiter,
    hashing: tokio::sync::Semaphore,
    hashing_wait: std::time::Duration,
    /// Checked against when the email is unknown, so an unknown email costs as long as a
    /// known one and the answer time does not tell which accounts exist.
    dummy_hash: String,
}

impl LoginGuard {
    pub fn new(config: &crate::Config) -> Self {
        let window_ms = config.login_window_seconds as i64 * 1000;
        Self {
            by_address: FailureLimiter::with_capacity(
                config.login_attempts_per_address,
                window_ms,
                config.login_limiter_entries,
            ),
            by_account: FailureLimiter::with_capacity(
                config.login_attempts_per_account,
                window_ms,
                config.login_limiter_entries,
            ),
            hashing: tokio::sync::Semaphore::new(config.max_concurrent_password_checks.max(1)),
            hashing_wait: std::time::Duration::from_millis(config.memory_wait_ms.max(1_000)),
            dummy_hash: hash_password(&new_token()),
        }
    }

    /// Hashes a new password, waiting for a free hashing slot (the same slots as checks);
    /// `Busy` when none frees up in time.
    pub async fn hash(&self, password: String) -> Result<String, ApiError> {
        let permit = tokio::time::timeout(self.hashing_wait, self.hashing.acquire())
            .await
            .map_err(|_| ApiError::Busy)?
            .map_err(|_| ApiError::Busy)?;
        let hash = tokio::task::spawn_blocking(move || hash_password(&password))
            .await
            .map_err(|e| ApiError::Internal(e.to_string()))?;
        drop(permit);
        Ok(hash)
    }

    /// Checks `password` against `hash` (or against a dummy hash when the account is unknown),
    /// waiting for a free hashing slot; `Busy` when none frees up in time.
    pub async fn verify(&self, password: String, hash: Option<String>) -> Result<bool, ApiError> {
        let permit = tokio::time::timeout(self.hashing_wait, self.hashing.acquire())
            .await
            .map_err(|_| ApiError::Busy)?
            .map_err(|_| ApiError::Busy)?;
        let known = hash.is_some();
        let hash = hash.unwrap_or_else(|| self.dummy_hash.clone());
        let ok = tokio::task::spawn_blocking(move || verify_password(&password, &hash))
            .await
            .map_err(|e| ApiError::Internal(e.to_string()))?;
        drop(permit);
        Ok(ok && known)
    }
}

/// Whether an `Authorization` value without a scheme counts as the credential itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scheme {
    /// Only `Bearer <token>` (the query API).
    BearerOnly,
    /// `Bearer <key>` or the bare key (ingestion: SDKs and tools send the key both ways).
    BearerOrBare,
}

/// The credential of the request's `Authorization` header: the token after `Bearer ` (the
/// scheme in any case), or with [`Scheme::BearerOrBare`] the whole value when it names no
/// scheme. The one reader of that header.
pub fn bearer(headers: &axum::http::HeaderMap, scheme: Scheme) -> Option<String> {
    let value = headers.get(AUTHORIZATION)?.to_str().ok()?.trim();
    let token = match value.split_once(' ') {
        Some((name, token)) if name.eq_ignore_ascii_case("bearer") => token,
        _ if scheme == Scheme::BearerOrBare => value,
        _ => return None,
    };
    Some(token.trim().to_owned()).filter(|t| !t.is_empty())
}

pub fn session_cookie(headers: &axum::http::HeaderMap) -> Option<String> {
    headers
        .get_all(COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(name, _)| *name == SESSION_COOKIE)
        .map(|(_, value)| value.to_owned())
        .filter(|v| !v.is_empty())
}

/// The fewest characters a password set through the API may have.
pub const MIN_PASSWORD_CHARS: usize = 10;
/// The most: argon2 reads all of it.
pub const MAX_PASSWORD_CHARS: usize = 1024;

/// Whether a new password is long enough (and not absurdly long).
pub fn check_new_password(password: &str) -> Result<(), ApiError> {
    let n = password.chars().count();
    if !(MIN_PASSWORD_CHARS..=MAX_PASSWORD_CHARS).contains(&n) {
        return Err(ApiError::InvalidParameter(format!(
            "a password must have {MIN_PASSWORD_CHARS} to {MAX_PASSWORD_CHARS} characters"
        )));
    }
    Ok(())
}

/// A new random token: 32 bytes, base64url.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).expect("the OS random source is available");
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

pub fn token_hash(token: &str) -> String {
    Sha256::digest(token.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

pub fn hash_password(password: &str) -> String {
    let mut salt = [0u8; 16];
    getrandom::fill(&mut salt).expect("the OS random source is available");
    let salt = SaltString::encode_b64(&salt).expect("16 bytes is a valid salt");
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .expect("argon2 with default parameters does not fail")
        .to_string()
}

pub fn verify_password(password: &str, hash: &str) -> bool {
    PasswordHash::new(hash).is_ok_and(|parsed| {
        Argon2::default()
            .verify_password(password.as_bytes(), &parsed)
            .is_ok()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords() {
        let hash = hash_password("correct horse");
        assert!(verify_password("correct horse", &hash));
        assert!(!verify_password("Correct horse", &hash));
        assert!(!verify_password("correct horse", "not a hash"));
        assert_ne!(hash, hash_password("correct horse"), "salted");
    }

    #[test]
    fn authorization_values() {
        use Scheme::*;
        // (header, scheme, credential)
        let cases: &[(&str, Scheme, Option<&str>)] = &[
            ("Bearer abc", BearerOnly, Some("abc")),
            ("bearer abc", BearerOnly, Some("abc")),
            ("BEARER  abc ", BearerOnly, Some("abc")),
            ("Bearer ", BearerOnly, None),
            ("abc", BearerOnly, None),
            ("Basic abc", BearerOnly, None),
            ("abc", BearerOrBare, Some("abc")),
            ("Bearer abc", BearerOrBare, Some("abc")),
            ("  key-1 ", BearerOrBare, Some("key-1")),
            ("", BearerOrBare, None),
        ];
        for (value, scheme, want) in cases {
            let mut headers = axum::http::HeaderMap::new();
            headers.insert(AUTHORIZATION, value.parse().unwrap());
            assert_eq!(
                bearer(&headers, *scheme).as_deref(),
                *want,
                "{value:?} {scheme:?}"
            );
        }
    }

    #[test]
    fn cookie_parsing() {
        let cases = [
            ("reel_session=abc", Some("abc")),
            ("a=1; reel_session=xyz; b=2", Some("xyz")),
            ("reel_sessionx=1", None),
            ("reel_session=", None),
            ("", None),
        ];
        for (header, want) in cases {
            let req = axum::http::Request::builder()
                .header(COOKIE, header)
                .body(())
                .unwrap();
            assert_eq!(session_cookie(req.headers()).as_deref(), want, "{header}");
        }
    }
}
