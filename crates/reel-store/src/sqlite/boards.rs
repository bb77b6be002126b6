//! Dashboards and notebooks: named, ordered, their items kept as the JSON the server checked.

use async_trait::async_trait;
use rusqlite::{Connection, OptionalExtension, params};

use super::SqliteStore;
use crate::{BoardKind, BoardStore, Result, StoredBoard};

const COLUMNS: &str = "id, kind, name, body, position, created_ms, updated_ms";

fn board_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredBoard> {
    Ok(StoredBoard {
        id: r.get(0)?,
        kind: if r.get::<_, String>(1)? == "notebook" {
            BoardKind::Notebook
        } else {
            BoardKind::Dashboard
        },
        name: r.get(2)?,
        body: r.get(3)?,
        position: r.get(4)?,
        created_ms: r.get(5)?,
        updated_ms: r.get(6)?,
    })
}

fn get(c: &Connection, project_id: i64, kind: BoardKind, id: i64) -> Result<Option<StoredBoard>> {
    Ok(c.prepare_cached(&format!(
        "SELECT {COLUMNS} FROM boards WHERE project_id = ?1 AND kind = ?2 AND id = ?3"
    ))?
    .query_row(params![project_id, kind.as_str(), id], board_from_row)
    .optional()?)
}

#[async_trait]
impl BoardStore for SqliteStore {
    async fn boards(&self, project_id: i64, kind: BoardKind) -> Result<Vec<StoredBoard>> {
        self.read(move |c| {
            Ok(c.prepare_cached(&format!(
                "SELECT {COLUMNS} FROM boards WHERE project_id = ?1 AND kind = ?2 ORDER BY position, id"
            ))?
            .query_map(params![project_id, kind.as_str()], board_from_row)?
            .collect::<rusqlite::Result<_>>()?)
        })
        .await
    }

    async fn board(
        &self,
        project_id: i64,
        kind: BoardKind,
        id: i64,
    ) -> Result<Option<StoredBoard>> {
        self.read(move |c| get(c, project_id, kind, id)).await
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
        let (name, body) = (name.to_owned(), body.to_owned());
        self.write(move |c| {
            let tx = c.transaction()?;
            tx.execute(
                "INSERT INTO boards (project_id, kind, name, body, position, created_by, created_ms, updated_ms)
                 VALUES (?1, ?2, ?3, ?4,
                         (SELECT COALESCE(MAX(position) + 1, 0) FROM boards WHERE project_id = ?1 AND kind = ?2),
                         ?5, ?6, ?6)",
                params![project_id, kind.as_str(), name, body, user_id, now_ms],
            )?;
            let id = tx.last_insert_rowid();
            let board = get(&tx, project_id, kind, id)?.expect("just inserted");
            tx.commit()?;
            Ok(board)
        })
        .await
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
        let (name, body) = (name.to_owned(), body.to_owned());
        self.write(move |c| {
            let tx = c.transaction()?;
            let n = tx.execute(
                "UPDATE boards SET name = ?4, body = ?5, updated_ms = ?6
                 WHERE project_id = ?1 AND kind = ?2 AND id = ?3",
                params![project_id, kind.as_str(), id, name, body, now_ms],
            )?;
            let board = if n == 0 {
                None
            } else {
                get(&tx, project_id, kind, id)?
            };
            tx.commit()?;
            Ok(board)
        })
        .await
    }

    async fn delete_board(&self, project_id: i64, kind: BoardKind, id: i64) -> Result<bool> {
        self.write(move |c| {
            Ok(c.execute(
                "DELETE FROM boards WHERE project_id = ?1 AND kind = ?2 AND id = ?3",
                params![project_id, kind.as_str(), id],
            )? > 0)
        })
        .await
    }

    async fn order_boards(&self, project_id: i64, kind: BoardKind, ids: &[i64]) -> Result<bool> {
        let ids = ids.to_vec();
        self.write(move |c| {
            let tx = c.transaction()?;
            let existing: Vec<i64> = tx
                .prepare_cached(
                    "SELECT id FROM boards WHERE project_id = ?1 AND kind = ?2 ORDER BY position, id",
                )?
                .query_map(params![project_id, kind.as_str()], |r| r.get(0))?
                .collect::<rusqlite::Result<_>>()?;
            if ids.iter().any(|id| !existing.contains(id)) {
                return Ok(false);
            }
            let rest = existing.iter().filter(|id| !ids.contains(id));
            for (position, id) in ids.iter().chain(rest).enumerate() {
                tx.execute(
                    "UPDATE boards SET position = ?2 WHERE id = ?1",
                    params![id, position as i64],
                )?;
            }
            tx.commit()?;
            Ok(true)
        })
        .await
    }
}
