//! Saved searches and cohorts ([`LibraryStore`]).

use async_trait::async_trait;
use rusqlite::params;

use super::SqliteStore;
use crate::{LibraryStore, Result, SavedSearch, StoredCohort};

#[async_trait]
impl LibraryStore for SqliteStore {
    async fn saved_searches(&self, project_id: i64) -> Result<Vec<SavedSearch>> {
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT q.id, q.name, q.search, u.email, q.created_ms FROM saved_searches q
                 JOIN users u ON u.id = q.created_by WHERE q.project_id = ?1 ORDER BY q.name, q.id",
            )?;
            let rows = stmt
                .query_map(params![project_id], saved_search_from_row)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    async fn add_saved_search(
        &self,
        project_id: i64,
        user_id: i64,
        name: &str,
        search: &str,
        now_ms: i64,
    ) -> Result<SavedSearch> {
        let (name, search) = (name.to_owned(), search.to_owned());
        self.write(move |c| {
            c.execute(
                "INSERT INTO saved_searches (project_id, name, search, created_by, created_ms)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![project_id, name, search, user_id, now_ms],
            )?;
            let id = c.last_insert_rowid();
            Ok(c.query_row(
                "SELECT q.id, q.name, q.search, u.email, q.created_ms FROM saved_searches q
                 JOIN users u ON u.id = q.created_by WHERE q.id = ?1",
                params![id],
                saved_search_from_row,
            )?)
        })
        .await
    }

    async fn delete_saved_search(&self, project_id: i64, id: i64) -> Result<bool> {
        self.write(move |c| {
            Ok(c.execute(
                "DELETE FROM saved_searches WHERE id = ?1 AND project_id = ?2",
                params![id, project_id],
            )? == 1)
        })
        .await
    }

    async fn cohorts(&self, project_id: i64) -> Result<Vec<StoredCohort>> {
        self.read(move |c| {
            let mut stmt = c.prepare_cached(
                "SELECT id, name, definition, created_ms, updated_ms FROM cohorts
                 WHERE project_id = ?1 ORDER BY name, id",
            )?;
            let rows = stmt
                .query_map(params![project_id], cohort_from_row)?
                .collect::<Result<Vec<_>, _>>()?;
            Ok(rows)
        })
        .await
    }

    async fn put_cohort(
        &self,
        project_id: i64,
        id: Option<i64>,
        name: &str,
        definition: &str,
        now_ms: i64,
    ) -> Result<Option<StoredCohort>> {
        let (name, definition) = (name.to_owned(), definition.to_owned());
        self.write(move |c| {
            let id = match id {
                None => {
                    c.execute(
                        "INSERT INTO cohorts (project_id, name, definition, created_ms, updated_ms)
                         VALUES (?1, ?2, ?3, ?4, ?4)",
                        params![project_id, name, definition, now_ms],
                    )?;
                    c.last_insert_rowid()
                }
                Some(id) => {
                    let n = c.execute(
                        "UPDATE cohorts SET name = ?3, definition = ?4, updated_ms = ?5
                         WHERE id = ?1 AND project_id = ?2",
                        params![id, project_id, name, definition, now_ms],
                    )?;
                    if n == 0 {
                        return Ok(None);
                    }
                    id
                }
            };
            Ok(Some(c.query_row(
                "SELECT id, name, definition, created_ms, updated_ms FROM cohorts WHERE id = ?1",
                params![id],
                cohort_from_row,
            )?))
        })
        .await
    }

    async fn delete_cohort(&self, project_id: i64, id: i64) -> Result<bool> {
        self.write(move |c| {
            Ok(c.execute(
                "DELETE FROM cohorts WHERE id = ?1 AND project_id = ?2",
                params![id, project_id],
            )? == 1)
        })
        .await
    }
}

fn saved_search_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<SavedSearch> {
    Ok(SavedSearch {
        id: r.get(0)?,
        name: r.get(1)?,
        search: r.get(2)?,
        created_by: r.get(3)?,
        created_ms: r.get(4)?,
    })
}

fn cohort_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<StoredCohort> {
    Ok(StoredCohort {
        id: r.get(0)?,
        name: r.get(1)?,
        definition: r.get(2)?,
        created_ms: r.get(3)?,
        updated_ms: r.get(4)?,
    })
}
