//! Accounts of an organization, roles per project, invitations ([`PeopleStore`]).

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, params};

use super::SqliteStore;
use crate::{Accepted, Invite, NewInvite, NewPerson, PeopleStore, Person, Result, User};

#[async_trait]
impl PeopleStore for SqliteStore {
    async fn people(&self, organization_id: i64) -> Result<Vec<Person>> {
        self.read(move |c| {
            let mut stmt = c.prepare(
                "SELECT u.id FROM users u JOIN memberships m ON m.user_id = u.id
                 WHERE m.organization_id = ?1 ORDER BY u.email",
            )?;
            let ids = stmt
                .query_map(params![organization_id], |r| r.get::<_, i64>(0))?
                .collect::<Result<Vec<_>, _>>()?;
            let mut people = Vec::with_capacity(ids.len());
            for id in ids {
                people.extend(person(c, organization_id, id)?);
            }
            Ok(people)
        })
        .await
    }

    async fn person(&self, organization_id: i64, user_id: i64) -> Result<Option<Person>> {
        self.read(move |c| person(c, organization_id, user_id))
            .await
    }

    async fn create_person(&self, new: NewPerson, now_ms: i64) -> Result<Option<User>> {
        self.write(move |c| {
            let tx = c.transaction()?;
            let user = insert_person(&tx, &new, now_ms)?;
            tx.commit()?;
            Ok(user)
        })
        .await
    }

    async fn set_project_role(
        &self,
        project_id: i64,
        user_id: i64,
        role: Option<&str>,
    ) -> Result<()> {
        let role = role.map(str::to_owned);
        self.write(move |c| {
            match role {
                Some(role) => c.execute(
                    "INSERT INTO project_members (project_id, user_id, role) VALUES (?1, ?2, ?3)
                     ON CONFLICT (project_id, user_id) DO UPDATE SET role = excluded.role",
                    params![project_id, user_id, role],
                )?,
                None => c.execute(
                    "DELETE FROM project_members WHERE project_id = ?1 AND user_id = ?2",
                    params![project_id, user_id],
                )?,
            };
            Ok(())
        })
        .await
    }

    async fn set_organization_admin(
        &self,
        organization_id: i64,
        user_id: i64,
        admin: bool,
    ) -> Result<()> {
        self.write(move |c| {
            c.execute(
                "UPDATE memberships SET role = ?3 WHERE organization_id = ?1 AND user_id = ?2",
                params![
                    organization_id,
                    user_id,
                    if admin { "admin" } else { "member" }
                ],
            )?;
            Ok(())
        })
        .await
    }

    async fn set_disabled(&self, user_id: i64, disabled: bool, now_ms: i64) -> Result<()> {
        self.write(move |c| {
            let tx = c.transaction()?;
            if disabled {
                tx.execute(
                    "UPDATE users SET disabled_ms = COALESCE(disabled_ms, ?2) WHERE id = ?1",
                    params![user_id, now_ms],
                )?;
                // Sessions and tokens stop in the same commit.
                tx.execute(
                    "DELETE FROM auth_tokens WHERE user_id = ?1",
                    params![user_id],
                )?;
            } else {
                tx.execute(
                    "UPDATE users SET disabled_ms = NULL WHERE id = ?1",
                    params![user_id],
                )?;
            }
            tx.commit()?;
            Ok(())
        })
        .await
    }

    async fn create_invite(&self, new: NewInvite, now_ms: i64) -> Result<Invite> {
        self.write(move |c| {
            c.execute(
                "INSERT INTO invites (project_id, email, role, token_hash, created_by, created_ms, expires_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    new.project_id,
                    new.email,
                    new.role,
                    new.token_hash,
                    new.created_by,
                    now_ms,
                    new.expires_ms
                ],
            )?;
            let id = c.last_insert_rowid();
            Ok(c.query_row(
                &format!("{INVITE_SELECT} WHERE i.id = ?1"),
                params![id],
                invite_from_row,
            )?)
        })
        .await
    }

    async fn pending_invites(&self, project_id: i64, now_ms: i64) -> Result<Vec<Invite>> {
        self.read(move |c| {
            let mut stmt = c.prepare(&format!(
                "{INVITE_SELECT} WHERE i.project_id = ?1 AND i.used_ms IS NULL AND i.expires_ms > ?2
                 ORDER BY i.created_ms DESC, i.id DESC"
            ))?;
            let rows = stmt
                .query_map(params![project_id, now_ms], invite_from_row)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    async fn invite_by_token(&self, token_hash: &str, now_ms: i64) -> Result<Option<Invite>> {
        let hash = token_hash.to_owned();
        self.read(move |c| pending_invite(c, &hash, now_ms)).await
    }

    async fn revoke_invite(&self, project_id: i64, invite_id: i64) -> Result<bool> {
        self.write(move |c| {
            Ok(c.execute(
                "DELETE FROM invites WHERE id = ?1 AND project_id = ?2 AND used_ms IS NULL",
                params![invite_id, project_id],
            )? == 1)
        })
        .await
    }

    async fn accept_invite(
        &self,
        token_hash: &str,
        password_hash: &str,
        now_ms: i64,
    ) -> Result<Accepted> {
        let (hash, password_hash) = (token_hash.to_owned(), password_hash.to_owned());
        self.write(move |c| {
            let tx = c.transaction()?;
            let Some(invite) = pending_invite(&tx, &hash, now_ms)? else {
                return Ok(Accepted::Gone);
            };
            let new = NewPerson {
                organization_id: invite.organization_id,
                email: invite.email.clone(),
                password_hash,
                project_role: Some((invite.project_id, invite.role.clone())),
            };
            let Some(user) = insert_person(&tx, &new, now_ms)? else {
                return Ok(Accepted::EmailTaken);
            };
            tx.execute(
                "UPDATE invites SET used_ms = ?2 WHERE id = ?1",
                params![invite.id, now_ms],
            )?;
            tx.commit()?;
            Ok(Accepted::Created { user, invite })
        })
        .await
    }
}

const INVITE_SELECT: &str = "SELECT i.id, i.project_id, p.organization_id, i.email, i.role, \
     u.email, i.created_ms, i.expires_ms FROM invites i JOIN projects p ON p.id = i.project_id \
     JOIN users u ON u.id = i.created_by";

fn invite_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Invite> {
    Ok(Invite {
        id: r.get(0)?,
        project_id: r.get(1)?,
        organization_id: r.get(2)?,
        email: r.get(3)?,
        role: r.get(4)?,
        created_by: r.get(5)?,
        created_ms: r.get(6)?,
        expires_ms: r.get(7)?,
    })
}

fn pending_invite(c: &Connection, token_hash: &str, now_ms: i64) -> Result<Option<Invite>> {
    Ok(c.query_row(
        &format!(
            "{INVITE_SELECT} WHERE i.token_hash = ?1 AND i.used_ms IS NULL AND i.expires_ms > ?2"
        ),
        params![token_hash, now_ms],
        invite_from_row,
    )
    .optional()?)
}

/// Creates an account (with its membership and project role); none when the email is taken.
fn insert_person(c: &Connection, new: &NewPerson, now_ms: i64) -> Result<Option<User>> {
    let inserted = c.execute(
        "INSERT INTO users (email, password_hash, created_ms) VALUES (?1, ?2, ?3)
         ON CONFLICT (email) DO NOTHING",
        params![new.email, new.password_hash, now_ms],
    )?;
    if inserted == 0 {
        return Ok(None);
    }
    let user = User {
        id: c.last_insert_rowid(),
        email: new.email.clone(),
    };
    c.execute(
        "INSERT INTO memberships (user_id, organization_id, role) VALUES (?1, ?2, 'member')",
        params![user.id, new.organization_id],
    )?;
    if let Some((project_id, role)) = &new.project_role {
        c.execute(
            "INSERT INTO project_members (project_id, user_id, role) VALUES (?1, ?2, ?3)",
            params![project_id, user.id, role],
        )?;
    }
    Ok(Some(user))
}

fn person(c: &Connection, organization_id: i64, user_id: i64) -> Result<Option<Person>> {
    let Some((user, role, disabled_ms, created_ms)) = c
        .query_row(
            "SELECT u.id, u.email, m.role, u.disabled_ms, u.created_ms FROM users u
             JOIN memberships m ON m.user_id = u.id
             WHERE u.id = ?1 AND m.organization_id = ?2",
            params![user_id, organization_id],
            |r| {
                Ok((
                    User {
                        id: r.get(0)?,
                        email: r.get(1)?,
                    },
                    r.get::<_, String>(2)?,
                    r.get::<_, Option<i64>>(3)?,
                    r.get::<_, i64>(4)?,
                ))
            },
        )
        .optional()?
    else {
        return Ok(None);
    };
    let mut stmt = c.prepare_cached(
        "SELECT pm.project_id, pm.role FROM project_members pm
         JOIN projects p ON p.id = pm.project_id
         WHERE pm.user_id = ?1 AND p.organization_id = ?2 ORDER BY pm.project_id",
    )?;
    let roles = stmt
        .query_map(params![user_id, organization_id], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })?
        .collect::<Result<Vec<_>, _>>()?;
    Ok(Some(Person {
        user,
        organization_admin: role == "admin",
        disabled_ms,
        roles,
        created_ms,
    }))
}
