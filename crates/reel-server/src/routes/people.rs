//! People: accounts of the organization (created by admins or by accepting an invitation
//! link), their roles per project, organization admins, disabled accounts.

use std::net::SocketAddr;

use axum::Json;
use axum::extract::{ConnectInfo, Path, Query, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::Response;
use reel_engine::store::{Accepted, NewInvite, NewPerson, Person as StoredPerson, UserContext};
use serde_json::json;

use super::api::{ProjectQuery, browser_session, rfc3339, signed_in};
use super::extract::ApiJson;
use crate::AppState;
use crate::api_types::{
    AcceptInvite, AccountUpdate, CreatedInvite, ErrorBody, Invite, InviteInfo, InviteList,
    InviteRequest, LoginAnswer, NewUserRequest, Person, PersonList, ProjectRole, Role, RoleRequest,
    UserInfo,
};
use crate::audit;
use crate::auth::{self, CurrentUser};
use crate::error::ApiError;
use crate::permissions::{Action, OrganizationAction, authorize, authorize_organization};

/// The longest email address there is (RFC 5321's path limit less its angle brackets).
const MAX_EMAIL_CHARS: usize = 254;
/// How long an invitation link works unless the admin says otherwise, and at most.
const DEFAULT_INVITE_HOURS: u32 = 72;
const MAX_INVITE_HOURS: u32 = 720;

fn email_of(text: &str) -> Result<String, ApiError> {
    let email = text.trim().to_lowercase();
    let plausible = email
        .split_once('@')
        .is_some_and(|(local, domain)| !local.is_empty() && !domain.is_empty());
    if !plausible || email.chars().count() > MAX_EMAIL_CHARS || email.contains(char::is_whitespace)
    {
        return Err(ApiError::InvalidParameter(format!(
            "give an email address of at most {MAX_EMAIL_CHARS} characters"
        )));
    }
    Ok(email)
}

fn role_of(text: &str) -> Role {
    Role::parse(text).unwrap_or(Role::Viewer)
}

/// A stored person as the API shows them; `project`: the project asked about, if any.
fn person_json(p: &StoredPerson, project: Option<i64>) -> Person {
    let role = project.and_then(|id| {
        if p.organization_admin {
            Some(Role::Admin)
        } else {
            p.roles
                .iter()
                .find(|(pid, _)| *pid == id)
                .map(|(_, r)| role_of(r))
        }
    });
    Person {
        user: UserInfo {
            id: p.user.id,
            email: p.user.email.clone(),
        },
        organization_admin: p.organization_admin,
        disabled: p.disabled_ms.is_some(),
        role,
        roles: p
            .roles
            .iter()
            .map(|(project_id, role)| ProjectRole {
                project_id: *project_id,
                role: role_of(role),
            })
            .collect(),
        created_at: rfc3339(p.created_ms),
    }
}

/// The person `user_id` of the caller's organization; 404 when there is none.
async fn person(
    state: &AppState,
    ctx: &UserContext,
    user_id: &str,
) -> Result<StoredPerson, ApiError> {
    let id: i64 = user_id.parse().map_err(|_| ApiError::NotFound("user"))?;
    state
        .store()
        .person(ctx.organization.id, id)
        .await?
        .ok_or(ApiError::NotFound("user"))
}

/// Everyone with access to the project and their role on it (admins).
#[utoipa::path(
    get, path = "/projects/{id}/members", tag = "people",
    params(("id" = i64, Path, description = "The project's id")),
    responses(
        (status = 200, body = PersonList), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    )
)]
pub(super) async fn members(
    State(state): State<AppState>,
    CurrentUser(ctx, _): CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<PersonList>, ApiError> {
    let project = authorize(&ctx, Some(&id), Action::ManagePeople)?;
    let people = state.store().people(ctx.organization.id).await?;
    Ok(Json(PersonList {
        people: people
            .iter()
            .map(|p| person_json(p, Some(project.id)))
            .filter(|p| p.role.is_some())
            .collect(),
    }))
}

/// Give a person of the organization a role on the project, or change it (admins).
#[utoipa::path(
    put, path = "/projects/{id}/members/{user_id}", tag = "people",
    params(
        ("id" = i64, Path, description = "The project's id"),
        ("user_id" = i64, Path, description = "The person's user id"),
    ),
    request_body = RoleRequest,
    responses(
        (status = 200, description = "The person as they are now", body = Person),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 415, body = ErrorBody),
    )
)]
pub(super) async fn set_role(
    State(state): State<AppState>,
    CurrentUser(ctx, _): CurrentUser,
    Path((id, user_id)): Path<(String, String)>,
    ApiJson(body): ApiJson<RoleRequest>,
) -> Result<Json<Person>, ApiError> {
    let project = authorize(&ctx, Some(&id), Action::ManagePeople)?;
    let target = person(&state, &ctx, &user_id).await?;
    if target.organization_admin {
        return Err(ApiError::InvalidParameter(
            "organization admins are admins of every project".into(),
        ));
    }
    let before = target
        .roles
        .iter()
        .find(|(p, _)| *p == project.id)
        .map(|(_, r)| r.clone());
    state
        .store()
        .set_project_role(project.id, target.user.id, Some(body.role.as_str()))
        .await?;
    let event = audit::Event::new("role_changed", audit::Actor::User(&ctx))
        .project(project.id)
        .target(target.user.email.clone())
        .detail(json!({"from": before, "to": body.role}));
    audit::record(&state, event).await;
    let now = person(&state, &ctx, &user_id).await?;
    Ok(Json(person_json(&now, Some(project.id))))
}

/// Take a person's access to the project away (admins).
#[utoipa::path(
    delete, path = "/projects/{id}/members/{user_id}", tag = "people",
    params(
        ("id" = i64, Path, description = "The project's id"),
        ("user_id" = i64, Path, description = "The person's user id"),
    ),
    responses(
        (status = 204, description = "Removed"), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
    )
)]
pub(super) async fn remove_member(
    State(state): State<AppState>,
    CurrentUser(ctx, _): CurrentUser,
    Path((id, user_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let project = authorize(&ctx, Some(&id), Action::ManagePeople)?;
    let target = person(&state, &ctx, &user_id).await?;
    if target.organization_admin {
        return Err(ApiError::InvalidParameter(
            "organization admins are admins of every project".into(),
        ));
    }
    if !target.roles.iter().any(|(p, _)| *p == project.id) {
        return Err(ApiError::NotFound("member"));
    }
    state
        .store()
        .set_project_role(project.id, target.user.id, None)
        .await?;
    let event = audit::Event::new("access_removed", audit::Actor::User(&ctx))
        .project(project.id)
        .target(target.user.email);
    audit::record(&state, event).await;
    Ok(StatusCode::NO_CONTENT)
}

/// Every account of the organization with its roles (organization admins).
#[utoipa::path(
    get, path = "/accounts", tag = "people",
    responses(
        (status = 200, body = PersonList), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody),
    )
)]
pub(super) async fn accounts(
    State(state): State<AppState>,
    CurrentUser(ctx, _): CurrentUser,
) -> Result<Json<PersonList>, ApiError> {
    authorize_organization(&ctx, OrganizationAction::ManageAccounts)?;
    let people = state.store().people(ctx.organization.id).await?;
    Ok(Json(PersonList {
        people: people.iter().map(|p| person_json(p, None)).collect(),
    }))
}

/// Create an account with a role on the project (admins of it): `{"email", "password",
/// "role"}`. Accounts are listed and changed under `/accounts`; `GET /users` is User Look-Up,
/// the recorded site's users.
#[utoipa::path(
    post, path = "/users", tag = "people",
    params(ProjectQuery),
    request_body = NewUserRequest,
    responses(
        (status = 201, description = "The new account", body = Person),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 409, description = "The email has an account already", body = ErrorBody),
        (status = 415, body = ErrorBody),
    )
)]
pub(super) async fn create_user(
    State(state): State<AppState>,
    CurrentUser(ctx, _): CurrentUser,
    Query(q): Query<ProjectQuery>,
    ApiJson(body): ApiJson<NewUserRequest>,
) -> Result<(StatusCode, Json<Person>), ApiError> {
    let project = authorize(&ctx, q.project.as_deref(), Action::ManagePeople)?;
    let email = email_of(&body.email)?;
    auth::check_new_password(&body.password)?;
    let hash = state.login.hash(body.password).await?;
    let new = NewPerson {
        organization_id: ctx.organization.id,
        email: email.clone(),
        password_hash: hash,
        project_role: Some((project.id, body.role.as_str().to_owned())),
    };
    let user = state
        .store()
        .create_person(new, state.now_ms())
        .await?
        .ok_or_else(|| taken(project.id))?;
    let event = audit::Event::new("user_created", audit::Actor::User(&ctx))
        .project(project.id)
        .target(email)
        .detail(json!({"role": body.role}));
    audit::record(&state, event).await;
    let created = person(&state, &ctx, &user.id.to_string()).await?;
    Ok((
        StatusCode::CREATED,
        Json(person_json(&created, Some(project.id))),
    ))
}

fn taken(project_id: i64) -> ApiError {
    ApiError::Conflict(format!(
        "this email has an account already: give it a role with PUT /api/v1/projects/{project_id}/members/{{user_id}}"
    ))
}

/// Disable or enable an account, make it an organization admin or not (organization admins).
/// A disabled account's browser sessions and API tokens stop at once.
#[utoipa::path(
    patch, path = "/accounts/{user_id}", tag = "people",
    params(("user_id" = i64, Path, description = "The person's user id")),
    request_body = AccountUpdate,
    responses(
        (status = 200, description = "The account as it is now", body = Person),
        (status = 400, body = ErrorBody), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 415, body = ErrorBody),
    )
)]
pub(super) async fn update_account(
    State(state): State<AppState>,
    CurrentUser(ctx, _): CurrentUser,
    Path(user_id): Path<String>,
    ApiJson(body): ApiJson<AccountUpdate>,
) -> Result<Json<Person>, ApiError> {
    authorize_organization(&ctx, OrganizationAction::ManageAccounts)?;
    let target = person(&state, &ctx, &user_id).await?;
    let myself = target.user.id == ctx.user.id;
    if myself && (body.disabled == Some(true) || body.organization_admin == Some(false)) {
        return Err(ApiError::InvalidParameter(
            "you cannot disable yourself or stop being an organization admin: ask another one"
                .into(),
        ));
    }
    if let Some(disabled) = body.disabled {
        state
            .store()
            .set_disabled(target.user.id, disabled, state.now_ms())
            .await?;
        let action = if disabled {
            "account_disabled"
        } else {
            "account_enabled"
        };
        let event =
            audit::Event::new(action, audit::Actor::User(&ctx)).target(target.user.email.clone());
        audit::record(&state, event).await;
    }
    if let Some(admin) = body.organization_admin {
        state
            .store()
            .set_organization_admin(ctx.organization.id, target.user.id, admin)
            .await?;
        let event = audit::Event::new("organization_admin_changed", audit::Actor::User(&ctx))
            .target(target.user.email.clone())
            .detail(json!({"organization_admin": admin}));
        audit::record(&state, event).await;
    }
    let now = person(&state, &ctx, &user_id).await?;
    Ok(Json(person_json(&now, None)))
}

fn invite_json(i: &reel_engine::store::Invite) -> Invite {
    Invite {
        id: i.id,
        project_id: i.project_id,
        email: i.email.clone(),
        role: role_of(&i.role),
        created_by: i.created_by.clone(),
        created_at: rfc3339(i.created_ms),
        expires_at: rfc3339(i.expires_ms),
    }
}

/// The project's invitations not used yet (admins).
#[utoipa::path(
    get, path = "/projects/{id}/invites", tag = "people",
    params(("id" = i64, Path, description = "The project's id")),
    responses(
        (status = 200, body = InviteList), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    )
)]
pub(super) async fn invites(
    State(state): State<AppState>,
    CurrentUser(ctx, _): CurrentUser,
    Path(id): Path<String>,
) -> Result<Json<InviteList>, ApiError> {
    let project = authorize(&ctx, Some(&id), Action::ManagePeople)?;
    let pending = state
        .store()
        .pending_invites(project.id, state.now_ms())
        .await?;
    Ok(Json(InviteList {
        invites: pending.iter().map(invite_json).collect(),
    }))
}

/// Invite someone to the project with a role (admins). The answer holds the link's path, once;
/// the link works once, until it expires.
#[utoipa::path(
    post, path = "/projects/{id}/invites", tag = "people",
    params(("id" = i64, Path, description = "The project's id")),
    request_body = InviteRequest,
    responses(
        (status = 201, body = CreatedInvite), (status = 400, body = ErrorBody),
        (status = 401, body = ErrorBody), (status = 403, body = ErrorBody),
        (status = 404, body = ErrorBody),
        (status = 409, description = "The email has an account already", body = ErrorBody),
        (status = 415, body = ErrorBody),
    )
)]
pub(super) async fn invite(
    State(state): State<AppState>,
    CurrentUser(ctx, _): CurrentUser,
    Path(id): Path<String>,
    ApiJson(body): ApiJson<InviteRequest>,
) -> Result<(StatusCode, Json<CreatedInvite>), ApiError> {
    let project = authorize(&ctx, Some(&id), Action::ManagePeople)?;
    let email = email_of(&body.email)?;
    let hours = body.expires_in_hours.unwrap_or(DEFAULT_INVITE_HOURS);
    if !(1..=MAX_INVITE_HOURS).contains(&hours) {
        return Err(ApiError::InvalidParameter(format!(
            "expires_in_hours must be between 1 and {MAX_INVITE_HOURS}"
        )));
    }
    if state.store().user_for_login(&email).await?.is_some() {
        return Err(taken(project.id));
    }
    let now = state.now_ms();
    let token = auth::new_token();
    let created = state
        .store()
        .create_invite(
            NewInvite {
                project_id: project.id,
                email: email.clone(),
                role: body.role.as_str().to_owned(),
                token_hash: auth::token_hash(&token),
                created_by: ctx.user.id,
                expires_ms: now + i64::from(hours) * 3_600_000,
            },
            now,
        )
        .await?;
    let event = audit::Event::new("invite_created", audit::Actor::User(&ctx))
        .project(project.id)
        .target(email)
        .detail(json!({"role": body.role, "expires_in_hours": hours}));
    audit::record(&state, event).await;
    Ok((
        StatusCode::CREATED,
        Json(CreatedInvite {
            invite: invite_json(&created),
            path: format!("/invite/{token}"),
        }),
    ))
}

/// Revoke an invitation not used yet (admins).
#[utoipa::path(
    delete, path = "/projects/{id}/invites/{invite_id}", tag = "people",
    params(
        ("id" = i64, Path, description = "The project's id"),
        ("invite_id" = i64, Path, description = "The invitation's id"),
    ),
    responses(
        (status = 204, description = "Revoked"), (status = 401, body = ErrorBody),
        (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
    )
)]
pub(super) async fn revoke_invite(
    State(state): State<AppState>,
    CurrentUser(ctx, _): CurrentUser,
    Path((id, invite_id)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    let project = authorize(&ctx, Some(&id), Action::ManagePeople)?;
    let invite_id: i64 = invite_id
        .parse()
        .map_err(|_| ApiError::NotFound("invite"))?;
    if !state.store().revoke_invite(project.id, invite_id).await? {
        return Err(ApiError::NotFound("invite"));
    }
    let event = audit::Event::new("invite_revoked", audit::Actor::User(&ctx))
        .project(project.id)
        .detail(json!({"invite_id": invite_id}));
    audit::record(&state, event).await;
    Ok(StatusCode::NO_CONTENT)
}

/// What an invitation link offers; no sign-in needed (the link is the secret).
#[utoipa::path(
    get, path = "/invites/{token}", tag = "people", security(()),
    params(("token" = String, Path, description = "The secret of the link")),
    responses(
        (status = 200, body = InviteInfo),
        (status = 404, description = "No such link, or it was used or has expired", body = ErrorBody),
    )
)]
pub(super) async fn invite_info(
    State(state): State<AppState>,
    Path(token): Path<String>,
) -> Result<Json<InviteInfo>, ApiError> {
    let invite = state
        .store()
        .invite_by_token(&auth::token_hash(&token), state.now_ms())
        .await?
        .ok_or(ApiError::NotFound("invite"))?;
    let project = state
        .store()
        .project(invite.project_id)
        .await?
        .ok_or(ApiError::NotFound("invite"))?;
    let organization = state
        .store()
        .organization(invite.organization_id)
        .await?
        .ok_or(ApiError::NotFound("invite"))?;
    Ok(Json(InviteInfo {
        email: invite.email,
        role: role_of(&invite.role),
        organization: organization.name,
        project: project.name,
        expires_at: rfc3339(invite.expires_ms),
    }))
}

/// Accept an invitation: creates the account with the password given and signs it in (sets
/// the `reel_session` cookie). A link works once.
#[utoipa::path(
    post, path = "/invites/{token}/accept", tag = "people", security(()),
    params(("token" = String, Path, description = "The secret of the link")),
    request_body = AcceptInvite,
    responses(
        (status = 200, description = "Signed in", body = LoginAnswer),
        (status = 400, body = ErrorBody),
        (status = 404, description = "No such link, or it was used or has expired", body = ErrorBody),
        (status = 409, description = "The email has an account already", body = ErrorBody),
        (status = 415, body = ErrorBody),
        (status = 503, description = "Too many password checks at once; retry", body = ErrorBody),
    )
)]
pub(super) async fn accept_invite(
    State(state): State<AppState>,
    ConnectInfo(peer): ConnectInfo<SocketAddr>,
    headers: HeaderMap,
    Path(token): Path<String>,
    ApiJson(body): ApiJson<AcceptInvite>,
) -> Result<Response, ApiError> {
    auth::check_new_password(&body.password)?;
    let token_hash = auth::token_hash(&token);
    // An unknown link costs no password hashing.
    if state
        .store()
        .invite_by_token(&token_hash, state.now_ms())
        .await?
        .is_none()
    {
        return Err(ApiError::NotFound("invite"));
    }
    let hash = state.login.hash(body.password).await?;
    let (user, invite) = match state
        .store()
        .accept_invite(&token_hash, &hash, state.now_ms())
        .await?
    {
        Accepted::Created { user, invite } => (user, invite),
        Accepted::Gone => return Err(ApiError::NotFound("invite")),
        Accepted::EmailTaken => {
            return Err(ApiError::Conflict(
                "this email has an account already: sign in with it".into(),
            ));
        }
    };
    let by = audit::Actor::Account {
        organization_id: invite.organization_id,
        user_id: user.id,
        email: &user.email,
    };
    let event = audit::Event::new("invite_accepted", by)
        .project(invite.project_id)
        .target(user.email.clone())
        .detail(json!({"role": invite.role, "invited_by": invite.created_by}));
    audit::record(&state, event).await;
    let cookie = browser_session(&state, &headers, peer, user.id).await?;
    Ok(signed_in(user, cookie))
}
