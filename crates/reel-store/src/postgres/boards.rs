//! Dashboards and notebooks ([`BoardStore`]) on PostgreSQL: named, ordered, their items kept as
//! the JSON the server checked.

use async_trait::async_trait;
use tokio_postgres::GenericClient;

use super::PgStore;
use crate::{BoardKind, BoardStore, Result, StoredBoard};

const COLUMNS: &str = "id, kind, name, body, position, created_ms, updated_ms";

fn board_from_row(r: &tokio_postgres::Row) -> StoredBoard {
    StoredBoard {
        id: r.get(0),
        kind: if r.get::<_, &str>(1) == "notebook" {
            BoardKind::Notebook
        } else {
            BoardKind::Dashboard
        },
        name: r.get(2),
        body: r.get(3),
        position: r.get(4),
        created_ms: r.get(5),
        updated_ms: r.get(6),
    }
}

/// Serializes the transactions that number one project's boards of a kind (adding, ordering)
/// until the transaction ends: SQLite's single writer gives each new board its own position,
/// and two nodes reading the same `MAX(position)` at once would not.
async fn lock_order(c: &impl GenericClient, project_id: i64, kind: BoardKind) -> Result<()> {
    c.execute(
        "SELECT pg_advisory_xact_lock(
            hashtextextended('reel boards ' || $1::BIGINT || ' ' || $2::TEXT, 0))",
        &[&project_id, &kind.as_str()],
    )
    .await?;
    Ok(())
}

#[async_trait]
impl BoardStore for PgStore {
    async fn boards(&self, project_id: i64, kind: BoardKind) -> Result<Vec<StoredBoard>> {
        let c = self.pool.get().await?;
        let rows = c
            .query(
                &format!(
                    "SELECT {COLUMNS} FROM boards WHERE project_id = $1 AND kind = $2
                     ORDER BY position, id"
                ),
                &[&project_id, &kind.as_str()],
            )
            .await?;
        Ok(rows.iter().map(board_from_row).collect())
    }

    async fn board(
        &self,
        project_id: i64,
        kind: BoardKind,
        id: i64,
    ) -> Result<Option<StoredBoard>> {
        let c = self.pool.get().await?;
        let row = c
            .query_opt(
                &format!(
                    "SELECT {COLUMNS} FROM boards WHERE project_id = $1 AND kind = $2 AND id = $3"
                ),
                &[&project_id, &kind.as_str(), &id],
            )
            .await?;
        Ok(row.as_ref().map(board_from_row))
    }

    async fn add_board(
        &self,
        project_id: i64,
        kind: BoardKind,
        user_id: i64,
        name: &str,
        body: &str,
        now_ms: i64,
    ) -> Result<StoredBoard> {
        let mut c = self.pool.get().await?;
        let tx = c.transaction().await?;
        lock_order(&tx, project_id, kind).await?;
        let row = tx
            .query_one(
                &format!(
                    "INSERT INTO boards (project_id, kind, name, body, position, created_by,
                                         created_ms, updated_ms)
                     VALUES ($1, $2, $3, $4,
                             (SELECT COALESCE(MAX(position) + 1, 0) FROM boards
                              WHERE project_id = $1 AND kind = $2),
                             $5, $6, $6)
                     RETURNING {COLUMNS}"
                ),
                &[&project_id, &kind.as_str(), &name, &body, &user_id, &now_ms],
            )
            .await?;
        tx.commit().await?;
        Ok(board_from_row(&row))
    }

    async fn put_board(
        &self,
        project_id: i64,
        kind: BoardKind,
        id: i64,
        name: &str,
        body: &str,
        now_ms: i64,
    ) -> Result<Option<StoredBoard>> {
        let c = self.pool.get().await?;
        let row = c
            .query_opt(
                &format!(
                    "UPDATE boards SET name = $4, body = $5, updated_ms = $6
                     WHERE project_id = $1 AND kind = $2 AND id = $3
                     RETURNING {COLUMNS}"
                ),
                &[&project_id, &kind.as_str(), &id, &name, &body, &now_ms],
            )
            .await?;
        Ok(row.as_ref().map(board_from_row))
    }

    async fn delete_board(&self, project_id: i64, kind: BoardKind, id: i64) -> Result<bool> {
        let c = self.pool.get().await?;
        Ok(c.execute(
            "DELETE FROM boards WHERE project_id = $1 AND kind = $2 AND id = $3",
            &[&project_id, &kind.as_str(), &id],
        )
        .await?
            > 0)
    }

    async fn order_boards(&self, project_id: i64, kind: BoardKind, ids: &[i64]) -> Result<bool> {
        let mut c = self.pool.get().await?;
        let tx = c.transaction().await?;
        lock_order(&tx, project_id, kind).await?;
        let existing: Vec<i64> = tx
            .query(
                "SELECT id FROM boards WHERE project_id = $1 AND kind = $2 ORDER BY position, id",
                &[&project_id, &kind.as_str()],
            )
            .await?
            .iter()
            .map(|r| r.get(0))
            .collect();
        if ids.iter().any(|id| !existing.contains(id)) {
            return Ok(false);
        }
        let rest = existing.iter().filter(|id| !ids.contains(id));
        let set = tx
            .prepare("UPDATE boards SET position = $2 WHERE id = $1")
            .await?;
        for (position, id) in ids.iter().chain(rest).enumerate() {
            tx.execute(&set, &[id, &(position as i64)]).await?;
        }
        tx.commit().await?;
        Ok(true)
    }
}
