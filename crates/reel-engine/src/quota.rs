//! The monthly quota of captured sessions per organization.
//!
//! A session counts in the month (UTC) its recording's first upload arrived, once, whatever
//! happens to it later (the store counts it in the upload's own transaction). Once an
//! organization has captured its quota this month, uploads that would start a new recording are
//! refused — sessions already recording go on — and the remote configuration tells SDKs not to
//! capture. Uploads racing at the limit may each pass: the quota can be passed by the uploads in
//! flight at that moment, never more.

pub use reel_model::month_of;
use reel_store::{SessionRef, StoreError};

use crate::Engine;

/// An organization's captured sessions this month against its quota.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Usage {
    /// `YYYY-MM`, UTC.
    pub month: String,
    pub sessions_captured: i64,
    /// None: no quota.
    pub quota: Option<i64>,
}

impl Usage {
    pub fn over_quota(&self) -> bool {
        self.quota.is_some_and(|q| self.sessions_captured >= q)
    }
}

impl Engine {
    /// The organization's usage this month; `quota` is its own, else the server's default.
    pub async fn usage(
        &self,
        organization_id: i64,
        quota: Option<i64>,
    ) -> Result<Usage, StoreError> {
        let month = month_of(self.now_ms());
        let sessions_captured = self
            .store()
            .sessions_captured(organization_id, &month)
            .await?;
        Ok(Usage {
            month,
            sessions_captured,
            quota: quota.or(self.settings().monthly_session_quota),
        })
    }

    /// Whether an upload of `session` must be refused: the organization is over its quota and
    /// the session has no recording yet.
    pub async fn refuses_new_session(
        &self,
        session: &SessionRef,
        organization_id: i64,
        quota: Option<i64>,
    ) -> Result<bool, StoreError> {
        if quota.or(self.settings().monthly_session_quota).is_none() {
            return Ok(false);
        }
        if !self.usage(organization_id, quota).await?.over_quota() {
            return Ok(false);
        }
        Ok(!self.store().has_recording(session).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_are_utc_calendar_months() {
        let cases = [
            (0, "1970-01"),
            (1_767_225_600_000 - 1, "2025-12"), // the last millisecond of 2025
            (1_767_225_600_000, "2026-01"),
            (1_709_210_096_789, "2024-02"), // 2024-02-29
            (1_709_251_200_000, "2024-03"),
        ];
        for (ms, want) in cases {
            assert_eq!(month_of(ms), want, "{ms}");
        }
    }

    #[test]
    fn over_quota_means_at_or_past_it() {
        let usage = |captured, quota| Usage {
            month: "2026-01".into(),
            sessions_captured: captured,
            quota,
        };
        assert!(!usage(5, None).over_quota());
        assert!(!usage(4, Some(5)).over_quota());
        assert!(usage(5, Some(5)).over_quota());
        assert!(usage(0, Some(0)).over_quota());
    }
}
