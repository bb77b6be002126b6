-- The feed (0012) hands on what replay search needs too: besides events and recorded
-- sessions, a session whose replay fields changed (`snapshot_row`: the feed reads the
-- session's fields when it hands it on, so of several rows in one batch it reads them once,
-- at the first, whose place says when the session was first seen) and each piece of session
-- text (`text_id`). `search_only` marks events already handed on to charts
-- before this migration, queued again for search alone.
--
-- `sessions.search_generation` counts how often a session's derived events and text were
-- deleted (its replay deleted, or reprocessed): what was handed on of an earlier generation
-- is no longer read there.
ALTER TABLE sessions ADD COLUMN search_generation INTEGER NOT NULL DEFAULT 0;
ALTER TABLE feed_queue ADD COLUMN snapshot_row INTEGER;
ALTER TABLE feed_queue ADD COLUMN text_id INTEGER;
ALTER TABLE feed_queue ADD COLUMN search_only INTEGER NOT NULL DEFAULT 0;
-- A session deleted (retention, erasure), named since its row is gone: whatever of it was
-- handed on after the shared store deleted it first is deleted there again.
ALTER TABLE feed_queue ADD COLUMN gone_project INTEGER;
ALTER TABLE feed_queue ADD COLUMN gone_device TEXT;
ALTER TABLE feed_queue ADD COLUMN gone_session INTEGER;

-- A feed started before this migration handed events on to charts only: the queue is made
-- again, what was handed on already marked for search alone (its items were queued in stored
-- order, so what is still queued is what came last); replays before events, so that replays
-- are first seen there in the order they were here.
CREATE TEMP TABLE feed_pending AS
    SELECT event_id, session_row FROM feed_queue WHERE EXISTS (SELECT 1 FROM feeds);
DELETE FROM feed_queue;
INSERT INTO feed_queue (session_row)
    SELECT session_row FROM feed_pending WHERE session_row IS NOT NULL;
INSERT INTO feed_queue (snapshot_row)
    SELECT id FROM sessions WHERE start_ms IS NOT NULL AND EXISTS (SELECT 1 FROM feeds)
    ORDER BY id;
INSERT INTO feed_queue (event_id, search_only)
    SELECT e.id, e.id NOT IN (SELECT event_id FROM feed_pending WHERE event_id IS NOT NULL)
    FROM events e WHERE EXISTS (SELECT 1 FROM feeds) ORDER BY e.id;
INSERT INTO feed_queue (text_id)
    SELECT id FROM session_text WHERE EXISTS (SELECT 1 FROM feeds) ORDER BY id;
DROP TABLE feed_pending;

-- A replay's fields changed (an upload, signals, a deletion, an import, reprocessing).
CREATE TRIGGER sessions_search_feed AFTER UPDATE OF start_ms, end_ms, event_count,
    stored_bytes, first_url, country, active_ms, click_count, keypress_count,
    mouse_activity_count, page_view_count, console_log_count, console_warn_count,
    console_error_count, network_error_count, runtime_error_count, rage_click_count,
    dead_click_count, error_click_count, urls, viewport_width, viewport_height, browser, os,
    device, last_upload_ms, search_generation ON sessions
    WHEN (old.start_ms IS NOT NULL OR new.start_ms IS NOT NULL) AND EXISTS (SELECT 1 FROM feeds)
BEGIN
    INSERT INTO feed_queue (snapshot_row) VALUES (new.id);
END;
-- When processing will next look at a replay is one of its fields.
CREATE TRIGGER work_search_feed_insert AFTER INSERT ON session_work
    WHEN EXISTS (SELECT 1 FROM feeds)
BEGIN
    INSERT INTO feed_queue (snapshot_row) VALUES (new.session_row);
END;
CREATE TRIGGER work_search_feed_update AFTER UPDATE OF due_ms ON session_work
    WHEN old.due_ms != new.due_ms AND EXISTS (SELECT 1 FROM feeds)
BEGIN
    INSERT INTO feed_queue (snapshot_row) VALUES (new.session_row);
END;
CREATE TRIGGER work_search_feed_delete AFTER DELETE ON session_work
    WHEN EXISTS (SELECT 1 FROM feeds)
BEGIN
    INSERT INTO feed_queue (snapshot_row) VALUES (old.session_row);
END;
CREATE TRIGGER texts_feed AFTER INSERT ON session_text WHEN EXISTS (SELECT 1 FROM feeds)
BEGIN
    INSERT INTO feed_queue (text_id) VALUES (new.id);
END;
CREATE TRIGGER sessions_gone_feed AFTER DELETE ON sessions WHEN EXISTS (SELECT 1 FROM feeds)
BEGIN
    INSERT INTO feed_queue (gone_project, gone_device, gone_session)
        VALUES (old.project_id, old.device_id, old.session_id);
END;
