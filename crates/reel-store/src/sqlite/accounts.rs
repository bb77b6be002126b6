//! Organizations, projects, users and tokens ([`AccountStore`]).

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, params};

use super::{SqliteStore, project_from_row};
use crate::{
    AccountStore, NewInstallation, NewToken, Organization, Project, Result, StoreError, TokenInfo,
    TokenOrigin, User, UserContext,
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

    async fn create_installation(&self, new: NewInstallation, now: i64) -> Result<(Project, User)> {
        self.write(move |c| {
            let tx = c.transaction()?;
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
            };
            tx.execute(
                "INSERT INTO users (email, password_hash, created_ms) VALUES (?1, ?2, ?3)",
                params![new.admin_email, new.admin_password_hash, now],
            )?;
            let user = User { id: tx.last_insert_rowid(), email: new.admin_email };
            tx.execute(
                "INSERT INTO memberships (user_id, organization_id, role) VALUES (?1, ?2, 'admin')",
                params![user.id, org],
            )?;
            tx.commit()?;
            Ok((project, user))
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

    async fn project_by_api_key(&self, api_key: &str) -> Result<Option<Project>> {
        let api_key = api_key.to_owned();
        self.read(move |c| {
            Ok(c.query_row(
                concat!(project_select!(), " WHERE api_key = ?1"),
                params![api_key],
                project_from_row,
            )
            .optional()?)
        })
        .await
    }

    async fn set_project_api_key(&self, project_id: i64, api_key: &str) -> Result<()> {
        self.set_project_text(
            "UPDATE projects SET api_key = ?2 WHERE id = ?1",
            project_id,
            api_key,
        )
        .await
    }

    async fn set_project_timezone(&self, project_id: i64, timezone: &str) -> Result<()> {
        self.set_project_text(
            "UPDATE projects SET timezone = ?2 WHERE id = ?1",
            project_id,
            timezone,
        )
        .await
    }

    async fn set_project_signal_settings(&self, project_id: i64, settings: &str) -> Result<()> {
        self.set_project_text(
            "UPDATE projects SET signal_settings = ?2 WHERE id = ?1",
            project_id,
            settings,
        )
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

    async fn user_for_login(&self, email: &str) -> Result<Option<(User, String)>> {
        let email = email.to_owned();
        self.read(move |c| {
            Ok(c.query_row(
                "SELECT id, email, password_hash FROM users WHERE email = ?1",
                params![email],
                |r| {
                    Ok((
                        User {
                            id: r.get(0)?,
                            email: r.get(1)?,
                        },
                        r.get(2)?,
                    ))
                },
            )
            .optional()?)
        })
        .await
    }

    async fn user_context(&self, user_id: i64) -> Result<Option<UserContext>> {
        self.read(move |c| {
            let Some((user, organization, role)) = c
                .query_row(
                    "SELECT u.id, u.email, o.id, o.name, m.role FROM users u
                     JOIN memberships m ON m.user_id = u.id
                     JOIN organizations o ON o.id = m.organization_id
                     WHERE u.id = ?1 ORDER BY o.id LIMIT 1",
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
                            },
                            r.get::<_, String>(4)?,
                        ))
                    },
                )
                .optional()?
            else {
                return Ok(None);
            };
            let mut stmt = c.prepare(concat!(
                project_select!(),
                " WHERE organization_id = ?1 ORDER BY id"
            ))?;
            let projects = stmt
                .query_map(params![organization.id], project_from_row)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(Some(UserContext {
                user,
                organization,
                role,
                projects,
            }))
        })
        .await
    }

    async fn set_password(&self, user_id: i64, password_hash: &str) -> Result<()> {
        let hash = password_hash.to_owned();
        self.write(move |c| {
            let tx = c.transaction()?;
            tx.execute(
                "UPDATE users SET password_hash = ?2 WHERE id = ?1",
                params![user_id, hash],
            )?;
            tx.execute(
                "DELETE FROM auth_tokens WHERE user_id = ?1 AND origin = 'login'",
                params![user_id],
            )?;
            tx.commit()?;
            Ok(())
        })
        .await
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
                     WHERE t.token_hash = ?1 AND (t.expires_ms IS NULL OR t.expires_ms > ?2)"
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

impl SqliteStore {
    /// Sets one text column of a project: `sql` binds the project as `?1`, the text as `?2`.
    async fn set_project_text(&self, sql: &'static str, project_id: i64, text: &str) -> Result<()> {
        let text = text.to_owned();
        self.write(move |c| {
            c.execute(sql, params![project_id, text])?;
            Ok(())
        })
        .await
    }
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
