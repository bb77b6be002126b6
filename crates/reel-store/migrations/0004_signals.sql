-- What the server understands of each recording (reel-rrweb's signals Analyzer), per session.
-- Counters only ever grow by outputs the analyzer has settled; `reel reprocess` zeroes them and
-- recomputes.
ALTER TABLE sessions ADD COLUMN active_ms INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN click_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN keypress_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN mouse_activity_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN page_view_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN console_log_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN console_warn_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN console_error_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN network_error_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN runtime_error_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN rage_click_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN dead_click_count INTEGER NOT NULL DEFAULT 0;
ALTER TABLE sessions ADD COLUMN error_click_count INTEGER NOT NULL DEFAULT 0;
-- Distinct page URLs (no query string), a JSON array in the order first seen.
ALTER TABLE sessions ADD COLUMN urls TEXT NOT NULL DEFAULT '[]';
ALTER TABLE sessions ADD COLUMN viewport_width INTEGER;
ALTER TABLE sessions ADD COLUMN viewport_height INTEGER;
-- From the first upload's User-Agent header.
ALTER TABLE sessions ADD COLUMN user_agent TEXT;
ALTER TABLE sessions ADD COLUMN browser TEXT;
ALTER TABLE sessions ADD COLUMN os TEXT;
ALTER TABLE sessions ADD COLUMN device TEXT;
-- When the newest chunk of the recording arrived (server clock).
ALTER TABLE sessions ADD COLUMN last_upload_ms INTEGER;

-- The post-commit processing stage: a session with work to do has a row here. An upload adds
-- or advances its row in the same transaction as its chunks, so no committed data is ever
-- missed; the worker takes rows whose time has come. Everything it needs to resume after a
-- restart is here: outputs with a timestamp before signals_until_ms are applied.
CREATE TABLE session_work (
    session_row       INTEGER PRIMARY KEY REFERENCES sessions(id),
    due_ms            INTEGER NOT NULL,
    signals_until_ms  INTEGER,
    -- The analyzer was finished (the session went idle): everything up to the end is settled.
    signals_finished  INTEGER NOT NULL DEFAULT 0,
    attempts          INTEGER NOT NULL DEFAULT 0,
    last_error        TEXT,
    -- Counts uploads: a run that took generation g and finds another one on finishing knows new
    -- data arrived meanwhile and leaves the session due.
    generation        INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX session_work_by_due ON session_work (due_ms);

-- Events derived from recordings carry a readable name and are told apart from SDK events.
ALTER TABLE events ADD COLUMN display_name TEXT;
ALTER TABLE events ADD COLUMN derived INTEGER NOT NULL DEFAULT 0;

-- Text a session showed on screen (never masked text) and its console messages, once each.
CREATE TABLE session_text (
    id           INTEGER PRIMARY KEY,
    session_row  INTEGER NOT NULL REFERENCES sessions(id),
    kind         TEXT NOT NULL CHECK (kind IN ('screen', 'console')),
    level        TEXT,
    first_ms     INTEGER NOT NULL,
    hash         TEXT NOT NULL,
    text         TEXT NOT NULL,
    UNIQUE (session_row, hash)
);
-- Words and phrases of that text, for full-text search.
CREATE VIRTUAL TABLE session_text_fts USING fts5 (
    text, content = 'session_text', content_rowid = 'id', tokenize = 'unicode61'
);
CREATE TRIGGER session_text_ai AFTER INSERT ON session_text BEGIN
    INSERT INTO session_text_fts (rowid, text) VALUES (new.id, new.text);
END;
CREATE TRIGGER session_text_ad AFTER DELETE ON session_text BEGIN
    INSERT INTO session_text_fts (session_text_fts, rowid, text) VALUES ('delete', old.id, old.text);
END;

-- Keyframes: a chunk that starts with a FullSnapshot can be played from. keyframe_ms is the time
-- of the Meta event that belongs to that snapshot — in the same chunk, or the last event of the
-- upload before when an SDK split them — so a read from keyframe_ms on holds both.
ALTER TABLE chunks ADD COLUMN keyframe_ms INTEGER;
UPDATE chunks SET keyframe_ms = start_ms WHERE self_contained = 1;
ALTER TABLE sessions ADD COLUMN last_meta_ms INTEGER;
