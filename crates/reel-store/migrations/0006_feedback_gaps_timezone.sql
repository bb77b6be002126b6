-- A viewer's verdict on a replay: a thumbs-down (with an optional comment) says the replay did
-- not show what happened. Admins see them listed.
CREATE TABLE replay_feedback (
    id           INTEGER PRIMARY KEY,
    session_row  INTEGER NOT NULL REFERENCES sessions(id),
    user_id      INTEGER NOT NULL REFERENCES users(id),
    rating       TEXT NOT NULL CHECK (rating IN ('down', 'up')),
    comment      TEXT,
    created_ms   INTEGER NOT NULL
);
CREATE INDEX replay_feedback_by_time ON replay_feedback (created_ms);

-- Holes in a recording: no data arrived for longer than the gap threshold while the session
-- went on (found by the processing stage).
CREATE TABLE session_gaps (
    session_row  INTEGER NOT NULL REFERENCES sessions(id),
    start_ms     INTEGER NOT NULL,
    end_ms       INTEGER NOT NULL,
    PRIMARY KEY (session_row, start_ms)
) WITHOUT ROWID;

-- The project's timezone (an IANA name): dates are shown and filtered in it.
ALTER TABLE projects ADD COLUMN timezone TEXT NOT NULL DEFAULT 'UTC';

-- The project's definitions of frustration signals and activity (JSON of the values that differ
-- from reel's defaults): rage, dead and error clicks, the idle threshold.
ALTER TABLE projects ADD COLUMN signal_settings TEXT NOT NULL DEFAULT '{}';
