//! Shapes of running reel for a team: people, invitations, projects and their keys and
//! settings, deletion on request, the portfolio, the audit log, Plans & Billing and the
//! Ingestion Monitor.

use serde::{Deserialize, Deserializer, Serialize};
use utoipa::ToSchema;

use super::{Replay, Role, UserInfo};
pub use reel_engine::replay_settings::{PrivacyLevel, ReplaySettings};

/// A new account with a role on the project asked about.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUserRequest {
    #[schema(max_length = 254)]
    pub email: String,
    /// At least 10 characters.
    #[schema(min_length = 10, max_length = 1024)]
    pub password: String,
    pub role: Role,
}

/// A person's role on a project.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoleRequest {
    pub role: Role,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ProjectRole {
    pub project_id: i64,
    pub role: Role,
}

/// An account of the organization.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Person {
    pub user: UserInfo,
    /// Admin of every project; creates projects and manages accounts.
    pub organization_admin: bool,
    /// A disabled account signs in nowhere.
    pub disabled: bool,
    /// The role on the project asked about (`GET /projects/{id}/members`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub role: Option<Role>,
    /// Roles on projects (organization admins are admins of every project whatever this says).
    pub roles: Vec<ProjectRole>,
    #[schema(format = DateTime)]
    pub created_at: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PersonList {
    pub people: Vec<Person>,
}

/// Account changes (organization admins); what is left out stays as it is.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AccountUpdate {
    /// Disabling signs the account out everywhere at once and stops its API tokens.
    #[serde(default)]
    pub disabled: Option<bool>,
    #[serde(default)]
    pub organization_admin: Option<bool>,
}

/// Change your password; every other browser session of yours is signed out.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChange {
    pub current_password: String,
    /// At least 10 characters.
    #[schema(min_length = 10, max_length = 1024)]
    pub new_password: String,
}

/// What signing out everywhere did.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SignedOut {
    /// Browser sessions signed out (this one included).
    pub browser_sessions: usize,
}

/// An invitation to a project by link.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InviteRequest {
    #[schema(max_length = 254)]
    pub email: String,
    pub role: Role,
    /// The link works this long (default 72 hours, at most 30 days).
    #[serde(default)]
    #[schema(minimum = 1, maximum = 720)]
    pub expires_in_hours: Option<u32>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Invite {
    pub id: i64,
    pub project_id: i64,
    pub email: String,
    pub role: Role,
    /// The email of who invited.
    pub created_by: String,
    #[schema(format = DateTime)]
    pub created_at: String,
    #[schema(format = DateTime)]
    pub expires_at: String,
}

/// A new invitation; its link is in this answer only.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct CreatedInvite {
    #[serde(flatten)]
    pub invite: Invite,
    /// The path to send the invited person (`/invite/<secret>`), on reel's address.
    pub path: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct InviteList {
    pub invites: Vec<Invite>,
}

/// What an invitation link offers (no sign-in needed).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct InviteInfo {
    pub email: String,
    pub role: Role,
    pub organization: String,
    pub project: String,
    #[schema(format = DateTime)]
    pub expires_at: String,
}

/// Accepting an invitation: the new account's password.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AcceptInvite {
    /// At least 10 characters.
    #[schema(min_length = 10, max_length = 1024)]
    pub password: String,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewProjectRequest {
    #[schema(max_length = 200)]
    pub name: String,
}

/// A project's settings: Session Replay (what SDKs capture), retention and ingestion limits.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ProjectSettings {
    #[serde(flatten)]
    pub replay: ReplaySettings,
    /// Days recordings, events and text are kept (1 to 730).
    pub retention_days: i64,
    /// The project's own limit of events a second (none: the server's).
    pub events_per_second: Option<u64>,
    /// The project's own limit of bytes a second, as sent (none: the server's).
    pub bytes_per_second: Option<u64>,
    /// The limits in effect.
    pub effective_events_per_second: u64,
    pub effective_bytes_per_second: u64,
}

/// Settings to change; what is left out stays as it is. Session Replay settings apply to
/// captures that start after the change; stored recordings are not changed.
#[derive(Debug, Clone, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ProjectSettingsUpdate {
    #[serde(default)]
    pub console_logs: Option<bool>,
    #[serde(default)]
    pub network_errors: Option<bool>,
    /// 0 to 1.
    #[serde(default)]
    pub sample_rate: Option<f64>,
    #[serde(default)]
    pub privacy_level: Option<PrivacyLevel>,
    #[serde(default)]
    #[schema(max_length = 1000)]
    pub mask_selector: Option<String>,
    #[serde(default)]
    #[schema(max_length = 1000)]
    pub block_selector: Option<String>,
    #[serde(default)]
    #[schema(max_length = 1000)]
    pub unmask_selector: Option<String>,
    /// At most 60000.
    #[serde(default)]
    pub min_session_ms: Option<u32>,
    /// URL patterns (`*`: any characters), at most 50.
    #[serde(default)]
    pub blocked_urls: Option<Vec<String>>,
    /// 1 to 730; admins only.
    #[serde(default)]
    pub retention_days: Option<i64>,
    /// `null` goes back to the server's limit.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<u64>)]
    pub events_per_second: Option<Option<u64>>,
    /// `null` goes back to the server's limit.
    #[serde(default, deserialize_with = "present")]
    #[schema(value_type = Option<u64>)]
    pub bytes_per_second: Option<Option<u64>>,
}

/// A field that is there (`Some`, its value possibly `null`) or not (`None`, by `default`).
fn present<'de, D, T>(deserializer: D) -> Result<Option<Option<T>>, D::Error>
where
    D: Deserializer<'de>,
    T: Deserialize<'de>,
{
    Option::<T>::deserialize(deserializer).map(Some)
}

/// Rotate the ingestion key: the current one keeps working for `overlap_hours`, then answers
/// 401.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct KeyRotation {
    /// 0 (the old key stops now) to 720 (30 days).
    #[schema(minimum = 0, maximum = 720)]
    pub overlap_hours: u32,
}

/// The project's ingestion keys.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ProjectKeys {
    pub api_key: String,
    /// Keys replaced by a rotation that still work, until when.
    pub retired: Vec<RetiredKey>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RetiredKey {
    pub api_key: String,
    #[schema(format = DateTime)]
    pub valid_until: String,
}

/// What a deletion on request removed.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Erasure {
    pub sessions: usize,
    /// Of those, sessions with a recording.
    pub replays: usize,
    pub events: usize,
    pub user_properties: usize,
}

/// A replay of one of your projects.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PortfolioReplay {
    pub project_id: i64,
    pub project_name: String,
    #[serde(flatten)]
    pub replay: Replay,
}

/// The newest replays across the projects you may watch, newest first. Sessions are never
/// stitched across projects: one person's visits to two projects are two replays.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct PortfolioPage {
    pub replays: Vec<PortfolioReplay>,
}

/// One line of the audit log.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AuditEntry {
    pub id: i64,
    #[schema(format = DateTime)]
    pub at: String,
    /// Who did it (none: reel itself).
    pub actor: Option<String>,
    /// `login`, `login_failed`, `password_changed`, `signed_out_everywhere`, `user_created`,
    /// `invite_created`, `invite_accepted`, `invite_revoked`, `role_changed`, `access_removed`,
    /// `account_disabled`, `account_enabled`, `organization_admin_changed`, `project_created`,
    /// `project_changed`, `settings_changed`, `key_rotated`, `token_created`, `token_revoked`,
    /// `replay_deleted`, `user_data_deleted`, `device_data_deleted`, `quota_changed`.
    pub action: String,
    pub project_id: Option<i64>,
    /// What it happened to (an email, a replay id, a hash of a deleted user id).
    pub target: Option<String>,
    #[schema(value_type = Object)]
    pub detail: serde_json::Value,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct AuditLog {
    pub entries: Vec<AuditEntry>,
    /// Pass as `before` for older lines; absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_before: Option<i64>,
}

/// Plans & Billing: sessions captured this month against the quota, and retention.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct Usage {
    /// `YYYY-MM`, UTC.
    pub month: String,
    pub sessions_captured: i64,
    /// Sessions the organization may capture a month (none: no limit).
    pub monthly_session_quota: Option<i64>,
    /// The organization set its own quota (else the server's default applies).
    pub quota_is_own: bool,
    /// New sessions are refused until the month ends.
    pub over_quota: bool,
    /// Retention of each of your projects.
    pub projects: Vec<ProjectRetention>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct ProjectRetention {
    pub project_id: i64,
    pub name: String,
    pub retention_days: i64,
}

/// The organization's own quota; `null` goes back to the server's default.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct QuotaUpdate {
    #[schema(minimum = 0)]
    pub monthly_session_quota: Option<i64>,
}

/// Requests, events and bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct IngestCounts {
    pub requests: i64,
    pub events: i64,
    pub bytes: i64,
}

/// What ingestion did in one minute.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct IngestMinute {
    #[schema(format = DateTime)]
    pub minute: String,
    pub accepted: IngestCounts,
    pub throttled: IngestCounts,
    pub rejected: IngestCounts,
}

/// Totals of the period by outcome and reason.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct IngestTotal {
    /// `accepted`, `throttled` or `rejected`.
    pub outcome: String,
    /// Why it was rejected: `invalid_request`, `too_large`, `over_quota`, `busy`,
    /// `timeout`, `error`; empty for accepted and throttled.
    pub reason: String,
    #[serde(flatten)]
    pub counts: IngestCounts,
}

/// The Ingestion Monitor: a project's ingestion per minute over the last 24 hours (minutes
/// without requests are left out).
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct IngestionMonitor {
    #[schema(format = DateTime)]
    pub since: String,
    pub minutes: Vec<IngestMinute>,
    pub totals: Vec<IngestTotal>,
}
