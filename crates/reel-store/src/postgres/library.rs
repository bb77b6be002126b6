//! Saved searches and cohorts ([`LibraryStore`]) on PostgreSQL.
//!
//! Names sort as SQLite sorts them (`COLLATE "C"`: by code point, capitals before small
//! letters), whatever the database's own collation.

use async_trait::async_trait;

use super::PgStore;
use crate::{LibraryStore, Result, SavedSearch, StoredCohort};

#[async_trait]
impl LibraryStore for PgStore {
    async fn saved_searches(&self, project_id: i64) -> Result<Vec<SavedSearch>> {
        let c = self.pool.get().await?;
        let rows = c
            .query(
                "SELECT q.id, q.name, q.search, u.email, q.created_ms FROM saved_searches q
                 JOIN users u ON u.id = q.created_by WHERE q.project_id = $1
                 ORDER BY q.name COLLATE \"C\", q.id",
                &[&project_id],
            )
            .await?;
        Ok(rows.iter().map(saved_search_from_row).collect())
    }

    async fn add_saved_search(
        &self,
        project_id: i64,
        user_id: i64,
        name: &str,
        search: &str,
        now_ms: i64,
    ) -> Result<SavedSearch> {
        let c = self.pool.get().await?;
        let row = c
            .query_one(
                "WITH q AS (
                    INSERT INTO saved_searches (project_id, name, search, created_by, created_ms)
                    VALUES ($1, $2, $3, $4, $5) RETURNING *
                 )
                 SELECT q.id, q.name, q.search, u.email, q.created_ms FROM q
                 JOIN users u ON u.id = q.created_by",
                &[&project_id, &name, &search, &user_id, &now_ms],
            )
            .await?;
        Ok(saved_search_from_row(&row))
    }

    async fn delete_saved_search(&self, project_id: i64, id: i64) -> Result<bool> {
        let c = self.pool.get().await?;
        Ok(c.execute(
            "DELETE FROM saved_searches WHERE id = $1 AND project_id = $2",
            &[&id, &project_id],
        )
        .await?
            == 1)
    }

    async fn cohorts(&self, project_id: i64) -> Result<Vec<StoredCohort>> {
        let c = self.pool.get().await?;
        let rows = c
            .query(
                "SELECT id, name, definition, created_ms, updated_ms FROM cohorts
                 WHERE project_id = $1 ORDER BY name COLLATE \"C\", id",
                &[&project_id],
            )
            .await?;
        Ok(rows.iter().map(cohort_from_row).collect())
    }

    async fn put_cohort(
        &self,
        project_id: i64,
        id: Option<i64>,
        name: &str,
        definition: &str,
        now_ms: i64,
    ) -> Result<Option<StoredCohort>> {
        let c = self.pool.get().await?;
        let row = match id {
            None => Some(
                c.query_one(
                    "INSERT INTO cohorts (project_id, name, definition, created_ms, updated_ms)
                     VALUES ($1, $2, $3, $4, $4)
                     RETURNING id, name, definition, created_ms, updated_ms",
                    &[&project_id, &name, &definition, &now_ms],
                )
                .await?,
            ),
            Some(id) => {
                c.query_opt(
                    "UPDATE cohorts SET name = $3, definition = $4, updated_ms = $5
                     WHERE id = $1 AND project_id = $2
                     RETURNING id, name, definition, created_ms, updated_ms",
                    &[&id, &project_id, &name, &definition, &now_ms],
                )
                .await?
            }
        };
        Ok(row.as_ref().map(cohort_from_row))
    }

    async fn delete_cohort(&self, project_id: i64, id: i64) -> Result<bool> {
        let c = self.pool.get().await?;
        Ok(c.execute(
            "DELETE FROM cohorts WHERE id = $1 AND project_id = $2",
            &[&id, &project_id],
        )
        .await?
            == 1)
    }
}

fn saved_search_from_row(r: &tokio_postgres::Row) -> SavedSearch {
    SavedSearch {
        id: r.get(0),
        name: r.get(1),
        search: r.get(2),
        created_by: r.get(3),
        created_ms: r.get(4),
    }
}

fn cohort_from_row(r: &tokio_postgres::Row) -> StoredCohort {
    StoredCohort {
        id: r.get(0),
        name: r.get(1),
        definition: r.get(2),
        created_ms: r.get(3),
        updated_ms: r.get(4),
    }
}
