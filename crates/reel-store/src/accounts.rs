//! Organizations, their projects (with ingestion keys and settings), users and the tokens they
//! sign in with. People and roles are [`crate::PeopleStore`]'s.

use async_trait::async_trait;

use crate::Result;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organization {
    pub id: i64,
    pub name: String,
    /// Sessions the organization may capture a month (none: the server's default).
    pub monthly_session_quota: Option<i64>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Project {
    pub id: i64,
    pub organization_id: i64,
    pub name: String,
    pub api_key: String,
    /// IANA timezone name; dates are shown and filtered in it.
    pub timezone: String,
    /// JSON object: the project's signal definitions that differ from the defaults.
    pub signal_settings: String,
    /// JSON object: the project's Session Replay settings (what SDKs capture).
    pub replay_settings: String,
    /// How many days recordings, events and text are kept.
    pub retention_days: i64,
    /// Ingestion limits (none: the server's defaults).
    pub events_per_second: Option<i64>,
    pub bytes_per_second: Option<i64>,
}

/// Project settings to change; `None` leaves one as it is.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ProjectChanges {
    pub name: Option<String>,
    pub timezone: Option<String>,
    pub signal_settings: Option<String>,
    pub replay_settings: Option<String>,
    pub retention_days: Option<i64>,
    /// `Some(None)` goes back to the server's default.
    pub events_per_second: Option<Option<i64>>,
    pub bytes_per_second: Option<Option<i64>>,
}

/// An ingestion key that a rotation replaced, valid until `until_ms`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RetiredKey {
    pub api_key: String,
    pub until_ms: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct User {
    pub id: i64,
    pub email: String,
}

/// What a signed-in user may see.
#[derive(Debug, Clone)]
pub struct UserContext {
    pub user: User,
    pub organization: Organization,
    /// Organization admins are admins of every project of the organization.
    pub organization_admin: bool,
    /// The projects the user has access to, each with their role on it, by id.
    pub projects: Vec<ProjectAccess>,
}

/// A project and someone's role on it (`viewer`, `member`, `manager`, `admin`).
#[derive(Debug, Clone)]
pub struct ProjectAccess {
    pub project: Project,
    pub role: String,
}

/// An account as the login sees it.
#[derive(Debug, Clone)]
pub struct LoginAccount {
    pub user: User,
    pub password_hash: String,
    /// Disabled accounts sign in nowhere.
    pub disabled: bool,
    pub organization_id: i64,
}

/// Where a token came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TokenOrigin {
    /// A browser login (the cookie), with an expiry.
    Login,
    /// `REEL_ADMIN_TOKEN`: replaced when the configuration names another token.
    Config,
    /// Made through the API by its user.
    Created,
}

impl TokenOrigin {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Login => "login",
            Self::Config => "config",
            Self::Created => "created",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "login" => Some(Self::Login),
            "config" => Some(Self::Config),
            "created" => Some(Self::Created),
            _ => None,
        }
    }
}

/// A token about to be stored; only its hash is ever kept.
#[derive(Debug, Clone)]
pub struct NewToken {
    pub user_id: i64,
    pub token_hash: String,
    pub origin: TokenOrigin,
    pub name: Option<String>,
    pub expires_ms: Option<i64>,
}

/// A stored token as its user may see it (never the token itself).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TokenInfo {
    pub id: i64,
    pub user_id: i64,
    pub origin: TokenOrigin,
    pub name: Option<String>,
    pub created_ms: i64,
    pub last_used_ms: Option<i64>,
    pub expires_ms: Option<i64>,
}

/// The first organization, project and admin of an empty installation.
#[derive(Debug, Clone)]
pub struct NewInstallation {
    pub organization_name: String,
    pub project_name: String,
    pub api_key: String,
    pub admin_email: String,
    pub admin_password_hash: String,
}

#[async_trait]
pub trait AccountStore: Send + Sync + 'static {
    /// True when no organization exists yet.
    async fn is_empty(&self) -> Result<bool>;
    /// Creates the first organization, its project and its admin; none when an organization
    /// exists already (another node sharing the database made it first).
    async fn create_installation(
        &self,
        new: NewInstallation,
        now_ms: i64,
    ) -> Result<Option<(Project, User)>>;
    /// Another organization with its first project and admin, whatever exists already.
    async fn create_organization(
        &self,
        new: NewInstallation,
        now_ms: i64,
    ) -> Result<(Project, User)>;

    async fn first_project(&self) -> Result<Option<Project>>;
    async fn project(&self, project_id: i64) -> Result<Option<Project>>;
    /// Every project, by id (the housekeeping jobs walk them).
    async fn projects(&self) -> Result<Vec<Project>>;
    /// The project whose current key is `api_key`, or whose retired key it is until after
    /// `now_ms`.
    async fn project_by_api_key(&self, api_key: &str, now_ms: i64) -> Result<Option<Project>>;
    /// Replaces the project's key at once (the configuration's `api_key`): the old one stops.
    async fn set_project_api_key(&self, project_id: i64, api_key: &str) -> Result<()>;
    /// Gives the project a new key; the current one keeps working until `old_until_ms`.
    async fn rotate_api_key(&self, project_id: i64, new_key: &str, old_until_ms: i64)
    -> Result<()>;
    /// The project's retired keys still working at `now_ms`.
    async fn retired_keys(&self, project_id: i64, now_ms: i64) -> Result<Vec<RetiredKey>>;
    /// Changes what `changes` gives; returns the project as it is now (none: no such project).
    async fn update_project(
        &self,
        project_id: i64,
        changes: ProjectChanges,
    ) -> Result<Option<Project>>;
    /// A new project of the organization with the default settings.
    async fn create_project(
        &self,
        organization_id: i64,
        name: &str,
        api_key: &str,
        now_ms: i64,
    ) -> Result<Project>;
    async fn organization(&self, organization_id: i64) -> Result<Option<Organization>>;
    async fn set_monthly_session_quota(
        &self,
        organization_id: i64,
        quota: Option<i64>,
    ) -> Result<()>;

    /// Creates the user in the first organization as an admin, or replaces their password.
    async fn upsert_admin(&self, email: &str, password_hash: &str, now_ms: i64) -> Result<User>;
    /// The account with this email, disabled or not.
    async fn user_for_login(&self, email: &str) -> Result<Option<LoginAccount>>;
    /// What the user may see; none when the account is unknown or disabled.
    async fn user_context(&self, user_id: i64) -> Result<Option<UserContext>>;
    /// Replaces the user's password hash and revokes their browser sessions, except `keep`
    /// (the one the user changed it in).
    async fn set_password(
        &self,
        user_id: i64,
        password_hash: &str,
        keep: Option<i64>,
    ) -> Result<()>;
    /// Revokes the user's browser sessions ("sign out everywhere"), except `keep`; returns
    /// how many were revoked.
    async fn revoke_browser_sessions(&self, user_id: i64, keep: Option<i64>) -> Result<usize>;

    async fn put_token(&self, token: NewToken, now_ms: i64) -> Result<TokenInfo>;
    /// Makes `token` the only [`TokenOrigin::Config`] token (an earlier configured token stops
    /// working); `None` revokes every configured token.
    async fn set_config_token(&self, token: Option<NewToken>, now_ms: i64) -> Result<()>;
    /// The user a token belongs to, with the token, if it exists, has not expired at `now_ms`
    /// and its user is not disabled.
    async fn token_user(&self, token_hash: &str, now_ms: i64) -> Result<Option<(User, TokenInfo)>>;
    /// Records that a token was used at `now_ms`.
    async fn touch_token(&self, token_id: i64, now_ms: i64) -> Result<()>;
    /// The user's tokens and browser sessions that have not expired, newest first.
    async fn tokens_of(&self, user_id: i64, now_ms: i64) -> Result<Vec<TokenInfo>>;
    /// Revokes one of the user's tokens; false when the user has no such token.
    async fn revoke_token(&self, user_id: i64, token_id: i64) -> Result<bool>;
    async fn delete_token(&self, token_hash: &str) -> Result<()>;
}
