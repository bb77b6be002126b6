//! What members keep for their project: saved searches and cohorts.

use async_trait::async_trait;

use crate::Result;

/// A search saved under a name for a project. `search` is JSON the store keeps as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SavedSearch {
    pub id: i64,
    pub name: String,
    pub search: String,
    pub created_by: String,
    pub created_ms: i64,
}

/// A cohort as stored. `definition` is JSON the store keeps as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredCohort {
    pub id: i64,
    pub name: String,
    pub definition: String,
    pub created_ms: i64,
    pub updated_ms: i64,
}

#[async_trait]
pub trait LibraryStore: Send + Sync + 'static {
    async fn saved_searches(&self, project_id: i64) -> Result<Vec<SavedSearch>>;
    async fn add_saved_search(
        &self,
        project_id: i64,
        user_id: i64,
        name: &str,
        search: &str,
        now_ms: i64,
    ) -> Result<SavedSearch>;
    /// False when the project has no such saved search.
    async fn delete_saved_search(&self, project_id: i64, id: i64) -> Result<bool>;

    async fn cohorts(&self, project_id: i64) -> Result<Vec<StoredCohort>>;
    /// Creates a cohort (`id` none) or replaces one; `None` when the project has no cohort `id`.
    async fn put_cohort(
        &self,
        project_id: i64,
        id: Option<i64>,
        name: &str,
        definition: &str,
        now_ms: i64,
    ) -> Result<Option<StoredCohort>>;
    /// False when the project has no such cohort.
    async fn delete_cohort(&self, project_id: i64, id: i64) -> Result<bool>;
}
