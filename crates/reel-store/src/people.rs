//! People of an organization: accounts, their role on each project, organization admins,
//! disabled accounts, and invitations by link.
//!
//! Roles are kept as the words `viewer`, `member`, `manager`, `admin`; what each may do is the
//! server's permission table, not the store's business.

use async_trait::async_trait;

use crate::{Result, User};

/// An account of an organization with its roles.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub user: User,
    /// Admin of every project, creates projects, manages every account.
    pub organization_admin: bool,
    /// When the account was disabled (none: it is active).
    pub disabled_ms: Option<i64>,
    /// (project id, role) for the projects the person has a role in, by project id. Empty for
    /// organization admins, who are admins of every project.
    pub roles: Vec<(i64, String)>,
    pub created_ms: i64,
}

/// A new account.
#[derive(Debug, Clone)]
pub struct NewPerson {
    pub organization_id: i64,
    pub email: String,
    pub password_hash: String,
    /// The role the person gets on a project, if any.
    pub project_role: Option<(i64, String)>,
}

/// An invitation, without its secret.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invite {
    pub id: i64,
    pub project_id: i64,
    pub organization_id: i64,
    pub email: String,
    pub role: String,
    pub created_by: String,
    pub created_ms: i64,
    pub expires_ms: i64,
}

/// An invitation about to be stored; only the hash of its secret is kept.
#[derive(Debug, Clone)]
pub struct NewInvite {
    pub project_id: i64,
    pub email: String,
    pub role: String,
    pub token_hash: String,
    pub created_by: i64,
    pub expires_ms: i64,
}

/// What accepting an invitation did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Accepted {
    /// The account was created with the invitation's role; the invitation is used up.
    Created { user: User, invite: Invite },
    /// No such invitation, or it was used, revoked or has expired.
    Gone,
    /// An account with the invitation's email exists already.
    EmailTaken,
}

#[async_trait]
pub trait PeopleStore: Send + Sync + 'static {
    /// Every account of the organization, by email.
    async fn people(&self, organization_id: i64) -> Result<Vec<Person>>;
    /// One account of the organization.
    async fn person(&self, organization_id: i64, user_id: i64) -> Result<Option<Person>>;
    /// Creates an account; none when the email has one already.
    async fn create_person(&self, new: NewPerson, now_ms: i64) -> Result<Option<User>>;
    /// Gives the user `role` on the project, or removes their access (`None`).
    async fn set_project_role(
        &self,
        project_id: i64,
        user_id: i64,
        role: Option<&str>,
    ) -> Result<()>;
    /// Makes the user an organization admin or not.
    async fn set_organization_admin(
        &self,
        organization_id: i64,
        user_id: i64,
        admin: bool,
    ) -> Result<()>;
    /// Disables the account (every token and browser session of it is deleted in the same
    /// transaction, so they stop at once) or enables it again.
    async fn set_disabled(&self, user_id: i64, disabled: bool, now_ms: i64) -> Result<()>;

    async fn create_invite(&self, invite: NewInvite, now_ms: i64) -> Result<Invite>;
    /// The project's invitations not used and not expired at `now_ms`, newest first.
    async fn pending_invites(&self, project_id: i64, now_ms: i64) -> Result<Vec<Invite>>;
    /// The invitation a link's secret names, if it can still be used at `now_ms`.
    async fn invite_by_token(&self, token_hash: &str, now_ms: i64) -> Result<Option<Invite>>;
    /// Revokes one of the project's invitations; false when there is no such pending one.
    async fn revoke_invite(&self, project_id: i64, invite_id: i64) -> Result<bool>;
    /// Uses an invitation once: creates its account with `password_hash` and its role, in one
    /// transaction, so two acceptances of the same link cannot both succeed.
    async fn accept_invite(
        &self,
        token_hash: &str,
        password_hash: &str,
        now_ms: i64,
    ) -> Result<Accepted>;
}
