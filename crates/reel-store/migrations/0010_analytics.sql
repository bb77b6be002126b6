-- Analytics around replays: every event, from every path, as charts read it; users merged
-- across devices with their current properties; dashboards and notebooks.
--
-- - analytics_users: one row per user after merges: a user id, or a device not yet tied to
--   one (user_id NULL). first/last seen and the events counted.
-- - analytics_devices: which user a device's events go to now (the last user id seen on it;
--   a device first seen without one gets an anonymous user, merged into the user whose id
--   later appears on it).
-- - analytics_user_properties: each user's current properties after Amplitude's identify
--   operations; values typed like user_properties (text, integer, real, booleans as 0/1,
--   arrays and objects as JSON text).
-- - analytics_keys: event property names, interned per project.
-- - analytics_events: one row per event (identify calls excepted), clustered by
--   (project, event type, time) so a chart reads each of its events' time range in one scan,
--   with the user it belongs to, its session and its properties in a compact encoding
--   (sqlite/analytics/props.rs) beside them; event_id is the row of `events` (raw JSON).
-- - analytics_sessions: per analytics session, its user and the span of its events (User
--   Sessions and the Microscope read it).
-- - boards: dashboards and notebooks, their items as JSON.

CREATE TABLE analytics_users (
    id           INTEGER PRIMARY KEY,
    project_id   INTEGER NOT NULL REFERENCES projects(id),
    user_id      TEXT,
    first_ms     INTEGER NOT NULL,
    last_ms      INTEGER NOT NULL,
    event_count  INTEGER NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX analytics_users_by_user_id ON analytics_users (project_id, user_id)
    WHERE user_id IS NOT NULL;

CREATE TABLE analytics_devices (
    project_id  INTEGER NOT NULL REFERENCES projects(id),
    device_id   TEXT NOT NULL,
    user_row    INTEGER NOT NULL REFERENCES analytics_users(id),
    first_ms    INTEGER NOT NULL,
    PRIMARY KEY (project_id, device_id)
) WITHOUT ROWID;
CREATE INDEX analytics_devices_by_user ON analytics_devices (user_row);

CREATE TABLE analytics_user_properties (
    user_row    INTEGER NOT NULL REFERENCES analytics_users(id),
    key         TEXT NOT NULL,
    value       NOT NULL,
    project_id  INTEGER NOT NULL,
    PRIMARY KEY (user_row, key)
) WITHOUT ROWID;
CREATE INDEX analytics_user_properties_by_key ON analytics_user_properties (project_id, key, value);

CREATE TABLE analytics_keys (
    id          INTEGER PRIMARY KEY,
    project_id  INTEGER NOT NULL REFERENCES projects(id),
    name        TEXT NOT NULL,
    UNIQUE (project_id, name)
);

CREATE TABLE analytics_events (
    project_id   INTEGER NOT NULL,
    type_id      INTEGER NOT NULL,
    time_ms      INTEGER NOT NULL,
    event_id     INTEGER NOT NULL,
    user_row     INTEGER NOT NULL,
    session_row  INTEGER,
    props        BLOB NOT NULL,
    PRIMARY KEY (project_id, type_id, time_ms, event_id)
) WITHOUT ROWID;
-- A user's events in time order (User Look-Up, Journeys, merges), with their sessions; with
-- the primary key's columns it covers (project, type, time): a user's events read without the table.
CREATE INDEX analytics_events_by_user ON analytics_events (user_row, time_ms, session_row);

CREATE TABLE analytics_sessions (
    session_row  INTEGER PRIMARY KEY REFERENCES sessions(id),
    project_id   INTEGER NOT NULL,
    user_row     INTEGER NOT NULL,
    first_ms     INTEGER NOT NULL,
    last_ms      INTEGER NOT NULL,
    events       INTEGER NOT NULL
);
CREATE INDEX analytics_sessions_by_start ON analytics_sessions (project_id, first_ms);
CREATE INDEX analytics_sessions_by_user ON analytics_sessions (user_row, first_ms);

CREATE TABLE boards (
    id          INTEGER PRIMARY KEY,
    project_id  INTEGER NOT NULL REFERENCES projects(id),
    kind        TEXT NOT NULL CHECK (kind IN ('dashboard', 'notebook')),
    name        TEXT NOT NULL,
    body        TEXT NOT NULL,
    position    INTEGER NOT NULL,
    created_by  INTEGER NOT NULL REFERENCES users(id),
    created_ms  INTEGER NOT NULL,
    updated_ms  INTEGER NOT NULL
);
CREATE INDEX boards_by_project ON boards (project_id, kind, position);
