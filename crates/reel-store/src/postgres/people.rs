//! Accounts of an organization, roles per project, invitations ([`PeopleStore`]) on PostgreSQL.

use std::collections::HashMap;

use async_trait::async_trait;
use tokio_postgres::GenericClient;

use super::PgStore;
use crate::{Accepted, Invite, NewInvite, NewPerson, PeopleStore, Person, Result, User};

#[async_trait]
impl PeopleStore for PgStore {
    async fn people(&self, organization_id: i64) -> Result<Vec<Person>> {
        let mut c = self.pool.get().await?;
        // One snapshot: the accounts and their roles agree.
        let tx = c
            .build_transaction()
            .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await?;
        let people = read_people(&tx, organization_id, None).await?;
        tx.commit().await?;
        Ok(people)
    }

    async fn person(&self, organization_id: i64, user_id: i64) -> Result<Option<Person>> {
        let mut c = self.pool.get().await?;
        let tx = c
            .build_transaction()
            .isolation_level(tokio_postgres::IsolationLevel::RepeatableRead)
            .read_only(true)
            .start()
            .await?;
        let people = read_people(&tx, organization_id, Some(user_id)).await?;
        tx.commit().await?;
        Ok(people.into_iter().next())
    }

    async fn create_person(&self, new: NewPerson, now_ms: i64) -> Result<Option<User>> {
        let mut c = self.pool.get().await?;
        let tx = c.transaction().await?;
        let user = insert_person(&tx, &new, now_ms).await?;
        tx.commit().await?;
        Ok(user)
    }

    async fn set_project_role(
        &self,
        project_id: i64,
        user_id: i64,
        role: Option<&str>,
    ) -> Result<()> {
        let c = self.pool.get().await?;
        match role {
            Some(role) => {
                c.execute(
                    "INSERT INTO project_members (project_id, user_id, role) VALUES ($1, $2, $3)
                     ON CONFLICT (project_id, user_id) DO UPDATE SET role = excluded.role",
                    &[&project_id, &user_id, &role],
                )
                .await?
            }
            None => {
                c.execute(
                    "DELETE FROM project_members WHERE project_id = $1 AND user_id = $2",
                    &[&project_id, &user_id],
                )
                .await?
            }
        };
        Ok(())
    }

    async fn set_organization_admin(
        &self,
        organization_id: i64,
        user_id: i64,
        admin: bool,
    ) -> Result<()> {
        let c = self.pool.get().await?;
        let role = if admin { "admin" } else { "member" };
        c.execute(
            "UPDATE memberships SET role = $3 WHERE organization_id = $1 AND user_id = $2",
            &[&organization_id, &user_id, &role],
        )
        .await?;
        Ok(())
    }

    async fn set_disabled(&self, user_id: i64, disabled: bool, now_ms: i64) -> Result<()> {
        let mut c = self.pool.get().await?;
        let tx = c.transaction().await?;
        if disabled {
            tx.execute(
                "UPDATE users SET disabled_ms = COALESCE(disabled_ms, $2) WHERE id = $1",
                &[&user_id, &now_ms],
            )
            .await?;
            // Sessions and tokens stop in the same commit.
            tx.execute("DELETE FROM auth_tokens WHERE user_id = $1", &[&user_id])
                .await?;
        } else {
            tx.execute(
                "UPDATE users SET disabled_ms = NULL WHERE id = $1",
                &[&user_id],
            )
            .await?;
        }
        tx.commit().await?;
        Ok(())
    }

    async fn create_invite(&self, new: NewInvite, now_ms: i64) -> Result<Invite> {
        let c = self.pool.get().await?;
        let row = c
            .query_one(
                &format!(
                    "WITH i AS (
                        INSERT INTO invites (project_id, email, role, token_hash, created_by,
                                             created_ms, expires_ms)
                        VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING *
                     )
                     SELECT {INVITE_COLUMNS} FROM i {INVITE_JOINS}"
                ),
                &[
                    &new.project_id,
                    &new.email,
                    &new.role,
                    &new.token_hash,
                    &new.created_by,
                    &now_ms,
                    &new.expires_ms,
                ],
            )
            .await?;
        Ok(invite_from_row(&row))
    }

    async fn pending_invites(&self, project_id: i64, now_ms: i64) -> Result<Vec<Invite>> {
        let c = self.pool.get().await?;
        let rows = c
            .query(
                &format!(
                    "SELECT {INVITE_COLUMNS} FROM invites i {INVITE_JOINS}
                     WHERE i.project_id = $1 AND i.used_ms IS NULL AND i.expires_ms > $2
                     ORDER BY i.created_ms DESC, i.id DESC"
                ),
                &[&project_id, &now_ms],
            )
            .await?;
        Ok(rows.iter().map(invite_from_row).collect())
    }

    async fn invite_by_token(&self, token_hash: &str, now_ms: i64) -> Result<Option<Invite>> {
        let c = self.pool.get().await?;
        pending_invite(&*c, token_hash, now_ms, false).await
    }

    async fn revoke_invite(&self, project_id: i64, invite_id: i64) -> Result<bool> {
        let c = self.pool.get().await?;
        Ok(c.execute(
            "DELETE FROM invites WHERE id = $1 AND project_id = $2 AND used_ms IS NULL",
            &[&invite_id, &project_id],
        )
        .await?
            == 1)
    }

    async fn accept_invite(
        &self,
        token_hash: &str,
        password_hash: &str,
        now_ms: i64,
    ) -> Result<Accepted> {
        let mut c = self.pool.get().await?;
        let tx = c.transaction().await?;
        // Locked: a second acceptance of the link waits here, then finds it used (Gone), as
        // SQLite's single writer answers.
        let Some(invite) = pending_invite(&tx, token_hash, now_ms, true).await? else {
            return Ok(Accepted::Gone);
        };
        let new = NewPerson {
            organization_id: invite.organization_id,
            email: invite.email.clone(),
            password_hash: password_hash.to_owned(),
            project_role: Some((invite.project_id, invite.role.clone())),
        };
        let Some(user) = insert_person(&tx, &new, now_ms).await? else {
            return Ok(Accepted::EmailTaken);
        };
        tx.execute(
            "UPDATE invites SET used_ms = $2 WHERE id = $1",
            &[&invite.id, &now_ms],
        )
        .await?;
        tx.commit().await?;
        Ok(Accepted::Created { user, invite })
    }
}

/// The columns [`invite_from_row`] reads, in its order, from `invites i` and [`INVITE_JOINS`].
const INVITE_COLUMNS: &str =
    "i.id, i.project_id, p.organization_id, i.email, i.role, u.email, i.created_ms, i.expires_ms";
const INVITE_JOINS: &str =
    "JOIN projects p ON p.id = i.project_id JOIN users u ON u.id = i.created_by";

fn invite_from_row(r: &tokio_postgres::Row) -> Invite {
    Invite {
        id: r.get(0),
        project_id: r.get(1),
        organization_id: r.get(2),
        email: r.get(3),
        role: r.get(4),
        created_by: r.get(5),
        created_ms: r.get(6),
        expires_ms: r.get(7),
    }
}

/// The invitation `token_hash` names if it can still be used at `now_ms`; with `lock`, its row
/// stays locked until the transaction ends.
async fn pending_invite(
    c: &impl GenericClient,
    token_hash: &str,
    now_ms: i64,
    lock: bool,
) -> Result<Option<Invite>> {
    let row = c
        .query_opt(
            &format!(
                "SELECT {INVITE_COLUMNS} FROM invites i {INVITE_JOINS}
                 WHERE i.token_hash = $1 AND i.used_ms IS NULL AND i.expires_ms > $2{}",
                if lock { " FOR UPDATE OF i" } else { "" }
            ),
            &[&token_hash, &now_ms],
        )
        .await?;
    Ok(row.as_ref().map(invite_from_row))
}

/// Creates an account (with its membership and project role); none when the email is taken,
/// whatever its case.
async fn insert_person(
    c: &impl GenericClient,
    new: &NewPerson,
    now_ms: i64,
) -> Result<Option<User>> {
    let Some(row) = c
        .query_opt(
            "INSERT INTO users (email, password_hash, created_ms) VALUES ($1, $2, $3)
             ON CONFLICT ((lower(email))) DO NOTHING RETURNING id",
            &[&new.email, &new.password_hash, &now_ms],
        )
        .await?
    else {
        return Ok(None);
    };
    let user = User {
        id: row.get(0),
        email: new.email.clone(),
    };
    c.execute(
        "INSERT INTO memberships (user_id, organization_id, role) VALUES ($1, $2, 'member')",
        &[&user.id, &new.organization_id],
    )
    .await?;
    if let Some((project_id, role)) = &new.project_role {
        c.execute(
            "INSERT INTO project_members (project_id, user_id, role) VALUES ($1, $2, $3)",
            &[project_id, &user.id, role],
        )
        .await?;
    }
    Ok(Some(user))
}

/// The organization's accounts (or only `user_id`'s) with their project roles. Ordered by
/// email as SQLite's `COLLATE NOCASE` orders them: ASCII letters folded, then bytes.
async fn read_people(
    c: &impl GenericClient,
    organization_id: i64,
    user_id: Option<i64>,
) -> Result<Vec<Person>> {
    let accounts = c
        .query(
            "SELECT u.id, u.email, m.role, u.disabled_ms, u.created_ms FROM users u
             JOIN memberships m ON m.user_id = u.id
             WHERE m.organization_id = $1 AND ($2::BIGINT IS NULL OR u.id = $2)
             ORDER BY lower(u.email COLLATE \"C\"), u.id",
            &[&organization_id, &user_id],
        )
        .await?;
    let role_rows = c
        .query(
            "SELECT pm.user_id, pm.project_id, pm.role FROM project_members pm
             JOIN projects p ON p.id = pm.project_id
             WHERE p.organization_id = $1 AND ($2::BIGINT IS NULL OR pm.user_id = $2)
             ORDER BY pm.project_id",
            &[&organization_id, &user_id],
        )
        .await?;
    let mut roles: HashMap<i64, Vec<(i64, String)>> = HashMap::new();
    for r in &role_rows {
        roles
            .entry(r.get(0))
            .or_default()
            .push((r.get(1), r.get(2)));
    }
    Ok(accounts
        .iter()
        .map(|r| {
            let id: i64 = r.get(0);
            Person {
                user: User {
                    id,
                    email: r.get(1),
                },
                organization_admin: r.get::<_, String>(2) == "admin",
                disabled_ms: r.get(3),
                roles: roles.remove(&id).unwrap_or_default(),
                created_ms: r.get(4),
            }
        })
        .collect())
}
