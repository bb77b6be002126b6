//! Organizations, projects (keys, settings), users and tokens ([`AccountStore`]).

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, params};

use super::{SqliteStore, project_from_row};
use crate::{
    AccountStore, LoginAccount, NewInstallation, NewToken, Organization, Project, ProjectAccess,
    ProjectChanges, Result, RetiredKey, StoreError, TokenInfo, TokenOrigin, User, UserContext,
};

#[async_trait]
impl AccountStore for SqliteStore {
    async fn is_empty(&self) -> Result<bool> {
        self.read(|c| {
            Ok(c.query_row("SELECT COUNT(*) FROM organizations", [], |r| {
                r.get::<_, i64>(0)
            })? == 0)
        })
        .await
    }

    async fn create_installation(
        &self,
        new: NewInstallation,
        now: i64,
    ) -> Result<Option<(Project, User)>> {
        self.write(move |c| {
            let tx = c.transaction()?;
            if tx.query_row("SELECT EXISTS (SELECT 1 FROM organizations)", [], |r| {
                r.get::<_, bool>(0)
            })? {
                return Ok(None);
            }
            let made = insert_organization(&tx, new, now)?;
            tx.commit()?;
            Ok(Some(made))
        })
        .await
    }

    async fn create_organization(&self, new: NewInstallation, now: i64) -> Result<(Project, User)> {
        self.write(move |c| {
            let tx = c.transaction()?;
            let made = insert_organization(&tx, new, now)?;
            tx.commit()?;
            Ok(made)
        })
        .await
    }

    async fn first_project(&self) -> Result<Option<Project>> {
        self.read(|c| {
            Ok(c.query_row(
                concat!(project_select!(), " ORDER BY id LIMIT 1"),
                [],
                project_from_row,
            )
            .optional()?)
        })
        .await
    }

    async fn project(&self, project_id: i64) -> Result<Option<Project>> {
        self.read(move |c| {
            Ok(c.query_row(
                concat!(project_select!(), " WHERE id = ?1"),
                params![project_id],
                project_from_row,
            )
            .optional()?)
        })
        .await
    }

    async fn projects(&self) -> Result<Vec<Project>> {
        self.read(|c| {
            let mut stmt = c.prepare(concat!(project_select!(), " ORDER BY id"))?;
            let rows = stmt
                .query_map([], project_from_row)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    async fn project_by_api_key(&self, api_key: &str, now_ms: i64) -> Result<Option<Project>> {
        let api_key = api_key.to_owned();
        self.read(move |c| {
            let current = c
                .query_row(
                    concat!(project_select!(), " WHERE api_key = ?1"),
                    params![api_key],
                    project_from_row,
                )
                .optional()?;
            if current.is_some() {
                return Ok(current);
            }
            Ok(c.query_row(
                concat!(
                    project_select!(),
                    " WHERE id = (SELECT project_id FROM retired_api_keys WHERE api_key = ?1 AND until_ms > ?2)"
                ),
                params![api_key, now_ms],
                project_from_row,
            )
            .optional()?)
        })
        .await
    }

    async fn set_project_api_key(&self, project_id: i64, api_key: &str) -> Result<()> {
        let api_key = api_key.to_owned();
        self.write(move |c| {
            let tx = c.transaction()?;
            tx.execute(
                "DELETE FROM retired_api_keys WHERE api_key = ?1",
                params![api_key],
            )?;
            tx.execute(
                "UPDATE projects SET api_key = ?1 WHERE id = ?2",
                params![api_key, project_id],
            )?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn rotate_api_key(
        &self,
        project_id: i64,
        new_key: &str,
        old_until_ms: i64,
    ) -> Result<()> {
        let new_key = new_key.to_owned();
        self.write(move |c| {
            let tx = c.transaction()?;
            tx.execute(
                "INSERT INTO retired_api_keys (api_key, project_id, until_ms)
                 SELECT api_key, id, ?2 FROM projects WHERE id = ?1
                 ON CONFLICT (api_key) DO UPDATE SET until_ms = excluded.until_ms",
                params![project_id, old_until_ms],
            )?;
            tx.execute(
                "UPDATE projects SET api_key = ?2 WHERE id = ?1",
                params![project_id, new_key],
            )?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn retired_keys(&self, project_id: i64, now_ms: i64) -> Result<Vec<RetiredKey>> {
        self.read(move |c| {
            let mut stmt = c.prepare(
                "SELECT api_key, until_ms FROM retired_api_keys
                 WHERE project_id = ?1 AND until_ms > ?2 ORDER BY until_ms DESC",
            )?;
            let rows = stmt
                .query_map(params![project_id, now_ms], |r| {
                    Ok(RetiredKey {
                        api_key: r.get(0)?,
                        until_ms: r.get(1)?,
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    async fn update_project(
        &self,
        project_id: i64,
        changes: ProjectChanges,
    ) -> Result<Option<Project>> {
        self.write(move |c| {
            let tx = c.transaction()?;
            let set = |column: &str, value: &dyn rusqlite::ToSql| -> Result<()> {
                tx.execute(
                    &format!("UPDATE projects SET {column} = ?2 WHERE id = ?1"),
                    params![project_id, value],
                )?;
                Ok(())
            };
            if let Some(v) = &changes.name {
                set("name", v)?;
            }
            if let Some(v) = &changes.timezone {
                set("timezone", v)?;
            }
            if let Some(v) = &changes.signal_settings {
                set("signal_settings", v)?;
            }
            if let Some(v) = &changes.replay_settings {
                set("replay_settings", v)?;
            }
            if let Some(v) = &changes.retention_days {
                set("retention_days", v)?;
            }
            if let Some(v) = &changes.events_per_second {
                set("events_per_second", v)?;
            }
            if let Some(v) = &changes.bytes_per_second {
                set("bytes_per_second", v)?;
            }
            let project = tx
                .query_row(
                    concat!(project_select!(), " WHERE id = ?1"),
                    params![project_id],
                    project_from_row,
                )
                .optional()?;
            tx.commit()?;
            Ok(project)
        })
        .await
    }

    async fn create_project(
        &self,
        organization_id: i64,
        name: &str,
        api_key: &str,
        now_ms: i64,
    ) -> Result<Project> {
        let (name, api_key) = (name.to_owned(), api_key.to_owned());
        self.write(move |c| {
            c.execute(
                "INSERT INTO projects (organization_id, name, api_key, created_ms) VALUES (?1, ?2, ?3, ?4)",
                params![organization_id, name, api_key, now_ms],
            )?;
            let id = c.last_insert_rowid();
            Ok(c.query_row(
                concat!(project_select!(), " WHERE id = ?1"),
                params![id],
                project_from_row,
            )?)
        })
        .await
    }

    async fn organization(&self, organization_id: i64) -> Result<Option<Organization>> {
        self.read(move |c| {
            Ok(c.query_row(
                "SELECT id, name, monthly_session_quota FROM organizations WHERE id = ?1",
                params![organization_id],
                organization_from_row,
            )
            .optional()?)
        })
        .await
    }

    async fn set_monthly_session_quota(
        &self,
        organization_id: i64,
        quota: Option<i64>,
    ) -> Result<()> {
        self.write(move |c| {
            c.execute(
                "UPDATE organizations SET monthly_session_quota = ?2 WHERE id = ?1",
                params![organization_id, quota],
            )?;
            Ok(())
        })
        .await
    }

    async fn upsert_admin(&self, email: &str, password_hash: &str, now_ms: i64) -> Result<User> {
        let (email, hash) = (email.to_owned(), password_hash.to_owned());
        self.write(move |c| {
            let tx = c.transaction()?;
            let org: i64 = tx
                .query_row(
                    "SELECT id FROM organizations ORDER BY id LIMIT 1",
                    [],
                    |r| r.get(0),
                )
                .optional()?
                .ok_or_else(|| StoreError::Invalid("no organization exists yet".into()))?;
            tx.execute(
                "INSERT INTO users (email, password_hash, created_ms) VALUES (?1, ?2, ?3)
                 ON CONFLICT (email) DO UPDATE SET password_hash = excluded.password_hash",
                params![email, hash, now_ms],
            )?;
            let user = tx.query_row(
                "SELECT id, email FROM users WHERE email = ?1",
                params![email],
                |r| {
                    Ok(User {
                        id: r.get(0)?,
                        email: r.get(1)?,
                    })
                },
            )?;
            tx.execute(
                "INSERT INTO memberships (user_id, organization_id, role) VALUES (?1, ?2, 'admin')
                 ON CONFLICT DO NOTHING",
                params![user.id, org],
            )?;
            tx.commit()?;
            Ok(user)
        })
        .await
    }

    async fn user_for_login(&self, email: &str) -> Result<Option<LoginAccount>> {
        let email = email.to_owned();
        self.read(move |c| {
            Ok(c.query_row(
                "SELECT u.id, u.email, u.password_hash, u.disabled_ms IS NOT NULL, m.organization_id
                 FROM users u JOIN memberships m ON m.user_id = u.id
                 WHERE u.email = ?1 ORDER BY m.organization_id LIMIT 1",
                params![email],
                |r| {
                    Ok(LoginAccount {
                        user: User {
                            id: r.get(0)?,
                            email: r.get(1)?,
                        },
                        password_hash: r.get(2)?,
                        disabled: r.get(3)?,
                        organization_id: r.get(4)?,
                    })
                },
            )
            .optional()?)
        })
        .await
    }

    async fn user_context(&self, user_id: i64) -> Result<Option<UserContext>> {
        self.read(move |c| {
            let Some((user, organization, org_role)) = c
                .query_row(
                    "SELECT u.id, u.email, o.id, o.name, o.monthly_session_quota, m.role FROM users u
                     JOIN memberships m ON m.user_id = u.id
                     JOIN organizations o ON o.id = m.organization_id
                     WHERE u.id = ?1 AND u.disabled_ms IS NULL ORDER BY o.id LIMIT 1",
                    params![user_id],
                    |r| {
                        Ok((
                            User {
                                id: r.get(0)?,
                                email: r.get(1)?,
                            },
                            Organization {
                                id: r.get(2)?,
                                name: r.get(3)?,
                                monthly_session_quota: r.get(4)?,
                            },
                            r.get::<_, String>(5)?,
                        ))
                    },
                )
                .optional()?
            else {
                return Ok(None);
            };
            let organization_admin = org_role == "admin";
            let projects = if organization_admin {
                let mut stmt = c.prepare(concat!(
                    project_select!(),
                    " WHERE organization_id = ?1 ORDER BY id"
                ))?;
                stmt.query_map(params![organization.id], |r| {
                    Ok(ProjectAccess {
                        project: project_from_row(r)?,
                        role: "admin".into(),
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?
            } else {
                let mut stmt = c.prepare(
                    "SELECT p.id, p.organization_id, p.name, p.api_key, p.timezone, p.signal_settings,
                            p.replay_settings, p.retention_days, p.events_per_second,
                            p.bytes_per_second, pm.role
                     FROM project_members pm JOIN projects p ON p.id = pm.project_id
                     WHERE pm.user_id = ?1 AND p.organization_id = ?2 ORDER BY p.id",
                )?;
                stmt.query_map(params![user.id, organization.id], |r| {
                    Ok(ProjectAccess {
                        project: project_from_row(r)?,
                        role: r.get(10)?,
                    })
                })?
                .collect::<Result<Vec<_>, _>>()?
            };
            Ok(Some(UserContext {
                user,
                organization,
                organization_admin,
                projects,
            }))
        })
        .await
    }

    async fn set_password(
        &self,
        user_id: i64,
        password_hash: &str,
        keep: Option<i64>,
    ) -> Result<()> {
        let hash = password_hash.to_owned();
        self.write(move |c| {
            let tx = c.transaction()?;
            tx.execute(
                "UPDATE users SET password_hash = ?2 WHERE id = ?1",
                params![user_id, hash],
            )?;
            revoke_sessions(&tx, user_id, keep)?;
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn revoke_browser_sessions(&self, user_id: i64, keep: Option<i64>) -> Result<usize> {
        self.write(move |c| revoke_sessions(c, user_id, keep)).await
    }

    async fn put_token(&self, token: NewToken, now_ms: i64) -> Result<TokenInfo> {
        self.write(move |c| insert_token(c, &token, now_ms)).await
    }

    async fn set_config_token(&self, token: Option<NewToken>, now_ms: i64) -> Result<()> {
        self.write(move |c| {
            let tx = c.transaction()?;
            match &token {
                Some(t) => {
                    tx.execute(
                        "DELETE FROM auth_tokens WHERE origin = 'config' AND token_hash <> ?1",
                        params![t.token_hash],
                    )?;
                    let kept: bool = tx.query_row(
                        "SELECT EXISTS (SELECT 1 FROM auth_tokens WHERE token_hash = ?1 AND user_id = ?2
                         AND origin = 'config')",
                        params![t.token_hash, t.user_id],
                        |r| r.get(0),
                    )?;
                    if !kept {
                        tx.execute(
                            "DELETE FROM auth_tokens WHERE token_hash = ?1",
                            params![t.token_hash],
                        )?;
                        insert_token(&tx, t, now_ms)?;
                    }
                }
                None => {
                    tx.execute("DELETE FROM auth_tokens WHERE origin = 'config'", [])?;
                }
            }
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn token_user(&self, token_hash: &str, now_ms: i64) -> Result<Option<(User, TokenInfo)>> {
        let hash = token_hash.to_owned();
        self.read(move |c| {
            Ok(c.query_row(
                &format!(
                    "SELECT u.id, u.email, {TOKEN_COLUMNS} FROM auth_tokens t JOIN users u ON u.id = t.user_id
                     WHERE t.token_hash = ?1 AND (t.expires_ms IS NULL OR t.expires_ms > ?2)
                       AND u.disabled_ms IS NULL"
                ),
                params![hash, now_ms],
                |r| {
                    Ok((
                        User {
                            id: r.get(0)?,
                            email: r.get(1)?,
                        },
                        token_from_row(r, 2)?,
                    ))
                },
            )
            .optional()?)
        })
        .await
    }

    async fn touch_token(&self, token_id: i64, now_ms: i64) -> Result<()> {
        self.write(move |c| {
            c.execute(
                "UPDATE auth_tokens SET last_used_ms = ?2 WHERE rowid = ?1",
                params![token_id, now_ms],
            )?;
            Ok(())
        })
        .await
    }

    async fn tokens_of(&self, user_id: i64, now_ms: i64) -> Result<Vec<TokenInfo>> {
        self.read(move |c| {
            let mut stmt = c.prepare(&format!(
                "SELECT {TOKEN_COLUMNS} FROM auth_tokens t
                 WHERE t.user_id = ?1 AND (t.expires_ms IS NULL OR t.expires_ms > ?2)
                 ORDER BY t.created_ms DESC, t.rowid DESC"
            ))?;
            let rows = stmt
                .query_map(params![user_id, now_ms], |r| token_from_row(r, 0))?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    async fn revoke_token(&self, user_id: i64, token_id: i64) -> Result<bool> {
        self.write(move |c| {
            Ok(c.execute(
                "DELETE FROM auth_tokens WHERE rowid = ?1 AND user_id = ?2",
                params![token_id, user_id],
            )? == 1)
        })
        .await
    }

    async fn delete_token(&self, token_hash: &str) -> Result<()> {
        let hash = token_hash.to_owned();
        self.write(move |c| {
            c.execute(
                "DELETE FROM auth_tokens WHERE token_hash = ?1",
                params![hash],
            )?;
            Ok(())
        })
        .await
    }
}

/// An organization, its first project and its admin.
fn insert_organization(tx: &Connection, new: NewInstallation, now: i64) -> Result<(Project, User)> {
    tx.execute(
        "INSERT INTO organizations (name, created_ms) VALUES (?1, ?2)",
        params![new.organization_name, now],
    )?;
    let org = tx.last_insert_rowid();
    tx.execute(
        "INSERT INTO projects (organization_id, name, api_key, created_ms) VALUES (?1, ?2, ?3, ?4)",
        params![org, new.project_name, new.api_key, now],
    )?;
    let project = Project {
        id: tx.last_insert_rowid(),
        organization_id: org,
        name: new.project_name,
        api_key: new.api_key,
        timezone: "UTC".into(),
        signal_settings: "{}".into(),
        replay_settings: "{}".into(),
        retention_days: 30,
        events_per_second: None,
        bytes_per_second: None,
    };
    tx.execute(
        "INSERT INTO users (email, password_hash, created_ms) VALUES (?1, ?2, ?3)",
        params![new.admin_email, new.admin_password_hash, now],
    )?;
    let user = User {
        id: tx.last_insert_rowid(),
        email: new.admin_email,
    };
    tx.execute(
        "INSERT INTO memberships (user_id, organization_id, role) VALUES (?1, ?2, 'admin')",
        params![user.id, org],
    )?;
    Ok((project, user))
}

/// Deletes the user's browser sessions except `keep`; returns how many went.
fn revoke_sessions(c: &Connection, user_id: i64, keep: Option<i64>) -> Result<usize> {
    Ok(c.execute(
        "DELETE FROM auth_tokens WHERE user_id = ?1 AND origin = 'login' AND rowid IS NOT ?2",
        params![user_id, keep],
    )?)
}

pub(super) fn organization_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Organization> {
    Ok(Organization {
        id: r.get(0)?,
        name: r.get(1)?,
        monthly_session_quota: r.get(2)?,
    })
}

const TOKEN_COLUMNS: &str =
    "t.rowid, t.user_id, t.origin, t.name, t.created_ms, t.last_used_ms, t.expires_ms";

fn token_from_row(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<TokenInfo> {
    let origin: String = r.get(at + 2)?;
    Ok(TokenInfo {
        id: r.get(at)?,
        user_id: r.get(at + 1)?,
        origin: TokenOrigin::parse(&origin).unwrap_or(TokenOrigin::Created),
        name: r.get(at + 3)?,
        created_ms: r.get(at + 4)?,
        last_used_ms: r.get(at + 5)?,
        expires_ms: r.get(at + 6)?,
    })
}

fn insert_token(c: &Connection, t: &NewToken, now_ms: i64) -> Result<TokenInfo> {
    let kind = match t.origin {
        TokenOrigin::Login => "session",
        TokenOrigin::Config | TokenOrigin::Created => "api",
    };
    c.execute(
        "INSERT INTO auth_tokens (token_hash, user_id, kind, origin, name, created_ms, expires_ms)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        params![
            t.token_hash,
            t.user_id,
            kind,
            t.origin.as_str(),
            t.name,
            now_ms,
            t.expires_ms
        ],
    )?;
    Ok(TokenInfo {
        id: c.last_insert_rowid(),
        user_id: t.user_id,
        origin: t.origin,
        name: t.name.clone(),
        created_ms: now_ms,
        last_used_ms: None,
        expires_ms: t.expires_ms,
    })
}

impl SqliteStore {
    /// Copies of projects whose control data another store holds (`crate::split`): the rows
    /// that recordings refer to and that the quota's monthly count finds the organization by.
    /// The key is a placeholder: with a split store keys are read from the control store only.
    pub async fn mirror_projects(&self, projects: Vec<Project>) -> Result<()> {
        self.write(move |c| {
            let tx = c.transaction()?;
            for p in &projects {
                tx.execute(
                    "INSERT INTO organizations (id, name, created_ms) VALUES (?1, '', 0)
                     ON CONFLICT (id) DO NOTHING",
                    params![p.organization_id],
                )?;
                tx.execute(
                    "INSERT INTO projects (id, organization_id, name, api_key, created_ms)
                     VALUES (?1, ?2, ?3, ?4, 0)
                     ON CONFLICT (id) DO UPDATE SET name = excluded.name",
                    params![p.id, p.organization_id, p.name, format!("control:{}", p.id)],
                )?;
            }
            tx.commit()?;
            Ok(())
        })
        .await
    }

    /// A copy of an account's id and email, for rows here that name it (a verdict on a
    /// replay); no password: nobody signs in with a copy.
    pub async fn mirror_user(&self, user: User) -> Result<()> {
        self.write(move |c| {
            c.execute(
                "INSERT INTO users (id, email, password_hash, created_ms) VALUES (?1, ?2, '!', 0)
                 ON CONFLICT (id) DO UPDATE SET email = excluded.email",
                params![user.id, user.email],
            )?;
            Ok(())
        })
        .await
    }
}
