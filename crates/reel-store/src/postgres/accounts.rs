//! Organizations, projects (keys, settings), users and tokens ([`AccountStore`]) on PostgreSQL.

use async_trait::async_trait;
use tokio_postgres::GenericClient;

use super::{PROJECT_COLUMNS, PgStore, organization_from_row, project_from_row};
use crate::{
    AccountStore, LoginAccount, NewInstallation, NewToken, Organization, Project, ProjectAccess,
    ProjectChanges, Result, RetiredKey, StoreError, TokenInfo, TokenOrigin, User, UserContext,
};

#[async_trait]
impl AccountStore for PgStore {
    async fn is_empty(&self) -> Result<bool> {
        let c = self.pool.get().await?;
        let row = c
            .query_one("SELECT NOT EXISTS (SELECT 1 FROM organizations)", &[])
            .await?;
        Ok(row.get(0))
    }

    async fn create_installation(
        &self,
        new: NewInstallation,
        now: i64,
    ) -> Result<Option<(Project, User)>> {
        let mut c = self.pool.get().await?;
        let tx = c.transaction().await?;
        // Nodes starting together on an empty database: one makes the installation, the others
        // wait here and find it.
        tx.execute("LOCK TABLE organizations IN EXCLUSIVE MODE", &[])
            .await?;
        if tx
            .query_one("SELECT EXISTS (SELECT 1 FROM organizations)", &[])
            .await?
            .get(0)
        {
            return Ok(None);
        }
        let made = insert_organization(&tx, new, now).await?;
        tx.commit().await?;
        Ok(Some(made))
    }

    async fn create_organization(&self, new: NewInstallation, now: i64) -> Result<(Project, User)> {
        let mut c = self.pool.get().await?;
        let tx = c.transaction().await?;
        let made = insert_organization(&tx, new, now).await?;
        tx.commit().await?;
        Ok(made)
    }

    async fn first_project(&self) -> Result<Option<Project>> {
        let c = self.pool.get().await?;
        let row = c
            .query_opt(
                &format!("SELECT {PROJECT_COLUMNS} FROM projects p ORDER BY id LIMIT 1"),
                &[],
            )
            .await?;
        Ok(row.as_ref().map(project_from_row))
    }

    async fn project(&self, project_id: i64) -> Result<Option<Project>> {
        let c = self.pool.get().await?;
        project_by_id(&*c, project_id).await
    }

    async fn projects(&self) -> Result<Vec<Project>> {
        let c = self.pool.get().await?;
        let rows = c
            .query(
                &format!("SELECT {PROJECT_COLUMNS} FROM projects p ORDER BY id"),
                &[],
            )
            .await?;
        Ok(rows.iter().map(project_from_row).collect())
    }

    async fn project_by_api_key(&self, api_key: &str, now_ms: i64) -> Result<Option<Project>> {
        let c = self.pool.get().await?;
        // The current key first; a retired one only while its overlap lasts.
        let row = c
            .query_opt(
                &format!(
                    "SELECT {PROJECT_COLUMNS} FROM projects p WHERE p.api_key = $1
                     UNION ALL
                     SELECT {PROJECT_COLUMNS} FROM projects p
                     JOIN retired_api_keys r ON r.project_id = p.id
                     WHERE r.api_key = $1 AND r.until_ms > $2
                     LIMIT 1"
                ),
                &[&api_key, &now_ms],
            )
            .await?;
        Ok(row.as_ref().map(project_from_row))
    }

    async fn set_project_api_key(&self, project_id: i64, api_key: &str) -> Result<()> {
        let mut c = self.pool.get().await?;
        let tx = c.transaction().await?;
        tx.execute(
            "DELETE FROM retired_api_keys WHERE api_key = $1",
            &[&api_key],
        )
        .await?;
        tx.execute(
            "UPDATE projects SET api_key = $1 WHERE id = $2",
            &[&api_key, &project_id],
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn rotate_api_key(
        &self,
        project_id: i64,
        new_key: &str,
        old_until_ms: i64,
    ) -> Result<()> {
        let mut c = self.pool.get().await?;
        let tx = c.transaction().await?;
        tx.execute(
            "INSERT INTO retired_api_keys (api_key, project_id, until_ms)
             SELECT api_key, id, $2 FROM projects WHERE id = $1
             ON CONFLICT (api_key) DO UPDATE SET until_ms = excluded.until_ms",
            &[&project_id, &old_until_ms],
        )
        .await?;
        tx.execute(
            "UPDATE projects SET api_key = $2 WHERE id = $1",
            &[&project_id, &new_key],
        )
        .await?;
        tx.commit().await?;
        Ok(())
    }

    async fn retired_keys(&self, project_id: i64, now_ms: i64) -> Result<Vec<RetiredKey>> {
        let c = self.pool.get().await?;
        let rows = c
            .query(
                "SELECT api_key, until_ms FROM retired_api_keys
                 WHERE project_id = $1 AND until_ms > $2 ORDER BY until_ms DESC",
                &[&project_id, &now_ms],
            )
            .await?;
        Ok(rows
            .iter()
            .map(|r| RetiredKey {
                api_key: r.get(0),
                until_ms: r.get(1),
            })
            .collect())
    }

    async fn update_project(
        &self,
        project_id: i64,
        changes: ProjectChanges,
    ) -> Result<Option<Project>> {
        let mut c = self.pool.get().await?;
        let tx = c.transaction().await?;
        // COALESCE keeps what `changes` leaves out; the limits' outer Option says whether to
        // change them (to a value or back to the default, NULL).
        let (set_eps, eps) = split(changes.events_per_second);
        let (set_bps, bps) = split(changes.bytes_per_second);
        tx.execute(
            "UPDATE projects SET
                name = COALESCE($2, name),
                timezone = COALESCE($3, timezone),
                signal_settings = COALESCE($4, signal_settings),
                replay_settings = COALESCE($5, replay_settings),
                retention_days = COALESCE($6, retention_days),
                events_per_second = CASE WHEN $7 THEN $8 ELSE events_per_second END,
                bytes_per_second = CASE WHEN $9 THEN $10 ELSE bytes_per_second END
             WHERE id = $1",
            &[
                &project_id,
                &changes.name,
                &changes.timezone,
                &changes.signal_settings,
                &changes.replay_settings,
                &changes.retention_days,
                &set_eps,
                &eps,
                &set_bps,
                &bps,
            ],
        )
        .await?;
        let project = project_by_id(&tx, project_id).await?;
        tx.commit().await?;
        Ok(project)
    }

    async fn create_project(
        &self,
        organization_id: i64,
        name: &str,
        api_key: &str,
        now_ms: i64,
    ) -> Result<Project> {
        let c = self.pool.get().await?;
        let row = c
            .query_one(
                &format!(
                    "INSERT INTO projects AS p (organization_id, name, api_key, created_ms)
                     VALUES ($1, $2, $3, $4) RETURNING {PROJECT_COLUMNS}"
                ),
                &[&organization_id, &name, &api_key, &now_ms],
            )
            .await?;
        Ok(project_from_row(&row))
    }

    async fn organization(&self, organization_id: i64) -> Result<Option<Organization>> {
        let c = self.pool.get().await?;
        let row = c
            .query_opt(
                "SELECT id, name, monthly_session_quota FROM organizations WHERE id = $1",
                &[&organization_id],
            )
            .await?;
        Ok(row.as_ref().map(organization_from_row))
    }

    async fn set_monthly_session_quota(
        &self,
        organization_id: i64,
        quota: Option<i64>,
    ) -> Result<()> {
        let c = self.pool.get().await?;
        c.execute(
            "UPDATE organizations SET monthly_session_quota = $2 WHERE id = $1",
            &[&organization_id, &quota],
        )
        .await?;
        Ok(())
    }

    async fn upsert_admin(&self, email: &str, password_hash: &str, now_ms: i64) -> Result<User> {
        let mut c = self.pool.get().await?;
        let tx = c.transaction().await?;
        let org: i64 = tx
            .query_opt("SELECT id FROM organizations ORDER BY id LIMIT 1", &[])
            .await?
            .ok_or_else(|| StoreError::Invalid("no organization exists yet".into()))?
            .get(0);
        let row = tx
            .query_one(
                "INSERT INTO users (email, password_hash, created_ms) VALUES ($1, $2, $3)
                 ON CONFLICT ((lower(email))) DO UPDATE SET password_hash = excluded.password_hash
                 RETURNING id, email",
                &[&email, &password_hash, &now_ms],
            )
            .await?;
        let user = User {
            id: row.get(0),
            email: row.get(1),
        };
        tx.execute(
            "INSERT INTO memberships (user_id, organization_id, role) VALUES ($1, $2, 'admin')
             ON CONFLICT DO NOTHING",
            &[&user.id, &org],
        )
        .await?;
        tx.commit().await?;
        Ok(user)
    }

    async fn user_for_login(&self, email: &str) -> Result<Option<LoginAccount>> {
        let c = self.pool.get().await?;
        let row = c
            .query_opt(
                "SELECT u.id, u.email, u.password_hash, u.disabled_ms IS NOT NULL, m.organization_id
                 FROM users u JOIN memberships m ON m.user_id = u.id
                 WHERE lower(u.email) = lower($1) ORDER BY m.organization_id LIMIT 1",
                &[&email],
            )
            .await?;
        Ok(row.map(|r| LoginAccount {
            user: User {
                id: r.get(0),
                email: r.get(1),
            },
            password_hash: r.get(2),
            disabled: r.get(3),
            organization_id: r.get(4),
        }))
    }

    async fn user_context(&self, user_id: i64) -> Result<Option<UserContext>> {
        let mut c = self.pool.get().await?;
        // One snapshot: the account, its organization and its projects agree.
        let tx = c
            .build_transaction()
            .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await?;
        let Some(row) = tx
            .query_opt(
                "SELECT u.id, u.email, o.id, o.name, o.monthly_session_quota, m.role FROM users u
                 JOIN memberships m ON m.user_id = u.id
                 JOIN organizations o ON o.id = m.organization_id
                 WHERE u.id = $1 AND u.disabled_ms IS NULL ORDER BY o.id LIMIT 1",
                &[&user_id],
            )
            .await?
        else {
            return Ok(None);
        };
        let user = User {
            id: row.get(0),
            email: row.get(1),
        };
        let organization = Organization {
            id: row.get(2),
            name: row.get(3),
            monthly_session_quota: row.get(4),
        };
        let organization_admin = row.get::<_, String>(5) == "admin";
        let projects = if organization_admin {
            tx.query(
                &format!(
                    "SELECT {PROJECT_COLUMNS}, 'admin' FROM projects p
                     WHERE p.organization_id = $1 ORDER BY p.id"
                ),
                &[&organization.id],
            )
            .await?
        } else {
            tx.query(
                &format!(
                    "SELECT {PROJECT_COLUMNS}, pm.role FROM project_members pm
                     JOIN projects p ON p.id = pm.project_id
                     WHERE pm.user_id = $1 AND p.organization_id = $2 ORDER BY p.id"
                ),
                &[&user.id, &organization.id],
            )
            .await?
        };
        let projects = projects
            .iter()
            .map(|r| ProjectAccess {
                project: project_from_row(r),
                role: r.get(10),
            })
            .collect();
        tx.commit().await?;
        Ok(Some(UserContext {
            user,
            organization,
            organization_admin,
            projects,
        }))
    }

    async fn set_password(
        &self,
        user_id: i64,
        password_hash: &str,
        keep: Option<i64>,
    ) -> Result<()> {
        let mut c = self.pool.get().await?;
        let tx = c.transaction().await?;
        tx.execute(
            "UPDATE users SET password_hash = $2 WHERE id = $1",
            &[&user_id, &password_hash],
        )
        .await?;
        revoke_sessions(&tx, user_id, keep).await?;
        tx.commit().await?;
        Ok(())
    }

    async fn revoke_browser_sessions(&self, user_id: i64, keep: Option<i64>) -> Result<usize> {
        let c = self.pool.get().await?;
        revoke_sessions(&*c, user_id, keep).await
    }

    async fn put_token(&self, token: NewToken, now_ms: i64) -> Result<TokenInfo> {
        let c = self.pool.get().await?;
        insert_token(&*c, &token, now_ms).await
    }

    async fn set_config_token(&self, token: Option<NewToken>, now_ms: i64) -> Result<()> {
        let mut c = self.pool.get().await?;
        let tx = c.transaction().await?;
        // Nodes starting together each set the configured token: one at a time.
        tx.execute("SELECT pg_advisory_xact_lock($1)", &[&CONFIG_TOKEN_LOCK])
            .await?;
        match &token {
            Some(t) => {
                tx.execute(
                    "DELETE FROM auth_tokens WHERE origin = 'config' AND token_hash <> $1",
                    &[&t.token_hash],
                )
                .await?;
                let kept: bool = tx
                    .query_one(
                        "SELECT EXISTS (SELECT 1 FROM auth_tokens WHERE token_hash = $1
                         AND user_id = $2 AND origin = 'config')",
                        &[&t.token_hash, &t.user_id],
                    )
                    .await?
                    .get(0);
                if !kept {
                    tx.execute(
                        "DELETE FROM auth_tokens WHERE token_hash = $1",
                        &[&t.token_hash],
                    )
                    .await?;
                    insert_token(&tx, t, now_ms).await?;
                }
            }
            None => {
                tx.execute("DELETE FROM auth_tokens WHERE origin = 'config'", &[])
                    .await?;
            }
        }
        tx.commit().await?;
        Ok(())
    }

    async fn token_user(&self, token_hash: &str, now_ms: i64) -> Result<Option<(User, TokenInfo)>> {
        let c = self.pool.get().await?;
        let row = c
            .query_opt(
                &format!(
                    "SELECT u.id, u.email, {TOKEN_COLUMNS} FROM auth_tokens t
                     JOIN users u ON u.id = t.user_id
                     WHERE t.token_hash = $1 AND (t.expires_ms IS NULL OR t.expires_ms > $2)
                       AND u.disabled_ms IS NULL"
                ),
                &[&token_hash, &now_ms],
            )
            .await?;
        Ok(row.map(|r| {
            (
                User {
                    id: r.get(0),
                    email: r.get(1),
                },
                token_from_row(&r, 2),
            )
        }))
    }

    async fn touch_token(&self, token_id: i64, now_ms: i64) -> Result<()> {
        let c = self.pool.get().await?;
        c.execute(
            "UPDATE auth_tokens SET last_used_ms = $2 WHERE id = $1",
            &[&token_id, &now_ms],
        )
        .await?;
        Ok(())
    }

    async fn tokens_of(&self, user_id: i64, now_ms: i64) -> Result<Vec<TokenInfo>> {
        let c = self.pool.get().await?;
        let rows = c
            .query(
                &format!(
                    "SELECT {TOKEN_COLUMNS} FROM auth_tokens t
                     WHERE t.user_id = $1 AND (t.expires_ms IS NULL OR t.expires_ms > $2)
                     ORDER BY t.created_ms DESC, t.id DESC"
                ),
                &[&user_id, &now_ms],
            )
            .await?;
        Ok(rows.iter().map(|r| token_from_row(r, 0)).collect())
    }

    async fn revoke_token(&self, user_id: i64, token_id: i64) -> Result<bool> {
        let c = self.pool.get().await?;
        Ok(c.execute(
            "DELETE FROM auth_tokens WHERE id = $1 AND user_id = $2",
            &[&token_id, &user_id],
        )
        .await?
            == 1)
    }

    async fn delete_token(&self, token_hash: &str) -> Result<()> {
        let c = self.pool.get().await?;
        c.execute(
            "DELETE FROM auth_tokens WHERE token_hash = $1",
            &[&token_hash],
        )
        .await?;
        Ok(())
    }
}

/// An organization, its first project and its admin.
async fn insert_organization(
    tx: &tokio_postgres::Transaction<'_>,
    new: NewInstallation,
    now: i64,
) -> Result<(Project, User)> {
    let org: i64 = tx
        .query_one(
            "INSERT INTO organizations (name, created_ms) VALUES ($1, $2) RETURNING id",
            &[&new.organization_name, &now],
        )
        .await?
        .get(0);
    let project = project_from_row(
        &tx.query_one(
            &format!(
                "INSERT INTO projects AS p (organization_id, name, api_key, created_ms)
                 VALUES ($1, $2, $3, $4) RETURNING {PROJECT_COLUMNS}"
            ),
            &[&org, &new.project_name, &new.api_key, &now],
        )
        .await?,
    );
    let user_id: i64 = tx
        .query_one(
            "INSERT INTO users (email, password_hash, created_ms) VALUES ($1, $2, $3) RETURNING id",
            &[&new.admin_email, &new.admin_password_hash, &now],
        )
        .await?
        .get(0);
    tx.execute(
        "INSERT INTO memberships (user_id, organization_id, role) VALUES ($1, $2, 'admin')",
        &[&user_id, &org],
    )
    .await?;
    Ok((
        project,
        User {
            id: user_id,
            email: new.admin_email,
        },
    ))
}

/// `Some(v)` → (true, v): change to `v` (a value or NULL); `None` → (false, NULL): keep.
fn split(change: Option<Option<i64>>) -> (bool, Option<i64>) {
    match change {
        Some(v) => (true, v),
        None => (false, None),
    }
}

pub(super) async fn project_by_id(
    c: &impl GenericClient,
    project_id: i64,
) -> Result<Option<Project>> {
    let row = c
        .query_opt(
            &format!("SELECT {PROJECT_COLUMNS} FROM projects p WHERE p.id = $1"),
            &[&project_id],
        )
        .await?;
    Ok(row.as_ref().map(project_from_row))
}

/// Deletes the user's browser sessions except `keep`; returns how many went.
pub(super) async fn revoke_sessions(
    c: &impl GenericClient,
    user_id: i64,
    keep: Option<i64>,
) -> Result<usize> {
    Ok(c.execute(
        "DELETE FROM auth_tokens WHERE user_id = $1 AND origin = 'login'
         AND id IS DISTINCT FROM $2",
        &[&user_id, &keep],
    )
    .await? as usize)
}

/// The advisory lock [`AccountStore::set_config_token`] holds (any constant the nodes share).
const CONFIG_TOKEN_LOCK: i64 = 0x7265_656c_0002;

const TOKEN_COLUMNS: &str =
    "t.id, t.user_id, t.origin, t.name, t.created_ms, t.last_used_ms, t.expires_ms";

fn token_from_row(r: &tokio_postgres::Row, at: usize) -> TokenInfo {
    let origin: String = r.get(at + 2);
    TokenInfo {
        id: r.get(at),
        user_id: r.get(at + 1),
        origin: TokenOrigin::parse(&origin).unwrap_or(TokenOrigin::Created),
        name: r.get(at + 3),
        created_ms: r.get(at + 4),
        last_used_ms: r.get(at + 5),
        expires_ms: r.get(at + 6),
    }
}

async fn insert_token(c: &impl GenericClient, t: &NewToken, now_ms: i64) -> Result<TokenInfo> {
    let kind = match t.origin {
        TokenOrigin::Login => "session",
        TokenOrigin::Config | TokenOrigin::Created => "api",
    };
    let id: i64 = c
        .query_one(
            "INSERT INTO auth_tokens (token_hash, user_id, kind, origin, name, created_ms, expires_ms)
             VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id",
            &[
                &t.token_hash,
                &t.user_id,
                &kind,
                &t.origin.as_str(),
                &t.name,
                &now_ms,
                &t.expires_ms,
            ],
        )
        .await?
        .get(0);
    Ok(TokenInfo {
        id,
        user_id: t.user_id,
        origin: t.origin,
        name: t.name.clone(),
        created_ms: now_ms,
        last_used_ms: None,
        expires_ms: t.expires_ms,
    })
}
