//! Who may do what: one table ([`MINIMUM_ROLE`]) and one check ([`authorize`]) that every route
//! touching a project's data goes through. Roles are per project; organization admins are
//! admins of every project. A user without access to a project gets 404 for everything of it
//! (its existence is not told); a user whose role does not allow the action gets 403. What
//! concerns the whole organization ([`ORGANIZATION_ACTIONS`]) is for organization admins
//! ([`authorize_organization`]). `docs/permissions.md` shows both tables; a test keeps them in
//! step.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::error::ApiError;
use reel_engine::store::{Project, ProjectAccess, UserContext};

/// A person's role, from least to most trusted: each role may do what the ones below it may.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize, ToSchema,
)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Watches replays and reads what others built.
    Viewer,
    /// Also builds and saves searches, cohorts, charts, dashboards and notebooks.
    Member,
    /// Also changes the project's settings and reads its feedback and ingestion.
    Manager,
    /// Also manages people, keys and projects, and deletes data.
    Admin,
}

impl Role {
    pub const ALL: [Role; 4] = [Role::Viewer, Role::Member, Role::Manager, Role::Admin];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Viewer => "viewer",
            Role::Member => "member",
            Role::Manager => "manager",
            Role::Admin => "admin",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == text)
    }
}

/// Something a person does with a project's data.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    /// List, search and watch replays; read their events, activity and timeline.
    WatchReplays,
    /// Leave a verdict on a replay.
    GiveFeedback,
    /// Read charts, dashboards, notebooks and user profiles.
    ViewAnalytics,
    /// Create, change and delete saved searches and cohorts.
    SaveSearches,
    /// Create, change and delete charts, dashboards and notebooks.
    SaveAnalytics,
    /// Read viewers' feedback.
    ViewFeedback,
    /// Read the ingestion monitor.
    ViewIngestion,
    /// Read Plans & Billing: sessions captured this month, the quota, retention.
    ViewBilling,
    /// Read and change the project's settings (name, timezone, signal definitions, Session
    /// Replay settings, ingestion limits).
    ChangeSettings,
    /// Change how long the project keeps data (a shorter retention deletes data).
    ChangeRetention,
    /// Delete replays and everything of a user.
    DeleteData,
    /// Rotate the project's ingestion key.
    ManageKeys,
    /// Invite, create, disable people and change their roles.
    ManagePeople,
    /// Read the audit log.
    ViewAuditLog,
}

/// The least role allowed each action, with what the docs call it.
pub const MINIMUM_ROLE: &[(Action, Role, &str)] = &[
    (
        Action::WatchReplays,
        Role::Viewer,
        "list, search and watch replays",
    ),
    (
        Action::GiveFeedback,
        Role::Viewer,
        "give feedback on a replay",
    ),
    (
        Action::ViewAnalytics,
        Role::Viewer,
        "read charts, dashboards, notebooks and user profiles",
    ),
    (
        Action::SaveSearches,
        Role::Member,
        "save searches and cohorts",
    ),
    (
        Action::SaveAnalytics,
        Role::Member,
        "build and save charts, dashboards and notebooks",
    ),
    (
        Action::ViewFeedback,
        Role::Manager,
        "read viewers' feedback",
    ),
    (
        Action::ViewIngestion,
        Role::Manager,
        "read the ingestion monitor",
    ),
    (
        Action::ViewBilling,
        Role::Manager,
        "read Plans & Billing (sessions captured, quota, retention)",
    ),
    (
        Action::ChangeSettings,
        Role::Manager,
        "read and change the project's settings (Session Replay, timezone, limits)",
    ),
    (
        Action::ChangeRetention,
        Role::Admin,
        "change how long the project keeps data",
    ),
    (
        Action::DeleteData,
        Role::Admin,
        "delete replays and a user's data",
    ),
    (Action::ManageKeys, Role::Admin, "rotate ingestion keys"),
    (Action::ManagePeople, Role::Admin, "manage people and roles"),
    (Action::ViewAuditLog, Role::Admin, "read the audit log"),
];

/// Whether `role` may do `action`.
pub fn allows(role: Role, action: Action) -> bool {
    MINIMUM_ROLE
        .iter()
        .find(|(a, _, _)| *a == action)
        .is_some_and(|(_, minimum, _)| role >= *minimum)
}

/// Something only organization admins do: it concerns every project.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum OrganizationAction {
    /// Create projects.
    CreateProjects,
    /// Disable and enable accounts, make organization admins, list every account.
    ManageAccounts,
    /// Set the monthly session quota.
    ChangeQuota,
    /// Read `/metrics` (every project's counters).
    ReadMetrics,
}

/// What organization admins alone may do, with what the docs call it.
pub const ORGANIZATION_ACTIONS: &[(OrganizationAction, &str)] = &[
    (OrganizationAction::CreateProjects, "create projects"),
    (
        OrganizationAction::ManageAccounts,
        "disable accounts, make organization admins, see every account",
    ),
    (
        OrganizationAction::ChangeQuota,
        "set the monthly session quota",
    ),
    (
        OrganizationAction::ReadMetrics,
        "read `/metrics` (every project's counters)",
    ),
];

/// The project a request names (or the user's first), if the user may do `action` with it:
/// 404 when the user has no access to it, 403 when their role on it does not allow the action.
pub fn authorize<'a>(
    ctx: &'a UserContext,
    project: Option<&str>,
    action: Action,
) -> Result<&'a Project, ApiError> {
    let access = pick_project(&ctx.projects, project)?;
    if allows(role_of(access), action) {
        Ok(&access.project)
    } else {
        Err(ApiError::Forbidden(forbidden_message(action)))
    }
}

/// Whether the user is an organization admin, who alone may do `action`: 403 otherwise.
pub fn authorize_organization(
    ctx: &UserContext,
    action: OrganizationAction,
) -> Result<(), ApiError> {
    if ctx.organization_admin {
        return Ok(());
    }
    Err(ApiError::Forbidden(match action {
        OrganizationAction::CreateProjects => "only organization admins may create projects",
        OrganizationAction::ManageAccounts => "only organization admins may manage accounts",
        OrganizationAction::ChangeQuota => "only organization admins may set the quota",
        OrganizationAction::ReadMetrics => "only organization admins may read the metrics",
    }))
}

/// The user's role on a project they have access to.
pub fn role_of(access: &ProjectAccess) -> Role {
    Role::parse(&access.role).unwrap_or(Role::Viewer)
}

/// What a refusal says.
fn forbidden_message(action: Action) -> &'static str {
    match action {
        Action::WatchReplays | Action::GiveFeedback | Action::ViewAnalytics => {
            "your role does not allow this"
        }
        Action::SaveSearches | Action::SaveAnalytics => {
            "viewers cannot save: ask an admin for the member role"
        }
        Action::ViewFeedback
        | Action::ViewIngestion
        | Action::ViewBilling
        | Action::ChangeSettings => "only managers and admins may do this",
        Action::ChangeRetention
        | Action::DeleteData
        | Action::ManageKeys
        | Action::ManagePeople
        | Action::ViewAuditLog => "only admins may do this",
    }
}

/// The project a request names, among those the user may see (the first when none is named).
pub fn pick_project<'a>(
    projects: &'a [ProjectAccess],
    wanted: Option<&str>,
) -> Result<&'a ProjectAccess, ApiError> {
    match wanted.filter(|w| !w.is_empty()) {
        None => projects.first().ok_or(ApiError::NotFound("project")),
        Some(id) => {
            let id: i64 = id.parse().map_err(|_| {
                ApiError::InvalidParameter(format!("project must be a project id, got {id:?}"))
            })?;
            projects
                .iter()
                .find(|p| p.project.id == id)
                .ok_or(ApiError::NotFound("project"))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_action_has_one_minimum_and_roles_only_add() {
        for (action, _, _) in MINIMUM_ROLE {
            let rows = MINIMUM_ROLE.iter().filter(|(a, _, _)| a == action).count();
            assert_eq!(rows, 1, "{action:?}");
            // A role allows everything the roles below it allow.
            for pair in Role::ALL.windows(2) {
                assert!(!allows(pair[0], *action) || allows(pair[1], *action));
            }
        }
        assert!(allows(Role::Viewer, Action::WatchReplays));
        assert!(!allows(Role::Viewer, Action::SaveSearches));
        assert!(!allows(Role::Member, Action::ChangeSettings));
        assert!(allows(Role::Manager, Action::ChangeSettings));
        assert!(!allows(Role::Manager, Action::DeleteData));
        assert!(allows(Role::Admin, Action::ManagePeople));
    }

    /// `docs/permissions.md` shows exactly this table.
    #[test]
    fn the_docs_show_the_table() {
        let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../docs/permissions.md");
        let docs = std::fs::read_to_string(path).expect("docs/permissions.md");
        for (action, _, what) in MINIMUM_ROLE {
            let marks: Vec<&str> = Role::ALL
                .iter()
                .map(|r| if allows(*r, *action) { "yes" } else { "—" })
                .collect();
            let row = format!("| {what} | {} |", marks.join(" | "));
            assert!(
                docs.contains(&row),
                "docs/permissions.md lacks the row\n{row}"
            );
        }
        for (_, what) in ORGANIZATION_ACTIONS {
            let row = format!("| {what} |");
            assert!(
                docs.contains(&row),
                "docs/permissions.md lacks the organization row\n{row}"
            );
        }
    }
}
