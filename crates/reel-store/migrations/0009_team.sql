-- Running reel for a team (issue 16): people and roles per project, projects with rotating
-- ingestion keys and their own settings, retention, a monthly quota, the ingestion monitor and
-- the audit log.

-- An organization's role of a person: 'admin' (an organization admin: admin of every project,
-- creates projects, manages every account) or 'member' (sees the projects they have a role
-- in). Before this version every stored role was meant for every project.
CREATE TABLE project_members (
    project_id  INTEGER NOT NULL REFERENCES projects(id),
    user_id     INTEGER NOT NULL REFERENCES users(id),
    role        TEXT NOT NULL CHECK (role IN ('viewer', 'member', 'manager', 'admin')),
    PRIMARY KEY (project_id, user_id)
) WITHOUT ROWID;
CREATE INDEX project_members_by_user ON project_members (user_id);
INSERT INTO project_members (project_id, user_id, role)
    SELECT p.id, m.user_id, m.role FROM memberships m
    JOIN projects p ON p.organization_id = m.organization_id
    WHERE m.role IN ('viewer', 'member', 'manager');
UPDATE memberships SET role = 'member' WHERE role <> 'admin';

-- A disabled account signs in nowhere; its tokens were deleted when it was disabled.
ALTER TABLE users ADD COLUMN disabled_ms INTEGER;

-- Invitations by link: only a hash of the link's secret is kept; used once, before it expires.
CREATE TABLE invites (
    id          INTEGER PRIMARY KEY,
    project_id  INTEGER NOT NULL REFERENCES projects(id),
    email       TEXT NOT NULL COLLATE NOCASE,
    role        TEXT NOT NULL CHECK (role IN ('viewer', 'member', 'manager', 'admin')),
    token_hash  TEXT NOT NULL UNIQUE,
    created_by  INTEGER NOT NULL REFERENCES users(id),
    created_ms  INTEGER NOT NULL,
    expires_ms  INTEGER NOT NULL,
    used_ms     INTEGER
);
CREATE INDEX invites_by_project ON invites (project_id, created_ms);

-- An ingestion key replaced by a rotation keeps working until `until_ms` (the overlap the admin
-- chose), so SDKs already deployed with it keep sending while sites move to the new one.
CREATE TABLE retired_api_keys (
    api_key     TEXT PRIMARY KEY,
    project_id  INTEGER NOT NULL REFERENCES projects(id),
    until_ms    INTEGER NOT NULL
) WITHOUT ROWID;

-- A project's Session Replay settings (JSON, see reel-engine's replay_settings.rs), how many
-- days its data is kept, and its ingestion limits (NULL: the server's defaults). Projects that
-- existed before retention keep 730 days (the most) so an upgrade deletes nothing unexpected;
-- new projects keep 30.
ALTER TABLE projects ADD COLUMN replay_settings TEXT NOT NULL DEFAULT '{}';
ALTER TABLE projects ADD COLUMN retention_days INTEGER NOT NULL DEFAULT 30;
UPDATE projects SET retention_days = 730;
ALTER TABLE projects ADD COLUMN events_per_second INTEGER;
ALTER TABLE projects ADD COLUMN bytes_per_second INTEGER;

-- The retention job and deletion on request find what to delete without scanning everything:
-- sessions without a recording by their id (the epoch ms they started), events that belong to
-- no session by time, events by user id, user properties by the time they were set.
CREATE INDEX sessions_without_recording ON sessions (project_id, session_id) WHERE start_ms IS NULL;
CREATE INDEX events_without_session ON events (project_id, time_ms) WHERE session_row IS NULL;
CREATE INDEX events_by_user_id ON events (project_id, user_id) WHERE user_id IS NOT NULL;
CREATE INDEX user_properties_by_time ON user_properties (project_id, time_ms);
CREATE INDEX element_tokens_by_session ON element_tokens (session_row);
CREATE INDEX replay_feedback_by_session ON replay_feedback (session_row);

-- A monthly quota of captured sessions per organization (NULL: the server's default).
ALTER TABLE organizations ADD COLUMN monthly_session_quota INTEGER;
-- Sessions captured per organization and month (UTC, 'YYYY-MM'): a session counts in the month
-- its recording's first upload arrived. Kept when the sessions themselves expire.
CREATE TABLE monthly_usage (
    organization_id  INTEGER NOT NULL REFERENCES organizations(id),
    month            TEXT NOT NULL,
    sessions         INTEGER NOT NULL,
    PRIMARY KEY (organization_id, month)
) WITHOUT ROWID;
INSERT INTO monthly_usage (organization_id, month, sessions)
    SELECT p.organization_id, strftime('%Y-%m', s.start_ms / 1000, 'unixepoch'), COUNT(*)
    FROM sessions s JOIN projects p ON p.id = s.project_id
    WHERE s.start_ms IS NOT NULL GROUP BY 1, 2;

-- What ingestion accepted, throttled and rejected, per project and minute (epoch minutes), for
-- the Ingestion Monitor; rows older than a day and a bit are pruned.
CREATE TABLE ingest_minutes (
    project_id  INTEGER NOT NULL REFERENCES projects(id),
    minute      INTEGER NOT NULL,
    outcome     TEXT NOT NULL CHECK (outcome IN ('accepted', 'throttled', 'rejected')),
    reason      TEXT NOT NULL,
    requests    INTEGER NOT NULL,
    events      INTEGER NOT NULL,
    bytes       INTEGER NOT NULL,
    PRIMARY KEY (project_id, minute, outcome, reason)
) WITHOUT ROWID;
CREATE INDEX ingest_minutes_by_minute ON ingest_minutes (minute);

-- Who did what: logins, people and role changes, keys, settings, deletions.
CREATE TABLE audit_log (
    id               INTEGER PRIMARY KEY,
    organization_id  INTEGER NOT NULL REFERENCES organizations(id),
    project_id       INTEGER REFERENCES projects(id),
    actor_user_id    INTEGER REFERENCES users(id),
    actor            TEXT,
    action           TEXT NOT NULL,
    target           TEXT,
    detail           TEXT,
    at_ms            INTEGER NOT NULL
);
CREATE INDEX audit_log_by_organization ON audit_log (organization_id, id);
