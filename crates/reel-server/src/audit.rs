//! The audit log: who signed in, changed people, roles, keys and settings, and deleted data.
//! One call per action, after the action is durable; a line that cannot be written is logged
//! (the action stands: refusing it afterwards would undo nothing).

use reel_engine::store::{NewAuditEntry, UserContext};
use serde_json::Value;

use crate::AppState;

/// What happened, to what, with which details.
pub struct Event<'a> {
    pub action: &'static str,
    pub project_id: Option<i64>,
    pub target: Option<String>,
    pub detail: Option<Value>,
    pub by: Actor<'a>,
}

/// Who did it.
pub enum Actor<'a> {
    /// A signed-in user.
    User(&'a UserContext),
    /// Someone identified by an account of `organization_id` (a login, an invitation taken).
    Account {
        organization_id: i64,
        user_id: i64,
        email: &'a str,
    },
}

impl<'a> Event<'a> {
    pub fn new(action: &'static str, by: Actor<'a>) -> Self {
        Self {
            action,
            project_id: None,
            target: None,
            detail: None,
            by,
        }
    }

    pub fn project(mut self, project_id: i64) -> Self {
        self.project_id = Some(project_id);
        self
    }

    pub fn target(mut self, target: impl Into<String>) -> Self {
        self.target = Some(target.into());
        self
    }

    pub fn detail(mut self, detail: Value) -> Self {
        self.detail = Some(detail);
        self
    }
}

/// Writes one line of the audit log.
pub async fn record(state: &AppState, event: Event<'_>) {
    let (organization_id, actor_user_id, actor) = match event.by {
        Actor::User(ctx) => (ctx.organization.id, ctx.user.id, ctx.user.email.clone()),
        Actor::Account {
            organization_id,
            user_id,
            email,
        } => (organization_id, user_id, email.to_owned()),
    };
    let entry = NewAuditEntry {
        organization_id,
        project_id: event.project_id,
        actor_user_id: Some(actor_user_id),
        actor: Some(actor),
        action: event.action.to_owned(),
        target: event.target,
        detail: event.detail.map(|d| d.to_string()),
        at_ms: state.now_ms(),
    };
    if let Err(e) = state.store().add_audit(entry).await {
        tracing::error!(error = %e, action = event.action, "could not write the audit log");
    }
}
