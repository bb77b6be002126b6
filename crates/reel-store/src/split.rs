//! Two backends behind one [`MetaStore`]: the control data and the recordings' index in one
//! store (`database_url`, PostgreSQL: organizations, projects, people, roles, tokens, saved
//! searches, cohorts, dashboards, the audit log, the ingestion monitor — and which sessions have
//! a recording, its chunks, pieces, holes and facts, the processing queue with its leases,
//! objects in flight), and what events are (events, text, search, charts, feedback) in the
//! embedded SQLite of the data dir. Every node plays back, processes and compacts every
//! node's recordings; each node's SQLite keeps, for search and its events feed, a copy of what
//! passed through it (the uploads it took, the runs it processed). The routing of the
//! recordings' areas is `split/recordings.rs`.
//!
//! The quota's monthly counts are control data: an upload that records a session for the
//! first time is counted there once the index committed it.
//!
//! Each method goes to the store that owns its data; the impls only forward. Three need both:
//! a new installation or project is also copied into SQLite (its events' rows refer to the
//! project, and the quota's monthly count to its organization), and a viewer's verdict on a
//! replay copies the viewer's id and email beside it. Those copies hold ids and names only (a
//! project's key there is a placeholder). At start every project of the control store is
//! copied again, and a project another node made since is copied before its first upload
//! here, so a data dir joins control data set up by other nodes; a data dir that indexed
//! recordings itself before gives them to the shared index once (`postgres/recordings/adopt.rs`).
//! The control store is the only one read for accounts, keys and settings.

use async_trait::async_trait;
use reel_model::ReplayId;
use reel_query::chart::wire::{ChartAnswer, MicroscopePage};
use reel_query::chart::{Chart, DataPoint, SessionPageRequest};

use crate::*;

mod recordings;

/// What the control side of a [`SplitStore`] holds.
pub trait ControlStore:
    AccountStore + PeopleStore + LibraryStore + BoardStore + ControlOperations + RecordingIndex
{
}

impl<T: AccountStore + PeopleStore + LibraryStore + BoardStore + ControlOperations + RecordingIndex>
    ControlStore for T
{
}

/// The control data of [`OperationsStore`]: the audit log and the ingestion monitor's counts
/// (what is recorded, and the quota's monthly counts, stay with the recordings).
#[async_trait]
pub trait ControlOperations: Send + Sync + 'static {
    async fn add_audit(&self, entry: NewAuditEntry) -> Result<()>;
    async fn audit_log(&self, query: AuditQuery) -> Result<Vec<AuditEntry>>;
    async fn add_ingest_counts(&self, counts: Vec<(IngestKey, IngestCounts)>) -> Result<()>;
    async fn ingest_counts(
        &self,
        project_id: i64,
        since_minute: i64,
    ) -> Result<Vec<(IngestKey, IngestCounts)>>;
    async fn prune_ingest_counts(&self, before_minute: i64) -> Result<usize>;
    /// Sessions the organization captured in `month` (`YYYY-MM`, UTC), counted by
    /// [`Self::count_session_captured`]: every node's uploads in one count.
    async fn sessions_captured(&self, organization_id: i64, month: &str) -> Result<i64>;
    async fn count_session_captured(&self, organization_id: i64, month: &str) -> Result<()>;
}

/// [`ControlOperations`] for `$store`, each method `$via::method` (a trait's, or the type's
/// own), but the count, which is always the type's own.
macro_rules! control_operations {
    ($store:ty, $($via:tt)+) => {
        #[async_trait]
        impl ControlOperations for $store {
            async fn add_audit(&self, entry: NewAuditEntry) -> Result<()> {
                $($via)+::add_audit(self, entry).await
            }
            async fn audit_log(&self, query: AuditQuery) -> Result<Vec<AuditEntry>> {
                $($via)+::audit_log(self, query).await
            }
            async fn add_ingest_counts(
                &self,
                counts: Vec<(IngestKey, IngestCounts)>,
            ) -> Result<()> {
                $($via)+::add_ingest_counts(self, counts).await
            }
            async fn ingest_counts(
                &self,
                project_id: i64,
                since_minute: i64,
            ) -> Result<Vec<(IngestKey, IngestCounts)>> {
                $($via)+::ingest_counts(self, project_id, since_minute).await
            }
            async fn prune_ingest_counts(&self, before_minute: i64) -> Result<usize> {
                $($via)+::prune_ingest_counts(self, before_minute).await
            }
            async fn sessions_captured(&self, organization_id: i64, month: &str) -> Result<i64> {
                $($via)+::sessions_captured(self, organization_id, month).await
            }
            async fn count_session_captured(
                &self,
                organization_id: i64,
                month: &str,
            ) -> Result<()> {
                <$store>::count_session_captured(self, organization_id, month).await
            }
        }
    };
}

control_operations!(SqliteStore, <SqliteStore as OperationsStore>);
// PostgreSQL's are its own methods: `PgStore` holds no recordings, so it has no whole
// [`OperationsStore`].
control_operations!(PgStore, PgStore);
/// The control data in `C`, the rest in the embedded SQLite store.
pub struct SplitStore<C> {
    control: C,
    events: SqliteStore,
    /// Projects copied into `events` by this process: another node may have made a project
    /// since this one started, and its first upload here copies it.
    /// (project → organization).
    copied: std::sync::Mutex<std::collections::HashMap<i64, i64>>,
}

impl<C: ControlStore> SplitStore<C> {
    /// Joins the two, copying every project of the control store into SQLite.
    pub async fn new(control: C, events: SqliteStore) -> Result<Self> {
        let store = Self {
            control,
            events,
            copied: Default::default(),
        };
        let projects = store.control.projects().await?;
        store.copy_projects(projects).await?;
        let now_ms = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_millis() as i64);
        store.control.adopt_data_dir(&store.events, now_ms).await?;
        Ok(store)
    }

    async fn copy_projects(&self, projects: Vec<Project>) -> Result<()> {
        let ids: Vec<(i64, i64)> = projects.iter().map(|p| (p.id, p.organization_id)).collect();
        self.events.mirror_projects(projects).await?;
        self.copied.lock().expect("copied lock").extend(ids);
        Ok(())
    }

    /// Copies the project into `events` unless this process did already (an unknown project
    /// is left to the store's own checks).
    async fn knows_project(&self, project_id: i64) -> Result<()> {
        if self
            .copied
            .lock()
            .expect("copied lock")
            .contains_key(&project_id)
        {
            return Ok(());
        }
        match self.control.project(project_id).await? {
            Some(project) => self.copy_projects(vec![project]).await,
            None => Ok(()),
        }
    }

    /// [`Self::knows_project`] from a blocking thread (the upload path's).
    fn knows_project_blocking(&self, project_id: i64) -> Result<()> {
        if self
            .copied
            .lock()
            .expect("copied lock")
            .contains_key(&project_id)
        {
            return Ok(());
        }
        tokio::runtime::Handle::current().block_on(self.knows_project(project_id))
    }

    /// The organization of a project [`Self::knows_project`] copied.
    fn organization_of(&self, project_id: i64) -> Result<i64> {
        self.copied
            .lock()
            .expect("copied lock")
            .get(&project_id)
            .copied()
            .ok_or_else(|| StoreError::Invalid(format!("no project {project_id}")))
    }

    async fn create_installation_mirrored(
        &self,
        new: NewInstallation,
        now_ms: i64,
    ) -> Result<Option<(Project, User)>> {
        let made = self.control.create_installation(new, now_ms).await?;
        if let Some((project, _)) = &made {
            self.copy_projects(vec![project.clone()]).await?;
        }
        Ok(made)
    }

    async fn create_project_mirrored(
        &self,
        organization_id: i64,
        name: &str,
        api_key: &str,
        now_ms: i64,
    ) -> Result<Project> {
        let project = self
            .control
            .create_project(organization_id, name, api_key, now_ms)
            .await?;
        self.copy_projects(vec![project.clone()]).await?;
        Ok(project)
    }

    async fn add_feedback_mirrored(
        &self,
        project_id: i64,
        replay: &ReplayId,
        user_id: i64,
        rating: &str,
        comment: Option<String>,
        now_ms: i64,
    ) -> Result<Option<Feedback>> {
        let Some(viewer) = self.control.user_context(user_id).await? else {
            return Err(StoreError::Invalid("no such account".into()));
        };
        self.events.mirror_user(viewer.user).await?;
        self.events
            .add_feedback(project_id, replay, user_id, rating, comment, now_ms)
            .await
    }
}

impl<C: ControlStore> MetaStore for SplitStore<C> {
    fn close(&self) {
        self.events.close();
    }
}

#[async_trait]
impl<C: ControlStore> AccountStore for SplitStore<C> {
    async fn is_empty(&self) -> Result<bool> {
        self.control.is_empty().await
    }

    async fn create_installation(
        &self,
        new: NewInstallation,
        now_ms: i64,
    ) -> Result<Option<(Project, User)>> {
        self.create_installation_mirrored(new, now_ms).await
    }

    async fn create_organization(
        &self,
        new: NewInstallation,
        now_ms: i64,
    ) -> Result<(Project, User)> {
        let (project, user) = self.control.create_organization(new, now_ms).await?;
        self.copy_projects(vec![project.clone()]).await?;
        Ok((project, user))
    }

    async fn first_project(&self) -> Result<Option<Project>> {
        self.control.first_project().await
    }

    async fn project(&self, project_id: i64) -> Result<Option<Project>> {
        self.control.project(project_id).await
    }

    async fn projects(&self) -> Result<Vec<Project>> {
        self.control.projects().await
    }

    async fn project_by_api_key(&self, api_key: &str, now_ms: i64) -> Result<Option<Project>> {
        self.control.project_by_api_key(api_key, now_ms).await
    }

    async fn set_project_api_key(&self, project_id: i64, api_key: &str) -> Result<()> {
        self.control.set_project_api_key(project_id, api_key).await
    }

    async fn rotate_api_key(
        &self,
        project_id: i64,
        new_key: &str,
        old_until_ms: i64,
    ) -> Result<()> {
        self.control
            .rotate_api_key(project_id, new_key, old_until_ms)
            .await
    }

    async fn retired_keys(&self, project_id: i64, now_ms: i64) -> Result<Vec<RetiredKey>> {
        self.control.retired_keys(project_id, now_ms).await
    }

    async fn update_project(
        &self,
        project_id: i64,
        changes: ProjectChanges,
    ) -> Result<Option<Project>> {
        self.control.update_project(project_id, changes).await
    }

    async fn create_project(
        &self,
        organization_id: i64,
        name: &str,
        api_key: &str,
        now_ms: i64,
    ) -> Result<Project> {
        self.create_project_mirrored(organization_id, name, api_key, now_ms)
            .await
    }

    async fn organization(&self, organization_id: i64) -> Result<Option<Organization>> {
        self.control.organization(organization_id).await
    }

    async fn set_monthly_session_quota(
        &self,
        organization_id: i64,
        quota: Option<i64>,
    ) -> Result<()> {
        self.control
            .set_monthly_session_quota(organization_id, quota)
            .await
    }

    async fn upsert_admin(&self, email: &str, password_hash: &str, now_ms: i64) -> Result<User> {
        self.control
            .upsert_admin(email, password_hash, now_ms)
            .await
    }

    async fn user_for_login(&self, email: &str) -> Result<Option<LoginAccount>> {
        self.control.user_for_login(email).await
    }

    async fn user_context(&self, user_id: i64) -> Result<Option<UserContext>> {
        self.control.user_context(user_id).await
    }

    async fn set_password(
        &self,
        user_id: i64,
        password_hash: &str,
        keep: Option<i64>,
    ) -> Result<()> {
        self.control
            .set_password(user_id, password_hash, keep)
            .await
    }

    async fn revoke_browser_sessions(&self, user_id: i64, keep: Option<i64>) -> Result<usize> {
        self.control.revoke_browser_sessions(user_id, keep).await
    }

    async fn put_token(&self, token: NewToken, now_ms: i64) -> Result<TokenInfo> {
        self.control.put_token(token, now_ms).await
    }

    async fn set_config_token(&self, token: Option<NewToken>, now_ms: i64) -> Result<()> {
        self.control.set_config_token(token, now_ms).await
    }

    async fn token_user(&self, token_hash: &str, now_ms: i64) -> Result<Option<(User, TokenInfo)>> {
        self.control.token_user(token_hash, now_ms).await
    }

    async fn touch_token(&self, token_id: i64, now_ms: i64) -> Result<()> {
        self.control.touch_token(token_id, now_ms).await
    }

    async fn tokens_of(&self, user_id: i64, now_ms: i64) -> Result<Vec<TokenInfo>> {
        self.control.tokens_of(user_id, now_ms).await
    }

    async fn revoke_token(&self, user_id: i64, token_id: i64) -> Result<bool> {
        self.control.revoke_token(user_id, token_id).await
    }

    async fn delete_token(&self, token_hash: &str) -> Result<()> {
        self.control.delete_token(token_hash).await
    }
}

#[async_trait]
impl<C: ControlStore> PeopleStore for SplitStore<C> {
    async fn people(&self, organization_id: i64) -> Result<Vec<Person>> {
        self.control.people(organization_id).await
    }

    async fn person(&self, organization_id: i64, user_id: i64) -> Result<Option<Person>> {
        self.control.person(organization_id, user_id).await
    }

    async fn create_person(&self, new: NewPerson, now_ms: i64) -> Result<Option<User>> {
        self.control.create_person(new, now_ms).await
    }

    async fn set_project_role(
        &self,
        project_id: i64,
        user_id: i64,
        role: Option<&str>,
    ) -> Result<()> {
        self.control
            .set_project_role(project_id, user_id, role)
            .await
    }

    async fn set_organization_admin(
        &self,
        organization_id: i64,
        user_id: i64,
        admin: bool,
    ) -> Result<()> {
        self.control
            .set_organization_admin(organization_id, user_id, admin)
            .await
    }

    async fn set_disabled(&self, user_id: i64, disabled: bool, now_ms: i64) -> Result<()> {
        self.control.set_disabled(user_id, disabled, now_ms).await
    }

    async fn create_invite(&self, invite: NewInvite, now_ms: i64) -> Result<Invite> {
        self.control.create_invite(invite, now_ms).await
    }

    async fn pending_invites(&self, project_id: i64, now_ms: i64) -> Result<Vec<Invite>> {
        self.control.pending_invites(project_id, now_ms).await
    }

    async fn invite_by_token(&self, token_hash: &str, now_ms: i64) -> Result<Option<Invite>> {
        self.control.invite_by_token(token_hash, now_ms).await
    }

    async fn revoke_invite(&self, project_id: i64, invite_id: i64) -> Result<bool> {
        self.control.revoke_invite(project_id, invite_id).await
    }

    async fn accept_invite(
        &self,
        token_hash: &str,
        password_hash: &str,
        now_ms: i64,
    ) -> Result<Accepted> {
        self.control
            .accept_invite(token_hash, password_hash, now_ms)
            .await
    }
}

#[async_trait]
impl<C: ControlStore> SearchStore for SplitStore<C> {
    /// Found in this node's copy; shown as the recordings' index has them (facts a run on
    /// another node derived included), and left out once the index has no recording (deleted
    /// through another node).
    async fn search(&self, project_id: i64, search: reel_query::Search) -> Result<SearchPage> {
        let page = self.events.search(project_id, search).await?;
        page.as_stored(self, project_id).await
    }

    async fn event_names(&self, project_id: i64, limit: usize) -> Result<Vec<String>> {
        self.events.event_names(project_id, limit).await
    }

    async fn user_property_keys(&self, project_id: i64, limit: usize) -> Result<Vec<String>> {
        self.events.user_property_keys(project_id, limit).await
    }
}

#[async_trait]
impl<C: ControlStore> LibraryStore for SplitStore<C> {
    async fn saved_searches(&self, project_id: i64) -> Result<Vec<SavedSearch>> {
        self.control.saved_searches(project_id).await
    }

    async fn add_saved_search(
        &self,
        project_id: i64,
        user_id: i64,
        name: &str,
        search: &str,
        now_ms: i64,
    ) -> Result<SavedSearch> {
        self.control
            .add_saved_search(project_id, user_id, name, search, now_ms)
            .await
    }

    async fn delete_saved_search(&self, project_id: i64, id: i64) -> Result<bool> {
        self.control.delete_saved_search(project_id, id).await
    }

    async fn cohorts(&self, project_id: i64) -> Result<Vec<StoredCohort>> {
        self.control.cohorts(project_id).await
    }

    async fn put_cohort(
        &self,
        project_id: i64,
        id: Option<i64>,
        name: &str,
        definition: &str,
        now_ms: i64,
    ) -> Result<Option<StoredCohort>> {
        self.control
            .put_cohort(project_id, id, name, definition, now_ms)
            .await
    }

    async fn delete_cohort(&self, project_id: i64, id: i64) -> Result<bool> {
        self.control.delete_cohort(project_id, id).await
    }
}

#[async_trait]
impl<C: ControlStore> FeedbackStore for SplitStore<C> {
    async fn add_feedback(
        &self,
        project_id: i64,
        replay: &ReplayId,
        user_id: i64,
        rating: &str,
        comment: Option<String>,
        now_ms: i64,
    ) -> Result<Option<Feedback>> {
        self.add_feedback_mirrored(project_id, replay, user_id, rating, comment, now_ms)
            .await
    }

    async fn feedback(&self, project_id: i64, limit: usize) -> Result<Vec<Feedback>> {
        self.events.feedback(project_id, limit).await
    }
}

#[async_trait]
impl<C: ControlStore> OperationsStore for SplitStore<C> {
    async fn add_audit(&self, entry: NewAuditEntry) -> Result<()> {
        self.control.add_audit(entry).await
    }

    async fn audit_log(&self, query: AuditQuery) -> Result<Vec<AuditEntry>> {
        self.control.audit_log(query).await
    }

    async fn sessions_captured(&self, organization_id: i64, month: &str) -> Result<i64> {
        self.control.sessions_captured(organization_id, month).await
    }

    async fn has_recording(&self, session: &SessionRef) -> Result<bool> {
        self.control.has_indexed_recording(session).await
    }

    async fn add_ingest_counts(&self, counts: Vec<(IngestKey, IngestCounts)>) -> Result<()> {
        self.control.add_ingest_counts(counts).await
    }

    async fn ingest_counts(
        &self,
        project_id: i64,
        since_minute: i64,
    ) -> Result<Vec<(IngestKey, IngestCounts)>> {
        self.control.ingest_counts(project_id, since_minute).await
    }

    async fn prune_ingest_counts(&self, before_minute: i64) -> Result<usize> {
        self.control.prune_ingest_counts(before_minute).await
    }
}

#[async_trait]
impl<C: ControlStore> AnalyticsStore for SplitStore<C> {
    async fn chart(&self, project_id: i64, chart: Chart) -> Result<ChartAnswer> {
        self.events.chart(project_id, chart).await
    }

    async fn chart_sessions(
        &self,
        project_id: i64,
        chart: Chart,
        point: DataPoint,
        page: SessionPageRequest,
    ) -> Result<MicroscopePage> {
        self.events
            .chart_sessions(project_id, chart, point, page)
            .await
    }

    async fn user_profile(
        &self,
        project_id: i64,
        lookup: UserLookup,
        before_ms: Option<i64>,
        limit: usize,
    ) -> Result<Option<UserProfile>> {
        self.events
            .user_profile(project_id, lookup, before_ms, limit)
            .await
    }

    async fn find_users(
        &self,
        project_id: i64,
        query: UserQuery,
        limit: usize,
    ) -> Result<Vec<UserSummary>> {
        self.events.find_users(project_id, query, limit).await
    }
}

#[async_trait]
impl<C: ControlStore> BoardStore for SplitStore<C> {
    async fn boards(&self, project_id: i64, kind: BoardKind) -> Result<Vec<StoredBoard>> {
        self.control.boards(project_id, kind).await
    }

    async fn board(
        &self,
        project_id: i64,
        kind: BoardKind,
        id: i64,
    ) -> Result<Option<StoredBoard>> {
        self.control.board(project_id, kind, id).await
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
        self.control
            .add_board(project_id, kind, user_id, name, body, now_ms)
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
        self.control
            .put_board(project_id, kind, id, name, body, now_ms)
            .await
    }

    async fn delete_board(&self, project_id: i64, kind: BoardKind, id: i64) -> Result<bool> {
        self.control.delete_board(project_id, kind, id).await
    }

    async fn order_boards(&self, project_id: i64, kind: BoardKind, ids: &[i64]) -> Result<bool> {
        self.control.order_boards(project_id, kind, ids).await
    }
}

#[async_trait]
impl<C: ControlStore> FeedStore for SplitStore<C> {
    async fn start_feed(&self) -> Result<i64> {
        self.events.start_feed().await
    }

    async fn fed_after(&self, position: i64, limit: usize) -> Result<Vec<Fed>> {
        self.events.fed_after(position, limit).await
    }

    async fn feed_handed_on(&self, position: i64) -> Result<()> {
        self.events.feed_handed_on(position).await
    }
}
