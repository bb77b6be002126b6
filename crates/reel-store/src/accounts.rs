//! Organizations, their projects, users and the tokens they sign in with.

use async_trait::async_trait;

use crate::Result;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organization {
    pub id: i64,
    pub name: String,
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
    /// The user's role in the organization ("admin" is the only one so far).
    pub role: String,
    pub projects: Vec<Project>,
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
    /// Creates the first organization, its project and its admin.
    async fn create_installation(
        &self,
        new: NewInstallation,
        now_ms: i64,
    ) -> Result<(Project, User)>;

    async fn first_project(&self) -> Result<Option<Project>>;
    async fn project(&self, project_id: i64) -> Result<Option<Project>>;
    async fn project_by_api_key(&self, api_key: &str) -> Result<Option<Project>>;
    async fn set_project_api_key(&self, project_id: i64, api_key: &str) -> Result<()>;
    async fn set_project_timezone(&self, project_id: i64, timezone: &str) -> Result<()>;
    async fn set_project_signal_settings(&self, project_id: i64, settings: &str) -> Result<()>;

    /// Creates the user in the first organization as an admin, or replaces their password.
    async fn upsert_admin(&self, email: &str, password_hash: &str, now_ms: i64) -> Result<User>;
    /// The user and their password hash.
    async fn user_for_login(&self, email: &str) -> Result<Option<(User, String)>>;
    async fn user_context(&self, user_id: i64) -> Result<Option<UserContext>>;
    /// Replaces the user's password hash and revokes their browser sessions.
    async fn set_password(&self, user_id: i64, password_hash: &str) -> Result<()>;

    async fn put_token(&self, token: NewToken, now_ms: i64) -> Result<TokenInfo>;
    /// Makes `token` the only [`TokenOrigin::Config`] token (an earlier configured token stops
    /// working); `None` revokes every configured token.
    async fn set_config_token(&self, token: Option<NewToken>, now_ms: i64) -> Result<()>;
    /// The user a token belongs to, with the token, if it exists and has not expired at `now_ms`.
    async fn token_user(&self, token_hash: &str, now_ms: i64) -> Result<Option<(User, TokenInfo)>>;
    /// Records that a token was used at `now_ms`.
    async fn touch_token(&self, token_id: i64, now_ms: i64) -> Result<()>;
    /// The user's tokens and browser sessions that have not expired, newest first.
    async fn tokens_of(&self, user_id: i64, now_ms: i64) -> Result<Vec<TokenInfo>>;
    /// Revokes one of the user's tokens; false when the user has no such token.
    async fn revoke_token(&self, user_id: i64, token_id: i64) -> Result<bool>;
    async fn delete_token(&self, token_hash: &str) -> Result<()>;
}
