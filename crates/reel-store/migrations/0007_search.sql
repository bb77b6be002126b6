-- Search (issue 9).
--
-- What a search reads, kept small enough to search a million sessions quickly:
-- - events point at their session row (`session_row`) and their interned name (`type_id`),
--   indexed by session and by name; the wide (project, device, session) index and the unused
--   (project, time) index go.
-- - derived events keep no copy of their JSON in `raw`: reel wrote it from the other columns.
-- - the latest value of every user property, per user (`user_properties`).
-- - the words of clicked elements (tag, #id, .class, =text) per session (`element_tokens`),
--   so a CSS selector finds its candidate sessions before the exact match.
-- - session_text ids carry their session: id = session_row << 24 | console << 23 | n. The
--   full-text index returns ids, so a match names its session without a lookup, and one
--   session's matches are a rowid range. The dedup hash becomes a 64-bit integer
--   (reel_text_hash(kind, text), a function the store registers before migrating).
-- - saved searches and cohorts.

CREATE TABLE event_types (
    id          INTEGER PRIMARY KEY,
    project_id  INTEGER NOT NULL REFERENCES projects(id),
    name        TEXT NOT NULL,
    UNIQUE (project_id, name)
);
INSERT INTO event_types (project_id, name)
    SELECT DISTINCT project_id, event_type FROM events ORDER BY project_id, event_type;

-- Every analytics session gets its row (with no recording: start_ms stays NULL).
INSERT INTO sessions (project_id, device_id, session_id, replay_key)
    SELECT DISTINCT project_id, device_id, session_id, reel_replay_key(device_id, session_id)
    FROM events WHERE device_id IS NOT NULL AND session_id > 0
    ON CONFLICT (project_id, device_id, session_id) DO NOTHING;

ALTER TABLE events ADD COLUMN session_row INTEGER REFERENCES sessions(id);
ALTER TABLE events ADD COLUMN type_id INTEGER REFERENCES event_types(id);
UPDATE events SET
    session_row = (SELECT s.id FROM sessions s WHERE s.project_id = events.project_id
                   AND s.device_id = events.device_id AND s.session_id = events.session_id),
    type_id = (SELECT t.id FROM event_types t WHERE t.project_id = events.project_id
               AND t.name = events.event_type);
UPDATE events SET raw = '' WHERE derived = 1;

DROP INDEX events_by_session;
DROP INDEX events_by_time;
CREATE INDEX events_by_session ON events (session_row, type_id, time_ms) WHERE session_row IS NOT NULL;
CREATE INDEX events_by_type ON events (type_id, session_row);

CREATE INDEX sessions_by_user ON sessions (project_id, user_id) WHERE user_id IS NOT NULL;

-- The latest value of each property of a user: `u:<user_id>`, or `d:<device_id>` for users
-- without a user id. Values keep their JSON type (text, integer, real; booleans as 0/1;
-- arrays and objects as JSON text). time_ms: the event that set it.
CREATE TABLE user_properties (
    project_id  INTEGER NOT NULL REFERENCES projects(id),
    user_key    TEXT NOT NULL,
    key         TEXT NOT NULL,
    value,
    time_ms     INTEGER NOT NULL,
    PRIMARY KEY (project_id, user_key, key)
) WITHOUT ROWID;
CREATE INDEX user_properties_by_value ON user_properties (project_id, key, value);

-- Words of clicked elements per session and click kind (the event type): a superset that a
-- selector search narrows candidates with, before matching each element exactly.
CREATE TABLE element_tokens (
    type_id      INTEGER NOT NULL REFERENCES event_types(id),
    token        TEXT NOT NULL,
    session_row  INTEGER NOT NULL REFERENCES sessions(id),
    PRIMARY KEY (type_id, token, session_row)
) WITHOUT ROWID;

DROP TRIGGER session_text_ai;
DROP TRIGGER session_text_ad;
DROP TABLE session_text_fts;
CREATE TABLE session_text_new (
    id           INTEGER PRIMARY KEY,
    session_row  INTEGER NOT NULL REFERENCES sessions(id),
    kind         TEXT NOT NULL CHECK (kind IN ('screen', 'console')),
    level        TEXT,
    first_ms     INTEGER NOT NULL,
    hash         INTEGER NOT NULL,
    text         TEXT NOT NULL,
    UNIQUE (session_row, hash)
);
INSERT INTO session_text_new (id, session_row, kind, level, first_ms, hash, text)
    SELECT (session_row << 24) | (CASE kind WHEN 'console' THEN 8388608 ELSE 0 END)
               | ROW_NUMBER() OVER (PARTITION BY session_row, kind ORDER BY id),
           session_row, kind, level, first_ms, reel_text_hash(kind, text), text
    FROM session_text;
DROP TABLE session_text;
ALTER TABLE session_text_new RENAME TO session_text;
CREATE VIRTUAL TABLE session_text_fts USING fts5 (
    text, content = 'session_text', content_rowid = 'id', tokenize = 'unicode61', columnsize = 0
);
INSERT INTO session_text_fts (session_text_fts) VALUES ('rebuild');
CREATE TRIGGER session_text_ai AFTER INSERT ON session_text BEGIN
    INSERT INTO session_text_fts (rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER session_text_ad AFTER DELETE ON session_text BEGIN
    INSERT INTO session_text_fts (session_text_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;

-- A search saved under a name for everyone in the project: the search's JSON (the API's
-- SearchRequest without cursor and limit, plus a relative date range).
CREATE TABLE saved_searches (
    id          INTEGER PRIMARY KEY,
    project_id  INTEGER NOT NULL REFERENCES projects(id),
    name        TEXT NOT NULL,
    search      TEXT NOT NULL,
    created_by  INTEGER NOT NULL REFERENCES users(id),
    created_ms  INTEGER NOT NULL
);
CREATE INDEX saved_searches_by_project ON saved_searches (project_id, name);

-- A cohort: users defined by conditions (JSON: the API's CohortDefinition), evaluated when a
-- search uses it.
CREATE TABLE cohorts (
    id          INTEGER PRIMARY KEY,
    project_id  INTEGER NOT NULL REFERENCES projects(id),
    name        TEXT NOT NULL,
    definition  TEXT NOT NULL,
    created_ms  INTEGER NOT NULL,
    updated_ms  INTEGER NOT NULL
);
CREATE INDEX cohorts_by_project ON cohorts (project_id, name);
