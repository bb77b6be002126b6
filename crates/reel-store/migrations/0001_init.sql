-- reel schema, version 1. Times are epoch milliseconds (UTC).

CREATE TABLE organizations (
    id          INTEGER PRIMARY KEY,
    name        TEXT NOT NULL,
    created_ms  INTEGER NOT NULL
);

CREATE TABLE projects (
    id              INTEGER PRIMARY KEY,
    organization_id INTEGER NOT NULL REFERENCES organizations(id),
    name            TEXT NOT NULL,
    api_key         TEXT NOT NULL UNIQUE,
    created_ms      INTEGER NOT NULL
);

CREATE TABLE users (
    id             INTEGER PRIMARY KEY,
    email          TEXT NOT NULL UNIQUE COLLATE NOCASE,
    password_hash  TEXT NOT NULL,
    created_ms     INTEGER NOT NULL
);

-- Who belongs to which organization, with a role (only 'admin' exists so far).
CREATE TABLE memberships (
    user_id         INTEGER NOT NULL REFERENCES users(id),
    organization_id INTEGER NOT NULL REFERENCES organizations(id),
    role            TEXT NOT NULL,
    PRIMARY KEY (user_id, organization_id)
);

-- Login sessions and API tokens. Only a SHA-256 of each token is kept.
CREATE TABLE auth_tokens (
    token_hash  TEXT PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(id),
    kind        TEXT NOT NULL CHECK (kind IN ('session', 'api')),
    created_ms  INTEGER NOT NULL,
    expires_ms  INTEGER
);

-- One row per analytics session (device_id, session_id) of a project. Recording facts are
-- NULL / 0 until the first chunk of a replay arrives: a session with start_ms IS NULL has
-- analytics events but no replay.
CREATE TABLE sessions (
    id             INTEGER PRIMARY KEY,
    project_id     INTEGER NOT NULL REFERENCES projects(id),
    device_id      TEXT NOT NULL,
    session_id     INTEGER NOT NULL,
    replay_key     TEXT NOT NULL,
    user_id        TEXT,
    user_id_ms     INTEGER,
    start_ms       INTEGER,
    end_ms         INTEGER,
    event_count    INTEGER NOT NULL DEFAULT 0,
    raw_bytes      INTEGER NOT NULL DEFAULT 0,
    stored_bytes   INTEGER NOT NULL DEFAULT 0,
    first_url      TEXT,
    first_url_ms   INTEGER,
    country        TEXT,
    UNIQUE (project_id, device_id, session_id),
    UNIQUE (project_id, replay_key)
);
CREATE INDEX sessions_by_start ON sessions (project_id, start_ms DESC) WHERE start_ms IS NOT NULL;

-- Stored pieces of a recording. The bytes live in the object store under object_key.
CREATE TABLE chunks (
    id              INTEGER PRIMARY KEY,
    session_row     INTEGER NOT NULL REFERENCES sessions(id),
    start_ms        INTEGER NOT NULL,
    end_ms          INTEGER NOT NULL,
    event_count     INTEGER NOT NULL,
    raw_bytes       INTEGER NOT NULL,
    stored_bytes    INTEGER NOT NULL,
    self_contained  INTEGER NOT NULL,
    content_hash    TEXT NOT NULL,
    object_key      TEXT NOT NULL,
    received_ms     INTEGER NOT NULL,
    UNIQUE (session_row, content_hash)
);
CREATE INDEX chunks_by_time ON chunks (session_row, start_ms);

-- Analytics events (Amplitude HTTP API). insert_id de-duplicates retried uploads.
CREATE TABLE events (
    id                INTEGER PRIMARY KEY,
    project_id        INTEGER NOT NULL REFERENCES projects(id),
    insert_id         TEXT,
    event_type        TEXT NOT NULL,
    time_ms           INTEGER NOT NULL,
    device_id         TEXT,
    user_id           TEXT,
    session_id        INTEGER,
    event_properties  TEXT NOT NULL,
    user_properties   TEXT NOT NULL,
    raw               TEXT NOT NULL,
    received_ms       INTEGER NOT NULL
);
CREATE UNIQUE INDEX events_by_insert_id ON events (project_id, insert_id) WHERE insert_id IS NOT NULL;
CREATE INDEX events_by_session ON events (project_id, device_id, session_id, time_ms);
CREATE INDEX events_by_time ON events (project_id, time_ms);

-- Heatmap interactions (`type=interaction` uploads), kept as received.
CREATE TABLE interactions (
    id            INTEGER PRIMARY KEY,
    project_id    INTEGER NOT NULL REFERENCES projects(id),
    device_id     TEXT NOT NULL,
    session_id    INTEGER NOT NULL,
    payload       TEXT NOT NULL,
    content_hash  TEXT NOT NULL,
    received_ms   INTEGER NOT NULL,
    UNIQUE (project_id, device_id, session_id, content_hash)
);
